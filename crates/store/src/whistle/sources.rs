//! The records a ticket is raised from: grid reports, follow-ups, enterprise reports.

use crate::{on_db, Db, Result};
use chrono::{DateTime, Utc};

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
    pub symptoms: crate::sealing::SealedText,
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
