//! Whether a day's operating reports came in: for each above-size enterprise counted that
//! day (not excluded), when the first version of its report for the day was filed, if at all.
//! The deadline is applied by the caller.

use crate::{on_db, Db, Result};
use chrono::{DateTime, NaiveDate, Utc};
use dualtrack_domain::jurisdiction::Scope;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueRow {
    pub enterprise_id: i64,
    pub name: String,
    pub jurisdiction_code: String,
    pub county: String,
    pub contact_name: Option<String>,
    pub contact_phone: Option<crate::sealing::SealedText>,
    /// When the first version of the day's report was filed; none if there is none.
    pub first_filed: Option<DateTime<Utc>>,
}

/// Above-size enterprises in the scope not excluded on `day`, each with the time its
/// report for the day was first filed.
pub async fn due(db: &Db, scope: &Scope, day: NaiveDate) -> Result<Vec<DueRow>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_as::<_, DueRow>(
        "SELECT e.id AS enterprise_id, e.name, e.jurisdiction_code, substr(e.jurisdiction_code, 1, 6) AS county, \
           e.contact_name, e.contact_phone, \
           (SELECT r.filed_at FROM daily_reports r WHERE r.enterprise_id = e.id AND r.report_date = $3 \
             ORDER BY r.version LIMIT 1) AS first_filed \
         FROM enterprises e \
         WHERE e.above_size AND e.jurisdiction_code >= $1 AND e.jurisdiction_code < $2 \
           AND NOT EXISTS (SELECT 1 FROM enterprise_exclusions x WHERE x.enterprise_id = e.id AND x.from_on <= $3 \
             AND (x.until_on IS NULL OR x.until_on >= $3)) \
         ORDER BY e.jurisdiction_code, e.id")
        .bind(&lo).bind(&hi).bind(day).fetch_all(p).await?))
}
