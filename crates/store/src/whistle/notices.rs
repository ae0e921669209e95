//! Notices and the webhook outbox.

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, Utc};
use dualtrack_domain::jurisdiction::Scope;

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct NoticeRow {
        pub id: i64,
        pub created_at: DateTime<Utc>,
        pub read_at: Option<DateTime<Utc>>,
        pub read_by: Option<String>,
    }
    #[derive(Debug, Clone)]
    pub struct NewNotice {}
    both {
        pub ticket_id: i64,
        pub event: String,
        pub message: String,
        pub user_id: Option<i64>,
        pub department_id: Option<i64>,
        pub jurisdiction_code: Option<String>,
        pub place_code: String,
    }
}

/// Writes a notice to an inbox and, for every active webhook of that inbox (the
/// department's, or the place's), a delivery in the outbox with the body to send — in the
/// caller's transaction, so a notice and its deliveries stand or fall together.
pub async fn insert_notice(
    tx: &mut Tx,
    n: &NewNotice,
    at: DateTime<Utc>,
    body: &(dyn Fn(i64) -> String + Sync),
) -> Result<i64> {
    let (id, hooks) = on_tx!(tx, x => {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO notices (ticket_id, event, message, user_id, department_id, jurisdiction_code, place_code, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
            .bind(n.ticket_id).bind(&n.event).bind(&n.message).bind(n.user_id).bind(n.department_id)
            .bind(&n.jurisdiction_code).bind(&n.place_code).bind(at).fetch_one(&mut *x).await?;
        let hooks: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM webhooks WHERE active AND ((department_id IS NOT NULL AND department_id = $1) \
             OR (department_id IS NULL AND jurisdiction_code = $2)) \
             AND (events = '' OR ',' || events || ',' LIKE '%,' || $3 || ',%') ORDER BY id")
            .bind(n.department_id).bind(&n.jurisdiction_code).bind(&n.event).fetch_all(&mut *x).await?;
        (id, hooks)
    });
    queue_deliveries(tx, Carried::Notice, id, &hooks, at, body).await?;
    Ok(id)
}

/// What a delivery carries: a notice, or a place's event.
#[derive(Debug, Clone, Copy)]
pub enum Carried {
    Notice,
    Event,
}

/// Writes a pending delivery of the notice or event `id` to each of `hooks`, with the body to
/// send (written once for all).
pub async fn queue_deliveries(
    tx: &mut Tx,
    carried: Carried,
    id: i64,
    hooks: &[i64],
    at: DateTime<Utc>,
    body: &(dyn Fn(i64) -> String + Sync),
) -> Result<()> {
    if hooks.is_empty() {
        return Ok(());
    }
    let column = match carried {
        Carried::Notice => "notice_id",
        Carried::Event => "event_id",
    };
    let sql = format!(
        "INSERT INTO webhook_deliveries (webhook_id, {column}, body, status, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, 'pending', 0, $4, $4) ON CONFLICT (webhook_id, {column}) DO NOTHING"
    );
    let text = body(id);
    on_tx!(tx, x => {
        for h in hooks {
            sqlx::query(&sql).bind(*h).bind(id).bind(&text).bind(at).execute(&mut *x).await?;
        }
    });
    Ok(())
}

const NOTICE_SELECT: &str =
    "SELECT id, ticket_id, event, message, user_id, department_id, jurisdiction_code, \
     place_code, created_at, read_at, read_by FROM notices";

/// The inbox of a user: notices to the user, to its department, and to its place, written
/// up to `until` (the app's now).
pub async fn inbox(
    db: &Db,
    user_id: i64,
    department_id: Option<i64>,
    place: &str,
    unread_only: bool,
    until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<NoticeRow>> {
    let sql = format!(
        "{NOTICE_SELECT} WHERE (user_id = $1 OR ($2 IS NOT NULL AND department_id = $2) OR jurisdiction_code = $3) \
         AND ($4 = 0 OR read_at IS NULL) AND created_at <= $6 ORDER BY id DESC LIMIT $5"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, NoticeRow>(&sql).bind(user_id).bind(department_id).bind(place)
        .bind(i32::from(unread_only)).bind(limit).bind(until).fetch_all(p).await?),
    )
}

/// How many notices of the inbox, written up to `until`, are unread.
pub async fn unread_count(
    db: &Db,
    user_id: i64,
    department_id: Option<i64>,
    place: &str,
    until: DateTime<Utc>,
) -> Result<i64> {
    Ok(on_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM notices WHERE (user_id = $1 OR ($2 IS NOT NULL AND department_id = $2) OR jurisdiction_code = $3) \
         AND read_at IS NULL AND created_at <= $4")
        .bind(user_id).bind(department_id).bind(place).bind(until).fetch_one(p).await?))
}

