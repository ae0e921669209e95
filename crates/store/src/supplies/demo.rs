//! For loading data (the demo and the benchmarks): places to stock, plans and day rows
//! written in bulk.

use super::*;
use crate::{on_tx, Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};

/// A plan to load with its progress reports: (place, year, crop, planned mu, reports of
/// (day, prepared mu, sown mu)).
pub type PlanLoad = (String, i32, String, i64, Vec<(NaiveDate, i64, i64)>);

/// Loads plans and their progress reports at once (demo).
pub async fn load_plans(
    tx: &mut Tx,
    plans: &[PlanLoad],
    by: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    for (code, year, crop, planned, reports) in plans {
        let (id, _) = set_plan(tx, code, *year, crop, *planned, by, at).await?;
        for (on, prepared, sown) in reports {
            report_progress(tx, id, *on, *prepared, *sown, "", by, at).await?;
        }
    }
    Ok(())
}

/// Towns and townships (镇、乡) under a code, inside a transaction: (code, name).
pub async fn towns_in(tx: &mut Tx, under: &str) -> Result<Vec<(String, String)>> {
    let hi = format!("{under}:");
    Ok(on_tx!(tx, x => sqlx::query_as::<_, (String, String)>(
        "SELECT code, name FROM jurisdictions WHERE code >= $1 AND code < $2 AND LENGTH(code) = 9 \
         AND (name LIKE '%镇' OR name LIKE '%乡') ORDER BY code")
        .bind(under).bind(&hi).fetch_all(&mut *x).await?))
}

/// Every checkpoint, inside a transaction: (id, name, place).
pub async fn checkpoints_in(tx: &mut Tx) -> Result<Vec<(i64, String, String)>> {
    Ok(on_tx!(tx, x => sqlx::query_as::<_, (i64, String, String)>(
        "SELECT id, name, jurisdiction_code FROM checkpoints ORDER BY id")
        .fetch_all(&mut *x).await?))
}

/// The first grids under a code, inside a transaction: (code, name).
pub async fn grids_in(tx: &mut Tx, under: &str, limit: i64) -> Result<Vec<(String, String)>> {
    let hi = format!("{under}:");
    Ok(on_tx!(tx, x => sqlx::query_as::<_, (String, String)>(
        "SELECT code, name FROM jurisdictions WHERE code >= $1 AND code < $2 AND LENGTH(code) = 15 \
         ORDER BY code LIMIT $3")
        .bind(under).bind(&hi).bind(limit).fetch_all(&mut *x).await?))
}

/// One row of the per-day rollup, for bulk loads that compute it themselves.
#[derive(Debug, Clone)]
pub struct DayRow {
    pub store_id: i64,
    pub item_id: i64,
    pub day: NaiveDate,
    pub qty_in: i64,
    pub qty_out: i64,
    pub closing: i64,
    /// Stock taken out of the pair through the end of the day.
    pub cum_out: i64,
}

/// Writes rollup rows and the balances they end on (bulk loads: the benchmark).
pub async fn insert_days(tx: &mut Tx, rows: &[DayRow]) -> Result<()> {
    // Seven values a row, under SQLite's 32,766 bound variables a statement.
    for chunk in rows.chunks(4000) {
        on_tx!(tx, x => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO stock_days (store_id, item_id, day, qty_in, qty_out, closing, cum_out) ");
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(r.store_id).push_bind(r.item_id).push_bind(r.day).push_bind(r.qty_in)
                    .push_bind(r.qty_out).push_bind(r.closing).push_bind(r.cum_out);
            });
            qb.build().execute(&mut *x).await?;
        });
    }
    Ok(())
}

/// Sets the balance rows from the latest rollup row of each pair (after [`insert_days`]).
pub async fn balances_from_days(tx: &mut Tx) -> Result<()> {
    on_tx!(tx, x => {
        sqlx::query("DELETE FROM stock_balances").execute(&mut *x).await?;
        sqlx::query(
            "INSERT INTO stock_balances (store_id, item_id, balance) \
             SELECT d.store_id, d.item_id, d.closing FROM stock_days d \
             WHERE d.day = (SELECT MAX(x.day) FROM stock_days x WHERE x.store_id = d.store_id AND x.item_id = d.item_id)")
            .execute(&mut *x).await?;
    });
    Ok(())
}
