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

/// One seal of the chain (see the migration `0045_audit_seals`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Seal {
    pub seq: i64,
    pub audit_id: i64,
    pub key_id: String,
    pub mac: String,
}

/// A seal and the audit row it seals, if that row is still there.
#[derive(Debug, Clone)]
pub struct SealedRow {
    pub seal: Seal,
    pub row: Option<AuditRow>,
}

const ROW_COLUMNS: &str = "a.id, a.at, a.user_id, a.username, a.roles, a.action, a.target_kind, \
     a.target_id, a.jurisdiction_code, a.source_addr, a.outcome, a.detail";

/// Makes the sealer of this transaction the only one until it ends (instances sharing a
/// PostgreSQL database; SQLite's writers take turns already).
pub async fn lock_sealer(tx: &mut Tx) -> Result<()> {
    if let Tx::Postgres(t) = tx {
        sqlx::query("SELECT pg_advisory_xact_lock(7310264)")
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

/// The last seal of the chain.
pub async fn last_seal(tx: &mut Tx) -> Result<Option<Seal>> {
    Ok(on_tx!(tx, e => sqlx::query_as::<_, Seal>(
        "SELECT seq, audit_id, key_id, mac FROM audit_seals ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *e).await?))
}

/// How far behind the newest sealed row the sealer looks for rows committed late (on
/// PostgreSQL a row's id is drawn before its transaction commits, so rows may appear out
/// of order; a row further behind stays unsealed and is counted as such by the check).
pub const SEAL_LOOKBACK: i64 = 10_000;

/// Audit rows not sealed yet, oldest first.
pub async fn unsealed(tx: &mut Tx, limit: i64) -> Result<Vec<AuditRow>> {
    let sql = format!(
        "SELECT {ROW_COLUMNS} FROM audit_log a WHERE a.id > \
         (SELECT COALESCE(MAX(audit_id), 0) FROM audit_seals) - {SEAL_LOOKBACK} \
         AND NOT EXISTS (SELECT 1 FROM audit_seals s WHERE s.audit_id = a.id) \
         ORDER BY a.id LIMIT $1"
    );
    Ok(on_tx!(tx, e => sqlx::query_as::<_, AuditRow>(&sql)
        .bind(limit).fetch_all(&mut *e).await?))
}

pub async fn insert_seal(tx: &mut Tx, s: &Seal, at: DateTime<Utc>) -> Result<()> {
    on_tx!(tx, e => sqlx::query(
        "INSERT INTO audit_seals (seq, audit_id, key_id, mac, sealed_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(s.seq).bind(s.audit_id).bind(&s.key_id).bind(&s.mac).bind(at)
        .execute(&mut *e).await.map(|_| ())?);
    Ok(())
}

/// Seals after `after_seq` in order, with the rows they seal (none where the row is gone).
pub async fn seals_after(db: &Db, after_seq: i64, limit: i64) -> Result<Vec<SealedRow>> {
    #[derive(sqlx::FromRow)]
    struct Joined {
        seq: i64,
        audit_id: i64,
        key_id: String,
        mac: String,
        id: Option<i64>,
        at: Option<DateTime<Utc>>,
        user_id: Option<i64>,
        username: Option<String>,
        roles: Option<String>,
        action: Option<String>,
        target_kind: Option<String>,
        target_id: Option<String>,
        jurisdiction_code: Option<String>,
        source_addr: Option<String>,
        outcome: Option<String>,
        detail: Option<String>,
    }
    let sql = format!(
        "SELECT s.seq, s.audit_id, s.key_id, s.mac, {ROW_COLUMNS} FROM audit_seals s \
         LEFT JOIN audit_log a ON a.id = s.audit_id WHERE s.seq > $1 ORDER BY s.seq LIMIT $2"
    );
    let rows: Vec<Joined> = on_db!(db, p => sqlx::query_as(&sql)
        .bind(after_seq).bind(limit).fetch_all(p).await?);
    Ok(rows
        .into_iter()
        .map(|j| {
            let row = match (j.id, j.at) {
                (Some(id), Some(at)) => Some(AuditRow {
                    id,
                    entry: NewAudit {
                        at,
                        user_id: j.user_id,
                        username: j.username.unwrap_or_default(),
                        roles: j.roles.unwrap_or_default(),
                        action: j.action.unwrap_or_default(),
                        target_kind: j.target_kind.unwrap_or_default(),
                        target_id: j.target_id.unwrap_or_default(),
                        jurisdiction_code: j.jurisdiction_code,
                        source_addr: j.source_addr.unwrap_or_default(),
                        outcome: j.outcome.unwrap_or_default(),
                        detail: j.detail.unwrap_or_default(),
                    },
                }),
                _ => None,
            };
            SealedRow {
                seal: Seal {
                    seq: j.seq,
                    audit_id: j.audit_id,
                    key_id: j.key_id,
                    mac: j.mac,
                },
                row,
            }
        })
        .collect())
}

/// How many audit rows there are, and how many of them have no seal and were written
/// before `before`.
pub async fn seal_counts(db: &Db, before: DateTime<Utc>) -> Result<(i64, i64)> {
    Ok(on_db!(db, p => sqlx::query_as::<_, (i64, i64)>(
        "SELECT (SELECT COUNT(*) FROM audit_log), (SELECT COUNT(*) FROM audit_log a \
         WHERE a.at < $1 AND NOT EXISTS (SELECT 1 FROM audit_seals s WHERE s.audit_id = a.id))")
        .bind(before).fetch_one(p).await?))
}

/// The seal at place `seq`.
pub async fn seal_at(tx: &mut Tx, seq: i64) -> Result<Option<Seal>> {
    Ok(on_tx!(tx, e => sqlx::query_as::<_, Seal>(
        "SELECT seq, audit_id, key_id, mac FROM audit_seals WHERE seq = $1")
        .bind(seq).fetch_optional(&mut *e).await?))
}
