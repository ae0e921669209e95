//! Whistles (吹哨报到): tickets raised, open and escalated, calls overdue, response times and
//! satisfaction.
//!
//! The track's indicators and how the briefing words them.

use super::{Indicator, IndicatorId, Track, ALL_LEVELS, ANY_DAY};
use crate::briefing::{join, BriefContext, BriefSection, Values};

/// 当日吹哨
pub const RAISED: IndicatorId = IndicatorId("whistle.raised");
/// 未办结工单
pub const OPEN: IndicatorId = IndicatorId("whistle.open");
/// 升级督办
pub const ESCALATED: IndicatorId = IndicatorId("whistle.escalated");
/// 报到办结超时率
pub const OVERDUE_RATE: IndicatorId = IndicatorId("whistle.overdue_rate");
/// 报到用时中位数
pub const RESPONSE_MEDIAN: IndicatorId = IndicatorId("whistle.response_median");
/// 满意率
pub const SATISFACTION: IndicatorId = IndicatorId("whistle.satisfaction");

/// The indicators of the track, in the order the dashboard shows them.
pub const INDICATORS: &[Indicator] = &[
    Indicator::count(
        RAISED,
        "当日吹哨",
        "当日由网格、村、乡镇、企业、工作组发起的吹哨工单数",
        "发起日为当日、发起地在本地区的工单数",
        "件",
    ),
    Indicator::count(
        OPEN,
        "未办结工单",
        "当年截至当日发起、尚未办结（含待确认）的工单数",
        "当年截至当日发起的工单数减已办结数",
        "件",
    ),
    Indicator::count(
        ESCALATED,
        "升级督办",
        "当年截至当日发起、因未按时报到或办结而升级的工单数",
        "有升级记录的工单数",
        "件",
    ),
    Indicator {
        id: OVERDUE_RATE,
        name: "报到办结超时率",
        definition: "部门呼叫中报到或办结晚于时限（或至今仍超时）的比例",
        numerator: "超时的呼叫数",
        denominator: "呼叫数（部门 × 工单）",
        exclusions: "",
        unit: "%",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: RESPONSE_MEDIAN,
        name: "报到用时中位数",
        definition: "部门自被呼叫到报到的用时中位数",
        numerator: "已报到呼叫的报到用时（分钟）的中位数",
        denominator: "",
        exclusions: "未报到的呼叫",
        unit: "分钟",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: SATISFACTION,
        name: "满意率",
        definition: "已评价工单中 4–5 星的比例",
        numerator: "评价 4–5 星的工单数",
        denominator: "已评价的工单数",
        exclusions: "未评价的工单",
        unit: "%",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
];

pub const TRACK: Track = Track {
    key: "whistle",
    title: "吹哨报到",
    indicators: INDICATORS,
    brief,
};

/// The track's section of the briefing, when its figures are there.
fn brief(v: &Values, _: &BriefContext) -> Option<BriefSection> {
    if !(v.has(RAISED)) {
        return None;
    }
    let mut p = vec![format!(
        "当日吹哨{}，当年累计未办结{}件、升级督办{}件",
        v.count(RAISED),
        v.n(OPEN).unwrap_or(0),
        v.n(ESCALATED).unwrap_or(0),
    )];
    if let Some(m) = v.n(RESPONSE_MEDIAN) {
        p.push(format!("部门报到用时中位数{m}分钟"));
    }
    p.push(format!("超时率{}", v.rate(OVERDUE_RATE)));
    p.push(format!("满意率{}", v.rate(SATISFACTION)));
    Some(BriefSection {
        heading: "吹哨报到".into(),
        paragraphs: vec![join(p) + "。"],
    })
}
