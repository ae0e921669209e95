//! Hand-over (落地交接): a traveller registered at a checkpoint whose destination lies inside
//! the region is handed, as the passage is written, to the grid of that destination (or to
//! the village or wider place named, which passes them down). The receiving side
//! acknowledges, opening a quarantine or monitoring case for the person if called for; a
//! hand-over not acknowledged within the configured hours is overdue, and every level above
//! sees the counts by place. Destinations outside the region are outbound notices, listed
//! and exported for the places they go to.
//!
//! Ownership: a hand-over belongs to the place that receives it (`to_code`). The receiving
//! side reads it, unmasks it and acts on it; the checkpoint's side keeps its passage and sees
//! only how its hand-overs stand (masked). Passing one down moves it, and the access, to
//! the place below.
//!
//! Retention: personal data of a released case, and of the traveller it came from, is
//! erased a configured number of days after release; travellers who never became a case are
//! erased once the monitoring period and the retention period have both passed.

use crate::actor::audit_in;
use crate::checkpoints::restricted_to;
use crate::export_resumption::sheet;
use crate::input::parse_date;
use crate::input::text_of;
use crate::monitoring::{CaseInput, ResponsibleInput};
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::checkpoints::{receiving_place, HandoverStatus, PassageOutcome};
use dualtrack_domain::jurisdiction::{Code, Level, Scope};
use dualtrack_domain::monitoring::CaseKind;
use dualtrack_domain::resident_id::{mask_id, mask_phone};
use dualtrack_domain::role::Permission;
use dualtrack_domain::time::{display, reporting_day};
use dualtrack_store::handovers::{self as store, HandoverRow, OutboundRow, Which};
use dualtrack_store::jurisdiction;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

const KIND: &str = "落地交接";

