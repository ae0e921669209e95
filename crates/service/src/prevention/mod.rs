//! Prevention in the grids: each grid's members and its five duties, households and the
//! persons screened in them (摸排), risk areas and the risk class derived from them,
//! screening rounds with coverage, publicity and stability records, and the grid's daily
//! report (信息畅通) with the roll-up of who has and has not reported.
//!
//! The risk class is stored with each screened person, computed when the person is screened
//! and recomputed, in the same transaction, for every person in the rule's subtree whenever a
//! risk area is set or changed: rule changes are rare and reads (lists, counts by class, the
//! day's high-risk figure) are many, and a stored class can be counted in SQL.

use crate::actor::commit_audited;
use crate::crypto::FieldCrypto;
use crate::idempotency::commit_created;
use crate::idempotency::{keep, Claim, Written};
use crate::input::{non_empty as opt_text, parse_code, parse_date, text};
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::{DateTime, NaiveDate, Utc};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::filings::{report_deadline, Punctuality};
use dualtrack_domain::jurisdiction::in_subtree;
use dualtrack_domain::jurisdiction::{Code, Level, Scope};
use dualtrack_domain::prevention::{
    risk_of, Exposure, GridDuty, GridRole, PersonKind, RiskLevel, RiskRule, StabilityKind,
    StabilityStatus, TravelStop, TRAVEL_DAYS,
};
use dualtrack_domain::resident_id::{mask_id, mask_phone, validate_phone, ResidentId};
use dualtrack_domain::role::Permission;
use dualtrack_domain::time::display;
use dualtrack_store::decode;
use dualtrack_store::prevention::{self as store, DayFigures};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

mod grids;
mod households;
mod publicity;
mod reports;
mod risk_areas;
mod rounds;
mod screening;
mod stability;

/// Persons per page of a list.
pub const SCREENED_PAGE: i64 = 50;
/// Grids per page of a list.
pub const GRIDS_PAGE: i64 = 100;

