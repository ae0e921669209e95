//! API tokens of an account. Only a hash of each secret is stored, with its first
//! characters for display.

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, Utc};

pub struct NewToken<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub token_hash: &'a str,
    pub token_prefix: &'a str,
    pub scope: &'a str,
    pub jurisdiction_code: Option<&'a str>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(tx: &mut Tx, t: &NewToken<'_>) -> Result<i64> {
    Ok(on_tx!(tx, e => sqlx::query_scalar(
        "INSERT INTO api_tokens (user_id, name, token_hash, token_prefix, scope, jurisdiction_code, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
        .bind(t.user_id).bind(t.name).bind(t.token_hash).bind(t.token_prefix).bind(t.scope)
        .bind(t.jurisdiction_code).bind(t.created_at).bind(t.expires_at)
        .fetch_one(&mut *e).await?))
}

/// A token as its account (or the security administrator) sees it: never the secret.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub token_prefix: String,
    pub scope: String,
    pub jurisdiction_code: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, user_id, name, token_prefix, scope, jurisdiction_code, created_at, \
     expires_at, last_used_at, revoked_at";

/// An account's tokens not revoked, the latest made first.
pub async fn list_for_user(db: &Db, user_id: i64) -> Result<Vec<TokenRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL \
         ORDER BY created_at DESC, id DESC"
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, TokenRow>(&sql)
        .bind(user_id).fetch_all(p).await?))
}

/// Whether the account has a token of this name not revoked.
pub async fn name_taken(db: &Db, user_id: i64, name: &str) -> Result<bool> {
    let n: i64 = on_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM api_tokens WHERE user_id = $1 AND name = $2 AND revoked_at IS NULL")
        .bind(user_id).bind(name).fetch_one(p).await?);
    Ok(n > 0)
}

/// Revokes one token of an account; the token as it was, or `None` when the account has no
/// such token not revoked.
pub async fn revoke(
    tx: &mut Tx,
    user_id: i64,
    id: i64,
    at: DateTime<Utc>,
) -> Result<Option<TokenRow>> {
    let sql = format!(
        "UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL \
         RETURNING {COLUMNS}"
    );
    Ok(on_tx!(tx, e => sqlx::query_as::<_, TokenRow>(&sql)
        .bind(id).bind(user_id).bind(at).fetch_optional(&mut *e).await?))
}

/// Revokes every token of an account; how many.
pub async fn revoke_all(tx: &mut Tx, user_id: i64, at: DateTime<Utc>) -> Result<u64> {
    Ok(on_tx!(tx, e => sqlx::query(
        "UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
        .bind(user_id).bind(at).execute(&mut *e).await?.rows_affected()))
}

/// A token found by its secret's hash, with its account and the account's roles, in one
/// statement (every request made with a token asks this).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Authenticated {
    pub token_id: i64,
    pub token_name: String,
    pub scope: String,
    pub token_code: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    #[sqlx(flatten)]
    pub user: crate::user::UserRow,
    /// The role codes, comma-separated (codes hold no comma).
    pub role_list: Option<String>,
}

impl Authenticated {
    pub fn roles(&self) -> Vec<String> {
        crate::session::role_list(self.role_list.as_deref())
    }
}

pub async fn authenticated(db: &Db, token_hash: &str) -> Result<Option<Authenticated>> {
    let sql = format!(
        "SELECT t.id AS token_id, t.name AS token_name, t.scope, t.jurisdiction_code AS token_code, \
         t.expires_at, t.last_used_at, t.revoked_at, {} \
         FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
        crate::session::account_columns(db)
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, Authenticated>(&sql)
        .bind(token_hash).fetch_optional(p).await?))
}

/// Marks a token as used now. Not audited: the request it serves is.
pub async fn touch(db: &Db, id: i64, at: DateTime<Utc>) -> Result<()> {
    on_db!(db, p => sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
        .bind(id).bind(at).execute(p).await?.rows_affected());
    Ok(())
}
