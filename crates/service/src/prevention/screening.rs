//! Persons screened in a household (摸排), their list and the audited unmasking.

use super::*;
use dualtrack_store::phone_time::PhoneTimed;

impl App {
    /// A day that has begun (not in the future), China Standard Time.
    pub(super) fn past_day(&self, field: &'static str, raw: &str) -> ServiceResult<NaiveDate> {
        let d = parse_date(field, raw)?;
        if d > self.today() {
            return Err(ServiceError::invalid(field, format!("日期 {d} 还没到")));
        }
        Ok(d)
    }

    /// Screens a person of a household: validated, the risk class derived from the rules
    /// that apply to the grid, the household's visit for the day recorded.
    pub async fn screen_person(
        &self,
        actor: &Actor,
        household: i64,
        input: &ScreenInput,
    ) -> ServiceResult<Written<ScreenedView>> {
        self.once(
            actor,
            "screened_person",
            &input.idempotency_key,
            &(household, input),
            |claim| self.write_screen_person(actor, household, input, claim),
            |rid| self.get_screened(actor, rid),
        )
        .await
    }

    pub(super) async fn write_screen_person(
        &self,
        actor: &Actor,
        household: i64,
        input: &ScreenInput,
        claim: Option<Claim>,
    ) -> ServiceResult<ScreenedView> {
        self.require(
            actor,
            Permission::WriteGridWork,
            "户",
            &household.to_string(),
        )
        .await?;
        let h = self.household_in_scope(actor, household).await?;
        let name = text("name", "姓名", &input.name, 30)?;
        let id_number = ResidentId::parse(&input.id_number, self.today())
            .map_err(|e| ServiceError::invalid("id_number", e.to_string()))?;
        let phone = opt_text(&input.phone)
            .map(|p| validate_phone(&p).map_err(|e| ServiceError::invalid("phone", e)))
            .transpose()?;
        let kind = PersonKind::parse(&input.kind).ok_or_else(|| {
            ServiceError::invalid(
                "kind",
                format!("人员类别应为 resident（常住）、outsider（外来）、returned（返乡）或 back_to_work（返岗），收到“{}”", input.kind),
            )
        })?;
        let made_at = self.phone_time("made_at", "摸排登记时间", &input.made_at)?;
        // No day given: the day the phone screened the person (sent later from its outbox).
        let screened_on = match made_at {
            Some(at) if input.screened_on.trim().is_empty() => {
                dualtrack_domain::time::reporting_day(at)
            }
            _ => self.past_day("screened_on", &input.screened_on)?,
        };
        let came_from = opt_text(&input.came_from)
            .map(|c| region_code("came_from", "来源地", &c))
            .transpose()?;
        let arrived_on = opt_text(&input.arrived_on)
            .map(|d| parse_date("arrived_on", &d))
            .transpose()?;
        if let Some(a) = arrived_on {
            if a > screened_on {
                return Err(ServiceError::invalid(
                    "arrived_on",
                    "抵达日期不能晚于摸排日期",
                ));
            }
        }
        if kind != PersonKind::Resident && came_from.is_none() {
            return Err(ServiceError::invalid(
                "came_from",
                format!("{}人员请填写来源地", kind.zh()),
            ));
        }
        if input.travel.len() > 30 {
            return Err(ServiceError::invalid("travel", "行程最多 30 条"));
        }
        let mut travel = Vec::new();
        for t in &input.travel {
            let code = region_code("travel", "行程地点", &t.code)?;
            let date = parse_date("travel", &t.date)?;
            if date > screened_on || date < screened_on - chrono::Duration::days(TRAVEL_DAYS) {
                return Err(ServiceError::invalid(
                    "travel",
                    format!("行程日期 {date} 应在摸排日期前 {TRAVEL_DAYS} 天之内"),
                ));
            }
            travel.push(TravelStop { code, date });
        }
        let travel_json =
            serde_json::to_string(&travel).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let mut tx = self.db.begin().await?;
        let rules = rules_for(&store::risk_areas_tx(&mut tx).await?, &h.grid_code)?;
        let level = risk_of(
            &Exposure {
                came_from: came_from.as_deref().zip(arrived_on),
                travel: &travel,
                risk_contact: input.risk_contact,
                screened_on: Some(screened_on),
            },
            &rules,
        );
        let sealer = self.crypto.sealer();
        let row = store::NewScreened {
            household_id: h.id,
            grid_code: h.grid_code.clone(),
            name: sealer.seal_text(&name),
            id_number: sealer.seal_text(id_number.as_str()),
            phone: sealer.seal_text_opt(phone.as_deref()),
            id_bidx: Some(self.crypto.blind_index(id_number.as_str())),
            enc_key: sealer.key_id(),
            kind: kind.as_str().into(),
            came_from,
            arrived_on,
            travel: travel_json,
            risk_contact: input.risk_contact,
            risk_level: level.as_str().into(),
            screened_on,
            screened_by: actor.username.clone(),
        };
        let now = self.clock.now();
        let id = store::insert_screened(&mut tx, &row, now).await?;
        dualtrack_store::phone_time::keep(&mut tx, PhoneTimed::Screened, id, made_at).await?;
        keep(&mut tx, claim.as_ref(), id).await?;
        store::visit(
            &mut tx,
            h.id,
            &h.grid_code,
            screened_on,
            "",
            &actor.username,
            now,
        )
        .await?;
        let audit = actor.audit(
            Action::ScreeningRecord,
            Outcome::Success,
            "摸排人员",
            id.to_string(),
            Some(h.grid_code.clone()),
            // The name is sealed in the table, so not written here.
            format!("{}，{}", kind.zh(), level.zh()),
        );
        commit_audited(tx, &audit).await?;
        self.get_screened(actor, id).await
    }

