//! Mobilisation records: people, organisations, deployments, returns to post,
//! applications to serve at the front, community registrations, front-line records.

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use dualtrack_domain::jurisdiction::Scope;
use sqlx::QueryBuilder;

// ---- people ----

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

const PERSON_COLUMNS: &str =
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
}

pub async fn insert_person(tx: &mut Tx, p: &NewPerson<'_>) -> Result<i64> {
    Ok(on_tx!(tx, e => sqlx::query_scalar(
        "INSERT INTO people (name, id_number, sex, birth_date, phone, political_status, jurisdiction_code, employer, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
        .bind(p.name).bind(p.id_number).bind(p.sex).bind(p.birth_date).bind(p.phone).bind(p.political_status)
        .bind(p.jurisdiction_code).bind(p.employer).bind(p.at)
        .fetch_one(&mut *e).await?))
}

pub async fn person_by_id_number(tx: &mut Tx, id_number: &str) -> Result<Option<PersonRow>> {
    let sql = format!("SELECT {PERSON_COLUMNS} FROM people p WHERE p.id_number = $1");
    Ok(
        on_tx!(tx, e => sqlx::query_as::<_, PersonRow>(&sql).bind(id_number).fetch_optional(&mut *e).await?),
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

pub async fn list_people(
    db: &Db,
    scope: &Scope,
    f: &PeopleFilter,
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

// ---- organisations ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgRow {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub jurisdiction_code: String,
    pub site_kind: Option<String>,
    pub site_name: Option<String>,
    pub established_on: NaiveDate,
    pub dissolved_on: Option<NaiveDate>,
    pub leader_id: Option<i64>,
    pub member_count: i64,
}

const ORG_COLUMNS: &str = "o.id, o.kind, o.name, o.jurisdiction_code, o.site_kind, o.site_name, o.established_on, \
     o.dissolved_on, o.leader_id, (SELECT COUNT(*) FROM org_members m WHERE m.org_id = o.id) AS member_count";

pub struct NewOrg<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub jurisdiction_code: &'a str,
    pub site_kind: Option<&'a str>,
    pub site_name: Option<&'a str>,
    pub established_on: NaiveDate,
    pub dissolved_on: Option<NaiveDate>,
    pub leader_id: Option<i64>,
    pub at: DateTime<Utc>,
}

pub async fn insert_org(tx: &mut Tx, o: &NewOrg<'_>) -> Result<i64> {
    Ok(on_tx!(tx, e => sqlx::query_scalar(
        "INSERT INTO organisations (kind, name, jurisdiction_code, site_kind, site_name, established_on, dissolved_on, leader_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
        .bind(o.kind).bind(o.name).bind(o.jurisdiction_code).bind(o.site_kind).bind(o.site_name)
        .bind(o.established_on).bind(o.dissolved_on).bind(o.leader_id).bind(o.at)
        .fetch_one(&mut *e).await?))
}

pub async fn org(db: &Db, id: i64) -> Result<Option<OrgRow>> {
    let sql = format!("SELECT {ORG_COLUMNS} FROM organisations o WHERE o.id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, OrgRow>(&sql).bind(id).fetch_optional(p).await?))
}

pub async fn add_member(
    tx: &mut Tx,
    org_id: i64,
    person_id: i64,
    role: &str,
    joined_on: NaiveDate,
) -> Result<bool> {
    Ok(on_tx!(tx, e => sqlx::query(
        "INSERT INTO org_members (org_id, person_id, role, joined_on) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
        .bind(org_id).bind(person_id).bind(role).bind(joined_on).execute(&mut *e).await?.rows_affected() == 1))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub person_id: i64,
    pub name: String,
    pub role: String,
    pub joined_on: NaiveDate,
}

pub async fn members(db: &Db, org_id: i64) -> Result<Vec<MemberRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, MemberRow>(
        "SELECT m.person_id, p.name, m.role, m.joined_on FROM org_members m JOIN people p ON p.id = m.person_id \
         WHERE m.org_id = $1 ORDER BY m.joined_on, p.id")
        .bind(org_id).fetch_all(p).await?))
}

/// Organisations in the scope, optionally of one kind and standing on a date.
pub async fn list_orgs(
    db: &Db,
    scope: &Scope,
    kind: Option<&str>,
    as_of: Option<NaiveDate>,
    limit: i64,
    offset: i64,
) -> Result<Vec<OrgRow>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => {
        let mut qb = QueryBuilder::new(format!("SELECT {ORG_COLUMNS} FROM organisations o WHERE o.jurisdiction_code >= "));
        qb.push_bind(&lo).push(" AND o.jurisdiction_code < ").push_bind(&hi);
        if let Some(k) = kind {
            qb.push(" AND o.kind = ").push_bind(k);
        }
        if let Some(d) = as_of {
            qb.push(" AND o.established_on <= ").push_bind(d).push(" AND (o.dissolved_on IS NULL OR o.dissolved_on > ").push_bind(d).push(")");
        }
        qb.push(" ORDER BY o.jurisdiction_code, o.id LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
        qb.build_query_as::<OrgRow>().fetch_all(p).await?
    }))
}

