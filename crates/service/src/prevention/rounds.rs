//! Screening rounds and their coverage per grid.

use super::*;

impl App {
    pub async fn list_rounds(&self, actor: &Actor) -> ServiceResult<Vec<RoundView>> {
        self.require(actor, Permission::ReadGridWork, "摸排轮次", "list")
            .await?;
        Ok(store::rounds(&self.db)
            .await?
            .iter()
            .filter(|r| concerns(actor, &r.jurisdiction_code))
            .map(round_view)
            .collect())
    }

    pub async fn create_round(
        &self,
        actor: &Actor,
        input: &RoundInput,
    ) -> ServiceResult<RoundView> {
        self.require(actor, Permission::ManageGrids, "摸排轮次", "new")
            .await?;
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        let name = text("name", "轮次名称", &input.name, 50)?;
        let start_on = parse_date("start_on", &input.start_on)?;
        let due_on = parse_date("due_on", &input.due_on)?;
        if due_on < start_on {
            return Err(ServiceError::invalid("due_on", "完成日期不能早于开始日期"));
        }
        let mut tx = self.db.begin().await?;
        let id = store::insert_round(
            &mut tx,
            code.as_str(),
            &name,
            start_on,
            due_on,
            &actor.username,
            self.clock.now(),
        )
        .await?;
        let audit = actor.audit(
            Action::ScreeningRoundCreate,
            Outcome::Success,
            "摸排轮次",
            id.to_string(),
            Some(code.to_string()),
            format!("{name}：{start_on} 至 {due_on}"),
        );
        commit_audited(tx, &audit).await?;
        Ok(RoundView {
            id,
            jurisdiction_code: code.to_string(),
            name,
            start_on,
            due_on,
        })
    }

    /// A round's coverage per grid: households screened between its start and due day over
    /// the households of the grid, in the part of the round's place the actor sees.
    pub async fn round_coverage(&self, actor: &Actor, id: i64) -> ServiceResult<CoverageView> {
        self.require(actor, Permission::ReadGridWork, "摸排轮次", &id.to_string())
            .await?;
        let not_found =
            || ServiceError::NotFound(format!("未找到摸排轮次 {id}，或其不在您的管辖范围内"));
        let round = store::round(&self.db, id).await?.ok_or_else(not_found)?;
        if !concerns(actor, &round.jurisdiction_code) {
            let code = parse_code("id", &round.jurisdiction_code)?;
            self.require_in_scope(actor, &code, "摸排轮次", &id.to_string())
                .await
                .map_err(|_| not_found())?;
            return Err(not_found());
        }
        let round_code = parse_code("id", &round.jurisdiction_code)?;
        let (lo, hi) = match &actor.scope {
            Scope::Under(c) if c.as_str().len() > round_code.as_str().len() => c.subtree_range(),
            _ => round_code.subtree_range(),
        };
        let rows = store::coverage(&self.db, &lo, &hi, round.start_on, round.due_on).await?;
        let mut total = CoverageLine {
            code: actor.home_code().unwrap_or_default(),
            name: "合计".into(),
            households: 0,
            screened: 0,
            rate: None,
        };
        let grids: Vec<CoverageLine> = rows
            .into_iter()
            .map(|r| {
                total.households += r.households;
                total.screened += r.screened;
                CoverageLine {
                    rate: rate(r.households, r.screened),
                    code: r.code,
                    name: r.name,
                    households: r.households,
                    screened: r.screened,
                }
            })
            .collect();
        total.rate = rate(total.households, total.screened);
        Ok(CoverageView {
            round: round_view(&round),
            total,
            grids,
        })
    }
}
