//! Whistle and report-back (吹哨报到): departments and their members, routing rules,
//! tickets with their called departments, timeline, escalation steps and attachments; the
//! inbox of notices, webhooks and their outbox; the scheduler's lease.
//!
//! Times are stored as given (whole seconds, UTC), as in the other modules.

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, Utc};
use dualtrack_domain::jurisdiction::Scope;

/// The codes from the prefecture-or-province down to `code`, padded to six with `code`
/// itself, to bind as `IN ($n, …)`: "the departments that answer for this place".
pub fn lineage6(code: &str) -> [String; 6] {
    let mut out: Vec<String> = [2usize, 4, 6, 9, 12, 15]
        .into_iter()
        .filter(|n| *n <= code.len())
        .map(|n| code[..n].to_string())
        .collect();
    while out.len() < 6 {
        out.push(code.to_string());
    }
    [
        out[0].clone(),
        out[1].clone(),
        out[2].clone(),
        out[3].clone(),
        out[4].clone(),
        out[5].clone(),
    ]
}

// ---- departments ----

#[derive(Debug, Clone)]
pub struct NewDepartment {
    pub name: String,
    pub jurisdiction_code: String,
    pub duty: String,
    pub phone: Option<String>,
    pub created_by: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DepartmentRow {
    pub id: i64,
    pub name: String,
    pub jurisdiction_code: String,
    pub duty: String,
    pub phone: Option<String>,
}

const DEPT_SELECT: &str = "SELECT id, name, jurisdiction_code, duty, phone FROM departments";

pub async fn insert_department(tx: &mut Tx, d: &NewDepartment, at: DateTime<Utc>) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO departments (name, jurisdiction_code, duty, phone, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(&d.name).bind(&d.jurisdiction_code).bind(&d.duty).bind(&d.phone).bind(&d.created_by).bind(at)
        .fetch_one(&mut *x).await?))
}

pub async fn department(db: &Db, id: i64) -> Result<Option<DepartmentRow>> {
    let sql = format!("{DEPT_SELECT} WHERE id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, DepartmentRow>(&sql).bind(id).fetch_optional(p).await?))
}

/// Departments by name within a place's lineage, for the demo and lookups.
pub async fn department_by_name(db: &Db, code: &str, name: &str) -> Result<Option<DepartmentRow>> {
    let sql = format!("{DEPT_SELECT} WHERE jurisdiction_code = $1 AND name = $2");
    Ok(
        on_db!(db, p => sqlx::query_as::<_, DepartmentRow>(&sql).bind(code).bind(name).fetch_optional(p).await?),
    )
}

/// The departments that answer for a place: those of the place itself and of every level
/// above it.
pub async fn departments_over(db: &Db, code: &str) -> Result<Vec<DepartmentRow>> {
    let l = lineage6(code);
    let sql = format!(
        "{DEPT_SELECT} WHERE jurisdiction_code IN ($1, $2, $3, $4, $5, $6) ORDER BY jurisdiction_code, name"
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, DepartmentRow>(&sql)
        .bind(&l[0]).bind(&l[1]).bind(&l[2]).bind(&l[3]).bind(&l[4]).bind(&l[5]).fetch_all(p).await?))
}

/// The departments a caller may see: those within its scope, and those above it that
/// answer for it.
pub async fn departments_visible(db: &Db, scope: &Scope) -> Result<Vec<DepartmentRow>> {
    let (lo, hi) = scope.range();
    let l = lineage6(scope.code().map(|c| c.as_str()).unwrap_or(""));
    let sql = format!(
        "{DEPT_SELECT} WHERE (jurisdiction_code >= $1 AND jurisdiction_code < $2) \
         OR jurisdiction_code IN ($3, $4, $5, $6, $7, $8) ORDER BY jurisdiction_code, name"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, DepartmentRow>(&sql).bind(&lo).bind(&hi)
        .bind(&l[0]).bind(&l[1]).bind(&l[2]).bind(&l[3]).bind(&l[4]).bind(&l[5]).fetch_all(p).await?),
    )
}

pub async fn department_of_user(db: &Db, user_id: i64) -> Result<Option<DepartmentRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, DepartmentRow>(
        "SELECT d.id, d.name, d.jurisdiction_code, d.duty, d.phone FROM department_members m \
         JOIN departments d ON d.id = m.department_id WHERE m.user_id = $1")
        .bind(user_id).fetch_optional(p).await?))
}

