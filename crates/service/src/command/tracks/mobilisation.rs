//! Mobilisation (组织动员): organisations in the front line, grids, people on duty and
//! returned early, applications, registrations and the work groups in enterprises.
//!
//! The track's indicators and how the briefing words them.

use super::{Indicator, IndicatorId, Track};
use crate::briefing::{BriefContext, BriefSection, Values};

/// 乡镇（街道）党（工）委
pub const TOWNSHIP_COMMITTEES: IndicatorId = IndicatorId("mobilisation.township_committees");
/// 村（社区）党组织
pub const VILLAGE_PARTIES: IndicatorId = IndicatorId("mobilisation.village_parties");
/// 网格
pub const GRIDS: IndicatorId = IndicatorId("mobilisation.grids");
/// 临时党支部
pub const TEMP_BRANCHES: IndicatorId = IndicatorId("mobilisation.temp_branches");
/// 党员突击队
pub const COMMANDOS: IndicatorId = IndicatorId("mobilisation.commandos");
/// 志愿服务队
pub const VOLUNTEER_TEAMS: IndicatorId = IndicatorId("mobilisation.volunteer_teams");
/// 在岗人数
pub const ON_DUTY: IndicatorId = IndicatorId("mobilisation.on_duty");
/// 提前返岗
pub const RETURNED_EARLY: IndicatorId = IndicatorId("mobilisation.returned_early");
/// 请战书
pub const APPLICATIONS: IndicatorId = IndicatorId("mobilisation.applications");
/// 在职党员到社区报到
pub const REGISTRATIONS: IndicatorId = IndicatorId("mobilisation.registrations");
/// 驻企工作组
pub const WORK_GROUPS: IndicatorId = IndicatorId("mobilisation.work_groups");
/// 驻企干部
pub const WORK_GROUP_CADRES: IndicatorId = IndicatorId("mobilisation.work_group_cadres");

/// The indicators of the track, in the order the dashboard shows them.
pub const INDICATORS: &[Indicator] = &[
    Indicator::count(
        TOWNSHIP_COMMITTEES,
        "乡镇（街道）党（工）委",
        "当日存续的乡镇（街道）党（工）委数",
        "类别为乡镇（街道）党（工）委、当日存续的组织数",
        "个",
    ),
    Indicator::count(
        VILLAGE_PARTIES,
        "村（社区）党组织",
        "当日存续的村（社区）党组织数",
        "类别为村（社区）党组织、当日存续的组织数",
        "个",
    ),
    Indicator::count(
        GRIDS,
        "网格",
        "本地区划分的网格数",
        "区划树中的网格数",
        "个",
    )
    .dates("现在"),
    Indicator::count(
        TEMP_BRANCHES,
        "临时党支部",
        "当日存续的一线临时党支部数",
        "类别为临时党支部、成立日不晚于当日且未撤销的组织数",
        "个",
    ),
    Indicator::count(
        COMMANDOS,
        "党员突击队",
        "当日存续的党员突击队数",
        "类别为党员突击队、当日存续的组织数",
        "支",
    ),
    Indicator::count(
        VOLUNTEER_TEAMS,
        "志愿服务队",
        "当日存续的志愿服务队数",
        "类别为志愿服务队、当日存续的组织数",
        "支",
    ),
    Indicator::count(
        ON_DUTY,
        "在岗人数",
        "当日在派驻岗位上的人数",
        "当日处于派驻起止日期内的不重复人员数",
        "人",
    ),
    Indicator::count(
        RETURNED_EARLY,
        "提前返岗",
        "截至当日提前返岗的第一书记、驻村工作队员等人数",
        "返岗日早于规定日期的返岗记录数",
        "人",
    ),
    Indicator::count(
        APPLICATIONS,
        "请战书",
        "截至当日提交的请战书份数",
        "提交日不晚于当日的请战书数（各状态）",
        "份",
    ),
    Indicator::count(
        REGISTRATIONS,
        "在职党员到社区报到",
        "截至当日到社区报到的在职党员人数",
        "报到日不晚于当日的报到记录数",
        "人",
    ),
    Indicator::count(
        WORK_GROUPS,
        "驻企工作组",
        "当日有驻企记录的工作组数",
        "当日在企业驻点的工作组数",
        "个",
    )
    .levels("州（市）、县"),
    Indicator::count(
        WORK_GROUP_CADRES,
        "驻企干部",
        "当日驻企工作组的不重复成员数",
        "当日驻企工作组的成员数（不重复）",
        "人",
    )
    .levels("州（市）、县"),
];

pub const TRACK: Track = Track {
    key: "mobilisation",
    title: "组织动员",
    indicators: INDICATORS,
    brief,
};

/// The track's section of the briefing, when its figures are there.
fn brief(v: &Values, _: &BriefContext) -> Option<BriefSection> {
    if !(v.has(TEMP_BRANCHES)) {
        return None;
    }
    let mut ps = vec![format!(
        "{}个乡镇（街道）党（工）委、{}个村（社区）党组织冲在一线，{}个网格全覆盖；在防控一线成立临时党支部{}、党员突击队{}支、志愿服务队{}支。",
        v.n(TOWNSHIP_COMMITTEES).unwrap_or(0),
        v.n(VILLAGE_PARTIES).unwrap_or(0),
        v.n(GRIDS).unwrap_or(0),
        v.count(TEMP_BRANCHES),
        v.n(COMMANDOS).unwrap_or(0),
        v.n(VOLUNTEER_TEAMS).unwrap_or(0),
    )];
    ps.push(format!(
        "{}名第一书记和驻村工作队员提前返岗；收到请战书{}份；在职党员到社区报到{}；当日在岗{}。",
        v.n(RETURNED_EARLY).unwrap_or(0),
        v.n(APPLICATIONS).unwrap_or(0),
        v.count(REGISTRATIONS),
        v.count(ON_DUTY),
    ));
    if v.has(WORK_GROUPS) {
        ps.push(format!(
            "{}个工作组{}名干部驻企服务，帮助企业解决用工、原材料、物流等难题。",
            v.n(WORK_GROUPS).unwrap_or(0),
            v.n(WORK_GROUP_CADRES).unwrap_or(0),
        ));
    }
    Some(BriefSection {
        heading: "组织动员".into(),
        paragraphs: ps,
    })
}
