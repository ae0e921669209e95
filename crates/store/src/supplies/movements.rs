//! Stock movements and their application to the per-pair balances of each day.

use super::closings::add_to_closings;
use super::*;
use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct MovementRow {
        pub id: i64,
        pub created_at: DateTime<Utc>,
    }
    #[derive(Debug, Clone)]
    pub struct NewMovement {
        pub idempotency_key: Option<String>,
    }
    both {
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
    }
}

const MOVEMENT_SELECT: &str = "SELECT id, kind, item_id, quantity, from_store_id, to_store_id, jurisdiction_code, \
     moved_on, counterparty, reason, allocation_id, entered_quantity, entered_unit, recorded_by, created_at \
     FROM stock_movements";

pub async fn movement(db: &Db, id: i64) -> Result<Option<MovementRow>> {
    let sql = format!("{MOVEMENT_SELECT} WHERE id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, MovementRow>(&sql).bind(id).fetch_optional(p).await?))
}

/// The movements in or out of a store up to the day `until` (the app's today: a movement
/// of a later day has not happened yet), the latest first.
pub async fn movements_of_store(
    db: &Db,
    store_id: i64,
    until: NaiveDate,
    limit: i64,
    offset: i64,
) -> Result<Vec<MovementRow>> {
    let sql = format!(
        "{MOVEMENT_SELECT} WHERE id IN (SELECT id FROM stock_movements WHERE from_store_id = $1 \
         UNION SELECT id FROM stock_movements WHERE to_store_id = $1) AND moved_on <= $4 \
         ORDER BY moved_on DESC, id DESC LIMIT $2 OFFSET $3"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, MovementRow>(&sql).bind(store_id).bind(limit)
        .bind(offset).bind(until).fetch_all(p).await?),
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
