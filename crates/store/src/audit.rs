//! The append-only audit log. Rows are only ever inserted, inside the transaction of the
//! change they record; the database refuses updates and deletes (see the migrations).

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, Utc};
use dualtrack_domain::jurisdiction::Scope;
use sqlx::QueryBuilder;

/// A row as stored: its id and the entry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    #[sqlx(flatten)]
    pub entry: NewAudit,
}

/// One entry of the log.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NewAudit {
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub username: String,
    pub roles: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub jurisdiction_code: Option<String>,
    pub source_addr: String,
    pub outcome: String,
    pub detail: String,
}

pub async fn insert(tx: &mut Tx, a: &NewAudit) -> Result<i64> {
    Ok(on_tx!(tx, e => sqlx::query_scalar(
        "INSERT INTO audit_log (at, user_id, username, roles, action, target_kind, target_id, \
         jurisdiction_code, source_addr, outcome, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")
        .bind(a.at).bind(a.user_id).bind(&a.username).bind(&a.roles).bind(&a.action)
        .bind(&a.target_kind).bind(&a.target_id).bind(&a.jurisdiction_code).bind(&a.source_addr)
        .bind(&a.outcome).bind(&a.detail)
        .fetch_one(&mut *e).await?))
}

/// What an auditor asks of the log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub username: Option<String>,
    pub action: Option<String>,
    pub outcome: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// Rows of the subtree of `scope`, newest first. Rows tied to no place (failed logins of
/// unknown names, maintenance from the command line) are included when `with_unplaced`.
pub async fn list(
    db: &Db,
    scope: &Scope,
    with_unplaced: bool,
    f: &AuditFilter,
) -> Result<Vec<AuditRow>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => {
        let mut qb = QueryBuilder::new(
            "SELECT id, at, user_id, username, roles, action, target_kind, target_id, jurisdiction_code, \
             source_addr, outcome, detail FROM audit_log WHERE ((jurisdiction_code >= ");
        qb.push_bind(&lo).push(" AND jurisdiction_code < ").push_bind(&hi).push(")");
        if with_unplaced {
            qb.push(" OR jurisdiction_code IS NULL");
        }
        qb.push(")");
        if let Some(v) = f.from {
            qb.push(" AND at >= ").push_bind(v);
        }
        if let Some(v) = f.until {
            qb.push(" AND at < ").push_bind(v);
        }
        if let Some(v) = &f.username {
            qb.push(" AND username = ").push_bind(v);
        }
        if let Some(v) = &f.action {
            qb.push(" AND action = ").push_bind(v);
        }
        if let Some(v) = &f.outcome {
            qb.push(" AND outcome = ").push_bind(v);
        }
        qb.push(" ORDER BY id DESC LIMIT ").push_bind(f.limit).push(" OFFSET ").push_bind(f.offset);
        qb.build_query_as::<AuditRow>().fetch_all(p).await?
    }))
}
