//! Accounts and their roles.

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, Utc};
use dualtrack_domain::jurisdiction::Scope;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub jurisdiction_code: String,
    pub failed_logins: i64,
    pub locked_until: Option<DateTime<Utc>>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub password_changed_at: DateTime<Utc>,
    /// Set by an administrator's password: to be changed at the next login.
    pub must_change_password: bool,
}

const COLUMNS: &str =
    "id, username, display_name, password_hash, jurisdiction_code, failed_logins, \
     locked_until, disabled, created_at, password_changed_at, must_change_password";

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub jurisdiction_code: &'a str,
    pub at: DateTime<Utc>,
}

pub async fn insert(tx: &mut Tx, u: &NewUser<'_>) -> Result<i64> {
    Ok(on_tx!(tx, e => sqlx::query_scalar(
        "INSERT INTO users (username, display_name, password_hash, jurisdiction_code, created_at, password_changed_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id")
        .bind(u.username).bind(u.display_name).bind(u.password_hash).bind(u.jurisdiction_code).bind(u.at)
        .fetch_one(&mut *e).await?))
}

pub async fn set_roles(tx: &mut Tx, user_id: i64, roles: &[&str]) -> Result<()> {
    on_tx!(tx, e => {
        sqlx::query("DELETE FROM user_roles WHERE user_id = $1").bind(user_id).execute(&mut *e).await?;
        for r in roles {
            sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
                .bind(user_id).bind(*r).execute(&mut *e).await?;
        }
    });
    Ok(())
}

pub async fn roles(db: &Db, user_id: i64) -> Result<Vec<String>> {
    Ok(
        on_db!(db, p => sqlx::query_scalar("SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role")
        .bind(user_id).fetch_all(p).await?),
    )
}

/// Roles of many users at once, as `(user_id, role)` pairs.
pub async fn roles_of(db: &Db, ids: &[i64]) -> Result<Vec<(i64, String)>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    Ok(on_db!(db, p => {
        let mut qb = sqlx::QueryBuilder::new("SELECT user_id, role FROM user_roles WHERE user_id IN (");
        let mut sep = qb.separated(", ");
        for id in ids {
            sep.push_bind(*id);
        }
        qb.push(") ORDER BY user_id, role");
        qb.build_query_as::<(i64, String)>().fetch_all(p).await?
    }))
}

/// Display names and roles of many accounts at once, by user name: `(username,
/// display_name, role)` rows, one per role (an account without roles has one row with no
/// role).
pub async fn names_of(
    db: &Db,
    usernames: &[String],
) -> Result<Vec<(String, String, Option<String>)>> {
    if usernames.is_empty() {
        return Ok(vec![]);
    }
    Ok(on_db!(db, p => {
        let mut qb = sqlx::QueryBuilder::new(
            "SELECT u.username, u.display_name, r.role FROM users u \
             LEFT JOIN user_roles r ON r.user_id = u.id WHERE u.username IN (");
        let mut sep = qb.separated(", ");
        for n in usernames {
            sep.push_bind(n.as_str());
        }
        qb.push(") ORDER BY u.username, r.role");
        qb.build_query_as::<(String, String, Option<String>)>().fetch_all(p).await?
    }))
}

pub async fn by_username(db: &Db, username: &str) -> Result<Option<UserRow>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE username = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, UserRow>(&sql).bind(username).fetch_optional(p).await?))
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<UserRow>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, UserRow>(&sql).bind(id).fetch_optional(p).await?))
}

/// Accounts bound to a node in the subtree of `scope`, optionally matching `q` in the
/// user name or display name.
pub async fn list(
    db: &Db,
    scope: &Scope,
    q: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<UserRow>> {
    let (lo, hi) = scope.range();
    // The words are matched as written: "_" and "%" in a user name are not wildcards.
    let escaped = q
        .unwrap_or("")
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let pattern = format!("%{escaped}%");
    let sql = format!(
        "SELECT {COLUMNS} FROM users WHERE jurisdiction_code >= $1 AND jurisdiction_code < $2 \
         AND (username LIKE $3 ESCAPE '\\' OR display_name LIKE $3 ESCAPE '\\') ORDER BY jurisdiction_code, username LIMIT $4 OFFSET $5"
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, UserRow>(&sql)
        .bind(&lo).bind(&hi).bind(&pattern).bind(limit).bind(offset).fetch_all(p).await?))
}

pub async fn count(db: &Db) -> Result<i64> {
    Ok(on_db!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(p).await?))
}

/// Counts a failed login; locks the account until `lock_until` when the count reaches
/// `threshold`. Returns the new count.
pub async fn record_failed_login(
    tx: &mut Tx,
    id: i64,
    threshold: i64,
    lock_until: DateTime<Utc>,
) -> Result<i64> {
    Ok(on_tx!(tx, e => sqlx::query_scalar(
        "UPDATE users SET failed_logins = failed_logins + 1, \
         locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END \
         WHERE id = $1 RETURNING failed_logins")
        .bind(id).bind(threshold).bind(lock_until).fetch_one(&mut *e).await?))
}

pub async fn clear_failed_logins(tx: &mut Tx, id: i64) -> Result<()> {
    on_tx!(tx, e => sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
        .bind(id).execute(&mut *e).await?.rows_affected());
    Ok(())
}

/// Sets a new password, keeping the one it replaces in the account's history; `must_change`
/// when an administrator set it.
pub async fn set_password(
    tx: &mut Tx,
    id: i64,
    hash: &str,
    at: DateTime<Utc>,
    must_change: bool,
) -> Result<()> {
    on_tx!(tx, e => {
        sqlx::query("INSERT INTO password_history (user_id, password_hash, replaced_at) \
                     SELECT id, password_hash, $2 FROM users WHERE id = $1")
            .bind(id).bind(at).execute(&mut *e).await?;
        sqlx::query("UPDATE users SET password_hash = $2, password_changed_at = $3, must_change_password = $4 WHERE id = $1")
            .bind(id).bind(hash).bind(at).bind(must_change).execute(&mut *e).await?.rows_affected()
    });
    Ok(())
}

/// Replaces a password's hash by another of the same password (a new scheme), unless the
/// password was changed meanwhile; neither its history nor its age changes.
pub async fn rehash_password(tx: &mut Tx, id: i64, old: &str, new: &str) -> Result<()> {
    on_tx!(tx, e => sqlx::query("UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2")
        .bind(id).bind(old).bind(new).execute(&mut *e).await?.rows_affected());
    Ok(())
}

/// Marks an account's password as one to change at its next login.
pub async fn set_must_change(tx: &mut Tx, id: i64, must: bool) -> Result<()> {
    on_tx!(tx, e => sqlx::query("UPDATE users SET must_change_password = $2 WHERE id = $1")
        .bind(id).bind(must).execute(&mut *e).await?.rows_affected());
    Ok(())
}

/// The hashes of the passwords an account had before, newest first.
pub async fn previous_hashes(db: &Db, id: i64, n: i64) -> Result<Vec<String>> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, String>(
        "SELECT password_hash FROM password_history WHERE user_id = $1 ORDER BY id DESC LIMIT $2")
        .bind(id).bind(n).fetch_all(p).await?))
}

pub async fn set_disabled(tx: &mut Tx, id: i64, disabled: bool) -> Result<()> {
    on_tx!(tx, e => sqlx::query("UPDATE users SET disabled = $2, failed_logins = 0, locked_until = NULL WHERE id = $1")
        .bind(id).bind(disabled).execute(&mut *e).await?.rows_affected());
    Ok(())
}
