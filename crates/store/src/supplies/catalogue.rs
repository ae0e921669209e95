//! The catalogue of items and the stores of each place.

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, Utc};
use dualtrack_domain::jurisdiction::Scope;

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct ItemRow {
        pub id: i64,
    }
    #[derive(Debug, Clone)]
    pub struct NewItem {
        pub created_by: String,
    }
    both {
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

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct StoreRow {
        pub id: i64,
        pub place_name: String,
    }
    #[derive(Debug, Clone)]
    pub struct NewStore {
        pub created_by: String,
    }
    both {
        pub name: String,
        pub kind: String,
        pub jurisdiction_code: String,
        pub checkpoint_id: Option<i64>,
        pub address: String,
        pub keeper: String,
    }
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
