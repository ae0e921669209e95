//! Closings of days of stock (日结): the balance of each (store, item) pair at the end of a
//! closed day, reopened when a movement lands on or before it.

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::NaiveDate;

/// The last day with closings (日结), if any: wholly closed, or being closed a range of pairs
/// at a time. A movement dated on or before it keeps the pair's closings up to date.
pub async fn closed_through(tx: &mut Tx) -> Result<Option<NaiveDate>> {
    Ok(
        on_tx!(tx, x => sqlx::query_scalar::<_, Option<NaiveDate>>("SELECT MAX(day) FROM stock_closings")
        .fetch_one(&mut *x).await?),
    )
}

/// Adds `delta` to a pair's closing of every closed day from `from` through `through` (and
/// stock taken out to its cumulated use). A day without a row for the pair is one before its
/// first movement, when its balance and use were zero.
pub(super) async fn add_to_closings(
    tx: &mut Tx,
    store_id: i64,
    item_id: i64,
    from: NaiveDate,
    through: NaiveDate,
    delta: i64,
) -> Result<()> {
    let days: Vec<NaiveDate> = from.iter_days().take_while(|d| *d <= through).collect();
    for chunk in days.chunks(1000) {
        on_tx!(tx, x => {
            if delta > 0 {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO stock_closings (day, store_id, item_id, closing) ");
                qb.push_values(chunk, |mut b, d| {
                    b.push_bind(*d).push_bind(store_id).push_bind(item_id).push_bind(delta);
                });
                qb.push(" ON CONFLICT (day, store_id, item_id) DO UPDATE SET closing = stock_closings.closing + excluded.closing");
                qb.build().execute(&mut *x).await?;
            } else {
                // Stock taken out was there on each of these days: the rows exist.
                let mut qb = sqlx::QueryBuilder::new("UPDATE stock_closings SET closing = closing + ");
                qb.push_bind(delta).push(", cum_out = cum_out - ").push_bind(delta)
                    .push(" WHERE store_id = ").push_bind(store_id)
                    .push(" AND item_id = ").push_bind(item_id).push(" AND day IN (");
                let mut sep = qb.separated(", ");
                for d in chunk {
                    sep.push_bind(*d);
                }
                qb.push(")");
                qb.build().execute(&mut *x).await?;
            }
        });
    }
    Ok(())
}

/// The last day wholly closed (日结): readers take that day's closings and earlier ones as
/// complete. (The day being closed meanwhile already has some of its closings, which
/// movements keep up to date, see [`closed_through`].)
pub async fn closed_day(db: &Db) -> Result<Option<NaiveDate>> {
    Ok(
        on_db!(db, p => sqlx::query_scalar::<_, NaiveDate>("SELECT day FROM stock_closed WHERE id = 1")
        .fetch_optional(p).await?),
    )
}

/// The days to close after the last closed one through `through`, no further than the last
/// day with a movement: `(first, last)`, or `None` when there is none.
pub async fn days_to_close(db: &Db, through: NaiveDate) -> Result<Option<(NaiveDate, NaiveDate)>> {
    let closed = closed_day(db).await?;
    let (first, last): (Option<NaiveDate>, Option<NaiveDate>) = on_db!(db, p => sqlx::query_as(
        "SELECT (SELECT MIN(day) FROM stock_days), (SELECT MAX(day) FROM stock_days)")
        .fetch_one(p).await?);
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(None);
    };
    let start = match closed {
        Some(c) => c.succ_opt().unwrap_or(c),
        None => first,
    };
    let end = through.min(last);
    Ok((start <= end).then_some((start, end)))
}

/// A pair of stock, `(store, item)`: the key closings are written in the order of.
pub type Pair = (i64, i64);

