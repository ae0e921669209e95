//! The jurisdiction tree: divisions from the national codes, and grids.

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, Utc};
use dualtrack_domain::divisions::Division;
use dualtrack_domain::jurisdiction::{Code, Scope};
use sqlx::QueryBuilder;

/// One node of the tree, with the number of its direct children.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NodeRow {
    pub code: String,
    pub name: String,
    pub level: i64,
    pub parent_code: Option<String>,
    pub child_count: i64,
}

const NODE_COLUMNS: &str = "j.code, j.name, j.level, j.parent_code, \
     (SELECT COUNT(*) FROM jurisdictions c WHERE c.parent_code = j.code) AS child_count";

/// Rows per INSERT statement: 5 binds each stays under both engines' limits.
const BATCH: usize = 2000;

/// Inserts the divisions that are not there yet; returns how many were new.
/// Parents must come before their children.
pub async fn insert_divisions(tx: &mut Tx, divisions: &[Division]) -> Result<u64> {
    let mut inserted = 0;
    for chunk in divisions.chunks(BATCH) {
        inserted += on_tx!(tx, e => {
            let mut qb = QueryBuilder::new("INSERT INTO jurisdictions (code, name, level, parent_code) ");
            qb.push_values(chunk, |mut b, d| {
                b.push_bind(d.code.as_str())
                    .push_bind(d.name.as_str())
                    .push_bind(d.level.rank())
                    .push_bind(d.code.parent().map(String::from));
            });
            qb.push(" ON CONFLICT (code) DO NOTHING");
            qb.build().execute(&mut *e).await?.rows_affected()
        });
    }
    Ok(inserted)
}

pub async fn get(db: &Db, code: &str) -> Result<Option<NodeRow>> {
    let sql = format!("SELECT {NODE_COLUMNS} FROM jurisdictions j WHERE j.code = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, NodeRow>(&sql).bind(code).fetch_optional(p).await?))
}

pub async fn exists(tx: &mut Tx, code: &str) -> Result<bool> {
    let n: i64 = on_tx!(tx, e => sqlx::query_scalar("SELECT COUNT(*) FROM jurisdictions WHERE code = $1")
        .bind(code).fetch_one(&mut *e).await?);
    Ok(n > 0)
}

pub async fn children(db: &Db, code: &str) -> Result<Vec<NodeRow>> {
    let sql = format!(
        "SELECT {NODE_COLUMNS} FROM jurisdictions j WHERE j.parent_code = $1 ORDER BY j.code"
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, NodeRow>(&sql).bind(code).fetch_all(p).await?))
}

/// The nodes on the path from the top of the tree down to `code`, top first.
pub async fn path(db: &Db, code: &Code) -> Result<Vec<NodeRow>> {
    let lineage: Vec<String> = code.lineage().into_iter().map(String::from).collect();
    let rows = on_db!(db, p => {
        let mut qb = QueryBuilder::new(format!("SELECT {NODE_COLUMNS} FROM jurisdictions j WHERE j.code IN ("));
        let mut sep = qb.separated(", ");
        for c in &lineage {
            sep.push_bind(c.as_str());
        }
        qb.push(") ORDER BY j.level");
        qb.build_query_as::<NodeRow>().fetch_all(p).await?
    });
    Ok(rows)
}

/// How many nodes of each level lie strictly below `code`.
pub async fn level_counts(db: &Db, code: &Code) -> Result<Vec<(i64, i64)>> {
    let (lo, hi) = code.subtree_range();
    Ok(on_db!(db, p => sqlx::query_as::<_, (i64, i64)>(
        "SELECT level, COUNT(*) FROM jurisdictions WHERE code > $1 AND code < $2 GROUP BY level ORDER BY level")
        .bind(&lo).bind(&hi).fetch_all(p).await?))
}

/// Nodes in the subtree of `scope` whose name contains `q` or whose code starts with it.
pub async fn search(db: &Db, scope: &Scope, q: &str, limit: i64) -> Result<Vec<NodeRow>> {
    let (lo, hi) = scope.range();
    let escaped: String = q
        .chars()
        .filter(|c| !matches!(c, '%' | '_' | '\\'))
        .collect();
    let contains = format!("%{escaped}%");
    let prefix = format!("{escaped}%");
    let sql = format!(
        "SELECT {NODE_COLUMNS} FROM jurisdictions j WHERE j.code >= $1 AND j.code < $2 \
         AND (j.name LIKE $3 OR j.code LIKE $4) ORDER BY j.level, j.code LIMIT $5"
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, NodeRow>(&sql)
        .bind(&lo).bind(&hi).bind(&contains).bind(&prefix).bind(limit).fetch_all(p).await?))
}

