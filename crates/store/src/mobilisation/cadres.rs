//! Front-line records on cadres.

use super::*;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CadreRecordRow {
    pub id: i64,
    pub person_id: i64,
    pub kind: String,
    pub recorded_on: NaiveDate,
    pub content: String,
    pub recorded_by: String,
}

pub async fn insert_cadre_record(
    tx: &mut Tx,
    person_id: i64,
    kind: &str,
    recorded_on: NaiveDate,
    content: &str,
    recorded_by: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    Ok(on_tx!(tx, e => sqlx::query_scalar(
        "INSERT INTO cadre_records (person_id, kind, recorded_on, content, recorded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(person_id).bind(kind).bind(recorded_on).bind(content).bind(recorded_by).bind(at)
        .fetch_one(&mut *e).await?))
}

pub async fn cadre_records(db: &Db, person_id: i64) -> Result<Vec<CadreRecordRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, CadreRecordRow>(
        "SELECT id, person_id, kind, recorded_on, content, recorded_by FROM cadre_records \
         WHERE person_id = $1 ORDER BY recorded_on DESC, id DESC")
        .bind(person_id).fetch_all(p).await?))
}

/// Ids of every organisation of a kind (for linking documents in the demo).
pub async fn org_ids_of_kind(tx: &mut Tx, kind: &str) -> Result<Vec<i64>> {
    Ok(
        on_tx!(tx, e => sqlx::query_scalar("SELECT id FROM organisations WHERE kind = $1 ORDER BY id")
        .bind(kind).fetch_all(&mut *e).await?),
    )
}
