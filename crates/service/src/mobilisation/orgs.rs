//! Organisations (Party branches, volunteer teams) and their members.

use super::*;

impl App {
    pub async fn create_org(&self, actor: &Actor, input: &OrgInput) -> ServiceResult<OrgView> {
        self.require(actor, Permission::ManageMobilisation, "组织", &input.name)
            .await?;
        let kind = OrgKind::parse(&input.kind).ok_or_else(|| {
            ServiceError::invalid("kind", format!("组织类型“{}”无效", input.kind))
        })?;
        let name = required("name", "组织名称", &input.name, 60)?;
        let site_kind = match non_empty(&input.site_kind) {
            Some(s) => Some(SiteKind::parse(&s).ok_or_else(|| {
                ServiceError::invalid("site_kind", format!("服务场所类型“{s}”无效"))
            })?),
            None => None,
        };
        let established_on = parse_date("established_on", &input.established_on)?;
        let dissolved_on = parse_opt_date("dissolved_on", &input.dissolved_on)?;
        if let Some(d) = dissolved_on {
            if d < established_on {
                return Err(ServiceError::invalid(
                    "dissolved_on",
                    "撤销日期不能早于成立日期",
                ));
            }
        }
        if let Some(l) = input.leader_id {
            self.person_in_scope(actor, l).await.map_err(|_| {
                ServiceError::unknown(
                    "leader_id",
                    format!("负责人 {l} 不存在或不在您的管辖范围内"),
                )
            })?;
        }
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        let mut tx = self.db.begin().await?;
        let id = store::insert_org(
            &mut tx,
            &NewOrg {
                kind: kind.as_str(),
                name: &name,
                jurisdiction_code: code.as_str(),
                site_kind: site_kind.map(|s| s.as_str()),
                site_name: non_empty(&input.site_name).as_deref(),
                established_on,
                dissolved_on,
                leader_id: input.leader_id,
                at: self.clock.now(),
            },
        )
        .await?;
        if let Some(l) = input.leader_id {
            store::add_member(&mut tx, id, l, "负责人", established_on).await?;
        }
        let row = actor.audit(
            Action::OrgCreate,
            Outcome::Success,
            "组织",
            id.to_string(),
            Some(code.to_string()),
            format!("{}：{name}", kind.zh()),
        );
        commit_audited(tx, &row).await?;
        Ok(self.get_org(actor, id).await?.org)
    }

    pub(super) async fn org_in_scope(
        &self,
        actor: &Actor,
        id: i64,
    ) -> ServiceResult<store::OrgRow> {
        let row = store::org(&self.db, id).await?;
        self.own(actor, "组织", id, row, |o| &o.jurisdiction_code)
            .await
    }

    pub async fn get_org(&self, actor: &Actor, id: i64) -> ServiceResult<OrgDetail> {
        self.require(actor, Permission::ReadMobilisation, "组织", &id.to_string())
            .await?;
        let o = self.org_in_scope(actor, id).await?;
        let members = store::members(&self.db, id)
            .await?
            .into_iter()
            .map(|m| MemberView {
                person_id: m.person_id,
                name: m.name,
                role: m.role,
                joined_on: m.joined_on,
            })
            .collect();
        Ok(OrgDetail {
            org: org_view(o)?,
            members,
        })
    }

    pub async fn add_org_member(
        &self,
        actor: &Actor,
        org_id: i64,
        input: &MemberInput,
    ) -> ServiceResult<OrgDetail> {
        self.require(
            actor,
            Permission::ManageMobilisation,
            "组织",
            &org_id.to_string(),
        )
        .await?;
        let o = self.org_in_scope(actor, org_id).await?;
        self.person_in_scope(actor, input.person_id)
            .await
            .map_err(|e| e.referred_by("person_id"))?;
        let role = required("role", "职务", &input.role, 30)?;
        let joined_on = parse_date("joined_on", &input.joined_on)?;
        let mut tx = self.db.begin().await?;
        if !store::add_member(&mut tx, org_id, input.person_id, &role, joined_on).await? {
            return Err(ServiceError::conflict("person_id", "此人已是该组织成员"));
        }
        let row = actor.audit(
            Action::OrgMember,
            Outcome::Success,
            "组织",
            org_id.to_string(),
            Some(o.jurisdiction_code.clone()),
            format!("人员 {} 任{role}", input.person_id),
        );
        commit_audited(tx, &row).await?;
        self.get_org(actor, org_id).await
    }

    pub async fn list_orgs(&self, actor: &Actor, q: &OrgQuery) -> ServiceResult<Vec<OrgView>> {
        let page = page_of(q.page)?;
        self.query_orgs(
            actor,
            q,
            None,
            PAGE_SIZE,
            crate::page_offset(page, PAGE_SIZE),
        )
        .await
    }

    pub(crate) async fn query_orgs(
        &self,
        actor: &Actor,
        q: &OrgQuery,
        after: Option<(&str, i64)>,
        limit: i64,
        offset: i64,
    ) -> ServiceResult<Vec<OrgView>> {
        self.require(actor, Permission::ReadMobilisation, "组织", "list")
            .await?;
        let kind = match non_empty(&q.kind) {
            Some(k) => Some(
                OrgKind::parse(&k)
                    .ok_or_else(|| ServiceError::invalid("kind", format!("组织类型“{k}”无效")))?,
            ),
            None => None,
        };
        let as_of = parse_opt_date("as_of", &q.as_of)?;
        let rows = store::list_orgs(
            &self.db,
            &actor.scope,
            kind.map(|k| k.as_str()),
            as_of,
            after,
            limit,
            offset,
        )
        .await?;
        rows.into_iter().map(org_view).collect()
    }

    // ---- deployments ----
}
