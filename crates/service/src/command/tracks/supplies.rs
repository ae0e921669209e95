//! Supplies (物资保障): shortfalls, low stock and spring farming prepared.
//!
//! The track's indicators and how the briefing words them.

use super::{Indicator, IndicatorId, Track, ALL_LEVELS, ANY_DAY};
use crate::briefing::{BriefContext, BriefSection, Values};

/// 物资缺口
pub const SHORTFALLS: IndicatorId = IndicatorId("supplies.shortfalls");
/// 低库存预警
pub const LOW_STOCK: IndicatorId = IndicatorId("supplies.low_stock");
/// 春耕备耕进度
pub const FARM_PREPARED: IndicatorId = IndicatorId("supplies.farm_prepared");

/// The indicators of the track, in the order the dashboard shows them.
pub const INDICATORS: &[Indicator] = &[
    Indicator::count(
        SHORTFALLS,
        "物资缺口",
        "需求大于库存与在途之和的地区与物资数",
        "缺口（需求 − 库存 − 在途）大于零的地区 × 物资数",
        "项",
    ),
    Indicator {
        id: LOW_STOCK,
        name: "低库存预警",
        definition: "按近期日均用量可用天数低于预警天数的仓库 × 物资数",
        numerator: "可用天数低于预警线的仓库 × 物资数",
        denominator: "",
        exclusions: "近期无出库的物资",
        unit: "项",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: FARM_PREPARED,
        name: "春耕备耕进度",
        definition: "各乡镇计划播种面积中已完成整地备耕的比例",
        numerator: "截至当日最近一次填报的已备耕面积（亩）之和",
        denominator: "计划播种面积（亩）之和",
        exclusions: "",
        unit: "%",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
];

pub const TRACK: Track = Track {
    key: "supplies",
    title: "物资保障",
    indicators: INDICATORS,
    brief,
};

/// The track's section of the briefing, when its figures are there.
fn brief(v: &Values, c: &BriefContext) -> Option<BriefSection> {
    if !(v.has(SHORTFALLS)) {
        return None;
    }
    let mut ps = vec![format!(
        "物资缺口{}项，低库存预警{}项；春耕备耕进度{}。",
        v.n(SHORTFALLS).unwrap_or(0),
        v.n(LOW_STOCK).unwrap_or(0),
        v.rate(FARM_PREPARED),
    )];
    if !c.today.shortfall_items.is_empty() {
        ps.push(format!(
            "缺口较大的有：{}。",
            c.today.shortfall_items.join("；")
        ));
    }
    Some(BriefSection {
        heading: "物资保障".into(),
        paragraphs: ps,
    })
}