/// Organisations standing on `as_of`, counted by kind and by the code prefix of `depth`
/// digits (6: county).
pub async fn count_orgs(
    db: &Db,
    scope: &Scope,
    as_of: NaiveDate,
    depth: i64,
) -> Result<Vec<(String, String, i64)>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_as::<_, (String, String, i64)>(
        "SELECT kind, substr(jurisdiction_code, 1, CAST($4 AS INTEGER)) AS place, COUNT(*) FROM organisations \
         WHERE jurisdiction_code >= $1 AND jurisdiction_code < $2 AND established_on <= $3 \
         AND (dissolved_on IS NULL OR dissolved_on > $3) \
         GROUP BY kind, substr(jurisdiction_code, 1, CAST($4 AS INTEGER)) ORDER BY 1, 2")
        .bind(&lo).bind(&hi).bind(as_of).bind(depth).fetch_all(p).await?))
}

// ---- deployments ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeploymentRow {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub jurisdiction_code: String,
    pub org_id: Option<i64>,
    pub org_name: Option<String>,
    pub site_kind: Option<String>,
    pub site_name: Option<String>,
    pub role: String,
    pub start_on: NaiveDate,
    pub end_on: Option<NaiveDate>,
}

const DEPLOYMENT_COLUMNS: &str =
    "d.id, d.person_id, p.name AS person_name, d.jurisdiction_code, d.org_id, o.name AS org_name, \
     d.site_kind, d.site_name, d.role, d.start_on, d.end_on";
const DEPLOYMENT_FROM: &str =
    "FROM deployments d JOIN people p ON p.id = d.person_id LEFT JOIN organisations o ON o.id = d.org_id";

pub struct NewDeployment<'a> {
    pub person_id: i64,
    pub jurisdiction_code: &'a str,
    pub org_id: Option<i64>,
    pub site_kind: Option<&'a str>,
    pub site_name: Option<&'a str>,
    pub role: &'a str,
    pub start_on: NaiveDate,
    pub end_on: Option<NaiveDate>,
    pub at: DateTime<Utc>,
}

