//! Whistle and report-back (吹哨报到): departments and their members, routing rules,
//! tickets with their called departments, timeline, escalation steps and attachments; the
//! inbox of notices, webhooks and their outbox; the scheduler's lease.
//!
//! Times are stored as given (whole seconds, UTC), as in the other modules.

mod demo;
mod departments;
mod escalation;
mod figures;
mod notices;
mod place_events;
mod sources;
mod tickets;

pub use demo::*;
pub use departments::*;
pub use escalation::*;
pub use figures::*;
pub use notices::*;
pub use place_events::*;
pub use sources::*;
pub use tickets::*;

/// The codes from the prefecture-or-province down to `code`, padded to six with `code`
/// itself, to bind as `IN ($n, …)`: "the departments that answer for this place".
pub fn lineage6(code: &str) -> [String; 6] {
    let mut out: Vec<String> = [2usize, 4, 6, 9, 12, 15]
        .into_iter()
        .filter(|n| *n <= code.len())
        .map(|n| code[..n].to_string())
        .collect();
    while out.len() < 6 {
        out.push(code.to_string());
    }
    [
        out[0].clone(),
        out[1].clone(),
        out[2].clone(),
        out[3].clone(),
        out[4].clone(),
        out[5].clone(),
    ]
}
