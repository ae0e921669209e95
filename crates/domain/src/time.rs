//! Instants are kept in UTC; reporting days are China Standard Time (UTC+8).

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// China Standard Time, the offset of every reporting day.
pub fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The reporting day (in China Standard Time) that an instant falls on.
pub fn reporting_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&cst()).date_naive()
}

/// An instant shown as a cadre reads it: `2020-02-27 08:30`, China Standard Time, to the
/// minute (an office does not write seconds).
pub fn display(at: DateTime<Utc>) -> String {
    at.with_timezone(&cst())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A deadline as an office says it on the day `today`: `今天 17:00 前`, `明天 12:00 前`,
/// `昨天 12:00 前`, or `2020-02-29 12:00 前` further off; China Standard Time.
pub fn deadline_text(at: DateTime<Utc>, today: NaiveDate) -> String {
    let local = at.with_timezone(&cst());
    let hm = local.format("%H:%M");
    match (local.date_naive() - today).num_days() {
        0 => format!("今天 {hm} 前"),
        1 => format!("明天 {hm} 前"),
        -1 => format!("昨天 {hm} 前"),
        _ => format!("{} {hm} 前", local.format("%Y-%m-%d")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn evening_utc_is_next_reporting_day() {
        let at = Utc
            .with_ymd_and_hms(2020, 2, 27, 17, 0, 0)
            .single()
            .expect("valid");
        assert_eq!(
            reporting_day(at),
            NaiveDate::from_ymd_opt(2020, 2, 28).expect("valid")
        );
        assert_eq!(display(at), "2020-02-28 01:00");
    }

    #[test]
    fn a_deadline_is_said_against_the_day() {
        let at = Utc
            .with_ymd_and_hms(2020, 2, 27, 9, 0, 0)
            .single()
            .expect("valid");
        let day = |d| NaiveDate::from_ymd_opt(2020, 2, d).expect("valid");
        assert_eq!(deadline_text(at, day(27)), "今天 17:00 前");
        assert_eq!(deadline_text(at, day(26)), "明天 17:00 前");
        assert_eq!(deadline_text(at, day(28)), "昨天 17:00 前");
        assert_eq!(deadline_text(at, day(20)), "2020-02-27 17:00 前");
    }
}
