//! Bulk generation and upkeep for large test and benchmark data: passages generated in SQL,
//! the record of the parts of a generated data file, row counts and statistics. Nothing
//! here is used by the server; the benchmarks (`dualtrack bench …`) call it so that they
//! carry no SQL of their own.

use crate::{on_db, Db, Result};
use sqlx::SqlitePool;

/// Refreshes the planner's statistics (`ANALYZE`); on PostgreSQL of the schema's own
/// tables (the catalogue's belong to the superuser).
pub async fn analyze(db: &Db) -> Result<()> {
    match db {
        Db::Sqlite(p) => sqlx::query("ANALYZE").execute(p).await.map(|_| ())?,
        Db::Postgres(p) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema()",
            )
            .fetch_all(p)
            .await?;
            if !tables.is_empty() {
                sqlx::query(&format!("ANALYZE {}", tables.join(", ")))
                    .execute(p)
                    .await?;
            }
        }
    }
    Ok(())
}

/// Moves SQLite's write-ahead log into the database file and empties it; nothing on
/// PostgreSQL.
pub async fn checkpoint_wal(db: &Db) -> Result<()> {
    if let Db::Sqlite(p) = db {
        crate::truncate_wal(p).await?;
    }
    Ok(())
}

/// The number of rows of a table of the schema, named by the caller (letters, digits and
/// `_` only; anything else is refused).
pub async fn count_rows(db: &Db, table: &str) -> Result<i64> {
    if table.is_empty()
        || !table
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(crate::StoreError::Sql(sqlx::Error::Protocol(format!(
            "not a table name: {table:?}"
        ))));
    }
    let sql = format!("SELECT COUNT(*) FROM {table}");
    Ok(on_db!(db, p => sqlx::query_scalar::<_, i64>(&sql).fetch_one(p).await?))
}

/// The size of the database in bytes (PostgreSQL's `pg_database_size`; SQLite's pages).
pub async fn database_bytes(db: &Db) -> Result<i64> {
    Ok(match db {
        Db::Postgres(p) => {
            sqlx::query_scalar("SELECT pg_database_size(current_database())")
                .fetch_one(p)
                .await?
        }
        Db::Sqlite(p) => {
            sqlx::query_scalar(
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
            )
            .fetch_one(p)
            .await?
        }
    })
}

/// The lowest id of `people` (1 when there is none): where people written in bulk start.
pub async fn first_person_id(db: &Db) -> Result<i64> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, i64>(
        "SELECT COALESCE(MIN(id), 1) FROM people").fetch_one(p).await?))
}

/// Makes the table that records which parts of a generated data file are complete (kept in
/// the data file itself, so a later run reuses them).
pub async fn ensure_parts_table(db: &Db) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "CREATE TABLE IF NOT EXISTS bench_parts (part TEXT PRIMARY KEY, seconds DOUBLE PRECISION NOT NULL, detail TEXT NOT NULL)")
        .execute(p).await.map(|_| ())?);
    Ok(())
}

/// A part recorded complete: the seconds its generation took and what it holds.
pub async fn part(db: &Db, part: &str) -> Result<Option<(f64, String)>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, (f64, String)>(
        "SELECT CAST(seconds AS DOUBLE PRECISION), detail FROM bench_parts WHERE part = $1")
        .bind(part).fetch_optional(p).await?))
}

/// Records a part complete.
pub async fn record_part(db: &Db, part: &str, seconds: f64, detail: &str) -> Result<()> {
    on_db!(db, p => sqlx::query(
        "INSERT INTO bench_parts (part, seconds, detail) VALUES ($1, $2, $3)")
        .bind(part).bind(seconds).bind(detail).execute(p).await.map(|_| ())?);
    Ok(())
}

/// The seconds the recorded parts took in all.
pub async fn parts_seconds(db: &Db) -> Result<f64> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, f64>(
        "SELECT CAST(COALESCE(SUM(seconds), 0) AS DOUBLE PRECISION) FROM bench_parts").fetch_one(p).await?))
}

/// Generates the passages numbered `from..=to` (SQLite), in one transaction, each of two
/// travellers: at the `checkpoints` checkpoints whose ids follow `first_checkpoint`, spread
/// over a year from 2020-01-25, one in 500 with a fever. Their per-day counts are added to
/// the rollup in the same transaction, in one statement over the new passages.
pub async fn generate_passages(
    pool: &SqlitePool,
    from: i64,
    to: i64,
    first_checkpoint: i64,
    checkpoints: i64,
) -> Result<()> {
    let sql_passages = "WITH RECURSIVE n(i) AS (SELECT $1 UNION ALL SELECT i + 1 FROM n WHERE i < $2) \
         INSERT INTO passages (checkpoint_id, jurisdiction_code, passed_at, pass_date, plate, vehicle_class, origin_code, \
           origin_text, travel_history, reason, persons, fevers, let_through, turned_back, observed, quarantined, \
           idempotency_key, recorded_by, created_at) \
         SELECT c.id, c.jurisdiction_code, \
           datetime('2020-01-25', '+' || (n.i * 37 % 31536000) || ' seconds') || '+00:00', \
           date('2020-01-25', '+' || (n.i * 37 % 31536000 / 86400) || ' days'), \
           '青H·' || printf('%05d', n.i % 100000), 'car', NULL, '青海省西宁市', '', '返岗复工', 2, \
           CASE WHEN n.i % 500 = 0 THEN 1 ELSE 0 END, 2, 0, 0, 0, NULL, 'prefill', '2020-03-13T00:00:00+00:00' \
         FROM n JOIN checkpoints c ON c.id = $3 + n.i % $4";
    let sql_travellers = "INSERT INTO passage_travellers (passage_id, seq, is_driver, name, id_number, phone, temperature, \
           fever, outcome, destination_code, destination_text) \
         SELECT p.id, s.seq, s.seq = 1, '旅客', '632801' || printf('%012d', p.id * 2 + s.seq), '13900000000', \
           CASE WHEN p.fevers = 1 AND s.seq = 2 THEN 381 ELSE 365 END, p.fevers = 1 AND s.seq = 2, 'through', \
           '632801100', '郭勒木德镇' \
         FROM passages p CROSS JOIN (SELECT 1 AS seq UNION ALL SELECT 2) s WHERE p.id > $1";
    let mut tx = pool.begin().await?;
    let before: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM passages")
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query(sql_passages)
        .bind(from)
        .bind(to)
        .bind(first_checkpoint)
        .bind(checkpoints)
        .execute(&mut *tx)
        .await?;
    sqlx::query(sql_travellers)
        .bind(before)
        .execute(&mut *tx)
        .await?;
    crate::passage_days::add_passages_after(&mut tx, before).await?;
    tx.commit().await?;
    Ok(())
}
