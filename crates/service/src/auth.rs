//! Logging in and out, sessions and passwords.
//!
//! Passwords are hashed as configured (see [`crate::passwords`]). Session tokens are 32 random bytes; only their SHA-256 is stored.

use crate::actor::commit_audited;
use crate::login_throttle;
use crate::passwords::{self, PasswordScheme};
use crate::{Actor, App, ServiceError, ServiceResult};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{DateTime, Utc};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::jurisdiction::{Code, Scope};
use dualtrack_domain::role::Role;
use dualtrack_store::audit::NewAudit;
use dualtrack_store::user::UserRow;
use dualtrack_store::{session, user};
use sha2::{Digest, Sha256};
use std::time::Instant;

/// Where a session is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// Pages, with an HttpOnly cookie and a CSRF token.
    Web,
    /// The JSON API, with a bearer token.
    Api,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Web => "web",
            SessionKind::Api => "api",
        }
    }

    /// How the person logged in, in words, for the audit log.
    fn zh(self) -> &'static str {
        match self {
            SessionKind::Web => "网页登录",
            SessionKind::Api => "接口登录",
        }
    }
}

/// One of an account's sessions, as it sees them.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub id: i64,
    /// 网页登录、接口登录
    pub kind: String,
    pub source_addr: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// 即本次请求所用的会话
    pub current: bool,
}

/// A new session: the token is shown once and never stored.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    pub token: String,
    pub csrf_token: String,
    pub actor: Actor,
    pub expires_at: DateTime<Utc>,
}

impl App {
    /// Hashes a password under the configured scheme (slow by design: run off the async
    /// threads).
    pub async fn hash_password(&self, password: &str) -> ServiceResult<String> {
        passwords::hash(self.security.password_scheme, password).await
    }
}

/// The hash checked for a user name that does not exist, so that its answer takes as long
/// as a wrong password's: made once, of a random password.
/// One for each scheme, so that it costs what the accounts' hashes cost.
async fn dummy_hash(scheme: PasswordScheme) -> ServiceResult<String> {
    static ARGON2ID: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    static PBKDF2_SM3: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    let cell = match scheme {
        PasswordScheme::Argon2id => &ARGON2ID,
        PasswordScheme::Pbkdf2Sm3 { .. } => &PBKDF2_SM3,
    };
    cell.get_or_try_init(|| async { passwords::hash(scheme, &random_token()).await })
        .await
        .cloned()
}

/// A fresh random token, hex-encoded.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub(crate) fn actor_of(
    u: &UserRow,
    roles: Vec<String>,
    source_addr: &str,
    clock: &crate::clock::Clock,
) -> ServiceResult<Actor> {
    let code =
        Code::parse(&u.jurisdiction_code).map_err(|e| ServiceError::Internal(e.to_string()))?;
    Ok(Actor {
        user_id: Some(u.id),
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        roles: roles.iter().filter_map(|r| Role::parse(r)).collect(),
        scope: Scope::Under(code),
        source_addr: source_addr.to_string(),
        session_id: None,
        csrf_token: String::new(),
        is_cli: false,
        must_enrol: false,
        must_change_password: false,
        token: None,
        clock: clock.clone(),
    })
}

impl App {
    /// The one answer to a failed login, whatever failed: an unknown name, a wrong
    /// password, or too many tries from here.
    pub const LOGIN_REFUSED: &'static str = "用户名或密码错误（多次失败后需稍候再试）";

    fn login_limits(&self) -> login_throttle::Limits {
        login_throttle::Limits {
            threshold: u32::try_from(self.security.lockout_threshold.max(1)).unwrap_or(5),
            longest: self
                .security
                .lockout_duration
                .to_std()
                .unwrap_or(std::time::Duration::from_secs(30 * 60)),
            delay_step: self.security.login_delay_step,
        }
    }

    /// Records a failed login under the name typed (and the account, if there is one).
    async fn audit_failed_login(
        &self,
        username: &str,
        account: Option<&Actor>,
        source_addr: &str,
        outcome: Outcome,
        detail: &str,
    ) -> ServiceResult<()> {
        let row = match account {
            Some(actor) => actor.audit(
                Action::LoginFailed,
                outcome,
                "账户",
                actor.user_id.map(|i| i.to_string()).unwrap_or_default(),
                None,
                detail.into(),
            ),
            None => NewAudit {
                at: self.clock.record_time(),
                user_id: None,
                username: username.into(),
                roles: String::new(),
                action: Action::LoginFailed.as_str().into(),
                target_kind: "账户".into(),
                target_id: username.into(),
                jurisdiction_code: None,
                source_addr: source_addr.into(),
                outcome: outcome.as_str().into(),
                detail: detail.into(),
            },
        };
        let tx = self.db.begin().await?;
        commit_audited(tx, &row).await?;
        Ok(())
    }

