//! Risk areas and the reclassification of the persons screened under them.

use super::*;
use std::collections::hash_map::Entry;

impl App {
    /// Risk areas that concern the actor: set in its subtree or above it.
    pub async fn list_risk_areas(&self, actor: &Actor) -> ServiceResult<Vec<RiskAreaView>> {
        self.require(actor, Permission::ReadGridWork, "风险地区", "list")
            .await?;
        store::risk_areas(&self.db)
            .await?
            .into_iter()
            .filter(|r| concerns(actor, &r.jurisdiction_code))
            .map(|r| risk_view(r, 0))
            .collect()
    }

    pub(super) fn risk_input(
        &self,
        actor: &Actor,
        input: &RiskAreaInput,
    ) -> ServiceResult<store::NewRiskArea> {
        let region = region_code("region_code", "风险地区代码", &input.region_code)?;
        let from_on = parse_date("from_on", &input.from_on)?;
        let until_on = opt_text(&input.until_on)
            .map(|d| parse_date("until_on", &d))
            .transpose()?;
        if until_on.is_some_and(|u| u < from_on) {
            return Err(ServiceError::invalid(
                "until_on",
                "截止日期不能早于起始日期",
            ));
        }
        let level = parse_level("level", &input.level)?;
        let region_name = match opt_text(&input.region_name) {
            Some(n) if n.chars().count() > 50 => {
                return Err(ServiceError::invalid(
                    "region_name",
                    "地区名称不能超过 50 个字",
                ))
            }
            Some(n) => n,
            None => province_name(&region[..2.min(region.len())])
                .filter(|_| region.len() == 2)
                .unwrap_or_else(|| region.clone()),
        };
        Ok(store::NewRiskArea {
            jurisdiction_code: input.jurisdiction_code.trim().to_string(),
            region_code: region,
            region_name,
            from_on,
            until_on,
            level: level.as_str().into(),
            set_by: actor.username.clone(),
        })
    }

    /// Sets a risk area and reclassifies, in the same transaction, every person screened in
    /// the subtree the rule applies to.
    pub async fn set_risk_area(
        &self,
        actor: &Actor,
        input: &RiskAreaInput,
    ) -> ServiceResult<RiskAreaView> {
        self.require(actor, Permission::ManageRiskAreas, "风险地区", "new")
            .await?;
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        let new = self.risk_input(actor, input)?;
        let mut tx = self.db.begin().await?;
        let id = store::insert_risk_area(&mut tx, &new, self.clock.now()).await?;
        let moved = reclassify(&mut tx, code.as_str()).await?;
        let audit = actor.audit(
            Action::RiskAreaSet,
            Outcome::Success,
            "风险地区",
            id.to_string(),
            Some(code.to_string()),
            format!(
                "{} {} 起 {}，{moved} 人改变等级",
                new.region_name,
                new.from_on,
                level_of("risk_areas", "level", &new.level)?.zh()
            ),
        );
        commit_audited(tx, &audit).await?;
        self.written_risk_area(id, moved).await
    }

    /// Changes a risk area (its place, days or level); persons are reclassified.
    pub async fn update_risk_area(
        &self,
        actor: &Actor,
        id: i64,
        input: &RiskAreaInput,
    ) -> ServiceResult<RiskAreaView> {
        self.require(
            actor,
            Permission::ManageRiskAreas,
            "风险地区",
            &id.to_string(),
        )
        .await?;
        let row = store::risk_area(&self.db, id).await?;
        let old = self
            .own(actor, "风险地区", id, row, |r| &r.jurisdiction_code)
            .await?;
        let new = self.risk_input(actor, input)?;
        let mut tx = self.db.begin().await?;
        store::update_risk_area(&mut tx, id, &new, self.clock.now()).await?;
        let moved = reclassify(&mut tx, &old.jurisdiction_code).await?;
        let audit = actor.audit(
            Action::RiskAreaSet,
            Outcome::Success,
            "风险地区",
            id.to_string(),
            Some(old.jurisdiction_code.clone()),
            format!(
                "{} {} → {}，{moved} 人改变等级",
                new.region_name,
                level_of("risk_areas", "level", &old.level)?.zh(),
                level_of("risk_areas", "level", &new.level)?.zh()
            ),
        );
        commit_audited(tx, &audit).await?;
        self.written_risk_area(id, moved).await
    }

    /// A risk area as just written, with the number of persons whose level it changed.
    async fn written_risk_area(&self, id: i64, moved: i64) -> ServiceResult<RiskAreaView> {
        let row = store::risk_area(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("risk area vanished".into()))?;
        risk_view(row, moved)
    }
}

/// Recomputes the risk class of every person screened under `code`; returns how many moved.
pub(super) async fn reclassify(tx: &mut dualtrack_store::Tx, code: &str) -> ServiceResult<i64> {
    let all = store::risk_areas_tx(tx).await?;
    let (lo, hi) = Code::parse(code)
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .subtree_range();
    let persons = store::screened_in(tx, &lo, &hi).await?;
    let mut by_grid: HashMap<String, Vec<RiskRule>> = HashMap::new();
    let mut moved = 0;
    for p in &persons {
        let rules = match by_grid.entry(p.grid_code.clone()) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(rules_for(&all, &p.grid_code)?),
        };
        let level = class_of(p, rules);
        if level.as_str() != p.risk_level {
            store::set_risk(tx, p.id, level.as_str()).await?;
            moved += 1;
        }
    }
    Ok(moved)
}
