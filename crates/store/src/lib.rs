//! Storage for Dualtrack on SQLite (embedded, the default) and PostgreSQL (shared).
//!
//! One code base for both engines: SQL is written once in their common subset (`$n`
//! placeholders, `RETURNING`, `ON CONFLICT`), and the [`on_db!`] and [`on_tx!`] macros run the
//! same statement against whichever engine the URL chose. Only the migrations are written
//! per engine, because the column types differ.

#[macro_use]
mod rows;

pub mod api_tokens;
pub mod audit;
pub mod audit_archive;
pub mod backup;
pub mod baseline;
pub mod bulk;
pub mod campaigns;
pub mod checkpoints;
pub mod filings;
pub mod handovers;
pub mod idempotency;
pub mod jurisdiction;
pub mod mobilisation;
pub mod monitoring;
pub mod passage_days;
pub mod phone_time;
pub mod prevention;
pub mod projects;
pub mod punctuality;
pub mod replica;
pub mod resumption;
pub mod resumption_io;
pub mod sealing;
pub mod second_factor;
pub mod session;
pub mod startup;
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
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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
    /// The database cannot be reached now (down, restarting, no free connection in time):
    /// the caller may retry shortly.
    #[error("数据库暂不可用：{0}")]
    Unavailable(String),
    /// SQLite's write lock was not free within the wait allowed: the caller may retry.
    #[error("数据库繁忙：{0}")]
    Busy(String),
    #[error("数据库错误：{0}")]
    Sql(sqlx::Error),
    /// A stored value its domain type does not know (an unknown status, say): the data is
    /// damaged, which is a failure of storage, not something to read as a default.
    #[error("数据库中的值无效：{table}.{column} = {value:?}")]
    BadValue {
        table: &'static str,
        column: &'static str,
        value: String,
    },
}

