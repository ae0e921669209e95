//! Enterprises, exclusions from the resumption count, and daily operating reports (every
//! version kept; one current per enterprise and day).

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use dualtrack_domain::jurisdiction::Scope;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EnterpriseRow {
    pub id: i64,
    pub name: String,
    pub credit_code: String,
    pub credit_check_failed: bool,
    pub jurisdiction_code: String,
    pub industry_section: String,
    pub industry_division: Option<String>,
    pub above_size: bool,
    pub key_enterprise: bool,
    pub normal_headcount: i64,
    pub normal_output: i64,
    pub output_unit: String,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

const ENTERPRISE_COLUMNS: &str = "id, name, credit_code, credit_check_failed, jurisdiction_code, industry_section, \
     industry_division, above_size, key_enterprise, normal_headcount, normal_output, output_unit, contact_name, contact_phone";

#[derive(Debug, Clone)]
pub struct NewEnterprise {
    pub name: String,
    pub credit_code: String,
    pub credit_check_failed: bool,
    pub jurisdiction_code: String,
    pub industry_section: String,
    pub industry_division: Option<String>,
    pub above_size: bool,
    pub key_enterprise: bool,
    pub normal_headcount: i64,
    pub normal_output: i64,
    pub output_unit: String,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

pub async fn insert_enterprise(tx: &mut Tx, e: &NewEnterprise, at: DateTime<Utc>) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO enterprises (name, credit_code, credit_check_failed, jurisdiction_code, industry_section, industry_division, \
         above_size, key_enterprise, normal_headcount, normal_output, output_unit, contact_name, contact_phone, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id")
        .bind(&e.name).bind(&e.credit_code).bind(e.credit_check_failed).bind(&e.jurisdiction_code)
        .bind(&e.industry_section).bind(&e.industry_division).bind(e.above_size).bind(e.key_enterprise)
        .bind(e.normal_headcount).bind(e.normal_output).bind(&e.output_unit).bind(&e.contact_name)
        .bind(&e.contact_phone).bind(at)
        .fetch_one(&mut *x).await?))
}

pub async fn enterprise(db: &Db, id: i64) -> Result<Option<EnterpriseRow>> {
    let sql = format!("SELECT {ENTERPRISE_COLUMNS} FROM enterprises WHERE id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, EnterpriseRow>(&sql).bind(id).fetch_optional(p).await?))
}

pub async fn list_enterprises(
    db: &Db,
    scope: &Scope,
    limit: i64,
    offset: i64,
) -> Result<Vec<EnterpriseRow>> {
    let (lo, hi) = scope.range();
    let sql = format!(
        "SELECT {ENTERPRISE_COLUMNS} FROM enterprises WHERE jurisdiction_code >= $1 AND jurisdiction_code < $2 \
         ORDER BY jurisdiction_code, id LIMIT $3 OFFSET $4"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, EnterpriseRow>(&sql).bind(&lo).bind(&hi).bind(limit).bind(offset).fetch_all(p).await?),
    )
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_exclusion(
    tx: &mut Tx,
    enterprise: i64,
    reason: &str,
    from_on: NaiveDate,
    until_on: Option<NaiveDate>,
    note: &str,
    set_by: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO enterprise_exclusions (enterprise_id, reason, from_on, until_on, note, set_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
        .bind(enterprise).bind(reason).bind(from_on).bind(until_on).bind(note).bind(set_by).bind(at)
        .fetch_one(&mut *x).await?))
}

/// A day's report as filed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReportRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub report_date: NaiveDate,
    pub version: i64,
    pub is_current: bool,
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

#[derive(Debug, Clone)]
pub struct NewReport {
    pub enterprise_id: i64,
    pub report_date: NaiveDate,
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

/// Files a report: a correction of a day already reported becomes the current version and
/// keeps the earlier one. Returns the version.
pub async fn file_report(tx: &mut Tx, r: &NewReport, at: DateTime<Utc>) -> Result<i64> {
    Ok(on_tx!(tx, x => {
        let last: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(version) FROM daily_reports WHERE enterprise_id = $1 AND report_date = $2")
            .bind(r.enterprise_id).bind(r.report_date).fetch_one(&mut *x).await?;
        sqlx::query("UPDATE daily_reports SET is_current = FALSE WHERE enterprise_id = $1 AND report_date = $2")
            .bind(r.enterprise_id).bind(r.report_date).execute(&mut *x).await?;
        let version = last.unwrap_or(0) + 1;
        sqlx::query(
            "INSERT INTO daily_reports (enterprise_id, report_date, version, is_current, status, on_duty, back_from_outside, \
             in_quarantine, abnormal_temps, mask_days, disinfectant_days, checks_passed, output, problems, filed_by, filed_at) \
             VALUES ($1, $2, $3, TRUE, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)")
            .bind(r.enterprise_id).bind(r.report_date).bind(version).bind(&r.status).bind(r.on_duty)
            .bind(r.back_from_outside).bind(r.in_quarantine).bind(r.abnormal_temps).bind(r.mask_days)
            .bind(r.disinfectant_days).bind(r.checks_passed).bind(r.output).bind(&r.problems).bind(&r.filed_by).bind(at)
            .execute(&mut *x).await?;
        version
    }))
}

pub async fn reports(db: &Db, enterprise: i64) -> Result<Vec<ReportRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, ReportRow>(
        "SELECT id, enterprise_id, report_date, version, is_current, status, on_duty, back_from_outside, in_quarantine, \
         abnormal_temps, mask_days, disinfectant_days, checks_passed, output, problems, filed_by FROM daily_reports \
         WHERE enterprise_id = $1 ORDER BY report_date DESC, version DESC LIMIT 400")
        .bind(enterprise).fetch_all(p).await?))
}

