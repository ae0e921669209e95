//! Idempotency keys: for each key an account has sent with a create, the kind of request,
//! its fingerprint and the record it created. A key row is written in the transaction of its
//! record, so there is never one without the other; the primary key (account, key) makes the
//! second of two concurrent requests with one key fail inside its transaction.

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, Utc};

/// A key as it was first used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    pub kind: String,
    /// SHA-256 (hex) of the request as parsed, without the key; empty for keys carried over
    /// from before fingerprints were kept.
    pub fingerprint: String,
    pub record_id: i64,
}

/// What an account's key was used for, if it was.
pub async fn find(db: &Db, account: &str, key: &str) -> Result<Option<KeyRow>> {
    let row: Option<(String, String, i64)> = on_db!(db, p => sqlx::query_as(
        "SELECT kind, fingerprint, record_id FROM idempotency_keys WHERE account = $1 AND idem_key = $2")
        .bind(account).bind(key).fetch_optional(p).await?);
    Ok(row.map(|(kind, fingerprint, record_id)| KeyRow {
        kind,
        fingerprint,
        record_id,
    }))
}

/// Writes the key of a record just written, in the record's transaction. A key used already
/// (by a request that committed first) is a unique violation.
pub async fn insert(
    tx: &mut Tx,
    account: &str,
    key: &str,
    row: &KeyRow,
    at: DateTime<Utc>,
) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO idempotency_keys (account, idem_key, kind, fingerprint, record_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(account).bind(key).bind(&row.kind).bind(&row.fingerprint).bind(row.record_id).bind(at)
        .execute(&mut *c).await.map(|_| ())?);
    Ok(())
}

/// How many keys an account holds (for tests and checks).
pub async fn count(db: &Db, account: &str) -> Result<i64> {
    Ok(on_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM idempotency_keys WHERE account = $1")
        .bind(account).fetch_one(p).await?))
}
