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

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use dualtrack_domain::jurisdiction::Scope;

// ---- items ----

#[derive(Debug, Clone)]
pub struct NewItem {
    pub name: String,
    pub category: String,
    pub kind: String,
    pub spec: String,
    pub crop: Option<String>,
    pub unit: String,
    pub pack_unit: Option<String>,
    pub pack_size: Option<i64>,
    pub warn_days: i64,
    pub created_by: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    pub id: i64,
    pub name: String,
    pub category: String,
    pub kind: String,
    pub spec: String,
    pub crop: Option<String>,
    pub unit: String,
    pub pack_unit: Option<String>,
    pub pack_size: Option<i64>,
    pub warn_days: i64,
}

const ITEM_SELECT: &str = "SELECT id, name, category, kind, spec, crop, unit, pack_unit, pack_size, warn_days FROM supply_items";

pub async fn insert_item(tx: &mut Tx, i: &NewItem, at: DateTime<Utc>) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO supply_items (name, category, kind, spec, crop, unit, pack_unit, pack_size, warn_days, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")
        .bind(&i.name).bind(&i.category).bind(&i.kind).bind(&i.spec).bind(&i.crop).bind(&i.unit)
        .bind(&i.pack_unit).bind(i.pack_size).bind(i.warn_days).bind(&i.created_by).bind(at)
        .fetch_one(&mut *x).await?))
}

pub async fn items(db: &Db) -> Result<Vec<ItemRow>> {
    let sql = format!("{ITEM_SELECT} ORDER BY id");
    Ok(on_db!(db, p => sqlx::query_as::<_, ItemRow>(&sql).fetch_all(p).await?))
}

pub async fn item(db: &Db, id: i64) -> Result<Option<ItemRow>> {
    let sql = format!("{ITEM_SELECT} WHERE id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, ItemRow>(&sql).bind(id).fetch_optional(p).await?))
}

pub async fn item_by_name(db: &Db, name: &str) -> Result<Option<ItemRow>> {
    let sql = format!("{ITEM_SELECT} WHERE name = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, ItemRow>(&sql).bind(name).fetch_optional(p).await?))
}

// ---- stores ----

#[derive(Debug, Clone)]
pub struct NewStore {
    pub name: String,
    pub kind: String,
    pub jurisdiction_code: String,
    pub checkpoint_id: Option<i64>,
    pub address: String,
    pub keeper: String,
    pub created_by: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoreRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub jurisdiction_code: String,
    pub place_name: String,
    pub checkpoint_id: Option<i64>,
    pub address: String,
    pub keeper: String,
}

const STORE_SELECT: &str = "SELECT s.id, s.name, s.kind, s.jurisdiction_code, j.name AS place_name, \
     s.checkpoint_id, s.address, s.keeper FROM supply_stores s JOIN jurisdictions j ON j.code = s.jurisdiction_code";

pub async fn insert_store(tx: &mut Tx, s: &NewStore, at: DateTime<Utc>) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO supply_stores (name, kind, jurisdiction_code, checkpoint_id, address, keeper, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
        .bind(&s.name).bind(&s.kind).bind(&s.jurisdiction_code).bind(s.checkpoint_id).bind(&s.address)
        .bind(&s.keeper).bind(&s.created_by).bind(at).fetch_one(&mut *x).await?))
}

pub async fn store(db: &Db, id: i64) -> Result<Option<StoreRow>> {
    let sql = format!("{STORE_SELECT} WHERE s.id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, StoreRow>(&sql).bind(id).fetch_optional(p).await?))
}

/// The stores of a scope, by place.
pub async fn stores(db: &Db, scope: &Scope) -> Result<Vec<StoreRow>> {
    let (lo, hi) = scope.range();
    let sql = format!(
        "{STORE_SELECT} WHERE s.jurisdiction_code >= $1 AND s.jurisdiction_code < $2 \
         ORDER BY s.jurisdiction_code, s.id"
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, StoreRow>(&sql).bind(&lo).bind(&hi).fetch_all(p).await?))
}

pub async fn store_name_taken(db: &Db, code: &str, name: &str) -> Result<bool> {
    let n: i64 = on_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM supply_stores WHERE jurisdiction_code = $1 AND name = $2")
        .bind(code).bind(name).fetch_one(p).await?);
    Ok(n > 0)
}

