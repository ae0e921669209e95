//! Resumption of work (复工复产): enterprises resumed, return to work and capacity, major
//! projects and key plants.
//!
//! The track's indicators and how the briefing words them.

use super::{Indicator, IndicatorId, Track, ALL_LEVELS, ANY_DAY};
use crate::briefing::{join, BriefContext, BriefSection, Values};

/// 开复工率
pub const RATE: IndicatorId = IndicatorId("resumption.rate");
/// 复岗率
pub const RETURN_TO_WORK: IndicatorId = IndicatorId("resumption.return_to_work");
/// 产能恢复率
pub const CAPACITY: IndicatorId = IndicatorId("resumption.capacity");
/// 规模以上工业企业
pub const REGISTERED: IndicatorId = IndicatorId("resumption.registered");
/// 重大项目开工率
pub const PROJECTS_STARTED: IndicatorId = IndicatorId("resumption.projects_started");
/// 重大项目投资完成率
pub const INVESTMENT: IndicatorId = IndicatorId("resumption.investment");
/// 重点企业产能利用率
pub const KEY_CAPACITY: IndicatorId = IndicatorId("resumption.key_capacity");

/// The indicators of the track, in the order the dashboard shows them.
pub const INDICATORS: &[Indicator] = &[
    Indicator {
        id: RATE,
        name: "开复工率",
        definition: "规模以上工业企业中截至当日已开复工的比例",
        numerator: "截至当日最近一次日报为已开复工的企业数",
        denominator: "在册规模以上工业企业数减不计入数",
        exclusions: "季节性停产、长期停产、停产整改（按起止日期）",
        unit: "%",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: RETURN_TO_WORK,
        name: "复岗率",
        definition: "已开复工企业到岗人数占正常用工人数的比例",
        numerator: "截至当日最近一次日报的到岗人数之和",
        denominator: "计入企业的正常用工人数之和",
        exclusions: "同开复工率",
        unit: "%",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator {
        id: CAPACITY,
        name: "产能恢复率",
        definition: "当日产值（产量）占正常水平的比例",
        numerator: "截至当日最近一次日报的当日产值之和",
        denominator: "计入企业的正常日产值之和",
        exclusions: "同开复工率",
        unit: "%",
        levels: ALL_LEVELS,
        dates: ANY_DAY,
    },
    Indicator::count(
        REGISTERED,
        "规模以上工业企业",
        "在册的规模以上工业企业数",
        "在册企业数",
        "家",
    ),
    Indicator {
        id: PROJECTS_STARTED,
        name: "重大项目开工率",
        definition: "年度重大项目中截至当日已开（复）工的比例",
        numerator: "截至当日已开工的项目数",
        denominator: "年度重大项目数",
        exclusions: "",
        unit: "%",
        levels: "州（市）、县",
        dates: ANY_DAY,
    },
    Indicator {
        id: INVESTMENT,
        name: "重大项目投资完成率",
        definition: "截至当日累计完成投资占年度计划投资的比例",
        numerator: "截至当日最近一次填报的累计完成投资之和（万元）",
        denominator: "年度计划投资之和（万元）",
        exclusions: "",
        unit: "%",
        levels: "州（市）、县",
        dates: ANY_DAY,
    },
    Indicator {
        id: KEY_CAPACITY,
        name: "重点企业产能利用率",
        definition: "重点企业（厂）当日产量占设计日产能的比例",
        numerator: "当日产量之和",
        denominator: "设计日产能之和",
        exclusions: "",
        unit: "%",
        levels: "州（市）、县",
        dates: ANY_DAY,
    },
];

pub const TRACK: Track = Track {
    key: "resumption",
    title: "复工复产",
    indicators: INDICATORS,
    brief,
};

/// The track's section of the briefing, when its figures are there.
fn brief(v: &Values, c: &BriefContext) -> Option<BriefSection> {
    if !(v.has(RATE)) {
        return None;
    }
    let mut ps = vec![format!(
        "全{}{}家规模以上工业企业中，开复工率{}；复岗率{}；产能恢复率{}。",
        if c.place_code.len() <= 4 {
            "州"
        } else {
            "地"
        },
        v.n(REGISTERED).unwrap_or(0),
        v.rate(RATE),
        v.rate(RETURN_TO_WORK),
        v.rate(CAPACITY),
    )];
    if v.has(PROJECTS_STARTED) {
        ps.push(
            join(vec![
                format!(
                    "{}个年度重大项目已开（复）工{}个，开工率{}",
                    v.d(PROJECTS_STARTED).unwrap_or(0),
                    v.n(PROJECTS_STARTED).unwrap_or(0),
                    v.rate(PROJECTS_STARTED),
                ),
                format!("投资完成率{}", v.rate(INVESTMENT)),
            ]) + "。",
        );
    }
    if v.has(KEY_CAPACITY) {
        ps.push(format!(
            "重点企业（厂）当日产能利用率{}。",
            v.rate(KEY_CAPACITY)
        ));
    }
    Some(BriefSection {
        heading: "复工复产".into(),
        paragraphs: ps,
    })
}
