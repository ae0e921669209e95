//! Throttling of logins, so that guessing is slow and nobody can lock another out.
//!
//! Failures are counted three ways, in memory (each instance counts its own):
//!
//! - by (user name, address): from the `threshold`th failure on, that address is refused
//!   for that name for a while (1 minute, then twice as long at each further failure, up to
//!   the longest refusal), without the password being checked;
//! - by user name, from anywhere: from the `threshold`th failure on, each attempt waits a
//!   little longer before its password is checked (never a lockout), except from an
//!   address the account has logged in from;
//! - by address, against any names: from `threshold × 10` failures on, the address is
//!   refused for a while, except for names that have logged in from it.
//!
//! A user name that does not exist is counted like one that does, so the answers tell
//! nothing about which names exist. Counts are forgotten once the longest refusal has passed
//! since the last failure.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries kept of each kind before old ones are dropped.
const MAX_KEYS: usize = 100_000;
/// Failures from one address, against any names, before the address is refused.
const ADDRESS_FACTOR: u32 = 10;
/// The first refusal; each further failure doubles it.
const FIRST_REFUSAL: Duration = Duration::from_secs(60);
/// The longest wait added before an attempt on a much-tried account.
const MAX_DELAY: Duration = Duration::from_secs(5);

/// The settings the throttle runs with.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Failures before refusals (by name and address) and delays (by name) start.
    pub threshold: u32,
    /// The longest refusal, and how long counts are kept.
    pub longest: Duration,
    /// The wait added per failure beyond the threshold, by name.
    pub delay_step: Duration,
}

/// What to do with an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Refuse without checking the password.
    Refuse,
    /// Check the password after waiting this long.
    Check(Duration),
}

#[derive(Debug, Default, Clone, Copy)]
struct Count {
    failures: u32,
    last: Option<Instant>,
    refused_until: Option<Instant>,
}

impl Count {
    /// The count as of `now`: forgotten once `window` has passed since the last failure.
    fn fresh(&mut self, now: Instant, window: Duration) {
        if self.last.is_some_and(|l| now.duration_since(l) > window) {
            *self = Count::default();
        }
    }

    fn refused(&self, now: Instant) -> bool {
        self.refused_until.is_some_and(|u| u > now)
    }

    /// One more failure; refusals start at `from` failures and double with each further.
    fn fail(&mut self, now: Instant, from: u32, longest: Duration) {
        self.failures = self.failures.saturating_add(1);
        self.last = Some(now);
        if self.failures >= from {
            let doublings = (self.failures - from).min(16);
            let wait = FIRST_REFUSAL
                .saturating_mul(1u32 << doublings)
                .min(longest.max(FIRST_REFUSAL));
            self.refused_until = Some(now + wait);
        }
    }
}

#[derive(Default)]
struct State {
    pair: HashMap<(String, String), Count>,
    account: HashMap<String, Count>,
    address: HashMap<String, Count>,
    /// (name, address) pairs that have logged in.
    known: HashSet<(String, String)>,
}

/// Drops what is older than `window`, and everything if that is not enough.
fn prune<K: std::hash::Hash + Eq>(m: &mut HashMap<K, Count>, now: Instant, window: Duration) {
    if m.len() < MAX_KEYS {
        return;
    }
    m.retain(|_, c| c.last.is_some_and(|l| now.duration_since(l) <= window) || c.refused(now));
    if m.len() >= MAX_KEYS {
        m.clear();
    }
}

#[derive(Default)]
pub struct LoginThrottle {
    state: Mutex<State>,
}

impl std::fmt::Debug for LoginThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginThrottle")
    }
}