// ---- movements ----

#[derive(Debug, Clone)]
pub struct NewMovement {
    pub kind: String,
    pub item_id: i64,
    pub quantity: i64,
    pub from_store_id: Option<i64>,
    pub to_store_id: Option<i64>,
    pub jurisdiction_code: String,
    pub moved_on: NaiveDate,
    pub counterparty: String,
    pub reason: String,
    pub allocation_id: Option<i64>,
    pub entered_quantity: i64,
    pub entered_unit: String,
    pub idempotency_key: Option<String>,
    pub recorded_by: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MovementRow {
    pub id: i64,
    pub kind: String,
    pub item_id: i64,
    pub quantity: i64,
    pub from_store_id: Option<i64>,
    pub to_store_id: Option<i64>,
    pub jurisdiction_code: String,
    pub moved_on: NaiveDate,
    pub counterparty: String,
    pub reason: String,
    pub allocation_id: Option<i64>,
    pub entered_quantity: i64,
    pub entered_unit: String,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
}

const MOVEMENT_SELECT: &str = "SELECT id, kind, item_id, quantity, from_store_id, to_store_id, jurisdiction_code, \
     moved_on, counterparty, reason, allocation_id, entered_quantity, entered_unit, recorded_by, created_at \
     FROM stock_movements";

pub async fn movement(db: &Db, id: i64) -> Result<Option<MovementRow>> {
    let sql = format!("{MOVEMENT_SELECT} WHERE id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, MovementRow>(&sql).bind(id).fetch_optional(p).await?))
}

/// The movements in or out of a store, the latest first.
pub async fn movements_of_store(
    db: &Db,
    store_id: i64,
    limit: i64,
    offset: i64,
) -> Result<Vec<MovementRow>> {
    let sql = format!(
        "{MOVEMENT_SELECT} WHERE id IN (SELECT id FROM stock_movements WHERE from_store_id = $1 \
         UNION SELECT id FROM stock_movements WHERE to_store_id = $1) \
         ORDER BY moved_on DESC, id DESC LIMIT $2 OFFSET $3"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, MovementRow>(&sql).bind(store_id).bind(limit)
        .bind(offset).fetch_all(p).await?),
    )
}

/// Writes the movement row only (the balances are moved by [`apply`]).
pub async fn insert_movement(tx: &mut Tx, m: &NewMovement, at: DateTime<Utc>) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO stock_movements (kind, item_id, quantity, from_store_id, to_store_id, jurisdiction_code, moved_on, \
         counterparty, reason, allocation_id, entered_quantity, entered_unit, idempotency_key, recorded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id")
        .bind(&m.kind).bind(m.item_id).bind(m.quantity).bind(m.from_store_id).bind(m.to_store_id)
        .bind(&m.jurisdiction_code).bind(m.moved_on).bind(&m.counterparty).bind(&m.reason)
        .bind(m.allocation_id).bind(m.entered_quantity).bind(&m.entered_unit).bind(&m.idempotency_key)
        .bind(&m.recorded_by).bind(at).fetch_one(&mut *x).await?))
}

/// Writes many movement rows at once (loading data); the balances are then rebuilt with
/// [`rebuild_balances`].
pub async fn insert_movements(tx: &mut Tx, rows: &[NewMovement], at: DateTime<Utc>) -> Result<()> {
    for chunk in rows.chunks(2000) {
        on_tx!(tx, x => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO stock_movements (kind, item_id, quantity, from_store_id, to_store_id, jurisdiction_code, moved_on, \
                 counterparty, reason, allocation_id, entered_quantity, entered_unit, idempotency_key, recorded_by, created_at) ");
            qb.push_values(chunk, |mut b, m| {
                b.push_bind(m.kind.as_str()).push_bind(m.item_id).push_bind(m.quantity).push_bind(m.from_store_id)
                    .push_bind(m.to_store_id).push_bind(m.jurisdiction_code.as_str()).push_bind(m.moved_on)
                    .push_bind(m.counterparty.as_str()).push_bind(m.reason.as_str()).push_bind(m.allocation_id)
                    .push_bind(m.entered_quantity).push_bind(m.entered_unit.as_str())
                    .push_bind(m.idempotency_key.as_deref()).push_bind(m.recorded_by.as_str()).push_bind(at);
            });
            qb.build().execute(&mut *x).await?;
        });
    }
    Ok(())
}