/// Puts a user in a department (moving it from any other).
pub async fn set_member(
    tx: &mut Tx,
    user_id: i64,
    department_id: i64,
    at: DateTime<Utc>,
) -> Result<()> {
    on_tx!(tx, x => sqlx::query(
        "INSERT INTO department_members (user_id, department_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET department_id = excluded.department_id, created_at = excluded.created_at")
        .bind(user_id).bind(department_id).bind(at).execute(&mut *x).await.map(|_| ())?);
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
}

pub async fn members(db: &Db, department_id: i64) -> Result<Vec<MemberRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, MemberRow>(
        "SELECT u.id AS user_id, u.username, u.display_name FROM department_members m JOIN users u ON u.id = m.user_id \
         WHERE m.department_id = $1 ORDER BY u.username")
        .bind(department_id).fetch_all(p).await?))
}

// ---- routing rules ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RuleRow {
    pub id: i64,
    pub category: String,
    pub jurisdiction_code: String,
    pub department_id: i64,
    pub department_name: String,
    pub department_code: String,
}

const RULE_SELECT: &str = "SELECT r.id, r.category, r.jurisdiction_code, r.department_id, d.name AS department_name, \
     d.jurisdiction_code AS department_code FROM routing_rules r JOIN departments d ON d.id = r.department_id";

/// Adds a rule; an existing identical one is kept. Returns its id.
pub async fn insert_rule(
    tx: &mut Tx,
    category: &str,
    code: &str,
    department_id: i64,
    by: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    on_tx!(tx, x => {
        sqlx::query(
            "INSERT INTO routing_rules (category, jurisdiction_code, department_id, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (category, jurisdiction_code, department_id) DO NOTHING")
            .bind(category).bind(code).bind(department_id).bind(by).bind(at).execute(&mut *x).await?;
        Ok(sqlx::query_scalar(
            "SELECT id FROM routing_rules WHERE category = $1 AND jurisdiction_code = $2 AND department_id = $3")
            .bind(category).bind(code).bind(department_id).fetch_one(&mut *x).await?)
    })
}

/// The rules of a scope and of the places above it.
pub async fn rules_visible(db: &Db, scope: &Scope) -> Result<Vec<RuleRow>> {
    let (lo, hi) = scope.range();
    let l = lineage6(scope.code().map(|c| c.as_str()).unwrap_or(""));
    let sql = format!(
        "{RULE_SELECT} WHERE (r.jurisdiction_code >= $1 AND r.jurisdiction_code < $2) \
         OR r.jurisdiction_code IN ($3, $4, $5, $6, $7, $8) ORDER BY r.jurisdiction_code, r.category, d.name"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, RuleRow>(&sql).bind(&lo).bind(&hi)
        .bind(&l[0]).bind(&l[1]).bind(&l[2]).bind(&l[3]).bind(&l[4]).bind(&l[5]).fetch_all(p).await?),
    )
}

/// The rules of a category set at the place or any level above it.
pub async fn rules_over(db: &Db, category: &str, code: &str) -> Result<Vec<RuleRow>> {
    let l = lineage6(code);
    let sql = format!(
        "{RULE_SELECT} WHERE r.category = $1 AND r.jurisdiction_code IN ($2, $3, $4, $5, $6, $7) \
         ORDER BY r.jurisdiction_code, d.name"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, RuleRow>(&sql).bind(category)
        .bind(&l[0]).bind(&l[1]).bind(&l[2]).bind(&l[3]).bind(&l[4]).bind(&l[5]).fetch_all(p).await?),
    )
}

// ---- tickets ----