/// The `n`th pair after `after`, in key order (the end of a batch of closings); `None` when
/// fewer are left (the batch runs to the last pair). A read, outside any write transaction.
pub async fn pairs_after(db: &Db, after: Pair, n: i64) -> Result<Option<Pair>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, (i64, i64)>(
        "SELECT store_id, item_id FROM stock_balances \
         WHERE store_id > $1 OR (store_id = $1 AND item_id > $2) \
         ORDER BY store_id, item_id LIMIT 1 OFFSET $3")
        .bind(after.0).bind(after.1).bind(n.saturating_sub(1).max(0)).fetch_optional(p).await?))
}

/// Writes the closings of `day` for the pairs after `after` up to and including `upto`, from
/// the rollup (each pair's latest day on or before it). A closing already there (written by
/// a movement dated on that day while the day was being closed) is overwritten by the
/// rollup's, which counts that movement too. On PostgreSQL the balance rows are locked in
/// share mode first, so that movements in flight finish before and later ones wait and then
/// see the day's closings. Returns the rows written.
pub async fn close_pairs(tx: &mut Tx, day: NaiveDate, after: Pair, upto: Pair) -> Result<u64> {
    if let Tx::Postgres(t) = tx {
        sqlx::query("LOCK TABLE stock_balances IN SHARE MODE")
            .execute(&mut **t)
            .await?;
    }
    Ok(on_tx!(tx, x => sqlx::query(
        "INSERT INTO stock_closings (day, store_id, item_id, closing, cum_out) \
         SELECT $1, store_id, item_id, closing, cum_out FROM ( \
           SELECT b.store_id, b.item_id, \
             (SELECT d.closing FROM stock_days d WHERE d.store_id = b.store_id \
               AND d.item_id = b.item_id AND d.day <= $1 ORDER BY d.day DESC LIMIT 1) AS closing, \
             (SELECT d.cum_out FROM stock_days d WHERE d.store_id = b.store_id \
               AND d.item_id = b.item_id AND d.day <= $1 ORDER BY d.day DESC LIMIT 1) AS cum_out \
           FROM stock_balances b \
           WHERE (b.store_id > $2 OR (b.store_id = $2 AND b.item_id > $3)) \
             AND (b.store_id < $4 OR (b.store_id = $4 AND b.item_id <= $5)) \
         ) t WHERE closing IS NOT NULL \
         ON CONFLICT (day, store_id, item_id) DO UPDATE SET closing = excluded.closing, cum_out = excluded.cum_out")
        .bind(day).bind(after.0).bind(after.1).bind(upto.0).bind(upto.1)
        .execute(&mut *x).await?.rows_affected()))
}

/// Records `day` as wholly closed (in the transaction of its last batch).
pub async fn mark_closed(tx: &mut Tx, day: NaiveDate) -> Result<()> {
    on_tx!(tx, x => sqlx::query(
        "INSERT INTO stock_closed (id, day) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET day = excluded.day")
        .bind(day).execute(&mut *x).await.map(|_| ())?);
    Ok(())
}

/// The pair before every pair.
pub const FIRST_PAIR: Pair = (i64::MIN, i64::MIN);

/// The pair after every pair.
pub const LAST_PAIR: Pair = (i64::MAX, i64::MAX);

/// Closes the days after the last closed one through `through` (日结), no further than the
/// last day with a movement, all in the caller's transaction (after a bulk load; the
/// server closes in batches of pairs, see `App::close_stock_days`). Returns the number of
/// days closed.
pub async fn close_days(tx: &mut Tx, through: NaiveDate) -> Result<u64> {
    let closed: Option<NaiveDate> = on_tx!(tx, x => sqlx::query_scalar(
        "SELECT day FROM stock_closed WHERE id = 1").fetch_optional(&mut *x).await?);
    let (first, last): (Option<NaiveDate>, Option<NaiveDate>) = on_tx!(tx, x => sqlx::query_as(
        "SELECT (SELECT MIN(day) FROM stock_days), (SELECT MAX(day) FROM stock_days)")
        .fetch_one(&mut *x).await?);
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(0);
    };
    let start = match closed {
        Some(c) => c.succ_opt().unwrap_or(c),
        None => first,
    };
    let end = through.min(last);
    let mut n = 0;
    for day in start.iter_days().take_while(|d| *d <= end) {
        close_pairs(tx, day, FIRST_PAIR, LAST_PAIR).await?;
        mark_closed(tx, day).await?;
        n += 1;
    }
    Ok(n)
}

