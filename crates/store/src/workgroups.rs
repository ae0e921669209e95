//! Work groups stationed in enterprises: stationings (a group at an enterprise from a day,
//! until a day or open), visits with the cadres who went and the five checks, and the
//! production problems raised. Every row carries the enterprise's jurisdiction code; a
//! scoped list is a range over it.

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use dualtrack_domain::jurisdiction::Scope;
use sqlx::QueryBuilder;

// ---- stationing ----

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct AssignmentRow {
        pub id: i64,
        pub org_name: String,
        pub enterprise_name: String,
    }
    #[derive(Debug, Clone)]
    pub struct NewAssignment {}
    both {
        pub org_id: i64,
        pub enterprise_id: i64,
        pub jurisdiction_code: String,
        pub from_on: NaiveDate,
        pub until_on: Option<NaiveDate>,
        pub note: String,
        pub assigned_by: String,
    }
}

const ASSIGNMENT_SELECT: &str = "SELECT a.id, a.org_id, o.name AS org_name, a.enterprise_id, e.name AS enterprise_name, \
     a.jurisdiction_code, a.from_on, a.until_on, a.note, a.assigned_by FROM work_group_assignments a \
     JOIN organisations o ON o.id = a.org_id JOIN enterprises e ON e.id = a.enterprise_id";

pub async fn insert_assignment(tx: &mut Tx, a: &NewAssignment, at: DateTime<Utc>) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO work_group_assignments (org_id, enterprise_id, jurisdiction_code, from_on, until_on, note, assigned_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
        .bind(a.org_id).bind(a.enterprise_id).bind(&a.jurisdiction_code).bind(a.from_on).bind(a.until_on)
        .bind(&a.note).bind(&a.assigned_by).bind(at)
        .fetch_one(&mut *x).await?))
}

/// A group's stationings within the scope, the latest first.
pub async fn assignments_of_group(
    db: &Db,
    org_id: i64,
    scope: &Scope,
) -> Result<Vec<AssignmentRow>> {
    let (lo, hi) = scope.range();
    let sql = format!(
        "{ASSIGNMENT_SELECT} WHERE a.org_id = $1 AND a.jurisdiction_code >= $2 AND a.jurisdiction_code < $3 \
         ORDER BY a.from_on DESC, a.id DESC"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, AssignmentRow>(&sql).bind(org_id).bind(&lo).bind(&hi).fetch_all(p).await?),
    )
}

/// The groups stationed at an enterprise, the latest first.
pub async fn assignments_of_enterprise(db: &Db, enterprise_id: i64) -> Result<Vec<AssignmentRow>> {
    let sql = format!(
        "{ASSIGNMENT_SELECT} WHERE a.enterprise_id = $1 ORDER BY a.from_on DESC, a.id DESC"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, AssignmentRow>(&sql).bind(enterprise_id).fetch_all(p).await?),
    )
}

/// Whether the group already has a stationing at the enterprise that overlaps the period.
pub async fn overlaps(
    db: &Db,
    org_id: i64,
    enterprise_id: i64,
    from_on: NaiveDate,
    until_on: Option<NaiveDate>,
) -> Result<bool> {
    // Two periods overlap when each starts before the other ends (open ends never end).
    let far = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX);
    let n: i64 = on_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM work_group_assignments WHERE org_id = $1 AND enterprise_id = $2 \
         AND from_on <= $4 AND (until_on IS NULL OR until_on >= $3)")
        .bind(org_id).bind(enterprise_id).bind(from_on).bind(until_on.unwrap_or(far))
        .fetch_one(p).await?);
    Ok(n > 0)
}

/// Whether the group is stationed at the enterprise on the day.
pub async fn stationed_on(
    db: &Db,
    org_id: i64,
    enterprise_id: i64,
    day: NaiveDate,
) -> Result<bool> {
    let n: i64 = on_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM work_group_assignments WHERE org_id = $1 AND enterprise_id = $2 \
         AND from_on <= $3 AND (until_on IS NULL OR until_on >= $3)")
        .bind(org_id).bind(enterprise_id).bind(day).fetch_one(p).await?);
    Ok(n > 0)
}

