//! People of the registry and their categories.

use super::*;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonRow {
    pub id: i64,
    pub name: String,
    pub id_number: String,
    pub sex: String,
    pub birth_date: NaiveDate,
    pub phone: Option<String>,
    pub political_status: String,
    pub jurisdiction_code: String,
    pub employer: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub(super) const PERSON_COLUMNS: &str =
    "p.id, p.name, p.id_number, p.sex, p.birth_date, p.phone, p.political_status, p.jurisdiction_code, p.employer, p.created_at";

pub struct NewPerson<'a> {
    pub name: &'a str,
    pub id_number: &'a str,
    pub sex: &'a str,
    pub birth_date: NaiveDate,
    pub phone: Option<&'a str>,
    pub political_status: &'a str,
    pub jurisdiction_code: &'a str,
    pub employer: Option<&'a str>,
    pub at: DateTime<Utc>,
    /// The blind index of the ID number (see `sealing`).
    pub id_bidx: Option<&'a str>,
    /// The key the ID number and phone are sealed under (none: stored plain).
    pub enc_key: Option<&'a str>,
}

pub async fn insert_person(tx: &mut Tx, p: &NewPerson<'_>) -> Result<i64> {
    Ok(on_tx!(tx, e => sqlx::query_scalar(
        "INSERT INTO people (name, id_number, sex, birth_date, phone, political_status, jurisdiction_code, employer, created_at, \
         id_bidx, enc_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")
        .bind(p.name).bind(p.id_number).bind(p.sex).bind(p.birth_date).bind(p.phone).bind(p.political_status)
        .bind(p.jurisdiction_code).bind(p.employer).bind(p.at).bind(p.id_bidx).bind(p.enc_key)
        .fetch_one(&mut *e).await?))
}

/// The person registered under the ID number whose blind index is `id_bidx`.
pub async fn person_by_id_bidx(tx: &mut Tx, id_bidx: &str) -> Result<Option<PersonRow>> {
    let sql = format!("SELECT {PERSON_COLUMNS} FROM people p WHERE p.id_bidx = $1");
    Ok(
        on_tx!(tx, e => sqlx::query_as::<_, PersonRow>(&sql).bind(id_bidx).fetch_optional(&mut *e).await?),
    )
}

pub async fn person(db: &Db, id: i64) -> Result<Option<PersonRow>> {
    let sql = format!("SELECT {PERSON_COLUMNS} FROM people p WHERE p.id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, PersonRow>(&sql).bind(id).fetch_optional(p).await?))
}

pub async fn add_categories(tx: &mut Tx, person_id: i64, categories: &[&str]) -> Result<()> {
    on_tx!(tx, e => {
        for c in categories {
            sqlx::query(
                "INSERT INTO person_categories (person_id, category, jurisdiction_code) \
                 SELECT id, $2, jurisdiction_code FROM people WHERE id = $1 ON CONFLICT DO NOTHING")
                .bind(person_id).bind(*c).execute(&mut *e).await?;
        }
    });
    Ok(())
}

pub async fn categories_of(db: &Db, ids: &[i64]) -> Result<Vec<(i64, String)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(1000) {
        let rows = on_db!(db, p => {
            let mut qb = QueryBuilder::new("SELECT person_id, category FROM person_categories WHERE person_id IN (");
            let mut sep = qb.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            qb.push(") ORDER BY person_id, category");
            qb.build_query_as::<(i64, String)>().fetch_all(p).await?
        });
        out.extend(rows);
    }
    Ok(out)
}

/// What a list of people is filtered by.
#[derive(Debug, Clone, Default)]
pub struct PeopleFilter {
    pub name: Option<String>,
    pub category: Option<String>,
    pub political_status: Option<String>,
}

/// Appends the scope and the filter to a query on `people p`. With a category, the query
/// runs on `person_categories pc` (category, jurisdiction, person) joined to `people p`, so
/// that the index gives the range and the order.
macro_rules! people_from_where {
    ($qb:expr, $lo:expr, $hi:expr, $f:expr, $rows:expr) => {{
        let qb = $qb;
        // A count by category alone needs no row of `people`: the index answers it.
        let join = $rows || $f.name.is_some() || $f.political_status.is_some();
        match &$f.category {
            Some(c) => {
                qb.push(if join {
                    " FROM person_categories pc JOIN people p ON p.id = pc.person_id WHERE pc.category = "
                } else {
                    " FROM person_categories pc WHERE pc.category = "
                })
                    .push_bind(c.clone())
                    .push(" AND pc.jurisdiction_code >= ")
                    .push_bind($lo)
                    .push(" AND pc.jurisdiction_code < ")
                    .push_bind($hi);
            }
            None => {
                qb.push(" FROM people p WHERE p.jurisdiction_code >= ").push_bind($lo).push(" AND p.jurisdiction_code < ").push_bind($hi);
            }
        }
        if let Some(n) = &$f.name {
            qb.push(" AND p.name LIKE ").push_bind(format!("%{}%", n.replace(['%', '_', '\\'], "")));
        }
        if let Some(s) = &$f.political_status {
            qb.push(" AND p.political_status = ").push_bind(s.clone());
        }
    }};
}

/// People of the scope matching `f`, in the order of their place and id: a page by offset,
/// or, with `after` (the place and id of the last one read), the next batch of an export.
pub async fn list_people(
    db: &Db,
    scope: &Scope,
    f: &PeopleFilter,
    after: Option<(&str, i64)>,
    limit: i64,
    offset: i64,
) -> Result<Vec<PersonRow>> {
    let (lo, hi) = scope.range();
    let order = if f.category.is_some() {
        "pc.jurisdiction_code, pc.person_id"
    } else {
        "p.jurisdiction_code, p.id"
    };
    Ok(on_db!(db, p => {
        let mut qb = QueryBuilder::new(format!("SELECT {PERSON_COLUMNS}"));
        people_from_where!(&mut qb, &lo, &hi, f, true);
        if let Some((code, id)) = after {
            qb.push(format!(" AND ({order}) > (")).push_bind(code).push(", ").push_bind(id).push(")");
        }
        qb.push(format!(" ORDER BY {order} LIMIT ")).push_bind(limit).push(" OFFSET ").push_bind(offset);
        qb.build_query_as::<PersonRow>().fetch_all(p).await?
    }))
}

pub async fn count_people(db: &Db, scope: &Scope, f: &PeopleFilter) -> Result<i64> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => {
        let mut qb = QueryBuilder::new("SELECT COUNT(*)");
        people_from_where!(&mut qb, &lo, &hi, f, false);
        qb.build_query_scalar::<i64>().fetch_one(p).await?
    }))
}