    pub(crate) async fn screened_in_scope(
        &self,
        actor: &Actor,
        id: i64,
    ) -> ServiceResult<store::ScreenedRow> {
        let row = store::screened(&self.db, id).await?;
        self.own(actor, "摸排人员", id, row, |s| &s.grid_code).await
    }

    pub async fn get_screened(&self, actor: &Actor, id: i64) -> ServiceResult<ScreenedView> {
        self.require(actor, Permission::ReadGridWork, "摸排人员", &id.to_string())
            .await?;
        screened_view(&self.crypto, self.screened_in_scope(actor, id).await?)
    }

    /// Screened persons in the actor's scope (or a place of it), ID numbers and phones masked.
    pub async fn list_screened(
        &self,
        actor: &Actor,
        q: &ScreenedQuery,
    ) -> ServiceResult<Vec<ScreenedView>> {
        self.require(actor, Permission::ReadGridWork, "摸排人员", "list")
            .await?;
        let risk = match opt_text(&q.risk) {
            Some(r) => Some(parse_level("risk", &r)?),
            None => None,
        };
        let page = q.page.unwrap_or(1);
        if page < 1 {
            return Err(ServiceError::invalid("page", "页码从 1 开始"));
        }
        let scope = self.scope_at(actor, q.code.as_deref()).await?;
        let id_bidx = opt_text(&q.id_number).map(|n| self.crypto.blind_index(&n));
        let filter = store::ScreenedFilter {
            risk: risk.map(|r| r.as_str()),
            id_bidx: id_bidx.as_deref(),
        };
        let offset = crate::page_offset(page, SCREENED_PAGE);
        let rows = store::list_screened(&self.db, &scope, filter, SCREENED_PAGE, offset).await?;
        rows.into_iter()
            .map(|s| screened_view(&self.crypto, s))
            .collect()
    }

    /// The full ID number and phone of a screened person: audited every time.
    pub async fn unmask_screened(&self, actor: &Actor, id: i64) -> ServiceResult<ScreenedUnmasked> {
        let s = self
            .reveal(
                actor,
                Permission::ReadGridWork,
                "摸排人员",
                &id.to_string(),
                || async {
                    let s = self.screened_in_scope(actor, id).await?;
                    let place = s.grid_code.clone();
                    Ok((s, place))
                },
            )
            .await?;
        Ok(ScreenedUnmasked {
            id,
            id_number: self.crypto.open_text(&s.id_number)?,
            phone: self.crypto.open_text_opt(&s.phone)?,
        })
    }
}
