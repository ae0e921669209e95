//! The second factor of accounts: a TOTP secret, its last accepted step, and one-time
//! recovery codes (their hashes).

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Totp {
    pub user_id: i64,
    pub secret: String,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub last_step: i64,
}

pub async fn totp_of(db: &Db, user_id: i64) -> Result<Option<Totp>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, Totp>(
        "SELECT user_id, secret, confirmed_at, last_step FROM user_totp WHERE user_id = $1")
        .bind(user_id).fetch_optional(p).await?))
}

/// Starts (or starts again) an enrolment with a new secret, not confirmed yet.
pub async fn begin(tx: &mut Tx, user_id: i64, secret: &str) -> Result<()> {
    on_tx!(tx, e => {
        sqlx::query("DELETE FROM user_totp WHERE user_id = $1").bind(user_id).execute(&mut *e).await?;
        sqlx::query("INSERT INTO user_totp (user_id, secret) VALUES ($1, $2)")
            .bind(user_id).bind(secret).execute(&mut *e).await?;
        sqlx::query("DELETE FROM user_recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *e).await.map(|_| ())?
    });
    Ok(())
}

/// Confirms an enrolment at `step` and stores the recovery codes' hashes.
pub async fn confirm(
    tx: &mut Tx,
    user_id: i64,
    step: i64,
    at: DateTime<Utc>,
    code_hashes: &[String],
) -> Result<()> {
    on_tx!(tx, e => {
        sqlx::query("UPDATE user_totp SET confirmed_at = $2, last_step = $3 WHERE user_id = $1")
            .bind(user_id).bind(at).bind(step).execute(&mut *e).await?;
        for h in code_hashes {
            sqlx::query("INSERT INTO user_recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind(user_id).bind(h).execute(&mut *e).await?;
        }
    });
    Ok(())
}

/// Takes a code's step as used, if it is later than the last one; false when it was not
/// (the code was used already).
pub async fn use_step(tx: &mut Tx, user_id: i64, step: i64) -> Result<bool> {
    let n = on_tx!(tx, e => sqlx::query(
        "UPDATE user_totp SET last_step = $2 WHERE user_id = $1 AND last_step < $2")
        .bind(user_id).bind(step).execute(&mut *e).await?.rows_affected());
    Ok(n == 1)
}

/// Uses a recovery code by its hash; false when there is no such unused code.
pub async fn use_recovery_code(
    tx: &mut Tx,
    user_id: i64,
    code_hash: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let n = on_tx!(tx, e => sqlx::query(
        "UPDATE user_recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL")
        .bind(user_id).bind(code_hash).bind(at).execute(&mut *e).await?.rows_affected());
    Ok(n >= 1)
}

/// Recovery codes not used yet.
pub async fn unused_codes(db: &Db, user_id: i64) -> Result<i64> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM user_recovery_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id).fetch_one(p).await?))
}

/// Removes an account's second factor and recovery codes (a reset by the security
/// administrator), and ends its sessions.
pub async fn reset(tx: &mut Tx, user_id: i64) -> Result<bool> {
    let n = on_tx!(tx, e => {
        let n = sqlx::query("DELETE FROM user_totp WHERE user_id = $1").bind(user_id).execute(&mut *e).await?.rows_affected();
        sqlx::query("DELETE FROM user_recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *e).await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *e).await?;
        n
    });
    Ok(n > 0)
}

/// Marks a session as having proved (or set up) its second factor.
pub async fn set_session(tx: &mut Tx, session_id: i64, state: &str) -> Result<()> {
    on_tx!(tx, e => sqlx::query("UPDATE sessions SET second_factor = $2 WHERE id = $1")
        .bind(session_id).bind(state).execute(&mut *e).await.map(|_| ())?);
    Ok(())
}
