//! Login sessions, for the pages (cookie) and the API (bearer token).
//! Only a hash of each token is stored.

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, Utc};

pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: i64,
    pub kind: &'a str,
    pub csrf_token: &'a str,
    pub source_addr: &'a str,
    pub at: DateTime<Utc>,
    /// 'none', 'verified' or 'enrol' (see migration 0046).
    pub second_factor: &'a str,
}

pub async fn insert(tx: &mut Tx, s: &NewSession<'_>) -> Result<i64> {
    Ok(on_tx!(tx, e => sqlx::query_scalar(
        "INSERT INTO sessions (token_hash, user_id, kind, csrf_token, source_addr, created_at, last_seen_at, second_factor) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING id")
        .bind(s.token_hash).bind(s.user_id).bind(s.kind).bind(s.csrf_token).bind(s.source_addr).bind(s.at)
        .bind(s.second_factor)
        .fetch_one(&mut *e).await?))
}

/// A session with its account and the account's roles, found by the token's hash in one
/// statement (every authenticated request asks this).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Authenticated {
    pub session_id: i64,
    pub csrf_token: String,
    pub session_created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub second_factor: String,
    #[sqlx(flatten)]
    pub user: crate::user::UserRow,
    /// The role codes, comma-separated (codes hold no comma).
    pub role_list: Option<String>,
}

impl Authenticated {
    pub fn roles(&self) -> Vec<String> {
        role_list(self.role_list.as_deref())
    }
}

/// The role codes of a comma-separated list, sorted.
pub fn role_list(list: Option<&str>) -> Vec<String> {
    let mut r: Vec<String> = list
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    r.sort();
    r
}

/// The columns of an account (`users u`) and its roles as `role_list`, for a request's
/// one statement.
pub(crate) fn account_columns(db: &Db) -> String {
    let roles = match db {
        Db::Sqlite(_) => "group_concat(r.role, ',')",
        Db::Postgres(_) => "string_agg(r.role, ',')",
    };
    format!(
        "u.id, u.username, u.display_name, u.password_hash, u.jurisdiction_code, u.failed_logins, \
         u.locked_until, u.disabled, u.created_at, u.password_changed_at, u.must_change_password, \
         (SELECT {roles} FROM user_roles r WHERE r.user_id = u.id) AS role_list"
    )
}

pub async fn authenticated(db: &Db, token_hash: &str) -> Result<Option<Authenticated>> {
    let sql = format!(
        "SELECT s.id AS session_id, s.csrf_token, s.created_at AS session_created_at, s.last_seen_at, s.second_factor, \
         {} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
        account_columns(db)
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, Authenticated>(&sql)
        .bind(token_hash).fetch_optional(p).await?))
}

/// What a session proved at login (see migration 0046).
pub async fn second_factor_of(db: &Db, id: i64) -> Result<Option<String>> {
    Ok(
        on_db!(db, p => sqlx::query_scalar("SELECT second_factor FROM sessions WHERE id = $1")
        .bind(id).fetch_optional(p).await?),
    )
}

/// Marks a session as used now. Not audited: it records no change of state that matters.
pub async fn touch(db: &Db, id: i64, at: DateTime<Utc>) -> Result<()> {
    on_db!(db, p => sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1")
        .bind(id).bind(at).execute(p).await?.rows_affected());
    Ok(())
}

/// Removes an expired session. Not audited: expiry is not an action of anyone.
pub async fn delete_expired(db: &Db, id: i64) -> Result<()> {
    on_db!(db, p => sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id).execute(p).await?.rows_affected());
    Ok(())
}

pub async fn delete(tx: &mut Tx, id: i64) -> Result<()> {
    on_tx!(tx, e => sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id).execute(&mut *e).await?.rows_affected());
    Ok(())
}

pub async fn delete_for_user(tx: &mut Tx, user_id: i64) -> Result<u64> {
    Ok(
        on_tx!(tx, e => sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id).execute(&mut *e).await?.rows_affected()),
    )
}

/// A session as its account sees it in its list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: i64,
    pub kind: String,
    pub source_addr: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// An account's sessions, the latest used first.
pub async fn list_for_user(db: &Db, user_id: i64) -> Result<Vec<SessionRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, SessionRow>(
        "SELECT id, kind, source_addr, created_at, last_seen_at FROM sessions \
         WHERE user_id = $1 ORDER BY last_seen_at DESC, id DESC")
        .bind(user_id).fetch_all(p).await?))
}

/// Ends one session of an account; false when the account has no such session.
pub async fn delete_of_user(tx: &mut Tx, user_id: i64, id: i64) -> Result<bool> {
    Ok(
        on_tx!(tx, e => sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
        .bind(id).bind(user_id).execute(&mut *e).await?.rows_affected())
            == 1,
    )
}

/// Ends every session of an account but one.
pub async fn delete_others(tx: &mut Tx, user_id: i64, keep: i64) -> Result<u64> {
    Ok(
        on_tx!(tx, e => sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user_id).bind(keep).execute(&mut *e).await?.rows_affected()),
    )
}
