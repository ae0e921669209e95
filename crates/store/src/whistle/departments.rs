//! Departments, their members and the routing rules that call them.

use super::*;
use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, Utc};
use dualtrack_domain::jurisdiction::Scope;

#[derive(Debug, Clone)]
pub struct NewDepartment {
    pub name: String,
    pub jurisdiction_code: String,
    pub duty: String,
    pub phone: Option<String>,
    pub created_by: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DepartmentRow {
    pub id: i64,
    pub name: String,
    pub jurisdiction_code: String,
    pub duty: String,
    pub phone: Option<String>,
}

const DEPT_SELECT: &str = "SELECT id, name, jurisdiction_code, duty, phone FROM departments";

pub async fn insert_department(tx: &mut Tx, d: &NewDepartment, at: DateTime<Utc>) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO departments (name, jurisdiction_code, duty, phone, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(&d.name).bind(&d.jurisdiction_code).bind(&d.duty).bind(&d.phone).bind(&d.created_by).bind(at)
        .fetch_one(&mut *x).await?))
}

pub async fn department(db: &Db, id: i64) -> Result<Option<DepartmentRow>> {
    let sql = format!("{DEPT_SELECT} WHERE id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, DepartmentRow>(&sql).bind(id).fetch_optional(p).await?))
}

/// Departments by name within a place's lineage, for the demo and lookups.
pub async fn department_by_name(db: &Db, code: &str, name: &str) -> Result<Option<DepartmentRow>> {
    let sql = format!("{DEPT_SELECT} WHERE jurisdiction_code = $1 AND name = $2");
    Ok(
        on_db!(db, p => sqlx::query_as::<_, DepartmentRow>(&sql).bind(code).bind(name).fetch_optional(p).await?),
    )
}

/// The departments that answer for a place: those of the place itself and of every level
/// above it.
pub async fn departments_over(db: &Db, code: &str) -> Result<Vec<DepartmentRow>> {
    let l = lineage6(code);
    let sql = format!(
        "{DEPT_SELECT} WHERE jurisdiction_code IN ($1, $2, $3, $4, $5, $6) ORDER BY jurisdiction_code, name"
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, DepartmentRow>(&sql)
        .bind(&l[0]).bind(&l[1]).bind(&l[2]).bind(&l[3]).bind(&l[4]).bind(&l[5]).fetch_all(p).await?))
}

/// The departments a caller may see: those within its scope, and those above it that
/// answer for it.
pub async fn departments_visible(db: &Db, scope: &Scope) -> Result<Vec<DepartmentRow>> {
    let (lo, hi) = scope.range();
    let l = lineage6(scope.code().map(|c| c.as_str()).unwrap_or(""));
    let sql = format!(
        "{DEPT_SELECT} WHERE (jurisdiction_code >= $1 AND jurisdiction_code < $2) \
         OR jurisdiction_code IN ($3, $4, $5, $6, $7, $8) ORDER BY jurisdiction_code, name"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, DepartmentRow>(&sql).bind(&lo).bind(&hi)
        .bind(&l[0]).bind(&l[1]).bind(&l[2]).bind(&l[3]).bind(&l[4]).bind(&l[5]).fetch_all(p).await?),
    )
}

pub async fn department_of_user(db: &Db, user_id: i64) -> Result<Option<DepartmentRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, DepartmentRow>(
        "SELECT d.id, d.name, d.jurisdiction_code, d.duty, d.phone FROM department_members m \
         JOIN departments d ON d.id = m.department_id WHERE m.user_id = $1")
        .bind(user_id).fetch_optional(p).await?))
}

/// Puts a user in a department (moving it from any other).
pub async fn set_member(
    tx: &mut Tx,
    user_id: i64,
    department_id: i64,
    at: DateTime<Utc>,
) -> Result<()> {
    on_tx!(tx, x => sqlx::query(
        "INSERT INTO department_members (user_id, department_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET department_id = excluded.department_id, created_at = excluded.created_at")
        .bind(user_id).bind(department_id).bind(at).execute(&mut *x).await.map(|_| ())?);
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
}

pub async fn members(db: &Db, department_id: i64) -> Result<Vec<MemberRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, MemberRow>(
        "SELECT u.id AS user_id, u.username, u.display_name FROM department_members m JOIN users u ON u.id = m.user_id \
         WHERE m.department_id = $1 ORDER BY u.username")
        .bind(department_id).fetch_all(p).await?))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RuleRow {
    pub id: i64,
    pub category: String,
    pub jurisdiction_code: String,
    pub department_id: i64,
    pub department_name: String,
    pub department_code: String,
}

const RULE_SELECT: &str = "SELECT r.id, r.category, r.jurisdiction_code, r.department_id, d.name AS department_name, \
     d.jurisdiction_code AS department_code FROM routing_rules r JOIN departments d ON d.id = r.department_id";

/// Adds a rule; an existing identical one is kept. Returns its id.
pub async fn insert_rule(
    tx: &mut Tx,
    category: &str,
    code: &str,
    department_id: i64,
    by: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    on_tx!(tx, x => {
        sqlx::query(
            "INSERT INTO routing_rules (category, jurisdiction_code, department_id, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (category, jurisdiction_code, department_id) DO NOTHING")
            .bind(category).bind(code).bind(department_id).bind(by).bind(at).execute(&mut *x).await?;
        Ok(sqlx::query_scalar(
            "SELECT id FROM routing_rules WHERE category = $1 AND jurisdiction_code = $2 AND department_id = $3")
            .bind(category).bind(code).bind(department_id).fetch_one(&mut *x).await?)
    })
}

/// The rules of a scope and of the places above it.
pub async fn rules_visible(db: &Db, scope: &Scope) -> Result<Vec<RuleRow>> {
    let (lo, hi) = scope.range();
    let l = lineage6(scope.code().map(|c| c.as_str()).unwrap_or(""));
    let sql = format!(
        "{RULE_SELECT} WHERE (r.jurisdiction_code >= $1 AND r.jurisdiction_code < $2) \
         OR r.jurisdiction_code IN ($3, $4, $5, $6, $7, $8) ORDER BY r.jurisdiction_code, r.category, d.name"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, RuleRow>(&sql).bind(&lo).bind(&hi)
        .bind(&l[0]).bind(&l[1]).bind(&l[2]).bind(&l[3]).bind(&l[4]).bind(&l[5]).fetch_all(p).await?),
    )
}

/// The rules of a category set at the place or any level above it.
pub async fn rules_over(db: &Db, category: &str, code: &str) -> Result<Vec<RuleRow>> {
    let l = lineage6(code);
    let sql = format!(
        "{RULE_SELECT} WHERE r.category = $1 AND r.jurisdiction_code IN ($2, $3, $4, $5, $6, $7) \
         ORDER BY r.jurisdiction_code, d.name"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, RuleRow>(&sql).bind(category)
        .bind(&l[0]).bind(&l[1]).bind(&l[2]).bind(&l[3]).bind(&l[4]).bind(&l[5]).fetch_all(p).await?),
    )
}