#[derive(Debug, Clone)]
pub struct NewTicket {
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

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TicketRow {
    pub id: i64,
    pub kind: String,
    pub category: String,
    pub title: String,
    pub description: String,
    pub jurisdiction_code: String,
    pub place_name: String,
    pub address: String,
    pub raiser_kind: String,
    pub raiser_name: String,
    pub source_kind: Option<String>,
    pub source_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    pub org_id: Option<i64>,
    pub status: String,
    pub level_code: String,
    pub level_name: String,
    pub escalations: i32,
    pub accept_due_at: DateTime<Utc>,
    pub resolve_due_at: DateTime<Utc>,
    pub raised_by: String,
    pub raised_by_user: Option<i64>,
    pub raised_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub rating: Option<i32>,
    pub feedback: Option<String>,
    pub reopened: i32,
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
         ORDER BY t.id DESC LIMIT $12 OFFSET $13"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, TicketRow>(&sql).bind(&lo).bind(&hi)
        .bind(&f.status).bind(&f.kind).bind(&f.category).bind(f.department_id).bind(&f.level_code)
        .bind(f.raised_by_user).bind(f.overdue_at).bind(&f.source_kind).bind(f.source_id)
        .bind(limit).bind(offset).fetch_all(p).await?),
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

// ---- timeline ----

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

// ---- escalation ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StepRow {
    pub ticket_id: i64,
    pub step: i32,
    pub from_code: String,
    pub from_name: String,
    pub to_code: String,
    pub to_name: String,
    pub reason: String,
    pub due_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

#[derive(Debug, Clone)]
pub struct NewStep {
    pub ticket_id: i64,
    pub step: i32,
    pub from_code: String,
    pub to_code: String,
    pub reason: String,
    pub due_at: DateTime<Utc>,
    pub created_by: String,
}

/// Records an escalation step and moves the ticket up to its level. The key (ticket, step)
/// makes a second recording of the same step — by another instance — do nothing: false.
pub async fn insert_step(tx: &mut Tx, s: &NewStep, at: DateTime<Utc>) -> Result<bool> {
    on_tx!(tx, x => {
        let n = sqlx::query(
            "INSERT INTO ticket_escalations (ticket_id, step, from_code, to_code, reason, due_at, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (ticket_id, step) DO NOTHING")
            .bind(s.ticket_id).bind(s.step).bind(&s.from_code).bind(&s.to_code).bind(&s.reason).bind(s.due_at)
            .bind(at).bind(&s.created_by).execute(&mut *x).await?.rows_affected();
        if n != 1 {
            return Ok(false);
        }
        sqlx::query("UPDATE tickets SET level_code = $2, escalations = $3, updated_at = $4 WHERE id = $1")
            .bind(s.ticket_id).bind(&s.to_code).bind(s.step).bind(at).execute(&mut *x).await?;
        Ok(true)
    })
}

pub async fn steps(db: &Db, ticket_id: i64) -> Result<Vec<StepRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, StepRow>(
        "SELECT s.ticket_id, s.step, s.from_code, COALESCE(f.name, s.from_code) AS from_name, s.to_code, \
         COALESCE(t.name, s.to_code) AS to_name, s.reason, s.due_at, s.created_at, s.created_by \
         FROM ticket_escalations s LEFT JOIN jurisdictions f ON f.code = s.from_code \
         LEFT JOIN jurisdictions t ON t.code = s.to_code WHERE s.ticket_id = $1 ORDER BY s.step")
        .bind(ticket_id).fetch_all(p).await?))
}

// ---- attachments ----

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

// ---- notices and the webhook outbox ----

