//! The command view (指挥视图): the catalogue of headline indicators of both tracks and the
//! mobilisation, their values for a place and a day (the dashboard, `dualtrack stats`), and
//! the daily briefing (简报) written from the same values.
//!
//! Nothing here counts records itself: every value comes from the use case of its track
//! (rates, figures, counts), called as the caller narrowed to the place asked for, so a
//! figure on the dashboard is the figure of the track's own page and API for the same place
//! and day, with the same scope and permissions. A section the caller may not read is left
//! out rather than refused.

use crate::checkpoints::{restricted_to, CountsQuery};
use crate::handovers::HandoverFiguresQuery;
use crate::input::parse_date;
use crate::monitoring::FiguresQuery;
use crate::prevention::RollupQuery;
use crate::resumption::{Rate, RatesQuery, SeriesQuery};
use crate::whistle::WhistleFiguresQuery;
use crate::workgroups::WorkGroupsQuery;
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::{Datelike, Duration, NaiveDate};
use dualtrack_domain::jurisdiction::{Code, Level};
use dualtrack_domain::mobilisation::OrgKind;
use dualtrack_domain::monitoring::CaseKind;
use dualtrack_domain::role::Permission;
use dualtrack_domain::time::reporting_day;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// One headline indicator: what it counts and over what.
pub struct Indicator {
    pub id: &'static str,
    pub name: &'static str,
    pub section: &'static str,
    pub definition: &'static str,
    pub numerator: &'static str,
    pub denominator: &'static str,
    pub exclusions: &'static str,
    pub unit: &'static str,
    pub levels: &'static str,
    pub dates: &'static str,
}

const ALL_LEVELS: &str = "省、州（市）、县、乡镇（街道）";
const ANY_DAY: &str = "任一日（截至当日 24 时）";

