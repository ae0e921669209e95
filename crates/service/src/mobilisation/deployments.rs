//! Deployments of people to the front line, their end, and returns to post.

use super::*;

impl App {
    /// Checks a deployment (scope included) before any transaction begins.
    pub(super) async fn prepare_deployment(
        &self,
        actor: &Actor,
        input: &DeploymentInput,
    ) -> ServiceResult<PreparedDeployment> {
        let role = required("role", "岗位", &input.role, 40)?;
        let start_on = parse_date("start_on", &input.start_on)?;
        let end_on = parse_opt_date("end_on", &input.end_on)?;
        if matches!(end_on, Some(e) if e < start_on) {
            return Err(ServiceError::invalid("end_on", "结束日期不能早于开始日期"));
        }
        let site_kind = match non_empty(&input.site_kind) {
            Some(s) => Some(SiteKind::parse(&s).ok_or_else(|| {
                ServiceError::invalid("site_kind", format!("服务场所类型“{s}”无效"))
            })?),
            None => None,
        };
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        if let Some(o) = input.org_id {
            self.org_in_scope(actor, o).await.map_err(|_| {
                ServiceError::unknown("org_id", format!("组织 {o} 不存在或不在您的管辖范围内"))
            })?;
        }
        let site_kind = site_kind.or(if code.level() == Level::Grid {
            Some(SiteKind::Grid)
        } else {
            None
        });
        Ok(PreparedDeployment {
            person_id: input.person_id,
            code,
            org_id: input.org_id,
            site_kind,
            site_name: non_empty(&input.site_name),
            role,
            start_on,
            end_on,
        })
    }

    pub(super) async fn write_deployment(
        &self,
        tx: &mut Tx,
        d: &PreparedDeployment,
    ) -> ServiceResult<i64> {
        Ok(store::insert_deployment(
            tx,
            &NewDeployment {
                person_id: d.person_id,
                jurisdiction_code: d.code.as_str(),
                org_id: d.org_id,
                site_kind: d.site_kind.map(|s| s.as_str()),
                site_name: d.site_name.as_deref(),
                role: &d.role,
                start_on: d.start_on,
                end_on: d.end_on,
                at: self.clock.now(),
            },
        )
        .await?)
    }

    pub async fn deploy(
        &self,
        actor: &Actor,
        input: &DeploymentInput,
    ) -> ServiceResult<DeploymentView> {
        let person = self
            .person_to_manage(actor, "派驻", input.person_id)
            .await?;
        let prepared = self.prepare_deployment(actor, input).await?;
        let code = prepared.code.clone();
        let mut tx = self.db.begin().await?;
        let id = self.write_deployment(&mut tx, &prepared).await?;
        let row = actor.audit(
            Action::Deploy,
            Outcome::Success,
            "派驻",
            id.to_string(),
            Some(code.to_string()),
            format!("{}：{}", person.name, input.role.trim()),
        );
        commit_audited(tx, &row).await?;
        let rows = store::list_deployments(
            &self.db,
            &actor.scope,
            Some(input.person_id),
            None,
            None,
            500,
            0,
        )
        .await?;
        rows.into_iter()
            .find(|d| d.id == id)
            .map(deployment_view)
            .ok_or_else(|| ServiceError::Internal("派驻记录未找到".into()))
    }

    /// Ends a deployment (or moves its end) on its last day on duty, with the reason;
    /// audited, and the people-on-duty figures follow in the same transaction.
    pub async fn end_deployment(
        &self,
        actor: &Actor,
        id: i64,
        input: &DeploymentEndInput,
    ) -> ServiceResult<DeploymentView> {
        self.require(
            actor,
            Permission::ManageMobilisation,
            "派驻",
            &id.to_string(),
        )
        .await?;
        let row = store::deployment(&self.db, id).await?;
        let d = self
            .own(actor, "派驻", id, row, |d| &d.jurisdiction_code)
            .await?;
        let end_on = parse_date("end_on", &input.end_on)?;
        if end_on < d.start_on {
            return Err(ServiceError::invalid(
                "end_on",
                format!("最后在岗日期不能早于开始日期 {}", d.start_on),
            ));
        }
        if d.end_on == Some(end_on) {
            return Err(ServiceError::invalid(
                "end_on",
                format!("该派驻已于 {end_on} 结束"),
            ));
        }
        let reason = required("reason", "原因", &input.reason, 200)?;
        let mut tx = self.db.begin().await?;
        let had = store::end_deployment(&mut tx, id, end_on)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("未找到派驻 {id}")))?;
        let row = actor.audit(
            Action::DeploymentEnd,
            Outcome::Success,
            "派驻",
            id.to_string(),
            Some(d.jurisdiction_code.clone()),
            format!(
                "{}：{}，最后在岗 {end_on}（{}）：{reason}",
                d.person_name,
                d.role,
                had.map(|h| format!("原定 {h}"))
                    .unwrap_or_else(|| "原未定结束日期".into())
            ),
        );
        commit_audited(tx, &row).await?;
        store::deployment(&self.db, id)
            .await?
            .map(deployment_view)
            .ok_or_else(|| ServiceError::Internal("派驻记录未找到".into()))
    }

    pub async fn list_deployments(
        &self,
        actor: &Actor,
        q: &DeploymentQuery,
    ) -> ServiceResult<Vec<DeploymentView>> {
        let page = page_of(q.page)?;
        self.query_deployments(
            actor,
            q,
            None,
            PAGE_SIZE,
            crate::page_offset(page, PAGE_SIZE),
        )
        .await
    }

    pub(crate) async fn query_deployments(
        &self,
        actor: &Actor,
        q: &DeploymentQuery,
        after: Option<(NaiveDate, i64)>,
        limit: i64,
        offset: i64,
    ) -> ServiceResult<Vec<DeploymentView>> {
        self.require(actor, Permission::ReadMobilisation, "派驻", "list")
            .await?;
        let on_day = parse_opt_date("on_day", &q.on_day)?;
        let rows = store::list_deployments(
            &self.db,
            &actor.scope,
            q.person_id,
            on_day,
            after,
            limit,
            offset,
        )
        .await?;
        Ok(rows.into_iter().map(deployment_view).collect())
    }

    // ---- returns, applications, registrations ----

    pub async fn record_return(&self, actor: &Actor, input: &ReturnInput) -> ServiceResult<i64> {
        let person = self
            .person_to_manage(actor, "返岗", input.person_id)
            .await?;
        let post = required("post", "岗位", &input.post, 40)?;
        let returned_on = parse_date("returned_on", &input.returned_on)?;
        let expected_on = parse_date("expected_on", &input.expected_on)?;
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        let mut tx = self.db.begin().await?;
        let id = store::insert_return(
            &mut tx,
            input.person_id,
            code.as_str(),
            &post,
            returned_on,
            expected_on,
            self.clock.now(),
        )
        .await
        .map_err(|err| {
            ServiceError::taken(err, "post", || {
                format!("{}的“{post}”返岗已登记", person.name)
            })
        })?;
        let early = if returned_on < expected_on {
            "，提前返岗"
        } else {
            ""
        };
        let row = actor.audit(
            Action::ReturnToPost,
            Outcome::Success,
            "返岗",
            id.to_string(),
            Some(code.to_string()),
            format!("{}：{post}，{returned_on}{early}", person.name),
        );
        commit_audited(tx, &row).await?;
        Ok(id)
    }
}
