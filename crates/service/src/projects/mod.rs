//! Major projects and key production.
//!
//! A project belongs to a plan year (that of its planned start). Its start rate as of a day
//! D is shown two ways, each with numerator and denominator: started by D among those
//! planned to start by D, and started by D among all the year's projects. Investment is in
//! 万元; a progress entry is the amount completed in the plan year up to its day (年度累计),
//! so the completion rate as of D = the latest entry on or before D ÷ the annual plan.
//!
//! Key plants report a day's output (one figure per day; a correction replaces it and the
//! audit log keeps the old figure) and their shipments, each to a province.
//!
//! Who may write: registering projects and plants and recording starts and investment is
//! ledger work (`ManageEnterprises`, as for the enterprise registry); a plant's daily output
//! and shipments are daily filings like an enterprise's daily report (`FileReports`), so the
//! enterprise liaison can file them as well as the operator.

use crate::actor::commit_audited;
use crate::idempotency::commit_created;
use crate::idempotency::{Claim, Written};
use crate::input::parse_date;
use crate::input::text_of as text;
use crate::resumption::{rate, Rate};
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::{Datelike, NaiveDate};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::projects::{
    parse_province, province_name, ProjectCategory, ProjectStatus, ShipMode, MAX_INVESTMENT,
};
use dualtrack_domain::role::Permission;
use dualtrack_store::decode;
use dualtrack_store::projects::{
    self as store, NewPlant, NewProject, NewShipment, PlantRow, ProjectRow,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::{IntoParams, ToSchema};

mod key_production;
mod plants;
mod project;
mod shipments;

/// The largest daily quantity accepted for output, capacity and shipments.
const MAX_QUANTITY: i64 = 10_000_000;

fn not_future(
    field: &'static str,
    label: &str,
    d: NaiveDate,
    today: NaiveDate,
) -> ServiceResult<NaiveDate> {
    if d > today {
        return Err(ServiceError::invalid(
            field,
            format!("{label}{d}晚于今天，不能预先填报"),
        ));
    }
    Ok(d)
}

/// A whole number from `min` to `max` (`unit` after the bound in the message); a negative
/// one is refused as such.
fn bounded(
    field: &'static str,
    label: &str,
    v: i64,
    (min, max, unit): (i64, i64, &str),
) -> ServiceResult<i64> {
    if v < 0 {
        return Err(ServiceError::invalid(
            field,
            format!("{label}不能为负数，收到 {v}"),
        ));
    }
    if v < min || v > max {
        return Err(ServiceError::invalid(
            field,
            format!("{label}应为 {min} 到 {max}{unit}之间的整数，收到 {v}"),
        ));
    }
    Ok(v)
}

/// An amount of investment in 万元.
fn money(field: &'static str, label: &str, v: i64, min: i64) -> ServiceResult<i64> {
    bounded(field, label, v, (min, MAX_INVESTMENT, " 万元"))
}

fn quantity(field: &'static str, label: &str, v: i64, min: i64) -> ServiceResult<i64> {
    bounded(field, label, v, (min, MAX_QUANTITY, " "))
}

fn county_of(code: &str) -> String {
    code.chars().take(6).collect()
}

// ---- projects ----

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectView {
    pub id: i64,
    pub name: String,
    pub jurisdiction_code: String,
    pub category: ProjectCategory,
    pub category_name: String,
    /// 建设单位
    pub owner: String,
    /// 计划年度（计划开工日期所在年）
    pub plan_year: i64,
    /// 总投资（万元）
    pub total_investment: i64,
    /// 年度计划投资（万元）
    pub annual_plan: i64,
    pub planned_start: NaiveDate,
    /// 实际开工（复工）日期；未开工为空
    pub actual_start: Option<NaiveDate>,
    /// 续建复工（否则为新开工）
    pub is_restart: bool,
    pub status: ProjectStatus,
    pub status_name: String,
}

/// The category of a stored project.
fn project_category(p: &ProjectRow) -> ServiceResult<ProjectCategory> {
    Ok(decode(
        "major_projects",
        "category",
        &p.category,
        ProjectCategory::parse,
    )?)
}

fn project_view(p: ProjectRow) -> ServiceResult<ProjectView> {
    let category = project_category(&p)?;
    let status = decode("major_projects", "status", &p.status, ProjectStatus::parse)?;
    Ok(ProjectView {
        id: p.id,
        name: p.name,
        jurisdiction_code: p.jurisdiction_code,
        category_name: category.zh().into(),
        category,
        owner: p.owner,
        plan_year: p.plan_year,
        total_investment: p.total_investment,
        annual_plan: p.annual_plan,
        planned_start: p.planned_start,
        actual_start: p.actual_start,
        is_restart: p.is_restart,
        status_name: status.zh().into(),
        status,
    })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgressView {
    pub as_of: NaiveDate,
    /// 年度累计完成投资（万元），截至当日
    pub completed: i64,
    pub note: String,
    pub filed_by: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectDetail {
    pub project: ProjectView,
    /// 投资进度（新的在前）
    pub progress: Vec<ProgressView>,
    /// 最近一次填报的年度累计完成投资（万元）
    pub completed: i64,
    /// 投资完成率：最近一次年度累计完成投资 ÷ 年度计划投资
    pub investment_rate: Rate,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ProjectInput {
    pub name: String,
    /// 所在区划代码（县或乡镇）
    pub jurisdiction_code: String,
    /// transport、energy、water、industry、livelihood、ecology（或 交通、能源、水利、产业、民生、生态）
    pub category: String,
    /// 建设单位
    #[serde(default)]
    pub owner: String,
    /// 总投资（万元）
    pub total_investment: i64,
    /// 年度计划投资（万元），不大于总投资
    pub annual_plan: i64,
    /// 计划开工（复工）日期；其所在年为计划年度
    pub planned_start: String,
    /// 续建项目复工为 true，新开工为 false
    #[serde(default)]
    pub is_restart: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct StartInput {
    /// 实际开工（复工）日期：不早于计划年度 1 月 1 日，不晚于今天
    pub actual_start: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ProgressInput {
    /// 截至日期：在计划年度内，不早于实际开工日期，不晚于今天
    pub as_of: String,
    /// 年度累计完成投资（万元），不小于此前、不大于此后的填报，不大于总投资
    pub completed: i64,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct ProjectListQuery {
    /// 计划年度，默认今年
    pub year: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// 截至日期（含当日），如 2020-02-28
    pub as_of: String,
}

/// The start and investment figures of a place as of a day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectPlaceRates {
    /// 县级区划代码；合计行为所查范围的代码
    pub code: String,
    /// 计划年度重大项目数
    pub projects: i64,
    /// 其中续建复工项目数
    pub restarts: i64,
    /// 开工率（按计划）：计划截至当日开工的项目中已开工的 ÷ 计划截至当日开工的项目
    pub start_rate: Rate,
    /// 开工率（全部）：截至当日已开工（复工）项目 ÷ 全部项目
    pub start_rate_all: Rate,
    /// 提前开工（计划开工日期在当日之后但已开工）的项目数
    pub started_ahead: i64,
    /// 投资完成率：截至当日年度累计完成投资 ÷ 年度计划投资（万元）
    pub investment_rate: Rate,
}

/// One project as of a day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectLine {
    pub id: i64,
    pub name: String,
    pub jurisdiction_code: String,
    pub category_name: String,
    pub is_restart: bool,
    pub planned_start: NaiveDate,
    /// 截至当日的实际开工日期（当日之后开工的为空）
    pub started_on: Option<NaiveDate>,
    pub annual_plan: i64,
    /// 截至当日年度累计完成投资（万元）
    pub completed: i64,
    pub investment_rate: Rate,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectRatesView {
    pub as_of: NaiveDate,
    pub plan_year: i64,
    pub total: ProjectPlaceRates,
    /// 各县并列
    pub counties: Vec<ProjectPlaceRates>,
    pub projects: Vec<ProjectLine>,
}

fn place_rates(code: String, rows: &[(&ProjectRow, i64)], as_of: NaiveDate) -> ProjectPlaceRates {
    let started = |p: &ProjectRow| p.actual_start.is_some_and(|d| d <= as_of);
    let planned = |p: &ProjectRow| p.planned_start <= as_of;
    let n = |f: &dyn Fn(&ProjectRow) -> bool| rows.iter().filter(|(p, _)| f(p)).count() as i64;
    ProjectPlaceRates {
        code,
        projects: rows.len() as i64,
        restarts: n(&|p| p.is_restart),
        start_rate: rate(n(&|p| planned(p) && started(p)), n(&|p| planned(p))),
        start_rate_all: rate(n(&|p| started(p)), rows.len() as i64),
        started_ahead: n(&|p| !planned(p) && started(p)),
        investment_rate: rate(
            rows.iter().map(|(_, c)| c).sum(),
            rows.iter().map(|(p, _)| p.annual_plan).sum(),
        ),
    }
}

// ---- key plants ----

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlantView {
    pub id: i64,
    pub name: String,
    /// 台账中的企业编号
    pub enterprise_id: Option<i64>,
    pub jurisdiction_code: String,
    /// 产品，如 氯化钾、纯碱
    pub product: String,
    /// 单位，如 吨
    pub unit: String,
    /// 设计日产能（单位/日）
    pub design_capacity: i64,
}

fn plant_view(p: PlantRow) -> PlantView {
    PlantView {
        id: p.id,
        name: p.name,
        enterprise_id: p.enterprise_id,
        jurisdiction_code: p.jurisdiction_code,
        product: p.product,
        unit: p.unit,
        design_capacity: p.design_capacity,
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PlantInput {
    pub name: String,
    /// 台账中的企业编号（可空）
    #[serde(default)]
    pub enterprise_id: Option<i64>,
    pub jurisdiction_code: String,
    pub product: String,
    pub unit: String,
    /// 设计日产能
    pub design_capacity: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct OutputInput {
    /// 生产日期，不晚于今天
    pub output_date: String,
    /// 当日产量（0 到设计日产能的 2 倍）；同日再报即为更正
    pub output: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutputView {
    pub output_date: NaiveDate,
    pub output: i64,
    /// 产能利用率：当日产量 ÷ 设计日产能
    pub utilisation: Rate,
    pub filed_by: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutputFiled {
    pub plant_id: i64,
    pub output_date: NaiveDate,
    pub output: i64,
    /// 被更正的原产量（首次填报为空）
    pub replaced: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct ShipmentInput {
    /// 客户端生成的幂等键：重复提交时同一键只记一次（也可放在请求头 Idempotency-Key）
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// 发运日期，不晚于今天
    pub ship_date: String,
    /// 目的地省份：两位省级区划代码（GB/T 2260），如 23 黑龙江
    pub province_code: String,
    /// 数量（与产品同单位），大于 0
    pub quantity: i64,
    /// road（公路）或 rail（铁路）
    pub mode: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShipmentView {
    pub id: i64,
    pub plant_id: i64,
    pub ship_date: NaiveDate,
    pub province_code: String,
    pub province_name: String,
    pub quantity: i64,
    pub mode: ShipMode,
    pub mode_name: String,
    pub note: String,
    pub filed_by: String,
}

fn shipment_view(s: store::ShipmentRow) -> ServiceResult<ShipmentView> {
    let mode = decode("plant_shipments", "mode", &s.mode, ShipMode::parse)?;
    Ok(ShipmentView {
        id: s.id,
        plant_id: s.plant_id,
        ship_date: s.ship_date,
        province_name: province_name(&s.province_code)
            .unwrap_or_default()
            .to_string(),
        province_code: s.province_code,
        quantity: s.quantity,
        mode_name: mode.zh().into(),
        mode,
        note: s.note,
        filed_by: s.filed_by,
    })
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// 起始日期（含），默认不限
    pub from: Option<String>,
    /// 截止日期（含），默认不限
    pub to: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct ProductionQuery {
    /// 截至日期（含当日），如 2020-02-27
    pub as_of: String,
    /// 累计与发运的起始日期（含），默认为截至日期所在月的 1 日
    pub from: Option<String>,
}

/// One plant as of a day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlantLine {
    pub id: i64,
    pub name: String,
    pub jurisdiction_code: String,
    pub product: String,
    pub unit: String,
    pub design_capacity: i64,
    /// 当日产量（未报为空）
    pub day_output: Option<i64>,
    /// 当日产能利用率：当日产量 ÷ 设计日产能
    pub utilisation: Rate,
    /// 起始日以来累计产量
    pub period_output: i64,
    /// 起始日以来累计产能利用率：累计产量 ÷（设计日产能 × 天数）
    pub period_utilisation: Rate,
    /// 起始日以来发运量
    pub shipped: i64,
}

/// A product summed over the plants making it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductLine {
    pub product: String,
    pub unit: String,
    pub plants: i64,
    pub utilisation: Rate,
    pub period_output: i64,
    pub shipped: i64,
}

/// A product shipped to a province over the period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProvinceLine {
    pub province_code: String,
    pub province_name: String,
    pub product: String,
    pub unit: String,
    pub road: i64,
    pub rail: i64,
    pub quantity: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KeyProductionView {
    pub as_of: NaiveDate,
    pub from: NaiveDate,
    /// 起始日至截至日的天数（含两端）
    pub days: i64,
    pub plants: Vec<PlantLine>,
    pub products: Vec<ProductLine>,
    /// 按目的地省份的发运量（各产品分列，量大的在前）
    pub provinces: Vec<ProvinceLine>,
}

fn period(q: &PeriodQuery) -> ServiceResult<(NaiveDate, NaiveDate)> {
    let opt = |field: &'static str, v: &Option<String>| -> ServiceResult<Option<NaiveDate>> {
        match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => parse_date(field, s).map(Some),
            None => Ok(None),
        }
    };
    let from =
        opt("from", &q.from)?.unwrap_or(NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default());
    let to = opt("to", &q.to)?.unwrap_or(NaiveDate::from_ymd_opt(2999, 12, 31).unwrap_or_default());
    if to < from {
        return Err(ServiceError::invalid("to", "截止日期不能早于起始日期"));
    }
    Ok((from, to))
}
