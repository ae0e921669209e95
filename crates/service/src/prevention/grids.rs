//! Grids in scope, their detail with the five duties, and their members.

use super::*;
use dualtrack_store::decode;

impl App {
    /// A grid in the actor's scope, by code; "not found" (audited) otherwise.
    /// The grid `raw` for an actor whose roles grant `p`, in the actor's jurisdiction.
    pub(crate) async fn grid_with(
        &self,
        actor: &Actor,
        p: Permission,
        raw: &str,
    ) -> ServiceResult<store::GridRow> {
        self.require(actor, p, "网格", raw).await?;
        self.grid_in_scope(actor, raw).await
    }

    pub async fn grid_in_scope(&self, actor: &Actor, raw: &str) -> ServiceResult<store::GridRow> {
        let code = parse_code("code", raw)?;
        if code.level() != Level::Grid {
            return Err(ServiceError::invalid(
                "code",
                format!("网格代码应为 15 位，收到“{raw}”"),
            ));
        }
        self.require_in_scope(actor, &code, "网格", raw).await?;
        store::grid(&self.db, code.as_str())
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("未找到网格“{raw}”")))
    }

    /// Grids in the actor's scope (or under a place of it), with their counts.
    pub async fn list_grids(
        &self,
        actor: &Actor,
        code: Option<&str>,
        page: Option<i64>,
    ) -> ServiceResult<Vec<GridSummary>> {
        self.require(actor, Permission::ReadGridWork, "网格", "list")
            .await?;
        let scope = self.scope_at(actor, code).await?;
        let page = page.unwrap_or(1).max(1);
        let rows = store::grids(
            &self.db,
            &scope,
            GRIDS_PAGE,
            crate::page_offset(page, GRIDS_PAGE),
        )
        .await?;
        Ok(rows.into_iter().map(summary).collect())
    }

    /// The subtree of a place in the actor's scope, or the actor's whole scope.
    pub(super) async fn scope_at(&self, actor: &Actor, code: Option<&str>) -> ServiceResult<Scope> {
        match code.map(str::trim).filter(|c| !c.is_empty()) {
            None => Ok(actor.scope.clone()),
            Some(raw) => {
                let code = parse_code("code", raw)?;
                self.require_in_scope(actor, &code, "区划", raw).await?;
                Ok(Scope::Under(code))
            }
        }
    }

    pub async fn get_grid(&self, actor: &Actor, raw: &str) -> ServiceResult<GridView> {
        let g = self.grid_with(actor, Permission::ReadGridWork, raw).await?;
        let members = store::members(&self.db, &g.code)
            .await?
            .into_iter()
            .map(|m| {
                let role = decode("grid_members", "role", &m.role, GridRole::parse)?;
                // A registered person's phone is stored sealed: opened, then masked.
                let phone = self.crypto.open_opt(m.phone.as_deref())?;
                Ok(GridMemberView {
                    person_id: m.person_id,
                    name: m.name,
                    phone: phone.as_deref().map(mask_phone),
                    role,
                    role_zh: role.zh().into(),
                    joined_on: m.joined_on,
                })
            })
            .collect::<ServiceResult<_>>()?;
        let scope = Scope::Under(parse_code("code", &g.code)?);
        let high = store::list_screened(
            &self.db,
            &scope,
            store::ScreenedFilter {
                risk: Some("high"),
                id_bidx: None,
            },
            100_000,
            0,
        )
        .await?
        .len() as i64;
        let publicity = store::publicity(&self.db, &g.code).await?.len() as i64;
        let stability = store::stability(&self.db, &g.code).await?.len() as i64;
        let reports = store::reports_of(&self.db, &g.code, self.now())
            .await?
            .len() as i64;
        let duties = GridDuty::ALL
            .iter()
            .map(|d| DutyFigure {
                duty: *d,
                zh: d.zh().into(),
                count: match d {
                    GridDuty::Screening => g.residents,
                    GridDuty::Control => high,
                    GridDuty::Publicity => publicity,
                    GridDuty::Stability => stability,
                    GridDuty::Information => reports,
                },
            })
            .collect();
        Ok(GridView {
            grid: summary(g),
            members,
            duties,
        })
    }

    /// Adds a person of the registry to a grid, as its leader or another member.
    pub async fn add_grid_member(
        &self,
        actor: &Actor,
        raw: &str,
        input: &GridMemberInput,
    ) -> ServiceResult<GridView> {
        self.require(actor, Permission::ManageGrids, "网格", raw)
            .await?;
        let g = self.grid_in_scope(actor, raw).await?;
        let role = GridRole::parse(&input.role).ok_or_else(|| {
            ServiceError::invalid(
                "role",
                format!(
                    "网格职责应为 leader、worker、party_member 或 volunteer，收到“{}”",
                    input.role
                ),
            )
        })?;
        let joined_on = match opt_text(&input.joined_on) {
            Some(d) => parse_date("joined_on", &d)?,
            None => self.today(),
        };
        let person = dualtrack_store::mobilisation::person(&self.db, input.person_id).await?;
        let person = self
            .own(actor, "人员", input.person_id, person, |p| {
                &p.jurisdiction_code
            })
            .await
            .map_err(|_| {
                ServiceError::unknown(
                    "person_id",
                    format!(
                        "人员库中没有编号为 {} 的人员，或不在您的管辖范围内",
                        input.person_id
                    ),
                )
            })?;
        let mut tx = self.db.begin().await?;
        if !store::add_member(&mut tx, &g.code, person.id, role.as_str(), joined_on).await? {
            return Err(ServiceError::conflict(
                "person_id",
                format!("{}已是本网格成员", person.name),
            ));
        }
        let audit = actor.audit(
            Action::GridMember,
            Outcome::Success,
            "网格",
            g.code.clone(),
            Some(g.code.clone()),
            format!("{}：{}", role.zh(), person.name),
        );
        commit_audited(tx, &audit).await?;
        self.get_grid(actor, raw).await
    }
}
