//! The clock the use cases read "now" from. It is the system clock unless a time has been
//! set, which tests do to put the application at a chosen moment (and move it on); every
//! clone of an [`crate::App`] shares the one clock, so setting it on the test's handle moves
//! the router's too.

use chrono::{DateTime, Utc};
use std::sync::{Arc, RwLock};

#[derive(Clone, Debug, Default)]
pub struct Clock(Arc<RwLock<Option<DateTime<Utc>>>>);

impl Clock {
    /// The time now: the set time, or the system's.
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
