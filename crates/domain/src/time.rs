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

/// An instant shown as a cadre reads it: `2020-02-27 08:30`, China Standard Time.
pub fn display(at: DateTime<Utc>) -> String {
    at.with_timezone(&cst())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
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
        assert_eq!(display(at), "2020-02-28 01:00:00");
    }
}
