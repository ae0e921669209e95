//! Hand-overs received: the receiving place of a destination, lists and detail.

use super::*;

impl App {
    /// The place a traveller bound for `code` is handed to (looked up once per code).
    pub(crate) async fn receiver_of(
        &self,
        code: &str,
        seen: &mut HashMap<String, String>,
    ) -> ServiceResult<String> {
        if let Some(r) = seen.get(code) {
            return Ok(r.clone());
        }
        let parsed = Code::parse(code).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let grids: Vec<String> = if parsed.level() == Level::Village {
            jurisdiction::children(&self.db, code)
                .await?
                .into_iter()
                .map(|n| n.code)
                .collect()
        } else {
            Vec::new()
        };
        let r = receiving_place(&parsed, &grids);
        seen.insert(code.to_string(), r.clone());
        Ok(r)
    }

    pub(crate) async fn handover_names(
        &self,
        codes: &[String],
    ) -> ServiceResult<HashMap<String, String>> {
        Ok(jurisdiction::names_of(&self.db, codes).await?)
    }

    /// A hand-over the actor's place has received; elsewhere "not found", audited.
    pub(super) async fn own_handover(&self, actor: &Actor, id: i64) -> ServiceResult<HandoverRow> {
        let row = self
            .crypto
            .opened_opt(store::handover(&self.db, id).await?)?;
        self.own(actor, KIND, id, row, |h| &h.to_code).await
    }

    /// Hand-overs of the actor's scope (or a place within it): those received and pending,
    /// overdue or acknowledged, or those its checkpoints sent.
    pub async fn handovers(
        &self,
        actor: &Actor,
        q: &HandoversQuery,
    ) -> ServiceResult<Vec<HandoverView>> {
        let which = q.which.as_deref().map(str::trim).unwrap_or("pending");
        let permission = if which == "sent" {
            Permission::ReadCheckpoints
        } else {
            Permission::ReadGridWork
        };
        self.require(actor, permission, KIND, "list").await?;
        let scope = self.narrowed(actor, &q.place).await?;
        let now = self.now();
        let limit = q.limit.unwrap_or(100).clamp(1, 500);
        let offset = q.offset.unwrap_or(0);
        if !(0..=10_000_000).contains(&offset) {
            return Err(ServiceError::invalid("offset", "跳过条数应为非负整数"));
        }
        let rows = self.crypto.opened_all(match which {
            "pending" | "" => {
                store::received(&self.db, &scope, Which::Pending, now, limit, offset).await?
            }
            "overdue" => {
                store::received(&self.db, &scope, Which::Overdue, now, limit, offset).await?
            }
            "acknowledged" => {
                store::received(&self.db, &scope, Which::Acknowledged, now, limit, offset).await?
            }
            "sent" => {
                let staff = restricted_to(actor);
                store::sent(&self.db, &scope, staff, now, limit, offset).await?
            }
            other => {
                return Err(ServiceError::invalid(
                    "which",
                    format!("列表“{other}”无效，应为 pending、overdue、acknowledged 或 sent"),
                ))
            }
        })?;
        let codes: Vec<String> = rows.iter().map(|r| r.to_code.clone()).collect();
        let names = self.handover_names(&codes).await?;
        let sent = which == "sent";
        rows.into_iter()
            .map(|r| {
                let mut v = view(r, &names, now)?;
                if sent {
                    // The sending side sees how its hand-overs stand, not the person's details.
                    v.phone = None;
                    v.travel_history = String::new();
                }
                Ok(v)
            })
            .collect()
    }

    /// One hand-over with its history and, while pending, the places it may be passed to.
    pub async fn handover(&self, actor: &Actor, id: i64) -> ServiceResult<HandoverDetail> {
        self.require(actor, Permission::ReadGridWork, KIND, &id.to_string())
            .await?;
        let now = self.now();
        let h = self.own_handover(actor, id).await?.as_of(now);
        let mut events = store::events(&self.db, id).await?;
        events.retain(|e| e.at <= now);
        let mut codes: Vec<String> = vec![h.to_code.clone(), h.from_code.clone()];
        codes.extend(events.iter().map(|e| e.to_code.clone()));
        let names = self.handover_names(&codes).await?;
        let name = |c: &str| names.get(c).cloned().unwrap_or_else(|| c.to_string());
        let mut history = vec![HandoverStep {
            at: h.made_at,
            kind: "made".into(),
            what: format!(
                "{}登记，目的地{}，推送落地交接",
                h.checkpoint_name, h.destination_text
            ),
            by: String::new(),
        }];
        for e in &events {
            history.push(HandoverStep {
                at: e.at,
                kind: e.kind.clone(),
                what: if e.note.is_empty() {
                    format!("转派至{}", name(&e.to_code))
                } else {
                    format!("转派至{}：{}", name(&e.to_code), e.note)
                },
                by: e.actor.clone(),
            });
        }
        if let (Some(at), Some(by)) = (h.acknowledged_at, h.acknowledged_by.clone()) {
            history.push(HandoverStep {
                at,
                kind: "acknowledge".into(),
                what: match (&h.case_id, h.note.is_empty()) {
                    (Some(c), _) => format!("{}接收，建立隔离或监测对象 {c}", name(&h.to_code)),
                    (None, true) => format!("{}接收", name(&h.to_code)),
                    (None, false) => format!("{}接收：{}", name(&h.to_code), h.note),
                },
                by,
            });
        }
        let places_below = if h.status == HandoverStatus::Pending.as_str() {
            self.places_below(actor, &h.to_code).await?
        } else {
            Vec::new()
        };
        let can_open_case = h.to_code.len() >= 12;
        Ok(HandoverDetail {
            handover: view(h, &names, now)?,
            history,
            places_below,
            can_open_case,
        })
    }

    /// The grids and villages under a place that a hand-over may be passed down to.
    pub(super) async fn places_below(
        &self,
        actor: &Actor,
        code: &str,
    ) -> ServiceResult<Vec<PlaceOption>> {
        if code.len() >= 15 {
            return Ok(Vec::new());
        }
        Ok(jurisdiction::children(&self.db, code)
            .await?
            .into_iter()
            .filter(|n| {
                Code::parse(&n.code)
                    .map(|c| actor.scope.contains(&c))
                    .unwrap_or(false)
            })
            .map(|n| PlaceOption {
                code: n.code,
                name: n.name,
            })
            .collect())
    }
}
