//! Checkpoints: reaching one (scope, and a worker's own), creating, listing, detail and staff.

use super::*;

impl App {
    /// A checkpoint the actor may reach, its roles granting `p`: in its scope and, for a
    /// checkpoint worker, one of its own; otherwise "not found", the refusal audited.
    pub(super) async fn cp_checkpoint(
        &self,
        actor: &Actor,
        p: Permission,
        id: i64,
    ) -> ServiceResult<CheckpointRow> {
        self.require(actor, p, "卡口", &id.to_string()).await?;
        let row = store::checkpoint(&self.db, id).await?;
        let c = self
            .own(actor, "卡口", id, row, |c| &c.jurisdiction_code)
            .await?;
        if let Some(user) = restricted_to(actor) {
            if !store::is_staff(&self.db, user, id).await? {
                let msg = format!("未找到卡口 {id}，或其不在您的管辖范围内");
                return Err(self
                    .refuse(
                        actor,
                        "卡口",
                        &id.to_string(),
                        Some(c.jurisdiction_code.clone()),
                        ServiceError::NotFound(msg),
                    )
                    .await);
            }
        }
        Ok(c)
    }

    pub(super) async fn cp_passage(&self, actor: &Actor, id: i64) -> ServiceResult<PassageRow> {
        let not_found =
            || ServiceError::NotFound(format!("未找到通行登记 {id}，或其不在您的管辖范围内"));
        let row = store::passage(&self.db, id).await?;
        let p = self
            .own(actor, "通行登记", id, row, |p| &p.jurisdiction_code)
            .await?;
        if let Some(user) = restricted_to(actor) {
            if !store::is_staff(&self.db, user, p.checkpoint_id).await? {
                return Err(
                    match self
                        .refuse(
                            actor,
                            "通行登记",
                            &id.to_string(),
                            Some(p.jurisdiction_code.clone()),
                            not_found(),
                        )
                        .await
                    {
                        ServiceError::NotFound(_) => not_found(),
                        other => other,
                    },
                );
            }
        }
        Ok(p)
    }

