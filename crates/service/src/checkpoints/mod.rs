//! Checkpoints (卡口): the checkpoints on the roads with their shifts and the people on duty,
//! the passages registered at the barrier with each traveller's temperature and outcome, and
//! the counts per checkpoint and day and per county.
//!
//! Scope: a checkpoint, its shifts and passages belong to the checkpoint's place; outside the
//! caller's subtree each answers "not found". A checkpoint worker (卡口工作人员) holds an
//! account bound to a jurisdiction, but sees and registers only at the checkpoints assigned
//! to it: any other checkpoint, even in its own county, answers "not found" too.
//!
//! Personal data: lists show ID numbers and phones masked; a traveller is unmasked by a
//! separate call that needs `Unmask` and is audited.
//!
//! Retries: a client sends an idempotency key with each registration; a second submission
//! with the same key (a retry on a bad network) returns the passage written the first time
//! and writes nothing.

use crate::actor::commit_audited;
use crate::crypto::FieldCrypto;
use crate::idempotency::{keep, Claim};
use crate::input::{parse_date, stored_code as code_of, text_of as text};
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, SubsecRound, Utc};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::checkpoints::{
    is_fever, parse_plate, temperature_tenths, CheckpointKind, PassageOutcome, VehicleClass,
};
use dualtrack_domain::jurisdiction::Code;
use dualtrack_domain::resident_id::{mask_id, mask_phone, validate_phone, ResidentId};
use dualtrack_domain::role::{Permission, Role};
use dualtrack_domain::time::reporting_day;
use dualtrack_store::checkpoints::{
    self as store, CheckpointRow, Counts, NewCheckpoint, NewPassage, NewShift, NewTraveller,
    PassageRow, TravellerRow,
};
use dualtrack_store::decode;
use dualtrack_store::handovers::NewHandover;
use dualtrack_store::jurisdiction;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;
use utoipa::{IntoParams, ToSchema};

mod checkpoint;
mod counts;
mod passage_input;
mod passages;
mod shifts;

/// The most travellers one passage may carry (a full coach with its crew).
pub const MAX_TRAVELLERS: usize = 80;
const PAGE: i64 = 50;

