//! A PostgreSQL hot standby that serves reads which tolerate a second of lag (the command
//! view, the briefing, exports, figures), beside the primary that serves everything else.
//!
//! [`Replica::reader`] gives the standby's pool while it answers and has replayed the
//! primary's log to within the configured bound, and the primary's otherwise: a standby that
//! is down, unreachable or behind costs a read at most the short wait of one check a second,
//! never a failure. Its state is checked at most once a [`CHECK_EVERY`], by the first read
//! that finds the last check stale; the other reads meanwhile go by the last answer.

use crate::{redact_url, Db, Engine, Result, StoreError};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the standby's state is checked.
pub const CHECK_EVERY: Duration = Duration::from_secs(1);

/// The longest a check, or a read taking a connection of the standby, waits for it.
pub const REPLICA_WAIT: Duration = Duration::from_millis(300);

/// The lag past which reads go to the primary, unless configured otherwise.
pub const DEFAULT_MAX_LAG: Duration = Duration::from_millis(5000);

/// What the last check of the standby found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplicaState {
    /// Not checked yet.
    Unknown,
    /// Answering and within the lag bound: reads go to it.
    Ok,
    /// Answering, but further behind the primary than the bound: reads go to the primary.
    Lagging,
    /// No answer in time: reads go to the primary.
    Unavailable,
}

impl ReplicaState {
    fn code(self) -> u8 {
        match self {
            ReplicaState::Unknown => 0,
            ReplicaState::Ok => 1,
            ReplicaState::Lagging => 2,
            ReplicaState::Unavailable => 3,
        }
    }

    fn from_code(c: u8) -> ReplicaState {
        match c {
            1 => ReplicaState::Ok,
            2 => ReplicaState::Lagging,
            3 => ReplicaState::Unavailable,
            _ => ReplicaState::Unknown,
        }
    }

    /// In Chinese, for the health detail and the logs.
    pub fn zh(self) -> &'static str {
        match self {
            ReplicaState::Unknown => "尚未检查",
            ReplicaState::Ok => "正常",
            ReplicaState::Lagging => "延迟超限，读取改走主库",
            ReplicaState::Unavailable => "不可用，读取改走主库",
        }
    }
}

/// The standby's pool and what is known of it (shared by the clones of one server).
#[derive(Debug, Clone)]
pub struct Replica {
    pool: Db,
    max_lag: Duration,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    state: AtomicU8,
    /// The lag the last answering check measured, in milliseconds.
    lag_ms: AtomicI64,
    /// When the last check began (none yet).
    checked: std::sync::Mutex<Option<Instant>>,
    /// Held by the one read that checks.
    checking: tokio::sync::Mutex<()>,
}

/// The standby's lag: none when it has replayed all it received (an idle primary sends
/// nothing, and the time of the last replayed commit then says nothing of lag), otherwise
/// the age of the last commit it replayed. A server that is not a standby (a promoted one)
/// has none.
const LAG_SQL: &str = "SELECT CAST(CASE WHEN NOT pg_is_in_recovery() THEN 0 \
     WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
     ELSE COALESCE(EXTRACT(EPOCH FROM (clock_timestamp() - pg_last_xact_replay_timestamp())) * 1000, 0) END AS BIGINT)";

impl Replica {
    /// A pool to the standby at `url`, opened lazily: a standby that is down when the
    /// server starts does not stop it (its reads go to the primary until it answers).
    /// Only PostgreSQL has a standby.
    pub fn open(url: &str, max_lag: Duration) -> Result<Replica> {
        if Engine::from_url(url)? != Engine::Postgres {
            return Err(StoreError::BadUrl(format!(
                "{}（只读副本仅支持 PostgreSQL）",
                redact_url(url)
            )));
        }
        let opts = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::BadUrl(format!("{}：{e}", redact_url(url))))?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .min_connections(0)
            .idle_timeout(Duration::from_secs(20))
            .acquire_timeout(REPLICA_WAIT)
            .connect_lazy_with(opts);
        Ok(Replica {
            pool: Db::Postgres(pool),
            max_lag,
            shared: Arc::new(Shared {
                state: AtomicU8::new(ReplicaState::Unknown.code()),
                lag_ms: AtomicI64::new(0),
                checked: std::sync::Mutex::new(None),
                checking: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// The lag bound.
    pub fn max_lag(&self) -> Duration {
        self.max_lag
    }

    /// What the last check found.
    pub fn state(&self) -> ReplicaState {
        ReplicaState::from_code(self.shared.state.load(Ordering::Acquire))
    }

    /// The lag the last answering check measured.
    pub fn lag(&self) -> Duration {
        Duration::from_millis(self.shared.lag_ms.load(Ordering::Acquire).max(0) as u64)
    }

    /// The pool reads that tolerate lag should use: the standby's while it is healthy, else
    /// `primary`.
    pub async fn reader(&self, primary: &Db) -> Db {
        if self.stale() {
            // One read checks; the others go by the last answer meanwhile.
            if let Ok(_turn) = self.shared.checking.try_lock() {
                if self.stale() {
                    self.check().await;
                }
            }
        }
        match self.state() {
            ReplicaState::Ok => self.pool.clone(),
            _ => primary.clone(),
        }
    }

    /// Marks the standby unavailable now (a read on it failed): reads go to the primary
    /// until the next check finds it back.
    pub fn failed(&self) {
        self.set(ReplicaState::Unavailable);
        if let Ok(mut c) = self.shared.checked.lock() {
            *c = Some(Instant::now());
        }
    }

    /// Whether a pool is this standby's.
    pub fn is_replica(&self, db: &Db) -> bool {
        match (&self.pool, db) {
            (Db::Postgres(a), Db::Postgres(b)) => {
                // Clones of one pool share its connection count and options.
                std::ptr::eq(a.options(), b.options())
            }
            _ => false,
        }
    }

    fn stale(&self) -> bool {
        match self.shared.checked.lock() {
            Ok(c) => c.is_none_or(|t| t.elapsed() >= CHECK_EVERY),
            Err(_) => true,
        }
    }

    fn set(&self, s: ReplicaState) {
        let before = self.shared.state.swap(s.code(), Ordering::AcqRel);
        if before != s.code() {
            match s {
                ReplicaState::Ok => tracing::info!("read replica: {}", s.zh()),
                _ => tracing::warn!(
                    lag_ms = self.shared.lag_ms.load(Ordering::Acquire),
                    "read replica: {}",
                    s.zh()
                ),
            }
        }
    }

    /// Asks the standby for its lag, waiting [`REPLICA_WAIT`] at most.
    pub async fn check(&self) -> ReplicaState {
        if let Ok(mut c) = self.shared.checked.lock() {
            *c = Some(Instant::now());
        }
        let Db::Postgres(p) = &self.pool else {
            return ReplicaState::Unavailable;
        };
        let asked = tokio::time::timeout(
            REPLICA_WAIT,
            sqlx::query_scalar::<_, i64>(LAG_SQL).fetch_one(p),
        )
        .await;
        let s = match asked {
            Ok(Ok(lag)) => {
                self.shared.lag_ms.store(lag, Ordering::Release);
                if lag as u128 > self.max_lag.as_millis() {
                    ReplicaState::Lagging
                } else {
                    ReplicaState::Ok
                }
            }
            _ => ReplicaState::Unavailable,
        };
        self.set(s);
        s
    }

    /// Closes the standby's pool.
    pub async fn close(&self) {
        crate::on_db!(&self.pool, p => p.close().await)
    }
}
