//! Supplies (物资保障): prevention materials (masks, disinfectant, thermometers, protective
//! suits) and spring-farming inputs (fertiliser, seed, film, pesticide, fuel), from stock to
//! delivery.
//!
//! - The catalogue of items with their units (and packs: a box of 50 masks), extended by a
//!   system administrator.
//! - Stores belonging to a place: a county store, a township station, a checkpoint's box.
//! - Stock moves only as movements: receipts, issues, transfers between stores, dispatches
//!   and arrivals of allocations, adjustments with a reason. The balance of any store on any
//!   date is computed, never edited; a movement that would take any day's balance below zero
//!   is refused. Retries carry an idempotency key: the second submission returns the first
//!   movement and writes nothing.
//! - Needs declared by places, requests to the level above, allocations from its stores
//!   (dispatched at once, in transit until the receiving place confirms arrival), shortfalls
//!   (need less stock less deliveries in transit) as of any date, low-stock warnings by days
//!   of cover at current use, and the spring-farming progress of each township.
//!
//! Scope: a store, need, request and plan belong to their place; an allocation to its
//! destination (and is seen by its source). Outside the caller's subtree each answers "not
//! found"; a transfer or allocation to a store outside it is refused naming the field.

use crate::actor::commit_audited;
use crate::idempotency::commit_created;
use crate::ServiceResult;
use chrono::{DateTime, NaiveDate, Utc};
use dualtrack_domain::supplies::{
    Crop, DeliveryStatus, ItemCategory, ItemKind, MovementKind, NeedBasis, RequestStatus, StoreKind,
};
use dualtrack_store::decode;
use dualtrack_store::supplies::{ItemRow, StoreRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

mod balances;
mod catalogue;
mod context;
mod farming;
mod movements;
mod needs;
mod requests;

pub mod export;
pub mod import;

pub use balances::Closed;

const PAGE: i64 = 50;

// ---- views and inputs ----

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ItemInput {
    /// 品名（唯一），如 医用防护口罩（N95）
    pub name: String,
    /// 类别：mask 口罩、disinfectant 消毒用品、thermometer 体温计、protective_suit 防护服、
    /// goggles 护目镜、gloves 手套、fertiliser 化肥、seed 种子、film 农膜、pesticide 农药、fuel 燃油、
    /// other_prevention、other_farm（或中文名）
    pub kind: String,
    /// 规格或等级，如 N95、KN95、医用外科、尿素 46%
    #[serde(default)]
    pub spec: String,
    /// 种子所属作物：wolfberry 枸杞、highland_barley 青稞、rape 油菜……（或中文名）
    #[serde(default)]
    pub crop: Option<String>,
    /// 计量单位，如 个、瓶、支、套、公斤、升
    pub unit: String,
    /// 包装单位，如 箱、袋（可空）
    #[serde(default)]
    pub pack_unit: Option<String>,
    /// 每个包装单位含多少计量单位，如 每箱 50 个
    #[serde(default)]
    pub pack_size: Option<i64>,
    /// 可用天数低于此数时预警（默认 7）
    #[serde(default)]
    pub warn_days: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemView {
    pub id: i64,
    pub name: String,
    pub category: ItemCategory,
    pub category_name: String,
    pub kind: ItemKind,
    pub kind_name: String,
    pub spec: String,
    pub crop: Option<Crop>,
    pub crop_name: Option<String>,
    pub unit: String,
    pub pack_unit: Option<String>,
    pub pack_size: Option<i64>,
    pub warn_days: i64,
}

fn item_view(i: &ItemRow) -> ServiceResult<ItemView> {
    let kind = decode("supply_items", "kind", &i.kind, ItemKind::parse)?;
    let category = kind.category();
    let crop = i.crop.as_deref().and_then(Crop::parse);
    Ok(ItemView {
        id: i.id,
        name: i.name.clone(),
        category,
        category_name: category.zh().into(),
        kind,
        kind_name: kind.zh().into(),
        spec: i.spec.clone(),
        crop,
        crop_name: crop.map(|c| c.zh().to_string()),
        unit: i.unit.clone(),
        pack_unit: i.pack_unit.clone(),
        pack_size: i.pack_size,
        warn_days: i.warn_days,
    })
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct StoreInput {
    /// 名称，如 格尔木市应急物资储备库
    pub name: String,
    /// prefecture 州级储备库、county 县级仓库、township 乡镇站点、checkpoint 卡口物资箱、
    /// grid 网格（社区）物资点、other（或中文名）；须与所属区划的级别相符（州级储备库设在州或省，
    /// 县级仓库设在县，乡镇站点设在乡镇，网格物资点设在村或网格），卡口物资箱须填卡口
    pub kind: String,
    /// 所属区划（州、县、乡镇、村或网格）代码
    pub jurisdiction_code: String,
    /// 卡口物资箱所在卡口的编号
    #[serde(default)]
    pub checkpoint_id: Option<i64>,
    #[serde(default)]
    pub address: String,
    /// 保管人
    #[serde(default)]
    pub keeper: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StoreView {
    pub id: i64,
    pub name: String,
    pub kind: StoreKind,
    pub kind_name: String,
    pub jurisdiction_code: String,
    pub place_name: String,
    pub checkpoint_id: Option<i64>,
    pub address: String,
    pub keeper: String,
}

fn store_view(s: &StoreRow) -> ServiceResult<StoreView> {
    let kind = decode("supply_stores", "kind", &s.kind, StoreKind::parse)?;
    Ok(StoreView {
        id: s.id,
        name: s.name.clone(),
        kind,
        kind_name: kind.zh().into(),
        jurisdiction_code: s.jurisdiction_code.clone(),
        place_name: s.place_name.clone(),
        checkpoint_id: s.checkpoint_id,
        address: s.address.clone(),
        keeper: s.keeper.clone(),
    })
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct MovementInput {
    /// 客户端生成的幂等键：重复提交时同一键只记一次（也可放在请求头 Idempotency-Key）
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// 手机上登记的时间（RFC 3339，离线待发送箱发送时带上；不能晚于现在，不能早于补报时限）
    #[serde(default)]
    pub made_at: Option<String>,
    /// receipt 入库、issue 发放、transfer 调拨、adjust_in 盘盈调整、adjust_out 盘亏调整（或中文名）
    pub kind: String,
    /// 物资品目编号
    pub item_id: i64,
    /// 数量（整数）
    pub quantity: i64,
    /// 单位：物资的计量单位或包装单位（如 箱，按每箱数量折算）；可空即计量单位
    #[serde(default)]
    pub unit: Option<String>,
    /// 日期（默认今天，不能晚于今天）
    #[serde(default)]
    pub moved_on: Option<String>,
    /// 调拨时的调入仓库编号
    #[serde(default)]
    pub to_store_id: Option<i64>,
    /// 来源（入库）或领用单位、人员（发放，必填）
    #[serde(default)]
    pub counterparty: String,
    /// 事由；盘点调整必填
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MovementView {
    pub id: i64,
    pub kind: MovementKind,
    pub kind_name: String,
    pub item_id: i64,
    pub item_name: String,
    /// 数量（计量单位）
    pub quantity: i64,
    pub unit: String,
    /// 录入时的数量与单位
    pub entered: String,
    pub from_store_id: Option<i64>,
    pub from_store_name: Option<String>,
    pub to_store_id: Option<i64>,
    pub to_store_name: Option<String>,
    pub moved_on: NaiveDate,
    pub counterparty: String,
    pub reason: String,
    pub allocation_id: Option<i64>,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
}

/// A recorded movement, with the balance of the store it was recorded at afterwards.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordedMovement {
    pub movement: MovementView,
    /// 登记后本仓库该物资的结存
    pub balance: i64,
    /// 此次调用是否新写入（否：同一幂等键此前已登记）
    pub created: bool,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct MovementsQuery {
    pub page: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct BalancesQuery {
    /// 截至日期（含，默认今天）
    pub as_of: Option<String>,
    /// 只看该区划（辖区内）
    pub place: Option<String>,
    /// 只看该仓库
    pub store_id: Option<i64>,
    /// 只看该物资
    pub item_id: Option<i64>,
    /// prevention 防疫物资 或 farm 农资
    pub category: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BalanceLine {
    pub store_id: i64,
    pub store_name: String,
    pub jurisdiction_code: String,
    pub place_name: String,
    pub item_id: i64,
    pub item_name: String,
    pub unit: String,
    pub balance: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemTotal {
    pub item_id: i64,
    pub item_name: String,
    pub category: ItemCategory,
    pub unit: String,
    pub balance: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Balances {
    pub as_of: NaiveDate,
    /// 各仓库各物资的结存（由出入库记录算出）
    pub lines: Vec<BalanceLine>,
    /// 各物资合计
    pub totals: Vec<ItemTotal>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StoreDetail {
    pub store: StoreView,
    pub as_of: NaiveDate,
    pub balances: Vec<LowStockLine>,
    pub movements: Vec<MovementView>,
    /// 调往本仓库、尚未确认到货的物资
    pub incoming: Vec<AllocationView>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct NeedInput {
    /// 客户端生成的幂等键：重复提交时同一键只记一次（也可放在请求头 Idempotency-Key）
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// 申报需求的区划代码（乡镇、卡口所在县等）
    pub jurisdiction_code: String,
    /// 需求落到的仓库（如卡口物资箱；可空：该区划下全部仓库）
    #[serde(default)]
    pub store_id: Option<i64>,
    pub item_id: i64,
    /// total 总需求（如春耕用肥）或 daily 每日需求（如卡口每日口罩）
    pub basis: String,
    pub quantity: i64,
    /// 单位（计量单位或包装单位；可空）
    #[serde(default)]
    pub unit: Option<String>,
    /// 农资对应的作物（或中文名）
    #[serde(default)]
    pub crop: Option<String>,
    /// 作物面积（亩）
    #[serde(default)]
    pub area_mu: Option<i64>,
    /// 起始日期
    pub from_on: String,
    /// 截止日期（可空）
    #[serde(default)]
    pub until_on: Option<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NeedView {
    pub id: i64,
    pub jurisdiction_code: String,
    pub place_name: String,
    pub store_id: Option<i64>,
    pub item_id: i64,
    pub item_name: String,
    pub unit: String,
    pub basis: NeedBasis,
    pub basis_name: String,
    pub quantity: i64,
    pub crop: Option<Crop>,
    pub crop_name: Option<String>,
    pub area_mu: Option<i64>,
    pub from_on: NaiveDate,
    pub until_on: Option<NaiveDate>,
    pub note: String,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct NeedsQuery {
    /// 只看该日有效的需求
    pub on: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct RequestInput {
    /// 客户端生成的幂等键：重复提交时同一键只记一次（也可放在请求头 Idempotency-Key）
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// 接收物资的本级仓库编号（请领发往上一级）
    pub store_id: i64,
    pub item_id: i64,
    pub quantity: i64,
    #[serde(default)]
    pub unit: Option<String>,
    /// 需要到货的日期
    #[serde(default)]
    pub needed_by: Option<String>,
    /// 请领事由
    pub reason: String,
    /// 请领日期（默认今天）
    #[serde(default)]
    pub requested_on: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RequestView {
    pub id: i64,
    /// 请领单位区划
    pub jurisdiction_code: String,
    pub place_name: String,
    /// 向哪一级请领
    pub to_code: String,
    pub store_id: i64,
    pub item_id: i64,
    pub item_name: String,
    pub unit: String,
    pub quantity: i64,
    pub allocated: i64,
    pub requested_on: NaiveDate,
    pub needed_by: Option<NaiveDate>,
    pub reason: String,
    pub status: RequestStatus,
    pub status_name: String,
    pub decision_note: String,
    pub created_by: String,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct RequestsQuery {
    /// open 待分配、partly 部分分配、allocated 已分配、declined 未予分配
    pub status: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DeclineInput {
    /// 不予分配的理由
    pub note: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct AllocationInput {
    /// 所分配的请领（可空：不经请领直接调运，须给出 to_store_id 与 item_id）
    #[serde(default)]
    pub request_id: Option<i64>,
    /// 发出仓库（本级）
    pub from_store_id: i64,
    /// 收货仓库（有请领时取请领的仓库）
    #[serde(default)]
    pub to_store_id: Option<i64>,
    /// 物资（有请领时取请领的物资）
    #[serde(default)]
    pub item_id: Option<i64>,
    pub quantity: i64,
    #[serde(default)]
    pub unit: Option<String>,
    /// 发出日期（默认今天）
    #[serde(default)]
    pub allocated_on: Option<String>,
    #[serde(default)]
    pub note: String,
    /// 客户端为本次调运生成的幂等键：应答丢失后重发同一键只调运一次（不超过 100 字符）
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AllocationView {
    pub id: i64,
    pub request_id: Option<i64>,
    pub item_id: i64,
    pub item_name: String,
    pub unit: String,
    pub quantity: i64,
    pub from_store_id: i64,
    pub from_store_name: String,
    pub to_store_id: i64,
    pub to_store_name: String,
    pub jurisdiction_code: String,
    pub allocated_on: NaiveDate,
    pub status: DeliveryStatus,
    pub status_name: String,
    pub received_on: Option<NaiveDate>,
    pub received_quantity: Option<i64>,
    pub received_by: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct AllocationsQuery {
    /// in_transit 在途 或 received 已到货
    pub status: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ReceiveInput {
    /// 到货日期（默认今天）
    #[serde(default)]
    pub received_on: Option<String>,
    /// 实收数量（计量单位；默认等于发出数量）
    #[serde(default)]
    pub quantity: Option<i64>,
    /// 少于发出数量时说明原因
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct ShortfallQuery {
    /// 截至日期（默认今天）
    pub as_of: Option<String>,
    /// 只看该区划
    pub place: Option<String>,
    /// 每日需求按多少天计（默认 7）
    pub horizon_days: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShortfallLine {
    pub place_code: String,
    pub place_name: String,
    pub store_id: Option<i64>,
    pub store_name: Option<String>,
    pub item_id: i64,
    pub item_name: String,
    pub unit: String,
    /// 需求（总需求加每日需求乘天数）
    pub need: i64,
    /// 库存（该区划下仓库或指定仓库的结存）
    pub stock: i64,
    /// 在途
    pub in_transit: i64,
    /// 缺口 = 需求 − 库存 − 在途（不小于 0）
    pub shortfall: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Shortfalls {
    pub as_of: NaiveDate,
    pub horizon_days: i64,
    /// 有缺口的在前
    pub lines: Vec<ShortfallLine>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct LowStockQuery {
    /// 截至日期（默认今天）
    pub as_of: Option<String>,
    /// 只看该区划
    pub place: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LowStockLine {
    pub store_id: i64,
    pub store_name: String,
    pub jurisdiction_code: String,
    pub place_name: String,
    pub item_id: i64,
    pub item_name: String,
    pub unit: String,
    pub balance: i64,
    /// 近 14 天日均用量
    pub daily_use: f64,
    /// 按近期用量可用天数（无用量为空）
    pub days_of_cover: Option<f64>,
    pub warn_days: i64,
    /// 低于预警天数
    pub low: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LowStock {
    pub as_of: NaiveDate,
    pub window_days: i64,
    /// 可用天数最少的在前
    pub lines: Vec<LowStockLine>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct FarmPlanInput {
    /// 乡镇（或村）区划代码
    pub jurisdiction_code: String,
    pub year: i32,
    /// 作物（或中文名）
    pub crop: String,
    /// 计划面积（亩）
    pub planned_mu: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct FarmProgressInput {
    /// 填报日期（默认今天）
    #[serde(default)]
    pub reported_on: Option<String>,
    /// 截至该日已备耕面积（亩，累计）
    pub prepared_mu: i64,
    /// 截至该日已播种面积（亩，累计）
    #[serde(default)]
    pub sown_mu: i64,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FarmPlanView {
    pub id: i64,
    pub jurisdiction_code: String,
    pub place_name: String,
    pub year: i32,
    pub crop: Crop,
    pub crop_name: String,
    pub planned_mu: i64,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct FarmQuery {
    /// 截至日期（默认今天；年度取其年份）
    pub as_of: Option<String>,
    /// 只看该区划
    pub place: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FarmCrop {
    pub plan_id: Option<i64>,
    pub crop: Crop,
    pub crop_name: String,
    pub planned_mu: i64,
    pub prepared_mu: i64,
    pub sown_mu: i64,
    /// 最近一次填报日期
    pub reported_on: Option<NaiveDate>,
    /// 备耕进度 %（已备耕 ÷ 计划）
    pub prepared_pct: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FarmInput {
    pub item_id: i64,
    pub item_name: String,
    pub unit: String,
    /// 需求
    pub needed: i64,
    /// 库存（乡镇及其下仓库结存）
    pub stocked: i64,
    /// 已到货（上级调运确认到货）
    pub delivered: i64,
    pub in_transit: i64,
    pub shortfall: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FarmTownship {
    pub code: String,
    pub name: String,
    pub crops: Vec<FarmCrop>,
    pub inputs: Vec<FarmInput>,
    pub planned_mu: i64,
    pub prepared_mu: i64,
    pub prepared_pct: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SpringFarming {
    pub as_of: NaiveDate,
    pub year: i32,
    pub townships: Vec<FarmTownship>,
    /// 各作物合计
    pub crops: Vec<FarmCrop>,
}
