//! Mobilisation records: people, organisations, deployments, returns to post,
//! applications to serve at the front, community registrations, front-line records.

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use dualtrack_domain::jurisdiction::Scope;
use sqlx::QueryBuilder;

mod applications;
mod cadres;
mod deployments;
mod import;
mod orgs;
mod people;
mod service_log;

pub use applications::*;
pub use cadres::*;
pub use deployments::*;
pub use import::*;
pub use orgs::*;
pub use people::*;
pub use service_log::*;