/// What moving a pair's stock came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Done,
    /// Not enough stock: the most that could be taken out on that day (the balance then or
    /// the lowest balance of any later day).
    Short {
        available: i64,
    },
}

/// Moves a pair's stock by `delta` on `day`, inside the movement's transaction: the balance
/// row first (on PostgreSQL its row lock queues concurrent writers of the pair; stock taken
/// out is a guarded `UPDATE … WHERE balance >= qty`), then the day's row and the closing of
/// that day and every later one. Stock taken out must be there on that day and on every
/// later day; otherwise nothing is moved and the caller drops the transaction.
pub async fn apply(
    tx: &mut Tx,
    store_id: i64,
    item_id: i64,
    day: NaiveDate,
    delta: i64,
) -> Result<Applied> {
    on_tx!(tx, x => {
        if delta < 0 {
            let q = -delta;
            let n = sqlx::query(
                "UPDATE stock_balances SET balance = balance - $3 WHERE store_id = $1 AND item_id = $2 AND balance >= $3")
                .bind(store_id).bind(item_id).bind(q).execute(&mut *x).await?.rows_affected();
            if n == 0 {
                let now: Option<i64> = sqlx::query_scalar(
                    "SELECT balance FROM stock_balances WHERE store_id = $1 AND item_id = $2")
                    .bind(store_id).bind(item_id).fetch_optional(&mut *x).await?;
                return Ok(Applied::Short { available: now.unwrap_or(0) });
            }
            let then: Option<i64> = sqlx::query_scalar(
                "SELECT closing FROM stock_days WHERE store_id = $1 AND item_id = $2 AND day <= $3 ORDER BY day DESC LIMIT 1")
                .bind(store_id).bind(item_id).bind(day).fetch_optional(&mut *x).await?;
            let later: Option<i64> = sqlx::query_scalar(
                "SELECT MIN(closing) FROM stock_days WHERE store_id = $1 AND item_id = $2 AND day > $3")
                .bind(store_id).bind(item_id).bind(day).fetch_one(&mut *x).await?;
            let lowest = then.unwrap_or(0).min(later.unwrap_or(i64::MAX));
            if lowest < q {
                return Ok(Applied::Short { available: lowest });
            }
        } else {
            sqlx::query(
                "INSERT INTO stock_balances (store_id, item_id, balance) VALUES ($1, $2, $3) \
                 ON CONFLICT (store_id, item_id) DO UPDATE SET balance = stock_balances.balance + excluded.balance")
                .bind(store_id).bind(item_id).bind(delta).execute(&mut *x).await?;
        }
        // A new day starts from the pair's latest earlier day (or from nothing).
        sqlx::query(
            "INSERT INTO stock_days (store_id, item_id, day, qty_in, qty_out, closing, cum_out) \
             SELECT $1, $2, $3, 0, 0, COALESCE(MAX(p.closing), 0), COALESCE(MAX(p.cum_out), 0) FROM ( \
               SELECT d.closing, d.cum_out FROM stock_days d WHERE d.store_id = $1 AND d.item_id = $2 AND d.day < $3 \
               ORDER BY d.day DESC LIMIT 1) p WHERE true \
             ON CONFLICT (store_id, item_id, day) DO NOTHING")
            .bind(store_id).bind(item_id).bind(day).execute(&mut *x).await?;
        let (qin, qout) = if delta < 0 { (0, -delta) } else { (delta, 0) };
        sqlx::query(
            "UPDATE stock_days SET qty_in = qty_in + $4, qty_out = qty_out + $5 WHERE store_id = $1 AND item_id = $2 AND day = $3")
            .bind(store_id).bind(item_id).bind(day).bind(qin).bind(qout).execute(&mut *x).await?;
        sqlx::query(
            "UPDATE stock_days SET closing = closing + $4, cum_out = cum_out + $5 WHERE store_id = $1 AND item_id = $2 AND day >= $3")
            .bind(store_id).bind(item_id).bind(day).bind(delta).bind(qout).execute(&mut *x).await?;
    });
    // Read after the pair's row lock above: a day being closed meanwhile has either been
    // closed already (and is seen here) or waits for this transaction.
    if let Some(through) = closed_through(tx).await? {
        if day <= through {
            add_to_closings(tx, store_id, item_id, day, through, delta).await?;
        }
    }
    Ok(Applied::Done)
}

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
async fn add_to_closings(
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

// ---- balances ----

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

// ---- needs ----

#[derive(Debug, Clone)]
pub struct NewNeed {
    pub jurisdiction_code: String,
    pub store_id: Option<i64>,
    pub item_id: i64,
    pub basis: String,
    pub quantity: i64,
    pub crop: Option<String>,
    pub area_mu: Option<i64>,
    pub from_on: NaiveDate,
    pub until_on: Option<NaiveDate>,
    pub note: String,
    pub created_by: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NeedRow {
    pub id: i64,
    pub jurisdiction_code: String,
    pub place_name: String,
    pub store_id: Option<i64>,
    pub item_id: i64,
    pub basis: String,
    pub quantity: i64,
    pub crop: Option<String>,
    pub area_mu: Option<i64>,
    pub from_on: NaiveDate,
    pub until_on: Option<NaiveDate>,
    pub note: String,
    pub created_by: String,
}

const NEED_SELECT: &str =
    "SELECT n.id, n.jurisdiction_code, j.name AS place_name, n.store_id, n.item_id, n.basis, \
     n.quantity, n.crop, n.area_mu, n.from_on, n.until_on, n.note, n.created_by \
     FROM supply_needs n JOIN jurisdictions j ON j.code = n.jurisdiction_code";

pub async fn insert_needs(tx: &mut Tx, rows: &[NewNeed], at: DateTime<Utc>) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(rows.len());
    for n in rows {
        let id: i64 = on_tx!(tx, x => sqlx::query_scalar(
            "INSERT INTO supply_needs (jurisdiction_code, store_id, item_id, basis, quantity, crop, area_mu, from_on, until_on, \
             note, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id")
            .bind(&n.jurisdiction_code).bind(n.store_id).bind(n.item_id).bind(&n.basis).bind(n.quantity)
            .bind(&n.crop).bind(n.area_mu).bind(n.from_on).bind(n.until_on).bind(&n.note)
            .bind(&n.created_by).bind(at).fetch_one(&mut *x).await?);
        ids.push(id);
    }
    Ok(ids)
}

pub async fn need(db: &Db, id: i64) -> Result<Option<NeedRow>> {
    let sql = format!("{NEED_SELECT} WHERE n.id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, NeedRow>(&sql).bind(id).fetch_optional(p).await?))
}

/// The needs of the scope's places; with `on`, only those in effect that day.
pub async fn needs(db: &Db, scope: &Scope, on: Option<NaiveDate>) -> Result<Vec<NeedRow>> {
    let (lo, hi) = scope.range();
    let sql = format!(
        "{NEED_SELECT} WHERE n.jurisdiction_code >= $1 AND n.jurisdiction_code < $2 \
         AND ($3 IS NULL OR (n.from_on <= $3 AND (n.until_on IS NULL OR n.until_on >= $3))) \
         ORDER BY n.jurisdiction_code, n.item_id, n.id"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, NeedRow>(&sql).bind(&lo).bind(&hi).bind(on).fetch_all(p).await?),
    )
}

// ---- requests ----

#[derive(Debug, Clone)]
pub struct NewRequest {
    pub jurisdiction_code: String,
    pub to_code: String,
    pub store_id: i64,
    pub item_id: i64,
    pub quantity: i64,
    pub requested_on: NaiveDate,
    pub needed_by: Option<NaiveDate>,
    pub reason: String,
    pub created_by: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestRow {
    pub id: i64,
    pub jurisdiction_code: String,
    pub place_name: String,
    pub to_code: String,
    pub store_id: i64,
    pub item_id: i64,
    pub quantity: i64,
    pub allocated: i64,
    pub requested_on: NaiveDate,
    pub needed_by: Option<NaiveDate>,
    pub reason: String,
    pub status: String,
    pub decision_note: String,
    pub created_by: String,
}

const REQUEST_SELECT: &str = "SELECT r.id, r.jurisdiction_code, j.name AS place_name, r.to_code, r.store_id, r.item_id, \
     r.quantity, r.allocated, r.requested_on, r.needed_by, r.reason, r.status, r.decision_note, r.created_by \
     FROM supply_requests r JOIN jurisdictions j ON j.code = r.jurisdiction_code";

pub async fn insert_request(tx: &mut Tx, r: &NewRequest, at: DateTime<Utc>) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO supply_requests (jurisdiction_code, to_code, store_id, item_id, quantity, allocated, requested_on, \
         needed_by, reason, status, decision_note, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8, 'open', '', $9, $10) RETURNING id")
        .bind(&r.jurisdiction_code).bind(&r.to_code).bind(r.store_id).bind(r.item_id).bind(r.quantity)
        .bind(r.requested_on).bind(r.needed_by).bind(&r.reason).bind(&r.created_by).bind(at)
        .fetch_one(&mut *x).await?))
}

