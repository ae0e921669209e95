//! Bulk reads and writes for the spreadsheet imports.

use super::*;

/// A person to insert in bulk.
#[derive(Debug, Clone)]
pub struct PersonRecord {
    pub name: String,
    pub id_number: String,
    pub sex: &'static str,
    pub birth_date: NaiveDate,
    pub phone: Option<String>,
    pub political_status: &'static str,
    pub jurisdiction_code: String,
    pub employer: Option<String>,
    /// The blind index of the ID number (see `sealing`).
    pub id_bidx: Option<String>,
    /// The key the ID number and phone are sealed under (none: stored plain).
    pub enc_key: Option<String>,
}

/// People already registered under the ID numbers of these blind indexes: (blind index, id,
/// jurisdiction).
pub async fn people_by_id_bidx(db: &Db, indexes: &[String]) -> Result<Vec<(String, i64, String)>> {
    let mut out = Vec::new();
    for chunk in indexes.chunks(500) {
        let rows = on_db!(db, p => {
            let mut qb = QueryBuilder::new("SELECT id_bidx, id, jurisdiction_code FROM people WHERE id_bidx IN (");
            let mut sep = qb.separated(", ");
            for n in chunk {
                sep.push_bind(n.as_str());
            }
            qb.push(")");
            qb.build_query_as::<(String, i64, String)>().fetch_all(p).await?
        });
        out.extend(rows);
    }
    Ok(out)
}

/// Inserts people in batches; returns (ID number, id) of each.
pub async fn insert_people(
    tx: &mut Tx,
    people: &[PersonRecord],
    at: DateTime<Utc>,
) -> Result<Vec<(String, i64)>> {
    let mut out = Vec::with_capacity(people.len());
    // 11 binds a row: well under both engines' limits.
    for chunk in people.chunks(1000) {
        let rows = on_tx!(tx, e => {
            let mut qb = QueryBuilder::new(
                "INSERT INTO people (name, id_number, sex, birth_date, phone, political_status, jurisdiction_code, employer, created_at, \
                 id_bidx, enc_key) ");
            qb.push_values(chunk, |mut b, p| {
                b.push_bind(p.name.as_str())
                    .push_bind(p.id_number.as_str())
                    .push_bind(p.sex)
                    .push_bind(p.birth_date)
                    .push_bind(p.phone.as_deref())
                    .push_bind(p.political_status)
                    .push_bind(p.jurisdiction_code.as_str())
                    .push_bind(p.employer.as_deref())
                    .push_bind(at)
                    .push_bind(p.id_bidx.as_deref())
                    .push_bind(p.enc_key.as_deref());
            });
            qb.push(" RETURNING id_number, id");
            qb.build_query_as::<(String, i64)>().fetch_all(&mut *e).await?
        });
        out.extend(rows);
    }
    Ok(out)
}

/// Adds (person, category, person's jurisdiction) rows, ignoring those already there.
pub async fn insert_categories(tx: &mut Tx, rows: &[(i64, &str, &str)]) -> Result<()> {
    for chunk in rows.chunks(5000) {
        on_tx!(tx, e => {
            let mut qb = QueryBuilder::new("INSERT INTO person_categories (person_id, category, jurisdiction_code) ");
            qb.push_values(chunk, |mut b, (id, c, code)| {
                b.push_bind(*id).push_bind(*c).push_bind(*code);
            });
            qb.push(" ON CONFLICT DO NOTHING");
            qb.build().execute(&mut *e).await?;
        });
    }
    Ok(())
}

/// ID numbers and phones of people, in full (for an audited unmasked export).
pub async fn people_by_ids(db: &Db, ids: &[i64]) -> Result<Vec<(i64, String, Option<String>)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let rows = on_db!(db, p => {
            let mut qb = QueryBuilder::new("SELECT id, id_number, phone FROM people WHERE id IN (");
            let mut sep = qb.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            qb.push(")");
            qb.build_query_as::<(i64, String, Option<String>)>().fetch_all(p).await?
        });
        out.extend(rows);
    }
    Ok(out)
}

/// A deployment to insert in bulk.
#[derive(Debug, Clone)]
pub struct DeploymentRecord {
    pub person_id: i64,
    pub jurisdiction_code: String,
    pub site_kind: Option<&'static str>,
    pub role: &'static str,
    pub start_on: NaiveDate,
    pub end_on: Option<NaiveDate>,
}

/// Inserts deployments in batches.
pub async fn insert_deployments(
    tx: &mut Tx,
    rows: &[DeploymentRecord],
    at: DateTime<Utc>,
) -> Result<()> {
    let people: Vec<i64> = rows.iter().map(|r| r.person_id).collect();
    lock_people(tx, &people).await?;
    let mut new = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(2000) {
        on_tx!(tx, e => {
            let mut qb = QueryBuilder::new(
                "INSERT INTO deployments (person_id, jurisdiction_code, site_kind, role, start_on, end_on, created_at) ");
            qb.push_values(chunk, |mut b, d| {
                b.push_bind(d.person_id)
                    .push_bind(d.jurisdiction_code.as_str())
                    .push_bind(d.site_kind)
                    .push_bind(d.role)
                    .push_bind(d.start_on)
                    .push_bind(d.end_on)
                    .push_bind(at);
            });
            qb.push(" RETURNING id");
            let ids: Vec<i64> = qb.build_query_scalar().fetch_all(&mut *e).await?;
            new.extend(ids);
        });
    }
    add_to_on_duty(tx, &new).await?;
    Ok(())
}
