//! Events at a place that channels carry besides tickets, each written once under its key
//! with the deliveries to the channels that take it; and what the scheduler reads to find
//! them (hand-overs overdue, fevers registered at checkpoints).

use super::{lineage6, queue_deliveries, Carried};
use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};

/// An event at a place, to write once.
#[derive(Debug, Clone)]
pub struct NewPlaceEvent {
    /// Names the record and the occasion (`handover_overdue:12`): a second write does nothing.
    pub key: String,
    pub kind: String,
    pub place_code: String,
    pub message: String,
    pub path: String,
}

/// Writes the event and, for every active channel of its place or a place above it that
/// takes its kind, a delivery with the body to send. A channel taking every event (no list)
/// takes all kinds but `opt_in` ones, which it takes only when it names them. Returns the
/// event's id, or `None` when its key was written before (by this pass or another
/// instance's): then nothing is written.
pub async fn insert_place_event(
    tx: &mut Tx,
    e: &NewPlaceEvent,
    opt_in: bool,
    at: DateTime<Utc>,
    body: &(dyn Fn(i64) -> String + Sync),
) -> Result<Option<i64>> {
    let up = lineage6(&e.place_code);
    let (id, hooks) = on_tx!(tx, x => {
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO channel_events (event_key, kind, place_code, message, path, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_key) DO NOTHING RETURNING id")
            .bind(&e.key).bind(&e.kind).bind(&e.place_code).bind(&e.message).bind(&e.path).bind(at)
            .fetch_optional(&mut *x).await?;
        let Some(id) = id else { return Ok(None) };
        let hooks: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM webhooks WHERE active AND department_id IS NULL \
             AND jurisdiction_code IN ($1, $2, $3, $4, $5, $6) \
             AND ((events = '' AND $8 = 0) OR ',' || events || ',' LIKE '%,' || $7 || ',%') ORDER BY id")
            .bind(&up[0]).bind(&up[1]).bind(&up[2]).bind(&up[3]).bind(&up[4]).bind(&up[5])
            .bind(&e.kind).bind(i32::from(opt_in)).fetch_all(&mut *x).await?;
        (id, hooks)
    });
    queue_deliveries(tx, Carried::Event, id, &hooks, at, body).await?;
    Ok(Some(id))
}

/// A hand-over not acknowledged by its due time.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OverdueHandoverRow {
    pub id: i64,
    pub to_code: String,
    pub to_name: String,
    pub checkpoint_name: String,
    pub due_at: DateTime<Utc>,
}

/// A passage at a checkpoint that registered fevers.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FeverPassageRow {
    pub id: i64,
    pub checkpoint_id: i64,
    pub checkpoint_name: String,
    pub jurisdiction_code: String,
    pub passed_at: DateTime<Utc>,
    pub fevers: i32,
}

/// The passages with fevers registered between `since` and `now`.
pub async fn fever_passages(
    db: &Db,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<FeverPassageRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, FeverPassageRow>(
        "SELECT s.id, s.checkpoint_id, c.name AS checkpoint_name, c.jurisdiction_code, s.passed_at, \
         s.fevers \
         FROM passages s JOIN checkpoints c ON c.id = s.checkpoint_id \
         WHERE s.fevers > 0 AND s.passed_at > $1 AND s.passed_at <= $2 ORDER BY s.id")
        .bind(since).bind(now).fetch_all(p).await?))
}

/// The keys of the events of a kind written after `since`: what a pass need not try again.
pub async fn event_keys_since(db: &Db, kind: &str, since: DateTime<Utc>) -> Result<Vec<String>> {
    Ok(on_db!(db, p => sqlx::query_scalar(
        "SELECT event_key FROM channel_events WHERE kind = $1 AND created_at > $2")
        .bind(kind).bind(since).fetch_all(p).await?))
}

/// The places of the leaders' accounts in use: where the daily briefing is pushed.
pub async fn leader_places(db: &Db) -> Result<Vec<String>> {
    Ok(on_db!(db, p => sqlx::query_scalar(
        "SELECT DISTINCT u.jurisdiction_code FROM users u JOIN user_roles r ON r.user_id = u.id \
         WHERE r.role = 'leader' AND NOT u.disabled ORDER BY u.jurisdiction_code")
        .fetch_all(p).await?))
}