/// The highest grid number used under a village, 0 if none.
pub async fn last_grid_number(tx: &mut Tx, village: &Code) -> Result<u16> {
    let max: Option<String> = on_tx!(tx, e => sqlx::query_scalar(
        "SELECT MAX(code) FROM jurisdictions WHERE parent_code = $1 AND level = 6")
        .bind(village.as_str()).fetch_one(&mut *e).await?);
    Ok(max
        .and_then(|c| c.get(12..).and_then(|n| n.parse::<u16>().ok()))
        .unwrap_or(0))
}

pub async fn insert_grid(tx: &mut Tx, code: &Code, name: &str, at: DateTime<Utc>) -> Result<()> {
    on_tx!(tx, e => sqlx::query(
        "INSERT INTO jurisdictions (code, name, level, parent_code, created_at) VALUES ($1, $2, 6, $3, $4)")
        .bind(code.as_str()).bind(name).bind(code.parent().map(String::from)).bind(at)
        .execute(&mut *e).await?.rows_affected());
    Ok(())
}

/// Whether a grid of this name already stands under the village.
pub async fn grid_name_taken(tx: &mut Tx, village: &Code, name: &str) -> Result<bool> {
    let n: i64 = on_tx!(tx, e => sqlx::query_scalar(
        "SELECT COUNT(*) FROM jurisdictions WHERE parent_code = $1 AND level = 6 AND name = $2")
        .bind(village.as_str()).bind(name).fetch_one(&mut *e).await?);
    Ok(n > 0)
}

/// Number of nodes in the whole tree.
pub async fn count_all(db: &Db) -> Result<i64> {
    Ok(
        on_db!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM jurisdictions").fetch_one(p).await?),
    )
}

/// Codes of one level in a subtree, in order.
pub async fn codes_at_level(db: &Db, scope: &Code, level: i64) -> Result<Vec<String>> {
    let (lo, hi) = scope.subtree_range();
    Ok(on_db!(db, p => sqlx::query_scalar(
        "SELECT code FROM jurisdictions WHERE code >= $1 AND code < $2 AND level = $3 ORDER BY code")
        .bind(&lo).bind(&hi).bind(level).fetch_all(p).await?))
}

/// Every code in a subtree (for checking many records at once).
pub async fn codes_in(db: &Db, scope: &Scope) -> Result<Vec<String>> {
    let (lo, hi) = scope.range();
    Ok(
        on_db!(db, p => sqlx::query_scalar("SELECT code FROM jurisdictions WHERE code >= $1 AND code < $2")
        .bind(&lo).bind(&hi).fetch_all(p).await?),
    )
}

/// The names of the places with these codes, by code: the one lookup of place names. A code
/// that names no place is left out; each code is looked up once however often it is given.
pub async fn names_of<S: AsRef<str>>(
    db: &Db,
    codes: &[S],
) -> Result<std::collections::HashMap<String, String>> {
    let mut wanted: Vec<&str> = codes.iter().map(AsRef::as_ref).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut out = std::collections::HashMap::with_capacity(wanted.len());
    for chunk in wanted.chunks(200) {
        let rows: Vec<(String, String)> = on_db!(db, p => {
            let mut qb = QueryBuilder::new("SELECT code, name FROM jurisdictions WHERE code IN (");
            let mut sep = qb.separated(", ");
            for c in chunk {
                sep.push_bind(*c);
            }
            qb.push(")");
            qb.build_query_as::<(String, String)>().fetch_all(p).await?
        });
        out.extend(rows);
    }
    Ok(out)
}

/// Every node of the tree as (code, name, level), in code order (parents before children),
/// and how many there are: the one read behind place search.
pub async fn all_named(db: &Db) -> Result<Vec<(String, String, i64)>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, (String, String, i64)>(
        "SELECT code, name, level FROM jurisdictions ORDER BY code")
        .fetch_all(p).await?))
}
