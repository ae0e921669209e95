//! Spring farming: the plan of each township by crop and its reported progress.

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use dualtrack_domain::jurisdiction::Scope;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PlanRow {
    pub id: i64,
    pub jurisdiction_code: String,
    pub place_name: String,
    pub year: i32,
    pub crop: String,
    pub planned_mu: i64,
}

const PLAN_SELECT: &str =
    "SELECT p.id, p.jurisdiction_code, j.name AS place_name, p.year, p.crop, p.planned_mu \
     FROM farm_plans p JOIN jurisdictions j ON j.code = p.jurisdiction_code";

/// Sets the planned area of a crop in a place for a year; returns the plan's id and the
/// area it had before, if any.
pub async fn set_plan(
    tx: &mut Tx,
    code: &str,
    year: i32,
    crop: &str,
    planned_mu: i64,
    by: &str,
    at: DateTime<Utc>,
) -> Result<(i64, Option<i64>)> {
    Ok(on_tx!(tx, x => {
        let before: Option<(i64, i64)> = sqlx::query_as(
            "SELECT id, planned_mu FROM farm_plans WHERE jurisdiction_code = $1 AND year = $2 AND crop = $3")
            .bind(code).bind(year).bind(crop).fetch_optional(&mut *x).await?;
        match before {
            Some((id, was)) => {
                sqlx::query("UPDATE farm_plans SET planned_mu = $2 WHERE id = $1")
                    .bind(id).bind(planned_mu).execute(&mut *x).await?;
                (id, Some(was))
            }
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO farm_plans (jurisdiction_code, year, crop, planned_mu, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
                    .bind(code).bind(year).bind(crop).bind(planned_mu).bind(by).bind(at)
                    .fetch_one(&mut *x).await?;
                (id, None)
            }
        }
    }))
}

pub async fn plan(db: &Db, id: i64) -> Result<Option<PlanRow>> {
    let sql = format!("{PLAN_SELECT} WHERE p.id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, PlanRow>(&sql).bind(id).fetch_optional(p).await?))
}

pub async fn plans(db: &Db, scope: &Scope, year: i32) -> Result<Vec<PlanRow>> {
    let (lo, hi) = scope.range();
    let sql = format!(
        "{PLAN_SELECT} WHERE p.jurisdiction_code >= $1 AND p.jurisdiction_code < $2 AND p.year = $3 \
         ORDER BY p.jurisdiction_code, p.crop"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, PlanRow>(&sql).bind(&lo).bind(&hi).bind(year).fetch_all(p).await?),
    )
}

/// Records the prepared and sown area of a plan as of a day (a second report of the same
/// day replaces the first); returns the figures it replaced, if any.
#[allow(clippy::too_many_arguments)]
pub async fn report_progress(
    tx: &mut Tx,
    plan_id: i64,
    on: NaiveDate,
    prepared_mu: i64,
    sown_mu: i64,
    note: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<Option<(i64, i64)>> {
    Ok(on_tx!(tx, x => {
        let before: Option<(i64, i64)> = sqlx::query_as(
            "SELECT prepared_mu, sown_mu FROM farm_progress WHERE plan_id = $1 AND reported_on = $2")
            .bind(plan_id).bind(on).fetch_optional(&mut *x).await?;
        sqlx::query(
            "INSERT INTO farm_progress (plan_id, reported_on, prepared_mu, sown_mu, note, reported_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (plan_id, reported_on) DO UPDATE SET \
             prepared_mu = excluded.prepared_mu, sown_mu = excluded.sown_mu, note = excluded.note, \
             reported_by = excluded.reported_by, created_at = excluded.created_at")
            .bind(plan_id).bind(on).bind(prepared_mu).bind(sown_mu).bind(note).bind(by).bind(at)
            .execute(&mut *x).await?;
        before
    }))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProgressRow {
    pub plan_id: i64,
    pub reported_on: NaiveDate,
    pub prepared_mu: i64,
    pub sown_mu: i64,
}

/// Each plan's latest progress report on or before `day`.
pub async fn progress_as_of(
    db: &Db,
    scope: &Scope,
    year: i32,
    day: NaiveDate,
) -> Result<Vec<ProgressRow>> {
    let (lo, hi) = scope.range();
    let sql = "SELECT f.plan_id, f.reported_on, f.prepared_mu, f.sown_mu FROM farm_progress f \
         JOIN farm_plans p ON p.id = f.plan_id \
         WHERE p.jurisdiction_code >= $1 AND p.jurisdiction_code < $2 AND p.year = $3 \
         AND f.reported_on = (SELECT MAX(g.reported_on) FROM farm_progress g WHERE g.plan_id = f.plan_id AND g.reported_on <= $4)";
    Ok(
        on_db!(db, p => sqlx::query_as::<_, ProgressRow>(sql).bind(&lo).bind(&hi).bind(year).bind(day)
        .fetch_all(p).await?),
    )
}
