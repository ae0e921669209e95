//! What instances starting at once on one database agree on: who loads the demo, and
//! whether a demo load was finished.

use crate::{on_db, on_tx, Db, Result, Tx};
use sqlx::pool::PoolConnection;
use sqlx::Postgres;

/// The key of the PostgreSQL advisory lock taken while one instance prepares the database.
const STARTUP_LOCK: i64 = 0x6475_616c_7472_6b01;

/// Held while one instance loads the demo; the others wait for it. On PostgreSQL a session
/// advisory lock on a connection of its own, which is closed (not returned to the pool)
/// when the guard goes, so the lock is freed even if the load fails half-way. On SQLite
/// nothing: one file has one server, and its write transactions are serialised anyway.
pub struct StartupLock(Option<PoolConnection<Postgres>>);

impl Drop for StartupLock {
    fn drop(&mut self) {
        if let Some(c) = self.0.take() {
            // Closing the session frees its advisory locks.
            drop(c.detach());
        }
    }
}

pub async fn startup_lock(db: &Db) -> Result<StartupLock> {
    match db {
        Db::Sqlite(_) => Ok(StartupLock(None)),
        Db::Postgres(p) => {
            let mut c = p.acquire().await?;
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(STARTUP_LOCK)
                .execute(&mut *c)
                .await?;
            Ok(StartupLock(Some(c)))
        }
    }
}

/// Whether the audit log holds a row of this action (such as the demo's completion, which
/// is written in the demo's last transaction).
pub async fn has_audit_action(db: &Db, action: &str) -> Result<bool> {
    let found: Option<i64> = on_db!(db, p => {
        sqlx::query_scalar("SELECT CAST(1 AS BIGINT) FROM audit_log WHERE action = $1 LIMIT 1")
            .bind(action)
            .fetch_optional(p)
            .await?
    });
    Ok(found.is_some())
}

/// The same, inside a transaction (a re-check under the write lock).
pub async fn has_audit_action_in(tx: &mut Tx, action: &str) -> Result<bool> {
    let found: Option<i64> = on_tx!(tx, x => {
        sqlx::query_scalar("SELECT CAST(1 AS BIGINT) FROM audit_log WHERE action = $1 LIMIT 1")
            .bind(action)
            .fetch_optional(&mut *x)
            .await?
    });
    Ok(found.is_some())
}

/// Every account's user name.
pub async fn usernames(db: &Db) -> Result<Vec<String>> {
    Ok(on_db!(db, p => {
        sqlx::query_scalar("SELECT username FROM users ORDER BY username")
            .fetch_all(p)
            .await?
    }))
}
