//! Rows whose personal fields the service seals (SM4, see the service's `crypto`): finding
//! the rows not under the newest key, writing them back sealed, counting rows per key.
//!
//! Each table names up to seven sealed text columns and, when one of them is an ID number,
//! that column, whose blind index sits in `id_bidx`; every table has `enc_key`, indexed, so
//! that finding no row to seal reads the index only.

use crate::{on_db, on_tx, Db, Result, Tx};

/// The value of a sealed column as stored: `enc:<key id>:…` ciphertext, or the plain text of
/// a row not yet sealed. It can be neither shown nor serialised: the service's crypto opens
/// it into a `String`, so a reader cannot hand the stored text on by mistake.
#[derive(Clone, PartialEq, Eq, sqlx::Type)]
#[sqlx(transparent)]
pub struct SealedText(String);

impl SealedText {
    /// A value as it is to be stored (already sealed, or plain for the pass to seal).
    pub fn stored(value: impl Into<String>) -> SealedText {
        SealedText(value.into())
    }

    /// The stored text (for the crypto that opens it, and for writing it back).
    pub fn as_stored(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SealedText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealedText(…)")
    }
}

/// A table with sealed columns.
#[derive(Debug, Clone, Copy)]
pub struct Sealed {
    pub table: &'static str,
    /// What its rows are, in words (for the audit log and the key status).
    pub zh: &'static str,
    /// The sealed columns (one to seven), the ID number among them.
    pub columns: &'static [&'static str],
    /// The ID number column, if any (its blind index is `id_bidx`).
    pub id_number: Option<&'static str>,
}

/// Travellers at checkpoints: name, ID number, phone.
pub const TRAVELLERS: Sealed = Sealed {
    table: "passage_travellers",
    zh: "卡口旅客",
    columns: &["name", "id_number", "phone"],
    id_number: Some("id_number"),
};
/// People under monitoring: name, ID number, phone, the place of quarantine (an address, or
/// the name of a central quarantine site: where the person is), the reason (where they came
/// from: their travel and contacts), the release reason (on an early release, the doctor's
/// decision) and the fever clinic's finding when a referred case was put back.
pub const CASES: Sealed = Sealed {
    table: "monitoring_cases",
    zh: "隔离监测对象",
    columns: &[
        "name",
        "id_number",
        "phone",
        "place",
        "reason",
        "release_reason",
        "resume_finding",
    ],
    id_number: Some("id_number"),
};
/// People in mobilisation: ID number and phone (names stay plain: the list is searched and
/// sorted by name).
pub const PEOPLE: Sealed = Sealed {
    table: "people",
    zh: "登记人员",
    columns: &["id_number", "phone"],
    id_number: Some("id_number"),
};

/// Persons screened in the grids: name, ID number, phone.
pub const SCREENED: Sealed = Sealed {
    table: "screened_persons",
    zh: "摸排人员",
    columns: &["name", "id_number", "phone"],
    id_number: Some("id_number"),
};
/// Households: address and the head's name.
pub const HOUSEHOLDS: Sealed = Sealed {
    table: "households",
    zh: "住户",
    columns: &["address", "head_name"],
    id_number: None,
};
/// Follow-ups of monitored people: symptoms and the note on their health.
pub const FOLLOWUPS: Sealed = Sealed {
    table: "monitoring_followups",
    zh: "随访记录",
    columns: &["symptoms", "note"],
    id_number: None,
};
/// Enterprises: the contact's phone.
pub const ENTERPRISES: Sealed = Sealed {
    table: "enterprises",
    zh: "企业联系人",
    columns: &["contact_phone"],
    id_number: None,
};

/// Every table with sealed columns.
pub const ALL: [Sealed; 7] = [
    TRAVELLERS,
    CASES,
    PEOPLE,
    SCREENED,
    HOUSEHOLDS,
    FOLLOWUPS,
    ENTERPRISES,
];

/// One row as stored: its id, key and sealed columns (in the order of `columns`).
#[derive(Debug, Clone)]
pub struct StoredRow {
    pub id: i64,
    pub enc_key: Option<String>,
    pub values: Vec<Option<String>>,
}

/// The most sealed columns a table has.
const MAX_COLUMNS: usize = 7;

