//! Archives of the audit log: stretches of the sealed chain written to a signed file and
//! then removed (see the migration `0051_audit_archives`).

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, Utc};

/// One archive run, as recorded.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Archive {
    pub file_name: String,
    pub file_sm3: String,
    pub first_seq: i64,
    pub last_seq: i64,
    pub first_audit_id: i64,
    pub last_audit_id: i64,
    pub first_mac: String,
    pub last_mac: String,
    pub rows: i64,
    pub key_id: String,
    pub made_at: DateTime<Utc>,
    pub mac: String,
}

const COLUMNS: &str = "file_name, file_sm3, first_seq, last_seq, first_audit_id, last_audit_id, \
     first_mac, last_mac, rows, key_id, made_at, mac";

/// Every archive, in the order of the chain.
pub async fn all(db: &Db) -> Result<Vec<Archive>> {
    let sql = format!("SELECT {COLUMNS} FROM audit_archives ORDER BY first_seq");
    Ok(on_db!(db, p => sqlx::query_as::<_, Archive>(&sql).fetch_all(p).await?))
}

/// The archive that ends furthest along the chain.
pub async fn last(tx: &mut Tx) -> Result<Option<Archive>> {
    let sql = format!("SELECT {COLUMNS} FROM audit_archives ORDER BY last_seq DESC LIMIT 1");
    Ok(on_tx!(tx, e => sqlx::query_as::<_, Archive>(&sql).fetch_optional(&mut *e).await?))
}

/// The archive that starts the chain (its first seal is the chain's first).
pub async fn first(tx: &mut Tx) -> Result<Option<Archive>> {
    let sql = format!("SELECT {COLUMNS} FROM audit_archives WHERE first_seq = 1");
    Ok(on_tx!(tx, e => sqlx::query_as::<_, Archive>(&sql).fetch_optional(&mut *e).await?))
}

pub async fn insert(tx: &mut Tx, a: &Archive) -> Result<()> {
    let sql = format!(
        "INSERT INTO audit_archives ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    );
    on_tx!(tx, e => sqlx::query(&sql)
        .bind(&a.file_name).bind(&a.file_sm3).bind(a.first_seq).bind(a.last_seq)
        .bind(a.first_audit_id).bind(a.last_audit_id).bind(&a.first_mac).bind(&a.last_mac)
        .bind(a.rows).bind(&a.key_id).bind(a.made_at).bind(&a.mac)
        .execute(&mut *e).await.map(|_| ())?);
    Ok(())
}

/// Removes up to `limit` of the archived rows and their seals (seal places up to
/// `through_seq`, which recorded archives cover), the rows first; returns how many seals
/// went. The database refuses to remove anything no archive covers.
pub async fn remove(tx: &mut Tx, through_seq: i64, limit: i64) -> Result<u64> {
    Ok(on_tx!(tx, e => {
        sqlx::query(
            "DELETE FROM audit_log WHERE id IN (SELECT audit_id FROM audit_seals \
             WHERE seq <= $1 ORDER BY seq LIMIT $2)")
            .bind(through_seq).bind(limit).execute(&mut *e).await?;
        sqlx::query(
            "DELETE FROM audit_seals WHERE seq IN (SELECT seq FROM audit_seals \
             WHERE seq <= $1 ORDER BY seq LIMIT $2)")
            .bind(through_seq).bind(limit).execute(&mut *e).await?.rows_affected()
    }))
}
