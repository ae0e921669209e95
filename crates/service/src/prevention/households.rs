//! Households of a grid and their visits.

use super::*;

impl App {
    pub async fn list_households(
        &self,
        actor: &Actor,
        raw: &str,
    ) -> ServiceResult<Vec<HouseholdView>> {
        let g = self.grid_with(actor, Permission::ReadGridWork, raw).await?;
        store::households(&self.db, &g.code)
            .await?
            .into_iter()
            .map(|h| household_view(&self.crypto, h))
            .collect()
    }

    pub async fn add_household(
        &self,
        actor: &Actor,
        raw: &str,
        input: &HouseholdInput,
    ) -> ServiceResult<Written<HouseholdView>> {
        self.once(
            actor,
            "household",
            &input.idempotency_key,
            &(raw, input),
            |claim| self.write_add_household(actor, raw, input, claim),
            |rid| async move {
                let h = self.household_in_scope(actor, rid).await?;
                household_view(&self.crypto, h)
            },
        )
        .await
    }

    pub(super) async fn write_add_household(
        &self,
        actor: &Actor,
        raw: &str,
        input: &HouseholdInput,
        claim: Option<Claim>,
    ) -> ServiceResult<HouseholdView> {
        let g = self
            .grid_with(actor, Permission::WriteGridWork, raw)
            .await?;
        let address = text("address", "住址", &input.address, 100)?;
        let head = text("head_name", "户主姓名", &input.head_name, 30)?;
        let sealer = self.crypto.sealer();
        let sealed = (&sealer.seal_text(&address), &sealer.seal_text(&head));
        let key = sealer.key_id();
        let mut tx = self.db.begin().await?;
        let id =
            store::insert_household(&mut tx, &g.code, sealed, key.as_deref(), self.clock.now())
                .await?;
        // The address is personal data, sealed in the table: the audit log names the grid.
        let audit = actor.audit(
            Action::HouseholdCreate,
            Outcome::Success,
            "户",
            id.to_string(),
            Some(g.code.clone()),
            format!("网格 {} 登记住户", g.code),
        );
        commit_created(tx, claim.as_ref(), id, &audit).await?;
        let h = self.household_in_scope(actor, id).await?;
        household_view(&self.crypto, h)
    }

    pub(super) async fn household_in_scope(
        &self,
        actor: &Actor,
        id: i64,
    ) -> ServiceResult<store::HouseholdRow> {
        let row = store::household(&self.db, id).await?;
        self.own(actor, "户", id, row, |h| &h.grid_code).await
    }

    /// Records a household screened on a day (a visit with nobody to add, say).
    pub async fn visit_household(
        &self,
        actor: &Actor,
        id: i64,
        input: &VisitInput,
    ) -> ServiceResult<Written<HouseholdView>> {
        self.once(
            actor,
            "household_visit",
            &input.idempotency_key,
            &(id, input),
            |claim| self.write_visit_household(actor, id, input, claim),
            |rid| async move {
                let h = self.household_in_scope(actor, rid).await?;
                household_view(&self.crypto, h)
            },
        )
        .await
    }

    pub(super) async fn write_visit_household(
        &self,
        actor: &Actor,
        id: i64,
        input: &VisitInput,
        claim: Option<Claim>,
    ) -> ServiceResult<HouseholdView> {
        self.require(actor, Permission::WriteGridWork, "户", &id.to_string())
            .await?;
        let h = self.household_in_scope(actor, id).await?;
        let on = self.past_day("visited_on", &input.visited_on)?;
        let note: String = input.note.trim().chars().take(200).collect();
        let mut tx = self.db.begin().await?;
        store::visit(
            &mut tx,
            id,
            &h.grid_code,
            on,
            &note,
            &actor.username,
            self.clock.now(),
        )
        .await?;
        let audit = actor.audit(
            Action::HouseholdVisit,
            Outcome::Success,
            "户",
            id.to_string(),
            Some(h.grid_code.clone()),
            on.to_string(),
        );
        commit_created(tx, claim.as_ref(), id, &audit).await?;
        let h = self.household_in_scope(actor, id).await?;
        household_view(&self.crypto, h)
    }
}