/// The catalogue, in the order the dashboard shows them.
pub const INDICATORS: &[Indicator] = &[
    Indicator {
        id: "prevention.under_monitoring",
        name: "在管隔离与健康监测人数",
        section: "prevention",
        definition: "截至当日仍在居家隔离、集中隔离或健康监测中的人数（已开始、未解除）",
        numerator: "开始日不晚于当日且未在当日前解除的对象数",
        denominator: "",
        exclusions: "",
        unit: "人",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "prevention.home",
        name: "居家隔离",
        section: "prevention",
        definition: "在管对象中居家隔离的人数",
        numerator: "类别为居家隔离的在管对象数",
        denominator: "",
        exclusions: "",
        unit: "人",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "prevention.central",
        name: "集中隔离",
        section: "prevention",
        definition: "在管对象中集中隔离的人数",
        numerator: "类别为集中隔离的在管对象数",
        denominator: "",
        exclusions: "",
        unit: "人",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "prevention.health",
        name: "健康监测",
        section: "prevention",
        definition: "在管对象中健康监测的人数",
        numerator: "类别为健康监测的在管对象数",
        denominator: "",
        exclusions: "",
        unit: "人",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "prevention.started",
        name: "当日新增隔离与监测",
        section: "prevention",
        definition: "开始日为当日的对象数",
        numerator: "当日开始的对象数",
        denominator: "",
        exclusions: "",
        unit: "人",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "prevention.released",
        name: "当日解除",
        section: "prevention",
        definition: "解除日为当日的对象数",
        numerator: "当日解除的对象数",
        denominator: "",
        exclusions: "",
        unit: "人",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "prevention.passages",
        name: "卡口登记人次",
        section: "prevention",
        definition: "当日各卡口登记的驾乘人员人次",
        numerator: "卡口在本地区内、通行日为当日的登记中的人数",
        denominator: "",
        exclusions: "",
        unit: "人次",
        levels: "州（市）、县",
        dates: ANY_DAY,
    },
    Indicator {
        id: "prevention.fevers",
        name: "卡口发热",
        section: "prevention",
        definition: "当日卡口登记中体温 ≥ 37.3 ℃ 的人次",
        numerator: "体温 ≥ 37.3 ℃ 的驾乘人员人次",
        denominator: "",
        exclusions: "",
        unit: "人次",
        levels: "州（市）、县",
        dates: ANY_DAY,
    },
    Indicator {
        id: "prevention.turned_back",
        name: "卡口劝返",
        section: "prevention",
        definition: "当日卡口劝返的人次",
        numerator: "处置为劝返的人次",
        denominator: "",
        exclusions: "",
        unit: "人次",
        levels: "州（市）、县",
        dates: ANY_DAY,
    },
    Indicator {
        id: "prevention.grid_on_time",
        name: "网格日报按时率",
        section: "prevention",
        definition: "当日网格日报在次日规定时刻前报送的比例",
        numerator: "按时报送的网格数",
        denominator: "应报网格数（本地区全部网格）",
        exclusions: "",
        unit: "%",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "prevention.handovers_made",
        name: "当日落地交接",
        section: "prevention",
        definition: "当日卡口推送到本地区网格或村（社区）的落地交接人数",
        numerator: "推送日为当日、接收地在本地区的交接数",
        denominator: "",
        exclusions: "劝返者与去往区域外者不推送",
        unit: "人",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "prevention.handovers_overdue",
        name: "落地交接超时未接收",
        section: "prevention",
        definition: "现在仍未接收且已过接收时限的交接数",
        numerator: "待接收且时限已过的交接数",
        denominator: "",
        exclusions: "",
        unit: "人",
        levels: ALL_LEVELS,
        dates: "现在",
    },
    Indicator {
        id: "resumption.rate",
        name: "开复工率",
        section: "resumption",
        definition: "规模以上工业企业中截至当日已开复工的比例",
        numerator: "截至当日最近一次日报为已开复工的企业数",
        denominator: "在册规模以上工业企业数减不计入数",
        exclusions: "季节性停产、长期停产、停产整改（按起止日期）",
        unit: "%",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "resumption.return_to_work",
        name: "复岗率",
        section: "resumption",
        definition: "已开复工企业到岗人数占正常用工人数的比例",
        numerator: "截至当日最近一次日报的到岗人数之和",
        denominator: "计入企业的正常用工人数之和",
        exclusions: "同开复工率",
        unit: "%",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "resumption.capacity",
        name: "产能恢复率",
        section: "resumption",
        definition: "当日产值（产量）占正常水平的比例",
        numerator: "截至当日最近一次日报的当日产值之和",
        denominator: "计入企业的正常日产值之和",
        exclusions: "同开复工率",
        unit: "%",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "resumption.registered",
        name: "规模以上工业企业",
        section: "resumption",
        definition: "在册的规模以上工业企业数",
        numerator: "在册企业数",
        denominator: "",
        exclusions: "",
        unit: "家",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "resumption.projects_started",
        name: "重大项目开工率",
        section: "resumption",
        definition: "年度重大项目中截至当日已开（复）工的比例",
        numerator: "截至当日已开工的项目数",
        denominator: "年度重大项目数",
        exclusions: "",
        unit: "%",
        levels: "州（市）、县",
        dates: ANY_DAY,
    },
    Indicator {
        id: "resumption.investment",
        name: "重大项目投资完成率",
        section: "resumption",
        definition: "截至当日累计完成投资占年度计划投资的比例",
        numerator: "截至当日最近一次填报的累计完成投资之和（万元）",
        denominator: "年度计划投资之和（万元）",
        exclusions: "",
        unit: "%",
        levels: "州（市）、县",
        dates: ANY_DAY,
    },
    Indicator {
        id: "resumption.key_capacity",
        name: "重点企业产能利用率",
        section: "resumption",
        definition: "重点企业（厂）当日产量占设计日产能的比例",
        numerator: "当日产量之和",
        denominator: "设计日产能之和",
        exclusions: "",
        unit: "%",
        levels: "州（市）、县",
        dates: ANY_DAY,
    },
    Indicator {
        id: "mobilisation.township_committees",
        name: "乡镇（街道）党（工）委",
        section: "mobilisation",
        definition: "当日存续的乡镇（街道）党（工）委数",
        numerator: "类别为乡镇（街道）党（工）委、当日存续的组织数",
        denominator: "",
        exclusions: "",
        unit: "个",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "mobilisation.village_parties",
        name: "村（社区）党组织",
        section: "mobilisation",
        definition: "当日存续的村（社区）党组织数",
        numerator: "类别为村（社区）党组织、当日存续的组织数",
        denominator: "",
        exclusions: "",
        unit: "个",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "mobilisation.grids",
        name: "网格",
        section: "mobilisation",
        definition: "本地区划分的网格数",
        numerator: "区划树中的网格数",
        denominator: "",
        exclusions: "",
        unit: "个",
        levels: ALL_LEVELS,
        dates: "现在",
    },
    Indicator {
        id: "mobilisation.temp_branches",
        name: "临时党支部",
        section: "mobilisation",
        definition: "当日存续的一线临时党支部数",
        numerator: "类别为临时党支部、成立日不晚于当日且未撤销的组织数",
        denominator: "",
        exclusions: "",
        unit: "个",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "mobilisation.commandos",
        name: "党员突击队",
        section: "mobilisation",
        definition: "当日存续的党员突击队数",
        numerator: "类别为党员突击队、当日存续的组织数",
        denominator: "",
        exclusions: "",
        unit: "支",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "mobilisation.volunteer_teams",
        name: "志愿服务队",
        section: "mobilisation",
        definition: "当日存续的志愿服务队数",
        numerator: "类别为志愿服务队、当日存续的组织数",
        denominator: "",
        exclusions: "",
        unit: "支",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "mobilisation.on_duty",
        name: "在岗人数",
        section: "mobilisation",
        definition: "当日在派驻岗位上的人数",
        numerator: "当日处于派驻起止日期内的不重复人员数",
        denominator: "",
        exclusions: "",
        unit: "人",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "mobilisation.returned_early",
        name: "提前返岗",
        section: "mobilisation",
        definition: "截至当日提前返岗的第一书记、驻村工作队员等人数",
        numerator: "返岗日早于规定日期的返岗记录数",
        denominator: "",
        exclusions: "",
        unit: "人",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "mobilisation.applications",
        name: "请战书",
        section: "mobilisation",
        definition: "截至当日提交的请战书份数",
        numerator: "提交日不晚于当日的请战书数（各状态）",
        denominator: "",
        exclusions: "",
        unit: "份",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "mobilisation.registrations",
        name: "在职党员到社区报到",
        section: "mobilisation",
        definition: "截至当日到社区报到的在职党员人数",
        numerator: "报到日不晚于当日的报到记录数",
        denominator: "",
        exclusions: "",
        unit: "人",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "mobilisation.work_groups",
        name: "驻企工作组",
        section: "mobilisation",
        definition: "当日有驻企记录的工作组数",
        numerator: "当日在企业驻点的工作组数",
        denominator: "",
        exclusions: "",
        unit: "个",
        levels: "州（市）、县",
        dates: ANY_DAY,
    },
    Indicator {
        id: "mobilisation.work_group_cadres",
        name: "驻企干部",
        section: "mobilisation",
        definition: "当日驻企工作组的不重复成员数",
        numerator: "当日驻企工作组的成员数（不重复）",
        denominator: "",
        exclusions: "",
        unit: "人",
        levels: "州（市）、县",
        dates: ANY_DAY,
    },
    Indicator {
        id: "whistle.raised",
        name: "当日吹哨",
        section: "whistle",
        definition: "当日由网格、村、乡镇、企业、工作组发起的吹哨工单数",
        numerator: "发起日为当日、发起地在本地区的工单数",
        denominator: "",
        exclusions: "",
        unit: "件",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "whistle.open",
        name: "未办结工单",
        section: "whistle",
        definition: "当年截至当日发起、尚未办结（含待确认）的工单数",
        numerator: "当年截至当日发起的工单数减已办结数",
        denominator: "",
        exclusions: "",
        unit: "件",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "whistle.escalated",
        name: "升级督办",
        section: "whistle",
        definition: "当年截至当日发起、因未按时报到或办结而升级的工单数",
        numerator: "有升级记录的工单数",
        denominator: "",
        exclusions: "",
        unit: "件",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "whistle.overdue_rate",
        name: "报到办结超时率",
        section: "whistle",
        definition: "部门呼叫中报到或办结晚于时限（或至今仍超时）的比例",
        numerator: "超时的呼叫数",
        denominator: "呼叫数（部门 × 工单）",
        exclusions: "",
        unit: "%",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "whistle.response_median",
        name: "报到用时中位数",
        section: "whistle",
        definition: "部门自被呼叫到报到的用时中位数",
        numerator: "已报到呼叫的报到用时（分钟）的中位数",
        denominator: "",
        exclusions: "未报到的呼叫",
        unit: "分钟",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "whistle.satisfaction",
        name: "满意率",
        section: "whistle",
        definition: "已评价工单中 4–5 星的比例",
        numerator: "评价 4–5 星的工单数",
        denominator: "已评价的工单数",
        exclusions: "未评价的工单",
        unit: "%",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "supplies.shortfalls",
        name: "物资缺口",
        section: "supplies",
        definition: "需求大于库存与在途之和的地区与物资数",
        numerator: "缺口（需求 − 库存 − 在途）大于零的地区 × 物资数",
        denominator: "",
        exclusions: "",
        unit: "项",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "supplies.low_stock",
        name: "低库存预警",
        section: "supplies",
        definition: "按近期日均用量可用天数低于预警天数的仓库 × 物资数",
        numerator: "可用天数低于预警线的仓库 × 物资数",
        denominator: "",
        exclusions: "近期无出库的物资",
        unit: "项",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: "supplies.farm_prepared",
        name: "春耕备耕进度",
        section: "supplies",
        definition: "各乡镇计划播种面积中已完成整地备耕的比例",
        numerator: "截至当日最近一次填报的已备耕面积（亩）之和",
        denominator: "计划播种面积（亩）之和",
        exclusions: "",
        unit: "%",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
];

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorView {
    pub id: String,
    pub name: String,
    /// prevention 疫情防控 / resumption 复工复产 / mobilisation 组织动员 / whistle 吹哨报到 / supplies 物资保障
    pub section: String,
    pub definition: String,
    pub numerator: String,
    pub denominator: String,
    pub exclusions: String,
    pub unit: String,
    pub levels: String,
    pub dates: String,
}

/// The catalogue as served.
pub fn indicators() -> Vec<IndicatorView> {
    INDICATORS
        .iter()
        .map(|i| IndicatorView {
            id: i.id.into(),
            name: i.name.into(),
            section: i.section.into(),
            definition: i.definition.into(),
            numerator: i.numerator.into(),
            denominator: i.denominator.into(),
            exclusions: i.exclusions.into(),
            unit: i.unit.into(),
            levels: i.levels.into(),
            dates: i.dates.into(),
        })
        .collect()
}

fn indicator(id: &str) -> Option<&'static Indicator> {
    INDICATORS.iter().find(|i| i.id == id)
}

