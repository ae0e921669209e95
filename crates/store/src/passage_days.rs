//! Checkpoint counts by day from the per-checkpoint, per-day rollup that the passages keep
//! (triggers on `passages`, migration 0018): what the command view reads for a wide area or a
//! run of days without reading the passages themselves.

use crate::{on_db, Db, Result};
use chrono::NaiveDate;
use dualtrack_domain::jurisdiction::Scope;

/// The counts of the checkpoints of a scope on one day.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DayTotals {
    pub day: NaiveDate,
    pub passages: i64,
    pub persons: i64,
    pub fevers: i64,
    pub turned_back: i64,
}

/// The counts of the checkpoints in the scope for each day from `from` to `to` that has
/// passages, in day order.
pub async fn by_day(
    db: &Db,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DayTotals>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_as::<_, DayTotals>(
        "SELECT day, CAST(SUM(passages) AS BIGINT) AS passages, CAST(SUM(persons) AS BIGINT) AS persons, \
         CAST(SUM(fevers) AS BIGINT) AS fevers, CAST(SUM(turned_back) AS BIGINT) AS turned_back \
         FROM passage_days WHERE day >= $1 AND day <= $2 AND jurisdiction_code >= $3 AND jurisdiction_code < $4 \
         GROUP BY day HAVING SUM(passages) > 0 ORDER BY day")
        .bind(from).bind(to).bind(&lo).bind(&hi).fetch_all(p).await?))
}