/// One county's counts for the rates as of a day: above-size enterprises in the scope, less
/// those excluded that day; of them, those whose latest current report on or before the day
/// says resumed or partly; with headcount, on duty, baseline and output for those reporting.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RateRow {
    pub county: String,
    pub registered: i64,
    pub excluded: i64,
    pub resumed: i64,
    pub headcount: i64,
    pub on_duty: i64,
    pub baseline: i64,
    pub output: i64,
}

pub async fn rates(db: &Db, scope: &Scope, as_of: NaiveDate) -> Result<Vec<RateRow>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_as::<_, RateRow>(
        "WITH latest AS ( \
           SELECT r.enterprise_id, r.status, r.on_duty, r.output FROM daily_reports r \
           WHERE r.is_current AND r.report_date = (SELECT MAX(r2.report_date) FROM daily_reports r2 \
             WHERE r2.enterprise_id = r.enterprise_id AND r2.is_current AND r2.report_date <= $3)), \
         counted AS ( \
           SELECT e.id, substr(e.jurisdiction_code, 1, 6) AS county, e.normal_headcount, e.normal_output, \
             CASE WHEN EXISTS (SELECT 1 FROM enterprise_exclusions x WHERE x.enterprise_id = e.id AND x.from_on <= $3 \
               AND (x.until_on IS NULL OR x.until_on >= $3)) THEN 1 ELSE 0 END AS excluded \
           FROM enterprises e WHERE e.above_size AND e.jurisdiction_code >= $1 AND e.jurisdiction_code < $2) \
         SELECT c.county, CAST(COUNT(*) AS BIGINT) AS registered, CAST(SUM(c.excluded) AS BIGINT) AS excluded, \
           CAST(SUM(CASE WHEN c.excluded = 0 AND l.status IN ('resumed', 'partly') THEN 1 ELSE 0 END) AS BIGINT) AS resumed, \
           CAST(SUM(CASE WHEN c.excluded = 0 THEN c.normal_headcount ELSE 0 END) AS BIGINT) AS headcount, \
           CAST(SUM(CASE WHEN c.excluded = 0 THEN COALESCE(l.on_duty, 0) ELSE 0 END) AS BIGINT) AS on_duty, \
           CAST(SUM(CASE WHEN c.excluded = 0 THEN c.normal_output ELSE 0 END) AS BIGINT) AS baseline, \
           CAST(SUM(CASE WHEN c.excluded = 0 THEN COALESCE(l.output, 0) ELSE 0 END) AS BIGINT) AS output \
         FROM counted c LEFT JOIN latest l ON l.enterprise_id = c.id GROUP BY c.county ORDER BY c.county")
        .bind(&lo).bind(&hi).bind(as_of).fetch_all(p).await?))
}

/// Inserts first versions of many reports at once (for loading data).
pub async fn insert_reports(tx: &mut Tx, rows: &[NewReport], at: DateTime<Utc>) -> Result<()> {
    for chunk in rows.chunks(1000) {
        on_tx!(tx, x => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO daily_reports (enterprise_id, report_date, version, is_current, status, on_duty, back_from_outside, \
                 in_quarantine, abnormal_temps, mask_days, disinfectant_days, checks_passed, output, problems, filed_by, filed_at) ");
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(r.enterprise_id).push_bind(r.report_date).push_bind(1i64).push_bind(true)
                    .push_bind(r.status.as_str()).push_bind(r.on_duty).push_bind(r.back_from_outside)
                    .push_bind(r.in_quarantine).push_bind(r.abnormal_temps).push_bind(r.mask_days)
                    .push_bind(r.disinfectant_days).push_bind(r.checks_passed).push_bind(r.output)
                    .push_bind(r.problems.as_str()).push_bind(r.filed_by.as_str()).push_bind(at);
            });
            qb.build().execute(&mut *x).await?;
        });
    }
    Ok(())
}