/// The Chinese name of a section.
pub fn section_name(key: &str) -> &'static str {
    match key {
        "prevention" => "疫情防控",
        "resumption" => "复工复产",
        "mobilisation" => "组织动员",
        "whistle" => "吹哨报到",
        "supplies" => "物资保障",
        _ => "其他",
    }
}

// ---- values ----

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FigureValue {
    /// 指标编号（见 /api/v1/indicators）
    pub id: String,
    pub name: String,
    pub unit: String,
    /// 数值：比率为百分数（保留一位小数），其余为计数；无分母时为空
    pub value: Option<f64>,
    pub numerator: Option<i64>,
    pub denominator: Option<i64>,
    /// 显示文字，如 73.1% 或 163
    pub text: String,
    /// 前一日的数值
    pub previous: Option<f64>,
    /// 明细页面
    pub link: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SectionValues {
    pub key: String,
    pub title: String,
    pub figures: Vec<FigureValue>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaceRef {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChildLine {
    pub code: String,
    pub name: String,
    pub resumption: Option<Rate>,
    pub under_monitoring: Option<i64>,
    pub grid_expected: Option<i64>,
    pub grid_on_time: Option<i64>,
    pub handovers_pending: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeriesPoint {
    pub date: NaiveDate,
    /// 开复工率 %
    pub resumption: Option<f64>,
    /// 在管隔离与监测人数
    pub under_monitoring: Option<i64>,
    /// 卡口登记人次
    pub passages: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dashboard {
    pub as_of: NaiveDate,
    pub place: PlaceRef,
    /// 从本人辖区到所查地区的路径（下钻的面包屑）
    pub path: Vec<PlaceRef>,
    pub sections: Vec<SectionValues>,
    /// 下一级地区并列
    pub children: Vec<ChildLine>,
    /// 近四周逐日
    pub series: Vec<SeriesPoint>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct CommandQuery {
    /// 日期 年-月-日（默认今天）
    pub as_of: Option<String>,
    /// 辖区内的地区代码（默认本人辖区）
    pub place: Option<String>,
}

/// The values of one place and day, each by indicator id.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub values: BTreeMap<&'static str, FigureValue>,
    pub children: Vec<ChildLine>,
    /// Names of temporary branches set up that day.
    pub new_branches: Vec<String>,
    /// Major projects started that day.
    pub projects_started: Vec<String>,
    /// Major projects planned to start the next day and not started yet.
    pub projects_planned_next: Vec<String>,
    /// The largest shortfalls of supplies, as text.
    pub shortfall_items: Vec<String>,
    /// Tickets raised that day that were escalated.
    pub escalated_today: i64,
}

/// Checkpoint counts of a place on one day.
struct PassageTotals {
    day: NaiveDate,
    persons: i64,
    fevers: i64,
    turned_back: i64,
}

impl PassageTotals {
    fn on(day: NaiveDate) -> PassageTotals {
        PassageTotals {
            day,
            persons: 0,
            fevers: 0,
            turned_back: 0,
        }
    }
}

fn count(id: &'static str, n: i64, link: String) -> (&'static str, FigureValue) {
    let ind = indicator(id);
    (
        id,
        FigureValue {
            id: id.into(),
            name: ind.map(|i| i.name).unwrap_or(id).into(),
            unit: ind.map(|i| i.unit).unwrap_or("").into(),
            value: Some(n as f64),
            numerator: Some(n),
            denominator: None,
            text: n.to_string(),
            previous: None,
            link,
        },
    )
}

fn ratio(id: &'static str, r: &Rate, link: String) -> (&'static str, FigureValue) {
    let ind = indicator(id);
    (
        id,
        FigureValue {
            id: id.into(),
            name: ind.map(|i| i.name).unwrap_or(id).into(),
            unit: "%".into(),
            value: r.percent,
            numerator: Some(r.numerator),
            denominator: Some(r.denominator),
            text: r
                .percent
                .map(|p| format!("{p:.1}%"))
                .unwrap_or_else(|| "—".into()),
            previous: None,
            link,
        },
    )
}

/// Logs (at debug level) how long a section of a snapshot took, and starts the next.
fn lap(t: &mut std::time::Instant, day: NaiveDate, section: &str) {
    tracing::debug!(
        %day,
        section,
        ms = t.elapsed().as_secs_f64() * 1000.0,
        "command view section"
    );
    *t = std::time::Instant::now();
}

/// Awaits a read, logging (at debug level) how long it took.
async fn timed<T>(
    day: NaiveDate,
    what: &str,
    f: impl std::future::Future<Output = ServiceResult<T>>,
) -> ServiceResult<T> {
    let mut t = std::time::Instant::now();
    let r = f.await;
    lap(&mut t, day, what);
    r
}

fn percent_of(n: i64, d: i64) -> Rate {
    crate::resumption::rate(n, d)
}

impl App {
    /// The caller narrowed to a place of its scope (itself when none is asked for).
    pub(crate) async fn at_place(
        &self,
        actor: &Actor,
        place: &Option<String>,
    ) -> ServiceResult<Actor> {
        let mut a = actor.clone();
        a.scope = self.narrowed(actor, place).await?;
        Ok(a)
    }

    pub(crate) fn as_of_of(&self, raw: &Option<String>) -> ServiceResult<NaiveDate> {
        match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(reporting_day(self.now())),
            Some(s) => parse_date("as_of", s),
        }
    }

    /// Every indicator the caller may read, for its (narrowed) scope and a day.
    pub async fn snapshot(&self, a: &Actor, day: NaiveDate) -> ServiceResult<Snapshot> {
        let mut s = Snapshot::default();
        let d = day.to_string();
        let place = a.scope.code().map(|c| c.to_string()).unwrap_or_default();
        let mut children: BTreeMap<String, ChildLine> = BTreeMap::new();
        let child = |children: &mut BTreeMap<String, ChildLine>, code: &str, name: &str| {
            children
                .entry(code.to_string())
                .or_insert_with(|| ChildLine {
                    code: code.to_string(),
                    name: name.to_string(),
                    resumption: None,
                    under_monitoring: None,
                    grid_expected: None,
                    grid_on_time: None,
                    handovers_pending: None,
                })
                .code
                .clone()
        };
        let level = a.scope.code().map(|c| c.level());
        let mut t = std::time::Instant::now();
        if a.can(Permission::ReadMonitoring) {
            let m = self
                .monitoring_figures(
                    a,
                    &FiguresQuery {
                        as_of: Some(d.clone()),
                        place: None,
                    },
                )
                .await?;
            let link = format!("/monitoring?as_of={d}&place={place}");
            s.values.extend([
                count("prevention.under_monitoring", m.under, link.clone()),
                count("prevention.started", m.started, link.clone()),
                count("prevention.released", m.released, link.clone()),
            ]);
            for k in &m.totals {
                let id = match k.kind {
                    CaseKind::Home => "prevention.home",
                    CaseKind::Central => "prevention.central",
                    CaseKind::Health => "prevention.health",
                };
                s.values.insert(
                    id,
                    count(
                        id,
                        k.under,
                        format!("/monitoring/cases?kind={}", k.kind.as_str()),
                    )
                    .1,
                );
            }
            for p in &m.places {
                let c = child(&mut children, &p.code, &p.name);
                if let Some(l) = children.get_mut(&c) {
                    l.under_monitoring = Some(p.under);
                }
            }
        }
        lap(&mut t, day, "monitoring");
        if a.can(Permission::ReadCheckpoints)
            && matches!(
                level,
                None | Some(Level::Province | Level::Prefecture | Level::County)
            )
        {
            let c = self
                .passage_totals(a, day, day)
                .await?
                .into_iter()
                .next()
                .unwrap_or(PassageTotals::on(day));
            let link = format!("/checkpoints?from={d}&to={d}");
            s.values.extend([
                count("prevention.passages", c.persons, link.clone()),
                count("prevention.fevers", c.fevers, link.clone()),
                count("prevention.turned_back", c.turned_back, link),
            ]);
        }
        lap(&mut t, day, "checkpoints");
        if a.can(Permission::ReadGridWork) {
            let g = self
                .grid_report_rollup(
                    a,
                    &RollupQuery {
                        date: d.clone(),
                        code: None,
                    },
                )
                .await?;
            s.values.extend([ratio(
                "prevention.grid_on_time",
                &percent_of(g.total.on_time, g.total.expected),
                format!("/prevention?date={d}&code={place}"),
            )]);
            for p in &g.places {
                let c = child(&mut children, &p.code, &p.name);
                if let Some(l) = children.get_mut(&c) {
                    l.grid_expected = Some(p.expected);
                    l.grid_on_time = Some(p.on_time);
                }
            }
            let h = self
                .handover_figures(
                    a,
                    &HandoverFiguresQuery {
                        date: Some(d.clone()),
                        place: None,
                    },
                )
                .await?;
            s.values.extend([
                count(
                    "prevention.handovers_made",
                    h.total.made,
                    format!("/handovers?place={place}"),
                ),
                count(
                    "prevention.handovers_overdue",
                    h.total.overdue,
                    format!("/handovers?which=overdue&place={place}"),
                ),
            ]);
            for p in &h.places {
                let c = child(&mut children, &p.code, &p.name);
                if let Some(l) = children.get_mut(&c) {
                    l.handovers_pending = Some(p.pending);
                }
            }
        }
        lap(&mut t, day, "grid reports and hand-overs");
        if a.can(Permission::ReadResumption) {
            let r = self
                .resumption_rates_for(
                    a,
                    &RatesQuery {
                        as_of: d.clone(),
                        place: None,
                        industry: None,
                    },
                )
                .await?;
            let link = format!("/resumption?as_of={d}&place={place}");
            s.values.extend([
                ratio("resumption.rate", &r.total.resumption, link.clone()),
                ratio(
                    "resumption.return_to_work",
                    &r.total.return_to_work,
                    link.clone(),
                ),
                ratio("resumption.capacity", &r.total.capacity, link.clone()),
                count("resumption.registered", r.total.registered, link),
            ]);
            let lines = if matches!(level, Some(Level::County)) {
                &r.townships
            } else {
                &r.counties
            };
            let names = self
                .handover_names(&lines.iter().map(|l| l.code.clone()).collect::<Vec<_>>())
                .await?;
            for l in lines {
                let name = names.get(&l.code).cloned().unwrap_or_default();
                let c = child(&mut children, &l.code, &name);
                if let Some(x) = children.get_mut(&c) {
                    x.resumption = Some(l.resumption.clone());
                }
            }
            if matches!(
                level,
                None | Some(Level::Province | Level::Prefecture | Level::County)
            ) {
                let p = self.project_rates(a, &d).await?;
                let link = format!("/projects?as_of={d}");
                s.values.extend([
                    ratio(
                        "resumption.projects_started",
                        &p.total.start_rate_all,
                        link.clone(),
                    ),
                    ratio("resumption.investment", &p.total.investment_rate, link),
                ]);
                s.projects_started = p
                    .projects
                    .iter()
                    .filter(|l| l.started_on == Some(day))
                    .map(|l| l.name.clone())
                    .collect();
                s.projects_planned_next = p
                    .projects
                    .iter()
                    .filter(|l| {
                        l.started_on.is_none() && l.planned_start == day + Duration::days(1)
                    })
                    .map(|l| l.name.clone())
                    .collect();
                let k = self.key_production(a, &d, None).await?;
                let (out, cap) = k.plants.iter().fold((0, 0), |(o, c), p| {
                    (o + p.day_output.unwrap_or(0), c + p.design_capacity)
                });
                if !k.plants.is_empty() {
                    s.values.extend([ratio(
                        "resumption.key_capacity",
                        &percent_of(out, cap),
                        format!("/key-production?as_of={d}"),
                    )]);
                }
                let w = self
                    .work_groups(
                        a,
                        &WorkGroupsQuery {
                            as_of: Some(d.clone()),
                        },
                    )
                    .await?;
                let link = format!("/work-groups?as_of={d}");
                s.values.extend([
                    count("mobilisation.work_groups", w.groups_stationed, link.clone()),
                    count("mobilisation.work_group_cadres", w.cadres_stationed, link),
                ]);
            }
        }
        lap(&mut t, day, "resumption");
        if a.can(Permission::ReadMobilisation) {
            let m = self.mobilisation_figures(a, &d).await?;
            let by_kind = |k: OrgKind| -> i64 {
                m.organisations
                    .iter()
                    .filter(|o| o.kind == k)
                    .map(|o| o.count)
                    .sum()
            };
            let org_link = |k: OrgKind| format!("/organisations?kind={}&as_of={d}", k.as_str());
            s.values.extend([
                count(
                    "mobilisation.township_committees",
                    by_kind(OrgKind::TownshipCommittee),
                    org_link(OrgKind::TownshipCommittee),
                ),
                count(
                    "mobilisation.village_parties",
                    by_kind(OrgKind::VillageParty),
                    org_link(OrgKind::VillageParty),
                ),
                count(
                    "mobilisation.temp_branches",
                    by_kind(OrgKind::TempBranch),
                    org_link(OrgKind::TempBranch),
                ),
                count(
                    "mobilisation.commandos",
                    by_kind(OrgKind::Commando),
                    org_link(OrgKind::Commando),
                ),
                count(
                    "mobilisation.volunteer_teams",
                    by_kind(OrgKind::Volunteer),
                    org_link(OrgKind::Volunteer),
                ),
                count(
                    "mobilisation.on_duty",
                    m.on_duty,
                    format!("/mobilisation?as_of={d}"),
                ),
                count(
                    "mobilisation.returned_early",
                    m.returned_early,
                    format!("/mobilisation?as_of={d}"),
                ),
                count(
                    "mobilisation.applications",
                    m.applications,
                    "/applications".into(),
                ),
                count(
                    "mobilisation.registrations",
                    m.registrations,
                    format!("/mobilisation?as_of={d}"),
                ),
            ]);
            s.new_branches = self.branches_set_up(a, day).await?;
        }
        lap(&mut t, day, "mobilisation");
        if a.can(Permission::ReadWhistleFigures) {
            let day_q = WhistleFiguresQuery {
                from: Some(d.clone()),
                to: Some(d.clone()),
                place: None,
            };
            let today = self.whistle_figures(a, &day_q).await?;
            let year_start = NaiveDate::from_ymd_opt(day.year(), 1, 1).unwrap_or(day);
            let year = self
                .whistle_figures(
                    a,
                    &WhistleFiguresQuery {
                        from: Some(year_start.to_string()),
                        to: Some(d.clone()),
                        place: None,
                    },
                )
                .await?;
            let link = format!("/whistle/figures?from={year_start}&to={d}");
            let t = &year.total;
            s.values.extend([
                count("whistle.raised", today.tickets, link.clone()),
                count("whistle.open", year.tickets - year.closed, link.clone()),
                count("whistle.escalated", year.escalated, link.clone()),
                ratio(
                    "whistle.overdue_rate",
                    &percent_of(t.overdue, t.calls),
                    link.clone(),
                ),
                ratio(
                    "whistle.satisfaction",
                    &percent_of(
                        (t.satisfaction_rate.unwrap_or(0.0) * t.rated as f64 / 100.0).round()
                            as i64,
                        t.rated,
                    ),
                    link.clone(),
                ),
            ]);
            s.escalated_today = today.escalated;
            if let Some(m) = t.response_median_minutes {
                s.values.insert(
                    "whistle.response_median",
                    count("whistle.response_median", m, link).1,
                );
            }
        }
        lap(&mut t, day, "whistle");
        if a.can(Permission::ReadSupplies) {
            let (short, low, farm) =
                timed(day, "supplies: figures", self.supply_figures(a, day)).await?;
            let (prepared, planned) = farm
                .townships
                .iter()
                .fold((0, 0), |(p, q), t| (p + t.prepared_mu, q + t.planned_mu));
            s.values.extend([
                count(
                    "supplies.shortfalls",
                    short.lines.iter().filter(|l| l.shortfall > 0).count() as i64,
                    format!("/supplies?as_of={d}"),
                ),
                count(
                    "supplies.low_stock",
                    low.lines.len() as i64,
                    format!("/supplies?as_of={d}"),
                ),
                ratio(
                    "supplies.farm_prepared",
                    &percent_of(prepared, planned),
                    format!("/supplies/spring-farming?as_of={d}"),
                ),
            ]);
            let mut largest: Vec<_> = short.lines.iter().filter(|l| l.shortfall > 0).collect();
            largest.sort_by_key(|l| std::cmp::Reverse(l.shortfall));
            s.shortfall_items = largest
                .into_iter()
                .take(5)
                .map(|l| format!("{}{}缺{}{}", l.place_name, l.item_name, l.shortfall, l.unit))
                .collect();
        }
        lap(&mut t, day, "supplies");
        if a.can(Permission::ReadTree) {
            let grids = self.grids_in(a).await?;
            s.values
                .extend([count("mobilisation.grids", grids, format!("/tree/{place}"))]);
        }
        lap(&mut t, day, "grids");
        s.children = children.into_values().collect();
        Ok(s)
    }

    /// The dashboard of a place (the caller's scope by default) as of a day: the sections
    /// the caller may read, each figure with the day before and a link to its records, the
    /// places one level down side by side, and four weeks day by day.
    pub async fn dashboard(&self, actor: &Actor, q: &CommandQuery) -> ServiceResult<Dashboard> {
        self.require(actor, Permission::ReadTree, "指挥视图", "dashboard")
            .await?;
        let day = self.as_of_of(&q.as_of)?;
        let a = self.at_place(actor, &q.place).await?;
        // Independent reads, each on its own connection of the pool.
        let (today, before, place, path, series) = tokio::try_join!(
            self.snapshot(&a, day),
            self.snapshot(&a, day - Duration::days(1)),
            self.place_ref(&a),
            self.path_of(actor, &a),
            self.series_of(&a, day),
        )?;
        let sections = sections_of(&today, &before);
        Ok(Dashboard {
            as_of: day,
            place,
            path,
            sections,
            children: today.children,
            series,
        })
    }

    /// Every indicator of a place and day, by id (the `stats` command and API).
    pub async fn stats(
        &self,
        actor: &Actor,
        q: &CommandQuery,
    ) -> ServiceResult<BTreeMap<String, FigureValue>> {
        self.require(actor, Permission::ReadTree, "指挥视图", "stats")
            .await?;
        let day = self.as_of_of(&q.as_of)?;
        let a = self.at_place(actor, &q.place).await?;
        let (today, before) = tokio::try_join!(
            self.snapshot(&a, day),
            self.snapshot(&a, day - Duration::days(1)),
        )?;
        Ok(today
            .values
            .into_iter()
            .map(|(k, mut v)| {
                v.previous = before.values.get(k).and_then(|b| b.value);
                (k.to_string(), v)
            })
            .collect())
    }

    async fn place_ref(&self, a: &Actor) -> ServiceResult<PlaceRef> {
        let code = a.scope.code().map(|c| c.to_string()).unwrap_or_default();
        let name = match a.scope.code() {
            Some(c) => self.name_of(c.as_str()).await?.unwrap_or_default(),
            None => "全国".into(),
        };
        Ok(PlaceRef { code, name })
    }

    /// The places from the caller's own scope down to the one asked for.
    async fn path_of(&self, actor: &Actor, a: &Actor) -> ServiceResult<Vec<PlaceRef>> {
        let Some(target) = a.scope.code() else {
            return Ok(vec![self.place_ref(a).await?]);
        };
        let top = actor.scope.code().map(|c| c.as_str().len()).unwrap_or(0);
        let mut out = Vec::new();
        for c in target.lineage() {
            if c.as_str().len() >= top {
                out.push(PlaceRef {
                    name: self.name_of(c.as_str()).await?.unwrap_or_default(),
                    code: c.to_string(),
                });
            }
        }
        Ok(out)
    }

    async fn series_of(&self, a: &Actor, day: NaiveDate) -> ServiceResult<Vec<SeriesPoint>> {
        let from = day - Duration::days(27);
        let mut points: BTreeMap<NaiveDate, SeriesPoint> = (0..28)
            .map(|i| {
                let d = from + Duration::days(i);
                (
                    d,
                    SeriesPoint {
                        date: d,
                        resumption: None,
                        under_monitoring: None,
                        passages: None,
                    },
                )
            })
            .collect();
        let mut t = std::time::Instant::now();
        if a.can(Permission::ReadResumption) {
            let s = self
                .resumption_series(
                    a,
                    &SeriesQuery {
                        from: from.to_string(),
                        to: day.to_string(),
                        place: None,
                        industry: None,
                        by: None,
                    },
                )
                .await?;
            for r in &s.total.days {
                if let Some(p) = points.get_mut(&r.day) {
                    p.resumption = r.resumption.percent;
                }
            }
        }
        lap(&mut t, day, "series: resumption");
        if a.can(Permission::ReadMonitoring) {
            for (d, under) in self.monitoring_under_series(a, from, day).await? {
                if let Some(p) = points.get_mut(&d) {
                    p.under_monitoring = Some(under);
                }
            }
        }
        lap(&mut t, day, "series: monitoring");
        let level = a.scope.code().map(|c| c.level());
        if a.can(Permission::ReadCheckpoints)
            && matches!(
                level,
                None | Some(Level::Province | Level::Prefecture | Level::County)
            )
        {
            for l in self.passage_totals(a, from, day).await? {
                if let Some(p) = points.get_mut(&l.day) {
                    p.passages = Some(l.persons);
                }
            }
        }
        lap(&mut t, day, "series: checkpoints");
        Ok(points.into_values().collect())
    }

    /// The checkpoint counts of the (narrowed) scope for each day from `from` to `to` that
    /// has passages: the totals of [`App::checkpoint_counts`] for those days, read from the
    /// per-day rollup, or from the counts themselves for an account that sees only its own
    /// checkpoints.
    async fn passage_totals(
        &self,
        a: &Actor,
        from: NaiveDate,
        to: NaiveDate,
    ) -> ServiceResult<Vec<PassageTotals>> {
        if restricted_to(a).is_some() {
            let c = self
                .checkpoint_counts(
                    a,
                    &CountsQuery {
                        from: Some(from.to_string()),
                        to: Some(to.to_string()),
                    },
                )
                .await?;
            let mut days: BTreeMap<NaiveDate, PassageTotals> = BTreeMap::new();
            for l in &c.by_day {
                let t = days
                    .entry(l.date)
                    .or_insert_with(|| PassageTotals::on(l.date));
                t.persons += l.counts.persons;
                t.fevers += l.counts.fevers;
                t.turned_back += l.counts.turned_back;
            }
            return Ok(days.into_values().collect());
        }
        self.require(a, Permission::ReadCheckpoints, "卡口", "counts")
            .await?;
        Ok(
            dualtrack_store::passage_days::by_day(&self.db, &a.scope, from, to)
                .await?
                .into_iter()
                .map(|r| PassageTotals {
                    day: r.day,
                    persons: r.persons,
                    fevers: r.fevers,
                    turned_back: r.turned_back,
                })
                .collect(),
        )
    }

    /// The grids of the (narrowed) scope.
    async fn grids_in(&self, a: &Actor) -> ServiceResult<i64> {
        let Some(code) = a.scope.code() else {
            return Ok(0);
        };
        if code.level() == Level::Grid {
            return Ok(1);
        }
        let counts = dualtrack_store::jurisdiction::level_counts(&self.db, code).await?;
        Ok(counts
            .iter()
            .find(|(level, _)| Level::from_rank(*level) == Some(Level::Grid))
            .map(|(_, n)| *n)
            .unwrap_or(0))
    }

    /// Names of the temporary branches of the scope set up on the day.
    async fn branches_set_up(&self, a: &Actor, day: NaiveDate) -> ServiceResult<Vec<String>> {
        Ok(dualtrack_store::mobilisation::orgs_set_up_on(
            &self.db,
            &a.scope,
            OrgKind::TempBranch.as_str(),
            day,
        )
        .await?)
    }
}

fn sections_of(today: &Snapshot, before: &Snapshot) -> Vec<SectionValues> {
    let mut out: Vec<SectionValues> = Vec::new();
    for ind in INDICATORS {
        let Some(v) = today.values.get(ind.id) else {
            continue;
        };
        let mut v = v.clone();
        v.previous = before.values.get(ind.id).and_then(|b| b.value);
        match out.iter_mut().find(|s| s.key == ind.section) {
            Some(s) => s.figures.push(v),
            None => out.push(SectionValues {
                key: ind.section.into(),
                title: section_name(ind.section).into(),
                figures: vec![v],
            }),
        }
    }
    out
}

/// Whether a raw code names a place at all (for the command line's early check).
pub fn check_place(raw: &str) -> ServiceResult<Code> {
    Code::parse(raw.trim()).map_err(|e| ServiceError::invalid("place", e.to_string()))
}
