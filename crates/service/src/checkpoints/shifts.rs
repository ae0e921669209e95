//! The shifts of a checkpoint.

use super::*;

impl App {
    pub async fn checkpoint_shifts(
        &self,
        actor: &Actor,
        id: i64,
        q: &ShiftsQuery,
    ) -> ServiceResult<Vec<ShiftView>> {
        self.cp_checkpoint(actor, Permission::ReadCheckpoints, id)
            .await?;
        let from = match q.from.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(d) => parse_date("from", d)?,
            None => self.today() - Duration::days(7),
        };
        self.shifts_from(id, from).await
    }

    pub(super) async fn shifts_from(
        &self,
        id: i64,
        from: NaiveDate,
    ) -> ServiceResult<Vec<ShiftView>> {
        let mut people: BTreeMap<i64, Vec<OnDuty>> = BTreeMap::new();
        for (shift, person_id, name) in store::shift_people(&self.db, id, from).await? {
            people
                .entry(shift)
                .or_default()
                .push(OnDuty { person_id, name });
        }
        Ok(store::shifts(&self.db, id, from, 200)
            .await?
            .into_iter()
            .map(|s| ShiftView {
                on_duty: people.remove(&s.id).unwrap_or_default(),
                id: s.id,
                checkpoint_id: s.checkpoint_id,
                shift_date: s.shift_date,
                starts_at: s.starts_at,
                ends_at: s.ends_at,
                note: s.note,
            })
            .collect())
    }

    /// Puts people of the registry on duty at a checkpoint for a shift; audited.
    pub async fn add_checkpoint_shift(
        &self,
        actor: &Actor,
        id: i64,
        input: &ShiftInput,
    ) -> ServiceResult<ShiftView> {
        let c = self
            .cp_checkpoint(actor, Permission::ManageCheckpoints, id)
            .await?;
        let shift_date = parse_date("shift_date", &input.shift_date)?;
        let starts_at = time_of_day("starts_at", &input.starts_at)?;
        let ends_at = time_of_day("ends_at", &input.ends_at)?;
        let note = text("note", "备注", &input.note, 300, false)?;
        if input.person_ids.is_empty() {
            return Err(ServiceError::invalid(
                "person_ids",
                "请至少选择一名值守人员",
            ));
        }
        if input.person_ids.len() > 50 {
            return Err(ServiceError::invalid(
                "person_ids",
                "一个班次的值守人员不超过 50 人",
            ));
        }
        for pid in &input.person_ids {
            let p = dualtrack_store::mobilisation::person(&self.db, *pid).await?;
            let ok = match &p {
                Some(p) => actor.scope.contains(&code_of(&p.jurisdiction_code)?),
                None => false,
            };
            if !ok {
                return Err(ServiceError::unknown(
                    "person_ids",
                    format!("人员 {pid} 不存在或不在您的管辖范围内"),
                ));
            }
        }
        let mut tx = self.db.begin().await?;
        let shift = store::insert_shift(
            &mut tx,
            &NewShift {
                checkpoint_id: id,
                shift_date,
                starts_at: starts_at.clone(),
                ends_at: ends_at.clone(),
                note,
                created_by: actor.username.clone(),
                people: input.person_ids.clone(),
            },
            self.clock.now(),
        )
        .await?;
        let audit = actor.audit(
            Action::CheckpointShift,
            Outcome::Success,
            "卡口",
            id.to_string(),
            Some(c.jurisdiction_code),
            format!(
                "{} {shift_date} {starts_at}–{ends_at}，{} 人值守",
                c.name,
                input.person_ids.len()
            ),
        );
        commit_audited(tx, &audit).await?;
        self.shifts_from(id, shift_date)
            .await?
            .into_iter()
            .find(|s| s.id == shift)
            .ok_or_else(|| ServiceError::Internal("班次未找到".into()))
    }
}
