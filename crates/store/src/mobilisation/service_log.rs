//! Service given by registered party members, and organisations set up on a day.

use super::*;

/// A registration: (person, community, grid).
pub async fn registration(db: &Db, id: i64) -> Result<Option<(i64, String, Option<String>)>> {
    Ok(
        on_db!(db, p => sqlx::query_as::<_, (i64, String, Option<String>)>(
        "SELECT person_id, jurisdiction_code, grid_code FROM registrations WHERE id = $1")
        .bind(id).fetch_optional(p).await?),
    )
}

pub async fn insert_service_log(
    tx: &mut Tx,
    registration: i64,
    served_on: NaiveDate,
    hours: i64,
    description: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    Ok(on_tx!(tx, e => sqlx::query_scalar(
        "INSERT INTO service_logs (registration_id, served_on, hours, description, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(registration).bind(served_on).bind(hours).bind(description).bind(at)
        .fetch_one(&mut *e).await?))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ServiceLogRow {
    pub id: i64,
    pub served_on: NaiveDate,
    pub hours: i64,
    pub description: String,
}

pub async fn service_logs(db: &Db, registration: i64) -> Result<Vec<ServiceLogRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, ServiceLogRow>(
        "SELECT id, served_on, hours, description FROM service_logs WHERE registration_id = $1 ORDER BY served_on DESC, id DESC")
        .bind(registration).fetch_all(p).await?))
}

/// Registrations of a person: ids.
pub async fn registrations_of(db: &Db, person_id: i64) -> Result<Vec<i64>> {
    Ok(
        on_db!(db, p => sqlx::query_scalar("SELECT id FROM registrations WHERE person_id = $1 ORDER BY registered_on, id")
        .bind(person_id).fetch_all(p).await?),
    )
}

/// Names of the organisations of a kind in a scope established on a day.
pub async fn orgs_set_up_on(
    db: &Db,
    scope: &Scope,
    kind: &str,
    day: NaiveDate,
) -> Result<Vec<String>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_scalar(
        "SELECT name FROM organisations WHERE kind = $1 AND established_on = $2 \
         AND jurisdiction_code >= $3 AND jurisdiction_code < $4 ORDER BY jurisdiction_code, id")
        .bind(kind).bind(day).bind(&lo).bind(&hi).fetch_all(p).await?))
}
