//! Prevention on the ground: grids and their five duties, screening (摸排) with a risk class
//! derived from risk areas, and the grid's daily report (信息畅通).

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

named_enum!(
    /// The five duties a grid carries (五包).
    GridDuty {
        Screening => "screening", "包排查";
        Control => "control", "包布控";
        Publicity => "publicity", "包宣传教育";
        Stability => "stability", "包稳定";
        Information => "information", "包信息畅通";
    }
);

named_enum!(
    /// A member's part in a grid.
    GridRole {
        Leader => "leader", "网格长";
        Worker => "worker", "网格员";
        PartyMember => "party_member", "党员中心户";
        Volunteer => "volunteer", "志愿者";
    }
);

named_enum!(
    /// Who a screened person is to the grid.
    PersonKind {
        Resident => "resident", "常住";
        Outsider => "outsider", "外来";
        Returned => "returned", "返乡";
        BackToWork => "back_to_work", "返岗";
    }
);

named_enum!(
    /// Risk class of a screened person, and level of a risk area; in rising order.
    RiskLevel {
        Low => "low", "低风险";
        Medium => "medium", "中风险";
        High => "high", "高风险";
    }
);

named_enum!(
    /// What a stability record is about.
    StabilityKind {
        Dispute => "dispute", "矛盾纠纷";
        Incident => "incident", "突发事件";
        Rumour => "rumour", "谣言舆情";
    }
);

named_enum!(
    /// Where a stability record stands.
    StabilityStatus {
        Open => "open", "处置中";
        Resolved => "resolved", "已化解";
    }
);

impl RiskLevel {
    fn rank(self) -> usize {
        RiskLevel::ALL.iter().position(|l| *l == self).unwrap_or(0)
    }

    /// The higher of two levels.
    pub fn max(self, other: RiskLevel) -> RiskLevel {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

/// Days of travel history asked for.
pub const TRAVEL_DAYS: i64 = 14;

/// A place a person was at on a day (division code, 2 to 12 digits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TravelStop {
    /// 区划代码，如 420100（武汉市）、42（湖北省）
    pub code: String,
    /// 日期，如 2020-01-20
    #[schema(value_type = String)]
    pub date: NaiveDate,
}

/// A risk area: places whose code starts with `region_code`, counted from `from_on` to
/// `until_on` (open if none), at `level`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskRule {
    pub region_code: String,
    pub from_on: NaiveDate,
    pub until_on: Option<NaiveDate>,
    pub level: RiskLevel,
}

impl RiskRule {
    pub fn matches(&self, code: &str, date: NaiveDate) -> bool {
        code.starts_with(&self.region_code)
            && date >= self.from_on
            && self.until_on.is_none_or(|u| date <= u)
    }
}

/// What the risk class of a person is derived from.
#[derive(Debug, Clone, Default)]
pub struct Exposure<'a> {
    /// Where the person came from and the day of arrival.
    pub came_from: Option<(&'a str, NaiveDate)>,
    /// Places in the 14 days before screening.
    pub travel: &'a [TravelStop],
    /// Contact with people from a risk area, or with a case.
    pub risk_contact: bool,
    pub screened_on: Option<NaiveDate>,
}

/// The risk class: the highest level of a risk area the person was in (a travel stop on a
/// day the area counts, or the place they came from on the day before arrival) within the
/// 14 days before screening; contact with a risk area raises it to at least medium.
pub fn risk_of(e: &Exposure<'_>, rules: &[RiskRule]) -> RiskLevel {
    let window = |d: NaiveDate| {
        e.screened_on
            .is_none_or(|s| d <= s && d > s - Duration::days(TRAVEL_DAYS + 1))
    };
    let mut level = if e.risk_contact {
        RiskLevel::Medium
    } else {
        RiskLevel::Low
    };
    let stops = e
        .travel
        .iter()
        .map(|t| (t.code.as_str(), t.date))
        .chain(e.came_from.map(|(c, d)| (c, d.pred_opt().unwrap_or(d))));
    for (code, date) in stops {
        if !window(date) && !window(date.succ_opt().unwrap_or(date)) {
            continue;
        }
        for r in rules.iter().filter(|r| r.matches(code, date)) {
            level = level.max(r.level);
        }
    }
    level
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn travel_in_a_risk_area_within_the_window_is_its_level() {
        let rules = [RiskRule {
            region_code: "42".into(),
            from_on: d("2020-01-23"),
            until_on: None,
            level: RiskLevel::High,
        }];
        let travel = [TravelStop {
            code: "420100".into(),
            date: d("2020-02-01"),
        }];
        let mut e = Exposure {
            travel: &travel,
            screened_on: Some(d("2020-02-05")),
            ..Default::default()
        };
        assert_eq!(risk_of(&e, &rules), RiskLevel::High);
        e.screened_on = Some(d("2020-03-01"));
        assert_eq!(risk_of(&e, &rules), RiskLevel::Low, "outside 14 days");
        e.risk_contact = true;
        assert_eq!(risk_of(&e, &rules), RiskLevel::Medium);
        let e = Exposure {
            came_from: Some(("421000", d("2020-01-22"))),
            screened_on: Some(d("2020-01-25")),
            ..Default::default()
        };
        assert_eq!(
            risk_of(&e, &rules),
            RiskLevel::Low,
            "before the area counted"
        );
        assert_eq!(RiskLevel::Low.max(RiskLevel::High), RiskLevel::High);
        assert_eq!(GridDuty::ALL.len(), 5);
    }
}
