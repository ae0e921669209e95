//! Prevention (疫情防控): persons under quarantine and medical observation, the checkpoints,
//! the grids' daily reports and the hand-overs from the checkpoints to the grids.
//!
//! The track's indicators and how the briefing words them.

use super::mobilisation;
use super::{Indicator, IndicatorId, Track, ALL_LEVELS, ANY_DAY};
use crate::briefing::{BriefContext, BriefSection, Values};

/// 在管隔离与健康监测人数
pub const UNDER_MONITORING: IndicatorId = IndicatorId("prevention.under_monitoring");
/// 居家隔离
pub const HOME: IndicatorId = IndicatorId("prevention.home");
/// 集中隔离
pub const CENTRAL: IndicatorId = IndicatorId("prevention.central");
/// 健康监测
pub const HEALTH: IndicatorId = IndicatorId("prevention.health");
/// 当日新增隔离与监测
pub const STARTED: IndicatorId = IndicatorId("prevention.started");
/// 当日解除
pub const RELEASED: IndicatorId = IndicatorId("prevention.released");
/// 卡口登记人次
pub const PASSAGES: IndicatorId = IndicatorId("prevention.passages");
/// 卡口发热
pub const FEVERS: IndicatorId = IndicatorId("prevention.fevers");
/// 卡口劝返
pub const TURNED_BACK: IndicatorId = IndicatorId("prevention.turned_back");
/// 网格日报按时率
pub const GRID_ON_TIME: IndicatorId = IndicatorId("prevention.grid_on_time");
/// 当日落地交接
pub const HANDOVERS_MADE: IndicatorId = IndicatorId("prevention.handovers_made");
/// 落地交接超时未接收
pub const HANDOVERS_OVERDUE: IndicatorId = IndicatorId("prevention.handovers_overdue");

/// The indicators of the track, in the order the dashboard shows them.
pub const INDICATORS: &[Indicator] = &[
    Indicator::count(
        UNDER_MONITORING,
        "在管隔离与健康监测人数",
        "截至当日仍在居家隔离、集中隔离或健康监测中的人数（已开始、未解除）",
        "开始日不晚于当日且未在当日前解除的对象数",
        "人",
    ),
    Indicator::count(
        HOME,
        "居家隔离",
        "在管对象中居家隔离的人数",
        "类别为居家隔离的在管对象数",
        "人",
    ),
    Indicator::count(
        CENTRAL,
        "集中隔离",
        "在管对象中集中隔离的人数",
        "类别为集中隔离的在管对象数",
        "人",
    ),
    Indicator::count(
        HEALTH,
        "健康监测",
        "在管对象中健康监测的人数",
        "类别为健康监测的在管对象数",
        "人",
    ),
    Indicator::count(
        STARTED,
        "当日新增隔离与监测",
        "开始日为当日的对象数",
        "当日开始的对象数",
        "人",
    ),
    Indicator::count(
        RELEASED,
        "当日解除",
        "解除日为当日的对象数",
        "当日解除的对象数",
        "人",
    ),
    Indicator::count(
        PASSAGES,
        "卡口登记人次",
        "当日各卡口登记的驾乘人员人次",
        "卡口在本地区内、通行日为当日的登记中的人数",
        "人次",
    )
    .levels("州（市）、县"),
    Indicator::count(
        FEVERS,
        "卡口发热",
        "当日卡口登记中体温 ≥ 37.3 ℃ 的人次",
        "体温 ≥ 37.3 ℃ 的驾乘人员人次",
        "人次",
    )
    .levels("州（市）、县"),
    Indicator::count(
        TURNED_BACK,
        "卡口劝返",
        "当日卡口劝返的人次",
        "处置为劝返的人次",
        "人次",
    )
    .levels("州（市）、县"),
    Indicator {
        id: GRID_ON_TIME,
        name: "网格日报按时率",
        definition: "当日网格日报在次日规定时刻前报送的比例",
        numerator: "按时报送的网格数",
        denominator: "应报网格数（本地区全部网格）",
        exclusions: "",
        unit: "%",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: HANDOVERS_MADE,
        name: "当日落地交接",
        definition: "当日卡口推送到本地区网格或村（社区）的落地交接人数",
        numerator: "推送日为当日、接收地在本地区的交接数",
        denominator: "",
        exclusions: "劝返者与去往区域外者不推送",
        unit: "人",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator::count(
        HANDOVERS_OVERDUE,
        "落地交接超时未接收",
        "现在仍未接收且已过接收时限的交接数",
        "待接收且时限已过的交接数",
        "人",
    )
    .dates("现在"),
];

pub const TRACK: Track = Track {
    key: "prevention",
    title: "疫情防控",
    indicators: INDICATORS,
    brief,
};

/// The track's section of the briefing, when its figures are there.
fn brief(v: &Values, c: &BriefContext) -> Option<BriefSection> {
    if !(v.has(UNDER_MONITORING) || v.has(PASSAGES)) {
        return None;
    }
    let (at, place_name) = (c.at, c.place_name);
    let mut ps = Vec::new();
    if v.has(UNDER_MONITORING) {
        ps.push(format!(
            "截至{at}，{place_name}在管隔离与健康监测对象{}，其中居家隔离{}人、集中隔离{}人、健康监测{}人；当日新增{}，解除{}。",
            v.count(UNDER_MONITORING),
            v.n(HOME).unwrap_or(0),
            v.n(CENTRAL).unwrap_or(0),
            v.n(HEALTH).unwrap_or(0),
            v.count(STARTED),
            v.count(RELEASED),
        ));
    }
    if v.has(PASSAGES) {
        ps.push(format!(
            "各卡口当日登记{}，发现发热{}，劝返{}。",
            v.count(PASSAGES),
            v.count(FEVERS),
            v.count(TURNED_BACK),
        ));
    }
    if v.has(GRID_ON_TIME) {
        ps.push(format!(
            "{}个网格落实包排查、包布控、包宣传教育、包稳定、包信息畅通“五包”责任，当日网格日报按时报送率{}；卡口推送落地交接{}。",
            v.n(mobilisation::GRIDS).unwrap_or(0),
            v.rate(GRID_ON_TIME),
            v.count(HANDOVERS_MADE),
        ));
    }
    Some(BriefSection {
        heading: "疫情防控".into(),
        paragraphs: ps,
    })
}
