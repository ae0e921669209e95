//! The checks on a passage as entered: time, vehicle, origin, travel history, travellers and
//! the hand-over each traveller going on gets.

use super::*;

impl App {
    /// Where a destination lies: a division code inside the region (checked to exist), or
    /// text outside it. Gives (code, text).
    pub(super) async fn destination(
        &self,
        field: &'static str,
        label: &str,
        raw: &str,
    ) -> ServiceResult<(Option<String>, String)> {
        let v = text(field, label, raw, 200, true)?;
        if looks_like_code(&v) {
            match self.name_of(&v).await? {
                Some(name) => Ok((Some(v), name)),
                None => Err(ServiceError::invalid(
                    field,
                    format!("{label}区划代码“{v}”不在本平台区域内；区域外的目的地请填写地名"),
                )),
            }
        } else {
            Ok((None, v))
        }
    }

    pub(super) async fn check_passage(
        &self,
        actor: &Actor,
        c: &CheckpointRow,
        input: &PassageInput,
        key: Option<String>,
    ) -> ServiceResult<NewPassage> {
        let now = self.now();
        let (passed_at, pass_date) = passed_at_of(c, input, now, self.phone_time_max_hours)?;
        let (plate, vehicle_class) = vehicle_of(input)?;
        let (origin_code, origin_text) = self.origin_of(input).await?;
        let travel_history = travel_history_of(input)?;
        let reason = text("reason", "事由", &input.reason, 300, false)?;
        let (dest_code, dest_text) = self
            .destination("destination", "目的地", &input.destination)
            .await?;
        if input.travellers.is_empty() {
            return Err(ServiceError::invalid(
                "travellers",
                "请至少登记一名驾乘人员",
            ));
        }
        if input.travellers.len() > MAX_TRAVELLERS {
            return Err(ServiceError::invalid(
                "travellers",
                format!("一次登记不超过 {MAX_TRAVELLERS} 人"),
            ));
        }
        let has_vehicle = plate.is_some();
        let due_at = now + Duration::hours(i64::from(self.handover_overdue_hours));
        let mut receivers = HashMap::new();
        let mut travellers = Vec::with_capacity(input.travellers.len());
        let mut seen = std::collections::HashSet::new();
        for (i, t) in input.travellers.iter().enumerate() {
            let w = who(i, has_vehicle);
            let name = text(tfield(i, 0), &format!("{w}的姓名"), &t.name, 50, true)?;
            let id = ResidentId::parse(&t.id_number, self.today())
                .map_err(|e| ServiceError::invalid(tfield(i, 1), format!("{w}（{name}）：{e}")))?;
            if !seen.insert(id.as_str().to_string()) {
                return Err(ServiceError::invalid(
                    tfield(i, 1),
                    format!("{w}（{name}）：身份证号与前面的人重复"),
                ));
            }
            let phone = match t.phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(p) => Some(validate_phone(p).map_err(|m| {
                    ServiceError::invalid(tfield(i, 2), format!("{w}（{name}）：{m}"))
                })?),
                None => None,
            };
            let celsius = match &t.temperature {
                NumberOrText::Number(n) => Some(*n),
                NumberOrText::Text(s) => s
                    .trim()
                    .trim_end_matches(['℃', 'C', 'c'])
                    .trim()
                    .parse::<f64>()
                    .ok(),
            };
            let temperature = celsius
                .ok_or_else(|| {
                    ServiceError::invalid(
                        tfield(i, 3),
                        format!("{w}（{name}）：请填写体温（℃），如 36.5"),
                    )
                })
                .and_then(|c| {
                    temperature_tenths(c).map_err(|m| {
                        ServiceError::invalid(tfield(i, 3), format!("{w}（{name}）：{m}"))
                    })
                })?;
            let outcome = PassageOutcome::parse(&t.outcome).ok_or_else(|| {
                ServiceError::invalid(
                    tfield(i, 4),
                    format!(
                        "{w}（{name}）：处置结果“{}”无效，应为：放行、劝返、留观、送隔离",
                        t.outcome.trim()
                    ),
                )
            })?;
            let (destination_code, destination_text) = match t
                .destination
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                Some(d) => {
                    self.destination(tfield(i, 5), &format!("{w}（{name}）的目的地"), d)
                        .await?
                }
                None => (dest_code.clone(), dest_text.clone()),
            };
            let handover = match &destination_code {
                Some(code) if outcome.goes_on() => Some(NewHandover {
                    to_code: self.receiver_of(code, &mut receivers).await?,
                    due_at,
                    acknowledged: None,
                }),
                _ => None,
            };
            // Sealed under one key per traveller (see `crypto`), with the ID number's blind index.
            let sealer = self.crypto.sealer();
            travellers.push(NewTraveller {
                is_driver: i == 0 && has_vehicle,
                name: sealer.seal(&name),
                id_number: sealer.seal(id.as_str()),
                phone: sealer.seal_opt(phone.as_deref()),
                id_bidx: Some(self.crypto.blind_index(id.as_str())),
                enc_key: sealer.key_id(),
                temperature,
                fever: is_fever(temperature),
                outcome: outcome.as_str().into(),
                destination_code,
                destination_text,
                handover,
            });
        }
        Ok(NewPassage {
            checkpoint_id: c.id,
            jurisdiction_code: c.jurisdiction_code.clone(),
            passed_at,
            pass_date,
            plate,
            vehicle_class,
            origin_code,
            origin_text,
            travel_history,
            reason,
            idempotency_key: key,
            recorded_by: actor.username.clone(),
            travellers,
        })
    }

    /// Where the vehicle or persons come from: a place code (named) or a place name.
    async fn origin_of(&self, input: &PassageInput) -> ServiceResult<(Option<String>, String)> {
        let origin = text("origin", "来自何处", &input.origin, 200, true)?;
        if looks_like_code(&origin) {
            let valid = matches!(origin.len(), 2 | 4 | 6 | 9 | 12);
            if !valid {
                return Err(ServiceError::invalid(
                    "origin",
                    format!("来源区划代码“{origin}”无效：应为 2、4、6、9 或 12 位，或直接填写地名"),
                ));
            }
            // A place of the region by its name; one outside by its full national name
            // (420100 → 湖北省武汉市).
            let name = match self.name_of(&origin).await? {
                Some(name) => name,
                None => self
                    .place_path(&origin)
                    .await?
                    .unwrap_or_else(|| origin.clone()),
            };
            Ok((Some(origin.clone()), name))
        } else {
            Ok((None, origin))
        }
    }
}