pub async fn request(db: &Db, id: i64) -> Result<Option<RequestRow>> {
    let sql = format!("{REQUEST_SELECT} WHERE r.id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, RequestRow>(&sql).bind(id).fetch_optional(p).await?))
}

/// The requests of the scope's places, the latest first; with `status`, only those.
pub async fn requests(
    db: &Db,
    scope: &Scope,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<RequestRow>> {
    let (lo, hi) = scope.range();
    let sql = format!(
        "{REQUEST_SELECT} WHERE r.jurisdiction_code >= $1 AND r.jurisdiction_code < $2 \
         AND ($3 IS NULL OR r.status = $3) ORDER BY r.id DESC LIMIT $4"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, RequestRow>(&sql).bind(&lo).bind(&hi).bind(status)
        .bind(limit).fetch_all(p).await?),
    )
}

/// Adds an allocated quantity to a request, guarded by the status it was read in.
pub async fn add_allocated(
    tx: &mut Tx,
    id: i64,
    quantity: i64,
    status: &str,
    was: &str,
) -> Result<bool> {
    let n = on_tx!(tx, x => sqlx::query(
        "UPDATE supply_requests SET allocated = allocated + $2, status = $3 WHERE id = $1 AND status = $4")
        .bind(id).bind(quantity).bind(status).bind(was).execute(&mut *x).await?.rows_affected());
    Ok(n == 1)
}

pub async fn decline_request(tx: &mut Tx, id: i64, note: &str) -> Result<bool> {
    let n = on_tx!(tx, x => sqlx::query(
        "UPDATE supply_requests SET status = 'declined', decision_note = $2 WHERE id = $1 AND status IN ('open', 'partly')")
        .bind(id).bind(note).execute(&mut *x).await?.rows_affected());
    Ok(n == 1)
}

// ---- allocations ----

#[derive(Debug, Clone)]
pub struct NewAllocation {
    pub request_id: Option<i64>,
    pub item_id: i64,
    pub quantity: i64,
    pub from_store_id: i64,
    pub to_store_id: i64,
    pub from_code: String,
    pub jurisdiction_code: String,
    pub allocated_on: NaiveDate,
    pub note: String,
    pub created_by: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AllocationRow {
    pub id: i64,
    pub request_id: Option<i64>,
    pub item_id: i64,
    pub quantity: i64,
    pub from_store_id: i64,
    pub to_store_id: i64,
    pub from_code: String,
    pub jurisdiction_code: String,
    pub allocated_on: NaiveDate,
    pub status: String,
    pub received_on: Option<NaiveDate>,
    pub received_quantity: Option<i64>,
    pub received_by: Option<String>,
    pub note: String,
    pub created_by: String,
}

const ALLOCATION_SELECT: &str = "SELECT id, request_id, item_id, quantity, from_store_id, to_store_id, from_code, \
     jurisdiction_code, allocated_on, status, received_on, received_quantity, received_by, note, created_by \
     FROM supply_allocations";

pub async fn insert_allocation(tx: &mut Tx, a: &NewAllocation, at: DateTime<Utc>) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO supply_allocations (request_id, item_id, quantity, from_store_id, to_store_id, from_code, \
         jurisdiction_code, allocated_on, status, note, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'in_transit', $9, $10, $11) RETURNING id")
        .bind(a.request_id).bind(a.item_id).bind(a.quantity).bind(a.from_store_id).bind(a.to_store_id)
        .bind(&a.from_code).bind(&a.jurisdiction_code).bind(a.allocated_on).bind(&a.note)
        .bind(&a.created_by).bind(at).fetch_one(&mut *x).await?))
}

