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

use crate::actor::audit_in;
use crate::idempotency::{keep, Claim, Written};
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
use dualtrack_store::projects::{
    self as store, NewPlant, NewProject, NewShipment, PlantRow, ProjectRow,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::{IntoParams, ToSchema};

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

fn project_view(p: ProjectRow) -> ProjectView {
    let category = ProjectCategory::parse(&p.category).unwrap_or(ProjectCategory::Industry);
    let status = ProjectStatus::parse(&p.status).unwrap_or(ProjectStatus::Planned);
    ProjectView {
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
    }
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

fn shipment_view(s: store::ShipmentRow) -> ShipmentView {
    let mode = ShipMode::parse(&s.mode).unwrap_or(ShipMode::Road);
    ShipmentView {
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
    }
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

impl App {
    async fn project_in_scope(&self, actor: &Actor, id: i64) -> ServiceResult<ProjectRow> {
        let row = store::project(&self.db, id).await?;
        self.own(actor, "重大项目", id, row, |p| &p.jurisdiction_code)
            .await
    }

    async fn plant_in_scope(&self, actor: &Actor, id: i64) -> ServiceResult<PlantRow> {
        let row = store::plant(&self.db, id).await?;
        self.own(actor, "重点企业（厂）", id, row, |p| {
            &p.jurisdiction_code
        })
        .await
    }

    pub async fn create_project(
        &self,
        actor: &Actor,
        input: &ProjectInput,
    ) -> ServiceResult<ProjectDetail> {
        self.require(
            actor,
            Permission::ManageEnterprises,
            "重大项目",
            &input.name,
        )
        .await?;
        let name = text("name", "项目名称", &input.name, 100, true)?;
        let category = ProjectCategory::parse(&input.category).ok_or_else(|| {
            ServiceError::invalid(
                "category",
                format!(
                    "项目类别“{}”无效，应为 交通、能源、水利、产业、民生、生态 之一",
                    input.category
                ),
            )
        })?;
        let owner = text("owner", "建设单位", &input.owner, 100, false)?;
        let total = money("total_investment", "总投资", input.total_investment, 1)?;
        let annual = money("annual_plan", "年度计划投资", input.annual_plan, 1)?;
        if annual > total {
            return Err(ServiceError::invalid(
                "annual_plan",
                format!("年度计划投资 {annual} 万元不能大于总投资 {total} 万元"),
            ));
        }
        let planned_start = parse_date("planned_start", &input.planned_start)?;
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        let mut tx = self.db.begin().await?;
        let row = NewProject {
            name: name.clone(),
            jurisdiction_code: code.to_string(),
            category: category.as_str().into(),
            owner,
            plan_year: planned_start.year() as i64,
            total_investment: total,
            annual_plan: annual,
            planned_start,
            actual_start: None,
            is_restart: input.is_restart,
            status: ProjectStatus::Planned.as_str().into(),
        };
        let id = store::insert_project(&mut tx, &row, self.clock.now()).await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::ProjectCreate,
                Outcome::Success,
                "重大项目",
                id.to_string(),
                Some(code.to_string()),
                format!(
                    "{name}：总投资 {total} 万元，年度计划 {annual} 万元，计划开工 {planned_start}"
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        self.get_project(actor, id).await
    }

    pub async fn get_project(&self, actor: &Actor, id: i64) -> ServiceResult<ProjectDetail> {
        self.require(
            actor,
            Permission::ReadResumption,
            "重大项目",
            &id.to_string(),
        )
        .await?;
        let p = self.project_in_scope(actor, id).await?;
        let progress: Vec<ProgressView> = store::progress(&self.db, id)
            .await?
            .into_iter()
            .map(|g| ProgressView {
                as_of: g.as_of,
                completed: g.completed,
                note: g.note,
                filed_by: g.filed_by,
            })
            .collect();
        let completed = progress.first().map(|g| g.completed).unwrap_or(0);
        Ok(ProjectDetail {
            investment_rate: rate(completed, p.annual_plan),
            completed,
            project: project_view(p),
            progress,
        })
    }

    pub async fn list_projects(
        &self,
        actor: &Actor,
        year: Option<i64>,
    ) -> ServiceResult<Vec<ProjectView>> {
        self.require(actor, Permission::ReadResumption, "重大项目", "list")
            .await?;
        let year = year.unwrap_or(self.today().year() as i64);
        if !(2000..=2100).contains(&year) {
            return Err(ServiceError::invalid(
                "year",
                format!("计划年度 {year} 无效，应为 2000 到 2100 之间"),
            ));
        }
        let rows = store::list_projects(&self.db, &actor.scope, year).await?;
        Ok(rows.into_iter().map(project_view).collect())
    }

    /// Records the day a project started (or, for one carried over, restarted).
    pub async fn start_project(
        &self,
        actor: &Actor,
        id: i64,
        input: &StartInput,
    ) -> ServiceResult<ProjectDetail> {
        self.require(
            actor,
            Permission::ManageEnterprises,
            "重大项目",
            &id.to_string(),
        )
        .await?;
        let p = self.project_in_scope(actor, id).await?;
        let on = parse_date("actual_start", &input.actual_start)?;
        not_future("actual_start", "实际开工日期", on, self.today())?;
        if (on.year() as i64) < p.plan_year {
            return Err(ServiceError::invalid(
                "actual_start",
                format!(
                    "实际开工日期 {on} 早于计划年度 {} 年 1 月 1 日",
                    p.plan_year
                ),
            ));
        }
        if let Some(d) = p.actual_start {
            return Err(ServiceError::Conflict {
                field: "actual_start",
                message: format!("该项目已于 {d} 开工，不能重复登记"),
            });
        }
        let word = if p.is_restart { "复工" } else { "开工" };
        let mut tx = self.db.begin().await?;
        store::set_start(&mut tx, id, on).await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::ProjectStart,
                Outcome::Success,
                "重大项目",
                id.to_string(),
                Some(p.jurisdiction_code.clone()),
                format!("{}：{on} {word}", p.name),
            ),
        )
        .await?;
        tx.commit().await?;
        self.get_project(actor, id).await
    }

    /// Enters the investment completed in the plan year up to a day.
    pub async fn record_progress(
        &self,
        actor: &Actor,
        id: i64,
        input: &ProgressInput,
    ) -> ServiceResult<ProjectDetail> {
        self.require(
            actor,
            Permission::ManageEnterprises,
            "重大项目",
            &id.to_string(),
        )
        .await?;
        let p = self.project_in_scope(actor, id).await?;
        let as_of = parse_date("as_of", &input.as_of)?;
        not_future("as_of", "截至日期", as_of, self.today())?;
        if as_of.year() as i64 != p.plan_year {
            return Err(ServiceError::invalid(
                "as_of",
                format!(
                    "截至日期 {as_of} 不在计划年度 {} 年内（填报的是年度累计完成投资）",
                    p.plan_year
                ),
            ));
        }
        let completed = money("completed", "年度累计完成投资", input.completed, 0)?;
        let Some(started) = p.actual_start else {
            return Err(ServiceError::invalid(
                "as_of",
                "项目尚未登记开工（复工），不能填报投资进度",
            ));
        };
        if as_of < started {
            return Err(ServiceError::invalid(
                "as_of",
                format!("截至日期 {as_of} 早于实际开工日期 {started}"),
            ));
        }
        if completed > p.total_investment {
            return Err(ServiceError::invalid(
                "completed",
                format!(
                    "年度累计完成投资 {completed} 万元超过总投资 {} 万元",
                    p.total_investment
                ),
            ));
        }
        let (before, after) = store::progress_around(&self.db, id, as_of).await?;
        if let Some(b) = before.filter(|b| b.completed > completed) {
            return Err(ServiceError::invalid(
                "completed",
                format!(
                    "年度累计完成投资 {completed} 万元少于 {} 已填报的 {} 万元（应为累计数）",
                    b.as_of, b.completed
                ),
            ));
        }
        if let Some(a) = after.filter(|a| a.completed < completed) {
            return Err(ServiceError::invalid(
                "completed",
                format!(
                    "年度累计完成投资 {completed} 万元多于 {} 已填报的 {} 万元（应为累计数）",
                    a.as_of, a.completed
                ),
            ));
        }
        let note = text("note", "说明", &input.note, 500, false)?;
        let mut tx = self.db.begin().await?;
        let old = store::put_progress(
            &mut tx,
            id,
            as_of,
            completed,
            &note,
            &actor.username,
            self.clock.now(),
        )
        .await?;
        let detail = match old {
            Some(o) => format!(
                "{}：截至 {as_of} 年度累计完成投资 {completed} 万元（更正，原 {o} 万元）",
                p.name
            ),
            None => format!("{}：截至 {as_of} 年度累计完成投资 {completed} 万元", p.name),
        };
        audit_in(
            &mut tx,
            &actor.audit(
                Action::ProjectProgress,
                Outcome::Success,
                "重大项目",
                id.to_string(),
                Some(p.jurisdiction_code.clone()),
                detail,
            ),
        )
        .await?;
        tx.commit().await?;
        self.get_project(actor, id).await
    }

    /// Start and investment rates as of the end of a day, counties side by side, each with
    /// numerator and denominator; the projects are those of the day's year.
    pub async fn project_rates(
        &self,
        actor: &Actor,
        raw_as_of: &str,
    ) -> ServiceResult<ProjectRatesView> {
        self.require(actor, Permission::ReadResumption, "重大项目", "rates")
            .await?;
        let as_of = parse_date("as_of", raw_as_of)?;
        let year = as_of.year();
        let year_start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(as_of);
        let rows = store::list_projects(&self.db, &actor.scope, year as i64).await?;
        let done: HashMap<i64, i64> =
            store::completed_by(&self.db, &actor.scope, year as i64, year_start, as_of)
                .await?
                .into_iter()
                .collect();
        let with: Vec<(&ProjectRow, i64)> = rows
            .iter()
            .map(|p| (p, done.get(&p.id).copied().unwrap_or(0)))
            .collect();
        let mut by_county: BTreeMap<String, Vec<(&ProjectRow, i64)>> = BTreeMap::new();
        for (p, c) in &with {
            by_county
                .entry(county_of(&p.jurisdiction_code))
                .or_default()
                .push((p, *c));
        }
        let projects = with
            .iter()
            .map(|(p, c)| {
                let category =
                    ProjectCategory::parse(&p.category).unwrap_or(ProjectCategory::Industry);
                ProjectLine {
                    id: p.id,
                    name: p.name.clone(),
                    jurisdiction_code: p.jurisdiction_code.clone(),
                    category_name: category.zh().into(),
                    is_restart: p.is_restart,
                    planned_start: p.planned_start,
                    started_on: p.actual_start.filter(|d| *d <= as_of),
                    annual_plan: p.annual_plan,
                    completed: *c,
                    investment_rate: rate(*c, p.annual_plan),
                }
            })
            .collect();
        Ok(ProjectRatesView {
            as_of,
            plan_year: year as i64,
            total: place_rates(actor.home_code().unwrap_or_default(), &with, as_of),
            counties: by_county
                .into_iter()
                .map(|(code, r)| place_rates(code, &r, as_of))
                .collect(),
            projects,
        })
    }

    // ---- key plants ----

    pub async fn create_plant(
        &self,
        actor: &Actor,
        input: &PlantInput,
    ) -> ServiceResult<PlantView> {
        self.require(
            actor,
            Permission::ManageEnterprises,
            "重点企业（厂）",
            &input.name,
        )
        .await?;
        let name = text("name", "名称", &input.name, 100, true)?;
        let product = text("product", "产品", &input.product, 20, true)?;
        let unit = text("unit", "单位", &input.unit, 10, true)?;
        let capacity = quantity("design_capacity", "设计日产能", input.design_capacity, 1)?;
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        if let Some(e) = input.enterprise_id {
            let row = dualtrack_store::resumption::enterprise(&self.db, e).await?;
            self.own(actor, "企业", e, row, |r| &r.jurisdiction_code)
                .await
                .map_err(|e| e.referred_by("enterprise_id"))?;
        }
        let mut tx = self.db.begin().await?;
        let id = store::insert_plant(
            &mut tx,
            &NewPlant {
                name: name.clone(),
                enterprise_id: input.enterprise_id,
                jurisdiction_code: code.to_string(),
                product: product.clone(),
                unit: unit.clone(),
                design_capacity: capacity,
            },
            self.clock.now(),
        )
        .await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::PlantCreate,
                Outcome::Success,
                "重点企业（厂）",
                id.to_string(),
                Some(code.to_string()),
                format!("{name}：{product}，设计日产能 {capacity} {unit}"),
            ),
        )
        .await?;
        tx.commit().await?;
        self.get_plant(actor, id).await
    }

    pub async fn get_plant(&self, actor: &Actor, id: i64) -> ServiceResult<PlantView> {
        self.require(
            actor,
            Permission::ReadResumption,
            "重点企业（厂）",
            &id.to_string(),
        )
        .await?;
        Ok(plant_view(self.plant_in_scope(actor, id).await?))
    }

    pub async fn list_plants(&self, actor: &Actor) -> ServiceResult<Vec<PlantView>> {
        self.require(actor, Permission::ReadResumption, "重点企业（厂）", "list")
            .await?;
        Ok(store::list_plants(&self.db, &actor.scope)
            .await?
            .into_iter()
            .map(plant_view)
            .collect())
    }

    /// Files a day's output; a second filing for the day corrects the first, the old figure
    /// kept in the audit log.
    pub async fn file_output(
        &self,
        actor: &Actor,
        id: i64,
        input: &OutputInput,
    ) -> ServiceResult<OutputFiled> {
        self.require(
            actor,
            Permission::FileReports,
            "重点企业（厂）",
            &id.to_string(),
        )
        .await?;
        let p = self.plant_in_scope(actor, id).await?;
        let day = parse_date("output_date", &input.output_date)?;
        not_future("output_date", "生产日期", day, self.today())?;
        let output = quantity("output", "当日产量", input.output, 0)?;
        if output > p.design_capacity * 2 {
            return Err(ServiceError::invalid(
                "output",
                format!(
                    "当日产量 {output} {} 超过设计日产能 {} 的 2 倍，请核对",
                    p.unit, p.design_capacity
                ),
            ));
        }
        let mut tx = self.db.begin().await?;
        let replaced =
            store::put_output(&mut tx, id, day, output, &actor.username, self.clock.now()).await?;
        let detail = match replaced {
            Some(o) => format!("{}：{day} 产量 {output} {}（更正，原 {o}）", p.name, p.unit),
            None => format!("{}：{day} 产量 {output} {}", p.name, p.unit),
        };
        audit_in(
            &mut tx,
            &actor.audit(
                Action::PlantOutput,
                Outcome::Success,
                "重点企业（厂）",
                id.to_string(),
                Some(p.jurisdiction_code.clone()),
                detail,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(OutputFiled {
            plant_id: id,
            output_date: day,
            output,
            replaced,
        })
    }

    pub async fn plant_outputs(
        &self,
        actor: &Actor,
        id: i64,
        q: &PeriodQuery,
    ) -> ServiceResult<Vec<OutputView>> {
        self.require(
            actor,
            Permission::ReadResumption,
            "重点企业（厂）",
            &id.to_string(),
        )
        .await?;
        let p = self.plant_in_scope(actor, id).await?;
        let (from, to) = period(q)?;
        Ok(store::outputs(&self.db, id, from, to)
            .await?
            .into_iter()
            .map(|o| OutputView {
                output_date: o.output_date,
                output: o.output,
                utilisation: rate(o.output, p.design_capacity),
                filed_by: o.filed_by,
            })
            .collect())
    }

    pub async fn record_shipment(
        &self,
        actor: &Actor,
        id: i64,
        input: &ShipmentInput,
    ) -> ServiceResult<Written<ShipmentView>> {
        self.once(
            actor,
            "shipment",
            &input.idempotency_key,
            &(id, input),
            |claim| self.write_record_shipment(actor, id, input, claim),
            // Found by its id: a retried shipment may be dated outside any default period.
            |rid| async move {
                self.plant_in_scope(actor, id).await?;
                store::shipment(&self.db, id, rid)
                    .await?
                    .map(shipment_view)
                    .ok_or_else(|| ServiceError::Internal(format!("发运记录 {rid} 未找到")))
            },
        )
        .await
    }

    async fn write_record_shipment(
        &self,
        actor: &Actor,
        id: i64,
        input: &ShipmentInput,
        claim: Option<Claim>,
    ) -> ServiceResult<ShipmentView> {
        self.require(
            actor,
            Permission::FileReports,
            "重点企业（厂）",
            &id.to_string(),
        )
        .await?;
        let p = self.plant_in_scope(actor, id).await?;
        let day = parse_date("ship_date", &input.ship_date)?;
        not_future("ship_date", "发运日期", day, self.today())?;
        let province = parse_province(&input.province_code)
            .map_err(|m| ServiceError::invalid("province_code", m))?;
        let qty = quantity("quantity", "发运量", input.quantity, 1)?;
        let mode = ShipMode::parse(&input.mode).ok_or_else(|| {
            ServiceError::invalid(
                "mode",
                format!(
                    "运输方式“{}”无效，应为 road（公路）或 rail（铁路）",
                    input.mode
                ),
            )
        })?;
        let note = text("note", "说明", &input.note, 200, false)?;
        let mut tx = self.db.begin().await?;
        let sid = store::insert_shipment(
            &mut tx,
            &NewShipment {
                plant_id: id,
                ship_date: day,
                province_code: province.clone(),
                quantity: qty,
                mode: mode.as_str().into(),
                note: note.clone(),
                filed_by: actor.username.clone(),
            },
            self.clock.now(),
        )
        .await?;
        keep(&mut tx, claim.as_ref(), sid).await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::PlantShipment,
                Outcome::Success,
                "重点企业（厂）",
                id.to_string(),
                Some(p.jurisdiction_code.clone()),
                format!(
                    "{}：{day} {}运往{} {qty} {}",
                    p.name,
                    mode.zh(),
                    province_name(&province).unwrap_or_default(),
                    p.unit
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(ShipmentView {
            id: sid,
            plant_id: id,
            ship_date: day,
            province_name: province_name(&province).unwrap_or_default().to_string(),
            province_code: province,
            quantity: qty,
            mode,
            mode_name: mode.zh().into(),
            note,
            filed_by: actor.username.clone(),
        })
    }

    pub async fn plant_shipments(
        &self,
        actor: &Actor,
        id: i64,
        q: &PeriodQuery,
    ) -> ServiceResult<Vec<ShipmentView>> {
        self.require(
            actor,
            Permission::ReadResumption,
            "重点企业（厂）",
            &id.to_string(),
        )
        .await?;
        self.plant_in_scope(actor, id).await?;
        let (from, to) = period(q)?;
        Ok(store::shipments(&self.db, id, from, to)
            .await?
            .into_iter()
            .map(shipment_view)
            .collect())
    }

    /// Key production as of a day: each plant's output that day against its capacity, its
    /// output and shipments since `from`, and the shipments by destination province.
    pub async fn key_production(
        &self,
        actor: &Actor,
        raw_as_of: &str,
        raw_from: Option<&str>,
    ) -> ServiceResult<KeyProductionView> {
        self.require(actor, Permission::ReadResumption, "重点生产", "figures")
            .await?;
        let as_of = parse_date("as_of", raw_as_of)?;
        let from = match raw_from.map(str::trim).filter(|s| !s.is_empty()) {
            Some(f) => parse_date("from", f)?,
            None => as_of.with_day(1).unwrap_or(as_of),
        };
        if from > as_of {
            return Err(ServiceError::invalid("from", "起始日期不能晚于截至日期"));
        }
        let days = (as_of - from).num_days() + 1;
        if days > 366 {
            return Err(ServiceError::invalid("from", "统计区间不能超过 366 天"));
        }
        let plants = store::list_plants(&self.db, &actor.scope).await?;
        let sums: HashMap<i64, store::PlantOutputSum> =
            store::output_sums(&self.db, &actor.scope, from, as_of)
                .await?
                .into_iter()
                .map(|s| (s.plant_id, s))
                .collect();
        let ships = store::shipment_sums(&self.db, &actor.scope, from, as_of).await?;
        let mut shipped: HashMap<i64, i64> = HashMap::new();
        for s in &ships {
            *shipped.entry(s.plant_id).or_default() += s.quantity;
        }
        let lines: Vec<PlantLine> = plants
            .iter()
            .map(|p| {
                let s = sums.get(&p.id);
                let day_output = s.and_then(|s| s.day_output);
                let period_output = s.map(|s| s.period_output).unwrap_or(0);
                PlantLine {
                    id: p.id,
                    name: p.name.clone(),
                    jurisdiction_code: p.jurisdiction_code.clone(),
                    product: p.product.clone(),
                    unit: p.unit.clone(),
                    design_capacity: p.design_capacity,
                    day_output,
                    utilisation: rate(day_output.unwrap_or(0), p.design_capacity),
                    period_output,
                    period_utilisation: rate(period_output, p.design_capacity * days),
                    shipped: shipped.get(&p.id).copied().unwrap_or(0),
                }
            })
            .collect();
        // Products in the order their first plant is listed.
        let mut products: Vec<ProductLine> = Vec::new();
        let mut capacity: Vec<i64> = Vec::new();
        let mut day_total: Vec<i64> = Vec::new();
        for l in &lines {
            let i = match products
                .iter()
                .position(|x| x.product == l.product && x.unit == l.unit)
            {
                Some(i) => i,
                None => {
                    products.push(ProductLine {
                        product: l.product.clone(),
                        unit: l.unit.clone(),
                        plants: 0,
                        utilisation: rate(0, 0),
                        period_output: 0,
                        shipped: 0,
                    });
                    capacity.push(0);
                    day_total.push(0);
                    products.len() - 1
                }
            };
            products[i].plants += 1;
            products[i].period_output += l.period_output;
            products[i].shipped += l.shipped;
            capacity[i] += l.design_capacity;
            day_total[i] += l.day_output.unwrap_or(0);
        }
        for (i, p) in products.iter_mut().enumerate() {
            p.utilisation = rate(day_total[i], capacity[i]);
        }
        let plant_of: HashMap<i64, &PlantRow> = plants.iter().map(|p| (p.id, p)).collect();
        let mut by_province: BTreeMap<(String, String, String), (i64, i64)> = BTreeMap::new();
        for s in &ships {
            let Some(p) = plant_of.get(&s.plant_id) else {
                continue;
            };
            let e = by_province
                .entry((p.product.clone(), p.unit.clone(), s.province_code.clone()))
                .or_default();
            if s.mode == ShipMode::Rail.as_str() {
                e.1 += s.quantity;
            } else {
                e.0 += s.quantity;
            }
        }
        let mut provinces: Vec<ProvinceLine> = by_province
            .into_iter()
            .map(|((product, unit, code), (road, rail))| ProvinceLine {
                province_name: province_name(&code).unwrap_or_default().to_string(),
                province_code: code,
                product,
                unit,
                road,
                rail,
                quantity: road + rail,
            })
            .collect();
        let order: HashMap<String, usize> = products
            .iter()
            .enumerate()
            .map(|(i, p)| (p.product.clone(), i))
            .collect();
        provinces.sort_by(|a, b| {
            order
                .get(&a.product)
                .cmp(&order.get(&b.product))
                .then(b.quantity.cmp(&a.quantity))
                .then(a.province_code.cmp(&b.province_code))
        });
        Ok(KeyProductionView {
            as_of,
            from,
            days,
            plants: lines,
            products,
            provinces,
        })
    }
}
