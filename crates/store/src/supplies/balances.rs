//! Balances as of a day and use over a period.

use super::*;
use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::NaiveDate;
use dualtrack_domain::jurisdiction::Scope;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, sqlx::FromRow)]
pub struct BalanceRow {
    pub store_id: i64,
    pub item_id: i64,
    pub balance: i64,
}

/// The balance of every pair of the scope's stores as of the end of `day` (pairs with no
/// movement by then are left out). `store` narrows to one store.
///
/// A closed day is one range read of its closings. A day on or after the last day with a
/// movement is the balance now. Any other day (not closed yet) is the closing of each pair's
/// latest rollup day on or before it: one index seek per pair.
pub async fn balances_as_of(
    db: &Db,
    scope: &Scope,
    day: NaiveDate,
    store: Option<i64>,
) -> Result<Vec<BalanceRow>> {
    let (lo, hi) = scope.range();
    let (closed, last): (Option<NaiveDate>, Option<NaiveDate>) = on_db!(db, p => sqlx::query_as(
        "SELECT (SELECT day FROM stock_closed WHERE id = 1), (SELECT MAX(day) FROM stock_days)")
        .fetch_one(p).await?);
    let sql = if closed.is_some_and(|c| day <= c) {
        "SELECT c.store_id, c.item_id, c.closing AS balance FROM stock_closings c \
         JOIN supply_stores s ON s.id = c.store_id \
         WHERE c.day = $3 AND s.jurisdiction_code >= $1 AND s.jurisdiction_code < $2 \
           AND ($4 < 0 OR c.store_id = $4) \
         ORDER BY c.store_id, c.item_id"
    } else if last.is_none_or(|l| day >= l) {
        // A pair whose row was only locked (never moved) is left out, as on any other day.
        "SELECT b.store_id, b.item_id, b.balance FROM stock_balances b \
         JOIN supply_stores s ON s.id = b.store_id \
         WHERE s.jurisdiction_code >= $1 AND s.jurisdiction_code < $2 AND ($4 < 0 OR b.store_id = $4) \
           AND (b.balance > 0 OR EXISTS (SELECT 1 FROM stock_days d \
             WHERE d.store_id = b.store_id AND d.item_id = b.item_id AND d.day <= $3)) \
         ORDER BY b.store_id, b.item_id"
    } else {
        "SELECT store_id, item_id, balance FROM ( \
         SELECT b.store_id, b.item_id, (SELECT d.closing FROM stock_days d WHERE d.store_id = b.store_id \
           AND d.item_id = b.item_id AND d.day <= $3 ORDER BY d.day DESC LIMIT 1) AS balance \
         FROM stock_balances b JOIN supply_stores s ON s.id = b.store_id \
         WHERE s.jurisdiction_code >= $1 AND s.jurisdiction_code < $2 AND ($4 < 0 OR b.store_id = $4) \
       ) t WHERE balance IS NOT NULL ORDER BY store_id, item_id"
    };
    Ok(
        on_db!(db, p => sqlx::query_as::<_, BalanceRow>(sql).bind(&lo).bind(&hi).bind(day)
            .bind(store.unwrap_or(-1)).fetch_all(p).await?),
    )
}

/// The same figures summed from the movements themselves (the check on the rollup, and the
/// baseline of the benchmark).
pub async fn balances_from_movements(
    db: &Db,
    scope: &Scope,
    day: NaiveDate,
) -> Result<Vec<BalanceRow>> {
    let (lo, hi) = scope.range();
    let sql = "SELECT m.store_id, m.item_id, CAST(SUM(m.q) AS BIGINT) AS balance FROM ( \
           SELECT to_store_id AS store_id, item_id, quantity AS q FROM stock_movements \
           WHERE to_store_id IS NOT NULL AND moved_on <= $3 \
           UNION ALL \
           SELECT from_store_id AS store_id, item_id, -quantity AS q FROM stock_movements \
           WHERE from_store_id IS NOT NULL AND moved_on <= $3 \
         ) m JOIN supply_stores s ON s.id = m.store_id \
         WHERE s.jurisdiction_code >= $1 AND s.jurisdiction_code < $2 \
         GROUP BY m.store_id, m.item_id ORDER BY m.store_id, m.item_id";
    Ok(
        on_db!(db, p => sqlx::query_as::<_, BalanceRow>(sql).bind(&lo).bind(&hi).bind(day)
        .fetch_all(p).await?),
    )
}

