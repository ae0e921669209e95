//! Applications to serve at the front, and community registrations.

use super::*;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApplicationRow {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub jurisdiction_code: String,
    pub submitted_on: NaiveDate,
    pub wish: String,
    pub status: String,
    pub decided_on: Option<NaiveDate>,
    pub decided_by: Option<String>,
    pub deployment_id: Option<i64>,
}

pub(super) const APPLICATION_SELECT: &str = "SELECT a.id, a.person_id, p.name AS person_name, a.jurisdiction_code, a.submitted_on, a.wish, \
     a.status, a.decided_on, a.decided_by, a.deployment_id FROM applications a JOIN people p ON p.id = a.person_id";

pub async fn insert_application(
    tx: &mut Tx,
    person_id: i64,
    code: &str,
    submitted_on: NaiveDate,
    wish: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    Ok(on_tx!(tx, e => sqlx::query_scalar(
        "INSERT INTO applications (person_id, jurisdiction_code, submitted_on, wish, status, created_at) \
         VALUES ($1, $2, $3, $4, 'submitted', $5) RETURNING id")
        .bind(person_id).bind(code).bind(submitted_on).bind(wish).bind(at)
        .fetch_one(&mut *e).await?))
}

pub async fn application(db: &Db, id: i64) -> Result<Option<ApplicationRow>> {
    let sql = format!("{APPLICATION_SELECT} WHERE a.id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, ApplicationRow>(&sql).bind(id).fetch_optional(p).await?))
}

/// Records a decision on a submitted application; false if it was decided already.
pub async fn decide_application(
    tx: &mut Tx,
    id: i64,
    status: &str,
    decided_on: NaiveDate,
    decided_by: &str,
    deployment_id: Option<i64>,
) -> Result<bool> {
    Ok(on_tx!(tx, e => sqlx::query(
        "UPDATE applications SET status = $2, decided_on = $3, decided_by = $4, deployment_id = $5 \
         WHERE id = $1 AND status = 'submitted'")
        .bind(id).bind(status).bind(decided_on).bind(decided_by).bind(deployment_id)
        .execute(&mut *e).await?.rows_affected() == 1))
}

pub async fn list_applications(
    db: &Db,
    scope: &Scope,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<ApplicationRow>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => {
        let mut qb = QueryBuilder::new(format!("{APPLICATION_SELECT} WHERE a.jurisdiction_code >= "));
        qb.push_bind(&lo).push(" AND a.jurisdiction_code < ").push_bind(&hi);
        if let Some(s) = status {
            qb.push(" AND a.status = ").push_bind(s);
        }
        qb.push(" ORDER BY a.submitted_on DESC, a.id DESC LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
        qb.build_query_as::<ApplicationRow>().fetch_all(p).await?
    }))
}

/// Applications submitted by `as_of`, by status.
pub async fn count_applications(
    db: &Db,
    scope: &Scope,
    as_of: NaiveDate,
) -> Result<Vec<(String, i64)>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_as::<_, (String, i64)>(
        "SELECT status, COUNT(*) FROM applications WHERE jurisdiction_code >= $1 AND jurisdiction_code < $2 \
         AND submitted_on <= $3 GROUP BY status ORDER BY status")
        .bind(&lo).bind(&hi).bind(as_of).fetch_all(p).await?))
}

pub async fn insert_registration(
    tx: &mut Tx,
    person_id: i64,
    community: &str,
    registered_on: NaiveDate,
    grid: Option<&str>,
    at: DateTime<Utc>,
) -> Result<i64> {
    Ok(on_tx!(tx, e => sqlx::query_scalar(
        "INSERT INTO registrations (person_id, jurisdiction_code, registered_on, grid_code, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(person_id).bind(community).bind(registered_on).bind(grid).bind(at)
        .fetch_one(&mut *e).await?))
}

pub async fn count_registrations(db: &Db, scope: &Scope, as_of: NaiveDate) -> Result<i64> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM registrations WHERE jurisdiction_code >= $1 AND jurisdiction_code < $2 AND registered_on <= $3")
        .bind(&lo).bind(&hi).bind(as_of).fetch_one(p).await?))
}