pub async fn allocation(db: &Db, id: i64) -> Result<Option<AllocationRow>> {
    let sql = format!("{ALLOCATION_SELECT} WHERE id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, AllocationRow>(&sql).bind(id).fetch_optional(p).await?))
}

/// Allocations to or from the scope's stores, the latest first; with `status`, only those.
pub async fn allocations(
    db: &Db,
    scope: &Scope,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<AllocationRow>> {
    let (lo, hi) = scope.range();
    let sql = format!(
        "{ALLOCATION_SELECT} WHERE ((jurisdiction_code >= $1 AND jurisdiction_code < $2) \
         OR (from_code >= $1 AND from_code < $2)) AND ($3 IS NULL OR status = $3) ORDER BY id DESC LIMIT $4"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, AllocationRow>(&sql).bind(&lo).bind(&hi).bind(status)
        .bind(limit).fetch_all(p).await?),
    )
}

/// Marks an allocation received, if it is still in transit.
pub async fn mark_received(
    tx: &mut Tx,
    id: i64,
    on: NaiveDate,
    quantity: i64,
    by: &str,
    note: &str,
) -> Result<bool> {
    let n = on_tx!(tx, x => sqlx::query(
        "UPDATE supply_allocations SET status = 'received', received_on = $2, received_quantity = $3, received_by = $4, \
         note = CASE WHEN $5 = '' THEN note ELSE $5 END WHERE id = $1 AND status = 'in_transit'")
        .bind(id).bind(on).bind(quantity).bind(by).bind(note).execute(&mut *x).await?.rows_affected());
    Ok(n == 1)
}

/// Per destination store and item: quantities in transit at the end of `day` (sent on or
/// before it, not received by then) and received on or before it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TransitRow {
    pub store_id: i64,
    pub item_id: i64,
    pub in_transit: i64,
    pub received: i64,
}