impl StoreError {
    /// Whether the failure is passing (the database unreachable or busy for now), so that
    /// the caller should be told to retry rather than that something is broken.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Unavailable(_) | StoreError::Busy(_) | StoreError::Unreachable { .. }
        )
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) => {
                if db.is_unique_violation() {
                    return StoreError::Unique(db.message().to_string());
                }
                let code = db.code().unwrap_or_default();
                let sqlite_busy = sqlite_busy_code(&code);
                // PostgreSQL: connection exceptions (08…), shutting down or starting up
                // (57P01–57P03), too many connections (53300).
                let pg_down = code.starts_with("08") || code.starts_with("57P") || code == "53300";
                if sqlite_busy {
                    return StoreError::Busy(db.message().to_string());
                }
                if pg_down {
                    return StoreError::Unavailable(db.message().to_string());
                }
                StoreError::Sql(e)
            }
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
            _ => StoreError::Sql(e),
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Reads the text stored in `table`.`column` as its domain type with `parse`: a value
/// `parse` does not know is [`StoreError::BadValue`] naming where it sits and what it is.
pub fn decode<T>(
    table: &'static str,
    column: &'static str,
    raw: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T> {
    parse(raw).ok_or_else(|| StoreError::BadValue {
        table,
        column,
        value: raw.to_string(),
    })
}

/// A pool on one of the two engines.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A write transaction on one of the two engines.
pub enum Tx {
    /// On SQLite the transaction holds the process's turn to write (see [`Db::begin`])
    /// until it ends.
    Sqlite(Transaction<'static, Sqlite>, WriteTurn),
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
            $crate::Tx::Sqlite(t, _) => {
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

    /// The database of this engine could not be reached, for `reason`.
    fn unreachable(self, reason: impl ToString) -> StoreError {
        StoreError::Unreachable {
            engine: self.name(),
            reason: reason.to_string(),
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

/// Frames of write-ahead log (256 MB at 4 KB pages) past which the log is started over:
/// under a thousand registrations a second, about every four seconds. (The tests use a
/// smaller bound, to see it work without writing a gigabyte.)
#[cfg(not(test))]
const WAL_RESTART_FRAMES: i64 = 65_536;
#[cfg(test)]
const WAL_RESTART_FRAMES: i64 = 8_192;

/// Copies the write-ahead log back into the database file once a second, beside the
/// writers rather than inside one of their commits (a passive checkpoint waits for no one
/// and nobody waits for it). Under a steady stream of writes a passive checkpoint never
/// finds the log wholly copied, so the log would never start over and would grow without
/// end: once it passes [`WAL_RESTART_FRAMES`], a restarting checkpoint waits briefly for
/// the writer in progress, copies the rest and has the next writer start the log from its
/// beginning (and `journal_size_limit` trims the file to that size). Ends with the pool; the last
/// connection to close checkpoints what is left.
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
            if let Err(e) = checkpoint_round(&pool).await {
                if pool.is_closed() {
                    break;
                }
                tracing::warn!(error = %e, "checkpoint of the write-ahead log failed");
            }
        }
    });
}

/// One round of the background checkpoint: passive checkpoints, each copying what was
/// written during the one before, until one is quick; then, if the log is long, the file
/// synced with the writers going on ([`sync_copied`]) and a restart, which has little left to
/// copy and sync. A round that does not catch up leaves the restart to a
/// later one (the log grows meanwhile; the writers are held for a backlog only once the
/// log has run away).
async fn checkpoint_round(pool: &SqlitePool) -> std::result::Result<(), sqlx::Error> {
    for _ in 0..8 {
        let began = std::time::Instant::now();
        let (_, log, copied) =
            sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(pool)
                .await?;
        if log < WAL_RESTART_FRAMES {
            return Ok(());
        }
        let took = began.elapsed();
        tracing::debug!(
            log,
            copied,
            ms = took.as_millis() as u64,
            "passive checkpoint"
        );
        if time_to_restart(log, copied, took) {
            sync_copied(pool).await;
            // What was written while the file was synced, copied too (and left unsynced: the
            // restart syncs it, a few pages).
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(pool)
                .await?;
            return restart_wal(pool).await;
        }
    }
    Ok(())
}

/// Syncs the database file and its log to disk with the writers going on. A passive
/// checkpoint under a stream of writes never reaches the end of the log, and SQLite syncs
/// the file only when one does: the pages the passive checkpoints copied wait in memory, and
/// the restart's own sync, with every writer held, had all of them to write (at a province's
/// size, with the erasure running, restarts held the writers 170–220 ms). Synced first, here,
/// the restart writes only what was copied since. (A sync through another descriptor of the
/// same file writes the file's pages all the same.) A database in memory has no file: nothing
/// to do.
async fn sync_copied(pool: &SqlitePool) {
    let file = pool.connect_options().get_filename().to_path_buf();
    let mut log = file.clone().into_os_string();
    log.push("-wal");
    let synced = tokio::task::spawn_blocking(move || {
        for path in [file, log.into()] {
            if let Ok(f) = std::fs::File::open(&path) {
                if let Err(e) = f.sync_data() {
                    tracing::warn!(error = %e, path = %path.display(), "sync before a log restart failed");
                }
            }
        }
    })
    .await;
    if let Err(e) = synced {
        tracing::warn!(error = %e, "sync before a log restart did not run");
    }
}

/// The most frames a restarting checkpoint may find still to copy: it holds every writer
/// while it copies them and syncs the file, so it should copy what a passive one left over
/// (a few megabytes), never a backlog. A log the passive checkpoints have not caught up
/// with (after a bulk import, say) is left to them until they have.
const WAL_RESTART_BACKLOG: i64 = 2_048;

/// The longest the passive checkpoint before a restart may have taken: what was written
/// meanwhile is what the restart copies with the writers held.
const WAL_RESTART_AFTER_PASSIVE: Duration = Duration::from_millis(25);

/// Whether the log is long enough to start over and the passive checkpoint just done
/// (`took`) copied nearly all of it, quickly: then a restart holds the writers a moment
/// only. Otherwise the passive checkpoints go on alone until they catch up.
///
/// A log that has grown to several times the size it restarts at is restarted once the
/// backlog is small, however long the passive checkpoint took: on a busy machine every
/// checkpoint is slow, and waiting for a quick one would let the log grow without bound.
/// And a log that has run away (the writers outpace the copying, as a bulk import can) is
/// restarted whatever is left to copy: the writers then wait while it is copied, which slows
/// them to the pace of the copying, and the log stays within a bound on disk.
fn time_to_restart(log: i64, copied: i64, took: Duration) -> bool {
    if log >= WAL_RESTART_FRAMES * WAL_RUNAWAY {
        return true;
    }
    log >= WAL_RESTART_FRAMES
        && log - copied <= WAL_RESTART_BACKLOG
        && (took <= WAL_RESTART_AFTER_PASSIVE || log >= WAL_RESTART_FRAMES * WAL_OVERGROWN)
}

/// How many times its restart size the log may grow before a slow passive checkpoint no
/// longer holds its restart back.
const WAL_OVERGROWN: i64 = 2;

/// How many times its restart size the log may grow before it is restarted whatever is
/// left to copy (1 GB).
const WAL_RUNAWAY: i64 = 4;

/// A restarting checkpoint, in the writers' own queue: it waits its turn behind the
/// writers that asked before it (a fair lock, so a stream of writers cannot starve it), and
/// while it holds the turn no write transaction of this process is open. With no writer to
/// wait for, SQLite copies what the last passive checkpoint left over and syncs the file,
/// then waits for the readers still reading the log's frames; the next writer starts the
/// log from its beginning. Readers are waited for [`WAL_RESTART_PATIENCE`] at most: if a
/// long one is still reading, the turn is given back and a later round tries again (the
/// log grows meanwhile, and the passive checkpoints keep it copied, so readers do not slow
/// down).
async fn restart_wal(pool: &SqlitePool) -> std::result::Result<(), sqlx::Error> {
    let mut c = pool.acquire().await?;
    // The waiting is done here, a millisecond at a time, not by SQLite's busy handler,
    // whose sleeps grow to 25, 50 and 100 ms and would hold the writers that much longer
    // than the lock it waits for.
    sqlx::query("PRAGMA busy_timeout = 0")
        .execute(&mut *c)
        .await?;
    let turn = SQLITE_WRITE_TURNS.lock().await;
    let held = std::time::Instant::now();
    let mut tries = 0;
    let r = loop {
        tries += 1;
        let r = sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(RESTART)")
            .fetch_one(&mut *c)
            .await;
        let busy = match &r {
            Ok((busy, _, _)) => *busy != 0,
            Err(e) => is_busy(e),
        };
        if !busy || held.elapsed() >= WAL_RESTART_PATIENCE {
            break r.map(|_| !busy);
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    drop(turn);
    let hold = held.elapsed();
    WAL_RESTARTS.record(hold, !matches!(r, Ok(true)));
    tracing::debug!(tries, ms = hold.as_millis() as u64, "log restart");
    sqlx::query(&format!(
        "PRAGMA busy_timeout = {}",
        BUSY_TIMEOUT.as_millis()
    ))
    .execute(&mut *c)
    .await?;
    r.map(|_| ())
}

/// The longest a restart of the log holds the writers' turn while the readers of the log
/// finish; if they are not done by then, a later round tries again.
const WAL_RESTART_PATIENCE: Duration = Duration::from_millis(30);

/// What the restarts of the log did in this process: how many, how many gave up waiting
/// for a reader, and the longest time one held the writers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalRestarts {
    pub done: u64,
    pub given_up: u64,
    pub longest_hold: Duration,
}

/// Holds of the writers' turn counted in this process: how many, how many of them set
/// apart (a restart that gave up; a batch held long), and the longest.
struct HoldCounts {
    kept: AtomicU64,
    apart: AtomicU64,
    longest_us: AtomicU64,
}

impl HoldCounts {
    const fn new() -> HoldCounts {
        HoldCounts {
            kept: AtomicU64::new(0),
            apart: AtomicU64::new(0),
            longest_us: AtomicU64::new(0),
        }
    }

    fn record(&self, hold: Duration, apart: bool) {
        let counter = if apart { &self.apart } else { &self.kept };
        counter.fetch_add(1, Ordering::Relaxed);
        self.longest_us
            .fetch_max(hold.as_micros() as u64, Ordering::Relaxed);
    }

    /// The counts since the last call: (kept, apart, longest).
    fn take(&self) -> (u64, u64, Duration) {
        (
            self.kept.swap(0, Ordering::Relaxed),
            self.apart.swap(0, Ordering::Relaxed),
            Duration::from_micros(self.longest_us.swap(0, Ordering::Relaxed)),
        )
    }
}

static WAL_RESTARTS: HoldCounts = HoldCounts::new();

/// The restarts of the log in this process since the last call (for the benchmarks'
/// figures, phase by phase).
pub fn take_wal_restarts() -> WalRestarts {
    let (done, given_up, longest_hold) = WAL_RESTARTS.take();
    WalRestarts {
        done,
        given_up,
        longest_hold,
    }
}

/// Copies the whole log into the file and empties it. SQLite answers "busy" at once, without
/// waiting, when another checkpoint is running (the background one, at any second): this
/// one is tried again until it has done its work, for [`BUSY_TIMEOUT`] at most.
pub(crate) async fn truncate_wal(pool: &SqlitePool) -> std::result::Result<(), sqlx::Error> {
    let began = std::time::Instant::now();
    loop {
        let (busy, _, _) = sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(pool)
            .await?;
        if busy == 0 {
            return Ok(());
        }
        if began.elapsed() >= BUSY_TIMEOUT {
            return Err(sqlx::Error::Protocol(
                "the log stayed busy (another checkpoint or a reader)".into(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Whether SQLite answered "busy" or "locked".
fn is_busy(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| sqlite_busy_code(&c))
}

/// SQLite's SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
fn sqlite_busy_code(code: &str) -> bool {
    code.parse::<i64>().is_ok_and(|c| matches!(c & 0xff, 5 | 6))
}

/// How long a request waits for a PostgreSQL connection before being told the database is
/// unavailable.
const PG_ACQUIRE_TIMEOUT: Duration = Duration::from_millis(750);

/// Whether a pooled connection, about to be handed out, is still inside a transaction that
/// nobody holds (a caller dropped between `BEGIN` and receiving its transaction). Such a
/// connection is closed, not reused: closing rolls the transaction back and frees SQLite's
/// write lock. Checked when the connection is taken, not when it is given back: by then the
/// pool's own round trip on release has let any `BEGIN` or `ROLLBACK` still queued on it
/// finish, so the depth read here is its real state, at no cost of a round trip.
fn orphaned_transaction<C: Connection>(c: &C) -> bool {
    if c.is_in_transaction() {
        tracing::warn!("a pooled connection was inside a transaction; it is closed");
        return true;
    }
    false
}

/// Both pools' check before a connection is handed out: it is kept unless
/// [`orphaned_transaction`].
fn not_orphaned<C: Connection>(
    c: &mut C,
    _: sqlx::pool::PoolConnectionMetadata,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = std::result::Result<bool, sqlx::Error>> + Send + '_>,
> {
    let fresh = !orphaned_transaction(c);
    Box::pin(async move { Ok(fresh) })
}

/// SQLite writers of this process between asking for a write transaction and having it.
static WRITERS_WAITING: AtomicUsize = AtomicUsize::new(0);

/// The longest a background job's next batch gives way to waiting writers: under a steady
/// queue of writers, the job still writes a batch this often.
pub const JOB_PATIENCE: Duration = Duration::from_millis(20);

/// The queue of SQLite writers of this process (see [`Db::begin`]).
static SQLITE_WRITE_TURNS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A writer's turn on SQLite (see [`Db::begin`]), held until the transaction ends; a
/// background job's batch counts how long it held it (see [`take_job_holds`]).
pub struct WriteTurn {
    _turn: tokio::sync::MutexGuard<'static, ()>,
    job_since: Option<std::time::Instant>,
}

impl Drop for WriteTurn {
    fn drop(&mut self) {
        if let Some(since) = self.job_since {
            let hold = since.elapsed();
            JOB_HOLDS.record(hold, hold > JOB_HOLD_NOTED);
        }
    }
}

/// How long the batches of background jobs held the writers' turn in this process.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobHolds {
    pub batches: u64,
    /// Batches that held it longer than [`JOB_HOLD_NOTED`].
    pub long: u64,
    pub longest: Duration,
}

/// A batch holding the writers longer than this is counted apart.
pub const JOB_HOLD_NOTED: Duration = Duration::from_millis(50);

static JOB_HOLDS: HoldCounts = HoldCounts::new();

/// The holds of the jobs' batches since the last call (for the benchmarks' figures).
pub fn take_job_holds() -> JobHolds {
    let (short, long, longest) = JOB_HOLDS.take();
    JobHolds {
        batches: short + long,
        long,
        longest,
    }
}

/// A writer counted as waiting for the write lock, until dropped.
struct WaitingWriter(());

impl WaitingWriter {
    fn enter() -> WaitingWriter {
        WRITERS_WAITING.fetch_add(1, Ordering::AcqRel);
        WaitingWriter(())
    }
}

impl Drop for WaitingWriter {
    fn drop(&mut self) {
        WRITERS_WAITING.fetch_sub(1, Ordering::AcqRel);
    }
}

/// How long a SQLite statement waits for a lock held by another connection.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections a surge opened beyond those kept warm are closed after this long unused,
/// and with them what each holds (its page cache on SQLite, its prepared statements):
/// the memory of a surge goes back after it.
const POOL_IDLE: Duration = Duration::from_secs(20);

/// Connections kept open when nothing happens.
const POOL_WARM: u32 = 2;

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
                    .busy_timeout(BUSY_TIMEOUT)
                    // The write-ahead log is copied back into the file by a task of its own
                    // (below), not by whichever write happens to fill it: a checkpoint inside
                    // a commit holds every other writer up while it copies and syncs.
                    .pragma("wal_autocheckpoint", "0")
                    // A log started over is trimmed to the size it restarts at.
                    .pragma(
                        "journal_size_limit",
                        (WAL_RESTART_FRAMES * 4096).to_string(),
                    );
                // A connection to a local file does not go stale: no round trip to its
                // worker thread to test it each time it is taken from the pool.
                let pool = SqlitePoolOptions::new()
                    .max_connections(12)
                    .min_connections(POOL_WARM)
                    .idle_timeout(POOL_IDLE)
                    .test_before_acquire(false)
                    .acquire_timeout(Duration::from_secs(5))
                    .before_acquire(not_orphaned)
                    .connect_with(opts)
                    .await
                    .map_err(|e| Engine::Sqlite.unreachable(e))?;
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
                    Ok(Err(e)) => return Err(Engine::Postgres.unreachable(e)),
                    Err(_) => return Err(Engine::Postgres.unreachable("10 秒内无响应")),
                }
                // A short wait for a connection: when the server is down, callers are told
                // so within a second instead of hanging.
                let pool = PgPoolOptions::new()
                    .max_connections(32)
                    .min_connections(POOL_WARM)
                    .idle_timeout(POOL_IDLE)
                    .acquire_timeout(PG_ACQUIRE_TIMEOUT)
                    .before_acquire(not_orphaned)
                    .connect_with(opts)
                    .await
                    .map_err(|e| Engine::Postgres.unreachable(e))?;
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
    /// writers instead of failing; and the writers of this process take it in turn, in the
    /// order they asked, waiting in a queue here rather than in SQLite's busy handler, whose
    /// growing sleeps let one writer miss the moments the lock is free again and again (a
    /// report filed among a stream of registrations waited most of a second). The turn is
    /// held by the transaction until it ends.
    ///
    /// The `BEGIN` runs to completion in a task of its own, so that a caller dropped while it
    /// waits (a client that gave up, a request past its deadline) cannot leave a pooled
    /// connection inside a transaction nobody holds: the task hands the transaction back, or
    /// drops it, which rolls it back. (Without this, on SQLite a `BEGIN IMMEDIATE` that
    /// completed after its caller left kept the write lock for good.)
    pub async fn begin(&self) -> Result<Tx> {
        self.begin_as(false).await
    }

    async fn begin_as(&self, job: bool) -> Result<Tx> {
        let begun = match self {
            Db::Sqlite(p) => {
                let waiting = WaitingWriter::enter();
                let turn = WriteTurn {
                    _turn: SQLITE_WRITE_TURNS.lock().await,
                    job_since: job.then(std::time::Instant::now),
                };
                drop(waiting);
                let p = p.clone();
                tokio::spawn(async move { p.begin_with("BEGIN IMMEDIATE").await })
                    .await
                    .map(|r| r.map(|t| Tx::Sqlite(t, turn)).map_err(StoreError::from))
            }
            Db::Postgres(p) => {
                let p = p.clone();
                tokio::spawn(
                    async move { p.begin().await.map(Tx::Postgres).map_err(StoreError::from) },
                )
                .await
            }
        };
        begun.unwrap_or_else(|e| Err(StoreError::Unavailable(format!("事务未能开始：{e}"))))
    }

    /// Begins a write transaction of a background job, which writes in short batches. On
    /// SQLite, writers of this process already waiting for their turn go first (for at most
    /// [`JOB_PATIENCE`]), so that a job that began its next batch at once does not take the
    /// turn again before them, batch after batch. On PostgreSQL a transaction takes the locks
    /// of the rows it writes.
    pub async fn begin_job(&self) -> Result<Tx> {
        if let Db::Sqlite(_) = self {
            let since = std::time::Instant::now();
            tokio::task::yield_now().await;
            while WRITERS_WAITING.load(Ordering::Acquire) > 0 && since.elapsed() < JOB_PATIENCE {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        self.begin_as(true).await
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        on_db!(self, p => sqlx::query("SELECT 1").execute(p).await.is_ok())
    }

    /// Closes the pool. On SQLite the write-ahead log is first copied into the database
    /// file and emptied, so that after a clean stop the file alone holds every record (and a
    /// copy of it is a whole database).
    pub async fn close(&self) {
        if let Db::Sqlite(p) = self {
            if let Err(e) = truncate_wal(p).await {
                tracing::warn!(error = %e, "the write-ahead log could not be copied back at close");
            }
        }
        on_db!(self, p => p.close().await)
    }
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t, _turn) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restarts_the_log_only_when_the_writers_are_held_a_moment() {
        let quick = Duration::from_millis(5);
        let full = WAL_RESTART_FRAMES;
        assert!(time_to_restart(full, full, quick));
        assert!(time_to_restart(full + 100, full, quick));
        // A short log is left to grow.
        assert!(!time_to_restart(full - 1, full - 1, quick));
        // A backlog the passive checkpoints have not copied: the restart would copy it all
        // with every writer held.
        assert!(!time_to_restart(full * 3, full, quick));
        // Unless the log has run away: then the writers wait for the copying.
        let runaway = full * WAL_RUNAWAY;
        assert!(time_to_restart(runaway, full, Duration::from_millis(400)));
        // A slow passive checkpoint: what was written meanwhile is a backlog too.
        assert!(!time_to_restart(full, full, Duration::from_millis(400)));
        // Unless the log has grown far past its size: on a busy machine every checkpoint is
        // slow, and the log would never start over.
        let big = full * WAL_OVERGROWN;
        assert!(time_to_restart(big, big - 10, Duration::from_millis(400)));
        assert!(!time_to_restart(
            big,
            big - WAL_RESTART_BACKLOG - 1,
            Duration::from_millis(400)
        ));
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://dt:secret@db:5432/dt"),
            "postgres://dt:***@db:5432/dt"
        );
        assert_eq!(redact_url("sqlite://dualtrack.db"), "sqlite://dualtrack.db");
        assert!(Engine::from_url("mysql://x").is_err());
    }

    /// Under a steady stream of small write transactions the write-ahead log starts over
    /// and stays bounded, instead of growing by everything written.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_log_starts_over_under_a_steady_stream_of_writes() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("log.db");
        let db = Db::connect(&format!("sqlite://{}", path.display()))
            .await
            .expect("connect");
        let Db::Sqlite(pool) = &db else {
            panic!("a SQLite file");
        };
        sqlx::query("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
            .execute(pool)
            .await
            .expect("table");
        let limit_bytes = WAL_RESTART_FRAMES * 4096;
        // Twelve times the limit, written by two writers in transactions of 32 rows of 8 KB,
        // each deleting what the one before wrote so that the file itself stays small.
        let target = 12 * limit_bytes;
        let written = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
        let mut writers = Vec::new();
        for _ in 0..2 {
            let (db, written) = (db.clone(), written.clone());
            writers.push(tokio::spawn(async move {
                while written.load(std::sync::atomic::Ordering::Relaxed) < target {
                    let mut tx = db.begin().await.expect("begin");
                    on_tx!(&mut tx, x => {
                        sqlx::query("DELETE FROM blobs WHERE id < (SELECT COALESCE(MAX(id), 0) - 64 FROM blobs)")
                            .execute(&mut *x)
                            .await
                            .expect("delete");
                        for _ in 0..32 {
                            sqlx::query("INSERT INTO blobs (body) VALUES (randomblob(8192))")
                                .execute(&mut *x)
                                .await
                                .expect("insert");
                        }
                    });
                    tx.commit().await.expect("commit");
                    written.fetch_add(32 * 8192, std::sync::atomic::Ordering::Relaxed);
                }
            }));
        }
        let log = dir.path().join("log.db-wal");
        let mut largest = 0;
        while writers.iter().any(|w| !w.is_finished()) {
            tokio::time::sleep(Duration::from_millis(50)).await;
            largest = largest.max(std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0));
        }
        for w in writers {
            w.await.expect("writer");
        }
        let written = written.load(std::sync::atomic::Ordering::Relaxed);
        assert!(written >= target, "{written} bytes written");
        // Without starting over, the log would hold at least everything written.
        assert!(
            (largest as i64) < written / 2,
            "the log reached {largest} bytes for {written} bytes written"
        );
        db.close().await;
    }
}