pub async fn insert_deployment(tx: &mut Tx, d: &NewDeployment<'_>) -> Result<i64> {
    lock_people(tx, &[d.person_id]).await?;
    let id: i64 = on_tx!(tx, e => sqlx::query_scalar(
        "INSERT INTO deployments (person_id, jurisdiction_code, org_id, site_kind, site_name, role, start_on, end_on, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
        .bind(d.person_id).bind(d.jurisdiction_code).bind(d.org_id).bind(d.site_kind).bind(d.site_name)
        .bind(d.role).bind(d.start_on).bind(d.end_on).bind(d.at)
        .fetch_one(&mut *e).await?);
    add_to_on_duty(tx, &[id]).await?;
    Ok(id)
}

/// The levels of the on-duty rollup: province, prefecture, county, township.
const ON_DUTY_LEVELS: [usize; 4] = [2, 4, 6, 9];

/// On PostgreSQL, holds the people whose deployments are being written until the
/// transaction ends, so that two transactions never merge one person's stretches on duty
/// each without the other's (SQLite writes one transaction at a time).
async fn lock_people(tx: &mut Tx, people: &[i64]) -> Result<()> {
    if let Tx::Postgres(t) = tx {
        let mut ids = people.to_vec();
        ids.sort_unstable();
        ids.dedup();
        sqlx::query("SELECT id FROM people WHERE id = ANY($1) ORDER BY id FOR UPDATE")
            .bind(&ids)
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

/// The +1/-1 of one person's deployments in one place: overlapping deployments merged.
fn stretches(mut spans: Vec<(NaiveDate, Option<NaiveDate>)>, out: &mut Vec<(NaiveDate, i64)>) {
    spans.retain(|(s, e)| e.is_none_or(|e| e >= *s));
    spans.sort();
    let mut cur: Option<(NaiveDate, Option<NaiveDate>)> = None;
    fn close((s, e): (NaiveDate, Option<NaiveDate>), out: &mut Vec<(NaiveDate, i64)>) {
        out.push((s, 1));
        if let Some(e) = e {
            out.push((e + chrono::Duration::days(1), -1));
        }
    }
    for (s, e) in spans {
        cur = match cur {
            Some((cs, ce)) if ce.is_none_or(|ce| s <= ce) => {
                Some((cs, ce.and_then(|ce| e.map(|e| e.max(ce)))))
            }
            Some(c) => {
                close(c, out);
                Some((s, e))
            }
            None => Some((s, e)),
        };
    }
    if let Some(c) = cur {
        close(c, out);
    }
}

/// One deployment as the on-duty rollup sees it: (id, person, place, start, end).
type Span = (i64, i64, String, NaiveDate, Option<NaiveDate>);

/// Adds the deployments just written (`new`, in this transaction) to the on-duty rollup:
/// for each of their people and each place of the rollup, the stretches on duty with and
/// without them are merged and the difference is added.
async fn add_to_on_duty(tx: &mut Tx, new: &[i64]) -> Result<()> {
    use std::collections::HashSet;
    let new_ids: HashSet<i64> = new.iter().copied().collect();
    let mut rows: Vec<Span> = Vec::new();
    for chunk in new.chunks(500) {
        let got: Vec<Span> = on_tx!(tx, e => {
            let mut qb = QueryBuilder::new(
                "SELECT id, person_id, jurisdiction_code, start_on, end_on FROM deployments \
                 WHERE person_id IN (SELECT person_id FROM deployments WHERE id IN (");
            let mut sep = qb.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            qb.push("))");
            qb.build_query_as::<Span>().fetch_all(&mut *e).await?
        });
        rows.extend(got);
    }
    rows.sort_by_key(|r| r.0);
    rows.dedup_by_key(|r| r.0);
    let before: Vec<Span> = rows
        .iter()
        .filter(|r| !new_ids.contains(&r.0))
        .cloned()
        .collect();
    change_on_duty(tx, &before, &rows).await
}

/// Moves the on-duty rollup from one set of deployments of some people to another: for each
/// person and each place of the rollup, the stretches on duty after (+) and before (-) are
/// merged and the difference is added.
async fn change_on_duty(tx: &mut Tx, before: &[Span], after: &[Span]) -> Result<()> {
    use std::collections::BTreeMap;
    type Spans = Vec<(NaiveDate, Option<NaiveDate>)>;
    let mut by: BTreeMap<(usize, String, i64), (Spans, Spans)> = BTreeMap::new();
    for (side, rows) in [(0, after), (1, before)] {
        for (_, person, code, s, e) in rows {
            for level in ON_DUTY_LEVELS {
                if code.len() < level {
                    continue;
                }
                let entry = by
                    .entry((level, code[..level].to_string(), *person))
                    .or_default();
                if side == 0 {
                    entry.0.push((*s, *e));
                } else {
                    entry.1.push((*s, *e));
                }
            }
        }
    }
    let mut deltas: BTreeMap<(usize, String, NaiveDate), i64> = BTreeMap::new();
    for ((level, place, _), (with, without)) in by {
        let (mut plus, mut minus) = (Vec::new(), Vec::new());
        stretches(with, &mut plus);
        stretches(without, &mut minus);
        for (day, n) in plus {
            *deltas.entry((level, place.clone(), day)).or_default() += n;
        }
        for (day, n) in minus {
            *deltas.entry((level, place.clone(), day)).or_default() -= n;
        }
    }
    let deltas: Vec<_> = deltas.into_iter().filter(|(_, n)| *n != 0).collect();
    for chunk in deltas.chunks(1000) {
        on_tx!(tx, e => {
            let mut qb = QueryBuilder::new("INSERT INTO on_duty_days (level, place, day, delta) ");
            qb.push_values(chunk, |mut b, ((level, place, day), n)| {
                b.push_bind(*level as i32).push_bind(place.as_str()).push_bind(*day).push_bind(*n);
            });
            qb.push(" ON CONFLICT (level, place, day) DO UPDATE SET delta = on_duty_days.delta + excluded.delta");
            qb.build().execute(&mut *e).await?;
        });
    }
    Ok(())
}

/// Sets the last day on duty of a deployment (ending it, or moving its end), keeping the
/// on-duty rollup in the same transaction. Returns the end it had before, or `None` when
/// there is no such deployment.
pub async fn end_deployment(
    tx: &mut Tx,
    id: i64,
    end_on: NaiveDate,
) -> Result<Option<Option<NaiveDate>>> {
    let person: Option<i64> = on_tx!(tx, e => sqlx::query_scalar(
        "SELECT person_id FROM deployments WHERE id = $1")
        .bind(id).fetch_optional(&mut *e).await?);
    let Some(person) = person else {
        return Ok(None);
    };
    // The person is locked first, as a new deployment does, so that changes to one person's
    // deployments queue and each reads what the one before left.
    lock_people(tx, &[person]).await?;
    let before: Vec<Span> = on_tx!(tx, e => sqlx::query_as(
        "SELECT id, person_id, jurisdiction_code, start_on, end_on FROM deployments WHERE person_id = $1 ORDER BY id")
        .bind(person).fetch_all(&mut *e).await?);
    let had = before.iter().find(|r| r.0 == id).and_then(|r| r.4);
    on_tx!(tx, e => sqlx::query("UPDATE deployments SET end_on = $2 WHERE id = $1")
        .bind(id).bind(end_on).execute(&mut *e).await.map(|_| ())?);
    let after: Vec<Span> = before
        .iter()
        .map(|r| {
            if r.0 == id {
                (r.0, r.1, r.2.clone(), r.3, Some(end_on))
            } else {
                r.clone()
            }
        })
        .collect();
    change_on_duty(tx, &before, &after).await?;
    Ok(Some(had))
}

/// One deployment by id.
pub async fn deployment(db: &Db, id: i64) -> Result<Option<DeploymentRow>> {
    let sql = format!("SELECT {DEPLOYMENT_COLUMNS} {DEPLOYMENT_FROM} WHERE d.id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, DeploymentRow>(&sql).bind(id).fetch_optional(p).await?))
}

/// Deployments in the scope: of one person, or on duty on a day, or all.
pub async fn list_deployments(
    db: &Db,
    scope: &Scope,
    person_id: Option<i64>,
    on_day: Option<NaiveDate>,
    limit: i64,
    offset: i64,
) -> Result<Vec<DeploymentRow>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => {
        let mut qb = QueryBuilder::new(format!("SELECT {DEPLOYMENT_COLUMNS} {DEPLOYMENT_FROM} WHERE d.jurisdiction_code >= "));
        qb.push_bind(&lo).push(" AND d.jurisdiction_code < ").push_bind(&hi);
        if let Some(id) = person_id {
            qb.push(" AND d.person_id = ").push_bind(id);
        }
        if let Some(day) = on_day {
            qb.push(" AND d.start_on <= ").push_bind(day).push(" AND (d.end_on IS NULL OR d.end_on >= ").push_bind(day).push(")");
        }
        qb.push(" ORDER BY d.start_on DESC, d.id DESC LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
        qb.build_query_as::<DeploymentRow>().fetch_all(p).await?
    }))
}

/// People on duty on a day in the scope (each person once), from the on-duty rollup for a
/// province, prefecture, county or township, otherwise from the deployments.
pub async fn count_on_duty(db: &Db, scope: &Scope, day: NaiveDate) -> Result<i64> {
    match scope.code() {
        Some(c) if ON_DUTY_LEVELS.contains(&c.as_str().len()) => {
            Ok(on_db!(db, p => sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(delta), 0) AS BIGINT) FROM on_duty_days WHERE level = $1 AND place = $2 AND day <= $3")
                .bind(c.as_str().len() as i32).bind(c.as_str()).bind(day).fetch_one(p).await?))
        }
        _ => count_on_duty_scanning(db, scope, day).await,
    }
}