/// The kind of the event that sends a file (the daily briefing's Word document).
pub const FILE_KIND: &str = "briefing_file";

/// Writes the event of a file with its bytes and, for every active 企业微信 / 政务微信
/// channel of its place or a place above it taking `takes` (or every event), a delivery. Writes
/// nothing when no such channel exists or its key was written before; returns the event's id.
#[allow(clippy::too_many_arguments)]
pub async fn insert_file_event(
    tx: &mut Tx,
    e: &NewPlaceEvent,
    takes: &str,
    file_name: &str,
    bytes: &[u8],
    at: DateTime<Utc>,
    body: &(dyn Fn(i64) -> String + Sync),
) -> Result<Option<i64>> {
    let up = lineage6(&e.place_code);
    let out = on_tx!(tx, x => {
        let hooks: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM webhooks WHERE active AND department_id IS NULL AND kind = 'wecom' \
             AND jurisdiction_code IN ($1, $2, $3, $4, $5, $6) \
             AND (events = '' OR ',' || events || ',' LIKE '%,' || $7 || ',%') ORDER BY id")
            .bind(&up[0]).bind(&up[1]).bind(&up[2]).bind(&up[3]).bind(&up[4]).bind(&up[5])
            .bind(takes).fetch_all(&mut *x).await?;
        if hooks.is_empty() {
            return Ok(None);
        }
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO channel_events (event_key, kind, place_code, message, path, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_key) DO NOTHING RETURNING id")
            .bind(&e.key).bind(FILE_KIND).bind(&e.place_code).bind(&e.message).bind(&e.path).bind(at)
            .fetch_optional(&mut *x).await?;
        let Some(id) = id else { return Ok(None) };
        sqlx::query("INSERT INTO channel_files (event_id, file_name, bytes) VALUES ($1, $2, $3)")
            .bind(id).bind(file_name).bind(bytes).execute(&mut *x).await?;
        (id, hooks)
    });
    let (id, hooks) = out;
    queue_deliveries(tx, Carried::Event, id, &hooks, at, body).await?;
    Ok(Some(id))
}

/// The file of an event: its name and bytes.
pub async fn channel_file(db: &Db, event_id: i64) -> Result<Option<(String, Vec<u8>)>> {
    Ok(on_db!(db, p => sqlx::query_as(
        "SELECT file_name, bytes FROM channel_files WHERE event_id = $1")
        .bind(event_id).fetch_optional(p).await?))
}

/// Where a search of the scheduler stopped: a time, the last row's id, a day.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Mark {
    pub at: Option<DateTime<Utc>>,
    pub last_id: i64,
    pub day: Option<NaiveDate>,
}

pub async fn mark(db: &Db, name: &str) -> Result<Option<Mark>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, Mark>(
        "SELECT at, last_id, day FROM scheduler_marks WHERE name = $1")
        .bind(name).fetch_optional(p).await?))
}

pub async fn set_mark(db: &Db, name: &str, m: &Mark) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "INSERT INTO scheduler_marks (name, at, last_id, day) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO UPDATE SET at = excluded.at, last_id = excluded.last_id, day = excluded.day")
        .bind(name).bind(m.at).bind(m.last_id).bind(m.day).execute(p).await.map(|_| ())?);
    Ok(())
}

/// How long the scheduler waits for the transactions writing a followed table on
/// PostgreSQL before it leaves that search to its next round.
const SETTLE_WAIT_MS: u32 = 50;