// ---- the groups, counted ----

/// A work group with what it has done, as of a day.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupRow {
    pub id: i64,
    pub name: String,
    pub jurisdiction_code: String,
    pub established_on: NaiveDate,
    pub leader_name: Option<String>,
    /// Members who had joined by the day.
    pub members: i64,
    /// Enterprises the group is stationed at on the day (within the scope).
    pub enterprises: i64,
    /// Visits up to the day (within the scope).
    pub visits: i64,
    /// Problems it raised up to the day and still open (within the scope).
    pub open_problems: i64,
}

/// Work groups of the scope standing on the day, with their counts.
pub async fn groups(db: &Db, scope: &Scope, as_of: NaiveDate) -> Result<Vec<GroupRow>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_as::<_, GroupRow>(
        "SELECT o.id, o.name, o.jurisdiction_code, o.established_on, \
           (SELECT l.name FROM people l WHERE l.id = o.leader_id) AS leader_name, \
           (SELECT COUNT(*) FROM org_members m WHERE m.org_id = o.id AND m.joined_on <= $3) AS members, \
           (SELECT COUNT(DISTINCT a.enterprise_id) FROM work_group_assignments a WHERE a.org_id = o.id \
              AND a.jurisdiction_code >= $1 AND a.jurisdiction_code < $2 \
              AND a.from_on <= $3 AND (a.until_on IS NULL OR a.until_on >= $3)) AS enterprises, \
           (SELECT COUNT(*) FROM enterprise_visits v WHERE v.org_id = o.id \
              AND v.jurisdiction_code >= $1 AND v.jurisdiction_code < $2 AND v.visited_on <= $3) AS visits, \
           (SELECT COUNT(*) FROM production_problems q WHERE q.org_id = o.id \
              AND q.jurisdiction_code >= $1 AND q.jurisdiction_code < $2 AND q.raised_on <= $3 \
              AND (q.resolved_on IS NULL OR q.resolved_on > $3)) AS open_problems \
         FROM organisations o WHERE o.kind = 'work_group' AND o.jurisdiction_code >= $1 AND o.jurisdiction_code < $2 \
           AND o.established_on <= $3 AND (o.dissolved_on IS NULL OR o.dissolved_on > $3) \
         ORDER BY o.jurisdiction_code, o.id")
        .bind(&lo).bind(&hi).bind(as_of).fetch_all(p).await?))
}

/// The report's figure as of a day: work groups stationed at an enterprise of the scope, the
/// distinct cadres who had joined them, and the distinct enterprises they are stationed at.
pub async fn stationed_figure(db: &Db, scope: &Scope, as_of: NaiveDate) -> Result<(i64, i64, i64)> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_as::<_, (i64, i64, i64)>(
        "WITH active AS ( \
           SELECT a.org_id, a.enterprise_id FROM work_group_assignments a JOIN organisations o ON o.id = a.org_id \
           WHERE o.kind = 'work_group' AND a.jurisdiction_code >= $1 AND a.jurisdiction_code < $2 \
             AND a.from_on <= $3 AND (a.until_on IS NULL OR a.until_on >= $3) \
             AND (o.dissolved_on IS NULL OR o.dissolved_on > $3)) \
         SELECT (SELECT COUNT(DISTINCT org_id) FROM active), \
           (SELECT COUNT(DISTINCT m.person_id) FROM org_members m WHERE m.joined_on <= $3 \
              AND m.org_id IN (SELECT org_id FROM active)), \
           (SELECT COUNT(DISTINCT enterprise_id) FROM active)")
        .bind(&lo).bind(&hi).bind(as_of).fetch_one(p).await?))
}