pub async fn notice(db: &Db, id: i64) -> Result<Option<NoticeRow>> {
    let sql = format!("{NOTICE_SELECT} WHERE id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, NoticeRow>(&sql).bind(id).fetch_optional(p).await?))
}

pub async fn mark_read(tx: &mut Tx, id: i64, by: &str, at: DateTime<Utc>) -> Result<bool> {
    Ok(on_tx!(tx, x => sqlx::query(
        "UPDATE notices SET read_at = $2, read_by = $3 WHERE id = $1 AND read_at IS NULL")
        .bind(id).bind(at).bind(by).execute(&mut *x).await?.rows_affected() == 1))
}

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct WebhookRow {
        pub id: i64,
        pub department_name: Option<String>,
        pub active: bool,
    }
    #[derive(Debug, Clone)]
    pub struct NewWebhook {
        pub created_by: String,
    }
    both {
        pub jurisdiction_code: String,
        pub department_id: Option<i64>,
        pub name: String,
        pub url: String,
        pub secret: String,
        pub kind: String,
        pub events: String,
        pub mentions: String,
        pub sms_signature: String,
        pub sms_templates: String,
        pub per_minute: i32,
        pub keyword: String,
    }
}

const HOOK_SELECT: &str =
    "SELECT w.id, w.jurisdiction_code, w.department_id, d.name AS department_name, w.name, w.url, \
     w.secret, w.active, w.kind, w.events, w.mentions, w.sms_signature, w.sms_templates, w.per_minute, w.keyword \
     FROM webhooks w LEFT JOIN departments d ON d.id = w.department_id";

pub async fn insert_webhook(tx: &mut Tx, w: &NewWebhook, at: DateTime<Utc>) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO webhooks (jurisdiction_code, department_id, name, url, secret, active, created_by, created_at, \
         kind, events, mentions, sms_signature, sms_templates, per_minute, keyword) \
         VALUES ($1, $2, $3, $4, $5, TRUE, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id")
        .bind(&w.jurisdiction_code).bind(w.department_id).bind(&w.name).bind(&w.url).bind(&w.secret)
        .bind(&w.created_by).bind(at).bind(&w.kind).bind(&w.events).bind(&w.mentions)
        .bind(&w.sms_signature).bind(&w.sms_templates).bind(w.per_minute).bind(&w.keyword).fetch_one(&mut *x).await?))
}

pub async fn webhook(db: &Db, id: i64) -> Result<Option<WebhookRow>> {
    let sql = format!("{HOOK_SELECT} WHERE w.id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, WebhookRow>(&sql).bind(id).fetch_optional(p).await?))
}

pub async fn webhooks(db: &Db, scope: &Scope) -> Result<Vec<WebhookRow>> {
    let (lo, hi) = scope.range();
    let sql = format!(
        "{HOOK_SELECT} WHERE w.jurisdiction_code >= $1 AND w.jurisdiction_code < $2 ORDER BY w.id"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, WebhookRow>(&sql).bind(&lo).bind(&hi).fetch_all(p).await?),
    )
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: i64,
    pub webhook_id: i64,
    /// What it carries: a notice, or a place's event.
    pub notice_id: Option<i64>,
    pub event_id: Option<i64>,
    pub body: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The request that carried it, and how many deliveries that request carried.
    pub send_id: Option<i64>,
    pub send_items: Option<i32>,
}