#[derive(Debug, Clone)]
pub struct NewNotice {
    pub ticket_id: i64,
    pub event: String,
    pub message: String,
    pub user_id: Option<i64>,
    pub department_id: Option<i64>,
    pub jurisdiction_code: Option<String>,
    pub place_code: String,
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
    on_tx!(tx, x => {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO notices (ticket_id, event, message, user_id, department_id, jurisdiction_code, place_code, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
            .bind(n.ticket_id).bind(&n.event).bind(&n.message).bind(n.user_id).bind(n.department_id)
            .bind(&n.jurisdiction_code).bind(&n.place_code).bind(at).fetch_one(&mut *x).await?;
        let hooks: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM webhooks WHERE active AND ((department_id IS NOT NULL AND department_id = $1) \
             OR (department_id IS NULL AND jurisdiction_code = $2)) ORDER BY id")
            .bind(n.department_id).bind(&n.jurisdiction_code).fetch_all(&mut *x).await?;
        if !hooks.is_empty() {
            let text = body(id);
            for h in hooks {
                sqlx::query(
                    "INSERT INTO webhook_deliveries (webhook_id, notice_id, body, status, attempts, next_attempt_at, created_at) \
                     VALUES ($1, $2, $3, 'pending', 0, $4, $4) ON CONFLICT (webhook_id, notice_id) DO NOTHING")
                    .bind(h).bind(id).bind(&text).bind(at).execute(&mut *x).await?;
            }
        }
        Ok(id)
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NoticeRow {
    pub id: i64,
    pub ticket_id: i64,
    pub event: String,
    pub message: String,
    pub user_id: Option<i64>,
    pub department_id: Option<i64>,
    pub jurisdiction_code: Option<String>,
    pub place_code: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
    pub read_by: Option<String>,
}

const NOTICE_SELECT: &str =
    "SELECT id, ticket_id, event, message, user_id, department_id, jurisdiction_code, \
     place_code, created_at, read_at, read_by FROM notices";

/// The inbox of a user: notices to the user, to its department, and to its place.
pub async fn inbox(
    db: &Db,
    user_id: i64,
    department_id: Option<i64>,
    place: &str,
    unread_only: bool,
    limit: i64,
) -> Result<Vec<NoticeRow>> {
    let sql = format!(
        "{NOTICE_SELECT} WHERE (user_id = $1 OR ($2 IS NOT NULL AND department_id = $2) OR jurisdiction_code = $3) \
         AND ($4 = 0 OR read_at IS NULL) ORDER BY id DESC LIMIT $5"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, NoticeRow>(&sql).bind(user_id).bind(department_id).bind(place)
        .bind(i32::from(unread_only)).bind(limit).fetch_all(p).await?),
    )
}

pub async fn unread_count(
    db: &Db,
    user_id: i64,
    department_id: Option<i64>,
    place: &str,
) -> Result<i64> {
    Ok(on_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM notices WHERE (user_id = $1 OR ($2 IS NOT NULL AND department_id = $2) OR jurisdiction_code = $3) \
         AND read_at IS NULL")
        .bind(user_id).bind(department_id).bind(place).fetch_one(p).await?))
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

#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub jurisdiction_code: String,
    pub department_id: Option<i64>,
    pub name: String,
    pub url: String,
    pub secret: String,
    pub created_by: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookRow {
    pub id: i64,
    pub jurisdiction_code: String,
    pub department_id: Option<i64>,
    pub department_name: Option<String>,
    pub name: String,
    pub url: String,
    pub secret: String,
    pub active: bool,
}

const HOOK_SELECT: &str =
    "SELECT w.id, w.jurisdiction_code, w.department_id, d.name AS department_name, w.name, w.url, \
     w.secret, w.active FROM webhooks w LEFT JOIN departments d ON d.id = w.department_id";

pub async fn insert_webhook(tx: &mut Tx, w: &NewWebhook, at: DateTime<Utc>) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO webhooks (jurisdiction_code, department_id, name, url, secret, active, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, TRUE, $6, $7) RETURNING id")
        .bind(&w.jurisdiction_code).bind(w.department_id).bind(&w.name).bind(&w.url).bind(&w.secret)
        .bind(&w.created_by).bind(at).fetch_one(&mut *x).await?))
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
    pub notice_id: i64,
    pub body: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

const DELIVERY_SELECT: &str =
    "SELECT id, webhook_id, notice_id, body, status, attempts, next_attempt_at, last_status, \
     last_error, delivered_at, created_at FROM webhook_deliveries";

pub async fn deliveries(db: &Db, webhook_id: i64, limit: i64) -> Result<Vec<DeliveryRow>> {
    let sql = format!("{DELIVERY_SELECT} WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2");
    Ok(
        on_db!(db, p => sqlx::query_as::<_, DeliveryRow>(&sql).bind(webhook_id).bind(limit).fetch_all(p).await?),
    )
}

/// Pending deliveries due by `now`, the oldest first.
pub async fn due_deliveries(db: &Db, now: DateTime<Utc>, limit: i64) -> Result<Vec<DeliveryRow>> {
    let sql = format!(
        "{DELIVERY_SELECT} WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, DeliveryRow>(&sql).bind(now).bind(limit).fetch_all(p).await?),
    )
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

/// Records the outcome of an attempt: delivered, or the next attempt (or given up).
pub async fn finish_attempt(
    db: &Db,
    id: i64,
    status: &str,
    http_status: Option<i32>,
    error: Option<&str>,
    next_attempt_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, last_status = $3, last_error = $4, \
         next_attempt_at = $5, delivered_at = $6, lease_until = NULL WHERE id = $1")
        .bind(id).bind(status).bind(http_status).bind(error).bind(next_attempt_at).bind(delivered_at)
        .execute(p).await.map(|_| ())?);
    Ok(())
}

// ---- the scheduler's lease ----

/// Takes or renews the named lease for `holder` until `until`; false while another holder's
/// lease runs. Times are wall-clock times of the instances.
pub async fn take_lease(
    db: &Db,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool> {
    on_db!(db, p => {
        sqlx::query(
            "INSERT INTO scheduler_leases (name, holder, until) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
            .bind(name).bind("").bind(now).execute(p).await?;
        let n = sqlx::query(
            "UPDATE scheduler_leases SET holder = $2, until = $4 WHERE name = $1 AND (holder = $2 OR until <= $3)")
            .bind(name).bind(holder).bind(now).bind(until).execute(p).await?.rows_affected();
        Ok(n == 1)
    })
}

/// Gives the lease up (on shutdown), so another instance takes over at once.
pub async fn release_lease(db: &Db, name: &str, holder: &str) -> Result<()> {
    on_db!(db, p => sqlx::query("DELETE FROM scheduler_leases WHERE name = $1 AND holder = $2")
        .bind(name).bind(holder).execute(p).await.map(|_| ())?);
    Ok(())
}

// ---- what a ticket is raised from ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GridReportSource {
    pub id: i64,
    pub grid_code: String,
    pub grid_name: String,
    pub report_date: chrono::NaiveDate,
    pub incidents: i64,
    pub high_risk: i64,
    pub remarks: String,
}

pub async fn grid_report_source(db: &Db, id: i64) -> Result<Option<GridReportSource>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, GridReportSource>(
        "SELECT r.id, r.grid_code, COALESCE(j.name, r.grid_code) AS grid_name, r.report_date, \
         CAST(r.incidents AS BIGINT) AS incidents, CAST(r.high_risk AS BIGINT) AS high_risk, r.remarks \
         FROM grid_reports r LEFT JOIN jurisdictions j ON j.code = r.grid_code WHERE r.id = $1")
        .bind(id).fetch_optional(p).await?))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FollowupSource {
    pub id: i64,
    pub case_id: i64,
    pub jurisdiction_code: String,
    pub place_name: String,
    pub kind: String,
    pub followed_at: DateTime<Utc>,
    pub temperature: i64,
    pub symptoms: String,
    pub abnormal: bool,
}