/// Stationings of the scope running on the day: (group, enterprise, enterprise name).
pub async fn running(db: &Db, scope: &Scope, as_of: NaiveDate) -> Result<Vec<(i64, i64, String)>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_as::<_, (i64, i64, String)>(
        "SELECT a.org_id, a.enterprise_id, e.name FROM work_group_assignments a JOIN enterprises e ON e.id = a.enterprise_id \
         WHERE a.jurisdiction_code >= $1 AND a.jurisdiction_code < $2 AND a.from_on <= $3 \
           AND (a.until_on IS NULL OR a.until_on >= $3) ORDER BY a.org_id, a.from_on, a.id")
        .bind(&lo).bind(&hi).bind(as_of).fetch_all(p).await?))
}

// ---- visits ----

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct VisitRow {
        pub id: i64,
        pub org_name: String,
        pub enterprise_name: String,
        pub check_mechanism: bool,
        pub check_staff: bool,
        pub check_facilities: bool,
        pub check_management: bool,
        pub check_publicity: bool,
    }
    #[derive(Debug, Clone)]
    pub struct NewVisit {
        /// In the order of `PreventionCheck::ALL`.
        pub checks: [bool; 5],
        pub visitors: Vec<i64>,
    }
    both {
        pub org_id: i64,
        pub enterprise_id: i64,
        pub jurisdiction_code: String,
        pub visited_on: NaiveDate,
        pub findings: String,
        pub recorded_by: String,
    }
}

const VISIT_SELECT: &str = "SELECT v.id, v.org_id, o.name AS org_name, v.enterprise_id, e.name AS enterprise_name, \
     v.jurisdiction_code, v.visited_on, v.check_mechanism, v.check_staff, v.check_facilities, v.check_management, \
     v.check_publicity, v.findings, v.recorded_by FROM enterprise_visits v \
     JOIN organisations o ON o.id = v.org_id JOIN enterprises e ON e.id = v.enterprise_id";

pub async fn insert_visit(tx: &mut Tx, v: &NewVisit, at: DateTime<Utc>) -> Result<i64> {
    Ok(on_tx!(tx, x => {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO enterprise_visits (org_id, enterprise_id, jurisdiction_code, visited_on, check_mechanism, check_staff, \
             check_facilities, check_management, check_publicity, findings, recorded_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id")
            .bind(v.org_id).bind(v.enterprise_id).bind(&v.jurisdiction_code).bind(v.visited_on)
            .bind(v.checks[0]).bind(v.checks[1]).bind(v.checks[2]).bind(v.checks[3]).bind(v.checks[4])
            .bind(&v.findings).bind(&v.recorded_by).bind(at)
            .fetch_one(&mut *x).await?;
        for person in &v.visitors {
            sqlx::query("INSERT INTO enterprise_visit_people (visit_id, person_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(id).bind(*person).execute(&mut *x).await?;
        }
        id
    }))
}

pub async fn visit(db: &Db, id: i64) -> Result<Option<VisitRow>> {
    let sql = format!("{VISIT_SELECT} WHERE v.id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, VisitRow>(&sql).bind(id).fetch_optional(p).await?))
}

/// An enterprise's visits, the latest first.
pub async fn visits_of_enterprise(
    db: &Db,
    enterprise_id: i64,
    limit: i64,
) -> Result<Vec<VisitRow>> {
    let sql = format!(
        "{VISIT_SELECT} WHERE v.enterprise_id = $1 ORDER BY v.visited_on DESC, v.id DESC LIMIT $2"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, VisitRow>(&sql).bind(enterprise_id).bind(limit).fetch_all(p).await?),
    )
}

/// The cadres on each of some visits: (visit, person, name).
pub async fn visitors(db: &Db, visit_ids: &[i64]) -> Result<Vec<(i64, i64, String)>> {
    let mut out = Vec::new();
    for chunk in visit_ids.chunks(500) {
        let rows = on_db!(db, p => {
            let mut qb = QueryBuilder::new(
                "SELECT vp.visit_id, vp.person_id, p.name FROM enterprise_visit_people vp JOIN people p ON p.id = vp.person_id \
                 WHERE vp.visit_id IN (");
            let mut sep = qb.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            qb.push(") ORDER BY vp.visit_id, vp.person_id");
            qb.build_query_as::<(i64, i64, String)>().fetch_all(p).await?
        });
        out.extend(rows);
    }
    Ok(out)
}

/// The members of a group: (person, name), in the order they joined.
pub async fn group_members(db: &Db, org_id: i64) -> Result<Vec<(i64, String)>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, (i64, String)>(
        "SELECT m.person_id, p.name FROM org_members m JOIN people p ON p.id = m.person_id \
         WHERE m.org_id = $1 ORDER BY m.joined_on, p.id")
        .bind(org_id).fetch_all(p).await?))
}