/// The time of a passage (now when not given; the phone's time when it comes from its
/// outbox, within the bounds of [`crate::input::phone_time`]) and its reporting day, in the
/// checkpoint's active days. The server's own time of the writing is kept beside it.
fn passed_at_of(
    c: &CheckpointRow,
    input: &PassageInput,
    now: DateTime<Utc>,
    max_hours: u32,
) -> ServiceResult<(DateTime<Utc>, NaiveDate)> {
    let passed_at = crate::input::phone_time(
        "passed_at",
        "通行时间",
        input.passed_at.as_deref(),
        now,
        max_hours,
    )?
    .unwrap_or_else(|| now.trunc_subsecs(6));
    let pass_date = reporting_day(passed_at);
    if pass_date < c.active_from || matches!(c.active_until, Some(u) if pass_date > u) {
        return Err(ServiceError::invalid(
            "passed_at",
            format!("卡口“{}”在 {pass_date} 未启用", c.name),
        ));
    }
    Ok((passed_at, pass_date))
}

/// The plate and the vehicle class, both or neither.
fn vehicle_of(input: &PassageInput) -> ServiceResult<(Option<String>, Option<String>)> {
    let plate = match input
        .plate
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(p) => Some(parse_plate(p).map_err(|m| ServiceError::invalid("plate", m))?),
        None => None,
    };
    let vehicle_class = match (
        &plate,
        input
            .vehicle_class
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty()),
    ) {
        (None, None) => None,
        (None, Some(_)) => {
            return Err(ServiceError::invalid(
                "plate",
                "填写了车辆类型，请同时填写车牌号",
            ))
        }
        (Some(_), None) => {
            return Err(ServiceError::invalid(
                "vehicle_class",
                "请选择车辆类型：小客车、客车、货车、其他",
            ))
        }
        (Some(_), Some(v)) => Some(
            VehicleClass::parse(v)
                .ok_or_else(|| {
                    ServiceError::invalid(
                        "vehicle_class",
                        format!("车辆类型“{v}”无效，应为：小客车、客车、货车、其他"),
                    )
                })?
                .as_str()
                .to_string(),
        ),
    };
    Ok((plate, vehicle_class))
}

/// The 14 days' travel history, as text or a list joined.
fn travel_history_of(input: &PassageInput) -> ServiceResult<String> {
    let history = match &input.travel_history {
        TextOrList::Text(t) => t.trim().to_string(),
        TextOrList::List(l) => l
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("；"),
    };
    text("travel_history", "14 天旅居史", &history, 1000, false)
}