fn column_list(t: &Sealed) -> String {
    (0..MAX_COLUMNS)
        .map(|i| match t.columns.get(i) {
            Some(c) => c.to_string(),
            None => "CAST(NULL AS TEXT)".to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The condition of a row not under key `$n` (or, with encryption off, missing its blind
/// index), written so that each term can be answered from an index (`<>` cannot).
fn stale(t: &Sealed, key: bool, n: usize) -> String {
    let bidx = if t.id_number.is_some() {
        "id_bidx IS NULL"
    } else {
        "1 = 0"
    };
    if key {
        format!("(enc_key IS NULL OR enc_key < ${n} OR enc_key > ${n} OR {bidx})")
    } else {
        format!("({bidx} AND ${n} IS NULL)")
    }
}

/// The statement [`needs_reseal`] runs: whether any row of `t` is not under the key `$1`.
pub fn needs_reseal_sql(t: &Sealed, key: bool) -> String {
    let bidx = if t.id_number.is_some() {
        format!(
            " OR EXISTS (SELECT 1 FROM {} WHERE id_bidx IS NULL)",
            t.table
        )
    } else {
        String::new()
    };
    if key {
        format!(
            "SELECT EXISTS (SELECT 1 FROM {0} WHERE enc_key IS NULL) \
             OR EXISTS (SELECT 1 FROM {0} WHERE enc_key < $1) \
             OR EXISTS (SELECT 1 FROM {0} WHERE enc_key > $1){bidx}",
            t.table
        )
    } else if t.id_number.is_some() {
        format!(
            "SELECT EXISTS (SELECT 1 FROM {} WHERE id_bidx IS NULL) AND $1 IS NULL",
            t.table
        )
    } else {
        "SELECT 1 = 0 AND $1 IS NULL".to_string()
    }
}

/// Whether any row of `t` is not sealed under `key` (none: lacks its blind index), from
/// the indexes on `enc_key` and `id_bidx` alone.
pub async fn needs_reseal(db: &Db, t: &Sealed, key: Option<&str>) -> Result<bool> {
    let sql = needs_reseal_sql(t, key.is_some());
    Ok(on_db!(db, p => sqlx::query_scalar::<_, bool>(&sql).bind(key).fetch_one(p).await?))
}

/// Rows after id `after`, in id order, not sealed under `key` (none: every row), at most `limit`.
pub async fn not_under(
    db: &Db,
    t: &Sealed,
    key: Option<&str>,
    after: i64,
    limit: i64,
) -> Result<Vec<StoredRow>> {
    let filter = stale(t, key.is_some(), 3);
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
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Raw> =
        on_db!(db, p => sqlx::query_as(&sql).bind(after).bind(limit).bind(key).fetch_all(p).await?);
    Ok(rows
        .into_iter()
        .map(|(id, enc_key, a, b, c, d, e, f, g)| StoredRow {
            id,
            enc_key,
            values: [a, b, c, d, e, f, g]
                .into_iter()
                .take(t.columns.len())
                .collect(),
        })
        .collect())
}

/// Writes a row back sealed under `key` with its blind index (for a table with an ID
/// number), unless it changed since it was read as `old` (then it is left for the next
/// pass): whether it was written.
pub async fn reseal(
    tx: &mut Tx,
    t: &Sealed,
    old: &StoredRow,
    values: &[Option<String>],
    id_bidx: Option<&str>,
    key: Option<&str>,
) -> Result<bool> {
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    let mut sets: Vec<String> = t
        .columns
        .iter()
        .map(|c| format!("{c} = {}", next()))
        .collect();
    let with_bidx = t.id_number.is_some();
    if with_bidx {
        sets.push(format!("id_bidx = {}", next()));
    }
    sets.push(format!("enc_key = {}", next()));
    let id = next();
    let mut checks: Vec<String> = t
        .columns
        .iter()
        .map(|c| format!("{c} IS NOT DISTINCT FROM {}", next()))
        .collect();
    checks.push(format!("enc_key IS NOT DISTINCT FROM {}", next()));
    let sql = format!(
        "UPDATE {} SET {} WHERE id = {id} AND {}",
        t.table,
        sets.join(", "),
        checks.join(" AND ")
    );
    let done = on_tx!(tx, x => {
        let mut q = sqlx::query(&sql);
        for v in values {
            q = q.bind(v.as_deref());
        }
        if with_bidx {
            q = q.bind(id_bidx);
        }
        q = q.bind(key).bind(old.id);
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
