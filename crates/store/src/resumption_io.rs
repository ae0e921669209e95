//! Lookups for spreadsheet imports and exports of the resumption track: enterprises found
//! by credit code or number in bulk, and the current reports of one day in a scope.

use crate::{on_db, Db, Result};
use chrono::NaiveDate;
use dualtrack_domain::jurisdiction::Scope;
use sqlx::QueryBuilder;

/// An enterprise as an import row names it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EnterpriseKey {
    pub id: i64,
    pub credit_code: String,
    pub name: String,
    pub jurisdiction_code: String,
}

/// The enterprises with any of these credit codes or ids (anywhere; the caller checks scope).
pub async fn enterprise_keys(db: &Db, codes: &[String], ids: &[i64]) -> Result<Vec<EnterpriseKey>> {
    const BATCH: usize = 400;
    let mut found = Vec::new();
    let mut start = 0;
    while start < codes.len().max(ids.len()) {
        let code_part = codes
            .get(start..(start + BATCH).min(codes.len()))
            .unwrap_or(&[]);
        let id_part = ids
            .get(start..(start + BATCH).min(ids.len()))
            .unwrap_or(&[]);
        start += BATCH;
        let batch = on_db!(db, p => {
            let mut qb = QueryBuilder::new(
                "SELECT id, credit_code, name, jurisdiction_code FROM enterprises WHERE 1 = 0");
            if !code_part.is_empty() {
                qb.push(" OR credit_code IN (");
                let mut list = qb.separated(", ");
                for c in code_part {
                    list.push_bind(c.as_str());
                }
                qb.push(")");
            }
            if !id_part.is_empty() {
                qb.push(" OR id IN (");
                let mut list = qb.separated(", ");
                for i in id_part {
                    list.push_bind(*i);
                }
                qb.push(")");
            }
            qb.build_query_as::<EnterpriseKey>().fetch_all(p).await?
        });
        found.extend(batch);
    }
    found.sort_by_key(|k| k.id);
    found.dedup_by_key(|k| k.id);
    Ok(found)
}

/// The current version of each report of one day, of enterprises in the scope.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DayReportRow {
    pub enterprise_id: i64,
    pub name: String,
    pub credit_code: String,
    pub jurisdiction_code: String,
    pub report_date: NaiveDate,
    pub version: i64,
    pub status: String,
    pub on_duty: i64,
    pub back_from_outside: i64,
    pub in_quarantine: i64,
    pub abnormal_temps: i64,
    pub mask_days: i64,
    pub disinfectant_days: i64,
    pub checks_passed: i64,
    pub output: i64,
    pub problems: String,
    pub filed_by: String,
}

pub async fn reports_of_day(
    db: &Db,
    scope: &Scope,
    day: NaiveDate,
    after: Option<(&str, i64)>,
    limit: i64,
) -> Result<Vec<DayReportRow>> {
    let (lo, hi) = scope.range();
    let (code, id) = after.unwrap_or(("", 0));
    Ok(on_db!(db, p => sqlx::query_as::<_, DayReportRow>(
        "SELECT e.id AS enterprise_id, e.name, e.credit_code, e.jurisdiction_code, r.report_date, r.version, r.status, \
         r.on_duty, r.back_from_outside, r.in_quarantine, r.abnormal_temps, r.mask_days, r.disinfectant_days, \
         r.checks_passed, r.output, r.problems, r.filed_by \
         FROM enterprises e JOIN daily_reports r ON r.enterprise_id = e.id AND r.is_current AND r.report_date = $3 \
         WHERE e.jurisdiction_code >= $1 AND e.jurisdiction_code < $2 AND (e.jurisdiction_code, e.id) > ($5, $6) \
         ORDER BY e.jurisdiction_code, e.id LIMIT $4")
        .bind(&lo).bind(&hi).bind(day).bind(limit).bind(code).bind(id).fetch_all(p).await?))
}
