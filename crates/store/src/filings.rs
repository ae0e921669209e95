//! 复工备案: filings to resume, one row per round; a returned filing is filed again as the
//! next round. At most one round per enterprise is waiting or approved (a partial unique
//! index), so two filings racing each other cannot both stand.

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use dualtrack_domain::jurisdiction::Scope;

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct FilingRow {
        pub id: i64,
        pub enterprise_name: String,
        pub round: i64,
        pub previous_id: Option<i64>,
        pub check_mechanism: bool,
        pub check_mechanism_note: Option<String>,
        pub check_screening: bool,
        pub check_screening_note: Option<String>,
        pub check_supplies: bool,
        pub check_supplies_note: Option<String>,
        pub check_management: bool,
        pub check_management_note: Option<String>,
        pub check_publicity: bool,
        pub check_publicity_note: Option<String>,
        pub status: String,
        pub decided_by: Option<String>,
        pub decided_at: Option<DateTime<Utc>>,
        pub decision_note: Option<String>,
        pub created_at: DateTime<Utc>,
    }
    /// A filing as written; the round and the previous round are found when it is inserted.
    #[derive(Debug, Clone)]
    pub struct NewFiling {
        /// The five checks in the order of `FilingCheck::ALL`: ticked, and a note.
        pub checks: [(bool, Option<String>); 5],
    }
    both {
        pub enterprise_id: i64,
        pub jurisdiction_code: String,
        pub planned_on: NaiveDate,
        pub prevention_plan: String,
        pub employees_planned: i64,
        pub created_by: String,
    }
}

const COLUMNS: &str = "f.id, f.enterprise_id, e.name AS enterprise_name, f.jurisdiction_code, f.round, f.previous_id, \
     f.planned_on, f.prevention_plan, f.employees_planned, f.check_mechanism, f.check_mechanism_note, f.check_screening, \
     f.check_screening_note, f.check_supplies, f.check_supplies_note, f.check_management, f.check_management_note, \
     f.check_publicity, f.check_publicity_note, f.status, f.decided_by, f.decided_at, f.decision_note, f.created_by, \
     f.created_at";

/// Inserts a filing as the enterprise's next round, waiting for a decision. Fails with
/// `StoreError::Unique` if a round is already waiting or approved.
pub async fn insert(tx: &mut Tx, f: &NewFiling, at: DateTime<Utc>) -> Result<i64> {
    let [c0, c1, c2, c3, c4] = &f.checks;
    Ok(on_tx!(tx, x => {
        let last: Option<(i64, i64)> = sqlx::query_as(
            "SELECT id, round FROM resumption_filings WHERE enterprise_id = $1 ORDER BY round DESC LIMIT 1")
            .bind(f.enterprise_id).fetch_optional(&mut *x).await?;
        let round = last.map(|l| l.1).unwrap_or(0) + 1;
        let previous = last.map(|l| l.0);
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO resumption_filings (enterprise_id, jurisdiction_code, round, previous_id, planned_on, prevention_plan, \
             employees_planned, check_mechanism, check_mechanism_note, check_screening, check_screening_note, check_supplies, \
             check_supplies_note, check_management, check_management_note, check_publicity, check_publicity_note, status, \
             created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 'submitted', $18, $19) RETURNING id")
            .bind(f.enterprise_id).bind(&f.jurisdiction_code).bind(round).bind(previous).bind(f.planned_on)
            .bind(&f.prevention_plan).bind(f.employees_planned)
            .bind(c0.0).bind(&c0.1).bind(c1.0).bind(&c1.1).bind(c2.0).bind(&c2.1).bind(c3.0).bind(&c3.1)
            .bind(c4.0).bind(&c4.1).bind(&f.created_by).bind(at)
            .fetch_one(&mut *x).await?
    }))
}

/// Decides a waiting filing; false if it was no longer waiting (decided meanwhile).
pub async fn decide(
    tx: &mut Tx,
    id: i64,
    status: &str,
    by: &str,
    note: Option<&str>,
    at: DateTime<Utc>,
) -> Result<bool> {
    let done = on_tx!(tx, x => sqlx::query(
        "UPDATE resumption_filings SET status = $2, decided_by = $3, decided_at = $4, decision_note = $5 \
         WHERE id = $1 AND status = 'submitted'")
        .bind(id).bind(status).bind(by).bind(at).bind(note)
        .execute(&mut *x).await?.rows_affected());
    Ok(done == 1)
}

pub async fn filing(db: &Db, id: i64) -> Result<Option<FilingRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM resumption_filings f JOIN enterprises e ON e.id = f.enterprise_id WHERE f.id = $1"
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, FilingRow>(&sql).bind(id).fetch_optional(p).await?))
}

/// Every round of an enterprise's filings, newest first.
pub async fn of_enterprise(db: &Db, enterprise: i64) -> Result<Vec<FilingRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM resumption_filings f JOIN enterprises e ON e.id = f.enterprise_id \
         WHERE f.enterprise_id = $1 ORDER BY f.round DESC"
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, FilingRow>(&sql).bind(enterprise).fetch_all(p).await?))
}

/// Filings in a scope, optionally of one status: waiting ones oldest first (the queue),
/// others newest first.
pub async fn list(
    db: &Db,
    scope: &Scope,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<FilingRow>> {
    let (lo, hi) = scope.range();
    let order = if status == Some("submitted") {
        "f.id"
    } else {
        "f.id DESC"
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM resumption_filings f JOIN enterprises e ON e.id = f.enterprise_id \
         WHERE f.jurisdiction_code >= $1 AND f.jurisdiction_code < $2 AND ($3 IS NULL OR f.status = $3) \
         ORDER BY {order} LIMIT $4 OFFSET $5"
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, FilingRow>(&sql)
        .bind(&lo).bind(&hi).bind(status).bind(limit).bind(offset).fetch_all(p).await?))
}

/// How many filings of each status lie in a scope: (status, count).
pub async fn counts(db: &Db, scope: &Scope) -> Result<Vec<(String, i64)>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_as::<_, (String, i64)>(
        "SELECT status, CAST(COUNT(*) AS BIGINT) FROM resumption_filings \
         WHERE jurisdiction_code >= $1 AND jurisdiction_code < $2 GROUP BY status")
        .bind(&lo).bind(&hi).fetch_all(p).await?))
}

/// An enterprise with the first day it reported resuming (fully or partly), for loading
/// demo filings.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResumedRow {
    pub enterprise_id: i64,
    pub jurisdiction_code: String,
    pub normal_headcount: i64,
    pub first_day: NaiveDate,
}

/// Every enterprise that has reported resuming, with the first such day, in id order.
pub async fn first_resumed(tx: &mut Tx) -> Result<Vec<ResumedRow>> {
    Ok(on_tx!(tx, x => sqlx::query_as::<_, ResumedRow>(
        "SELECT e.id AS enterprise_id, e.jurisdiction_code, e.normal_headcount, MIN(r.report_date) AS first_day \
         FROM enterprises e JOIN daily_reports r ON r.enterprise_id = e.id \
         WHERE r.is_current AND r.status IN ('resumed', 'partly') \
         GROUP BY e.id, e.jurisdiction_code, e.normal_headcount ORDER BY e.id")
        .fetch_all(&mut *x).await?))
}