pub async fn transit_as_of(db: &Db, scope: &Scope, day: NaiveDate) -> Result<Vec<TransitRow>> {
    let (lo, hi) = scope.range();
    let sql = "SELECT to_store_id AS store_id, item_id, \
         CAST(SUM(CASE WHEN received_on IS NULL OR received_on > $3 THEN quantity ELSE 0 END) AS BIGINT) AS in_transit, \
         CAST(SUM(CASE WHEN received_on IS NOT NULL AND received_on <= $3 THEN received_quantity ELSE 0 END) AS BIGINT) AS received \
         FROM supply_allocations WHERE jurisdiction_code >= $1 AND jurisdiction_code < $2 AND allocated_on <= $3 \
         GROUP BY to_store_id, item_id";
    Ok(
        on_db!(db, p => sqlx::query_as::<_, TransitRow>(sql).bind(&lo).bind(&hi).bind(day).fetch_all(p).await?),
    )
}

// ---- spring farming ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PlanRow {
    pub id: i64,
    pub jurisdiction_code: String,
    pub place_name: String,
    pub year: i32,
    pub crop: String,
    pub planned_mu: i64,
}

const PLAN_SELECT: &str =
    "SELECT p.id, p.jurisdiction_code, j.name AS place_name, p.year, p.crop, p.planned_mu \
     FROM farm_plans p JOIN jurisdictions j ON j.code = p.jurisdiction_code";

/// Sets the planned area of a crop in a place for a year; returns the plan's id and the
/// area it had before, if any.
pub async fn set_plan(
    tx: &mut Tx,
    code: &str,
    year: i32,
    crop: &str,
    planned_mu: i64,
    by: &str,
    at: DateTime<Utc>,
) -> Result<(i64, Option<i64>)> {
    Ok(on_tx!(tx, x => {
        let before: Option<(i64, i64)> = sqlx::query_as(
            "SELECT id, planned_mu FROM farm_plans WHERE jurisdiction_code = $1 AND year = $2 AND crop = $3")
            .bind(code).bind(year).bind(crop).fetch_optional(&mut *x).await?;
        match before {
            Some((id, was)) => {
                sqlx::query("UPDATE farm_plans SET planned_mu = $2 WHERE id = $1")
                    .bind(id).bind(planned_mu).execute(&mut *x).await?;
                (id, Some(was))
            }
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO farm_plans (jurisdiction_code, year, crop, planned_mu, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
                    .bind(code).bind(year).bind(crop).bind(planned_mu).bind(by).bind(at)
                    .fetch_one(&mut *x).await?;
                (id, None)
            }
        }
    }))
}