/// The hour (China Standard Time) of the next day by which a grid's daily report is due,
/// unless set otherwise.
pub const DEFAULT_GRID_REPORT_DUE_HOUR: u32 = 12;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GridSummary {
    /// 网格代码（15 位）
    pub code: String,
    pub name: String,
    /// 户数（已登记）
    pub households: i64,
    /// 人数（已摸排）
    pub residents: i64,
    /// 网格长
    pub leader: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GridMemberView {
    pub person_id: i64,
    pub name: String,
    /// 电话（脱敏）
    pub phone: Option<String>,
    pub role: GridRole,
    pub role_zh: String,
    pub joined_on: NaiveDate,
}

/// One of the five duties with how much of it is on record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DutyFigure {
    pub duty: GridDuty,
    pub zh: String,
    /// 记录数：排查=摸排人数，布控=高风险人数，宣传=宣传次数，稳定=矛盾纠纷与事件，信息畅通=日报份数
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GridView {
    #[serde(flatten)]
    pub grid: GridSummary,
    pub members: Vec<GridMemberView>,
    pub duties: Vec<DutyFigure>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct GridMemberInput {
    /// 人员库中的人员编号
    pub person_id: i64,
    /// leader（网格长）、worker、party_member、volunteer
    pub role: String,
    /// 加入日期，默认今天
    #[serde(default)]
    pub joined_on: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct HouseholdInput {
    /// 客户端生成的幂等键：重复提交时同一键只记一次（也可放在请求头 Idempotency-Key）
    #[serde(default)]
    pub idempotency_key: Option<String>,
    pub address: String,
    /// 户主姓名
    pub head_name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HouseholdView {
    pub id: i64,
    pub grid_code: String,
    pub address: String,
    pub head_name: String,
    /// 已摸排人数
    pub persons: i64,
    /// 最近一次入户摸排
    pub last_visit: Option<NaiveDate>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[schema(as = HouseholdVisitInput)]
pub struct VisitInput {
    /// 客户端生成的幂等键：重复提交时同一键只记一次（也可放在请求头 Idempotency-Key）
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// 入户摸排日期
    pub visited_on: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct TravelInput {
    /// 区划代码（2 至 12 位）
    pub code: String,
    pub date: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct ScreenInput {
    /// 客户端生成的幂等键：重复提交时同一键只记一次（也可放在请求头 Idempotency-Key）
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// 手机上登记的时间（RFC 3339，离线待发送箱发送时带上；不能晚于现在，不能早于补报时限）
    #[serde(default)]
    pub made_at: Option<String>,
    pub name: String,
    /// 18 位居民身份证号
    pub id_number: String,
    #[serde(default)]
    pub phone: Option<String>,
    /// resident（常住）、outsider（外来）、returned（返乡）、back_to_work（返岗）
    pub kind: String,
    /// 从何地来（区划代码）
    #[serde(default)]
    pub came_from: Option<String>,
    /// 抵达日期
    #[serde(default)]
    pub arrived_on: Option<String>,
    /// 14 天内行程
    #[serde(default)]
    pub travel: Vec<TravelInput>,
    /// 是否接触过风险地区人员或病例
    #[serde(default)]
    pub risk_contact: bool,
    /// 摸排日期
    pub screened_on: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScreenedView {
    pub id: i64,
    pub household_id: i64,
    pub grid_code: String,
    pub name: String,
    /// 身份证号（脱敏）
    pub id_number: String,
    /// 电话（脱敏）
    pub phone: Option<String>,
    pub kind: PersonKind,
    pub kind_zh: String,
    pub came_from: Option<String>,
    pub arrived_on: Option<NaiveDate>,
    pub travel: Vec<TravelStop>,
    pub risk_contact: bool,
    /// 风险等级（按风险地区规则得出）
    pub risk_level: RiskLevel,
    pub risk_zh: String,
    pub screened_on: NaiveDate,
}

/// The full ID number and phone of a screened person; every reading is audited.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScreenedUnmasked {
    pub id: i64,
    pub id_number: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct ScreenedQuery {
    /// 区划或网格代码（默认本人管辖范围）
    pub code: Option<String>,
    /// low、medium、high
    pub risk: Option<String>,
    /// 身份证号（精确查找，末位 X 不分大小写）
    pub id_number: Option<String>,
    pub page: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RiskAreaInput {
    /// 规则适用的管辖范围（区划代码），其下摸排的人员按此规则定级
    pub jurisdiction_code: String,
    /// 风险地区区划代码前缀，如 42（湖北省）、420100（武汉市）
    pub region_code: String,
    #[serde(default)]
    pub region_name: Option<String>,
    pub from_on: String,
    #[serde(default)]
    pub until_on: Option<String>,
    /// low、medium、high
    pub level: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RiskAreaView {
    pub id: i64,
    pub jurisdiction_code: String,
    pub region_code: String,
    pub region_name: String,
    pub from_on: NaiveDate,
    pub until_on: Option<NaiveDate>,
    pub level: RiskLevel,
    pub level_zh: String,
    pub set_by: String,
    pub updated_at: DateTime<Utc>,
    /// 因本次设定改变风险等级的人数（设定时）
    pub reclassified: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RoundInput {
    /// 部署范围（区划代码）
    pub jurisdiction_code: String,
    pub name: String,
    pub start_on: String,
    /// 每户摸排完成的截止日期
    pub due_on: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoundView {
    pub id: i64,
    pub jurisdiction_code: String,
    pub name: String,
    pub start_on: NaiveDate,
    pub due_on: NaiveDate,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoverageLine {
    pub code: String,
    pub name: String,
    pub households: i64,
    /// 本轮已入户摸排的户数
    pub screened: i64,
    /// 覆盖率（百分比，无户时为空）
    pub rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoverageView {
    pub round: RoundView,
    pub total: CoverageLine,
    pub grids: Vec<CoverageLine>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct PublicityInput {
    /// 客户端生成的幂等键：重复提交时同一键只记一次（也可放在请求头 Idempotency-Key）
    #[serde(default)]
    pub idempotency_key: Option<String>,
    pub delivered_on: String,
    /// 宣传内容（如“防控明白纸”“大喇叭广播”）
    pub what: String,
    /// 地点
    pub place: String,
    #[serde(default)]
    pub copies: i64,
    #[serde(default)]
    pub times: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicityView {
    pub id: i64,
    pub grid_code: String,
    pub delivered_on: NaiveDate,
    pub what: String,
    pub place: String,
    pub copies: i64,
    pub times: i64,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct StabilityInput {
    /// 客户端生成的幂等键：重复提交时同一键只记一次（也可放在请求头 Idempotency-Key）
    #[serde(default)]
    pub idempotency_key: Option<String>,
    pub occurred_on: String,
    /// dispute（矛盾纠纷）、incident（突发事件）、rumour（谣言舆情）
    pub kind: String,
    pub summary: String,
    #[serde(default)]
    pub handling: String,
    /// open（处置中）、resolved（已化解）
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StabilityView {
    pub id: i64,
    pub grid_code: String,
    pub occurred_on: NaiveDate,
    pub kind: StabilityKind,
    pub kind_zh: String,
    pub summary: String,
    pub handling: String,
    pub status: StabilityStatus,
    pub status_zh: String,
}

/// A day's figures of a grid, from its records.
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub struct GridFigures {
    /// 当日摸排人数
    pub screened: i64,
    /// 当日新抵达人数
    pub arrivals: i64,
    /// 当日摸排中的高风险人数
    pub high_risk: i64,
    /// 当日宣传次数
    pub publicity: i64,
    /// 当日矛盾纠纷与事件
    pub incidents: i64,
}

impl From<DayFigures> for GridFigures {
    fn from(f: DayFigures) -> Self {
        GridFigures {
            screened: f.screened,
            arrivals: f.arrivals,
            high_risk: f.high_risk,
            publicity: f.publicity,
            incidents: f.incidents,
        }
    }
}

impl GridFigures {
    pub fn is_zero(&self) -> bool {
        self.screened == 0
            && self.arrivals == 0
            && self.high_risk == 0
            && self.publicity == 0
            && self.incidents == 0
    }

    fn add(&mut self, o: &GridFigures) {
        self.screened += o.screened;
        self.arrivals += o.arrivals;
        self.high_risk += o.high_risk;
        self.publicity += o.publicity;
        self.incidents += o.incidents;
    }
}

#[derive(Debug, Clone, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    /// 报告日，如 2020-02-27
    pub date: String,
}

/// What today's report of a grid would say: the figures from its records.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GridReportDraft {
    pub grid_code: String,
    pub date: NaiveDate,
    pub figures: GridFigures,
    /// 当日无任何记录，可报零报告
    pub nothing_happened: bool,
    /// 已报送的（如有）
    pub filed: Option<GridReportView>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct GridReportInput {
    /// 客户端生成的幂等键：重复提交时同一键只记一次（也可放在请求头 Idempotency-Key）
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// 报告日（截至当日 24 时）
    pub report_date: String,
    #[serde(default)]
    pub remarks: String,
    /// 零报告：当日无摸排、无新抵达、无宣传、无事件
    #[serde(default)]
    pub zero_report: bool,
    /// 手机上报送的时间（RFC 3339，离线报送由手机发件箱带上）：不得晚于现在，也不得早于
    /// 72 小时前（可配置）；服务器另记收到的时间
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GridReportView {
    pub id: i64,
    pub grid_code: String,
    pub report_date: NaiveDate,
    pub figures: GridFigures,
    pub zero_report: bool,
    pub remarks: String,
    pub filed_by: String,
    pub filed_at: DateTime<Utc>,
    pub punctuality: Punctuality,
}

#[derive(Debug, Clone, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct RollupQuery {
    /// 报告日，如 2020-02-27
    pub date: String,
    /// 汇总的区划（默认本人管辖范围）
    pub code: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct RollupLine {
    pub code: String,
    pub name: String,
    /// 应报网格数
    pub expected: i64,
    pub on_time: i64,
    pub late: i64,
    pub missing: i64,
    /// 其中零报告
    pub zero_reports: i64,
    pub figures: GridFigures,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GridDue {
    pub code: String,
    pub name: String,
    pub punctuality: Punctuality,
    pub filed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RollupView {
    pub date: NaiveDate,
    pub due_hour: u32,
    pub deadline: DateTime<Utc>,
    pub deadline_local: String,
    pub deadline_passed: bool,
    pub total: RollupLine,
    /// 下一级各地并列
    pub places: Vec<RollupLine>,
    /// 未报的网格
    pub missing: Vec<GridDue>,
    /// 迟报的网格
    pub late: Vec<GridDue>,
}
/// A division code of another place (where someone came from, a risk area): 2 to 12
/// digits of a province that exists.
fn region_code(field: &'static str, label: &str, raw: &str) -> ServiceResult<String> {
    let code = Code::parse(raw.trim())
        .map_err(|e| ServiceError::invalid(field, format!("{label}：{e}")))?;
    if code.level() == Level::Grid {
        return Err(ServiceError::invalid(
            field,
            format!("{label}应为 2 至 12 位区划代码，收到“{raw}”"),
        ));
    }
    let province = &code.as_str()[..2];
    let known = dualtrack_domain::divisions::provinces()
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .iter()
        .any(|d| d.code.as_str() == province);
    if !known {
        return Err(ServiceError::invalid(
            field,
            format!("{label}“{raw}”不是有效的区划代码（省级代码 {province} 不存在）"),
        ));
    }
    Ok(code.to_string())
}

fn province_name(code: &str) -> Option<String> {
    let p = dualtrack_domain::divisions::provinces().ok()?;
    p.into_iter()
        .find(|d| d.code.as_str() == code)
        .map(|d| d.name)
}

fn parse_level(field: &'static str, raw: &str) -> ServiceResult<RiskLevel> {
    RiskLevel::parse(raw).ok_or_else(|| {
        ServiceError::invalid(
            field,
            format!("风险等级应为 low、medium 或 high，收到“{raw}”"),
        )
    })
}

/// A risk level stored in `table`.`column`.
fn level_of(table: &'static str, column: &'static str, raw: &str) -> ServiceResult<RiskLevel> {
    Ok(decode(table, column, raw, RiskLevel::parse)?)
}

fn rule_of(r: &store::RiskAreaRow) -> ServiceResult<RiskRule> {
    Ok(RiskRule {
        region_code: r.region_code.clone(),
        from_on: r.from_on,
        until_on: r.until_on,
        level: level_of("risk_areas", "level", &r.level)?,
    })
}

/// The rules that apply to a grid: those set for it or a place above it.
fn rules_for(all: &[store::RiskAreaRow], grid: &str) -> ServiceResult<Vec<RiskRule>> {
    all.iter()
        .filter(|r| in_subtree(grid, &r.jurisdiction_code))
        .map(rule_of)
        .collect()
}

fn travel_of(raw: &str) -> Vec<TravelStop> {
    serde_json::from_str(raw).unwrap_or_default()
}

fn class_of(s: &store::ScreenedRow, rules: &[RiskRule]) -> RiskLevel {
    let travel = travel_of(&s.travel);
    let e = Exposure {
        came_from: s.came_from.as_deref().zip(s.arrived_on),
        travel: &travel,
        risk_contact: s.risk_contact,
        screened_on: Some(s.screened_on),
    };
    risk_of(&e, rules)
}

fn screened_view(c: &FieldCrypto, s: store::ScreenedRow) -> ServiceResult<ScreenedView> {
    let kind = decode("screened_persons", "kind", &s.kind, PersonKind::parse)?;
    let level = level_of("screened_persons", "risk_level", &s.risk_level)?;
    Ok(ScreenedView {
        id: s.id,
        household_id: s.household_id,
        grid_code: s.grid_code,
        name: c.open_text(&s.name)?,
        id_number: mask_id(&c.open_text(&s.id_number)?),
        phone: c.open_text_opt(&s.phone)?.as_deref().map(mask_phone),
        kind,
        kind_zh: kind.zh().into(),
        came_from: s.came_from,
        arrived_on: s.arrived_on,
        travel: travel_of(&s.travel),
        risk_contact: s.risk_contact,
        risk_level: level,
        risk_zh: level.zh().into(),
        screened_on: s.screened_on,
    })
}

fn risk_view(r: store::RiskAreaRow, reclassified: i64) -> ServiceResult<RiskAreaView> {
    let level = level_of("risk_areas", "level", &r.level)?;
    Ok(RiskAreaView {
        id: r.id,
        jurisdiction_code: r.jurisdiction_code,
        region_code: r.region_code,
        region_name: r.region_name,
        from_on: r.from_on,
        until_on: r.until_on,
        level,
        level_zh: level.zh().into(),
        set_by: r.set_by,
        updated_at: r.updated_at,
        reclassified,
    })
}

fn round_view(r: &store::RoundRow) -> RoundView {
    RoundView {
        id: r.id,
        jurisdiction_code: r.jurisdiction_code.clone(),
        name: r.name.clone(),
        start_on: r.start_on,
        due_on: r.due_on,
    }
}

fn household_view(c: &FieldCrypto, h: store::HouseholdRow) -> ServiceResult<HouseholdView> {
    Ok(HouseholdView {
        id: h.id,
        grid_code: h.grid_code,
        address: c.open_text(&h.address)?,
        head_name: c.open_text(&h.head_name)?,
        persons: h.persons,
        last_visit: h.last_visit,
    })
}

fn summary(g: store::GridRow) -> GridSummary {
    GridSummary {
        code: g.code,
        name: g.name,
        households: g.households,
        residents: g.residents,
        leader: g.leader,
    }
}

fn rate(households: i64, screened: i64) -> Option<f64> {
    (households > 0).then(|| (screened as f64 * 1000.0 / households as f64).round() / 10.0)
}

/// Whether a record placed at `code` (a rule, a round: they apply downwards) concerns the
/// actor: it lies in the actor's subtree, or above the actor's node.
fn concerns(actor: &Actor, code: &str) -> bool {
    match &actor.scope {
        Scope::All => true,
        Scope::Under(c) => in_subtree(code, c.as_str()) || in_subtree(c.as_str(), code),
    }
}

/// The class a demo person gets under the demo's rules (kept here so the demo and the
/// service derive it the same way).
pub fn classify(
    rules: &[RiskRule],
    came_from: Option<(&str, NaiveDate)>,
    travel: &[TravelStop],
    risk_contact: bool,
    screened_on: NaiveDate,
) -> RiskLevel {
    risk_of(
        &Exposure {
            came_from,
            travel,
            risk_contact,
            screened_on: Some(screened_on),
        },
        rules,
    )
}