impl LoginThrottle {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut guard = match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    /// Whether an attempt for `name` from `addr` is refused, or checked after a wait.
    pub fn before(&self, name: &str, addr: &str, limits: &Limits, now: Instant) -> Verdict {
        let window = limits.longest;
        self.with(|s| {
            let key = (name.to_string(), addr.to_string());
            let known = s.known.contains(&key);
            if let Some(c) = s.pair.get_mut(&key) {
                c.fresh(now, window);
                if c.refused(now) {
                    return Verdict::Refuse;
                }
            }
            if !known {
                if let Some(c) = s.address.get_mut(addr) {
                    c.fresh(now, window);
                    if c.refused(now) {
                        return Verdict::Refuse;
                    }
                }
            }
            let mut delay = Duration::ZERO;
            if let Some(c) = s.account.get_mut(name) {
                c.fresh(now, window);
                if !known && c.failures >= limits.threshold {
                    delay = limits
                        .delay_step
                        .saturating_mul(c.failures - limits.threshold + 1)
                        .min(MAX_DELAY);
                }
            }
            Verdict::Check(delay)
        })
    }

    /// Counts a failed attempt.
    pub fn failed(&self, name: &str, addr: &str, limits: &Limits, now: Instant) {
        let window = limits.longest;
        let threshold = limits.threshold.max(1);
        self.with(|s| {
            prune(&mut s.pair, now, window);
            prune(&mut s.account, now, window);
            prune(&mut s.address, now, window);
            let pair = s
                .pair
                .entry((name.to_string(), addr.to_string()))
                .or_default();
            pair.fresh(now, window);
            pair.fail(now, threshold, window);
            let account = s.account.entry(name.to_string()).or_default();
            account.fresh(now, window);
            account.failures = account.failures.saturating_add(1);
            account.last = Some(now);
            let address = s.address.entry(addr.to_string()).or_default();
            address.fresh(now, window);
            address.fail(now, threshold.saturating_mul(ADDRESS_FACTOR), window);
        })
    }

    /// A successful login: the address is known for the name from now on.
    pub fn succeeded(&self, name: &str, addr: &str) {
        self.with(|s| {
            let key = (name.to_string(), addr.to_string());
            s.pair.remove(&key);
            if s.known.len() >= MAX_KEYS {
                s.known.clear();
            }
            s.known.insert(key);
        })
    }

    /// Forgets the failures counted against a name (when an administrator unlocks it).
    pub fn forget(&self, name: &str) {
        self.with(|s| {
            s.account.remove(name);
            s.pair.retain(|(n, _), _| n != name);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            threshold: 5,
            longest: Duration::from_secs(30 * 60),
            delay_step: Duration::from_millis(500),
        }
    }

    #[test]
    fn an_attacker_is_refused_and_the_owner_is_not() {
        let t = LoginThrottle::default();
        let l = limits();
        let now = Instant::now();
        t.succeeded("secadmin", "10.0.0.1");
        for _ in 0..5 {
            assert!(matches!(
                t.before("secadmin", "6.6.6.6", &l, now),
                Verdict::Check(_)
            ));
            t.failed("secadmin", "6.6.6.6", &l, now);
        }
        assert_eq!(t.before("secadmin", "6.6.6.6", &l, now), Verdict::Refuse);
        // The owner, from where it logged in before, goes straight through.
        assert_eq!(
            t.before("secadmin", "10.0.0.1", &l, now),
            Verdict::Check(Duration::ZERO)
        );
        // From a new address: a wait, never a refusal.
        assert_eq!(
            t.before("secadmin", "10.0.0.2", &l, now),
            Verdict::Check(Duration::from_millis(500))
        );
        // Refusals grow, and end.
        t.failed("secadmin", "6.6.6.6", &l, now);
        let later = now + Duration::from_secs(90);
        assert_eq!(t.before("secadmin", "6.6.6.6", &l, later), Verdict::Refuse);
        let much_later = now + Duration::from_secs(31 * 60);
        assert_eq!(
            t.before("secadmin", "6.6.6.6", &l, much_later),
            Verdict::Check(Duration::ZERO)
        );
    }

    #[test]
    fn unknown_names_count_like_known_ones_and_sprayers_are_refused() {
        let t = LoginThrottle::default();
        let l = limits();
        let now = Instant::now();
        for i in 0..50 {
            t.failed(&format!("name{i}"), "6.6.6.6", &l, now);
        }
        assert_eq!(t.before("anyone", "6.6.6.6", &l, now), Verdict::Refuse);
        t.succeeded("clerk", "6.6.6.6");
        assert!(matches!(
            t.before("clerk", "6.6.6.6", &l, now),
            Verdict::Check(_)
        ));
    }
}