/// The same figure counted from the deployments themselves.
pub async fn count_on_duty_scanning(db: &Db, scope: &Scope, day: NaiveDate) -> Result<i64> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(DISTINCT person_id) FROM deployments WHERE jurisdiction_code >= $1 AND jurisdiction_code < $2 \
         AND start_on <= $3 AND (end_on IS NULL OR end_on >= $3)")
        .bind(&lo).bind(&hi).bind(day).fetch_one(p).await?))
}

// ---- returns to post ----

pub async fn insert_return(
    tx: &mut Tx,
    person_id: i64,
    code: &str,
    post: &str,
    returned_on: NaiveDate,
    expected_on: NaiveDate,
    at: DateTime<Utc>,
) -> Result<i64> {
    Ok(on_tx!(tx, e => sqlx::query_scalar(
        "INSERT INTO returns_to_post (person_id, jurisdiction_code, post, returned_on, expected_on, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(person_id).bind(code).bind(post).bind(returned_on).bind(expected_on).bind(at)
        .fetch_one(&mut *e).await?))
}

/// Returns to post recorded by `as_of` in the scope: (all, early).
pub async fn count_returns(db: &Db, scope: &Scope, as_of: NaiveDate) -> Result<(i64, i64)> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_as::<_, (i64, i64)>(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN returned_on < expected_on THEN 1 ELSE 0 END), 0) FROM returns_to_post \
         WHERE jurisdiction_code >= $1 AND jurisdiction_code < $2 AND returned_on <= $3")
        .bind(&lo).bind(&hi).bind(as_of).fetch_one(p).await?))
}