// ---- production problems ----

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct ProblemRow {
        pub id: i64,
        pub enterprise_name: String,
        pub org_name: Option<String>,
        pub status: String,
        pub resolution: Option<String>,
        pub resolved_on: Option<NaiveDate>,
        pub resolved_by: Option<String>,
        pub ticket_id: Option<i64>,
    }
    #[derive(Debug, Clone)]
    pub struct NewProblem {}
    both {
        pub enterprise_id: i64,
        pub jurisdiction_code: String,
        pub org_id: Option<i64>,
        pub visit_id: Option<i64>,
        pub category: String,
        pub description: String,
        pub raised_on: NaiveDate,
        pub raised_by: String,
    }
}

const PROBLEM_SELECT: &str = "SELECT q.id, q.enterprise_id, e.name AS enterprise_name, q.jurisdiction_code, q.org_id, \
     o.name AS org_name, q.visit_id, q.category, q.description, q.raised_on, q.raised_by, q.status, q.resolution, \
     q.resolved_on, q.resolved_by, q.ticket_id FROM production_problems q JOIN enterprises e ON e.id = q.enterprise_id \
     LEFT JOIN organisations o ON o.id = q.org_id";

pub async fn insert_problem(tx: &mut Tx, q: &NewProblem, at: DateTime<Utc>) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO production_problems (enterprise_id, jurisdiction_code, org_id, visit_id, category, description, raised_on, \
         raised_by, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9) RETURNING id")
        .bind(q.enterprise_id).bind(&q.jurisdiction_code).bind(q.org_id).bind(q.visit_id).bind(&q.category)
        .bind(&q.description).bind(q.raised_on).bind(&q.raised_by).bind(at)
        .fetch_one(&mut *x).await?))
}

pub async fn problem(db: &Db, id: i64) -> Result<Option<ProblemRow>> {
    let sql = format!("{PROBLEM_SELECT} WHERE q.id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, ProblemRow>(&sql).bind(id).fetch_optional(p).await?))
}

/// Marks an open problem resolved; false if it was not open.
pub async fn resolve_problem(
    tx: &mut Tx,
    id: i64,
    resolution: &str,
    resolved_on: NaiveDate,
    resolved_by: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    Ok(on_tx!(tx, x => sqlx::query(
        "UPDATE production_problems SET status = 'resolved', resolution = $2, resolved_on = $3, resolved_by = $4, resolved_at = $5 \
         WHERE id = $1 AND status = 'open'")
        .bind(id).bind(resolution).bind(resolved_on).bind(resolved_by).bind(at)
        .execute(&mut *x).await?.rows_affected() == 1))
}

/// What a list of problems is filtered by (the scope comes apart).
#[derive(Debug, Clone, Default)]
pub struct ProblemFilter {
    pub category: Option<String>,
    pub status: Option<String>,
    pub enterprise_id: Option<i64>,
    pub org_id: Option<i64>,
    pub visit_id: Option<i64>,
}

/// Appends the scope and the filter to a query on `production_problems q`.
macro_rules! problem_where {
    ($qb:expr, $lo:expr, $hi:expr, $f:expr) => {{
        let qb = $qb;
        qb.push(" WHERE q.jurisdiction_code >= ")
            .push_bind($lo)
            .push(" AND q.jurisdiction_code < ")
            .push_bind($hi);
        if let Some(c) = &$f.category {
            qb.push(" AND q.category = ").push_bind(c.clone());
        }
        if let Some(s) = &$f.status {
            qb.push(" AND q.status = ").push_bind(s.clone());
        }
        if let Some(e) = $f.enterprise_id {
            qb.push(" AND q.enterprise_id = ").push_bind(e);
        }
        if let Some(o) = $f.org_id {
            qb.push(" AND q.org_id = ").push_bind(o);
        }
        if let Some(v) = $f.visit_id {
            qb.push(" AND q.visit_id = ").push_bind(v);
        }
    }};
}

/// Problems of the scope, the latest raised first.
pub async fn list_problems(
    db: &Db,
    scope: &Scope,
    f: &ProblemFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<ProblemRow>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => {
        let mut qb = QueryBuilder::new(PROBLEM_SELECT);
        problem_where!(&mut qb, &lo, &hi, f);
        qb.push(" ORDER BY q.raised_on DESC, q.id DESC LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
        qb.build_query_as::<ProblemRow>().fetch_all(p).await?
    }))
}