    /// Sets up a checkpoint in the caller's scope; audited.
    pub async fn create_checkpoint(
        &self,
        actor: &Actor,
        input: &CheckpointInput,
    ) -> ServiceResult<CheckpointView> {
        self.require(actor, Permission::ManageCheckpoints, "卡口", "new")
            .await?;
        let name = text("name", "卡口名称", &input.name, 100, true)?;
        let road = text("road", "道路", &input.road, 100, true)?;
        let place = text("place", "位置", &input.place, 300, false)?;
        let kind = CheckpointKind::parse(&input.kind).ok_or_else(|| {
            ServiceError::invalid(
                "kind",
                format!(
                    "卡口类型“{}”无效，应为：公路卡口、火车站、机场",
                    input.kind.trim()
                ),
            )
        })?;
        let code = self
            .place_in_scope(actor, "jurisdiction_code", input.jurisdiction_code.trim())
            .await?;
        if !matches!(
            code.level(),
            dualtrack_domain::jurisdiction::Level::County
                | dualtrack_domain::jurisdiction::Level::Township
        ) {
            return Err(ServiceError::invalid(
                "jurisdiction_code",
                "卡口应属于县级或乡镇（街道）",
            ));
        }
        let active_from = parse_date("active_from", &input.active_from)?;
        let active_until = match input
            .active_until
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(d) => Some(parse_date("active_until", d)?),
            None => None,
        };
        if matches!(active_until, Some(u) if u < active_from) {
            return Err(ServiceError::invalid(
                "active_until",
                "撤除日期不能早于启用日期",
            ));
        }
        let mut tx = self.db.begin().await?;
        let id = store::insert_checkpoint(
            &mut tx,
            &NewCheckpoint {
                name: name.clone(),
                road,
                place,
                jurisdiction_code: code.to_string(),
                kind: kind.as_str().into(),
                active_from,
                active_until,
                created_by: actor.username.clone(),
            },
            self.clock.now(),
        )
        .await?;
        let audit = actor.audit(
            Action::CheckpointCreate,
            Outcome::Success,
            "卡口",
            id.to_string(),
            Some(code.to_string()),
            name,
        );
        commit_audited(tx, &audit).await?;
        let row = store::checkpoint(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("卡口未找到".into()))?;
        checkpoint_view(row)
    }

    /// The checkpoints the caller may see.
    pub async fn checkpoints(&self, actor: &Actor) -> ServiceResult<Vec<CheckpointView>> {
        self.require(actor, Permission::ReadCheckpoints, "卡口", "list")
            .await?;
        store::checkpoints(&self.db, &actor.scope, restricted_to(actor))
            .await?
            .into_iter()
            .map(checkpoint_view)
            .collect()
    }

    /// A checkpoint with its staff and the counts of a day (today by default).
    pub async fn checkpoint(
        &self,
        actor: &Actor,
        id: i64,
        day: Option<&str>,
    ) -> ServiceResult<CheckpointDetail> {
        let c = self
            .cp_checkpoint(actor, Permission::ReadCheckpoints, id)
            .await?;
        let day = match day.map(str::trim).filter(|s| !s.is_empty()) {
            Some(d) => parse_date("date", d)?,
            None => self.today(),
        };
        let counts = store::counts_by_day(&self.db, &actor.scope, None, day, day, self.now())
            .await?
            .into_iter()
            .find(|r| r.checkpoint_id == id)
            .map(|r| r.counts.into())
            .unwrap_or_default();
        let staff = store::staff(&self.db, id)
            .await?
            .into_iter()
            .map(|(_, u, d)| format!("{d}（{u}）"))
            .collect();
        Ok(CheckpointDetail {
            checkpoint: checkpoint_view(c)?,
            staff,
            day,
            counts,
        })
    }

    /// Puts an account of a checkpoint worker on a checkpoint, or takes it off; the account
    /// must be in the caller's scope and its own scope must hold the checkpoint. Audited.
    pub async fn set_checkpoint_staff(
        &self,
        actor: &Actor,
        checkpoint_id: i64,
        input: &StaffInput,
    ) -> ServiceResult<Vec<StaffView>> {
        let c = self
            .cp_checkpoint(actor, Permission::ManageCheckpoints, checkpoint_id)
            .await?;
        let username = text("username", "账户名", &input.username, 64, true)?;
        let not_found = || {
            ServiceError::invalid(
                "username",
                format!("未找到账户“{username}”，或其不在您的管辖范围内"),
            )
        };
        let user = dualtrack_store::user::by_username(&self.db, &username)
            .await?
            .ok_or_else(not_found)?;
        let home = Code::parse(&user.jurisdiction_code).map_err(|_| not_found())?;
        if !actor.scope.contains(&home) {
            return Err(not_found());
        }
        let roles = dualtrack_store::user::roles(&self.db, user.id).await?;
        if !roles.iter().any(|r| r == Role::CheckpointWorker.as_str()) {
            return Err(ServiceError::invalid(
                "username",
                format!("账户“{username}”不是卡口工作人员，请先由安全管理员授予该角色"),
            ));
        }
        let place = code_of(&c.jurisdiction_code)?;
        if !place.is_within(&home) {
            return Err(ServiceError::invalid(
                "username",
                format!("账户“{username}”的辖区不含卡口“{}”所在地", c.name),
            ));
        }
        let remove = input.remove.unwrap_or(false);
        let mut tx = self.db.begin().await?;
        if remove {
            if !store::remove_staff(&mut tx, user.id, checkpoint_id).await? {
                return Err(ServiceError::invalid(
                    "username",
                    format!("账户“{username}”不在此卡口工作"),
                ));
            }
        } else {
            store::assign_staff(&mut tx, user.id, checkpoint_id).await?;
        }
        let audit = actor.audit(
            Action::CheckpointStaff,
            Outcome::Success,
            "卡口",
            checkpoint_id.to_string(),
            Some(c.jurisdiction_code),
            if remove {
                format!("{username} 不再在此卡口工作")
            } else {
                format!("{username} 在此卡口工作")
            },
        );
        commit_audited(tx, &audit).await?;
        Ok(store::staff(&self.db, checkpoint_id)
            .await?
            .into_iter()
            .map(|(id, username, display_name)| StaffView {
                user_id: id,
                username,
                display_name,
            })
            .collect())
    }
}