/// The highest id of a table the scheduler follows (0 when empty) below which no row can
/// still appear, or `None` when that cannot be known now (the search waits for the next
/// round). On SQLite the one writer gives ids in the order it commits, so the highest id
/// is. On PostgreSQL a transaction that took a lower id may still be writing when a later
/// one has committed, and a mark set past it would skip its row for good: a SHARE lock on
/// the table waits for the transactions writing it (every one that took an id holds the
/// table's ROW EXCLUSIVE lock until it ends), for [`SETTLE_WAIT_MS`] at most, and the
/// highest id is read under it; new writers wait for that moment only.
pub async fn last_id(db: &Db, table: Followed) -> Result<Option<i64>> {
    let max = format!("SELECT COALESCE(MAX(id), 0) FROM {}", table.name());
    match db {
        Db::Sqlite(p) => Ok(Some(sqlx::query_scalar::<_, i64>(&max).fetch_one(p).await?)),
        Db::Postgres(p) => {
            let mut tx = p.begin().await?;
            sqlx::query(&format!("SET LOCAL lock_timeout = '{SETTLE_WAIT_MS}ms'"))
                .execute(&mut *tx)
                .await?;
            let locked = sqlx::query(&format!("LOCK TABLE {} IN SHARE MODE", table.name()))
                .execute(&mut *tx)
                .await;
            match locked {
                Ok(_) => {}
                // lock_not_available: a writer is still at it.
                Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("55P03") => {
                    tx.rollback().await?;
                    return Ok(None);
                }
                Err(e) => return Err(e.into()),
            }
            let id = sqlx::query_scalar::<_, i64>(&max)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Some(id))
        }
    }
}

/// The tables whose new rows the scheduler follows by id.
#[derive(Debug, Clone, Copy)]
pub enum Followed {
    Handovers,
    Passages,
    StockMovements,
}

impl Followed {
    fn name(self) -> &'static str {
        match self {
            Followed::Handovers => "handovers",
            Followed::Passages => "passages",
            Followed::StockMovements => "stock_movements",
        }
    }
}

const OVERDUE_SELECT: &str =
    "SELECT h.id, h.to_code, COALESCE(j.name, h.to_code) AS to_name, c.name AS checkpoint_name, h.due_at \
     FROM handovers h JOIN passages s ON s.id = h.passage_id JOIN checkpoints c ON c.id = s.checkpoint_id \
     LEFT JOIN jurisdictions j ON j.code = h.to_code";

/// The statement of the hand-overs still pending that came due after `$1` and by `$2` (on the
/// index of pending hand-overs by due time).
pub const COME_DUE_SQL: &str = "SELECT h.id FROM handovers h \
     WHERE h.status = 'pending' AND h.due_at > $1 AND h.due_at <= $2";

/// The hand-overs still pending that came due after `since` and by `now`, and those written
/// since the last look (ids in `(after, upto]`) already due by `since`.
pub async fn overdue_handovers_since(
    db: &Db,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    after: i64,
    upto: i64,
) -> Result<Vec<OverdueHandoverRow>> {
    let sql = format!(
        "{OVERDUE_SELECT} WHERE h.id IN ({COME_DUE_SQL} UNION SELECT n.id FROM handovers n \
         WHERE n.id > $3 AND n.id <= $4 AND n.status = 'pending' AND n.due_at <= $1) ORDER BY h.id"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, OverdueHandoverRow>(&sql)
        .bind(since).bind(now).bind(after).bind(upto).fetch_all(p).await?),
    )
}

/// The passages with fevers among those written with ids in `(after, upto]`.
pub async fn fever_passages_after(db: &Db, after: i64, upto: i64) -> Result<Vec<FeverPassageRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, FeverPassageRow>(
        "SELECT s.id, s.checkpoint_id, c.name AS checkpoint_name, c.jurisdiction_code, s.passed_at, \
         s.fevers \
         FROM passages s JOIN checkpoints c ON c.id = s.checkpoint_id \
         WHERE s.id > $1 AND s.id <= $2 AND s.fevers > 0 ORDER BY s.id")
        .bind(after).bind(upto).fetch_all(p).await?))
}

/// The places of the stores whose stock moved in the movements with ids in `(after, upto]`,
/// with the (store, item) pairs that moved.
pub async fn moved_lines_after(db: &Db, after: i64, upto: i64) -> Result<Vec<(i64, i64, String)>> {
    Ok(on_db!(db, p => sqlx::query_as(
        "SELECT DISTINCT st.id, m.item_id, st.jurisdiction_code FROM stock_movements m \
         JOIN supply_stores st ON st.id = m.from_store_id OR st.id = m.to_store_id \
         WHERE m.id > $1 AND m.id <= $2 ORDER BY st.id, m.item_id")
        .bind(after).bind(upto).fetch_all(p).await?))
}
