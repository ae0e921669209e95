//! 复工备案: an enterprise files to resume with its prevention plan and the five checks
//! (五个到位); the county approves it or returns it, and a returned filing is filed again as
//! a new round, the earlier one kept.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a filing stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FilingStatus {
    Submitted,
    Approved,
    Returned,
}

impl FilingStatus {
    pub const ALL: [FilingStatus; 3] = [
        FilingStatus::Submitted,
        FilingStatus::Approved,
        FilingStatus::Returned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FilingStatus::Submitted => "submitted",
            FilingStatus::Approved => "approved",
            FilingStatus::Returned => "returned",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            FilingStatus::Submitted => "待审核",
            FilingStatus::Approved => "已同意",
            FilingStatus::Returned => "已退回",
        }
    }

    /// Accepts the identifier or the Chinese name.
    pub fn parse(s: &str) -> Option<FilingStatus> {
        let s = s.trim();
        FilingStatus::ALL
            .into_iter()
            .find(|v| v.as_str() == s || v.zh() == s)
    }
}

/// The five checks (五个到位) an enterprise must have in place to resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FilingCheck {
    /// 防控机制到位
    Mechanism,
    /// 员工排查到位
    Screening,
    /// 设施物资到位
    Supplies,
    /// 内部管理到位
    Management,
    /// 宣传教育到位
    Publicity,
}

impl FilingCheck {
    pub const ALL: [FilingCheck; 5] = [
        FilingCheck::Mechanism,
        FilingCheck::Screening,
        FilingCheck::Supplies,
        FilingCheck::Management,
        FilingCheck::Publicity,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FilingCheck::Mechanism => "mechanism",
            FilingCheck::Screening => "screening",
            FilingCheck::Supplies => "supplies",
            FilingCheck::Management => "management",
            FilingCheck::Publicity => "publicity",
        }
    }

    /// The input field that ticks this check.
    pub fn field(self) -> &'static str {
        match self {
            FilingCheck::Mechanism => "check_mechanism",
            FilingCheck::Screening => "check_screening",
            FilingCheck::Supplies => "check_supplies",
            FilingCheck::Management => "check_management",
            FilingCheck::Publicity => "check_publicity",
        }
    }

    /// The input field of the check's note.
    pub fn note_field(self) -> &'static str {
        match self {
            FilingCheck::Mechanism => "check_mechanism_note",
            FilingCheck::Screening => "check_screening_note",
            FilingCheck::Supplies => "check_supplies_note",
            FilingCheck::Management => "check_management_note",
            FilingCheck::Publicity => "check_publicity_note",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            FilingCheck::Mechanism => "防控机制到位",
            FilingCheck::Screening => "员工排查到位",
            FilingCheck::Supplies => "设施物资到位",
            FilingCheck::Management => "内部管理到位",
            FilingCheck::Publicity => "宣传教育到位",
        }
    }

    /// What is asked of the enterprise, for the form.
    pub fn hint(self) -> &'static str {
        match self {
            FilingCheck::Mechanism => "成立防控工作组，明确责任人，制定应急处置预案",
            FilingCheck::Screening => "逐人排查员工来源地、健康状况与接触史，建立台账",
            FilingCheck::Supplies => "口罩、消毒液、测温设备等物资储备充足，设置隔离观察室",
            FilingCheck::Management => "分散就餐、错峰上下班、每日消毒通风、进出测温登记",
            FilingCheck::Publicity => "张贴防控知识，开展员工防护培训",
        }
    }
}

/// When the day-`day` report (as of midnight ending that day, China Standard Time) is due:
/// the next day at `due_hour` o'clock, China Standard Time, as an instant.
pub fn report_deadline(day: NaiveDate, due_hour: u32) -> DateTime<Utc> {
    let next = day.succ_opt().unwrap_or(day);
    let local = next.and_time(NaiveTime::MIN) + Duration::hours(i64::from(due_hour.min(23)));
    (local - Duration::hours(8)).and_utc()
}

/// How a day's report stands against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Punctuality {
    /// The first version was filed by the deadline.
    OnTime,
    /// The first version was filed after the deadline.
    Late,
    /// No report for the day.
    Missing,
}

impl Punctuality {
    pub fn of(first_filed: Option<DateTime<Utc>>, deadline: DateTime<Utc>) -> Punctuality {
        match first_filed {
            None => Punctuality::Missing,
            Some(at) if at > deadline => Punctuality::Late,
            Some(_) => Punctuality::OnTime,
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Punctuality::OnTime => "按时",
            Punctuality::Late => "迟报",
            Punctuality::Missing => "未报",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2020, m, day).expect("valid")
    }

    #[test]
    fn the_deadline_is_next_day_noon_china_time() {
        let due = report_deadline(d(2, 27), 12);
        assert_eq!(
            due,
            Utc.with_ymd_and_hms(2020, 2, 28, 4, 0, 0)
                .single()
                .expect("valid")
        );
        assert_eq!(crate::time::display(due), "2020-02-28 12:00");
        // Midnight: due as the day ends.
        assert_eq!(
            crate::time::display(report_deadline(d(2, 29), 0)),
            "2020-03-01 00:00"
        );
    }

    #[test]
    fn punctuality_compares_the_first_filing_with_the_deadline() {
        let due = report_deadline(d(2, 27), 12);
        assert_eq!(Punctuality::of(None, due), Punctuality::Missing);
        assert_eq!(Punctuality::of(Some(due), due), Punctuality::OnTime);
        assert_eq!(
            Punctuality::of(Some(due + Duration::seconds(1)), due),
            Punctuality::Late
        );
    }

    #[test]
    fn names_parse_back() {
        for s in FilingStatus::ALL {
            assert_eq!(FilingStatus::parse(s.as_str()), Some(s));
            assert_eq!(FilingStatus::parse(s.zh()), Some(s));
        }
        let fields: std::collections::HashSet<_> =
            FilingCheck::ALL.iter().map(|c| c.field()).collect();
        assert_eq!(fields.len(), 5);
    }
}