/// Opens the closed days from `from` on again (their closings are deleted and the last
/// closed day moves back), for the benchmark of closing.
pub async fn reopen_days(tx: &mut Tx, from: NaiveDate) -> Result<()> {
    on_tx!(tx, x => {
        sqlx::query("DELETE FROM stock_closings WHERE day >= $1").bind(from).execute(&mut *x).await?;
        sqlx::query("DELETE FROM stock_closed").execute(&mut *x).await?;
        sqlx::query(
            "INSERT INTO stock_closed (id, day) SELECT 1, MAX(day) FROM stock_closings HAVING MAX(day) IS NOT NULL")
            .execute(&mut *x).await?;
    });
    Ok(())
}

/// Locks a pair's balance row (creating it at zero), so that a transaction touching two
/// pairs takes their locks in one order.
pub async fn touch(tx: &mut Tx, store_id: i64, item_id: i64) -> Result<()> {
    on_tx!(tx, x => sqlx::query(
        "INSERT INTO stock_balances (store_id, item_id, balance) VALUES ($1, $2, 0) \
         ON CONFLICT (store_id, item_id) DO UPDATE SET balance = stock_balances.balance")
        .bind(store_id).bind(item_id).execute(&mut *x).await.map(|_| ())?);
    Ok(())
}

/// Recomputes the balances and the per-day rollup of every pair from the movements (after
/// a bulk load).
pub async fn rebuild_balances(tx: &mut Tx) -> Result<()> {
    on_tx!(tx, x => {
        sqlx::query("DELETE FROM stock_closings").execute(&mut *x).await?;
        sqlx::query("DELETE FROM stock_closed").execute(&mut *x).await?;
        sqlx::query("DELETE FROM stock_days").execute(&mut *x).await?;
        sqlx::query("DELETE FROM stock_balances").execute(&mut *x).await?;
        sqlx::query(
            "INSERT INTO stock_days (store_id, item_id, day, qty_in, qty_out, closing, cum_out) \
             SELECT store_id, item_id, day, qin, qout, \
             CAST(SUM(qin - qout) OVER (PARTITION BY store_id, item_id ORDER BY day) AS BIGINT), \
             CAST(SUM(qout) OVER (PARTITION BY store_id, item_id ORDER BY day) AS BIGINT) FROM ( \
               SELECT store_id, item_id, day, CAST(SUM(qin) AS BIGINT) AS qin, CAST(SUM(qout) AS BIGINT) AS qout FROM ( \
                 SELECT to_store_id AS store_id, item_id, moved_on AS day, quantity AS qin, 0 AS qout \
                 FROM stock_movements WHERE to_store_id IS NOT NULL \
                 UNION ALL \
                 SELECT from_store_id AS store_id, item_id, moved_on AS day, 0 AS qin, quantity AS qout \
                 FROM stock_movements WHERE from_store_id IS NOT NULL \
               ) m GROUP BY store_id, item_id, day \
             ) g").execute(&mut *x).await?;
        sqlx::query(
            "INSERT INTO stock_balances (store_id, item_id, balance) \
             SELECT d.store_id, d.item_id, d.closing FROM stock_days d \
             WHERE d.day = (SELECT MAX(x.day) FROM stock_days x WHERE x.store_id = d.store_id AND x.item_id = d.item_id)")
            .execute(&mut *x).await?;
    });
    // Every day with a movement is in the past of a bulk load: close them all.
    close_days(tx, NaiveDate::MAX).await?;
    Ok(())
}
