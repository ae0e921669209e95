//! Tickets, the calls on departments, their timeline and attachments.

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, Utc};
use dualtrack_domain::jurisdiction::Scope;

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct TicketRow {
        pub id: i64,
        pub place_name: String,
        pub status: String,
        pub level_code: String,
        pub level_name: String,
        pub escalations: i32,
        pub raised_at: DateTime<Utc>,
        pub resolved_at: Option<DateTime<Utc>>,
        pub closed_at: Option<DateTime<Utc>>,
        pub rating: Option<i32>,
        pub feedback: Option<String>,
        pub reopened: i32,
    }
    #[derive(Debug, Clone)]
    pub struct NewTicket {}
    both {
        pub kind: String,
        pub category: String,
        pub title: String,
        pub description: String,
        pub jurisdiction_code: String,
        pub address: String,
        pub raiser_kind: String,
        pub raiser_name: String,
        pub source_kind: Option<String>,
        pub source_id: Option<i64>,
        pub enterprise_id: Option<i64>,
        pub org_id: Option<i64>,
        pub accept_due_at: DateTime<Utc>,
        pub resolve_due_at: DateTime<Utc>,
        pub raised_by: String,
        pub raised_by_user: Option<i64>,
    }
}

const TICKET_SELECT: &str = "SELECT t.id, t.kind, t.category, t.title, t.description, t.jurisdiction_code, \
     COALESCE(j.name, t.jurisdiction_code) AS place_name, t.address, t.raiser_kind, t.raiser_name, t.source_kind, \
     t.source_id, t.enterprise_id, t.org_id, t.status, t.level_code, COALESCE(l.name, t.level_code) AS level_name, \
     t.escalations, t.accept_due_at, t.resolve_due_at, t.raised_by, t.raised_by_user, t.raised_at, t.resolved_at, \
     t.closed_at, t.rating, t.feedback, t.reopened FROM tickets t \
     LEFT JOIN jurisdictions j ON j.code = t.jurisdiction_code LEFT JOIN jurisdictions l ON l.code = t.level_code";

pub async fn insert_ticket(tx: &mut Tx, t: &NewTicket, at: DateTime<Utc>) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO tickets (kind, category, title, description, jurisdiction_code, address, raiser_kind, raiser_name, \
         source_kind, source_id, enterprise_id, org_id, status, level_code, escalations, accept_due_at, resolve_due_at, \
         raised_by, raised_by_user, raised_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'open', $5, 0, $13, $14, $15, $16, $17, $17) RETURNING id")
        .bind(&t.kind).bind(&t.category).bind(&t.title).bind(&t.description).bind(&t.jurisdiction_code)
        .bind(&t.address).bind(&t.raiser_kind).bind(&t.raiser_name).bind(&t.source_kind).bind(t.source_id)
        .bind(t.enterprise_id).bind(t.org_id).bind(t.accept_due_at).bind(t.resolve_due_at).bind(&t.raised_by)
        .bind(t.raised_by_user).bind(at)
        .fetch_one(&mut *x).await?))
}

pub async fn insert_call(
    tx: &mut Tx,
    ticket_id: i64,
    department_id: i64,
    routed: bool,
    at: DateTime<Utc>,
    accept_due_at: DateTime<Utc>,
) -> Result<()> {
    on_tx!(tx, x => sqlx::query(
        "INSERT INTO ticket_calls (ticket_id, department_id, routed, status, called_at, accept_due_at) \
         VALUES ($1, $2, $3, 'called', $4, $5)")
        .bind(ticket_id).bind(department_id).bind(routed).bind(at).bind(accept_due_at).execute(&mut *x).await.map(|_| ())?);
    Ok(())
}

