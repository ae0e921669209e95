//! Deterministic pieces the parts of the demo share: days of 2020, instants in China
//! Standard Time, a small random generator and resident identity numbers.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use dualtrack_domain::resident_id::check_char;
use dualtrack_domain::time::cst;

/// A day of 2020.
pub(super) fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2020, m, d).unwrap_or_default()
}

/// An instant on a day at an hour and minute, China Standard Time.
pub(super) fn at(d: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    let local = d.and_hms_opt(h, m, 0).unwrap_or_default();
    cst()
        .from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// A small deterministic generator.
pub(super) struct Lcg(pub(super) u64);

impl Lcg {
    pub(super) fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }

    /// One of the items (the list must not be empty).
    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next(items.len() as u64) as usize]
    }

    /// A name: a surname, then a given name, each picked from its list.
    pub(super) fn name(&mut self, surnames: &[&str], given: &[&str]) -> String {
        let surname = self.pick(surnames);
        let given = self.pick(given);
        format!("{surname}{given}")
    }
}

/// A valid resident identity number of the area `area` (six digits), born on `birth`, with
/// the serial `serial % 1000`.
pub(super) fn resident_id(area: &str, birth: NaiveDate, serial: u64) -> String {
    let first17 = format!("{area}{}{:03}", birth.format("%Y%m%d"), serial % 1000);
    format!("{first17}{}", check_char(first17.as_bytes()).unwrap_or('0'))
}
