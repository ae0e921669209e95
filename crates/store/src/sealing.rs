//! Rows whose personal fields the service seals (SM4, see the service's `crypto`): finding
//! the rows not under the newest key, writing them back sealed, counting rows per key.
//!
//! Each table names up to three sealed text columns, the first of them nullable or not, and
//! the ID number column whose blind index sits in `id_bidx`; every table has `enc_key`.

use crate::{on_db, on_tx, Db, Result, Tx};

/// A table with sealed columns.
#[derive(Debug, Clone, Copy)]
pub struct Sealed {
    pub table: &'static str,
    /// What its rows are, in words (for the audit log and the key status).
    pub zh: &'static str,
    /// The sealed columns (one to three), the ID number among them.
    pub columns: &'static [&'static str],
    /// The ID number column (its blind index is `id_bidx`).
    pub id_number: &'static str,
}

/// Travellers at checkpoints: name, ID number, phone.
pub const TRAVELLERS: Sealed = Sealed {
    table: "passage_travellers",
    zh: "卡口旅客",
    columns: &["name", "id_number", "phone"],
    id_number: "id_number",
};
/// People under monitoring: name, ID number, phone.
pub const CASES: Sealed = Sealed {
    table: "monitoring_cases",
    zh: "隔离监测对象",
    columns: &["name", "id_number", "phone"],
    id_number: "id_number",
};
/// People in mobilisation: ID number and phone (names stay plain: the list is searched and
/// sorted by name).
pub const PEOPLE: Sealed = Sealed {
    table: "people",
    zh: "登记人员",
    columns: &["id_number", "phone"],
    id_number: "id_number",
};

/// Every table with sealed columns.
pub const ALL: [Sealed; 3] = [TRAVELLERS, CASES, PEOPLE];

/// One row as stored: its id, key and sealed columns (in the order of `columns`).
#[derive(Debug, Clone)]
pub struct StoredRow {
    pub id: i64,
    pub enc_key: Option<String>,
    pub values: Vec<Option<String>>,
}

fn column_list(t: &Sealed) -> String {
    (0..3)
        .map(|i| match t.columns.get(i) {
            Some(c) => c.to_string(),
            None => "CAST(NULL AS TEXT)".to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rows after id `after`, in id order, not sealed under `key` (none: every row), at most `limit`.
pub async fn not_under(
    db: &Db,
    t: &Sealed,
    key: Option<&str>,
    after: i64,
    limit: i64,
) -> Result<Vec<StoredRow>> {
    let filter = if key.is_some() {
        "(enc_key IS NULL OR enc_key <> $3 OR id_bidx IS NULL)"
    } else {
        "id_bidx IS NULL AND $3 IS NULL"
    };
    let sql = format!(
        "SELECT id, enc_key, {} FROM {} WHERE id > $1 AND {filter} ORDER BY id LIMIT $2",
        column_list(t),
        t.table
    );
    type Raw = (
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Raw> =
        on_db!(db, p => sqlx::query_as(&sql).bind(after).bind(limit).bind(key).fetch_all(p).await?);
    Ok(rows
        .into_iter()
        .map(|(id, enc_key, a, b, c)| StoredRow {
            id,
            enc_key,
            values: [a, b, c].into_iter().take(t.columns.len()).collect(),
        })
        .collect())
}

/// Writes a row back sealed under `key` with its blind index, unless it changed since it
/// was read as `old` (then it is left for the next pass): whether it was written.
pub async fn reseal(
    tx: &mut Tx,
    t: &Sealed,
    old: &StoredRow,
    values: &[Option<String>],
    id_bidx: &str,
    key: Option<&str>,
) -> Result<bool> {
    let n = t.columns.len();
    let sets: Vec<String> = t
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ${}", i + 1))
        .collect();
    let checks: Vec<String> = t
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} IS NOT DISTINCT FROM ${}", n + 4 + i))
        .collect();
    let sql = format!(
        "UPDATE {} SET {}, id_bidx = ${}, enc_key = ${} WHERE id = ${} AND enc_key IS NOT DISTINCT FROM ${} AND {}",
        t.table,
        sets.join(", "),
        n + 1,
        n + 2,
        n + 3,
        n + 4 + n,
        checks.join(" AND ")
    );
    let done = on_tx!(tx, x => {
        let mut q = sqlx::query(&sql);
        for v in values {
            q = q.bind(v.as_deref());
        }
        q = q.bind(id_bidx).bind(key).bind(old.id);
        for v in &old.values {
            q = q.bind(v.as_deref());
        }
        q.bind(old.enc_key.as_deref()).execute(&mut *x).await?.rows_affected()
    });
    Ok(done == 1)
}

/// Rows per key id (none: rows not sealed).
pub async fn key_counts(db: &Db, t: &Sealed) -> Result<Vec<(Option<String>, i64)>> {
    let sql = format!(
        "SELECT enc_key, COUNT(*) FROM {} GROUP BY enc_key ORDER BY enc_key",
        t.table
    );
    Ok(on_db!(db, p => sqlx::query_as(&sql).fetch_all(p).await?))
}