pub async fn ticket(db: &Db, id: i64) -> Result<Option<TicketRow>> {
    let sql = format!("{TICKET_SELECT} WHERE t.id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, TicketRow>(&sql).bind(id).fetch_optional(p).await?))
}

/// The ticket as seen inside a write transaction.
pub async fn ticket_in(tx: &mut Tx, id: i64) -> Result<Option<TicketRow>> {
    let sql = format!("{TICKET_SELECT} WHERE t.id = $1");
    Ok(
        on_tx!(tx, x => sqlx::query_as::<_, TicketRow>(&sql).bind(id).fetch_optional(&mut *x).await?),
    )
}

/// What a list of tickets is filtered by (the scope comes apart).
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub status: Option<String>,
    pub kind: Option<String>,
    pub category: Option<String>,
    /// Only tickets calling this department.
    pub department_id: Option<i64>,
    /// Only tickets supervised at exactly this level now (escalated to it).
    pub level_code: Option<String>,
    /// Only tickets raised by this account.
    pub raised_by_user: Option<i64>,
    /// Only live tickets past a deadline at this time.
    pub overdue_at: Option<DateTime<Utc>>,
    /// Only tickets raised from this record.
    pub source_kind: Option<String>,
    pub source_id: Option<i64>,
    /// Only tickets raised up to this time (the app's now: a later one is not raised yet).
    pub raised_until: Option<DateTime<Utc>>,
}

pub async fn tickets(
    db: &Db,
    scope: &Scope,
    f: &TicketFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<TicketRow>> {
    let (lo, hi) = scope.range();
    let sql = format!(
        "{TICKET_SELECT} WHERE t.jurisdiction_code >= $1 AND t.jurisdiction_code < $2 \
         AND ($3 IS NULL OR t.status = $3) AND ($4 IS NULL OR t.kind = $4) AND ($5 IS NULL OR t.category = $5) \
         AND ($6 IS NULL OR EXISTS (SELECT 1 FROM ticket_calls c WHERE c.ticket_id = t.id AND c.department_id = $6)) \
         AND ($7 IS NULL OR t.level_code = $7) AND ($8 IS NULL OR t.raised_by_user = $8) \
         AND ($9 IS NULL OR (t.status IN ('open', 'working') AND (t.resolve_due_at < $9 OR EXISTS \
              (SELECT 1 FROM ticket_calls c WHERE c.ticket_id = t.id AND c.status = 'called' AND c.accept_due_at < $9)))) \
         AND ($10 IS NULL OR t.source_kind = $10) AND ($11 IS NULL OR t.source_id = $11) \
         AND ($14 IS NULL OR t.raised_at <= $14) \
         ORDER BY t.id DESC LIMIT $12 OFFSET $13"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, TicketRow>(&sql).bind(&lo).bind(&hi)
        .bind(&f.status).bind(&f.kind).bind(&f.category).bind(f.department_id).bind(&f.level_code)
        .bind(f.raised_by_user).bind(f.overdue_at).bind(&f.source_kind).bind(f.source_id)
        .bind(limit).bind(offset).bind(f.raised_until).fetch_all(p).await?),
    )
}

