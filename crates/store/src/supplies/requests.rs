//! Requests to the level above, their allocations and the deliveries in transit.

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use dualtrack_domain::jurisdiction::Scope;

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct RequestRow {
        pub id: i64,
        pub place_name: String,
        pub allocated: i64,
        pub status: String,
        pub decision_note: String,
    }
    #[derive(Debug, Clone)]
    pub struct NewRequest {}
    both {
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

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct AllocationRow {
        pub id: i64,
        pub status: String,
        pub received_on: Option<NaiveDate>,
        pub received_quantity: Option<i64>,
        pub received_by: Option<String>,
    }
    #[derive(Debug, Clone)]
    pub struct NewAllocation {}
    both {
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
