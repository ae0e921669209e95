//! The clock the use cases read "now" from. It is the system clock unless a time has been
//! set, which tests do to put the application at a chosen moment (and move it on), and the
//! drill clock does for a drill; every clone of an [`crate::App`] shares the one clock, so
//! setting it on the test's handle moves the router's too.
//!
//! This is the one place that reads the system's time (`clippy.toml` forbids it elsewhere).

use crate::App;
use chrono::{DateTime, NaiveDate, TimeDelta, Timelike, Utc};
use dualtrack_domain::time::reporting_day;
use std::sync::{Arc, RwLock};

#[derive(Clone, Debug, Default)]
pub struct Clock(Arc<RwLock<Setting>>);

/// What the clock reads "now" from.
#[derive(Clone, Copy, Debug, Default)]
enum Setting {
    /// The system's clock.
    #[default]
    System,
    /// A time that stands still until it is set again (tests, drills).
    At(DateTime<Utc>),
    /// A time that stands still, as `At`, and that records written are stamped with too: a
    /// demo day's work, played at its moments.
    Played(DateTime<Utc>),
    /// The system's clock moved by a fixed span: time runs on from a chosen moment. The
    /// demo's clock, so that a demo server lives on the day of its story.
    Shifted(TimeDelta),
}

impl Clock {
    /// The time now: the set time, or the system's.
    #[allow(clippy::disallowed_methods)]
    pub fn now(&self) -> DateTime<Utc> {
        let setting = self.0.read().map(|g| *g).unwrap_or_default();
        match setting {
            Setting::System => Utc::now(),
            Setting::At(t) | Setting::Played(t) => t,
            Setting::Shifted(by) => Utc::now() + by,
        }
    }

    /// The time a record written now is stamped with (an audit row): on a demo server, or
    /// for a demo day's work played at its moments, the demo's time, so that the events of
    /// its story read on its day; otherwise the system's time, even with the clock stopped
    /// (tests, drills: what was done, was done now).
    #[allow(clippy::disallowed_methods)]
    pub fn record_time(&self) -> DateTime<Utc> {
        match self.0.read().map(|g| *g).unwrap_or_default() {
            Setting::System | Setting::At(_) => Utc::now(),
            Setting::Played(t) => t,
            Setting::Shifted(by) => Utc::now() + by,
        }
    }

    /// Stops the clock at `at`, with the records written stamped `at` too (see
    /// [`Clock::record_time`]).
    pub fn play_at(&self, at: DateTime<Utc>) {
        self.put(Setting::Played(at));
    }

    /// Stops the clock at `at` (or, with `None`, lets it follow the system clock again).
    pub fn set(&self, at: Option<DateTime<Utc>>) {
        self.put(at.map_or(Setting::System, Setting::At));
    }

    /// Puts the clock at `at` and lets it run on from there, a second a second.
    #[allow(clippy::disallowed_methods)]
    pub fn run_from(&self, at: DateTime<Utc>) {
        self.put(Setting::Shifted(at - Utc::now()));
    }

    /// Whether the clock runs on from a chosen moment (a demo server's clock), rather than
    /// following the system's or standing still.
    pub fn runs_from_a_chosen_moment(&self) -> bool {
        matches!(
            self.0.read().map(|g| *g).unwrap_or_default(),
            Setting::Shifted(_)
        )
    }

    fn put(&self, setting: Setting) {
        if let Ok(mut g) = self.0.write() {
            *g = setting;
        }
    }
}

/// The system's time, whatever the application's clock is set to: for what coordinates real
/// time even in a drill or on a demo server — sessions, logins and
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_run_from_a_moment_goes_on_from_it() {
        let clock = Clock::default();
        assert!(!clock.runs_from_a_chosen_moment());
        let at = DateTime::parse_from_rfc3339("2020-02-27T20:00:00+08:00")
            .expect("time")
            .with_timezone(&Utc);
        clock.run_from(at);
        assert!(clock.runs_from_a_chosen_moment());
        let first = clock.now();
        assert!(first >= at && first - at < TimeDelta::seconds(60));
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(clock.now() > first, "the clock runs on");
        assert!(
            clock.record_time() - at < TimeDelta::seconds(60),
            "stamped on its day"
        );
        clock.set(Some(at));
        assert_eq!(clock.now(), at);
        assert!(!clock.runs_from_a_chosen_moment());
        assert!(
            clock.record_time() - at > TimeDelta::days(365),
            "a stopped clock stamps real time"
        );
        clock.play_at(at);
        assert_eq!((clock.now(), clock.record_time()), (at, at));
    }
}
