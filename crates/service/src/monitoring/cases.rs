//! Cases under medical observation: opening one, its checks, lists and detail.

use super::*;

impl App {
    pub(super) async fn own_case(&self, actor: &Actor, id: i64) -> ServiceResult<CaseRow> {
        let row = self.stored_case(id).await?;
        self.own(actor, "隔离监测对象", id, row, |r| {
            &r.jurisdiction_code
        })
        .await
    }

    /// The case `id` for an actor whose roles grant `p`, in the actor's jurisdiction.
    pub(super) async fn case_with(
        &self,
        actor: &Actor,
        p: Permission,
        id: i64,
    ) -> ServiceResult<CaseRow> {
        self.require(actor, p, "隔离监测对象", &id.to_string())
            .await?;
        self.own_case(actor, id).await
    }

    /// Opens a case: home or central quarantine or health monitoring, with the planned end
    /// by rule and the people responsible; audited.
    pub async fn open_case(
        &self,
        actor: &Actor,
        input: &CaseInput,
    ) -> ServiceResult<Written<CaseView>> {
        self.once(
            actor,
            "monitoring_case",
            &input.idempotency_key,
            &input,
            |claim| self.write_open_case(actor, input, claim),
            |rid| async move {
                let row = self
                    .stored_case(rid)
                    .await?
                    .ok_or_else(|| ServiceError::Internal(format!("隔离监测对象 {rid} 未找到")))?;
                case_view(row, self.now())
            },
        )
        .await
    }

    pub(super) async fn write_open_case(
        &self,
        actor: &Actor,
        input: &CaseInput,
        claim: Option<Claim>,
    ) -> ServiceResult<CaseView> {
        self.require(actor, Permission::ManageMonitoring, "隔离监测对象", "new")
            .await?;
        let now = self.now();
        let new = self.check_case(actor, input, now).await?;
        let mut tx = self.db.begin().await?;
        let id = self.write_case(&mut tx, actor, &new, now).await?;
        keep(&mut tx, claim.as_ref(), id).await?;
        tx.commit().await?;
        let row = self
            .stored_case(id)
            .await?
            .ok_or_else(|| ServiceError::Internal(format!("隔离监测对象 {id} 写入后未找到")))?;
        case_view(row, now)
    }

    /// A case to write with its name, ID number, phone, place and reason sealed under one key,
    /// and the blind index of the ID number.
    fn seal_case(&self, new: &NewCase) -> NewCase {
        let sealer = self.crypto.sealer();
        NewCase {
            name: sealer.seal(&new.name),
            id_number: sealer.seal(&new.id_number),
            phone: sealer.seal_opt(new.phone.as_deref()),
            place: sealer.seal(&new.place),
            reason: sealer.seal(&new.reason),
            id_bidx: Some(self.crypto.blind_index(&new.id_number)),
            enc_key: sealer.key_id(),
            ..new.clone()
        }
    }

    /// Fetches a case, its sealed fields opened.
    pub(super) async fn stored_case(&self, id: i64) -> ServiceResult<Option<CaseRow>> {
        Ok(self.crypto.opened_opt(store::case(&self.db, id).await?)?)
    }

    /// Writes a checked case with its audit row in the caller's transaction.
    pub(crate) async fn write_case(
        &self,
        tx: &mut dualtrack_store::Tx,
        actor: &Actor,
        new: &NewCase,
        now: DateTime<Utc>,
    ) -> ServiceResult<i64> {
        let id = store::insert_case(tx, &self.seal_case(new), now).await?;
        let kind = CaseKind::parse(&new.kind).map(|k| k.zh()).unwrap_or("");
        audit_in(
            tx,
            &actor.audit(
                Action::MonitoringCreate,
                Outcome::Success,
                "隔离监测对象",
                id.to_string(),
                Some(new.jurisdiction_code.clone()),
                format!("{kind}，计划至 {}", new.planned_end),
            ),
        )
        .await?;
        Ok(id)
    }