/// Problems of the scope counted by category and status: (category, status, count).
pub async fn count_problems(
    db: &Db,
    scope: &Scope,
    f: &ProblemFilter,
) -> Result<Vec<(String, String, i64)>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => {
        let mut qb = QueryBuilder::new("SELECT q.category, q.status, COUNT(*) FROM production_problems q");
        problem_where!(&mut qb, &lo, &hi, f);
        qb.push(" GROUP BY q.category, q.status ORDER BY q.category, q.status");
        qb.build_query_as::<(String, String, i64)>().fetch_all(p).await?
    }))
}

/// Visits recorded in the scope.
pub async fn count_visits(db: &Db, scope: &Scope) -> Result<i64> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM enterprise_visits WHERE jurisdiction_code >= $1 AND jurisdiction_code < $2")
        .bind(&lo).bind(&hi).fetch_one(p).await?))
}

// ---- for loading data ----

/// Work groups with their place, founding day and the site they were set up for:
/// (id, jurisdiction, established, site name), in id order.
pub async fn groups_in_tx(tx: &mut Tx) -> Result<Vec<(i64, String, NaiveDate, Option<String>)>> {
    Ok(
        on_tx!(tx, x => sqlx::query_as::<_, (i64, String, NaiveDate, Option<String>)>(
        "SELECT id, jurisdiction_code, established_on, site_name FROM organisations WHERE kind = 'work_group' ORDER BY id")
        .fetch_all(&mut *x).await?),
    )
}

/// The members of every work group: (group, person), in the order they joined.
pub async fn members_in_tx(tx: &mut Tx) -> Result<Vec<(i64, i64)>> {
    Ok(on_tx!(tx, x => sqlx::query_as::<_, (i64, i64)>(
        "SELECT m.org_id, m.person_id FROM org_members m JOIN organisations o ON o.id = m.org_id \
         WHERE o.kind = 'work_group' ORDER BY m.org_id, m.joined_on, m.person_id")
        .fetch_all(&mut *x).await?))
}

/// Enterprises with whether any exclusion from the count is recorded for them:
/// (id, jurisdiction, name, excluded), in id order.
pub async fn enterprises_in_tx(tx: &mut Tx) -> Result<Vec<(i64, String, String, bool)>> {
    Ok(
        on_tx!(tx, x => sqlx::query_as::<_, (i64, String, String, bool)>(
        "SELECT e.id, e.jurisdiction_code, e.name, \
           EXISTS (SELECT 1 FROM enterprise_exclusions x WHERE x.enterprise_id = e.id) AS excluded \
         FROM enterprises e ORDER BY e.id")
        .fetch_all(&mut *x).await?),
    )
}