    /// The answer to a login whose password was right but whose second factor was missing
    /// (a field to fill) or wrong (a failure, audited and counted like a wrong password).
    async fn second_factor_refused(
        &self,
        username: &str,
        actor: &Actor,
        source_addr: &str,
        given: bool,
        why: &str,
    ) -> ServiceResult<ServiceError> {
        if !given {
            return Ok(ServiceError::invalid(
                "totp_code",
                "该账户已启用双因素认证：请输入验证器上的 6 位动态口令（或一个恢复码）",
            ));
        }
        self.login_throttle
            .failed(username, source_addr, &self.login_limits(), Instant::now());
        self.audit_failed_login(username, Some(actor), source_addr, Outcome::Failure, why)
            .await?;
        Ok(ServiceError::Unauthenticated(format!(
            "{why}：请输入验证器当前显示的 6 位动态口令（或一个未用过的恢复码）"
        )))
    }

    /// Checks a user name and password and opens a session.
    ///
    /// Every failure gets the same answer, in about the same time (a name that does not
    /// exist has a password hash checked all the same), and no number of failures locks
    /// an account: they slow the attempts instead (see [`login_throttle`]). An account
    /// locked by an administrator says so only to someone who gave its password.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        kind: SessionKind,
        source_addr: &str,
    ) -> ServiceResult<LoginOutcome> {
        self.login_with(username, password, None, kind, source_addr)
            .await
    }

    /// [`App::login`] with the second factor, for accounts that have one: a code from the
    /// authenticator app or a recovery code.
    pub async fn login_with(
        &self,
        username: &str,
        password: &str,
        second_factor: Option<&str>,
        kind: SessionKind,
        source_addr: &str,
    ) -> ServiceResult<LoginOutcome> {
        let username = username.trim().to_lowercase();
        if username.is_empty() {
            return Err(ServiceError::invalid("username", "请输入用户名"));
        }
        if password.is_empty() {
            return Err(ServiceError::invalid("password", "请输入密码"));
        }
        let refused = || ServiceError::Unauthenticated(Self::LOGIN_REFUSED.into());
        let limits = self.login_limits();
        match self
            .login_throttle
            .before(&username, source_addr, &limits, Instant::now())
        {
            login_throttle::Verdict::Refuse => {
                self.audit_failed_login(
                    &username,
                    None,
                    source_addr,
                    Outcome::Denied,
                    "失败次数过多，暂停从该地址登录，未核对密码",
                )
                .await?;
                return Err(refused());
            }
            login_throttle::Verdict::Check(wait) if !wait.is_zero() => {
                tokio::time::sleep(wait).await
            }
            login_throttle::Verdict::Check(_) => {}
        }
        let now = crate::clock::wall();
        let found = user::by_username(&self.db, &username).await?;
        let hash = match &found {
            Some(u) => u.password_hash.clone(),
            None => dummy_hash(self.security.password_scheme).await?,
        };
        let right = passwords::verify(password, &hash).await && found.is_some();
        let account = match &found {
            Some(u) => Some(actor_of(
                u,
                user::roles(&self.db, u.id).await?,
                source_addr,
                &self.clock,
            )?),
            None => None,
        };
        let (Some(u), Some(actor), true) = (found, account.clone(), right) else {
            self.login_throttle
                .failed(&username, source_addr, &limits, Instant::now());
            let detail = if account.is_some() {
                "密码错误"
            } else {
                "用户名不存在"
            };
            self.audit_failed_login(
                &username,
                account.as_ref(),
                source_addr,
                Outcome::Failure,
                detail,
            )
            .await?;
            return Err(refused());
        };
        if u.disabled {
            let why = "账户已被管理员锁定，请联系安全管理员";
            self.audit_failed_login(&username, Some(&actor), source_addr, Outcome::Denied, why)
                .await?;
            return Err(ServiceError::Locked(why.into()));
        }
        let scheme = self.security.password_scheme;
        let rehashed = if scheme.is_current(&u.password_hash) {
            None
        } else {
            Some(passwords::hash(scheme, password).await?)
        };
        let token = random_token();
        let csrf_token = random_token();
        let mut tx = self.db.begin().await?;
        let proved = match self
            .check_second_factor(&mut tx, u.id, &u.username, &actor.roles, second_factor)
            .await?
        {
            Ok(p) => p,
            Err(why) => {
                drop(tx);
                let given = second_factor.is_some_and(|c| !c.trim().is_empty());
                return Err(self
                    .second_factor_refused(&username, &actor, source_addr, given, why)
                    .await?);
            }
        };
        user::clear_failed_logins(&mut tx, u.id).await?;
        let mut ended = 0;
        let sid = session::insert(
            &mut tx,
            &session::NewSession {
                token_hash: &token_hash(&token),
                user_id: u.id,
                kind: kind.as_str(),
                csrf_token: &csrf_token,
                source_addr,
                at: now,
                second_factor: proved,
            },
        )
        .await?;
        if self.security.single_session {
            ended = session::delete_others(&mut tx, u.id, sid).await?;
        }
        let mut detail = kind.zh().to_string();
        if ended > 0 {
            detail += &format!("，结束此前的 {ended} 个会话（一个账户只保留一个会话）");
        }
        if let Some(new) = &rehashed {
            user::rehash_password(&mut tx, u.id, &u.password_hash, new).await?;
            detail += &format!("，密码哈希改为 {}", scheme.name());
        }
        let row = actor.audit(
            Action::Login,
            Outcome::Success,
            "会话",
            sid.to_string(),
            None,
            detail,
        );
        commit_audited(tx, &row).await?;
        self.login_throttle.succeeded(&username, source_addr);
        let mut actor = actor;
        actor.session_id = Some(sid);
        actor.csrf_token = csrf_token.clone();
        actor.must_enrol = proved == crate::second_factor::SESSION_ENROL;
        actor.must_change_password = self.password_to_change(&u);
        Ok(LoginOutcome {
            token,
            csrf_token,
            actor,
            expires_at: now + self.security.session_idle,
        })
    }

    /// Finds the user behind a session token, enforcing the idle and absolute timeouts.
    /// An API token (`dt_…`) is checked as such (see [`crate::api_tokens`]).
    pub async fn authenticate(&self, token: &str, source_addr: &str) -> ServiceResult<Actor> {
        if token.starts_with(crate::api_tokens::PREFIX) {
            return self.authenticate_token(token, source_addr).await;
        }
        let expired = || ServiceError::Unauthenticated("登录已过期，请重新登录".into());
        let Some(s) = session::authenticated(&self.db, &token_hash(token)).await? else {
            return Err(ServiceError::Unauthenticated(
                "未登录或登录已失效，请重新登录".into(),
            ));
        };
        let now = crate::clock::wall();
        if now - s.last_seen_at > self.security.session_idle
            || now - s.session_created_at > self.security.session_absolute
        {
            session::delete_expired(&self.db, s.session_id).await?;
            return Err(expired());
        }
        let u = &s.user;
        if u.disabled {
            return Err(ServiceError::Locked(
                "账户已被管理员锁定，请联系安全管理员".into(),
            ));
        }
        // Sliding expiry, written at most once a minute.
        if now - s.last_seen_at > chrono::Duration::minutes(1) {
            session::touch(&self.db, s.session_id, now).await?;
        }
        let mut actor = actor_of(u, s.roles(), source_addr, &self.clock)?;
        actor.session_id = Some(s.session_id);
        actor.csrf_token = s.csrf_token;
        actor.must_enrol = s.second_factor == crate::second_factor::SESSION_ENROL;
        actor.must_change_password = self.password_to_change(u);
        Ok(actor)
    }

    /// Whether an account must change its password before anything else: set by an
    /// administrator, or older than the policy allows.
    pub fn password_to_change(&self, u: &UserRow) -> bool {
        let max = self.security.password_policy.max_age_days;
        u.must_change_password
            || (max > 0
                && crate::clock::wall() - u.password_changed_at
                    > chrono::Duration::days(i64::from(max)))
    }

    /// The account's own sessions, the latest used first.
    pub async fn my_sessions(&self, actor: &Actor) -> ServiceResult<Vec<SessionView>> {
        let Some(uid) = actor.user_id else {
            return Ok(vec![]);
        };
        Ok(session::list_for_user(&self.db, uid)
            .await?
            .into_iter()
            .map(|s| SessionView {
                current: actor.session_id == Some(s.id),
                kind: if s.kind == SessionKind::Api.as_str() {
                    SessionKind::Api.zh()
                } else {
                    SessionKind::Web.zh()
                }
                .to_string(),
                id: s.id,
                source_addr: s.source_addr,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
            })
            .collect())
    }

    /// Ends one of the account's own sessions (a phone left logged in elsewhere).
    pub async fn end_my_session(&self, actor: &Actor, id: i64) -> ServiceResult<()> {
        let Some(uid) = actor.user_id else {
            return Err(ServiceError::NotFound("没有这个会话".into()));
        };
        let mut tx = self.db.begin().await?;
        if !session::delete_of_user(&mut tx, uid, id).await? {
            return Err(ServiceError::NotFound("没有这个会话，或它已结束".into()));
        }
        let row = actor.audit(
            Action::Logout,
            Outcome::Success,
            "会话",
            id.to_string(),
            None,
            "本人结束该会话".into(),
        );
        commit_audited(tx, &row).await
    }

    pub async fn logout(&self, actor: &Actor) -> ServiceResult<()> {
        let Some(sid) = actor.session_id else {
            return Ok(());
        };
        let mut tx = self.db.begin().await?;
        session::delete(&mut tx, sid).await?;
        let row = actor.audit(
            Action::Logout,
            Outcome::Success,
            "会话",
            sid.to_string(),
            None,
            String::new(),
        );
        commit_audited(tx, &row).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = random_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_token());
        assert_ne!(token_hash(&a), a);
    }
}
