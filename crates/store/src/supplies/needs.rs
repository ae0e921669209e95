//! Needs declared by places.

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use dualtrack_domain::jurisdiction::Scope;

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct NeedRow {
        pub id: i64,
        pub place_name: String,
    }
    #[derive(Debug, Clone)]
    pub struct NewNeed {}
    both {
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
