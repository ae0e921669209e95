//! Follow-ups of a case: temperature and symptoms, and the alerts they raise.

use super::*;

impl App {
    /// Records a follow-up; the case's next follow-up falls due an interval later. An
    /// abnormal one refers the person to a fever clinic and alerts each responsible person,
    /// all in one audited transaction.
    pub async fn follow_up(
        &self,
        actor: &Actor,
        id: i64,
        input: &FollowupInput,
    ) -> ServiceResult<Written<FollowupResult>> {
        self.once(
            actor,
            "followup",
            &input.idempotency_key,
            &(id, input),
            |claim| self.write_followup(actor, id, input, claim),
            |fid| self.followup_of(actor, id, fid),
        )
        .await
    }

    /// The follow-up `fid` of the case `id` as a result that wrote no alerts.
    pub(super) async fn followup_of(
        &self,
        actor: &Actor,
        id: i64,
        fid: i64,
    ) -> ServiceResult<FollowupResult> {
        let followup = self
            .case_followups(actor, id)
            .await?
            .into_iter()
            .find(|f| f.id == fid)
            .ok_or_else(|| ServiceError::Internal(format!("随访 {fid} 未找到")))?;
        let row = self
            .stored_case(id)
            .await?
            .ok_or_else(|| ServiceError::Internal(format!("隔离监测对象 {id} 未找到")))?;
        Ok(FollowupResult {
            followup,
            case: case_view(row, self.now())?,
            alerts: 0,
        })
    }

    pub(super) async fn write_followup(
        &self,
        actor: &Actor,
        id: i64,
        input: &FollowupInput,
        claim: Option<Claim>,
    ) -> ServiceResult<FollowupResult> {
        let now = self.now();
        let c = self
            .case_with(actor, Permission::ManageMonitoring, id)
            .await?;
        let temperature = temperature_tenths(input.temperature)
            .map_err(|e| ServiceError::invalid("temperature", e))?;
        let symptoms =
            parse_symptoms(&input.symptoms).map_err(|e| ServiceError::invalid("symptoms", e))?;
        let note = opt_text("note", "备注", &input.note, 500)?.unwrap_or_default();
        let clinic = opt_text("clinic", "发热门诊", &input.clinic, 60)?
            .unwrap_or_else(|| DEFAULT_CLINIC.to_string());
        // The phone's time of recording (from its outbox) dates the follow-up unless a time
        // was typed; the row keeps the server's own time of writing beside it.
        let made_at = crate::input::phone_time(
            "made_at",
            "随访记录时间",
            input.made_at.as_deref(),
            now,
            self.phone_time_max_hours,
        )?;
        let at = match input.at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => made_at.unwrap_or(now),
            Some(s) => {
                let at = parse_time("at", s)?;
                if at > now + Duration::minutes(5) {
                    return Err(ServiceError::invalid("at", "随访时间不能晚于现在"));
                }
                at
            }
        };
        if reporting_day(at) < c.start_date {
            return Err(ServiceError::invalid("at", "随访时间不能早于开始日期"));
        }
        if c.status == CaseStatus::Released.as_str() {
            return Err(ServiceError::conflict(
                "status",
                "该对象已解除隔离或监测，不再随访",
            ));
        }
        let abnormal = is_abnormal(temperature, &symptoms);
        // The alert keeps only where the person was referred: who and how they are is
        // composed from the case and the follow-up when the alert is shown (see `alert_view`).
        let referral = abnormal.then(|| Referral {
            message: referral_note(&clinic),
            clinic: clinic.clone(),
        });
        let sealer = self.crypto.sealer();
        let new = NewFollowup {
            case_id: id,
            followed_at: at,
            temperature,
            symptoms: sealer.seal_text(&symptoms_text(&symptoms)),
            abnormal,
            note: sealer.seal_text(&note),
            recorded_by: actor.username.clone(),
            enc_key: sealer.key_id(),
        };
        let due = next_due(at, self.followup_interval_hours);
        let mut tx = self.db.begin().await?;
        let (fid, alerts) =
            store::insert_followup(&mut tx, &new, due, referral.as_ref(), now).await?;
        let audit = actor.audit(
            Action::MonitoringFollowup,
            Outcome::Success,
            "隔离监测对象",
            id.to_string(),
            Some(c.jurisdiction_code.clone()),
            if abnormal {
                format!("随访异常，转诊至{clinic}，提醒 {alerts} 名包保责任人")
            } else {
                "随访正常".into()
            },
        );
        commit_created(tx, claim.as_ref(), fid, &audit).await?;
        let row = self
            .stored_case(id)
            .await?
            .ok_or_else(|| ServiceError::Internal(format!("隔离监测对象 {id} 未找到")))?;
        let followup = store::followup(&self.db, id, fid)
            .await?
            .map(|f| followup_view(&self.crypto, f))
            .transpose()?
            .ok_or_else(|| ServiceError::Internal(format!("随访 {fid} 写入后未找到")))?;
        Ok(FollowupResult {
            followup,
            case: case_view(row, now)?,
            alerts,
        })
    }
}
