//! Publicity records of the grids.

use super::*;

impl App {
    pub async fn list_publicity(
        &self,
        actor: &Actor,
        raw: &str,
    ) -> ServiceResult<Vec<PublicityView>> {
        let g = self.grid_with(actor, Permission::ReadGridWork, raw).await?;
        Ok(store::publicity(&self.db, &g.code)
            .await?
            .into_iter()
            .map(|p| PublicityView {
                id: p.id,
                grid_code: p.grid_code,
                delivered_on: p.delivered_on,
                what: p.what,
                place: p.place,
                copies: p.copies,
                times: p.times,
            })
            .collect())
    }

    pub async fn record_publicity(
        &self,
        actor: &Actor,
        raw: &str,
        input: &PublicityInput,
    ) -> ServiceResult<Written<Vec<PublicityView>>> {
        self.once(
            actor,
            "publicity",
            &input.idempotency_key,
            &(raw, input),
            |claim| self.write_record_publicity(actor, raw, input, claim),
            |_| self.list_publicity(actor, raw),
        )
        .await
    }

    pub(super) async fn write_record_publicity(
        &self,
        actor: &Actor,
        raw: &str,
        input: &PublicityInput,
        claim: Option<Claim>,
    ) -> ServiceResult<Vec<PublicityView>> {
        let g = self
            .grid_with(actor, Permission::WriteGridWork, raw)
            .await?;
        let on = self.past_day("delivered_on", &input.delivered_on)?;
        let what = text("what", "宣传内容", &input.what, 100)?;
        let place = text("place", "宣传地点", &input.place, 100)?;
        if !(0..=100_000).contains(&input.copies) {
            return Err(ServiceError::invalid("copies", "份数应为 0 到 100000"));
        }
        if !(0..=1_000).contains(&input.times) {
            return Err(ServiceError::invalid("times", "次数应为 0 到 1000"));
        }
        if input.copies == 0 && input.times == 0 {
            return Err(ServiceError::invalid("copies", "请填写发放份数或宣传次数"));
        }
        let mut tx = self.db.begin().await?;
        let id = store::insert_publicity(
            &mut tx,
            &g.code,
            on,
            &what,
            &place,
            input.copies,
            input.times,
            &actor.username,
            self.clock.now(),
        )
        .await?;
        let audit = actor.audit(
            Action::PublicityRecord,
            Outcome::Success,
            "宣传记录",
            id.to_string(),
            Some(g.code.clone()),
            format!("{on} {what}（{place}）"),
        );
        commit_created(tx, claim.as_ref(), id, &audit).await?;
        self.list_publicity(actor, raw).await
    }
}