/// Live tickets (open or working), for the scheduler.
pub async fn live_ticket_ids(db: &Db) -> Result<Vec<i64>> {
    Ok(on_db!(db, p => sqlx::query_scalar(
        "SELECT id FROM tickets WHERE status IN ('open', 'working') ORDER BY id")
        .fetch_all(p).await?))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CallRow {
    pub ticket_id: i64,
    pub department_id: i64,
    pub department_name: String,
    pub department_code: String,
    pub routed: bool,
    pub status: String,
    pub called_at: DateTime<Utc>,
    pub accept_due_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub accepted_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<String>,
    pub resolution: Option<String>,
}

const CALL_SELECT: &str = "SELECT c.ticket_id, c.department_id, d.name AS department_name, \
     d.jurisdiction_code AS department_code, c.routed, c.status, c.called_at, c.accept_due_at, c.accepted_at, \
     c.accepted_by, c.resolved_at, c.resolved_by, c.resolution FROM ticket_calls c JOIN departments d ON d.id = c.department_id";

pub async fn calls(db: &Db, ticket_id: i64) -> Result<Vec<CallRow>> {
    let sql = format!("{CALL_SELECT} WHERE c.ticket_id = $1 ORDER BY d.jurisdiction_code, d.name");
    Ok(on_db!(db, p => sqlx::query_as::<_, CallRow>(&sql).bind(ticket_id).fetch_all(p).await?))
}

/// The calls of several tickets at once (for a list).
pub async fn calls_of(db: &Db, ticket_ids: &[i64]) -> Result<Vec<CallRow>> {
    let mut out = Vec::new();
    for chunk in ticket_ids.chunks(500) {
        let ph: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("{CALL_SELECT} WHERE c.ticket_id IN ({}) ORDER BY c.ticket_id, d.jurisdiction_code, d.name", ph.join(", "));
        let rows: Vec<CallRow> = on_db!(db, p => {
            let mut q = sqlx::query_as::<_, CallRow>(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(p).await?
        });
        out.extend(rows);
    }
    Ok(out)
}

pub async fn calls_in(tx: &mut Tx, ticket_id: i64) -> Result<Vec<CallRow>> {
    let sql = format!("{CALL_SELECT} WHERE c.ticket_id = $1 ORDER BY d.jurisdiction_code, d.name");
    Ok(
        on_tx!(tx, x => sqlx::query_as::<_, CallRow>(&sql).bind(ticket_id).fetch_all(&mut *x).await?),
    )
}

/// A called department reports; false if it had already (or was not called).
pub async fn accept_call(
    tx: &mut Tx,
    ticket_id: i64,
    department_id: i64,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    Ok(on_tx!(tx, x => sqlx::query(
        "UPDATE ticket_calls SET status = 'accepted', accepted_at = $3, accepted_by = $4 \
         WHERE ticket_id = $1 AND department_id = $2 AND status = 'called'")
        .bind(ticket_id).bind(department_id).bind(at).bind(by)
        .execute(&mut *x).await?.rows_affected() == 1))
}

/// An accepted department resolves; false unless it was accepted and unresolved.
pub async fn resolve_call(
    tx: &mut Tx,
    ticket_id: i64,
    department_id: i64,
    resolution: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    Ok(on_tx!(tx, x => sqlx::query(
        "UPDATE ticket_calls SET status = 'resolved', resolved_at = $3, resolved_by = $4, resolution = $5 \
         WHERE ticket_id = $1 AND department_id = $2 AND status = 'accepted'")
        .bind(ticket_id).bind(department_id).bind(at).bind(by).bind(resolution)
        .execute(&mut *x).await?.rows_affected() == 1))
}

/// Sets a ticket's status (only from `from`); false if it was not in `from`.
pub async fn set_status(
    tx: &mut Tx,
    id: i64,
    from: &[&str],
    to: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let f = |i: usize| from.get(i).copied().unwrap_or("");
    Ok(on_tx!(tx, x => sqlx::query(
        "UPDATE tickets SET status = $2, updated_at = $3, \
         resolved_at = CASE WHEN $2 = 'resolved' THEN $3 ELSE resolved_at END \
         WHERE id = $1 AND status IN ($4, $5, $6)")
        .bind(id).bind(to).bind(at).bind(f(0)).bind(f(1)).bind(f(2))
        .execute(&mut *x).await?.rows_affected() == 1))
}

/// The whistler confirms a resolved ticket and rates it.
pub async fn close_ticket(
    tx: &mut Tx,
    id: i64,
    rating: i32,
    feedback: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    Ok(on_tx!(tx, x => sqlx::query(
        "UPDATE tickets SET status = 'closed', closed_at = $2, rating = $3, feedback = $4, updated_at = $2 \
         WHERE id = $1 AND status = 'resolved'")
        .bind(id).bind(at).bind(rating).bind(feedback)
        .execute(&mut *x).await?.rows_affected() == 1))
}

/// The whistler rejects a resolved ticket: it reopens, every department back at work with a
/// new resolution deadline.
pub async fn reopen_ticket(
    tx: &mut Tx,
    id: i64,
    rating: Option<i32>,
    feedback: &str,
    resolve_due_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Result<bool> {
    on_tx!(tx, x => {
        let n = sqlx::query(
            "UPDATE tickets SET status = 'working', resolved_at = NULL, rating = $2, feedback = $3, \
             resolve_due_at = $4, reopened = reopened + 1, updated_at = $5 WHERE id = $1 AND status = 'resolved'")
            .bind(id).bind(rating).bind(feedback).bind(resolve_due_at).bind(at)
            .execute(&mut *x).await?.rows_affected();
        if n != 1 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE ticket_calls SET status = 'accepted', resolved_at = NULL, resolved_by = NULL \
             WHERE ticket_id = $1 AND status = 'resolved'")
            .bind(id).execute(&mut *x).await?;
        Ok(true)
    })
}

pub async fn link_problem(tx: &mut Tx, problem_id: i64, ticket_id: i64) -> Result<bool> {
    Ok(on_tx!(tx, x => sqlx::query(
        "UPDATE production_problems SET ticket_id = $2 WHERE id = $1 AND ticket_id IS NULL")
        .bind(problem_id).bind(ticket_id).execute(&mut *x).await?.rows_affected() == 1))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub ticket_id: i64,
    pub at: DateTime<Utc>,
    pub event: String,
    pub department_id: Option<i64>,
    pub department_name: Option<String>,
    pub actor: String,
    pub note: String,
}

pub async fn insert_event(
    tx: &mut Tx,
    ticket_id: i64,
    at: DateTime<Utc>,
    event: &str,
    department_id: Option<i64>,
    actor: &str,
    note: &str,
) -> Result<()> {
    on_tx!(tx, x => sqlx::query(
        "INSERT INTO ticket_events (ticket_id, at, event, department_id, actor, note) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(ticket_id).bind(at).bind(event).bind(department_id).bind(actor).bind(note)
        .execute(&mut *x).await.map(|_| ())?);
    Ok(())
}

pub async fn events(db: &Db, ticket_id: i64) -> Result<Vec<EventRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, EventRow>(
        "SELECT e.id, e.ticket_id, e.at, e.event, e.department_id, d.name AS department_name, e.actor, e.note \
         FROM ticket_events e LEFT JOIN departments d ON d.id = e.department_id WHERE e.ticket_id = $1 ORDER BY e.at, e.id")
        .bind(ticket_id).fetch_all(p).await?))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttachmentRow {
    pub id: i64,
    pub ticket_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_attachment(
    tx: &mut Tx,
    ticket_id: i64,
    file_name: &str,
    content_type: &str,
    sha256: &str,
    content: &[u8],
    by: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO ticket_attachments (ticket_id, file_name, content_type, size, sha256, content, uploaded_by, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
        .bind(ticket_id).bind(file_name).bind(content_type).bind(content.len() as i64).bind(sha256).bind(content)
        .bind(by).bind(at).fetch_one(&mut *x).await?))
}

pub async fn attachments(db: &Db, ticket_id: i64) -> Result<Vec<AttachmentRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, AttachmentRow>(
        "SELECT id, ticket_id, file_name, content_type, size, sha256, uploaded_by, uploaded_at \
         FROM ticket_attachments WHERE ticket_id = $1 ORDER BY id")
        .bind(ticket_id).fetch_all(p).await?))
}

pub async fn attachment(db: &Db, id: i64) -> Result<Option<(AttachmentRow, Vec<u8>)>> {
    let row = on_db!(db, p => sqlx::query_as::<_, AttachmentRow>(
        "SELECT id, ticket_id, file_name, content_type, size, sha256, uploaded_by, uploaded_at \
         FROM ticket_attachments WHERE id = $1")
        .bind(id).fetch_optional(p).await?);
    let Some(row) = row else { return Ok(None) };
    let content: Vec<u8> = on_db!(db, p => sqlx::query_scalar(
        "SELECT content FROM ticket_attachments WHERE id = $1").bind(id).fetch_one(p).await?);
    Ok(Some((row, content)))
}