// ---- views and inputs ----

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CheckpointInput {
    /// 卡口名称，如 格尔木南出口
    pub name: String,
    /// 道路，如 G109 京拉线
    pub road: String,
    /// 位置描述
    #[serde(default)]
    pub place: String,
    /// 所属区划（乡镇或县级）代码
    pub jurisdiction_code: String,
    /// road 公路卡口、station 火车站、airport 机场（或中文名）
    pub kind: String,
    /// 启用日期
    pub active_from: String,
    /// 撤除日期（可空）
    #[serde(default)]
    pub active_until: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckpointView {
    pub id: i64,
    pub name: String,
    pub road: String,
    pub place: String,
    pub jurisdiction_code: String,
    pub kind: CheckpointKind,
    pub kind_name: String,
    pub active_from: NaiveDate,
    pub active_until: Option<NaiveDate>,
}

impl CheckpointView {
    /// The county the checkpoint stands in (its code's first six digits): destinations there
    /// come first in the place picker.
    pub fn county_code(&self) -> &str {
        self.jurisdiction_code
            .get(..6)
            .unwrap_or(&self.jurisdiction_code)
    }
}

fn checkpoint_view(c: CheckpointRow) -> ServiceResult<CheckpointView> {
    let kind = decode("checkpoints", "kind", &c.kind, CheckpointKind::parse)?;
    Ok(CheckpointView {
        id: c.id,
        name: c.name,
        road: c.road,
        place: c.place,
        jurisdiction_code: c.jurisdiction_code,
        kind_name: kind.zh().into(),
        kind,
        active_from: c.active_from,
        active_until: c.active_until,
    })
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct CountsView {
    /// 登记次数（车次或步行人次）
    pub passages: i64,
    /// 车辆数
    pub vehicles: i64,
    /// 人数
    pub persons: i64,
    /// 发热（≥ 37.3 ℃）人数
    pub fevers: i64,
    /// 放行
    pub let_through: i64,
    /// 劝返
    pub turned_back: i64,
    /// 留观
    pub observed: i64,
    /// 送隔离
    pub quarantined: i64,
}

impl From<Counts> for CountsView {
    fn from(c: Counts) -> Self {
        CountsView {
            passages: c.passages,
            vehicles: c.vehicles,
            persons: c.persons,
            fevers: c.fevers,
            let_through: c.let_through,
            turned_back: c.turned_back,
            observed: c.observed,
            quarantined: c.quarantined,
        }
    }
}

impl CountsView {
    fn add(&mut self, o: &CountsView) {
        self.passages += o.passages;
        self.vehicles += o.vehicles;
        self.persons += o.persons;
        self.fevers += o.fevers;
        self.let_through += o.let_through;
        self.turned_back += o.turned_back;
        self.observed += o.observed;
        self.quarantined += o.quarantined;
    }
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct StaffInput {
    /// 卡口工作人员的账户名
    pub username: String,
    /// true 表示不再在此卡口工作
    pub remove: Option<bool>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffView {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckpointDetail {
    pub checkpoint: CheckpointView,
    /// 在此卡口工作的账户
    pub staff: Vec<String>,
    /// 今天（或所查日期）的统计
    pub day: NaiveDate,
    pub counts: CountsView,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ShiftInput {
    /// 日期
    pub shift_date: String,
    /// 开始时间，如 08:00
    pub starts_at: String,
    /// 结束时间，如 20:00（早于开始即跨夜）
    pub ends_at: String,
    /// 值守人员（人员库编号），至少一人
    pub person_ids: Vec<i64>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OnDuty {
    pub person_id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShiftView {
    pub id: i64,
    pub checkpoint_id: i64,
    pub shift_date: NaiveDate,
    pub starts_at: String,
    pub ends_at: String,
    pub note: String,
    pub on_duty: Vec<OnDuty>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct ShiftsQuery {
    /// 自该日起（默认 7 天前）
    pub from: Option<String>,
}

/// A number, or text holding one (as a form sends it).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(untagged)]
pub enum NumberOrText {
    Number(f64),
    Text(String),
}

/// Text, or a list of lines.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(untagged)]
pub enum TextOrList {
    Text(String),
    List(Vec<String>),
}

impl Default for TextOrList {
    fn default() -> Self {
        TextOrList::Text(String::new())
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct TravellerInput {
    pub name: String,
    /// 公民身份号码（18 位，GB 11643 校验）
    pub id_number: String,
    /// 电话（可空）
    #[serde(default)]
    pub phone: Option<String>,
    /// 体温 ℃（35.0–42.0；≥ 37.3 记为发热）
    pub temperature: NumberOrText,
    /// through 放行、turned_back 劝返、observation 留观、quarantine 送隔离（或中文名）
    pub outcome: String,
    /// 本人目的地（可空：同本次登记的目的地）
    #[serde(default)]
    pub destination: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct PassageInput {
    /// 客户端生成的幂等键：网络不好重复提交时，同一键只登记一次（也可放在请求头 Idempotency-Key）
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// 通行时间（RFC 3339，可空：现在）
    #[serde(default)]
    pub passed_at: Option<String>,
    /// 车牌号，如 青H·12345（可空：步行）
    #[serde(default)]
    pub plate: Option<String>,
    /// car 小客车、bus 客车、truck 货车、other 其他（有车牌时必填）
    #[serde(default)]
    pub vehicle_class: Option<String>,
    /// 来自：区划代码或地名
    pub origin: String,
    /// 14 天旅居史（文字或逐条列出）
    #[serde(default)]
    pub travel_history: TextOrList,
    /// 目的地：本区域内填区划代码，区域外填地名
    pub destination: String,
    /// 事由
    #[serde(default)]
    pub reason: String,
    /// 驾乘人员，有车时第一位为驾驶员
    pub travellers: Vec<TravellerInput>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TravellerView {
    /// 序号（从 1 起）
    pub n: i32,
    pub is_driver: bool,
    pub name: String,
    /// 身份证号（脱敏）
    pub id_number: String,
    /// 电话（脱敏）
    pub phone: Option<String>,
    /// 体温 ℃
    pub temperature: f64,
    /// 是否发热（≥ 37.3 ℃）
    pub fever: bool,
    pub outcome: PassageOutcome,
    pub outcome_name: String,
    /// 目的地区划代码（本区域内）
    pub destination_code: Option<String>,
    /// 目的地（区域外地名，或区域内的名称）
    pub destination_text: String,
    /// 交接记录（交接上线后关联）
    pub handover_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PassageView {
    pub id: i64,
    pub checkpoint_id: i64,
    pub checkpoint_name: String,
    pub jurisdiction_code: String,
    pub passed_at: DateTime<Utc>,
    pub pass_date: NaiveDate,
    pub plate: Option<String>,
    pub vehicle_class: Option<VehicleClass>,
    pub vehicle_class_name: Option<String>,
    pub origin_code: Option<String>,
    pub origin: String,
    pub travel_history: String,
    pub reason: String,
    pub persons: i32,
    pub fevers: i32,
    pub recorded_by: String,
    pub travellers: Vec<TravellerView>,
}

/// A traveller as shown (masked), its sealed fields opened.
fn traveller_view(crypto: &FieldCrypto, mut t: TravellerRow) -> ServiceResult<TravellerView> {
    open_traveller(crypto, &mut t)?;
    let outcome = decode(
        "passage_travellers",
        "outcome",
        &t.outcome,
        PassageOutcome::parse,
    )?;
    Ok(TravellerView {
        n: t.seq,
        is_driver: t.is_driver,
        name: t.name,
        id_number: mask_id(&t.id_number),
        phone: t.phone.as_deref().map(mask_phone),
        temperature: f64::from(t.temperature) / 10.0,
        fever: t.fever,
        outcome_name: outcome.zh().into(),
        outcome,
        destination_code: t.destination_code,
        destination_text: t.destination_text,
        handover_id: t.handover_id,
    })
}

/// Opens a traveller's sealed name, ID number and phone.
fn open_traveller(crypto: &FieldCrypto, t: &mut TravellerRow) -> ServiceResult<()> {
    crypto.open_in_place(&mut t.name)?;
    crypto.open_in_place(&mut t.id_number)?;
    crypto.open_opt_in_place(&mut t.phone)?;
    Ok(())
}

fn passage_view(p: PassageRow, travellers: &mut HashMap<i64, Vec<TravellerView>>) -> PassageView {
    let class = p.vehicle_class.as_deref().and_then(VehicleClass::parse);
    PassageView {
        travellers: travellers.remove(&p.id).unwrap_or_default(),
        id: p.id,
        checkpoint_id: p.checkpoint_id,
        checkpoint_name: p.checkpoint_name,
        jurisdiction_code: p.jurisdiction_code,
        passed_at: p.passed_at,
        pass_date: p.pass_date,
        plate: p.plate,
        vehicle_class_name: class.map(|c| c.zh().to_string()),
        vehicle_class: class,
        origin_code: p.origin_code,
        origin: p.origin_text,
        travel_history: p.travel_history,
        reason: p.reason,
        persons: p.persons,
        fevers: p.fevers,
        recorded_by: p.recorded_by,
    }
}

/// The outcome of a registration: the passage, and whether this call wrote it (or found it
/// written by an earlier call with the same idempotency key).
#[derive(Debug, Clone)]
pub struct Registered {
    pub passage: PassageView,
    pub created: bool,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct PassagesQuery {
    /// 只看该日（可空：全部，新的在前）
    pub date: Option<String>,
    /// 只看有该身份证号驾乘人员的登记（精确查找，末位 X 不分大小写）
    pub id_number: Option<String>,
    pub page: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnmaskedTraveller {
    pub passage_id: i64,
    pub n: i32,
    pub name: String,
    pub id_number: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct CountsQuery {
    /// 起始日期（含），默认今天
    pub from: Option<String>,
    /// 截止日期（含），默认同起始日期
    pub to: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayCountView {
    pub checkpoint_id: i64,
    pub checkpoint_name: String,
    pub date: NaiveDate,
    #[serde(flatten)]
    pub counts: CountsView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CountyCountView {
    pub county_code: String,
    pub county_name: String,
    #[serde(flatten)]
    pub counts: CountsView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckpointCounts {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// 合计
    pub total: CountsView,
    /// 各卡口逐日（新的在前）
    pub by_day: Vec<DayCountView>,
    /// 各县
    pub by_county: Vec<CountyCountView>,
}

// ---- checks on input ----

/// Field names of the n-th traveller, made once: `travellers[0].name` and so on.
static TRAVELLER_FIELDS: LazyLock<Vec<[&'static str; 6]>> = LazyLock::new(|| {
    (0..MAX_TRAVELLERS)
        .map(|i| {
            [
                "name",
                "id_number",
                "phone",
                "temperature",
                "outcome",
                "destination",
            ]
            .map(|f| &*Box::leak(format!("travellers[{i}].{f}").into_boxed_str()))
        })
        .collect()
});

fn tfield(i: usize, which: usize) -> &'static str {
    TRAVELLER_FIELDS
        .get(i)
        .map(|f| f[which])
        .unwrap_or("travellers")
}
fn looks_like_code(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())
}

fn time_of_day(field: &'static str, raw: &str) -> ServiceResult<String> {
    NaiveTime::parse_from_str(raw.trim(), "%H:%M")
        .map(|t| t.format("%H:%M").to_string())
        .map_err(|_| {
            ServiceError::invalid(
                field,
                format!("时间应为 时:分，如 08:00，收到“{}”", raw.trim()),
            )
        })
}

fn who(i: usize, has_vehicle: bool) -> String {
    if i == 0 && has_vehicle {
        "第 1 位（驾驶员）".into()
    } else {
        format!("第 {} 位", i + 1)
    }
}

/// Whether the actor sees only the checkpoints assigned to it: a checkpoint worker with no
/// other role that reads checkpoints. Gives the account to filter by.
pub fn restricted_to(actor: &Actor) -> Option<i64> {
    if actor.is_cli || !actor.has(Role::CheckpointWorker) {
        return None;
    }
    let wider = actor
        .roles
        .iter()
        .any(|r| *r != Role::CheckpointWorker && r.grants(Permission::ReadCheckpoints));
    if wider {
        None
    } else {
        Some(actor.user_id.unwrap_or(-2))
    }
}