pub async fn plan(db: &Db, id: i64) -> Result<Option<PlanRow>> {
    let sql = format!("{PLAN_SELECT} WHERE p.id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, PlanRow>(&sql).bind(id).fetch_optional(p).await?))
}

pub async fn plans(db: &Db, scope: &Scope, year: i32) -> Result<Vec<PlanRow>> {
    let (lo, hi) = scope.range();
    let sql = format!(
        "{PLAN_SELECT} WHERE p.jurisdiction_code >= $1 AND p.jurisdiction_code < $2 AND p.year = $3 \
         ORDER BY p.jurisdiction_code, p.crop"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, PlanRow>(&sql).bind(&lo).bind(&hi).bind(year).fetch_all(p).await?),
    )
}

/// Records the prepared and sown area of a plan as of a day (a second report of the same
/// day replaces the first); returns the figures it replaced, if any.
#[allow(clippy::too_many_arguments)]
pub async fn report_progress(
    tx: &mut Tx,
    plan_id: i64,
    on: NaiveDate,
    prepared_mu: i64,
    sown_mu: i64,
    note: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<Option<(i64, i64)>> {
    Ok(on_tx!(tx, x => {
        let before: Option<(i64, i64)> = sqlx::query_as(
            "SELECT prepared_mu, sown_mu FROM farm_progress WHERE plan_id = $1 AND reported_on = $2")
            .bind(plan_id).bind(on).fetch_optional(&mut *x).await?;
        sqlx::query(
            "INSERT INTO farm_progress (plan_id, reported_on, prepared_mu, sown_mu, note, reported_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (plan_id, reported_on) DO UPDATE SET \
             prepared_mu = excluded.prepared_mu, sown_mu = excluded.sown_mu, note = excluded.note, \
             reported_by = excluded.reported_by, created_at = excluded.created_at")
            .bind(plan_id).bind(on).bind(prepared_mu).bind(sown_mu).bind(note).bind(by).bind(at)
            .execute(&mut *x).await?;
        before
    }))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProgressRow {
    pub plan_id: i64,
    pub reported_on: NaiveDate,
    pub prepared_mu: i64,
    pub sown_mu: i64,
}

/// Each plan's latest progress report on or before `day`.
pub async fn progress_as_of(
    db: &Db,
    scope: &Scope,
    year: i32,
    day: NaiveDate,
) -> Result<Vec<ProgressRow>> {
    let (lo, hi) = scope.range();
    let sql = "SELECT f.plan_id, f.reported_on, f.prepared_mu, f.sown_mu FROM farm_progress f \
         JOIN farm_plans p ON p.id = f.plan_id \
         WHERE p.jurisdiction_code >= $1 AND p.jurisdiction_code < $2 AND p.year = $3 \
         AND f.reported_on = (SELECT MAX(g.reported_on) FROM farm_progress g WHERE g.plan_id = f.plan_id AND g.reported_on <= $4)";
    Ok(
        on_db!(db, p => sqlx::query_as::<_, ProgressRow>(sql).bind(&lo).bind(&hi).bind(year).bind(day)
        .fetch_all(p).await?),
    )
}

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

// ---- for loading data ----

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

/// The balance of a pair as of the end of a day, inside a transaction (after its writes).
pub async fn balance_in(tx: &mut Tx, store_id: i64, item_id: i64, day: NaiveDate) -> Result<i64> {
    let v: Option<i64> = on_tx!(tx, x => sqlx::query_scalar(
        "SELECT closing FROM stock_days WHERE store_id = $1 AND item_id = $2 AND day <= $3 ORDER BY day DESC LIMIT 1")
        .bind(store_id).bind(item_id).bind(day).fetch_optional(&mut *x).await?);
    Ok(v.unwrap_or(0))
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
