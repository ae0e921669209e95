//! Supplies (物资保障): the catalogue, stores, stock movements with the per-pair balance and
//! per-day rollup kept in the same transaction, needs, requests, allocations and their
//! delivery, and the spring-farming plans and progress.
//!
//! A balance is a sum of movements. `stock_balances` (the balance now, one row per store and
//! item) is what concurrent writers of a pair lock; `stock_days` (in, out and closing per
//! pair and day) gives the balance of a pair as of any day with one index seek, and
//! `stock_closings` (every pair's closing of every closed day) gives all of them as of a
//! closed day in one range read. See the migrations `0015_supplies.sql` and
//! `0017_stock_closings.sql`.

mod balances;
mod catalogue;
mod closings;
mod demo;
mod farming;
mod movements;
mod needs;
mod requests;

pub use balances::*;
pub use catalogue::*;
pub use closings::*;
pub use demo::*;
pub use farming::*;
pub use movements::*;
pub use needs::*;
pub use requests::*;
