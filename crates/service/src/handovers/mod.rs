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

use crate::actor::commit_audited;
use crate::checkpoints::restricted_to;
use crate::input::optional_text;
use crate::input::parse_date;
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
use dualtrack_store::decode;
use dualtrack_store::handovers::{self as store, HandoverRow, OutboundRow, Which};
use dualtrack_store::jurisdiction;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

mod acknowledge;
mod erasure;
mod figures;
mod outbound;
mod received;

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
    /// 跳过的条数（分页，默认 0）
    pub offset: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct AcknowledgeInput {
    /// 客户端生成的幂等键：重复提交时同一键只记一次（也可放在请求头 Idempotency-Key）
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// 手机上确认接收的时间（RFC 3339，离线待发送箱发送时带上；不能晚于现在，不能早于补报时限）
    #[serde(default)]
    pub made_at: Option<String>,
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
    /// 删除了个人信息的摸排人员数（摸排于 passed_by 及以前）
    pub screened: u64,
    /// 解除于此日及以前的对象已删除
    pub released_by: NaiveDate,
    /// 通行于此日及以前、未成为对象的旅客已删除
    pub passed_by: NaiveDate,
    /// 写入的批数（每批一个短事务）
    pub batches: u32,
}

/// At most this many rows in one outbound list (the export has no bound).
const OUTBOUND_MAX: i64 = 50_000;
/// At most this many days in one outbound list or export.
const OUTBOUND_DAYS: i64 = 62;

fn outcome_of(raw: &str) -> ServiceResult<PassageOutcome> {
    Ok(decode(
        "passage_travellers",
        "outcome",
        raw,
        PassageOutcome::parse,
    )?)
}

fn view(
    h: HandoverRow,
    names: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> ServiceResult<HandoverView> {
    let h = h.as_of(now);
    let status = decode("handovers", "status", &h.status, HandoverStatus::parse)?;
    let overdue = status == HandoverStatus::Pending && h.due_at < now;
    let outcome = outcome_of(&h.outcome)?;
    Ok(HandoverView {
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
    })
}

fn outbound_view(r: OutboundRow) -> ServiceResult<OutboundView> {
    Ok(OutboundView {
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
        outcome_name: outcome_of(&r.outcome)?.zh().into(),
        destination: r.destination_text,
    })
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
