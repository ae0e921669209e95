//! The rows the whistle figures are computed from.

use crate::{on_db, Db, Result};
use chrono::{DateTime, Utc};
use dualtrack_domain::jurisdiction::Scope;

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
