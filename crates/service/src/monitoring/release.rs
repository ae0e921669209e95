//! Releasing a case, resuming it, and the audited unmasking.

use super::*;

impl App {
    /// Releases a case; before its planned end only with a reason (a doctor's decision),
    /// which the audit row records.
    pub async fn release_case(
        &self,
        actor: &Actor,
        id: i64,
        input: &ReleaseInput,
    ) -> ServiceResult<CaseView> {
        let now = self.now();
        let today = reporting_day(now);
        let c = self
            .case_with(actor, Permission::ManageMonitoring, id)
            .await?;
        let on = match input
            .released_on
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => today,
            Some(s) => parse_date("released_on", s)?,
        };
        let reason = opt_text("reason", "提前解除理由", &input.reason, 200)?;
        if on < c.start_date {
            return Err(ServiceError::invalid(
                "released_on",
                format!("解除日期不能早于开始日期 {}", c.start_date),
            ));
        }
        if on > today {
            return Err(ServiceError::invalid("released_on", "解除日期不能晚于今天"));
        }
        if on < c.planned_end && reason.is_none() {
            return Err(ServiceError::invalid(
                "reason",
                format!(
                    "计划 {} 解除，提前解除须填写理由（如 经医生评估提前解除）",
                    c.planned_end
                ),
            ));
        }
        if c.status == CaseStatus::Released.as_str() {
            return Err(ServiceError::conflict("status", "该对象已经解除"));
        }
        // The reason is sealed like the case's other values (a detail of the person's health),
        // and the audit row says only that one was given.
        let sealed = self.crypto.sealer().seal_opt(reason.as_deref());
        let mut tx = self.db.begin().await?;
        if !store::release(&mut tx, &c, on, &actor.username, sealed.as_deref()).await? {
            return Err(ServiceError::conflict("status", "该对象已经解除"));
        }
        let audit = actor.audit(
            Action::MonitoringRelease,
            Outcome::Success,
            "隔离监测对象",
            id.to_string(),
            Some(c.jurisdiction_code.clone()),
            match &reason {
                Some(_) if on < c.planned_end => {
                    format!("{on} 提前解除（计划 {}），已填写理由", c.planned_end)
                }
                _ => format!("{on} 解除"),
            },
        );
        commit_audited(tx, &audit).await?;
        let row = self
            .stored_case(id)
            .await?
            .ok_or_else(|| ServiceError::Internal(format!("隔离监测对象 {id} 未找到")))?;
        case_view(row, now)
    }

    /// Puts a referred case back under monitoring when the fever clinic has ruled the person
    /// out; the finding is required and sealed with the case (its recording audited), and the
    /// next follow-up falls due an interval from now.
    pub async fn resume_case(
        &self,
        actor: &Actor,
        id: i64,
        input: &ResumeInput,
    ) -> ServiceResult<CaseView> {
        let now = self.now();
        let c = self
            .case_with(actor, Permission::ManageMonitoring, id)
            .await?;
        let finding = text("finding", "发热门诊结论", &input.finding, 200)?;
        let not_referred = || ServiceError::conflict("status", "该对象不在转诊中，无需恢复监测");
        if c.status != CaseStatus::Referred.as_str() {
            return Err(not_referred());
        }
        // Sealed like the case's other values (a detail of the person's health); the audit row
        // says only that it was recorded.
        let sealed = self.crypto.seal(&finding);
        let mut tx = self.db.begin().await?;
        let due = next_due(now, self.followup_interval_hours);
        if !store::resume(&mut tx, id, due, &sealed).await? {
            return Err(not_referred());
        }
        let audit = actor.audit(
            Action::MonitoringResume,
            Outcome::Success,
            "隔离监测对象",
            id.to_string(),
            Some(c.jurisdiction_code.clone()),
            format!(
                "自{}返回，恢复监测，已记录发热门诊结论",
                c.referral_clinic.as_deref().unwrap_or("发热门诊")
            ),
        );
        commit_audited(tx, &audit).await?;
        let row = self
            .stored_case(id)
            .await?
            .ok_or_else(|| ServiceError::Internal(format!("隔离监测对象 {id} 未找到")))?;
        case_view(row, now)
    }

    /// A case's name, ID number and phone in full; audited.
    pub async fn unmask_case(&self, actor: &Actor, id: i64) -> ServiceResult<UnmaskedCase> {
        let c = self
            .reveal(
                actor,
                Permission::ReadMonitoring,
                "隔离监测对象",
                &id.to_string(),
                || async {
                    let c = self.own_case(actor, id).await?;
                    let place = c.jurisdiction_code.clone();
                    Ok((c, place))
                },
            )
            .await?;
        Ok(UnmaskedCase {
            id,
            name: c.name,
            id_number: c.id_number,
            phone: c.phone,
        })
    }
}