/// Stock taken out of each pair of the scope's stores over the days after `from` up to and
/// including `to` (issues, transfers and dispatches: the store's use): the pair's cumulated
/// use at the end of `to` less that at the end of `from`. When both days are closed, that is
/// two range reads of their closings; otherwise two index seeks per pair into the rollup.
/// Pairs with no use are left out.
pub async fn use_between(
    db: &Db,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<BalanceRow>> {
    let (lo, hi) = scope.range();
    let closed = closed_day(db).await?;
    if closed.is_some_and(|c| to <= c && from <= c) {
        // Two range reads, in (store, item) order, subtracted pair by pair.
        let sql = "SELECT c.store_id, c.item_id, c.cum_out AS balance FROM stock_closings c \
             JOIN supply_stores s ON s.id = c.store_id \
             WHERE c.day = $3 AND s.jurisdiction_code >= $1 AND s.jurisdiction_code < $2 \
             ORDER BY c.store_id, c.item_id";
        let read = |day: NaiveDate| {
            let (lo, hi) = (lo.clone(), hi.clone());
            async move {
                Ok::<_, crate::StoreError>(on_db!(db, p => sqlx::query_as::<_, BalanceRow>(sql)
                    .bind(&lo).bind(&hi).bind(day).fetch_all(p).await?))
            }
        };
        let (then, now) = (read(from).await?, read(to).await?);
        let mut earlier = then.into_iter().peekable();
        let mut out = Vec::new();
        for r in now {
            let key = (r.store_id, r.item_id);
            while earlier
                .peek()
                .is_some_and(|e| (e.store_id, e.item_id) < key)
            {
                earlier.next();
            }
            let before = match earlier.peek() {
                Some(e) if (e.store_id, e.item_id) == key => e.balance,
                _ => 0,
            };
            if r.balance > before {
                out.push(BalanceRow {
                    balance: r.balance - before,
                    ..r
                });
            }
        }
        return Ok(out);
    }
    let sql = "SELECT store_id, item_id, balance FROM ( \
           SELECT b.store_id, b.item_id, \
             COALESCE((SELECT d.cum_out FROM stock_days d WHERE d.store_id = b.store_id \
               AND d.item_id = b.item_id AND d.day <= $4 ORDER BY d.day DESC LIMIT 1), 0) \
             - COALESCE((SELECT d.cum_out FROM stock_days d WHERE d.store_id = b.store_id \
               AND d.item_id = b.item_id AND d.day <= $3 ORDER BY d.day DESC LIMIT 1), 0) AS balance \
           FROM stock_balances b JOIN supply_stores s ON s.id = b.store_id \
           WHERE s.jurisdiction_code >= $1 AND s.jurisdiction_code < $2 \
         ) t WHERE balance > 0 ORDER BY store_id, item_id";
    Ok(
        on_db!(db, p => sqlx::query_as::<_, BalanceRow>(sql).bind(&lo).bind(&hi).bind(from).bind(to)
        .fetch_all(p).await?),
    )
}

/// The same use summed from the movements themselves (the check on the cumulated use).
pub async fn use_from_movements(
    db: &Db,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<BalanceRow>> {
    let (lo, hi) = scope.range();
    let sql = "SELECT m.from_store_id AS store_id, m.item_id, CAST(SUM(m.quantity) AS BIGINT) AS balance \
         FROM stock_movements m JOIN supply_stores s ON s.id = m.from_store_id \
         WHERE m.from_store_id IS NOT NULL AND m.moved_on > $3 AND m.moved_on <= $4 \
           AND s.jurisdiction_code >= $1 AND s.jurisdiction_code < $2 \
         GROUP BY m.from_store_id, m.item_id HAVING SUM(m.quantity) > 0 \
         ORDER BY m.from_store_id, m.item_id";
    Ok(
        on_db!(db, p => sqlx::query_as::<_, BalanceRow>(sql).bind(&lo).bind(&hi).bind(from).bind(to)
        .fetch_all(p).await?),
    )
}

/// The balance of a pair as of the end of a day, inside a transaction (after its writes).
pub async fn balance_in(tx: &mut Tx, store_id: i64, item_id: i64, day: NaiveDate) -> Result<i64> {
    let v: Option<i64> = on_tx!(tx, x => sqlx::query_scalar(
        "SELECT closing FROM stock_days WHERE store_id = $1 AND item_id = $2 AND day <= $3 ORDER BY day DESC LIMIT 1")
        .bind(store_id).bind(item_id).bind(day).fetch_optional(&mut *x).await?);
    Ok(v.unwrap_or(0))
}
