//! The supplies pages: the overview of a place as of a day (low-stock warnings, shortfalls,
//! deliveries in transit, requests waiting for the level above with the form to allocate,
//! stores and totals), a store's page with the phone form for receipts, issues, transfers
//! and adjustments, arrivals to confirm and the request to the level above, and the
//! spring-farming progress of the townships.

mod farming;
mod overview;
mod stores;

pub use farming::{farm_plan, farm_progress, farming};
pub use overview::{allocate, new_store, page};
pub use stores::{need, receive, record, request, store};

use crate::forms::{get, get_opt};
use dualtrack_service::ServiceError;

/// A whole number typed in a form, or the field's refusal.
fn number(pairs: &[(String, String)], key: &'static str, label: &str) -> Result<i64, ServiceError> {
    let raw = get(pairs, key).trim();
    raw.parse::<i64>()
        .map_err(|_| ServiceError::invalid(key, format!("{label}应为整数，收到“{raw}”")))
}

fn opt_number(pairs: &[(String, String)], key: &'static str) -> Result<Option<i64>, ServiceError> {
    match get_opt(pairs, key) {
        None => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ServiceError::invalid(key, format!("“{v}”应为编号"))),
    }
}

fn days(v: Option<f64>) -> String {
    match v {
        Some(d) => format!("{d:.1}"),
        None => "—".into(),
    }
}
