//! The clock the use cases read "now" from. It is the system clock unless a time has been
//! set, which tests do to put the application at a chosen moment (and move it on), and the
//! drill clock does for a drill; every clone of an [`crate::App`] shares the one clock, so
//! setting it on the test's handle moves the router's too.
//!
//! This is the one place that reads the system's time (`clippy.toml` forbids it elsewhere).

use crate::App;
use chrono::{DateTime, NaiveDate, Timelike, Utc};
use dualtrack_domain::time::reporting_day;
use std::sync::{Arc, RwLock};

#[derive(Clone, Debug, Default)]
pub struct Clock(Arc<RwLock<Option<DateTime<Utc>>>>);

impl Clock {
    /// The time now: the set time, or the system's.
    #[allow(clippy::disallowed_methods)]
    pub fn now(&self) -> DateTime<Utc> {
        match self.0.read() {
            Ok(g) => g.unwrap_or_else(Utc::now),
            Err(_) => Utc::now(),
        }
    }

    /// Stops the clock at `at` (or, with `None`, lets it follow the system clock again).
    pub fn set(&self, at: Option<DateTime<Utc>>) {
        if let Ok(mut g) = self.0.write() {
            *g = at;
        }
    }
}

/// The system's time, whatever the application's clock is set to: for what records or
/// coordinates real time even in a drill — the time of an audit row, sessions, logins and
/// lock-outs and accounts' passwords, the lease of the scheduler, the claim on a webhook
/// delivery and its signed timestamp.
#[allow(clippy::disallowed_methods)]
pub fn wall() -> DateTime<Utc> {
    Utc::now()
}

/// A time without its fraction of a second.
pub(crate) fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    t.with_nanosecond(0).unwrap_or(t)
}

impl App {
    /// The time now, from the application's clock, to the second.
    pub fn now(&self) -> DateTime<Utc> {
        whole_seconds(self.clock.now())
    }

    /// The reporting day now (China Standard Time), from the application's clock.
    pub fn today(&self) -> NaiveDate {
        reporting_day(self.clock.now())
    }
}
