//! Acknowledging a hand-over, forwarding it, and the audited unmasking.

use super::*;
use crate::idempotency::{commit_created, Claim};
use dualtrack_store::phone_time::{self, PhoneTimed};

impl App {
    /// A hand-over the actor's place has received, for one who may act on it.
    async fn handover_to_act_on(&self, actor: &Actor, id: i64) -> ServiceResult<HandoverRow> {
        self.require(actor, Permission::WriteGridWork, KIND, &id.to_string())
            .await?;
        self.own_handover(actor, id).await
    }

    /// Acknowledges a hand-over; with a measure, opens the case (home or central
    /// quarantine, or health monitoring) for the person in the same transaction. Audited.
    /// With a client's idempotency key, an acknowledgement sent again (a phone's outbox
    /// after a lost answer) answers the hand-over and writes nothing more.
    pub async fn acknowledge_handover(
        &self,
        actor: &Actor,
        id: i64,
        input: &AcknowledgeInput,
    ) -> ServiceResult<HandoverDetail> {
        let w = self
            .once(
                actor,
                "handover_acknowledge",
                &input.idempotency_key,
                &(id, input),
                |claim| self.write_acknowledgement(actor, id, input, claim),
                |rid| self.handover(actor, rid),
            )
            .await?;
        Ok(w.record)
    }

    async fn write_acknowledgement(
        &self,
        actor: &Actor,
        id: i64,
        input: &AcknowledgeInput,
        claim: Option<Claim>,
    ) -> ServiceResult<HandoverDetail> {
        let h = self.handover_to_act_on(actor, id).await?;
        let now = self.now();
        let note = optional_text("note", "备注", &input.note, 300)?;
        let made_at = self.phone_time("made_at", "接收时间", &input.made_at)?;
        // Acknowledged when the phone did it (an outbox sends it later), never before the
        // hand-over was made: that time counts for punctuality.
        let at = made_at.map_or(now, |m| m.max(h.made_at));
        let measure = input
            .measure
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty() && *s != "none" && *s != "无需管控");
        let already = || ServiceError::conflict("status", "该交接已经接收");
        if h.status != HandoverStatus::Pending.as_str() {
            return Err(already());
        }
        let case = match measure {
            None => None,
            Some(m) => {
                self.require(actor, Permission::ManageMonitoring, KIND, &id.to_string())
                    .await?;
                let kind = CaseKind::parse(m).ok_or_else(|| {
                    ServiceError::invalid(
                        "measure",
                        format!("管控措施“{m}”无效，应为 无需管控、居家隔离、集中隔离 或 健康监测"),
                    )
                })?;
                if h.to_code.len() < 12 {
                    return Err(ServiceError::invalid(
                        "measure",
                        "交接在乡镇或以上，请先转派到村（社区）或网格，再由其接收并建立隔离或监测",
                    ));
                }
                let place = input.place.clone().unwrap_or_default();
                let last_exposure = match input
                    .last_exposure
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                {
                    Some(s) => parse_date("last_exposure", s)?.to_string(),
                    None => reporting_day(h.passed_at).to_string(),
                };
                let case_input = CaseInput {
                    idempotency_key: None,
                    kind: kind.as_str().into(),
                    name: h.name.clone(),
                    id_number: h.id_number.clone(),
                    phone: h.phone.clone(),
                    screened_person_id: None,
                    traveller_id: Some(h.traveller_id),
                    jurisdiction_code: h.to_code.clone(),
                    place,
                    reason: format!(
                        "自{}经{}来青（{}），落地交接",
                        h.origin_text,
                        h.checkpoint_name,
                        outcome_of(&h.outcome)?.zh()
                    ),
                    last_exposure,
                    start_date: None,
                    responsible: input.responsible.clone(),
                };
                Some(self.check_case(actor, &case_input, now).await?)
            }
        };
        let mut tx = self.db.begin().await?;
        let case_id = match &case {
            Some(new) => Some(self.write_case(&mut tx, actor, new, now).await?),
            None => None,
        };
        if !store::acknowledge(&mut tx, id, &actor.username, &note, case_id, at, now).await? {
            return Err(already());
        }
        phone_time::keep(&mut tx, PhoneTimed::HandoverAcknowledged, id, made_at).await?;
        let late = if h.due_at < at {
            format!("，超时 {} 分钟", (at - h.due_at).num_minutes())
        } else {
            String::new()
        };
        let audit = actor.audit(
            Action::HandoverAcknowledge,
            Outcome::Success,
            KIND,
            id.to_string(),
            Some(h.to_code.clone()),
            match (&case, case_id) {
                (Some(c), Some(cid)) => format!(
                    "接收{late}，建立{} {cid}",
                    CaseKind::parse(&c.kind).map(|k| k.zh()).unwrap_or("")
                ),
                _ => format!("接收{late}"),
            },
        );
        commit_created(tx, claim.as_ref(), id, &audit).await?;
        self.handover(actor, id).await
    }

    /// Passes a pending hand-over down to a grid or village under the place that holds it;
    /// its due time starts again and access moves with it. Audited.
    pub async fn forward_handover(
        &self,
        actor: &Actor,
        id: i64,
        input: &ForwardInput,
    ) -> ServiceResult<HandoverView> {
        let h = self.handover_to_act_on(actor, id).await?;
        let now = self.now();
        let to = self.place_in_scope(actor, "to", &input.to).await?;
        let note = optional_text("note", "备注", &input.note, 300)?;
        let held = Code::parse(&h.to_code).map_err(|e| ServiceError::Internal(e.to_string()))?;
        if to.as_str() == h.to_code || !to.is_within(&held) {
            return Err(ServiceError::invalid(
                "to",
                format!("只能转派到{}下属的村（社区）或网格", h.to_code),
            ));
        }
        if h.status != HandoverStatus::Pending.as_str() {
            return Err(ServiceError::conflict(
                "status",
                "该交接已经接收，不能再转派",
            ));
        }
        let due_at = now + Duration::hours(i64::from(self.handover_overdue_hours));
        let mut tx = self.db.begin().await?;
        if !store::forward(
            &mut tx,
            id,
            &h.to_code,
            to.as_str(),
            due_at,
            &actor.username,
            &note,
            now,
        )
        .await?
        {
            return Err(ServiceError::conflict(
                "status",
                "该交接刚刚被接收或转派，请刷新",
            ));
        }
        let audit = actor.audit(
            Action::HandoverForward,
            Outcome::Success,
            KIND,
            id.to_string(),
            Some(to.to_string()),
            format!("自 {} 转派至 {to}", h.to_code),
        );
        commit_audited(tx, &audit).await?;
        let row = self
            .crypto
            .opened_opt(store::handover(&self.db, id).await?)?
            .ok_or_else(|| ServiceError::Internal(format!("交接 {id} 未找到")))?;
        let names = self
            .handover_names(std::slice::from_ref(&row.to_code))
            .await?;
        view(row, &names, now)
    }

    /// The person of a hand-over in full (name, ID number, phone); audited.
    pub async fn unmask_handover(
        &self,
        actor: &Actor,
        id: i64,
    ) -> ServiceResult<UnmaskedTravellerOf> {
        let h = self
            .reveal(
                actor,
                Permission::ReadGridWork,
                KIND,
                &id.to_string(),
                || async {
                    let h = self.own_handover(actor, id).await?;
                    let place = h.to_code.clone();
                    Ok((h, place))
                },
            )
            .await?;
        Ok(UnmaskedTravellerOf {
            id,
            name: h.name,
            id_number: h.id_number,
            phone: h.phone,
        })
    }
}
