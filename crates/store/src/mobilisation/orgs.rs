//! Organisations and their members.

use super::*;

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

pub(super) const ORG_COLUMNS: &str = "o.id, o.kind, o.name, o.jurisdiction_code, o.site_kind, o.site_name, o.established_on, \
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
    after: Option<(&str, i64)>,
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
        if let Some((code, id)) = after {
            qb.push(" AND (o.jurisdiction_code, o.id) > (").push_bind(code).push(", ").push_bind(id).push(")");
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
