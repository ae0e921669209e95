//! Pure types and rules of Dualtrack: no web, no database, no runtime.
//!
//! Each module is named after the part of the field it models; the same name is used in
//! the store, service and web layers.

#[macro_use]
mod named;

pub mod audit;
pub mod checkpoints;
pub mod divisions;
pub mod filings;
pub mod jurisdiction;
pub mod mobilisation;
pub mod monitoring;
pub mod password;
pub mod places;
pub mod prevention;
pub mod projects;
pub mod resident_id;
pub mod resumption;
pub mod role;
pub mod supplies;
pub mod time;
pub mod whistle;
pub mod workgroups;
