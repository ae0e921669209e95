//! Prevention in the grids: each grid's members and its five duties, households and the
//! persons screened in them (摸排), risk areas and the risk class derived from them,
//! screening rounds with coverage, publicity and stability records, and the grid's daily
//! report (信息畅通) with the roll-up of who has and has not reported.
//!
//! The risk class is stored with each screened person, computed when the person is screened
//! and recomputed, in the same transaction, for every person in the rule's subtree whenever a
//! risk area is set or changed: rule changes are rare and reads (lists, counts by class, the
//! day's high-risk figure) are many, and a stored class can be counted in SQL.

use crate::actor::audit_in;
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
use dualtrack_store::prevention::{self as store, DayFigures};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

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

fn level_of(raw: &str) -> RiskLevel {
    RiskLevel::parse(raw).unwrap_or(RiskLevel::Low)
}

fn rule_of(r: &store::RiskAreaRow) -> RiskRule {
    RiskRule {
        region_code: r.region_code.clone(),
        from_on: r.from_on,
        until_on: r.until_on,
        level: level_of(&r.level),
    }
}

/// The rules that apply to a grid: those set for it or a place above it.
fn rules_for(all: &[store::RiskAreaRow], grid: &str) -> Vec<RiskRule> {
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

fn screened_view(s: store::ScreenedRow) -> ScreenedView {
    let kind = PersonKind::parse(&s.kind).unwrap_or(PersonKind::Resident);
    let level = level_of(&s.risk_level);
    ScreenedView {
        id: s.id,
        household_id: s.household_id,
        grid_code: s.grid_code,
        name: s.name,
        id_number: mask_id(&s.id_number),
        phone: s.phone.as_deref().map(mask_phone),
        kind,
        kind_zh: kind.zh().into(),
        came_from: s.came_from,
        arrived_on: s.arrived_on,
        travel: travel_of(&s.travel),
        risk_contact: s.risk_contact,
        risk_level: level,
        risk_zh: level.zh().into(),
        screened_on: s.screened_on,
    }
}

fn risk_view(r: store::RiskAreaRow, reclassified: i64) -> RiskAreaView {
    let level = level_of(&r.level);
    RiskAreaView {
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
    }
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

fn household_view(h: store::HouseholdRow) -> HouseholdView {
    HouseholdView {
        id: h.id,
        grid_code: h.grid_code,
        address: h.address,
        head_name: h.head_name,
        persons: h.persons,
        last_visit: h.last_visit,
    }
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

impl App {
    /// A grid in the actor's scope, by code; "not found" (audited) otherwise.
    pub async fn grid_in_scope(&self, actor: &Actor, raw: &str) -> ServiceResult<store::GridRow> {
        let code = parse_code("code", raw)?;
        if code.level() != Level::Grid {
            return Err(ServiceError::invalid(
                "code",
                format!("网格代码应为 15 位，收到“{raw}”"),
            ));
        }
        self.require_in_scope(actor, &code, "网格", raw).await?;
        store::grid(&self.db, code.as_str())
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("未找到网格“{raw}”")))
    }

    /// Grids in the actor's scope (or under a place of it), with their counts.
    pub async fn list_grids(
        &self,
        actor: &Actor,
        code: Option<&str>,
        page: Option<i64>,
    ) -> ServiceResult<Vec<GridSummary>> {
        self.require(actor, Permission::ReadGridWork, "网格", "list")
            .await?;
        let scope = self.scope_at(actor, code).await?;
        let page = page.unwrap_or(1).max(1);
        let rows = store::grids(
            &self.db,
            &scope,
            GRIDS_PAGE,
            crate::page_offset(page, GRIDS_PAGE),
        )
        .await?;
        Ok(rows.into_iter().map(summary).collect())
    }

    /// The subtree of a place in the actor's scope, or the actor's whole scope.
    async fn scope_at(&self, actor: &Actor, code: Option<&str>) -> ServiceResult<Scope> {
        match code.map(str::trim).filter(|c| !c.is_empty()) {
            None => Ok(actor.scope.clone()),
            Some(raw) => {
                let code = parse_code("code", raw)?;
                self.require_in_scope(actor, &code, "区划", raw).await?;
                Ok(Scope::Under(code))
            }
        }
    }

    pub async fn get_grid(&self, actor: &Actor, raw: &str) -> ServiceResult<GridView> {
        self.require(actor, Permission::ReadGridWork, "网格", raw)
            .await?;
        let g = self.grid_in_scope(actor, raw).await?;
        let members = store::members(&self.db, &g.code)
            .await?
            .into_iter()
            .map(|m| {
                let role = GridRole::parse(&m.role).unwrap_or(GridRole::Worker);
                GridMemberView {
                    person_id: m.person_id,
                    name: m.name,
                    phone: m.phone.as_deref().map(mask_phone),
                    role,
                    role_zh: role.zh().into(),
                    joined_on: m.joined_on,
                }
            })
            .collect();
        let scope = Scope::Under(parse_code("code", &g.code)?);
        let high = store::list_screened(&self.db, &scope, Some("high"), 100_000, 0)
            .await?
            .len() as i64;
        let publicity = store::publicity(&self.db, &g.code).await?.len() as i64;
        let stability = store::stability(&self.db, &g.code).await?.len() as i64;
        let reports = store::reports_of(&self.db, &g.code).await?.len() as i64;
        let duties = GridDuty::ALL
            .iter()
            .map(|d| DutyFigure {
                duty: *d,
                zh: d.zh().into(),
                count: match d {
                    GridDuty::Screening => g.residents,
                    GridDuty::Control => high,
                    GridDuty::Publicity => publicity,
                    GridDuty::Stability => stability,
                    GridDuty::Information => reports,
                },
            })
            .collect();
        Ok(GridView {
            grid: summary(g),
            members,
            duties,
        })
    }

    /// Adds a person of the registry to a grid, as its leader or another member.
    pub async fn add_grid_member(
        &self,
        actor: &Actor,
        raw: &str,
        input: &GridMemberInput,
    ) -> ServiceResult<GridView> {
        self.require(actor, Permission::ManageGrids, "网格", raw)
            .await?;
        let g = self.grid_in_scope(actor, raw).await?;
        let role = GridRole::parse(&input.role).ok_or_else(|| {
            ServiceError::invalid(
                "role",
                format!(
                    "网格职责应为 leader、worker、party_member 或 volunteer，收到“{}”",
                    input.role
                ),
            )
        })?;
        let joined_on = match opt_text(&input.joined_on) {
            Some(d) => parse_date("joined_on", &d)?,
            None => self.today(),
        };
        let person = dualtrack_store::mobilisation::person(&self.db, input.person_id).await?;
        let person = self
            .own(actor, "人员", input.person_id, person, |p| {
                &p.jurisdiction_code
            })
            .await
            .map_err(|_| {
                ServiceError::unknown(
                    "person_id",
                    format!(
                        "人员库中没有编号为 {} 的人员，或不在您的管辖范围内",
                        input.person_id
                    ),
                )
            })?;
        let mut tx = self.db.begin().await?;
        if !store::add_member(&mut tx, &g.code, person.id, role.as_str(), joined_on).await? {
            return Err(ServiceError::Conflict {
                field: "person_id",
                message: format!("{}已是本网格成员", person.name),
            });
        }
        audit_in(
            &mut tx,
            &actor.audit(
                Action::GridMember,
                Outcome::Success,
                "网格",
                g.code.clone(),
                Some(g.code.clone()),
                format!("{}：{}", role.zh(), person.name),
            ),
        )
        .await?;
        tx.commit().await?;
        self.get_grid(actor, raw).await
    }

    pub async fn list_households(
        &self,
        actor: &Actor,
        raw: &str,
    ) -> ServiceResult<Vec<HouseholdView>> {
        self.require(actor, Permission::ReadGridWork, "网格", raw)
            .await?;
        let g = self.grid_in_scope(actor, raw).await?;
        Ok(store::households(&self.db, &g.code)
            .await?
            .into_iter()
            .map(household_view)
            .collect())
    }

    pub async fn add_household(
        &self,
        actor: &Actor,
        raw: &str,
        input: &HouseholdInput,
    ) -> ServiceResult<Written<HouseholdView>> {
        self.once(
            actor,
            "household",
            &input.idempotency_key,
            &(raw, input),
            |claim| self.write_add_household(actor, raw, input, claim),
            |rid| async move {
                self.household_in_scope(actor, rid)
                    .await
                    .map(household_view)
            },
        )
        .await
    }

    async fn write_add_household(
        &self,
        actor: &Actor,
        raw: &str,
        input: &HouseholdInput,
        claim: Option<Claim>,
    ) -> ServiceResult<HouseholdView> {
        self.require(actor, Permission::WriteGridWork, "网格", raw)
            .await?;
        let g = self.grid_in_scope(actor, raw).await?;
        let address = text("address", "住址", &input.address, 100)?;
        let head = text("head_name", "户主姓名", &input.head_name, 30)?;
        let mut tx = self.db.begin().await?;
        let id =
            store::insert_household(&mut tx, &g.code, &address, &head, self.clock.now()).await?;
        keep(&mut tx, claim.as_ref(), id).await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::HouseholdCreate,
                Outcome::Success,
                "户",
                id.to_string(),
                Some(g.code.clone()),
                address,
            ),
        )
        .await?;
        tx.commit().await?;
        self.household_in_scope(actor, id).await.map(household_view)
    }

    async fn household_in_scope(
        &self,
        actor: &Actor,
        id: i64,
    ) -> ServiceResult<store::HouseholdRow> {
        let row = store::household(&self.db, id).await?;
        self.own(actor, "户", id, row, |h| &h.grid_code).await
    }

    /// Records a household screened on a day (a visit with nobody to add, say).
    pub async fn visit_household(
        &self,
        actor: &Actor,
        id: i64,
        input: &VisitInput,
    ) -> ServiceResult<Written<HouseholdView>> {
        self.once(
            actor,
            "household_visit",
            &input.idempotency_key,
            &(id, input),
            |claim| self.write_visit_household(actor, id, input, claim),
            |rid| async move {
                self.household_in_scope(actor, rid)
                    .await
                    .map(household_view)
            },
        )
        .await
    }

    async fn write_visit_household(
        &self,
        actor: &Actor,
        id: i64,
        input: &VisitInput,
        claim: Option<Claim>,
    ) -> ServiceResult<HouseholdView> {
        self.require(actor, Permission::WriteGridWork, "户", &id.to_string())
            .await?;
        let h = self.household_in_scope(actor, id).await?;
        let on = self.past_day("visited_on", &input.visited_on)?;
        let note: String = input.note.trim().chars().take(200).collect();
        let mut tx = self.db.begin().await?;
        store::visit(
            &mut tx,
            id,
            &h.grid_code,
            on,
            &note,
            &actor.username,
            self.clock.now(),
        )
        .await?;
        keep(&mut tx, claim.as_ref(), id).await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::HouseholdVisit,
                Outcome::Success,
                "户",
                id.to_string(),
                Some(h.grid_code.clone()),
                on.to_string(),
            ),
        )
        .await?;
        tx.commit().await?;
        self.household_in_scope(actor, id).await.map(household_view)
    }

    /// A day that has begun (not in the future), China Standard Time.
    fn past_day(&self, field: &'static str, raw: &str) -> ServiceResult<NaiveDate> {
        let d = parse_date(field, raw)?;
        if d > self.today() {
            return Err(ServiceError::invalid(field, format!("日期 {d} 还没到")));
        }
        Ok(d)
    }

    /// Screens a person of a household: validated, the risk class derived from the rules
    /// that apply to the grid, the household's visit for the day recorded.
    pub async fn screen_person(
        &self,
        actor: &Actor,
        household: i64,
        input: &ScreenInput,
    ) -> ServiceResult<Written<ScreenedView>> {
        self.once(
            actor,
            "screened_person",
            &input.idempotency_key,
            &(household, input),
            |claim| self.write_screen_person(actor, household, input, claim),
            |rid| self.get_screened(actor, rid),
        )
        .await
    }

    async fn write_screen_person(
        &self,
        actor: &Actor,
        household: i64,
        input: &ScreenInput,
        claim: Option<Claim>,
    ) -> ServiceResult<ScreenedView> {
        self.require(
            actor,
            Permission::WriteGridWork,
            "户",
            &household.to_string(),
        )
        .await?;
        let h = self.household_in_scope(actor, household).await?;
        let name = text("name", "姓名", &input.name, 30)?;
        let id_number = ResidentId::parse(&input.id_number, self.today())
            .map_err(|e| ServiceError::invalid("id_number", e.to_string()))?;
        let phone = opt_text(&input.phone)
            .map(|p| validate_phone(&p).map_err(|e| ServiceError::invalid("phone", e)))
            .transpose()?;
        let kind = PersonKind::parse(&input.kind).ok_or_else(|| {
            ServiceError::invalid(
                "kind",
                format!("人员类别应为 resident（常住）、outsider（外来）、returned（返乡）或 back_to_work（返岗），收到“{}”", input.kind),
            )
        })?;
        let screened_on = self.past_day("screened_on", &input.screened_on)?;
        let came_from = opt_text(&input.came_from)
            .map(|c| region_code("came_from", "来源地", &c))
            .transpose()?;
        let arrived_on = opt_text(&input.arrived_on)
            .map(|d| parse_date("arrived_on", &d))
            .transpose()?;
        if let Some(a) = arrived_on {
            if a > screened_on {
                return Err(ServiceError::invalid(
                    "arrived_on",
                    "抵达日期不能晚于摸排日期",
                ));
            }
        }
        if kind != PersonKind::Resident && came_from.is_none() {
            return Err(ServiceError::invalid(
                "came_from",
                format!("{}人员请填写来源地", kind.zh()),
            ));
        }
        if input.travel.len() > 30 {
            return Err(ServiceError::invalid("travel", "行程最多 30 条"));
        }
        let mut travel = Vec::new();
        for t in &input.travel {
            let code = region_code("travel", "行程地点", &t.code)?;
            let date = parse_date("travel", &t.date)?;
            if date > screened_on || date < screened_on - chrono::Duration::days(TRAVEL_DAYS) {
                return Err(ServiceError::invalid(
                    "travel",
                    format!("行程日期 {date} 应在摸排日期前 {TRAVEL_DAYS} 天之内"),
                ));
            }
            travel.push(TravelStop { code, date });
        }
        let travel_json =
            serde_json::to_string(&travel).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let mut tx = self.db.begin().await?;
        let rules = rules_for(&store::risk_areas_tx(&mut tx).await?, &h.grid_code);
        let level = risk_of(
            &Exposure {
                came_from: came_from.as_deref().zip(arrived_on),
                travel: &travel,
                risk_contact: input.risk_contact,
                screened_on: Some(screened_on),
            },
            &rules,
        );
        let row = store::NewScreened {
            household_id: h.id,
            grid_code: h.grid_code.clone(),
            name: name.clone(),
            id_number: id_number.as_str().to_string(),
            phone,
            kind: kind.as_str().into(),
            came_from,
            arrived_on,
            travel: travel_json,
            risk_contact: input.risk_contact,
            risk_level: level.as_str().into(),
            screened_on,
            screened_by: actor.username.clone(),
        };
        let now = self.clock.now();
        let id = store::insert_screened(&mut tx, &row, now).await?;
        keep(&mut tx, claim.as_ref(), id).await?;
        store::visit(
            &mut tx,
            h.id,
            &h.grid_code,
            screened_on,
            "",
            &actor.username,
            now,
        )
        .await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::ScreeningRecord,
                Outcome::Success,
                "摸排人员",
                id.to_string(),
                Some(h.grid_code.clone()),
                format!("{name}，{}，{}", kind.zh(), level.zh()),
            ),
        )
        .await?;
        tx.commit().await?;
        self.get_screened(actor, id).await
    }

    pub(crate) async fn screened_in_scope(
        &self,
        actor: &Actor,
        id: i64,
    ) -> ServiceResult<store::ScreenedRow> {
        let row = store::screened(&self.db, id).await?;
        self.own(actor, "摸排人员", id, row, |s| &s.grid_code).await
    }

    pub async fn get_screened(&self, actor: &Actor, id: i64) -> ServiceResult<ScreenedView> {
        self.require(actor, Permission::ReadGridWork, "摸排人员", &id.to_string())
            .await?;
        Ok(screened_view(self.screened_in_scope(actor, id).await?))
    }

    /// Screened persons in the actor's scope (or a place of it), ID numbers and phones masked.
    pub async fn list_screened(
        &self,
        actor: &Actor,
        q: &ScreenedQuery,
    ) -> ServiceResult<Vec<ScreenedView>> {
        self.require(actor, Permission::ReadGridWork, "摸排人员", "list")
            .await?;
        let risk = match opt_text(&q.risk) {
            Some(r) => Some(parse_level("risk", &r)?),
            None => None,
        };
        let page = q.page.unwrap_or(1);
        if page < 1 {
            return Err(ServiceError::invalid("page", "页码从 1 开始"));
        }
        let scope = self.scope_at(actor, q.code.as_deref()).await?;
        let rows = store::list_screened(
            &self.db,
            &scope,
            risk.map(|r| r.as_str()),
            SCREENED_PAGE,
            crate::page_offset(page, SCREENED_PAGE),
        )
        .await?;
        Ok(rows.into_iter().map(screened_view).collect())
    }

    /// The full ID number and phone of a screened person: audited every time.
    pub async fn unmask_screened(&self, actor: &Actor, id: i64) -> ServiceResult<ScreenedUnmasked> {
        let s = self
            .reveal(
                actor,
                Permission::ReadGridWork,
                "摸排人员",
                &id.to_string(),
                || async {
                    let s = self.screened_in_scope(actor, id).await?;
                    let place = s.grid_code.clone();
                    Ok((s, place))
                },
            )
            .await?;
        Ok(ScreenedUnmasked {
            id,
            id_number: s.id_number,
            phone: s.phone,
        })
    }

    /// Risk areas that concern the actor: set in its subtree or above it.
    pub async fn list_risk_areas(&self, actor: &Actor) -> ServiceResult<Vec<RiskAreaView>> {
        self.require(actor, Permission::ReadGridWork, "风险地区", "list")
            .await?;
        Ok(store::risk_areas(&self.db)
            .await?
            .into_iter()
            .filter(|r| concerns(actor, &r.jurisdiction_code))
            .map(|r| risk_view(r, 0))
            .collect())
    }

    fn risk_input(
        &self,
        actor: &Actor,
        input: &RiskAreaInput,
    ) -> ServiceResult<store::NewRiskArea> {
        let region = region_code("region_code", "风险地区代码", &input.region_code)?;
        let from_on = parse_date("from_on", &input.from_on)?;
        let until_on = opt_text(&input.until_on)
            .map(|d| parse_date("until_on", &d))
            .transpose()?;
        if until_on.is_some_and(|u| u < from_on) {
            return Err(ServiceError::invalid(
                "until_on",
                "截止日期不能早于起始日期",
            ));
        }
        let level = parse_level("level", &input.level)?;
        let region_name = match opt_text(&input.region_name) {
            Some(n) if n.chars().count() > 50 => {
                return Err(ServiceError::invalid(
                    "region_name",
                    "地区名称不能超过 50 个字",
                ))
            }
            Some(n) => n,
            None => province_name(&region[..2.min(region.len())])
                .filter(|_| region.len() == 2)
                .unwrap_or_else(|| region.clone()),
        };
        Ok(store::NewRiskArea {
            jurisdiction_code: input.jurisdiction_code.trim().to_string(),
            region_code: region,
            region_name,
            from_on,
            until_on,
            level: level.as_str().into(),
            set_by: actor.username.clone(),
        })
    }

    /// Sets a risk area and reclassifies, in the same transaction, every person screened in
    /// the subtree the rule applies to.
    pub async fn set_risk_area(
        &self,
        actor: &Actor,
        input: &RiskAreaInput,
    ) -> ServiceResult<RiskAreaView> {
        self.require(actor, Permission::ManageRiskAreas, "风险地区", "new")
            .await?;
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        let new = self.risk_input(actor, input)?;
        let mut tx = self.db.begin().await?;
        let id = store::insert_risk_area(&mut tx, &new, self.clock.now()).await?;
        let moved = reclassify(&mut tx, code.as_str()).await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::RiskAreaSet,
                Outcome::Success,
                "风险地区",
                id.to_string(),
                Some(code.to_string()),
                format!(
                    "{} {} 起 {}，{moved} 人改变等级",
                    new.region_name,
                    new.from_on,
                    level_of(&new.level).zh()
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        let row = store::risk_area(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("risk area vanished".into()))?;
        Ok(risk_view(row, moved))
    }

    /// Changes a risk area (its place, days or level); persons are reclassified.
    pub async fn update_risk_area(
        &self,
        actor: &Actor,
        id: i64,
        input: &RiskAreaInput,
    ) -> ServiceResult<RiskAreaView> {
        self.require(
            actor,
            Permission::ManageRiskAreas,
            "风险地区",
            &id.to_string(),
        )
        .await?;
        let row = store::risk_area(&self.db, id).await?;
        let old = self
            .own(actor, "风险地区", id, row, |r| &r.jurisdiction_code)
            .await?;
        let new = self.risk_input(actor, input)?;
        let mut tx = self.db.begin().await?;
        store::update_risk_area(&mut tx, id, &new, self.clock.now()).await?;
        let moved = reclassify(&mut tx, &old.jurisdiction_code).await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::RiskAreaSet,
                Outcome::Success,
                "风险地区",
                id.to_string(),
                Some(old.jurisdiction_code.clone()),
                format!(
                    "{} {} → {}，{moved} 人改变等级",
                    new.region_name,
                    level_of(&old.level).zh(),
                    level_of(&new.level).zh()
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        let row = store::risk_area(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("risk area vanished".into()))?;
        Ok(risk_view(row, moved))
    }

    pub async fn list_rounds(&self, actor: &Actor) -> ServiceResult<Vec<RoundView>> {
        self.require(actor, Permission::ReadGridWork, "摸排轮次", "list")
            .await?;
        Ok(store::rounds(&self.db)
            .await?
            .iter()
            .filter(|r| concerns(actor, &r.jurisdiction_code))
            .map(round_view)
            .collect())
    }

    pub async fn create_round(
        &self,
        actor: &Actor,
        input: &RoundInput,
    ) -> ServiceResult<RoundView> {
        self.require(actor, Permission::ManageGrids, "摸排轮次", "new")
            .await?;
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        let name = text("name", "轮次名称", &input.name, 50)?;
        let start_on = parse_date("start_on", &input.start_on)?;
        let due_on = parse_date("due_on", &input.due_on)?;
        if due_on < start_on {
            return Err(ServiceError::invalid("due_on", "完成日期不能早于开始日期"));
        }
        let mut tx = self.db.begin().await?;
        let id = store::insert_round(
            &mut tx,
            code.as_str(),
            &name,
            start_on,
            due_on,
            &actor.username,
            self.clock.now(),
        )
        .await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::ScreeningRoundCreate,
                Outcome::Success,
                "摸排轮次",
                id.to_string(),
                Some(code.to_string()),
                format!("{name}：{start_on} 至 {due_on}"),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(RoundView {
            id,
            jurisdiction_code: code.to_string(),
            name,
            start_on,
            due_on,
        })
    }

    /// A round's coverage per grid: households screened between its start and due day over
    /// the households of the grid, in the part of the round's place the actor sees.
    pub async fn round_coverage(&self, actor: &Actor, id: i64) -> ServiceResult<CoverageView> {
        self.require(actor, Permission::ReadGridWork, "摸排轮次", &id.to_string())
            .await?;
        let not_found =
            || ServiceError::NotFound(format!("未找到摸排轮次 {id}，或其不在您的管辖范围内"));
        let round = store::round(&self.db, id).await?.ok_or_else(not_found)?;
        if !concerns(actor, &round.jurisdiction_code) {
            let code = parse_code("id", &round.jurisdiction_code)?;
            self.require_in_scope(actor, &code, "摸排轮次", &id.to_string())
                .await
                .map_err(|_| not_found())?;
            return Err(not_found());
        }
        let round_code = parse_code("id", &round.jurisdiction_code)?;
        let (lo, hi) = match &actor.scope {
            Scope::Under(c) if c.as_str().len() > round_code.as_str().len() => c.subtree_range(),
            _ => round_code.subtree_range(),
        };
        let rows = store::coverage(&self.db, &lo, &hi, round.start_on, round.due_on).await?;
        let mut total = CoverageLine {
            code: actor.home_code().unwrap_or_default(),
            name: "合计".into(),
            households: 0,
            screened: 0,
            rate: None,
        };
        let grids: Vec<CoverageLine> = rows
            .into_iter()
            .map(|r| {
                total.households += r.households;
                total.screened += r.screened;
                CoverageLine {
                    rate: rate(r.households, r.screened),
                    code: r.code,
                    name: r.name,
                    households: r.households,
                    screened: r.screened,
                }
            })
            .collect();
        total.rate = rate(total.households, total.screened);
        Ok(CoverageView {
            round: round_view(&round),
            total,
            grids,
        })
    }

    pub async fn list_publicity(
        &self,
        actor: &Actor,
        raw: &str,
    ) -> ServiceResult<Vec<PublicityView>> {
        self.require(actor, Permission::ReadGridWork, "网格", raw)
            .await?;
        let g = self.grid_in_scope(actor, raw).await?;
        Ok(store::publicity(&self.db, &g.code)
            .await?
            .into_iter()
            .map(|p| PublicityView {
                id: p.id,
                grid_code: p.grid_code,
                delivered_on: p.delivered_on,
                what: p.what,
                place: p.place,
                copies: p.copies,
                times: p.times,
            })
            .collect())
    }

    pub async fn record_publicity(
        &self,
        actor: &Actor,
        raw: &str,
        input: &PublicityInput,
    ) -> ServiceResult<Written<Vec<PublicityView>>> {
        self.once(
            actor,
            "publicity",
            &input.idempotency_key,
            &(raw, input),
            |claim| self.write_record_publicity(actor, raw, input, claim),
            |_| self.list_publicity(actor, raw),
        )
        .await
    }

    async fn write_record_publicity(
        &self,
        actor: &Actor,
        raw: &str,
        input: &PublicityInput,
        claim: Option<Claim>,
    ) -> ServiceResult<Vec<PublicityView>> {
        self.require(actor, Permission::WriteGridWork, "网格", raw)
            .await?;
        let g = self.grid_in_scope(actor, raw).await?;
        let on = self.past_day("delivered_on", &input.delivered_on)?;
        let what = text("what", "宣传内容", &input.what, 100)?;
        let place = text("place", "宣传地点", &input.place, 100)?;
        if !(0..=100_000).contains(&input.copies) {
            return Err(ServiceError::invalid("copies", "份数应为 0 到 100000"));
        }
        if !(0..=1_000).contains(&input.times) {
            return Err(ServiceError::invalid("times", "次数应为 0 到 1000"));
        }
        if input.copies == 0 && input.times == 0 {
            return Err(ServiceError::invalid("copies", "请填写发放份数或宣传次数"));
        }
        let mut tx = self.db.begin().await?;
        let id = store::insert_publicity(
            &mut tx,
            &g.code,
            on,
            &what,
            &place,
            input.copies,
            input.times,
            &actor.username,
            self.clock.now(),
        )
        .await?;
        keep(&mut tx, claim.as_ref(), id).await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::PublicityRecord,
                Outcome::Success,
                "宣传记录",
                id.to_string(),
                Some(g.code.clone()),
                format!("{on} {what}（{place}）"),
            ),
        )
        .await?;
        tx.commit().await?;
        self.list_publicity(actor, raw).await
    }

    pub async fn list_stability(
        &self,
        actor: &Actor,
        raw: &str,
    ) -> ServiceResult<Vec<StabilityView>> {
        self.require(actor, Permission::ReadGridWork, "网格", raw)
            .await?;
        let g = self.grid_in_scope(actor, raw).await?;
        Ok(store::stability(&self.db, &g.code)
            .await?
            .into_iter()
            .map(|s| {
                let kind = StabilityKind::parse(&s.kind).unwrap_or(StabilityKind::Dispute);
                let status = StabilityStatus::parse(&s.status).unwrap_or(StabilityStatus::Open);
                StabilityView {
                    id: s.id,
                    grid_code: s.grid_code,
                    occurred_on: s.occurred_on,
                    kind,
                    kind_zh: kind.zh().into(),
                    summary: s.summary,
                    handling: s.handling,
                    status,
                    status_zh: status.zh().into(),
                }
            })
            .collect())
    }

    pub async fn record_stability(
        &self,
        actor: &Actor,
        raw: &str,
        input: &StabilityInput,
    ) -> ServiceResult<Written<Vec<StabilityView>>> {
        self.once(
            actor,
            "stability",
            &input.idempotency_key,
            &(raw, input),
            |claim| self.write_record_stability(actor, raw, input, claim),
            |_| self.list_stability(actor, raw),
        )
        .await
    }

    async fn write_record_stability(
        &self,
        actor: &Actor,
        raw: &str,
        input: &StabilityInput,
        claim: Option<Claim>,
    ) -> ServiceResult<Vec<StabilityView>> {
        self.require(actor, Permission::WriteGridWork, "网格", raw)
            .await?;
        let g = self.grid_in_scope(actor, raw).await?;
        let on = self.past_day("occurred_on", &input.occurred_on)?;
        let kind = StabilityKind::parse(&input.kind).ok_or_else(|| {
            ServiceError::invalid(
                "kind",
                format!("类别应为 dispute、incident 或 rumour，收到“{}”", input.kind),
            )
        })?;
        let summary = text("summary", "事由", &input.summary, 500)?;
        let handling: String = input.handling.trim().chars().take(500).collect();
        let status = match opt_text(&input.status) {
            Some(s) => StabilityStatus::parse(&s).ok_or_else(|| {
                ServiceError::invalid(
                    "status",
                    format!("处置状态应为 open 或 resolved，收到“{s}”"),
                )
            })?,
            None => StabilityStatus::Open,
        };
        let mut tx = self.db.begin().await?;
        let id = store::insert_stability(
            &mut tx,
            &g.code,
            on,
            kind.as_str(),
            &summary,
            &handling,
            status.as_str(),
            &actor.username,
            self.clock.now(),
        )
        .await?;
        keep(&mut tx, claim.as_ref(), id).await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::StabilityRecord,
                Outcome::Success,
                "稳定记录",
                id.to_string(),
                Some(g.code.clone()),
                format!("{on} {}：{summary}", kind.zh()),
            ),
        )
        .await?;
        tx.commit().await?;
        self.list_stability(actor, raw).await
    }

    fn report_view(&self, r: store::GridReportRow) -> GridReportView {
        let deadline = report_deadline(r.report_date, self.grid_report_due_hour);
        GridReportView {
            id: r.id,
            punctuality: Punctuality::of(Some(r.filed_at), deadline),
            grid_code: r.grid_code,
            report_date: r.report_date,
            figures: GridFigures {
                screened: r.screened,
                arrivals: r.arrivals,
                high_risk: r.high_risk,
                publicity: r.publicity,
                incidents: r.incidents,
            },
            zero_report: r.zero_report,
            remarks: r.remarks,
            filed_by: r.filed_by,
            filed_at: r.filed_at,
        }
    }

    pub async fn grid_reports(
        &self,
        actor: &Actor,
        raw: &str,
    ) -> ServiceResult<Vec<GridReportView>> {
        self.require(actor, Permission::ReadGridWork, "网格", raw)
            .await?;
        let g = self.grid_in_scope(actor, raw).await?;
        Ok(store::reports_of(&self.db, &g.code)
            .await?
            .into_iter()
            .map(|r| self.report_view(r))
            .collect())
    }

    /// The figures a grid's report for a day would carry, from its records.
    pub async fn grid_report_draft(
        &self,
        actor: &Actor,
        raw: &str,
        raw_date: &str,
    ) -> ServiceResult<GridReportDraft> {
        self.require(actor, Permission::ReadGridWork, "网格", raw)
            .await?;
        let g = self.grid_in_scope(actor, raw).await?;
        let date = parse_date("date", raw_date)?;
        let figures = GridFigures::from(store::figures(&self.db, &g.code, date).await?);
        let filed = store::reports_of(&self.db, &g.code)
            .await?
            .into_iter()
            .find(|r| r.report_date == date)
            .map(|r| self.report_view(r));
        Ok(GridReportDraft {
            grid_code: g.code,
            date,
            nothing_happened: figures.is_zero(),
            figures,
            filed,
        })
    }

    /// Files a grid's report for a day that is over: the figures come from the records; a
    /// zero report only when there are none.
    pub async fn file_grid_report(
        &self,
        actor: &Actor,
        raw: &str,
        input: &GridReportInput,
    ) -> ServiceResult<Written<GridReportView>> {
        self.once(
            actor,
            "grid_report",
            &input.idempotency_key,
            &(raw, input),
            |claim| self.write_file_grid_report(actor, raw, input, claim),
            // Found by its id: the grid's list holds only its latest days.
            |rid| async move {
                self.require(actor, Permission::ReadGridWork, "网格", raw)
                    .await?;
                let g = self.grid_in_scope(actor, raw).await?;
                store::report_of(&self.db, &g.code, rid)
                    .await?
                    .map(|r| self.report_view(r))
                    .ok_or_else(|| ServiceError::Internal(format!("网格日报 {rid} 未找到")))
            },
        )
        .await
    }

    async fn write_file_grid_report(
        &self,
        actor: &Actor,
        raw: &str,
        input: &GridReportInput,
        claim: Option<Claim>,
    ) -> ServiceResult<GridReportView> {
        self.require(actor, Permission::WriteGridWork, "网格", raw)
            .await?;
        let g = self.grid_in_scope(actor, raw).await?;
        let date = parse_date("report_date", &input.report_date)?;
        if date >= self.today() {
            return Err(ServiceError::invalid(
                "report_date",
                format!("{date} 还没过完：日报截至当日 24 时，次日报送"),
            ));
        }
        let remarks = input.remarks.trim().to_string();
        if remarks.chars().count() > 500 {
            return Err(ServiceError::invalid("remarks", "备注不能超过 500 个字"));
        }
        let mut tx = self.db.begin().await?;
        let figures = store::figures_tx(&mut tx, &g.code, date).await?;
        let f = GridFigures::from(figures);
        if input.zero_report && !f.is_zero() {
            return Err(ServiceError::invalid(
                "zero_report",
                format!(
                    "{date} 有记录（摸排 {} 人、新抵达 {} 人、宣传 {} 次、事件 {} 起），不能报零报告",
                    f.screened, f.arrivals, f.publicity, f.incidents
                ),
            ));
        }
        let row = store::NewGridReport {
            grid_code: g.code.clone(),
            report_date: date,
            figures,
            zero_report: f.is_zero(),
            remarks,
            filed_by: actor.username.clone(),
            filed_at: self.clock.now(),
        };
        let Some(id) = store::insert_report(&mut tx, &row).await? else {
            return Err(ServiceError::Conflict {
                field: "report_date",
                message: format!("{} {date} 的日报已报送", g.name),
            });
        };
        keep(&mut tx, claim.as_ref(), id).await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::GridReportFile,
                Outcome::Success,
                "网格日报",
                id.to_string(),
                Some(g.code.clone()),
                if row.zero_report {
                    format!("{date} 零报告")
                } else {
                    format!("{date} 摸排 {} 人，高风险 {} 人", f.screened, f.high_risk)
                },
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(self.report_view(store::GridReportRow {
            id,
            grid_code: row.grid_code,
            report_date: date,
            screened: f.screened,
            arrivals: f.arrivals,
            high_risk: f.high_risk,
            publicity: f.publicity,
            incidents: f.incidents,
            zero_report: row.zero_report,
            remarks: row.remarks,
            filed_by: row.filed_by,
            filed_at: row.filed_at,
        }))
    }

    /// The day's grid reports rolled up for a place and the places one level below it, with
    /// the grids that have not reported (and those late).
    pub async fn grid_report_rollup(
        &self,
        actor: &Actor,
        q: &RollupQuery,
    ) -> ServiceResult<RollupView> {
        self.require(actor, Permission::ReadGridWork, "网格日报", "rollup")
            .await?;
        let date = parse_date("date", &q.date)?;
        let scope = self.scope_at(actor, q.code.as_deref()).await?;
        let top = scope.code().map(|c| c.to_string()).unwrap_or_default();
        let child_len = scope
            .code()
            .map(|c| c.level().child().unwrap_or(Level::Grid).code_len())
            .unwrap_or(2);
        let grids = store::grid_names(&self.db, &scope).await?;
        let reports: HashMap<String, store::GridReportRow> =
            store::reports_on(&self.db, &scope, date)
                .await?
                .into_iter()
                .map(|r| (r.grid_code.clone(), r))
                .collect();
        let deadline = report_deadline(date, self.grid_report_due_hour);
        let mut places: Vec<RollupLine> = Vec::new();
        let mut total = RollupLine {
            code: top.clone(),
            ..Default::default()
        };
        let (mut missing, mut late) = (Vec::new(), Vec::new());
        for (code, name) in &grids {
            let key = code[..child_len.min(code.len())].to_string();
            if places.last().is_none_or(|p| p.code != key) {
                places.push(RollupLine {
                    code: key,
                    ..Default::default()
                });
            }
            let report = reports.get(code);
            let p = Punctuality::of(report.map(|r| r.filed_at), deadline);
            for line in [places.last_mut(), Some(&mut total)].into_iter().flatten() {
                line.expected += 1;
                match p {
                    Punctuality::OnTime => line.on_time += 1,
                    Punctuality::Late => line.late += 1,
                    Punctuality::Missing => line.missing += 1,
                }
                if let Some(r) = report {
                    if r.zero_report {
                        line.zero_reports += 1;
                    }
                    line.figures.add(&GridFigures {
                        screened: r.screened,
                        arrivals: r.arrivals,
                        high_risk: r.high_risk,
                        publicity: r.publicity,
                        incidents: r.incidents,
                    });
                }
            }
            let due = GridDue {
                code: code.clone(),
                name: name.clone(),
                punctuality: p,
                filed_at: report.map(|r| r.filed_at),
            };
            match p {
                Punctuality::Missing => missing.push(due),
                Punctuality::Late => late.push(due),
                Punctuality::OnTime => {}
            }
        }
        let mut codes: Vec<String> = places.iter().map(|p| p.code.clone()).collect();
        codes.push(top.clone());
        let names = dualtrack_store::jurisdiction::names_of(&self.db, &codes).await?;
        for p in places.iter_mut() {
            p.name = names
                .get(&p.code)
                .cloned()
                .unwrap_or_else(|| p.code.clone());
        }
        total.name = names.get(&top).cloned().unwrap_or_else(|| "合计".into());
        Ok(RollupView {
            date,
            due_hour: self.grid_report_due_hour,
            deadline,
            deadline_local: display(deadline),
            deadline_passed: self.clock.now() > deadline,
            total,
            places,
            missing,
            late,
        })
    }
}

/// Recomputes the risk class of every person screened under `code`; returns how many moved.
async fn reclassify(tx: &mut dualtrack_store::Tx, code: &str) -> ServiceResult<i64> {
    let all = store::risk_areas_tx(tx).await?;
    let (lo, hi) = Code::parse(code)
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .subtree_range();
    let persons = store::screened_in(tx, &lo, &hi).await?;
    let mut by_grid: HashMap<String, Vec<RiskRule>> = HashMap::new();
    let mut moved = 0;
    for p in &persons {
        let rules = by_grid
            .entry(p.grid_code.clone())
            .or_insert_with(|| rules_for(&all, &p.grid_code));
        let level = class_of(p, rules);
        if level.as_str() != p.risk_level {
            store::set_risk(tx, p.id, level.as_str()).await?;
            moved += 1;
        }
    }
    Ok(moved)
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