// ---- views and inputs ----

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HandoverView {
    pub id: i64,
    pub status: HandoverStatus,
    pub status_name: String,
    /// 待接收且已过时限
    pub overdue: bool,
    pub overdue_minutes: i64,
    /// 接收地（网格、村或上级）区划代码与名称
    pub to_code: String,
    pub to_name: String,
    /// 卡口所在区划代码
    pub from_code: String,
    pub checkpoint_id: i64,
    pub checkpoint_name: String,
    pub passage_id: i64,
    pub traveller_id: i64,
    pub passed_at: DateTime<Utc>,
    pub made_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    pub note: String,
    /// 接收时建立的隔离或健康监测对象编号
    pub case_id: Option<i64>,
    pub name: String,
    /// 身份证号（脱敏）
    pub id_number: String,
    /// 电话（脱敏）
    pub phone: Option<String>,
    /// 体温 ℃
    pub temperature: f64,
    pub fever: bool,
    pub outcome: PassageOutcome,
    pub outcome_name: String,
    pub origin: String,
    pub travel_history: String,
    pub reason: String,
    pub plate: Option<String>,
    pub destination: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HandoverStep {
    pub at: DateTime<Utc>,
    /// made 卡口推送 / forward 转派 / acknowledge 接收
    pub kind: String,
    pub what: String,
    pub by: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaceOption {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HandoverDetail {
    pub handover: HandoverView,
    /// 经过：卡口推送、转派、接收
    pub history: Vec<HandoverStep>,
    /// 可转派到的下级（待接收时）
    pub places_below: Vec<PlaceOption>,
    /// 接收地是村（社区）或网格，可在接收时建立隔离或监测
    pub can_open_case: bool,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HandoversQuery {
    /// pending 待接收（默认）/ overdue 超时未接收 / acknowledged 已接收 / sent 本辖区卡口推送的
    pub which: Option<String>,
    /// 辖区内的地区代码（默认本人辖区）
    pub place: Option<String>,
    /// 至多返回条数（默认 100，至多 500）
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct AcknowledgeInput {
    /// 备注（如 已电话联系，人已到家）
    pub note: Option<String>,
    /// 管控措施：none 无需管控（默认）/ home 居家隔离 / central 集中隔离 / health 健康监测
    pub measure: Option<String>,
    /// 隔离地点：住址或集中隔离点（建立隔离或监测时必填）
    pub place: Option<String>,
    /// 末次暴露日期（默认通行日）
    pub last_exposure: Option<String>,
    /// 包保责任人（至多 5 名）
    #[serde(default)]
    pub responsible: Vec<ResponsibleInput>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ForwardInput {
    /// 转派到的下级网格或村（社区）区划代码
    pub to: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnmaskedTravellerOf {
    pub id: i64,
    pub name: String,
    pub id_number: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HandoverFiguresQuery {
    /// 日期 年-月-日（默认今天）：当日推送数；待接收、超时按现在计
    pub date: Option<String>,
    /// 辖区内的地区代码
    pub place: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct HandoverCounts {
    pub code: String,
    pub name: String,
    /// 当日推送
    pub made: i64,
    /// 待接收
    pub pending: i64,
    /// 超时未接收
    pub overdue: i64,
    /// 已接收
    pub acknowledged: i64,
    /// 超时后才接收
    pub acknowledged_late: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HandoverFigures {
    pub date: NaiveDate,
    pub at: DateTime<Utc>,
    pub overdue_hours: u32,
    /// 分组：county / township / village / grid
    pub by: String,
    pub total: HandoverCounts,
    pub places: Vec<HandoverCounts>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboundQuery {
    /// 起始日 年-月-日（默认今天）
    pub from: Option<String>,
    /// 截止日 年-月-日（默认同起始日）
    pub to: Option<String>,
    /// 辖区内的地区代码（卡口所在地）
    pub place: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutboundView {
    pub traveller_id: i64,
    pub passage_id: i64,
    pub checkpoint_name: String,
    pub passed_at: DateTime<Utc>,
    pub plate: Option<String>,
    pub origin: String,
    pub reason: String,
    pub name: String,
    /// 身份证号（脱敏）
    pub id_number: String,
    /// 电话（脱敏）
    pub phone: Option<String>,
    pub temperature: f64,
    pub fever: bool,
    pub outcome_name: String,
    /// 去往（州外）
    pub destination: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErasureReport {
    /// 删除了个人信息的隔离监测对象数
    pub cases: u64,
    /// 删除了个人信息的通行旅客数
    pub travellers: u64,
    /// 解除于此日及以前的对象已删除
    pub released_by: NaiveDate,
    /// 通行于此日及以前、未成为对象的旅客已删除
    pub passed_by: NaiveDate,
    /// 写入的批数（每批一个短事务）
    pub batches: u32,
}

/// At most this many rows in one outbound list or export.
const OUTBOUND_MAX: i64 = 50_000;
/// At most this many days in one outbound list or export.
const OUTBOUND_DAYS: i64 = 62;

fn outcome_of(raw: &str) -> PassageOutcome {
    PassageOutcome::parse(raw).unwrap_or(PassageOutcome::Through)
}

fn view(h: HandoverRow, names: &HashMap<String, String>, now: DateTime<Utc>) -> HandoverView {
    let status = HandoverStatus::parse(&h.status).unwrap_or(HandoverStatus::Pending);
    let overdue = status == HandoverStatus::Pending && h.due_at < now;
    let outcome = outcome_of(&h.outcome);
    HandoverView {
        id: h.id,
        status_name: status.zh().into(),
        status,
        overdue,
        overdue_minutes: if overdue {
            (now - h.due_at).num_minutes()
        } else {
            0
        },
        to_name: names.get(&h.to_code).cloned().unwrap_or_default(),
        to_code: h.to_code,
        from_code: h.from_code,
        checkpoint_id: h.checkpoint_id,
        checkpoint_name: h.checkpoint_name,
        passage_id: h.passage_id,
        traveller_id: h.traveller_id,
        passed_at: h.passed_at,
        made_at: h.made_at,
        due_at: h.due_at,
        acknowledged_at: h.acknowledged_at,
        acknowledged_by: h.acknowledged_by,
        note: h.note,
        case_id: h.case_id,
        name: h.name,
        id_number: mask_id(&h.id_number),
        phone: h.phone.as_deref().map(mask_phone),
        temperature: f64::from(h.temperature) / 10.0,
        fever: h.fever,
        outcome_name: outcome.zh().into(),
        outcome,
        origin: h.origin_text,
        travel_history: h.travel_history,
        reason: h.reason,
        plate: h.plate,
        destination: h.destination_text,
    }
}

fn outbound_view(r: OutboundRow) -> OutboundView {
    OutboundView {
        traveller_id: r.traveller_id,
        passage_id: r.passage_id,
        checkpoint_name: r.checkpoint_name,
        passed_at: r.passed_at,
        plate: r.plate,
        origin: r.origin_text,
        reason: r.reason,
        name: r.name,
        id_number: mask_id(&r.id_number),
        phone: r.phone.as_deref().map(mask_phone),
        temperature: f64::from(r.temperature) / 10.0,
        fever: r.fever,
        outcome_name: outcome_of(&r.outcome).zh().into(),
        destination: r.destination_text,
    }
}

/// The length of the codes a scope's counts are grouped by, and its name.
fn grouping(scope: &Scope) -> (i32, &'static str) {
    match scope.code().map(|c| c.level()) {
        None | Some(Level::Province) | Some(Level::Prefecture) => (6, "county"),
        Some(Level::County) => (9, "township"),
        Some(Level::Township) => (12, "village"),
        Some(Level::Village) | Some(Level::Grid) => (15, "grid"),
    }
}

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
    async fn own_handover(&self, actor: &Actor, id: i64) -> ServiceResult<HandoverRow> {
        let row = store::handover(&self.db, id).await?;
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
        let rows = match which {
            "pending" | "" => store::received(&self.db, &scope, Which::Pending, now, limit).await?,
            "overdue" => store::received(&self.db, &scope, Which::Overdue, now, limit).await?,
            "acknowledged" => {
                store::received(&self.db, &scope, Which::Acknowledged, now, limit).await?
            }
            "sent" => store::sent(&self.db, &scope, restricted_to(actor), limit).await?,
            other => {
                return Err(ServiceError::invalid(
                    "which",
                    format!("列表“{other}”无效，应为 pending、overdue、acknowledged 或 sent"),
                ))
            }
        };
        let codes: Vec<String> = rows.iter().map(|r| r.to_code.clone()).collect();
        let names = self.handover_names(&codes).await?;
        let sent = which == "sent";
        Ok(rows
            .into_iter()
            .map(|r| {
                let mut v = view(r, &names, now);
                if sent {
                    // The sending side sees how its hand-overs stand, not the person's details.
                    v.phone = None;
                    v.travel_history = String::new();
                }
                v
            })
            .collect())
    }

    /// One hand-over with its history and, while pending, the places it may be passed to.
    pub async fn handover(&self, actor: &Actor, id: i64) -> ServiceResult<HandoverDetail> {
        self.require(actor, Permission::ReadGridWork, KIND, &id.to_string())
            .await?;
        let h = self.own_handover(actor, id).await?;
        let now = self.now();
        let events = store::events(&self.db, id).await?;
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
            handover: view(h, &names, now),
            history,
            places_below,
            can_open_case,
        })
    }

    /// The grids and villages under a place that a hand-over may be passed down to.
    async fn places_below(&self, actor: &Actor, code: &str) -> ServiceResult<Vec<PlaceOption>> {
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

    /// Acknowledges a hand-over; with a measure, opens the case (home or central
    /// quarantine, or health monitoring) for the person in the same transaction. Audited.
    pub async fn acknowledge_handover(
        &self,
        actor: &Actor,
        id: i64,
        input: &AcknowledgeInput,
    ) -> ServiceResult<HandoverDetail> {
        self.require(actor, Permission::WriteGridWork, KIND, &id.to_string())
            .await?;
        let h = self.own_handover(actor, id).await?;
        let now = self.now();
        let note = text_of(
            "note",
            "备注",
            input.note.as_deref().unwrap_or(""),
            300,
            false,
        )?;
        let measure = input
            .measure
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty() && *s != "none" && *s != "无需管控");
        let already = || ServiceError::Conflict {
            field: "status",
            message: "该交接已经接收".into(),
        };
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
                        "自{}经{}入境（{}），落地交接",
                        h.origin_text,
                        h.checkpoint_name,
                        outcome_of(&h.outcome).zh()
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
        if !store::acknowledge(&mut tx, id, &actor.username, &note, case_id, now).await? {
            return Err(already());
        }
        let late = if h.due_at < now {
            format!("，超时 {} 分钟", (now - h.due_at).num_minutes())
        } else {
            String::new()
        };
        audit_in(
            &mut tx,
            &actor.audit(
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
            ),
        )
        .await?;
        tx.commit().await?;
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
        self.require(actor, Permission::WriteGridWork, KIND, &id.to_string())
            .await?;
        let h = self.own_handover(actor, id).await?;
        let now = self.now();
        let to = self.place_in_scope(actor, "to", &input.to).await?;
        let note = text_of(
            "note",
            "备注",
            input.note.as_deref().unwrap_or(""),
            300,
            false,
        )?;
        let held = Code::parse(&h.to_code).map_err(|e| ServiceError::Internal(e.to_string()))?;
        if to.as_str() == h.to_code || !to.is_within(&held) {
            return Err(ServiceError::invalid(
                "to",
                format!("只能转派到{}下属的村（社区）或网格", h.to_code),
            ));
        }
        if h.status != HandoverStatus::Pending.as_str() {
            return Err(ServiceError::Conflict {
                field: "status",
                message: "该交接已经接收，不能再转派".into(),
            });
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
            return Err(ServiceError::Conflict {
                field: "status",
                message: "该交接刚刚被接收或转派，请刷新".into(),
            });
        }
        audit_in(
            &mut tx,
            &actor.audit(
                Action::HandoverForward,
                Outcome::Success,
                KIND,
                id.to_string(),
                Some(to.to_string()),
                format!("自 {} 转派至 {to}", h.to_code),
            ),
        )
        .await?;
        tx.commit().await?;
        let row = store::handover(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal(format!("交接 {id} 未找到")))?;
        let names = self
            .handover_names(std::slice::from_ref(&row.to_code))
            .await?;
        Ok(view(row, &names, now))
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

    /// Hand-overs by place below the scope: made on the day, and as of now those pending,
    /// overdue and acknowledged (late or not).
    pub async fn handover_figures(
        &self,
        actor: &Actor,
        q: &HandoverFiguresQuery,
    ) -> ServiceResult<HandoverFigures> {
        self.require(actor, Permission::ReadGridWork, KIND, "figures")
            .await?;
        let now = self.now();
        let date = match q.date.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => reporting_day(now),
            Some(s) => parse_date("date", s)?,
        };
        let scope = self.narrowed(actor, &q.place).await?;
        let (len, by) = grouping(&scope);
        let rows = store::counts_by_place(&self.db, &scope, len, date, now).await?;
        let mut codes: Vec<String> = rows.iter().map(|r| r.place.clone()).collect();
        let scope_code = scope.code().map(|c| c.to_string()).unwrap_or_default();
        codes.push(scope_code.clone());
        let names = self.handover_names(&codes).await?;
        let mut total = HandoverCounts {
            name: names.get(&scope_code).cloned().unwrap_or_default(),
            code: scope_code,
            ..Default::default()
        };
        let places = rows
            .into_iter()
            .map(|r| {
                total.made += r.made;
                total.pending += r.pending;
                total.overdue += r.overdue;
                total.acknowledged += r.acknowledged;
                total.acknowledged_late += r.acknowledged_late;
                HandoverCounts {
                    name: names.get(&r.place).cloned().unwrap_or_default(),
                    code: r.place,
                    made: r.made,
                    pending: r.pending,
                    overdue: r.overdue,
                    acknowledged: r.acknowledged,
                    acknowledged_late: r.acknowledged_late,
                }
            })
            .collect();
        Ok(HandoverFigures {
            date,
            at: now,
            overdue_hours: self.handover_overdue_hours,
            by: by.into(),
            total,
            places,
        })
    }

    fn outbound_days(&self, q: &OutboundQuery) -> ServiceResult<(NaiveDate, NaiveDate)> {
        let today = reporting_day(self.now());
        let from = match q.from.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => today,
            Some(s) => parse_date("from", s)?,
        };
        let to = match q.to.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => from,
            Some(s) => parse_date("to", s)?,
        };
        if to < from {
            return Err(ServiceError::invalid("to", "截止日不能早于起始日"));
        }
        if (to - from).num_days() >= OUTBOUND_DAYS {
            return Err(ServiceError::invalid(
                "to",
                format!("一次至多 {OUTBOUND_DAYS} 天"),
            ));
        }
        Ok((from, to))
    }

    /// Travellers who passed the checkpoints of the scope bound for places outside the
    /// region (outbound notices), masked.
    pub async fn outbound_notices(
        &self,
        actor: &Actor,
        q: &OutboundQuery,
    ) -> ServiceResult<Vec<OutboundView>> {
        self.require(actor, Permission::ReadCheckpoints, "外出通报", "list")
            .await?;
        let (from, to) = self.outbound_days(q)?;
        let scope = self.narrowed(actor, &q.place).await?;
        Ok(store::outbound(
            &self.db,
            &scope,
            restricted_to(actor),
            from,
            to,
            OUTBOUND_MAX,
        )
        .await?
        .into_iter()
        .map(outbound_view)
        .collect())
    }

    /// The outbound notices as a workbook for the places they go to; ID numbers and phones
    /// in full only with `unmask` (which needs the right), and the export audited.
    pub async fn export_outbound(
        &self,
        actor: &Actor,
        q: &OutboundQuery,
        unmask: bool,
    ) -> ServiceResult<Vec<u8>> {
        self.require(actor, Permission::ReadCheckpoints, "外出通报", "export")
            .await?;
        if unmask {
            self.require_unmask(actor, Permission::ReadCheckpoints, "外出通报", "export")
                .await?;
        }
        let (from, to) = self.outbound_days(q)?;
        let scope = self.narrowed(actor, &q.place).await?;
        let rows: Vec<Vec<String>> = store::outbound(
            &self.db,
            &scope,
            restricted_to(actor),
            from,
            to,
            OUTBOUND_MAX,
        )
        .await?
        .into_iter()
        .map(|r| {
            let (id_number, phone) = if unmask {
                (r.id_number.clone(), r.phone.clone().unwrap_or_default())
            } else {
                (
                    mask_id(&r.id_number),
                    r.phone.as_deref().map(mask_phone).unwrap_or_default(),
                )
            };
            vec![
                display(r.passed_at),
                r.checkpoint_name,
                r.plate.unwrap_or_default(),
                r.name,
                id_number,
                phone,
                format!("{:.1}", f64::from(r.temperature) / 10.0),
                outcome_of(&r.outcome).zh().to_string(),
                r.origin_text,
                r.destination_text,
                r.reason,
            ]
        })
        .collect();
        let kind = if unmask {
            "外出通报（明文）"
        } else {
            "外出通报"
        };
        self.audited_workbook(
            actor,
            kind,
            &[sheet(
                "外出通报",
                &[
                    "通行时间（北京时间）",
                    "卡口",
                    "车牌",
                    "姓名",
                    "身份证号",
                    "电话",
                    "体温 ℃",
                    "处置",
                    "来自",
                    "去往",
                    "事由",
                ],
                rows,
            )],
        )
        .await
    }

    /// Erases the personal data whose retention period has passed (see the module notes);
    /// the command line and the server's hourly run call it. It writes in batches of at
    /// most [`App::job_batch`] rows, each its own short transaction, so that other writers
    /// wait for a batch at most, not for the run; one audit row says what the run erased.
    pub async fn erase_expired(&self, actor: &Actor) -> ServiceResult<ErasureReport> {
        if !actor.is_cli {
            return Err(ServiceError::Forbidden(
                "个人信息到期删除只由系统按期执行".into(),
            ));
        }
        let today = reporting_day(self.now());
        let released_by = today - Duration::days(i64::from(self.retention_days));
        let passed_by = released_by - Duration::days(i64::from(self.monitoring_days));
        let mut report = ErasureReport {
            cases: 0,
            travellers: 0,
            released_by,
            passed_by,
            batches: 0,
        };
        let run = self.erase_in_batches(&mut report, today).await;
        let outcome = if run.is_ok() {
            Outcome::Success
        } else {
            Outcome::Failure
        };
        let mut tx = self.db.begin().await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::RetentionErase,
                outcome,
                "个人信息",
                today.to_string(),
                None,
                format!(
                    "保存期 {} 天：删除隔离监测对象 {} 人、通行旅客 {} 人的姓名、身份证号与电话（{} 批）{}",
                    self.retention_days,
                    report.cases,
                    report.travellers,
                    report.batches,
                    if run.is_ok() { "" } else { "，中途出错" }
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        run?;
        Ok(report)
    }

    /// The batches of an erasure: cases first, then travellers, a stretch of the travellers
    /// not erased yet at a time (read outside the write, checked again by it).
    async fn erase_in_batches(&self, r: &mut ErasureReport, today: NaiveDate) -> ServiceResult<()> {
        let batch = self.job_batch.max(1);
        let limit = i64::try_from(batch).unwrap_or(i64::MAX);
        loop {
            let (mut tx, _turn) = self.db.begin_job().await?;
            let n = store::erase_cases(&mut tx, r.released_by, today, limit).await?;
            tx.commit().await?;
            r.cases += n;
            r.batches += 1;
            if n < batch as u64 {
                break;
            }
        }
        let mut after = 0;
        let span = limit.saturating_mul(8);
        while let Some(upto) = store::unerased_after(&self.db, after, span).await? {
            let ids = store::travellers_to_erase(&self.db, after, upto, r.released_by, r.passed_by)
                .await?;
            for chunk in ids.chunks(batch) {
                let (mut tx, _turn) = self.db.begin_job().await?;
                let n = store::erase_travellers(&mut tx, chunk, r.released_by, r.passed_by, today)
                    .await?;
                tx.commit().await?;
                r.travellers += n;
                r.batches += 1;
            }
            after = upto;
        }
        Ok(())
    }
}
