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

use crate::actor::audit_in;
use crate::idempotency::{keep, Claim, Written};
use crate::input::{
    non_empty as opt_text, parse_date, parse_opt_date as opt_date, text_of as text,
};
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::jurisdiction::in_subtree;
use dualtrack_domain::jurisdiction::{Code, Level, Scope};
use dualtrack_domain::role::Permission;
use dualtrack_domain::supplies::{
    days_of_cover, shortfall, to_base_units, Crop, DeliveryStatus, ItemCategory, ItemKind,
    MovementKind, NeedBasis, RequestStatus, StoreKind, DEFAULT_NEED_HORIZON_DAYS,
    DEFAULT_WARN_DAYS, MAX_QUANTITY, USE_WINDOW_DAYS,
};
use dualtrack_store::supplies::{
    self as store, AllocationRow, Applied, BalanceRow, ItemRow, MovementRow, NeedRow,
    NewAllocation, NewItem, NewMovement, NewNeed, NewRequest, NewStore, RequestRow, StoreRow,
};
use dualtrack_store::Tx;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::{IntoParams, ToSchema};

pub mod import;

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

fn item_view(i: &ItemRow) -> ItemView {
    let kind = ItemKind::parse(&i.kind).unwrap_or(ItemKind::OtherPrevention);
    let category = kind.category();
    let crop = i.crop.as_deref().and_then(Crop::parse);
    ItemView {
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
    }
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

fn store_view(s: &StoreRow) -> StoreView {
    let kind = StoreKind::parse(&s.kind).unwrap_or(StoreKind::Other);
    StoreView {
        id: s.id,
        name: s.name.clone(),
        kind,
        kind_name: kind.zh().into(),
        jurisdiction_code: s.jurisdiction_code.clone(),
        place_name: s.place_name.clone(),
        checkpoint_id: s.checkpoint_id,
        address: s.address.clone(),
        keeper: s.keeper.clone(),
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct MovementInput {
    /// 客户端生成的幂等键：重复提交时同一键只记一次（也可放在请求头 Idempotency-Key）
    #[serde(default)]
    pub idempotency_key: Option<String>,
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

// ---- helpers ----

fn pct(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        0.0
    } else {
        (part as f64 * 1000.0 / whole as f64).round() / 10.0
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// A quantity typed in a unit, in the item's unit: the quantity field for a bad number, the
/// unit field for a unit the item is not counted in.
fn quantity_of(
    item: &ItemRow,
    quantity: i64,
    unit: &Option<String>,
    qfield: &'static str,
) -> ServiceResult<(i64, String)> {
    if quantity <= 0 || quantity > MAX_QUANTITY {
        return Err(ServiceError::invalid(
            qfield,
            format!("数量应为 1 到 {MAX_QUANTITY} 之间的整数，收到 {quantity}"),
        ));
    }
    let typed = opt_text(unit).unwrap_or_else(|| item.unit.clone());
    let base = to_base_units(
        quantity,
        &typed,
        &item.unit,
        item.pack_unit.as_deref(),
        item.pack_size,
    )
    .map_err(|m| {
        let field = if m.contains("单位") { "unit" } else { qfield };
        ServiceError::invalid(field, format!("{}：{m}", item.name))
    })?;
    Ok((base, typed))
}

/// Catalogue and stores, looked up by id for labels.
struct Lookup {
    items: HashMap<i64, ItemRow>,
    stores: HashMap<i64, StoreRow>,
}

impl Lookup {
    fn item_name(&self, id: i64) -> String {
        self.items
            .get(&id)
            .map(|i| i.name.clone())
            .unwrap_or_else(|| format!("物资 {id}"))
    }
    fn unit(&self, id: i64) -> String {
        self.items
            .get(&id)
            .map(|i| i.unit.clone())
            .unwrap_or_default()
    }
    fn store_name(&self, id: i64) -> String {
        self.stores
            .get(&id)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| format!("仓库 {id}"))
    }

    fn movement(&self, m: MovementRow) -> MovementView {
        let kind = MovementKind::parse(&m.kind).unwrap_or(MovementKind::Receipt);
        MovementView {
            id: m.id,
            kind,
            kind_name: kind.zh().into(),
            item_name: self.item_name(m.item_id),
            unit: self.unit(m.item_id),
            item_id: m.item_id,
            quantity: m.quantity,
            entered: format!("{} {}", m.entered_quantity, m.entered_unit),
            from_store_name: m.from_store_id.map(|s| self.store_name(s)),
            from_store_id: m.from_store_id,
            to_store_name: m.to_store_id.map(|s| self.store_name(s)),
            to_store_id: m.to_store_id,
            moved_on: m.moved_on,
            counterparty: m.counterparty,
            reason: m.reason,
            allocation_id: m.allocation_id,
            recorded_by: m.recorded_by,
            created_at: m.created_at,
        }
    }

    fn allocation(&self, a: AllocationRow) -> AllocationView {
        let status = DeliveryStatus::parse(&a.status).unwrap_or(DeliveryStatus::InTransit);
        AllocationView {
            id: a.id,
            request_id: a.request_id,
            item_name: self.item_name(a.item_id),
            unit: self.unit(a.item_id),
            item_id: a.item_id,
            quantity: a.quantity,
            from_store_name: self.store_name(a.from_store_id),
            from_store_id: a.from_store_id,
            to_store_name: self.store_name(a.to_store_id),
            to_store_id: a.to_store_id,
            jurisdiction_code: a.jurisdiction_code,
            allocated_on: a.allocated_on,
            status,
            status_name: status.zh().into(),
            received_on: a.received_on,
            received_quantity: a.received_quantity,
            received_by: a.received_by,
            note: a.note,
        }
    }

    fn request(&self, r: RequestRow) -> RequestView {
        let status = RequestStatus::parse(&r.status).unwrap_or(RequestStatus::Open);
        RequestView {
            id: r.id,
            jurisdiction_code: r.jurisdiction_code,
            place_name: r.place_name,
            to_code: r.to_code,
            store_id: r.store_id,
            item_name: self.item_name(r.item_id),
            unit: self.unit(r.item_id),
            item_id: r.item_id,
            quantity: r.quantity,
            allocated: r.allocated,
            requested_on: r.requested_on,
            needed_by: r.needed_by,
            reason: r.reason,
            status,
            status_name: status.zh().into(),
            decision_note: r.decision_note,
            created_by: r.created_by,
        }
    }

    fn need(&self, n: NeedRow) -> NeedView {
        let basis = NeedBasis::parse(&n.basis).unwrap_or(NeedBasis::Total);
        let crop = n.crop.as_deref().and_then(Crop::parse);
        NeedView {
            id: n.id,
            jurisdiction_code: n.jurisdiction_code,
            place_name: n.place_name,
            store_id: n.store_id,
            item_name: self.item_name(n.item_id),
            unit: self.unit(n.item_id),
            item_id: n.item_id,
            basis,
            basis_name: basis.zh().into(),
            quantity: n.quantity,
            crop,
            crop_name: crop.map(|c| c.zh().to_string()),
            area_mu: n.area_mu,
            from_on: n.from_on,
            until_on: n.until_on,
            note: n.note,
        }
    }
}

/// Whether a code lies in the subtree of `place`.
fn under(code: &str, place: &str) -> bool {
    in_subtree(code, place)
}

/// The reads the supplies figures of a scope as of a day are computed from.
struct SupplyState {
    as_of: NaiveDate,
    look: Lookup,
    needs: Vec<NeedRow>,
    balances: Vec<BalanceRow>,
    transit: Vec<store::TransitRow>,
}

impl SupplyState {
    /// Need less stock less deliveries in transit, by place (or store) and item. A daily
    /// need counts for `horizon` days.
    fn shortfalls(&self, horizon: i64) -> Shortfalls {
        let (look, balances, transit) = (&self.look, &self.balances, &self.transit);
        // (place, store, item) → (name, need)
        let mut groups: BTreeMap<(String, Option<i64>, i64), (String, i64)> = BTreeMap::new();
        for n in &self.needs {
            let amount = if n.basis == NeedBasis::Daily.as_str() {
                n.quantity.saturating_mul(horizon)
            } else {
                n.quantity
            };
            let e = groups
                .entry((n.jurisdiction_code.clone(), n.store_id, n.item_id))
                .or_insert((n.place_name.clone(), 0));
            e.1 += amount;
        }
        let store_code = |sid: i64| look.stores.get(&sid).map(|s| s.jurisdiction_code.as_str());
        // Stock and deliveries by item, so that each need looks at its item's stores only.
        let mut stock_of: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
        for b in balances {
            stock_of
                .entry(b.item_id)
                .or_default()
                .push((b.store_id, b.balance));
        }
        let mut transit_of: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
        for t in transit {
            transit_of
                .entry(t.item_id)
                .or_default()
                .push((t.store_id, t.in_transit));
        }
        let sum_within = |rows: Option<&Vec<(i64, i64)>>, within: &dyn Fn(i64) -> bool| -> i64 {
            rows.map(|r| r.iter().filter(|(s, _)| within(*s)).map(|(_, q)| q).sum())
                .unwrap_or(0)
        };
        let mut lines = Vec::new();
        for ((place, sid, item_id), (place_name, need)) in groups {
            let within = |s: i64| match sid {
                Some(only) => s == only,
                None => store_code(s).is_some_and(|c| under(c, &place)),
            };
            let stock = sum_within(stock_of.get(&item_id), &within);
            let in_transit = sum_within(transit_of.get(&item_id), &within);
            lines.push(ShortfallLine {
                place_code: place,
                place_name,
                store_name: sid.map(|s| look.store_name(s)),
                store_id: sid,
                item_name: look.item_name(item_id),
                unit: look.unit(item_id),
                item_id,
                need,
                stock,
                in_transit,
                shortfall: shortfall(need, stock, in_transit),
            });
        }
        lines.sort_by(|a, b| {
            (b.shortfall > 0)
                .cmp(&(a.shortfall > 0))
                .then(a.place_code.cmp(&b.place_code))
                .then(a.item_id.cmp(&b.item_id))
        });
        Shortfalls {
            as_of: self.as_of,
            horizon_days: horizon,
            lines,
        }
    }
}

/// What a run of closing the days of stock did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Closed {
    /// Days closed.
    pub days: u64,
    /// Transactions written.
    pub batches: u64,
}

impl App {
    /// Today, China Standard Time, by the application's clock.
    fn supplies_today(&self) -> NaiveDate {
        self.today()
    }

    /// Closes the days of stock (日结) through yesterday by the application's clock: the
    /// server does it hourly. The closings are derived from the movements, like the per-day
    /// rollup, so closing writes no record of its own. Returns the number of days closed.
    pub async fn close_stock_days(&self) -> ServiceResult<u64> {
        Ok(self.close_stock_days_in_batches().await?.days)
    }

    /// Closes the days of stock as [`App::close_stock_days`] does, a day at a time and each
    /// day [`App::job_batch`] pairs per transaction, so that movements wait for a batch at
    /// most; a day is recorded as closed in the transaction of its last batch.
    pub async fn close_stock_days_in_batches(&self) -> ServiceResult<Closed> {
        let yesterday = self.supplies_today().pred_opt().unwrap_or(NaiveDate::MIN);
        let mut closed = Closed::default();
        let Some((first, last)) = store::days_to_close(&self.db, yesterday).await? else {
            return Ok(closed);
        };
        let n = i64::try_from(self.job_batch.max(1)).unwrap_or(i64::MAX);
        for day in first.iter_days().take_while(|d| *d <= last) {
            let mut after = store::FIRST_PAIR;
            loop {
                // The last batch of the day runs to the end, pairs set up meanwhile with it.
                let upto = store::pairs_after(&self.db, after, n).await?;
                let (mut tx, _turn) = self.db.begin_job().await?;
                store::close_pairs(&mut tx, day, after, upto.unwrap_or(store::LAST_PAIR)).await?;
                if upto.is_none() {
                    store::mark_closed(&mut tx, day).await?;
                }
                tx.commit().await?;
                closed.batches += 1;
                match upto {
                    Some(u) => after = u,
                    None => break,
                }
            }
            closed.days += 1;
        }
        Ok(closed)
    }

    async fn lookup(&self, scope: &Scope) -> ServiceResult<Lookup> {
        Ok(Lookup {
            items: store::items(&self.db)
                .await?
                .into_iter()
                .map(|i| (i.id, i))
                .collect(),
            stores: store::stores(&self.db, scope)
                .await?
                .into_iter()
                .map(|s| (s.id, s))
                .collect(),
        })
    }

    /// The scope a query asks for: the caller's, or a place within it.
    async fn supplies_scope(&self, actor: &Actor, place: &Option<String>) -> ServiceResult<Scope> {
        match opt_text(place) {
            None => Ok(actor.scope.clone()),
            Some(p) => Ok(Scope::Under(self.place_in_scope(actor, "place", &p).await?)),
        }
    }

    fn as_of(&self, raw: &Option<String>) -> ServiceResult<NaiveDate> {
        Ok(opt_date("as_of", raw)?.unwrap_or_else(|| self.supplies_today()))
    }

    /// A day of a movement: given (not after today) or today.
    fn movement_day(&self, field: &'static str, raw: &Option<String>) -> ServiceResult<NaiveDate> {
        let today = self.supplies_today();
        match opt_date(field, raw)? {
            Some(d) if d > today => Err(ServiceError::invalid(
                field,
                format!("日期 {d} 晚于今天（{today}），不能预先登记"),
            )),
            Some(d) if d.year() < 2000 => {
                Err(ServiceError::invalid(field, format!("日期 {d} 过早")))
            }
            Some(d) => Ok(d),
            None => Ok(today),
        }
    }

    async fn require_any_supplies(&self, actor: &Actor, target: &str) -> ServiceResult<()> {
        if actor.can(Permission::ManageCatalogue) {
            return Ok(());
        }
        self.require(actor, Permission::ReadSupplies, "物资", target)
            .await
    }

    async fn own_store(&self, actor: &Actor, id: i64) -> ServiceResult<StoreRow> {
        let row = store::store(&self.db, id).await?;
        self.own(actor, "物资仓库", id, row, |s| &s.jurisdiction_code)
            .await
    }

    /// A store a transfer or allocation sends to: outside the scope it is refused (audited)
    /// naming the field, as is one that does not exist.
    async fn target_store(
        &self,
        actor: &Actor,
        field: &'static str,
        id: i64,
    ) -> ServiceResult<StoreRow> {
        let row = store::store(&self.db, id).await?;
        let msg = format!("调入仓库 {id} 不存在或不在您的管辖范围内，不能调往该仓库");
        match row {
            None => Err(ServiceError::unknown(field, msg)),
            Some(s) => {
                let code = Code::parse(&s.jurisdiction_code)
                    .map_err(|e| ServiceError::Internal(e.to_string()))?;
                if actor.scope.contains(&code) {
                    Ok(s)
                } else {
                    Err(self
                        .refuse(
                            actor,
                            "物资仓库",
                            &id.to_string(),
                            Some(s.jurisdiction_code.clone()),
                            ServiceError::unknown(field, msg),
                        )
                        .await)
                }
            }
        }
    }

    async fn item_of(&self, field: &'static str, id: i64) -> ServiceResult<ItemRow> {
        store::item(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::invalid(field, format!("物资品目 {id} 不存在")))
    }

    // ---- catalogue ----

    /// The catalogue.
    pub async fn supply_items(&self, actor: &Actor) -> ServiceResult<Vec<ItemView>> {
        self.require_any_supplies(actor, "catalogue").await?;
        Ok(store::items(&self.db)
            .await?
            .iter()
            .map(item_view)
            .collect())
    }

    /// Checks an item for the catalogue (shared with the import).
    pub(crate) async fn check_item(&self, input: &ItemInput) -> ServiceResult<NewItem> {
        let name = text("name", "品名", &input.name, 100, true)?;
        let kind = ItemKind::parse(&input.kind).ok_or_else(|| {
            ServiceError::invalid(
                "kind",
                format!(
                    "物资类别“{}”无效，应为：{}",
                    input.kind.trim(),
                    ItemKind::ALL
                        .iter()
                        .map(|k| k.zh())
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            )
        })?;
        let spec = text("spec", "规格", &input.spec, 100, false)?;
        let crop = match opt_text(&input.crop) {
            None => None,
            Some(c) => {
                let crop = Crop::parse(&c).ok_or_else(|| {
                    ServiceError::invalid("crop", format!("作物“{c}”无效，应为：{}", crop_list()))
                })?;
                if !kind.is_farm_input() {
                    return Err(ServiceError::invalid("crop", "防疫物资不填作物"));
                }
                Some(crop.as_str().to_string())
            }
        };
        let unit = text("unit", "计量单位", &input.unit, 10, true)?;
        let pack_unit = opt_text(&input.pack_unit);
        let pack_size = match (&pack_unit, input.pack_size) {
            (None, None) => None,
            (Some(p), Some(n)) if n > 1 && n <= 1_000_000 && *p != unit => Some(n),
            (Some(p), _) if *p == unit => {
                return Err(ServiceError::invalid(
                    "pack_unit",
                    "包装单位不能与计量单位相同",
                ))
            }
            (Some(_), _) => {
                return Err(ServiceError::invalid(
                    "pack_size",
                    "请填写每个包装单位含多少计量单位（2 到 1000000）",
                ))
            }
            (None, Some(_)) => {
                return Err(ServiceError::invalid(
                    "pack_unit",
                    "填了包装数量时请填写包装单位，如 箱",
                ))
            }
        };
        if pack_unit.as_deref().is_some_and(|p| p.chars().count() > 10) {
            return Err(ServiceError::invalid("pack_unit", "包装单位不超过 10 个字"));
        }
        let warn_days = input.warn_days.unwrap_or(DEFAULT_WARN_DAYS);
        if !(1..=365).contains(&warn_days) {
            return Err(ServiceError::invalid("warn_days", "预警天数应为 1 到 365"));
        }
        if store::item_by_name(&self.db, &name).await?.is_some() {
            return Err(ServiceError::Conflict {
                field: "name",
                message: format!("物资“{name}”已在目录中"),
            });
        }
        Ok(NewItem {
            name,
            category: kind.category().as_str().into(),
            kind: kind.as_str().into(),
            spec,
            crop,
            unit,
            pack_unit,
            pack_size,
            warn_days,
            created_by: String::new(),
        })
    }

    /// Adds an item to the catalogue (a system administrator); audited.
    pub async fn create_supply_item(
        &self,
        actor: &Actor,
        input: &ItemInput,
    ) -> ServiceResult<ItemView> {
        self.require(actor, Permission::ManageCatalogue, "物资品目", "new")
            .await?;
        let mut new = self.check_item(input).await?;
        new.created_by = actor.username.clone();
        let mut tx = self.db.begin().await?;
        let id = store::insert_item(&mut tx, &new, self.clock.now()).await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::SupplyItemCreate,
                Outcome::Success,
                "物资品目",
                id.to_string(),
                None,
                format!("{}（{}）", new.name, new.unit),
            ),
        )
        .await?;
        tx.commit().await?;
        let row = store::item(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("物资品目未找到".into()))?;
        Ok(item_view(&row))
    }

    // ---- stores ----

    pub async fn supply_stores(&self, actor: &Actor) -> ServiceResult<Vec<StoreView>> {
        self.require(actor, Permission::ReadSupplies, "物资仓库", "list")
            .await?;
        Ok(store::stores(&self.db, &actor.scope)
            .await?
            .iter()
            .map(store_view)
            .collect())
    }

    /// Sets up a store at a place of the caller's scope; audited.
    pub async fn create_supply_store(
        &self,
        actor: &Actor,
        input: &StoreInput,
    ) -> ServiceResult<StoreView> {
        self.require(actor, Permission::ManageSupplies, "物资仓库", "new")
            .await?;
        let name = text("name", "仓库名称", &input.name, 100, true)?;
        let kind = StoreKind::parse(&input.kind).ok_or_else(|| {
            ServiceError::invalid(
                "kind",
                format!(
                    "仓库类型“{}”无效，应为：{}",
                    input.kind.trim(),
                    StoreKind::ALL
                        .iter()
                        .map(|k| k.zh())
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            )
        })?;
        let address = text("address", "地址", &input.address, 200, false)?;
        let keeper = text("keeper", "保管人", &input.keeper, 50, false)?;
        let code = self
            .place_in_scope(actor, "jurisdiction_code", input.jurisdiction_code.trim())
            .await?;
        // A store's kind goes with the level of its place.
        let (fits, wanted) = match kind {
            StoreKind::Prefecture => (
                matches!(code.level(), Level::Province | Level::Prefecture),
                "州（市）或省",
            ),
            StoreKind::County => (code.level() == Level::County, "县（市）"),
            StoreKind::Township => (code.level() == Level::Township, "乡镇"),
            StoreKind::Grid => (
                matches!(code.level(), Level::Village | Level::Grid),
                "村（社区）或网格",
            ),
            StoreKind::Checkpoint | StoreKind::Other => (true, ""),
        };
        if !fits {
            return Err(ServiceError::invalid(
                "kind",
                format!(
                    "{}应设在{}一级，{code} 是{}",
                    kind.zh(),
                    wanted,
                    code.level().zh()
                ),
            ));
        }
        if kind == StoreKind::Checkpoint && input.checkpoint_id.is_none() {
            return Err(ServiceError::invalid(
                "checkpoint_id",
                "卡口物资箱须选所在卡口",
            ));
        }
        if let Some(cp) = input.checkpoint_id {
            let row = dualtrack_store::checkpoints::checkpoint(&self.db, cp).await?;
            let ok = match &row {
                Some(c) => Code::parse(&c.jurisdiction_code)
                    .map(|cc| actor.scope.contains(&cc))
                    .unwrap_or(false),
                None => false,
            };
            if !ok {
                return Err(ServiceError::unknown(
                    "checkpoint_id",
                    format!("卡口 {cp} 不存在或不在您的管辖范围内"),
                ));
            }
        }
        if store::store_name_taken(&self.db, code.as_str(), &name).await? {
            return Err(ServiceError::Conflict {
                field: "name",
                message: format!("{code} 已有名为“{name}”的仓库"),
            });
        }
        let mut tx = self.db.begin().await?;
        let id = store::insert_store(
            &mut tx,
            &NewStore {
                name: name.clone(),
                kind: kind.as_str().into(),
                jurisdiction_code: code.to_string(),
                checkpoint_id: input.checkpoint_id,
                address,
                keeper,
                created_by: actor.username.clone(),
            },
            self.clock.now(),
        )
        .await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::SupplyStoreCreate,
                Outcome::Success,
                "物资仓库",
                id.to_string(),
                Some(code.to_string()),
                format!("{}：{name}", kind.zh()),
            ),
        )
        .await?;
        tx.commit().await?;
        let row = store::store(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("仓库未找到".into()))?;
        Ok(store_view(&row))
    }

    /// A store with its balances as of a day (with days of cover), recent movements and
    /// deliveries on their way to it.
    pub async fn supply_store(
        &self,
        actor: &Actor,
        id: i64,
        as_of: &Option<String>,
    ) -> ServiceResult<StoreDetail> {
        self.require(actor, Permission::ReadSupplies, "物资仓库", &id.to_string())
            .await?;
        let s = self.own_store(actor, id).await?;
        let as_of = self.as_of(as_of)?;
        let scope = Scope::Under(
            Code::parse(&s.jurisdiction_code).map_err(|e| ServiceError::Internal(e.to_string()))?,
        );
        let look = self.lookup(&actor.scope).await?;
        let rows = store::balances_as_of(&self.db, &scope, as_of, Some(id)).await?;
        let mut balances = self.cover_lines(&scope, as_of, &look, &rows).await?;
        balances.sort_by_key(|b| b.item_id);
        let movements = store::movements_of_store(&self.db, id, PAGE, 0)
            .await?
            .into_iter()
            .map(|m| look.movement(m))
            .collect();
        let incoming = store::allocations(&self.db, &scope, Some("in_transit"), 200)
            .await?
            .into_iter()
            .filter(|a| a.to_store_id == id)
            .map(|a| look.allocation(a))
            .collect();
        Ok(StoreDetail {
            store: store_view(&s),
            as_of,
            balances,
            movements,
            incoming,
        })
    }

    pub async fn store_movements(
        &self,
        actor: &Actor,
        id: i64,
        q: &MovementsQuery,
    ) -> ServiceResult<Vec<MovementView>> {
        self.require(actor, Permission::ReadSupplies, "物资仓库", &id.to_string())
            .await?;
        self.own_store(actor, id).await?;
        let page = q.page.unwrap_or(1).max(1);
        let look = self.lookup(&actor.scope).await?;
        Ok(
            store::movements_of_store(&self.db, id, PAGE, crate::page_offset(page, PAGE))
                .await?
                .into_iter()
                .map(|m| look.movement(m))
                .collect(),
        )
    }

    // ---- movements ----

    async fn replayed_movement(&self, actor: &Actor, id: i64) -> ServiceResult<RecordedMovement> {
        let m = store::movement(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("出入库记录未找到".into()))?;
        let look = self.lookup(&actor.scope).await?;
        let at = m.from_store_id.or(m.to_store_id).unwrap_or(0);
        let balance = self.balance_now(at, m.item_id).await?;
        Ok(RecordedMovement {
            movement: look.movement(m),
            balance,
            created: false,
        })
    }

    async fn balance_now(&self, store_id: i64, item_id: i64) -> ServiceResult<i64> {
        let rows = store::balances_as_of(
            &self.db,
            &Scope::All,
            NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default(),
            Some(store_id),
        )
        .await?;
        Ok(rows
            .iter()
            .find(|r| r.item_id == item_id)
            .map(|r| r.balance)
            .unwrap_or(0))
    }

    /// Takes stock out of a pair inside a transaction; short stock is refused naming the
    /// quantity (the caller drops the transaction, so nothing is written).
    async fn take_out(
        tx: &mut Tx,
        s: &StoreRow,
        item: &ItemRow,
        day: NaiveDate,
        q: i64,
    ) -> ServiceResult<()> {
        match store::apply(tx, s.id, item.id, day, -q).await? {
            Applied::Done => Ok(()),
            Applied::Short { available } => Err(ServiceError::Conflict {
                field: "quantity",
                message: format!(
                    "库存不足：{} 的{}截至 {day} 可用 {available} {}，不能出库 {q} {}（结存不能为负，本次未登记）",
                    s.name, item.name, item.unit, item.unit
                ),
            }),
        }
    }

    async fn put_in(
        tx: &mut Tx,
        store_id: i64,
        item_id: i64,
        day: NaiveDate,
        q: i64,
    ) -> ServiceResult<()> {
        store::apply(tx, store_id, item_id, day, q).await?;
        Ok(())
    }

    /// Records a receipt, issue, transfer or adjustment at a store in one transaction with
    /// its audit row. Stock taken out must be there on that day and every later day. A retry
    /// with the same idempotency key returns the first movement and writes nothing.
    pub async fn record_movement(
        &self,
        actor: &Actor,
        store_id: i64,
        input: &MovementInput,
    ) -> ServiceResult<RecordedMovement> {
        self.require(
            actor,
            Permission::MoveStock,
            "物资仓库",
            &store_id.to_string(),
        )
        .await?;
        let s = self.own_store(actor, store_id).await?;
        let w = self
            .once(
                actor,
                "stock_movement",
                &input.idempotency_key,
                &(store_id, input),
                |claim| self.write_movement(actor, &s, input, claim),
                |id| self.replayed_movement(actor, id),
            )
            .await?;
        Ok(RecordedMovement {
            created: w.created,
            ..w.record
        })
    }

    async fn write_movement(
        &self,
        actor: &Actor,
        s: &StoreRow,
        input: &MovementInput,
        claim: Option<Claim>,
    ) -> ServiceResult<RecordedMovement> {
        let store_id = s.id;
        let key = claim.as_ref().map(|c| c.key().to_string());
        let kind = MovementKind::parse(&input.kind)
            .filter(|k| k.is_direct())
            .ok_or_else(|| {
                ServiceError::invalid(
                    "kind",
                    format!(
                        "出入库类型“{}”无效，应为：入库、发放、调拨、盘盈调整、盘亏调整",
                        input.kind.trim()
                    ),
                )
            })?;
        let item = self.item_of("item_id", input.item_id).await?;
        let (q, typed_unit) = quantity_of(&item, input.quantity, &input.unit, "quantity")?;
        let day = self.movement_day("moved_on", &input.moved_on)?;
        let counterparty = text(
            "counterparty",
            "来源或领用单位",
            &input.counterparty,
            100,
            false,
        )?;
        if kind == MovementKind::Issue && counterparty.is_empty() {
            return Err(ServiceError::invalid(
                "counterparty",
                "发放请填写领用单位或人员",
            ));
        }
        let reason = text("reason", "事由", &input.reason, 300, false)?;
        if kind.needs_reason() && reason.is_empty() {
            return Err(ServiceError::invalid(
                "reason",
                "盘点调整须写明原因，如 盘点短少、过期报废",
            ));
        }
        let target = if kind == MovementKind::Transfer {
            let to = input
                .to_store_id
                .ok_or_else(|| ServiceError::invalid("to_store_id", "调拨请选择调入仓库"))?;
            if to == store_id {
                return Err(ServiceError::invalid("to_store_id", "调入仓库不能是本仓库"));
            }
            Some(self.target_store(actor, "to_store_id", to).await?)
        } else {
            None
        };
        let new = NewMovement {
            kind: kind.as_str().into(),
            item_id: item.id,
            quantity: q,
            from_store_id: kind.takes_out().then_some(store_id),
            to_store_id: match kind {
                MovementKind::Transfer => target.as_ref().map(|t| t.id),
                k if k.puts_in() => Some(store_id),
                _ => None,
            },
            jurisdiction_code: s.jurisdiction_code.clone(),
            moved_on: day,
            counterparty: counterparty.clone(),
            reason,
            allocation_id: None,
            entered_quantity: input.quantity,
            entered_unit: typed_unit.clone(),
            idempotency_key: key.clone(),
            recorded_by: actor.username.clone(),
        };
        let mut tx = self.db.begin().await?;
        let id = store::insert_movement(&mut tx, &new, self.clock.now()).await?;
        keep(&mut tx, claim.as_ref(), id).await?;
        match kind {
            MovementKind::Receipt | MovementKind::AdjustIn => {
                Self::put_in(&mut tx, store_id, item.id, day, q).await?
            }
            MovementKind::Issue | MovementKind::AdjustOut => {
                Self::take_out(&mut tx, s, &item, day, q).await?
            }
            MovementKind::Transfer => {
                let to = target.as_ref().map(|t| t.id).unwrap_or_default();
                // Both pairs' rows locked in one order, so two opposite transfers cannot
                // wait on each other.
                if to < store_id {
                    store::touch(&mut tx, to, item.id).await?;
                }
                Self::take_out(&mut tx, s, &item, day, q).await?;
                Self::put_in(&mut tx, to, item.id, day, q).await?;
            }
            MovementKind::Dispatch | MovementKind::Arrival => {
                return Err(ServiceError::invalid("kind", "调运由分配与到货确认登记"))
            }
        }
        let detail = format!(
            "{} {} {}{}（{}）{}",
            kind.zh(),
            item.name,
            input.quantity,
            typed_unit,
            s.name,
            match &target {
                Some(t) => format!(" → {}", t.name),
                None if counterparty.is_empty() => String::new(),
                None => format!("，{counterparty}"),
            }
        );
        audit_in(
            &mut tx,
            &actor.audit(
                Action::StockMove,
                Outcome::Success,
                "出入库",
                id.to_string(),
                Some(s.jurisdiction_code.clone()),
                detail,
            ),
        )
        .await?;
        tx.commit().await?;
        let m = store::movement(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("出入库记录未找到".into()))?;
        let look = self.lookup(&actor.scope).await?;
        Ok(RecordedMovement {
            balance: self.balance_now(store_id, item.id).await?,
            movement: look.movement(m),
            created: true,
        })
    }

    // ---- balances ----

    /// Balances of every store and item of the scope (or a place within it) as of a day,
    /// from the rollup kept with every movement.
    pub async fn supply_balances(
        &self,
        actor: &Actor,
        q: &BalancesQuery,
    ) -> ServiceResult<Balances> {
        self.require(actor, Permission::ReadSupplies, "物资结存", "list")
            .await?;
        let scope = self.supplies_scope(actor, &q.place).await?;
        let as_of = self.as_of(&q.as_of)?;
        let category = match opt_text(&q.category) {
            None => None,
            Some(c) => Some(ItemCategory::parse(&c).ok_or_else(|| {
                ServiceError::invalid("category", "类别应为 prevention 防疫物资 或 farm 农资")
            })?),
        };
        let look = self.lookup(&scope).await?;
        let rows = store::balances_as_of(&self.db, &scope, as_of, q.store_id).await?;
        let mut lines = Vec::new();
        let mut totals: BTreeMap<i64, i64> = BTreeMap::new();
        for r in rows {
            if q.item_id.is_some_and(|i| i != r.item_id) {
                continue;
            }
            let Some(item) = look.items.get(&r.item_id) else {
                continue;
            };
            if category.is_some_and(|c| c.as_str() != item.category) {
                continue;
            }
            let Some(s) = look.stores.get(&r.store_id) else {
                continue;
            };
            *totals.entry(r.item_id).or_default() += r.balance;
            lines.push(BalanceLine {
                store_id: r.store_id,
                store_name: s.name.clone(),
                jurisdiction_code: s.jurisdiction_code.clone(),
                place_name: s.place_name.clone(),
                item_id: r.item_id,
                item_name: item.name.clone(),
                unit: item.unit.clone(),
                balance: r.balance,
            });
        }
        let totals = totals
            .into_iter()
            .filter_map(|(id, balance)| {
                look.items.get(&id).map(|i| ItemTotal {
                    item_id: id,
                    item_name: i.name.clone(),
                    category: item_view(i).category,
                    unit: i.unit.clone(),
                    balance,
                })
            })
            .collect();
        Ok(Balances {
            as_of,
            lines,
            totals,
        })
    }

    /// Balances with days of cover at the use of the last fourteen days.
    async fn cover_lines(
        &self,
        scope: &Scope,
        as_of: NaiveDate,
        look: &Lookup,
        balances: &[BalanceRow],
    ) -> ServiceResult<Vec<LowStockLine>> {
        let used: HashMap<(i64, i64), i64> = store::use_between(
            &self.db,
            scope,
            as_of - Duration::days(USE_WINDOW_DAYS),
            as_of,
        )
        .await?
        .into_iter()
        .map(|r| ((r.store_id, r.item_id), r.balance))
        .collect();
        let mut out = Vec::new();
        for &BalanceRow {
            store_id,
            item_id,
            balance,
        } in balances
        {
            let (Some(s), Some(item)) = (look.stores.get(&store_id), look.items.get(&item_id))
            else {
                continue;
            };
            let use_ = used.get(&(store_id, item_id)).copied().unwrap_or(0);
            let cover = days_of_cover(balance, use_, USE_WINDOW_DAYS);
            out.push(LowStockLine {
                store_id,
                store_name: s.name.clone(),
                jurisdiction_code: s.jurisdiction_code.clone(),
                place_name: s.place_name.clone(),
                item_id,
                item_name: item.name.clone(),
                unit: item.unit.clone(),
                balance,
                daily_use: round1(use_ as f64 / USE_WINDOW_DAYS as f64),
                days_of_cover: cover.map(round1),
                warn_days: item.warn_days,
                low: cover.is_some_and(|c| c < item.warn_days as f64),
            });
        }
        Ok(out)
    }

    /// Stores whose stock of an item lasts fewer days than the item's warning at the use of
    /// the last fourteen days: shown to the store's place and every level above it.
    pub async fn low_stock(&self, actor: &Actor, q: &LowStockQuery) -> ServiceResult<LowStock> {
        self.require(actor, Permission::ReadSupplies, "物资预警", "list")
            .await?;
        let scope = self.supplies_scope(actor, &q.place).await?;
        let as_of = self.as_of(&q.as_of)?;
        let look = self.lookup(&scope).await?;
        let balances = store::balances_as_of(&self.db, &scope, as_of, None).await?;
        self.low_stock_of(&scope, as_of, &look, &balances).await
    }

    async fn low_stock_of(
        &self,
        scope: &Scope,
        as_of: NaiveDate,
        look: &Lookup,
        balances: &[BalanceRow],
    ) -> ServiceResult<LowStock> {
        let mut lines: Vec<LowStockLine> = self
            .cover_lines(scope, as_of, look, balances)
            .await?
            .into_iter()
            .filter(|l| l.low)
            .collect();
        lines.sort_by(|a, b| {
            a.days_of_cover
                .unwrap_or(f64::MAX)
                .total_cmp(&b.days_of_cover.unwrap_or(f64::MAX))
                .then(a.store_id.cmp(&b.store_id))
        });
        Ok(LowStock {
            as_of,
            window_days: USE_WINDOW_DAYS,
            lines,
        })
    }

    /// What the supplies figures of a scope as of a day are computed from, read once.
    async fn supply_state(&self, scope: &Scope, as_of: NaiveDate) -> ServiceResult<SupplyState> {
        Ok(SupplyState {
            as_of,
            look: self.lookup(scope).await?,
            needs: store::needs(&self.db, scope, Some(as_of)).await?,
            balances: store::balances_as_of(&self.db, scope, as_of, None).await?,
            transit: store::transit_as_of(&self.db, scope, as_of).await?,
        })
    }

    /// The three supplies figures of the command view (shortfalls at the default horizon,
    /// low stock and spring farming) for the caller's scope as of a day, from one read of
    /// the balances, needs and deliveries.
    pub(crate) async fn supply_figures(
        &self,
        actor: &Actor,
        as_of: NaiveDate,
    ) -> ServiceResult<(Shortfalls, LowStock, SpringFarming)> {
        self.require(actor, Permission::ReadSupplies, "物资保障", "figures")
            .await?;
        let scope = actor.scope.clone();
        let st = self.supply_state(&scope, as_of).await?;
        let low = self
            .low_stock_of(&scope, as_of, &st.look, &st.balances)
            .await?;
        let farm = self.spring_farming_of(&scope, &st).await?;
        Ok((st.shortfalls(DEFAULT_NEED_HORIZON_DAYS), low, farm))
    }

    // ---- needs ----

    pub async fn supply_needs(
        &self,
        actor: &Actor,
        q: &NeedsQuery,
    ) -> ServiceResult<Vec<NeedView>> {
        self.require(actor, Permission::ReadSupplies, "物资需求", "list")
            .await?;
        let on = opt_date("on", &q.on)?;
        let look = self.lookup(&actor.scope).await?;
        Ok(store::needs(&self.db, &actor.scope, on)
            .await?
            .into_iter()
            .map(|n| look.need(n))
            .collect())
    }

    /// Checks a need (shared with the import); the place is checked by the caller.
    pub(crate) async fn check_need(
        &self,
        actor: &Actor,
        place: &Code,
        input: &NeedInput,
    ) -> ServiceResult<NewNeed> {
        let item = self.item_of("item_id", input.item_id).await?;
        let basis = NeedBasis::parse(&input.basis).ok_or_else(|| {
            ServiceError::invalid("basis", "需求方式应为 total 总需求 或 daily 每日需求")
        })?;
        let (q, _) = quantity_of(&item, input.quantity, &input.unit, "quantity")?;
        let store_id = match input.store_id {
            None => None,
            Some(sid) => {
                let s = store::store(&self.db, sid).await?;
                match s {
                    Some(s) if under(&s.jurisdiction_code, place.as_str()) => Some(sid),
                    _ => {
                        return Err(ServiceError::unknown(
                            "store_id",
                            format!("仓库 {sid} 不存在或不在 {place} 之下"),
                        ))
                    }
                }
            }
        };
        let crop = match opt_text(&input.crop) {
            None => None,
            Some(c) => {
                let crop = Crop::parse(&c).ok_or_else(|| {
                    ServiceError::invalid("crop", format!("作物“{c}”无效，应为：{}", crop_list()))
                })?;
                if item.category != ItemCategory::Farm.as_str() {
                    return Err(ServiceError::invalid("crop", "防疫物资的需求不填作物"));
                }
                Some(crop.as_str().to_string())
            }
        };
        let area_mu = match input.area_mu {
            Some(a) if !(1..=10_000_000).contains(&a) => {
                return Err(ServiceError::invalid(
                    "area_mu",
                    "面积应为 1 到 10000000 亩",
                ))
            }
            a => a,
        };
        let from_on = parse_date("from_on", &input.from_on)?;
        let until_on = opt_date("until_on", &input.until_on)?;
        if until_on.is_some_and(|u| u < from_on) {
            return Err(ServiceError::invalid(
                "until_on",
                "截止日期不能早于起始日期",
            ));
        }
        Ok(NewNeed {
            jurisdiction_code: place.to_string(),
            store_id,
            item_id: item.id,
            basis: basis.as_str().into(),
            quantity: q,
            crop,
            area_mu,
            from_on,
            until_on,
            note: text("note", "说明", &input.note, 300, false)?,
            created_by: actor.username.clone(),
        })
    }

    /// Declares a place's need of an item; audited.
    pub async fn declare_need(
        &self,
        actor: &Actor,
        input: &NeedInput,
    ) -> ServiceResult<Written<NeedView>> {
        self.once(
            actor,
            "supply_need",
            &input.idempotency_key,
            &input,
            |claim| self.write_declare_need(actor, input, claim),
            |rid| async move {
                let look = self.lookup(&actor.scope).await?;
                let row = store::need(&self.db, rid)
                    .await?
                    .ok_or_else(|| ServiceError::Internal("需求未找到".into()))?;
                Ok(look.need(row))
            },
        )
        .await
    }

    async fn write_declare_need(
        &self,
        actor: &Actor,
        input: &NeedInput,
        claim: Option<Claim>,
    ) -> ServiceResult<NeedView> {
        self.require(actor, Permission::ManageSupplies, "物资需求", "new")
            .await?;
        let place = self
            .place_in_scope(actor, "jurisdiction_code", input.jurisdiction_code.trim())
            .await?;
        let new = self.check_need(actor, &place, input).await?;
        let mut tx = self.db.begin().await?;
        let ids =
            store::insert_needs(&mut tx, std::slice::from_ref(&new), self.clock.now()).await?;
        let id = ids.first().copied().unwrap_or_default();
        keep(&mut tx, claim.as_ref(), id).await?;
        let look = self.lookup(&actor.scope).await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::SupplyNeedDeclare,
                Outcome::Success,
                "物资需求",
                id.to_string(),
                Some(place.to_string()),
                format!(
                    "{} {} {}{}",
                    NeedBasis::parse(&new.basis).map(|b| b.zh()).unwrap_or(""),
                    look.item_name(new.item_id),
                    new.quantity,
                    look.unit(new.item_id)
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        let row = store::need(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("需求未找到".into()))?;
        Ok(look.need(row))
    }

    // ---- requests ----

    pub async fn supply_requests(
        &self,
        actor: &Actor,
        q: &RequestsQuery,
    ) -> ServiceResult<Vec<RequestView>> {
        self.require(actor, Permission::ReadSupplies, "物资请领", "list")
            .await?;
        let status = match opt_text(&q.status) {
            None => None,
            Some(s) => Some(
                RequestStatus::parse(&s)
                    .ok_or_else(|| ServiceError::invalid("status", format!("状态“{s}”无效")))?
                    .as_str(),
            ),
        };
        let look = self.lookup(&actor.scope).await?;
        Ok(store::requests(&self.db, &actor.scope, status, 500)
            .await?
            .into_iter()
            .map(|r| look.request(r))
            .collect())
    }

    /// A place short of an item asks the level above for it, to be delivered to one of its
    /// stores; audited.
    pub async fn request_supplies(
        &self,
        actor: &Actor,
        input: &RequestInput,
    ) -> ServiceResult<Written<RequestView>> {
        self.once(
            actor,
            "supply_request",
            &input.idempotency_key,
            &input,
            |claim| self.write_request_supplies(actor, input, claim),
            |rid| async move {
                let look = self.lookup(&actor.scope).await?;
                let row = store::request(&self.db, rid)
                    .await?
                    .ok_or_else(|| ServiceError::Internal("请领未找到".into()))?;
                Ok(look.request(row))
            },
        )
        .await
    }

    async fn write_request_supplies(
        &self,
        actor: &Actor,
        input: &RequestInput,
        claim: Option<Claim>,
    ) -> ServiceResult<RequestView> {
        self.require(actor, Permission::ManageSupplies, "物资请领", "new")
            .await?;
        let s = self
            .own_store(actor, input.store_id)
            .await
            .map_err(|e| e.referred_by("store_id"))?;
        let item = self.item_of("item_id", input.item_id).await?;
        let (q, _) = quantity_of(&item, input.quantity, &input.unit, "quantity")?;
        let reason = text("reason", "请领事由", &input.reason, 300, true)?;
        let needed_by = opt_date("needed_by", &input.needed_by)?;
        let requested_on = self.movement_day("requested_on", &input.requested_on)?;
        let place =
            Code::parse(&s.jurisdiction_code).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let Some(above) = place.parent() else {
            return Err(ServiceError::invalid(
                "store_id",
                "省级仓库没有上一级可请领",
            ));
        };
        let mut tx = self.db.begin().await?;
        let id = store::insert_request(
            &mut tx,
            &NewRequest {
                jurisdiction_code: s.jurisdiction_code.clone(),
                to_code: above.to_string(),
                store_id: s.id,
                item_id: item.id,
                quantity: q,
                requested_on,
                needed_by,
                reason,
                created_by: actor.username.clone(),
            },
            self.clock.now(),
        )
        .await?;
        keep(&mut tx, claim.as_ref(), id).await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::SupplyRequest,
                Outcome::Success,
                "物资请领",
                id.to_string(),
                Some(s.jurisdiction_code.clone()),
                format!("{} 向 {above} 请领{} {q}{}", s.name, item.name, item.unit),
            ),
        )
        .await?;
        tx.commit().await?;
        let look = self.lookup(&actor.scope).await?;
        let row = store::request(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("请领未找到".into()))?;
        Ok(look.request(row))
    }

    /// A request the actor may act on as the level above: in scope (else not found), and
    /// from a place below the actor's own node (else refused).
    async fn request_above(&self, actor: &Actor, id: i64) -> ServiceResult<RequestRow> {
        let row = store::request(&self.db, id).await?;
        let r = self
            .own(actor, "物资请领", id, row, |r| &r.jurisdiction_code)
            .await?;
        let own_level = match actor.scope.code() {
            None => true,
            Some(c) => c.as_str().len() < r.jurisdiction_code.len(),
        };
        if !own_level {
            return Err(self
                .refuse(
                    actor,
                    "物资请领",
                    &id.to_string(),
                    Some(r.jurisdiction_code.clone()),
                    ServiceError::Forbidden("本级的请领由上一级分配或答复".into()),
                )
                .await);
        }
        Ok(r)
    }

    /// The level above declines (the rest of) a request, with a note; audited.
    pub async fn decline_request(
        &self,
        actor: &Actor,
        id: i64,
        input: &DeclineInput,
    ) -> ServiceResult<RequestView> {
        self.require(
            actor,
            Permission::ManageSupplies,
            "物资请领",
            &id.to_string(),
        )
        .await?;
        let r = self.request_above(actor, id).await?;
        let note = text("note", "理由", &input.note, 300, true)?;
        let mut tx = self.db.begin().await?;
        if !store::decline_request(&mut tx, id, &note).await? {
            return Err(ServiceError::Conflict {
                field: "status",
                message: format!(
                    "请领 {id} 已{}，不能再答复",
                    RequestStatus::parse(&r.status)
                        .map(|s| s.zh())
                        .unwrap_or("处理")
                ),
            });
        }
        audit_in(
            &mut tx,
            &actor.audit(
                Action::SupplyRequestDecline,
                Outcome::Success,
                "物资请领",
                id.to_string(),
                Some(r.jurisdiction_code.clone()),
                note,
            ),
        )
        .await?;
        tx.commit().await?;
        let look = self.lookup(&actor.scope).await?;
        let row = store::request(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("请领未找到".into()))?;
        Ok(look.request(row))
    }

    // ---- allocations and deliveries ----

    pub async fn supply_allocations(
        &self,
        actor: &Actor,
        q: &AllocationsQuery,
    ) -> ServiceResult<Vec<AllocationView>> {
        self.require(actor, Permission::ReadSupplies, "物资调运", "list")
            .await?;
        let status = match opt_text(&q.status) {
            None => None,
            Some(s) => Some(
                DeliveryStatus::parse(&s)
                    .ok_or_else(|| ServiceError::invalid("status", format!("状态“{s}”无效")))?
                    .as_str(),
            ),
        };
        // Names of stores at either end, even a source above the caller's scope.
        let mut look = self.lookup(&actor.scope).await?;
        let rows = store::allocations(&self.db, &actor.scope, status, 500).await?;
        for a in &rows {
            if !look.stores.contains_key(&a.from_store_id) {
                if let Some(s) = store::store(&self.db, a.from_store_id).await? {
                    look.stores.insert(s.id, s);
                }
            }
        }
        Ok(rows.into_iter().map(|a| look.allocation(a)).collect())
    }

    /// The level above allocates from one of its stores: the stock leaves the source store
    /// at once (a dispatch) and is in transit until the receiving place confirms arrival.
    /// With a request, its item and store are taken and it is marked (partly) allocated; all
    /// in one transaction with its audit row.
    ///
    /// With an idempotency key the dispatch carries it, so that the same key again (a retry
    /// after a lost answer, a double tap) gives the allocation already made, with `false`.
    pub async fn allocate_supplies(
        &self,
        actor: &Actor,
        input: &AllocationInput,
    ) -> ServiceResult<(AllocationView, bool)> {
        self.require(actor, Permission::ManageSupplies, "物资调运", "new")
            .await?;
        let w = self
            .once(
                actor,
                "allocation",
                &input.idempotency_key,
                input,
                |claim| self.write_allocation(actor, input, claim),
                |id| self.replayed_allocation(actor, id),
            )
            .await?;
        Ok((w.record, w.created))
    }

    async fn write_allocation(
        &self,
        actor: &Actor,
        input: &AllocationInput,
        claim: Option<Claim>,
    ) -> ServiceResult<AllocationView> {
        let key = claim.as_ref().map(|c| c.key().to_string());
        let request = match input.request_id {
            Some(rid) => {
                let r = self
                    .request_above(actor, rid)
                    .await
                    .map_err(|e| e.referred_by("request_id"))?;
                if !matches!(r.status.as_str(), "open" | "partly") {
                    return Err(ServiceError::Conflict {
                        field: "request_id",
                        message: format!(
                            "请领 {rid} {}，不能再分配",
                            RequestStatus::parse(&r.status)
                                .map(|s| s.zh())
                                .unwrap_or("")
                        ),
                    });
                }
                Some(r)
            }
            None => None,
        };
        let from = self
            .own_store(actor, input.from_store_id)
            .await
            .map_err(|e| e.referred_by("from_store_id"))?;
        let item_id = match (&request, input.item_id) {
            (Some(r), _) => r.item_id,
            (None, Some(i)) => i,
            (None, None) => return Err(ServiceError::invalid("item_id", "请选择调运的物资")),
        };
        let item = self.item_of("item_id", item_id).await?;
        let (q, typed_unit) = quantity_of(&item, input.quantity, &input.unit, "quantity")?;
        if let Some(r) = &request {
            let rest = r.quantity - r.allocated;
            if q > rest {
                return Err(ServiceError::invalid(
                    "quantity",
                    format!(
                        "请领 {} 尚待分配 {rest} {}，本次分配 {q} {} 超出",
                        r.id, item.unit, item.unit
                    ),
                ));
            }
        }
        let to_id = match (&request, input.to_store_id) {
            (Some(r), _) => r.store_id,
            (None, Some(t)) => t,
            (None, None) => return Err(ServiceError::invalid("to_store_id", "请选择收货仓库")),
        };
        if to_id == from.id {
            return Err(ServiceError::invalid(
                "to_store_id",
                "收货仓库不能是发出仓库",
            ));
        }
        let to = self.target_store(actor, "to_store_id", to_id).await?;
        let day = self.movement_day("allocated_on", &input.allocated_on)?;
        let note = text("note", "备注", &input.note, 300, false)?;
        let mut tx = self.db.begin().await?;
        let id = store::insert_allocation(
            &mut tx,
            &NewAllocation {
                request_id: request.as_ref().map(|r| r.id),
                item_id: item.id,
                quantity: q,
                from_store_id: from.id,
                to_store_id: to.id,
                from_code: from.jurisdiction_code.clone(),
                jurisdiction_code: to.jurisdiction_code.clone(),
                allocated_on: day,
                note,
                created_by: actor.username.clone(),
            },
            self.clock.now(),
        )
        .await?;
        store::insert_movement(
            &mut tx,
            &NewMovement {
                kind: MovementKind::Dispatch.as_str().into(),
                item_id: item.id,
                quantity: q,
                from_store_id: Some(from.id),
                to_store_id: None,
                jurisdiction_code: from.jurisdiction_code.clone(),
                moved_on: day,
                counterparty: to.name.clone(),
                reason: request
                    .as_ref()
                    .map(|r| format!("请领 {}", r.id))
                    .unwrap_or_default(),
                allocation_id: Some(id),
                entered_quantity: input.quantity,
                entered_unit: typed_unit.clone(),
                idempotency_key: key.clone(),
                recorded_by: actor.username.clone(),
            },
            self.clock.now(),
        )
        .await?;
        keep(&mut tx, claim.as_ref(), id).await?;
        Self::take_out(&mut tx, &from, &item, day, q).await?;
        if let Some(r) = &request {
            let status = if r.allocated + q >= r.quantity {
                RequestStatus::Allocated
            } else {
                RequestStatus::Partly
            };
            if !store::add_allocated(&mut tx, r.id, q, status.as_str(), &r.status).await? {
                return Err(ServiceError::Conflict {
                    field: "request_id",
                    message: format!("请领 {} 刚被他人处理，请刷新后重试", r.id),
                });
            }
        }
        audit_in(
            &mut tx,
            &actor.audit(
                Action::SupplyAllocate,
                Outcome::Success,
                "物资调运",
                id.to_string(),
                Some(to.jurisdiction_code.clone()),
                format!(
                    "{} {}{} {} → {}",
                    item.name, input.quantity, typed_unit, from.name, to.name
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        let mut look = self.lookup(&actor.scope).await?;
        look.stores.insert(from.id, from);
        look.stores.insert(to.id, to);
        let row = store::allocation(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("调运未找到".into()))?;
        Ok(look.allocation(row))
    }

    /// The allocation `id`, made by an earlier call with the same key.
    async fn replayed_allocation(&self, actor: &Actor, id: i64) -> ServiceResult<AllocationView> {
        let row = store::allocation(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("调运未找到".into()))?;
        let mut look = self.lookup(&actor.scope).await?;
        for sid in [row.from_store_id, row.to_store_id] {
            if let Some(s) = store::store(&self.db, sid).await? {
                look.stores.insert(s.id, s);
            }
        }
        Ok(look.allocation(row))
    }

    /// The receiving place confirms arrival: the quantity received enters its store (an
    /// arrival), the rest, if any, is recorded as short with the reason; audited.
    pub async fn receive_allocation(
        &self,
        actor: &Actor,
        id: i64,
        input: &ReceiveInput,
    ) -> ServiceResult<AllocationView> {
        self.require(actor, Permission::MoveStock, "物资调运", &id.to_string())
            .await?;
        let row = store::allocation(&self.db, id).await?;
        let a = self
            .own(actor, "物资调运", id, row, |a| &a.jurisdiction_code)
            .await?;
        if a.status != DeliveryStatus::InTransit.as_str() {
            return Err(ServiceError::Conflict {
                field: "allocation",
                message: format!(
                    "调运 {id} 已于 {} 确认到货，不能重复确认",
                    a.received_on.map(|d| d.to_string()).unwrap_or_default()
                ),
            });
        }
        let day = self.movement_day("received_on", &input.received_on)?;
        if day < a.allocated_on {
            return Err(ServiceError::invalid(
                "received_on",
                format!("到货日期不能早于发出日期 {}", a.allocated_on),
            ));
        }
        let q = input.quantity.unwrap_or(a.quantity);
        if q < 0 || q > a.quantity {
            return Err(ServiceError::invalid(
                "quantity",
                format!("实收数量应为 0 到 {}", a.quantity),
            ));
        }
        let note = text("note", "说明", &input.note, 300, false)?;
        if q < a.quantity && note.is_empty() {
            return Err(ServiceError::invalid(
                "note",
                "实收少于发出数量，请说明原因（如 途中破损）",
            ));
        }
        let to = store::store(&self.db, a.to_store_id)
            .await?
            .ok_or_else(|| ServiceError::Internal("仓库未找到".into()))?;
        let item = self.item_of("item_id", a.item_id).await?;
        let mut tx = self.db.begin().await?;
        if !store::mark_received(&mut tx, id, day, q, &actor.username, &note).await? {
            return Err(ServiceError::Conflict {
                field: "allocation",
                message: format!("调运 {id} 刚已确认到货"),
            });
        }
        if q > 0 {
            store::insert_movement(
                &mut tx,
                &NewMovement {
                    kind: MovementKind::Arrival.as_str().into(),
                    item_id: a.item_id,
                    quantity: q,
                    from_store_id: None,
                    to_store_id: Some(a.to_store_id),
                    jurisdiction_code: to.jurisdiction_code.clone(),
                    moved_on: day,
                    counterparty: format!("调运 {id}"),
                    reason: note.clone(),
                    allocation_id: Some(id),
                    entered_quantity: q,
                    entered_unit: item.unit.clone(),
                    idempotency_key: None,
                    recorded_by: actor.username.clone(),
                },
                self.clock.now(),
            )
            .await?;
            Self::put_in(&mut tx, a.to_store_id, a.item_id, day, q).await?;
        }
        audit_in(
            &mut tx,
            &actor.audit(
                Action::SupplyReceive,
                Outcome::Success,
                "物资调运",
                id.to_string(),
                Some(a.jurisdiction_code.clone()),
                format!(
                    "{} 实收 {q}/{} {}{}",
                    item.name,
                    a.quantity,
                    item.unit,
                    if note.is_empty() {
                        String::new()
                    } else {
                        format!("：{note}")
                    }
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        let mut look = self.lookup(&actor.scope).await?;
        if let Some(s) = store::store(&self.db, a.from_store_id).await? {
            look.stores.insert(s.id, s);
        }
        let row = store::allocation(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("调运未找到".into()))?;
        Ok(look.allocation(row))
    }

    // ---- shortfalls ----

    /// Need less stock less deliveries in transit, by place (or store) and item, as of a
    /// day. A daily need counts for `horizon_days` days (a week by default).
    pub async fn shortfalls(&self, actor: &Actor, q: &ShortfallQuery) -> ServiceResult<Shortfalls> {
        self.require(actor, Permission::ReadSupplies, "物资缺口", "list")
            .await?;
        let scope = self.supplies_scope(actor, &q.place).await?;
        let as_of = self.as_of(&q.as_of)?;
        let horizon = q.horizon_days.unwrap_or(DEFAULT_NEED_HORIZON_DAYS);
        if !(1..=366).contains(&horizon) {
            return Err(ServiceError::invalid("horizon_days", "天数应为 1 到 366"));
        }
        Ok(self.supply_state(&scope, as_of).await?.shortfalls(horizon))
    }

    // ---- spring farming ----

    /// Sets the planned area of a crop in a township for a year; audited.
    pub async fn set_farm_plan(
        &self,
        actor: &Actor,
        input: &FarmPlanInput,
    ) -> ServiceResult<FarmPlanView> {
        self.require(actor, Permission::ManageSupplies, "春耕计划", "new")
            .await?;
        let place = self
            .place_in_scope(actor, "jurisdiction_code", input.jurisdiction_code.trim())
            .await?;
        if !matches!(place.level(), Level::Township | Level::Village) {
            return Err(ServiceError::invalid(
                "jurisdiction_code",
                "春耕计划按乡镇（或村）填报",
            ));
        }
        let crop = Crop::parse(&input.crop).ok_or_else(|| {
            ServiceError::invalid(
                "crop",
                format!("作物“{}”无效，应为：{}", input.crop.trim(), crop_list()),
            )
        })?;
        if !(2000..=2100).contains(&input.year) {
            return Err(ServiceError::invalid("year", "年度应为 2000 到 2100"));
        }
        if !(0..=10_000_000).contains(&input.planned_mu) {
            return Err(ServiceError::invalid(
                "planned_mu",
                "计划面积应为 0 到 10000000 亩",
            ));
        }
        let mut tx = self.db.begin().await?;
        let (id, before) = store::set_plan(
            &mut tx,
            place.as_str(),
            input.year,
            crop.as_str(),
            input.planned_mu,
            &actor.username,
            self.clock.now(),
        )
        .await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::FarmPlanSet,
                Outcome::Success,
                "春耕计划",
                id.to_string(),
                Some(place.to_string()),
                format!(
                    "{} {} 计划 {} 亩{}",
                    input.year,
                    crop.zh(),
                    input.planned_mu,
                    before.map(|b| format!("（原 {b} 亩）")).unwrap_or_default()
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        self.farm_plan_view(id).await
    }

    async fn farm_plan_view(&self, id: i64) -> ServiceResult<FarmPlanView> {
        let p = store::plan(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("春耕计划未找到".into()))?;
        let crop = Crop::parse(&p.crop).unwrap_or(Crop::Wolfberry);
        Ok(FarmPlanView {
            id: p.id,
            jurisdiction_code: p.jurisdiction_code,
            place_name: p.place_name,
            year: p.year,
            crop,
            crop_name: crop.zh().into(),
            planned_mu: p.planned_mu,
        })
    }

    /// Reports the prepared and sown area of a plan as of a day (cumulative; a second report
    /// of the same day replaces the first, the figures replaced kept in the audit log).
    pub async fn report_farm_progress(
        &self,
        actor: &Actor,
        plan_id: i64,
        input: &FarmProgressInput,
    ) -> ServiceResult<FarmPlanView> {
        self.require(
            actor,
            Permission::ManageSupplies,
            "春耕计划",
            &plan_id.to_string(),
        )
        .await?;
        let row = store::plan(&self.db, plan_id).await?;
        let p = self
            .own(actor, "春耕计划", plan_id, row, |p| {
                &p.jurisdiction_code
            })
            .await?;
        let day = self.movement_day("reported_on", &input.reported_on)?;
        let limit = p.planned_mu.max(1) * 2;
        if !(0..=limit).contains(&input.prepared_mu) {
            return Err(ServiceError::invalid(
                "prepared_mu",
                format!("已备耕面积应为 0 到 {limit} 亩（计划 {} 亩）", p.planned_mu),
            ));
        }
        if input.sown_mu < 0 || input.sown_mu > input.prepared_mu {
            return Err(ServiceError::invalid(
                "sown_mu",
                "已播种面积应为 0 到已备耕面积",
            ));
        }
        let note = text("note", "说明", &input.note, 300, false)?;
        let mut tx = self.db.begin().await?;
        let before = store::report_progress(
            &mut tx,
            plan_id,
            day,
            input.prepared_mu,
            input.sown_mu,
            &note,
            &actor.username,
            self.clock.now(),
        )
        .await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::FarmProgressReport,
                Outcome::Success,
                "春耕计划",
                plan_id.to_string(),
                Some(p.jurisdiction_code.clone()),
                format!(
                    "{day} 已备耕 {} 亩、已播种 {} 亩{}",
                    input.prepared_mu,
                    input.sown_mu,
                    before
                        .map(|(a, b)| format!("（更正，原 {a}、{b} 亩）"))
                        .unwrap_or_default()
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        self.farm_plan_view(plan_id).await
    }

    /// Spring farming per township as of a day: planned, prepared and sown area by crop;
    /// farm inputs needed, stocked, delivered and in transit.
    pub async fn spring_farming(
        &self,
        actor: &Actor,
        q: &FarmQuery,
    ) -> ServiceResult<SpringFarming> {
        self.require(actor, Permission::ReadSupplies, "春耕备耕", "list")
            .await?;
        let scope = self.supplies_scope(actor, &q.place).await?;
        let as_of = self.as_of(&q.as_of)?;
        let st = self.supply_state(&scope, as_of).await?;
        self.spring_farming_of(&scope, &st).await
    }

    async fn spring_farming_of(
        &self,
        scope: &Scope,
        st: &SupplyState,
    ) -> ServiceResult<SpringFarming> {
        let as_of = st.as_of;
        let year = as_of.year();
        let look = &st.look;
        let plans = store::plans(&self.db, scope, year).await?;
        let progress: HashMap<i64, store::ProgressRow> =
            store::progress_as_of(&self.db, scope, year, as_of)
                .await?
                .into_iter()
                .map(|p| (p.plan_id, p))
                .collect();
        let farm = |item_id: i64| {
            look.items
                .get(&item_id)
                .is_some_and(|i| i.category == ItemCategory::Farm.as_str())
        };
        let needs: Vec<&NeedRow> = st.needs.iter().filter(|n| farm(n.item_id)).collect();
        let balances: Vec<&BalanceRow> = st.balances.iter().filter(|b| farm(b.item_id)).collect();
        let transit = &st.transit;
        let mut townships: BTreeMap<String, FarmTownship> = BTreeMap::new();
        let mut crop_totals: BTreeMap<usize, FarmCrop> = BTreeMap::new();
        for p in plans {
            let crop = Crop::parse(&p.crop).unwrap_or(Crop::Wolfberry);
            let pr = progress.get(&p.id);
            let line = FarmCrop {
                plan_id: Some(p.id),
                crop,
                crop_name: crop.zh().into(),
                planned_mu: p.planned_mu,
                prepared_mu: pr.map(|r| r.prepared_mu).unwrap_or(0),
                sown_mu: pr.map(|r| r.sown_mu).unwrap_or(0),
                reported_on: pr.map(|r| r.reported_on),
                prepared_pct: pct(pr.map(|r| r.prepared_mu).unwrap_or(0), p.planned_mu),
            };
            let idx = Crop::ALL.iter().position(|c| *c == crop).unwrap_or(0);
            let t = crop_totals.entry(idx).or_insert(FarmCrop {
                plan_id: None,
                crop,
                crop_name: crop.zh().into(),
                planned_mu: 0,
                prepared_mu: 0,
                sown_mu: 0,
                reported_on: None,
                prepared_pct: 0.0,
            });
            t.planned_mu += line.planned_mu;
            t.prepared_mu += line.prepared_mu;
            t.sown_mu += line.sown_mu;
            t.reported_on = t.reported_on.max(line.reported_on);
            let town = townships
                .entry(p.jurisdiction_code.clone())
                .or_insert_with(|| FarmTownship {
                    code: p.jurisdiction_code.clone(),
                    name: p.place_name.clone(),
                    crops: Vec::new(),
                    inputs: Vec::new(),
                    planned_mu: 0,
                    prepared_mu: 0,
                    prepared_pct: 0.0,
                });
            town.planned_mu += line.planned_mu;
            town.prepared_mu += line.prepared_mu;
            town.crops.push(line);
        }
        for t in crop_totals.values_mut() {
            t.prepared_pct = pct(t.prepared_mu, t.planned_mu);
        }
        let store_code = |sid: i64| look.stores.get(&sid).map(|s| s.jurisdiction_code.as_str());
        for town in townships.values_mut() {
            town.prepared_pct = pct(town.prepared_mu, town.planned_mu);
            let mut items: BTreeMap<i64, FarmInput> = BTreeMap::new();
            for n in needs
                .iter()
                .filter(|n| under(&n.jurisdiction_code, &town.code))
            {
                farm_input(&mut items, look, n.item_id).needed += n.quantity;
            }
            for b in balances
                .iter()
                .filter(|b| store_code(b.store_id).is_some_and(|c| under(c, &town.code)))
            {
                farm_input(&mut items, look, b.item_id).stocked += b.balance;
            }
            for t in transit.iter().filter(|t| {
                farm(t.item_id) && store_code(t.store_id).is_some_and(|c| under(c, &town.code))
            }) {
                let e = farm_input(&mut items, look, t.item_id);
                e.delivered += t.received;
                e.in_transit += t.in_transit;
            }
            town.inputs = items
                .into_values()
                .map(|mut i| {
                    i.shortfall = shortfall(i.needed, i.stocked, i.in_transit);
                    i
                })
                .collect();
        }
        Ok(SpringFarming {
            as_of,
            year,
            townships: townships.into_values().collect(),
            crops: crop_totals.into_values().collect(),
        })
    }

    /// Farm plans of the caller's scope for a year.
    pub async fn farm_plans(&self, actor: &Actor, year: i32) -> ServiceResult<Vec<FarmPlanView>> {
        self.require(actor, Permission::ReadSupplies, "春耕计划", "list")
            .await?;
        Ok(store::plans(&self.db, &actor.scope, year)
            .await?
            .into_iter()
            .map(|p| {
                let crop = Crop::parse(&p.crop).unwrap_or(Crop::Wolfberry);
                FarmPlanView {
                    id: p.id,
                    jurisdiction_code: p.jurisdiction_code,
                    place_name: p.place_name,
                    year: p.year,
                    crop,
                    crop_name: crop.zh().into(),
                    planned_mu: p.planned_mu,
                }
            })
            .collect())
    }
}

fn farm_input<'a>(
    items: &'a mut BTreeMap<i64, FarmInput>,
    look: &Lookup,
    id: i64,
) -> &'a mut FarmInput {
    items.entry(id).or_insert_with(|| FarmInput {
        item_id: id,
        item_name: look.item_name(id),
        unit: look.unit(id),
        needed: 0,
        stocked: 0,
        delivered: 0,
        in_transit: 0,
        shortfall: 0,
    })
}

fn crop_list() -> String {
    Crop::ALL
        .iter()
        .map(|c| c.zh())
        .collect::<Vec<_>>()
        .join("、")
}