    /// Checks a case to open: its kind, person, place in scope, dates and the people
    /// responsible; gives the row to write.
    pub(crate) async fn check_case(
        &self,
        actor: &Actor,
        input: &CaseInput,
        now: DateTime<Utc>,
    ) -> ServiceResult<NewCase> {
        let today = reporting_day(now);
        let kind = CaseKind::parse(&input.kind).ok_or_else(|| {
            ServiceError::invalid(
                "kind",
                format!(
                    "类别“{}”无效，应为 居家隔离、集中隔离 或 健康监测",
                    input.kind.trim()
                ),
            )
        })?;
        let name = text("name", "姓名", &input.name, 30)?;
        let id_number = ResidentId::parse(&input.id_number, self.today())
            .map_err(|e| ServiceError::invalid("id_number", format!("身份证号无效：{e}")))?;
        let phone = match input
            .phone
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(p) => Some(validate_phone(p).map_err(|e| ServiceError::invalid("phone", e))?),
        };
        let place = text("place", "隔离地点", &input.place, 100)?;
        let reason = text("reason", "原因与来源", &input.reason, 200)?;
        let last_exposure = parse_date("last_exposure", &input.last_exposure)?;
        let start_date = match input
            .start_date
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => today,
            Some(s) => parse_date("start_date", s)?,
        };
        if start_date > today {
            return Err(ServiceError::invalid("start_date", "开始日期不能晚于今天"));
        }
        if last_exposure > start_date {
            return Err(ServiceError::invalid(
                "last_exposure",
                "末次暴露日期不能晚于开始日期",
            ));
        }
        if input.responsible.len() > MAX_RESPONSIBLE {
            return Err(ServiceError::invalid(
                "responsible",
                format!(
                    "包保责任人至多 {MAX_RESPONSIBLE} 名（社区干部、网格员、医生、民警、志愿者），收到 {} 名",
                    input.responsible.len()
                ),
            ));
        }
        let mut responsible = Vec::new();
        for r in &input.responsible {
            let duty = Duty::parse(&r.duty).ok_or_else(|| {
                ServiceError::invalid(
                    "responsible",
                    format!(
                        "职责“{}”无效，应为 社区干部、网格员、医生、民警 或 志愿者",
                        r.duty.trim()
                    ),
                )
            })?;
            if responsible
                .iter()
                .any(|x: &NewResponsible| x.person_id == r.person_id && x.duty == duty.as_str())
            {
                return Err(ServiceError::invalid("responsible", "包保责任人重复"));
            }
            responsible.push(NewResponsible {
                person_id: r.person_id,
                duty: duty.as_str().into(),
            });
        }
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        // The records a case is linked to are checked as ids in a path are: they decide
        // when a traveller's or a screened person's details are erased.
        if let Some(t) = input.traveller_id {
            let places = dualtrack_store::handovers::traveller_places(&self.db, t).await?;
            let inside = places
                .iter()
                .filter_map(|p| Code::parse(p).ok())
                .any(|c| actor.scope.contains(&c));
            if !inside {
                return Err(ServiceError::unknown(
                    "traveller_id",
                    format!("未找到通行登记的驾乘人员 {t}，或其不在您的管辖范围内"),
                ));
            }
        }
        if let Some(s) = input.screened_person_id {
            self.screened_in_scope(actor, s)
                .await
                .map_err(|e| e.referred_by("screened_person_id"))?;
        }
        if !matches!(code.level(), Level::Village | Level::Grid) {
            return Err(ServiceError::invalid(
                "jurisdiction_code",
                "隔离监测对象应落到网格或村（社区）",
            ));
        }
        // The responsible people come from the registry and live in the case's county.
        let ids: Vec<i64> = responsible.iter().map(|r| r.person_id).collect();
        let found: HashMap<i64, String> = store::people_places(&self.db, &ids)
            .await?
            .into_iter()
            .collect();
        let county = &code.as_str()[..6];
        for id in &ids {
            match found.get(id) {
                Some(home) if in_subtree(home, county) => {}
                _ => {
                    return Err(ServiceError::unknown(
                        "responsible",
                        format!("人员库中没有本县的人员 {id}"),
                    ))
                }
            }
        }
        let new = NewCase {
            kind: kind.as_str().into(),
            name,
            id_number: id_number.as_str().into(),
            phone,
            screened_person_id: input.screened_person_id,
            traveller_id: input.traveller_id,
            jurisdiction_code: code.to_string(),
            place,
            reason,
            last_exposure,
            start_date,
            planned_end: planned_end(last_exposure, self.monitoring_days).max(start_date),
            next_due_at: next_due(now, self.followup_interval_hours),
            created_by: actor.username.clone(),
            responsible,
            id_bidx: None,
            enc_key: None,
        };
        Ok(new)
    }

    /// Cases of the caller's scope (or a place within it), the latest first.
    pub async fn cases(&self, actor: &Actor, q: &CasesQuery) -> ServiceResult<Vec<CaseView>> {
        self.require(actor, Permission::ReadMonitoring, "隔离监测对象", "list")
            .await?;
        let now = self.now();
        let kind = match q.kind.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(k) => Some(
                CaseKind::parse(k)
                    .ok_or_else(|| ServiceError::invalid("kind", format!("类别“{k}”无效")))?
                    .as_str()
                    .to_string(),
            ),
        };
        let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(k) => Some(
                CaseStatus::parse(k)
                    .ok_or_else(|| ServiceError::invalid("status", format!("状态“{k}”无效")))?
                    .as_str()
                    .to_string(),
            ),
        };
        let scope = self.narrowed(actor, &q.place).await?;
        let filter = CaseFilter {
            kind,
            status,
            overdue_at: q.overdue.unwrap_or(false).then_some(now),
            started_by: Some(self.today()),
            id_bidx: q
                .id_number
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|n| self.crypto.blind_index(n)),
        };
        let rows = store::cases(
            &self.db,
            &scope,
            &filter,
            q.limit.unwrap_or(100).clamp(1, 500),
            q.offset.unwrap_or(0).max(0),
        )
        .await?;
        let rows = self.crypto.opened_all(rows)?;
        rows.into_iter().map(|r| case_view(r, now)).collect()
    }

    /// A case with its responsible people, follow-ups and alerts.
    pub async fn case_detail(&self, actor: &Actor, id: i64) -> ServiceResult<CaseDetail> {
        let now = self.now();
        let c = self
            .case_with(actor, Permission::ReadMonitoring, id)
            .await?;
        let followups = self.followups_of(id).await?;
        Ok(CaseDetail {
            responsible: store::responsible(&self.db, id)
                .await?
                .into_iter()
                .map(responsible_view)
                .collect::<ServiceResult<_>>()?,
            alerts: store::alerts(&self.db, id, self.now())
                .await?
                .into_iter()
                .map(|a| alert_view(&c, &followups, a))
                .collect(),
            case: case_view(c, now)?,
            followups,
        })
    }

    /// A case's follow-ups made up to now, opened, the latest first.
    async fn followups_of(&self, id: i64) -> ServiceResult<Vec<FollowupView>> {
        store::followups(&self.db, id, self.now())
            .await?
            .into_iter()
            .map(|f| followup_view(&self.crypto, f))
            .collect()
    }

    pub async fn case_followups(&self, actor: &Actor, id: i64) -> ServiceResult<Vec<FollowupView>> {
        self.case_with(actor, Permission::ReadMonitoring, id)
            .await?;
        self.followups_of(id).await
    }

    pub async fn case_alerts(&self, actor: &Actor, id: i64) -> ServiceResult<Vec<AlertView>> {
        let c = self
            .case_with(actor, Permission::ReadMonitoring, id)
            .await?;
        let followups = self.followups_of(id).await?;
        Ok(store::alerts(&self.db, id, self.now())
            .await?
            .into_iter()
            .map(|a| alert_view(&c, &followups, a))
            .collect())
    }
}