// ---- applications to serve at the front ----

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

const APPLICATION_SELECT: &str = "SELECT a.id, a.person_id, p.name AS person_name, a.jurisdiction_code, a.submitted_on, a.wish, \
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

// ---- community registrations ----

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

// ---- bulk, for imports ----

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
}

/// People already registered under these ID numbers: (ID number, id, jurisdiction).
pub async fn people_by_id_numbers(
    db: &Db,
    numbers: &[String],
) -> Result<Vec<(String, i64, String)>> {
    let mut out = Vec::new();
    for chunk in numbers.chunks(500) {
        let rows = on_db!(db, p => {
            let mut qb = QueryBuilder::new("SELECT id_number, id, jurisdiction_code FROM people WHERE id_number IN (");
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
    // 9 binds a row: well under both engines' limits.
    for chunk in people.chunks(1000) {
        let rows = on_tx!(tx, e => {
            let mut qb = QueryBuilder::new(
                "INSERT INTO people (name, id_number, sex, birth_date, phone, political_status, jurisdiction_code, employer, created_at) ");
            qb.push_values(chunk, |mut b, p| {
                b.push_bind(p.name.as_str())
                    .push_bind(p.id_number.as_str())
                    .push_bind(p.sex)
                    .push_bind(p.birth_date)
                    .push_bind(p.phone.as_deref())
                    .push_bind(p.political_status)
                    .push_bind(p.jurisdiction_code.as_str())
                    .push_bind(p.employer.as_deref())
                    .push_bind(at);
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

// ---- front-line records on cadres ----

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

// ---- service given by registered party members ----

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
