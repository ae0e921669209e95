//! Stability records of the grids: disputes, incidents and rumours.

use super::*;
use dualtrack_store::decode;

impl App {
    pub async fn list_stability(
        &self,
        actor: &Actor,
        raw: &str,
    ) -> ServiceResult<Vec<StabilityView>> {
        let g = self.grid_with(actor, Permission::ReadGridWork, raw).await?;
        store::stability(&self.db, &g.code)
            .await?
            .into_iter()
            .map(|s| {
                let kind = decode("stability_records", "kind", &s.kind, StabilityKind::parse)?;
                let status = decode(
                    "stability_records",
                    "status",
                    &s.status,
                    StabilityStatus::parse,
                )?;
                Ok(StabilityView {
                    id: s.id,
                    grid_code: s.grid_code,
                    occurred_on: s.occurred_on,
                    kind,
                    kind_zh: kind.zh().into(),
                    summary: s.summary,
                    handling: s.handling,
                    status,
                    status_zh: status.zh().into(),
                })
            })
            .collect()
    }

    pub async fn record_stability(
        &self,
        actor: &Actor,
        raw: &str,
        input: &StabilityInput,
    ) -> ServiceResult<Written<Vec<StabilityView>>> {
        self.once(
            actor,
            "stability",
            &input.idempotency_key,
            &(raw, input),
            |claim| self.write_record_stability(actor, raw, input, claim),
            |_| self.list_stability(actor, raw),
        )
        .await
    }

    pub(super) async fn write_record_stability(
        &self,
        actor: &Actor,
        raw: &str,
        input: &StabilityInput,
        claim: Option<Claim>,
    ) -> ServiceResult<Vec<StabilityView>> {
        let g = self
            .grid_with(actor, Permission::WriteGridWork, raw)
            .await?;
        let on = self.past_day("occurred_on", &input.occurred_on)?;
        let kind = StabilityKind::parse(&input.kind).ok_or_else(|| {
            ServiceError::invalid(
                "kind",
                format!("类别应为 dispute、incident 或 rumour，收到“{}”", input.kind),
            )
        })?;
        let summary = text("summary", "事由", &input.summary, 500)?;
        let handling: String = input.handling.trim().chars().take(500).collect();
        let status = match opt_text(&input.status) {
            Some(s) => StabilityStatus::parse(&s).ok_or_else(|| {
                ServiceError::invalid(
                    "status",
                    format!("处置状态应为 open 或 resolved，收到“{s}”"),
                )
            })?,
            None => StabilityStatus::Open,
        };
        let mut tx = self.db.begin().await?;
        let id = store::insert_stability(
            &mut tx,
            &g.code,
            on,
            kind.as_str(),
            &summary,
            &handling,
            status.as_str(),
            &actor.username,
            self.clock.now(),
        )
        .await?;
        let audit = actor.audit(
            Action::StabilityRecord,
            Outcome::Success,
            "稳定记录",
            id.to_string(),
            Some(g.code.clone()),
            format!("{on} {}：{summary}", kind.zh()),
        );
        commit_created(tx, claim.as_ref(), id, &audit).await?;
        self.list_stability(actor, raw).await
    }
}