pub async fn followup_source(db: &Db, id: i64) -> Result<Option<FollowupSource>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, FollowupSource>(
        "SELECT f.id, f.case_id, c.jurisdiction_code, COALESCE(j.name, c.jurisdiction_code) AS place_name, c.kind, \
         f.followed_at, CAST(f.temperature AS BIGINT) AS temperature, f.symptoms, f.abnormal \
         FROM monitoring_followups f JOIN monitoring_cases c ON c.id = f.case_id \
         LEFT JOIN jurisdictions j ON j.code = c.jurisdiction_code WHERE f.id = $1")
        .bind(id).fetch_optional(p).await?))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EnterpriseReportSource {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub jurisdiction_code: String,
    pub report_date: chrono::NaiveDate,
    pub problems: String,
}

pub async fn enterprise_report_source(db: &Db, id: i64) -> Result<Option<EnterpriseReportSource>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, EnterpriseReportSource>(
        "SELECT r.id, r.enterprise_id, e.name AS enterprise_name, e.jurisdiction_code, r.report_date, r.problems \
         FROM daily_reports r JOIN enterprises e ON e.id = r.enterprise_id WHERE r.id = $1")
        .bind(id).fetch_optional(p).await?))
}

/// The enterprise a ticket is about: name and place.
pub async fn enterprise_place(db: &Db, id: i64) -> Result<Option<(String, String)>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, (String, String)>(
        "SELECT name, jurisdiction_code FROM enterprises WHERE id = $1")
        .bind(id).fetch_optional(p).await?))
}

// ---- figures ----

/// One called department on one ticket, with what the figures need.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FigureRow {
    pub ticket_id: i64,
    pub kind: String,
    pub jurisdiction_code: String,
    pub raiser_kind: String,
    pub ticket_status: String,
    pub raised_at: DateTime<Utc>,
    pub resolve_due_at: DateTime<Utc>,
    pub escalations: i32,
    pub rating: Option<i32>,
    pub department_id: i64,
    pub department_name: String,
    pub department_code: String,
    pub called_at: DateTime<Utc>,
    pub accept_due_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// The called departments of the tickets of a scope raised in `[from, to)`.
