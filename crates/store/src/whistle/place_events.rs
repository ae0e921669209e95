//! Events at a place that channels carry besides tickets, each written once under its key
//! with the deliveries to the channels that take it; and what the scheduler reads to find
//! them (hand-overs overdue, fevers registered at checkpoints).

use super::{lineage6, queue_deliveries, Carried};
use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, Utc};

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

/// The hand-overs still unacknowledged whose due time fell between `since` and `now`.
pub async fn overdue_handovers(
    db: &Db,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<OverdueHandoverRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, OverdueHandoverRow>(
        "SELECT h.id, h.to_code, COALESCE(j.name, h.to_code) AS to_name, c.name AS checkpoint_name, h.due_at \
         FROM handovers h JOIN passages s ON s.id = h.passage_id JOIN checkpoints c ON c.id = s.checkpoint_id \
         LEFT JOIN jurisdictions j ON j.code = h.to_code \
         WHERE h.status = 'pending' AND h.due_at > $1 AND h.due_at <= $2 ORDER BY h.id")
        .bind(since).bind(now).fetch_all(p).await?))
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
