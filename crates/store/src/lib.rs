//! Storage for Dualtrack on SQLite (embedded, the default) and PostgreSQL (shared).
//!
//! One code base for both engines: SQL is written once in their common subset (`$n`
//! placeholders, `RETURNING`, `ON CONFLICT`), and the [`on_db!`] and [`on_tx!`] macros run the
//! same statement against whichever engine the URL chose. Only the migrations are written
//! per engine, because the column types differ.

pub mod audit;
pub mod backup;
pub mod campaigns;
pub mod checkpoints;
pub mod filings;
pub mod handovers;
pub mod jurisdiction;
pub mod mobilisation;
pub mod monitoring;
pub mod passage_days;
pub mod prevention;
pub mod projects;
pub mod punctuality;
pub mod resumption;
pub mod resumption_io;
pub mod session;
pub mod supplies;
pub mod user;
pub mod whistle;
pub mod workgroups;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Connection;
use sqlx::{Postgres, Sqlite, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("数据库地址无效：{0}（应为 sqlite://文件 或 postgres://…）")]
    BadUrl(String),
    #[error("无法连接数据库（{engine}）：{reason}")]
    Unreachable {
        engine: &'static str,
        reason: String,
    },
    #[error("数据库迁移失败：{0}")]
    Migrate(String),
    #[error("唯一性冲突：{0}")]
    Unique(String),
    #[error("数据库错误：{0}")]
    Sql(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                return StoreError::Unique(db.message().to_string());
            }
        }
        StoreError::Sql(e)
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A pool on one of the two engines.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A write transaction on one of the two engines.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs `$body` with `$e` bound to the pool of whichever engine `$db` is.
#[macro_export]
macro_rules! on_db {
    ($db:expr, $e:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite($e) => $body,
            $crate::Db::Postgres($e) => $body,
        }
    };
}

/// Runs `$body` with `$e` bound to the connection of the transaction `$tx`.
/// Inside the body, pass `&mut *$e` to each query.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $e:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(t) => {
                let $e = &mut **t;
                $body
            }
            $crate::Tx::Postgres(t) => {
                let $e = &mut **t;
                $body
            }
        }
    };
}

/// Which engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn from_url(url: &str) -> Result<Engine> {
        if url.starts_with("sqlite:") {
            Ok(Engine::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Engine::Postgres)
        } else {
            Err(StoreError::BadUrl(redact_url(url)))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        }
    }
}

/// A database URL with any password replaced by `***`, safe to print or log.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

/// Copies the write-ahead log back into the database file once a second, beside the
/// writers rather than inside one of their commits (a passive checkpoint waits for no one
/// and nobody waits for it). Ends with the pool; the last connection to close checkpoints
/// what is left.
fn checkpoint_in_background(pool: &SqlitePool) {
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let pool = pool.clone();
    rt.spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if pool.is_closed() {
                break;
            }
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                if pool.is_closed() {
                    break;
                }
                tracing::warn!(error = %e, "checkpoint of the write-ahead log failed");
            }
        }
    });
}

impl Db {
    /// Connects to the database the URL names, creating a SQLite file if needed.
    pub async fn connect(url: &str) -> Result<Db> {
        match Engine::from_url(url)? {
            Engine::Sqlite => {
                let opts = SqliteConnectOptions::from_str(url)
                    .map_err(|e| StoreError::BadUrl(format!("{}：{e}", redact_url(url))))?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    // The write-ahead log is copied back into the file by a task of its own
                    // (below), not by whichever write happens to fill it: a checkpoint inside
                    // a commit holds every other writer up while it copies and syncs.
                    .pragma("wal_autocheckpoint", "0");
                // A connection to a local file does not go stale: no round trip to its
                // worker thread to test it each time it is taken from the pool.
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .test_before_acquire(false)
                    .acquire_timeout(Duration::from_secs(15))
                    .connect_with(opts)
                    .await
                    .map_err(|e| StoreError::Unreachable {
                        engine: "SQLite",
                        reason: e.to_string(),
                    })?;
                checkpoint_in_background(&pool);
                Ok(Db::Sqlite(pool))
            }
            Engine::Postgres => {
                let opts = PgConnectOptions::from_str(url)
                    .map_err(|e| StoreError::BadUrl(format!("{}：{e}", redact_url(url))))?;
                // One direct connection first, so that a refusal is reported as itself and
                // at once, not as a pool timeout.
                let first = tokio::time::timeout(
                    Duration::from_secs(10),
                    PgConnection::connect_with(&opts),
                )
                .await;
                match first {
                    Ok(Ok(c)) => {
                        let _ = c.close().await;
                    }
                    Ok(Err(e)) => {
                        return Err(StoreError::Unreachable {
                            engine: "PostgreSQL",
                            reason: e.to_string(),
                        })
                    }
                    Err(_) => {
                        return Err(StoreError::Unreachable {
                            engine: "PostgreSQL",
                            reason: "10 秒内无响应".into(),
                        })
                    }
                }
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts)
                    .await
                    .map_err(|e| StoreError::Unreachable {
                        engine: "PostgreSQL",
                        reason: e.to_string(),
                    })?;
                Ok(Db::Postgres(pool))
            }
        }
    }

    pub fn engine(&self) -> Engine {
        match self {
            Db::Sqlite(_) => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
        }
    }

    /// Applies the embedded migrations of this engine.
    pub async fn migrate(&self) -> Result<()> {
        let r = match self {
            Db::Sqlite(p) => sqlx::migrate!("migrations/sqlite").run(p).await,
            Db::Postgres(p) => sqlx::migrate!("migrations/postgres").run(p).await,
        };
        r.map_err(|e| StoreError::Migrate(e.to_string()))
    }

    /// Begins a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a transaction that reads before it writes waits for other
    /// writers instead of failing.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        on_db!(self, p => sqlx::query("SELECT 1").execute(p).await.is_ok())
    }

    pub async fn close(&self) {
        on_db!(self, p => p.close().await)
    }
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://dt:secret@db:5432/dt"),
            "postgres://dt:***@db:5432/dt"
        );
        assert_eq!(redact_url("sqlite://dualtrack.db"), "sqlite://dualtrack.db");
        assert!(Engine::from_url("mysql://x").is_err());
    }
}