pub async fn figure_rows(
    db: &Db,
    scope: &Scope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<FigureRow>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_as::<_, FigureRow>(
        "SELECT t.id AS ticket_id, t.kind, t.jurisdiction_code, t.raiser_kind, t.status AS ticket_status, t.raised_at, \
         t.resolve_due_at, t.escalations, t.rating, c.department_id, d.name AS department_name, \
         d.jurisdiction_code AS department_code, c.called_at, c.accept_due_at, c.accepted_at, c.resolved_at \
         FROM tickets t JOIN ticket_calls c ON c.ticket_id = t.id JOIN departments d ON d.id = c.department_id \
         WHERE t.jurisdiction_code >= $1 AND t.jurisdiction_code < $2 AND t.raised_at >= $3 AND t.raised_at < $4 \
         ORDER BY t.id, d.name")
        .bind(&lo).bind(&hi).bind(from).bind(to).fetch_all(p).await?))
}

/// Tickets of a scope raised in `[from, to)` by grids, by place code.
pub async fn grid_tickets(
    db: &Db,
    scope: &Scope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(String, i64)>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_as::<_, (String, i64)>(
        "SELECT jurisdiction_code, COUNT(*) FROM tickets WHERE raiser_kind = 'grid' \
         AND jurisdiction_code >= $1 AND jurisdiction_code < $2 AND raised_at >= $3 AND raised_at < $4 \
         GROUP BY jurisdiction_code")
        .bind(&lo).bind(&hi).bind(from).bind(to).fetch_all(p).await?))
}

/// The grids of a scope (level 6 nodes).
pub async fn grid_codes(db: &Db, scope: &Scope) -> Result<Vec<String>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_scalar(
        "SELECT code FROM jurisdictions WHERE level = 6 AND code >= $1 AND code < $2")
        .bind(&lo).bind(&hi).fetch_all(p).await?))
}

/// Users whose home node is exactly `code` and who hold one of the roles, for notices.
pub async fn users_at(db: &Db, code: &str) -> Result<Vec<i64>> {
    Ok(on_db!(db, p => sqlx::query_scalar(
        "SELECT id FROM users WHERE jurisdiction_code = $1 AND NOT disabled ORDER BY id")
        .bind(code).fetch_all(p).await?))
}

// ---- for the demo, inside its transaction ----

/// Ids of accounts by user name.
pub async fn user_ids_in(tx: &mut Tx, names: &[&str]) -> Result<Vec<(i64, String)>> {
    let mut out = vec![];
    for n in names {
        let row: Option<(i64, String)> = on_tx!(tx, x => sqlx::query_as::<_, (i64, String)>(
            "SELECT id, username FROM users WHERE username = $1").bind(*n).fetch_optional(&mut *x).await?);
        out.extend(row);
    }
    Ok(out)
}

/// Codes and names of the nodes of a level (rank 1–6) under a prefix.
pub async fn nodes_in(tx: &mut Tx, level: i32, prefix: &str) -> Result<Vec<(String, String)>> {
    let hi = format!("{prefix}:");
    Ok(on_tx!(tx, x => sqlx::query_as::<_, (String, String)>(
        "SELECT code, name FROM jurisdictions WHERE level = $1 AND code >= $2 AND code < $3 ORDER BY code")
        .bind(level).bind(prefix).bind(&hi).fetch_all(&mut *x).await?))
}

/// A resolved production problem, to raise a demo ticket from.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResolvedProblem {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub jurisdiction_code: String,
    pub category: String,
    pub org_id: Option<i64>,
    pub org_name: Option<String>,
    pub description: String,
    pub raised_on: chrono::NaiveDate,
}

pub async fn resolved_problems_in(tx: &mut Tx) -> Result<Vec<ResolvedProblem>> {
    Ok(on_tx!(tx, x => sqlx::query_as::<_, ResolvedProblem>(
        "SELECT q.id, q.enterprise_id, e.name AS enterprise_name, q.jurisdiction_code, q.category, q.org_id, \
         o.name AS org_name, q.description, q.raised_on FROM production_problems q JOIN enterprises e ON e.id = q.enterprise_id \
         LEFT JOIN organisations o ON o.id = q.org_id WHERE q.status = 'resolved' ORDER BY q.id")
        .fetch_all(&mut *x).await?))
}

/// Marks every unread notice read when written (the demo's history).
pub async fn mark_all_read_in(tx: &mut Tx) -> Result<()> {
    on_tx!(tx, x => sqlx::query("UPDATE notices SET read_at = created_at, read_by = 'demo' WHERE read_at IS NULL")
        .execute(&mut *x).await.map(|_| ())?);
    Ok(())
}