const DELIVERY_SELECT: &str =
    "SELECT d.id, d.webhook_id, d.notice_id, d.event_id, d.body, d.status, d.attempts, d.next_attempt_at, d.last_status, \
     d.last_error, d.delivered_at, d.created_at, d.send_id, s.items AS send_items \
     FROM webhook_deliveries d LEFT JOIN channel_sends s ON s.id = d.send_id";

pub async fn deliveries(db: &Db, webhook_id: i64, limit: i64) -> Result<Vec<DeliveryRow>> {
    let sql = format!("{DELIVERY_SELECT} WHERE d.webhook_id = $1 ORDER BY d.id DESC LIMIT $2");
    Ok(
        on_db!(db, p => sqlx::query_as::<_, DeliveryRow>(&sql).bind(webhook_id).bind(limit).fetch_all(p).await?),
    )
}

/// The channels with deliveries pending and due by `now`.
pub async fn due_channels(db: &Db, now: DateTime<Utc>) -> Result<Vec<i64>> {
    Ok(on_db!(db, p => sqlx::query_scalar(
        "SELECT DISTINCT webhook_id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 \
         ORDER BY webhook_id")
        .bind(now).fetch_all(p).await?))
}

/// A channel's pending deliveries due by `now`, the oldest first.
pub async fn due_deliveries(
    db: &Db,
    webhook_id: i64,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<DeliveryRow>> {
    let sql = format!(
        "{DELIVERY_SELECT} WHERE d.webhook_id = $1 AND d.status = 'pending' AND d.next_attempt_at <= $2 \
         ORDER BY d.next_attempt_at, d.id LIMIT $3"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, DeliveryRow>(&sql).bind(webhook_id).bind(now).bind(limit).fetch_all(p).await?),
    )
}

/// How many requests were made to a channel after `since` (the start of its rate window).
pub async fn sends_since(db: &Db, webhook_id: i64, since: DateTime<Utc>) -> Result<i64> {
    Ok(on_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM channel_sends WHERE webhook_id = $1 AND sent_at > $2")
        .bind(webhook_id).bind(since).fetch_one(p).await?))
}

/// Records a request made to a channel carrying `items` deliveries.
pub async fn record_send(
    tx: &mut Tx,
    webhook_id: i64,
    at: DateTime<Utc>,
    items: i32,
    ok: bool,
) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO channel_sends (webhook_id, sent_at, items, ok) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(webhook_id).bind(at).bind(items).bind(ok).fetch_one(&mut *x).await?))
}

/// Takes a delivery for one attempt: only one instance gets it until `until` (wall time).
pub async fn claim_delivery(
    db: &Db,
    id: i64,
    wall_now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool> {
    Ok(on_db!(db, p => sqlx::query(
        "UPDATE webhook_deliveries SET lease_until = $3 WHERE id = $1 AND status = 'pending' \
         AND (lease_until IS NULL OR lease_until < $2)")
        .bind(id).bind(wall_now).bind(until).execute(p).await?.rows_affected() == 1))
}

/// Gives a claimed delivery back, unattempted.
pub async fn release_delivery(db: &Db, id: i64) -> Result<()> {
    on_db!(db, p => sqlx::query("UPDATE webhook_deliveries SET lease_until = NULL WHERE id = $1")
        .bind(id).execute(p).await.map(|_| ())?);
    Ok(())
}

/// Records the outcome of an attempt: delivered, or the next attempt (or given up).
#[allow(clippy::too_many_arguments)]
pub async fn finish_attempt(
    db: &Db,
    id: i64,
    send_id: i64,
    status: &str,
    http_status: Option<i32>,
    error: Option<&str>,
    next_attempt_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, last_status = $3, last_error = $4, \
         next_attempt_at = $5, delivered_at = $6, lease_until = NULL, send_id = $7 WHERE id = $1")
        .bind(id).bind(status).bind(http_status).bind(error).bind(next_attempt_at).bind(delivered_at).bind(send_id)
        .execute(p).await.map(|_| ())?);
    Ok(())
}
