//! API tokens: made by a logged-in account whose session gave its second factor, for a
//! program to call the API as that account, narrower: a name, a scope (`read`: GET only;
//! `write`: all the account may do), optionally a subtree of the account's jurisdiction,
//! and an expiry of 1 to 365 days. The secret (`dt_` and 32 random bytes from the system's
//! CSPRNG) is shown once; only its SHA-256 is kept, with its first characters for display.
//!
//! A token never opens a page, makes a token, changes a password or a second factor, or
//! unmasks personal data (each a person's act at a screen). It stops working when revoked,
//! expired, or when its account is locked or has its password reset by an administrator.

use crate::actor::commit_audited;
use crate::auth::{actor_of, random_token, token_hash};
use crate::input::text;
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::{DateTime, Utc};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::jurisdiction::{Code, Scope};
use dualtrack_domain::role::Permission;
use dualtrack_store::api_tokens::{self as store, TokenRow};
use dualtrack_store::jurisdiction::names_of;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What every token's secret starts with (a session's token is hex and never does).
pub const PREFIX: &str = "dt_";
/// How many characters of a secret are kept to tell tokens apart.
const SHOWN: usize = 11;
pub const NAME_MAX: usize = 50;
pub const DAYS_MAX: i64 = 365;

/// The token a request was made with.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub id: i64,
    pub name: String,
    /// GET only.
    pub read_only: bool,
}

impl TokenGrant {
    /// An audit row's detail, naming the token.
    pub(crate) fn note(&self, detail: &str) -> String {
        let by = format!("经接口令牌 {}“{}”", self.id, self.name);
        if detail.is_empty() {
            by
        } else {
            format!("{detail}（{by}）")
        }
    }
}

/// 令牌的权限：read 只读（仅 GET），write 读写（账户能做的一切）
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    Read,
    Write,
}

impl TokenScope {
    fn parse(raw: &str) -> ServiceResult<TokenScope> {
        match raw.trim() {
            "read" => Ok(TokenScope::Read),
            "write" => Ok(TokenScope::Write),
            _ => Err(ServiceError::invalid(
                "scope",
                "权限应为 read（只读）或 write（读写）",
            )),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Write => "write",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            TokenScope::Read => "只读",
            TokenScope::Write => "读写",
        }
    }
}

/// A new token.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewTokenInput {
    /// 名称（用途），本人的令牌中不重复，最多 50 字
    pub name: String,
    /// 有效天数，1 至 365
    pub expires_in_days: i64,
    /// read 或 write
    pub scope: String,
    /// 限定的区划（本人管辖范围内的一个节点）；不填即本人的整个管辖范围
    #[serde(default)]
    pub jurisdiction_code: Option<String>,
}

/// A token as listed: never its secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    /// 令牌开头几个字符，用于辨认
    pub prefix: String,
    pub scope: TokenScope,
    pub scope_name: String,
    /// 限定的区划；为空即账户的整个管辖范围
    pub jurisdiction_code: Option<String>,
    /// 范围的名称
    pub place: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// 最近使用时间（至多每分钟记一次）
    pub last_used_at: Option<DateTime<Utc>>,
    pub expired: bool,
}

/// A token just made: its secret, shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedToken {
    /// 令牌：只显示这一次，请立即妥善保存；请求时带 `Authorization: Bearer <secret>`
    pub secret: String,
    pub token: TokenView,
}

/// A fresh secret: the prefix and 32 random bytes.
fn new_secret() -> String {
    format!("{PREFIX}{}", random_token())
}

impl App {
    /// Refuses, audited, an act that needs a person at a screen when the request was made
    /// with an API token.
    pub(crate) async fn refuse_token(
        &self,
        actor: &Actor,
        what: &str,
        target_kind: &str,
        target_id: &str,
    ) -> ServiceResult<()> {
        if actor.token.is_none() {
            return Ok(());
        }
        let msg = format!("接口令牌不能{what}：须本人登录后操作");
        Err(self.forbid(actor, target_kind, target_id, msg).await)
    }

    async fn views(&self, rows: Vec<TokenRow>, home: &str) -> ServiceResult<Vec<TokenView>> {
        let codes: Vec<&str> = rows
            .iter()
            .map(|r| r.jurisdiction_code.as_deref().unwrap_or(home))
            .collect();
        let names = names_of(&self.db, &codes).await?;
        let now = crate::clock::wall();
        Ok(rows
            .into_iter()
            .map(|r| {
                let scope = if r.scope == "read" {
                    TokenScope::Read
                } else {
                    TokenScope::Write
                };
                let code = r.jurisdiction_code.clone().unwrap_or_else(|| home.into());
                let place = match (names.get(&code), &r.jurisdiction_code) {
                    (Some(n), Some(_)) => format!("{n}（{code}）"),
                    (Some(n), None) => format!("{n}（整个管辖范围）"),
                    (None, _) => code,
                };
                TokenView {
                    id: r.id,
                    name: r.name,
                    prefix: r.token_prefix,
                    scope,
                    scope_name: scope.zh().into(),
                    jurisdiction_code: r.jurisdiction_code,
                    place,
                    created_at: r.created_at,
                    expires_at: r.expires_at,
                    last_used_at: r.last_used_at,
                    expired: r.expires_at <= now,
                }
            })
            .collect())
    }

    /// Makes a token for the actor's own account. The session must have given the second
    /// factor at login (or enrolled it since).
    pub async fn create_token(
        &self,
        actor: &Actor,
        input: &NewTokenInput,
    ) -> ServiceResult<CreatedToken> {
        self.refuse_token(actor, "新建接口令牌", "接口令牌", "new")
            .await?;
        let (Some(uid), Some(sid)) = (actor.user_id, actor.session_id) else {
            return Err(ServiceError::Forbidden(
                "只有登录的账户可以新建接口令牌".into(),
            ));
        };
        let proved = dualtrack_store::session::second_factor_of(&self.db, sid).await?;
        if proved.as_deref() != Some(crate::second_factor::SESSION_VERIFIED) {
            let enrolled = self.second_factor_state(actor).await?.enabled;
            let msg = if enrolled {
                "新建接口令牌须用双因素认证登录：请退出后输入动态口令重新登录，再新建"
            } else {
                "新建接口令牌须先启用双因素认证：请在“我的账户 → 双因素认证”中设置，再新建"
            };
            return Err(self.forbid(actor, "接口令牌", "new", msg.into()).await);
        }
        let name = text("name", "令牌名称", &input.name, NAME_MAX)?;
        if !(1..=DAYS_MAX).contains(&input.expires_in_days) {
            return Err(ServiceError::invalid(
                "expires_in_days",
                format!("有效天数应为 1 至 {DAYS_MAX} 天（不设永久有效的令牌）"),
            ));
        }
        let scope = TokenScope::parse(&input.scope)?;
        let code = match crate::input::trimmed(&input.jurisdiction_code) {
            None => None,
            Some(raw) => Some(
                self.place_in_scope(actor, "jurisdiction_code", raw)
                    .await
                    .map_err(|e| match e {
                        ServiceError::NotFound(m) => ServiceError::Unknown {
                            field: "jurisdiction_code",
                            message: m,
                        },
                        e => e,
                    })?,
            ),
        };
        if store::name_taken(&self.db, uid, &name).await? {
            return Err(ServiceError::conflict(
                "name",
                format!("已有名为“{name}”的令牌，请换一个名称"),
            ));
        }
        let secret = new_secret();
        let now = crate::clock::wall();
        let expires_at = now + chrono::Duration::days(input.expires_in_days);
        let mut tx = self.db.begin().await?;
        let id = store::insert(
            &mut tx,
            &store::NewToken {
                user_id: uid,
                name: &name,
                token_hash: &token_hash(&secret),
                token_prefix: &secret[..SHOWN],
                scope: scope.as_str(),
                jurisdiction_code: code.as_ref().map(Code::as_str),
                created_at: now,
                expires_at,
            },
        )
        .await?;
        let row = actor.audit(
            Action::TokenCreate,
            Outcome::Success,
            "接口令牌",
            id.to_string(),
            code.as_ref().map(Code::to_string),
            format!(
                "新建接口令牌“{name}”（{}，{} 天后到期）",
                scope.zh(),
                input.expires_in_days
            ),
        );
        commit_audited(tx, &row).await?;
        let home = actor.home_code().unwrap_or_default();
        let rows = store::list_for_user(&self.db, uid).await?;
        let view = self
            .views(rows.into_iter().filter(|r| r.id == id).collect(), &home)
            .await?
            .pop()
            .ok_or_else(|| ServiceError::Internal("新建的令牌未找到".into()))?;
        Ok(CreatedToken {
            secret,
            token: view,
        })
    }

    /// The actor's own tokens not revoked, the latest made first.
    pub async fn my_tokens(&self, actor: &Actor) -> ServiceResult<Vec<TokenView>> {
        let Some(uid) = actor.user_id else {
            return Ok(vec![]);
        };
        let u = dualtrack_store::user::by_id(&self.db, uid).await?;
        let home = u.map(|u| u.jurisdiction_code).unwrap_or_default();
        self.views(store::list_for_user(&self.db, uid).await?, &home)
            .await
    }

    /// An account's tokens (the security administrator, within their jurisdiction).
    pub async fn user_tokens(&self, actor: &Actor, user_id: i64) -> ServiceResult<Vec<TokenView>> {
        self.require(actor, Permission::ManageUsers, "账户", &user_id.to_string())
            .await?;
        let u = self.user_in_scope(actor, user_id).await?;
        self.views(
            store::list_for_user(&self.db, user_id).await?,
            &u.jurisdiction_code,
        )
        .await
    }

    /// Revokes one of the actor's own tokens.
    pub async fn revoke_my_token(&self, actor: &Actor, id: i64) -> ServiceResult<()> {
        let Some(uid) = actor.user_id else {
            return Err(ServiceError::NotFound("没有这个令牌".into()));
        };
        self.revoke(actor, uid, id, "本人撤销").await
    }

    /// Revokes a token of an account (the security administrator, within their
    /// jurisdiction).
    pub async fn revoke_user_token(
        &self,
        actor: &Actor,
        user_id: i64,
        id: i64,
    ) -> ServiceResult<()> {
        self.require(actor, Permission::ManageUsers, "账户", &user_id.to_string())
            .await?;
        let u = self.user_in_scope(actor, user_id).await?;
        let by = format!("安全管理员撤销账户“{}”的令牌", u.username);
        self.revoke(actor, user_id, id, &by).await
    }

    async fn revoke(&self, actor: &Actor, user_id: i64, id: i64, by: &str) -> ServiceResult<()> {
        let mut tx = self.db.begin().await?;
        let Some(t) = store::revoke(&mut tx, user_id, id, crate::clock::wall()).await? else {
            return Err(ServiceError::NotFound(format!(
                "没有编号为 {id} 的令牌，或它已撤销"
            )));
        };
        let row = actor.audit(
            Action::TokenRevoke,
            Outcome::Success,
            "接口令牌",
            id.to_string(),
            t.jurisdiction_code.clone(),
            format!("{by}：“{}”（{}…）", t.name, t.token_prefix),
        );
        commit_audited(tx, &row).await
    }

    /// The account behind a token, narrowed to the token's scope; refused when the token is
    /// unknown, revoked or expired, or its account locked.
    pub(crate) async fn authenticate_token(
        &self,
        secret: &str,
        source_addr: &str,
    ) -> ServiceResult<Actor> {
        let refused = |why: &str| ServiceError::Unauthenticated(why.into());
        let Some(t) = store::authenticated(&self.db, &token_hash(secret)).await? else {
            return Err(refused("接口令牌无效：请核对令牌，或新建一个"));
        };
        let now = crate::clock::wall();
        if t.revoked_at.is_some() {
            return Err(refused("接口令牌已撤销"));
        }
        if t.expires_at <= now {
            return Err(refused("接口令牌已过期：请新建一个"));
        }
        let u = &t.user;
        if u.disabled {
            return Err(refused("账户已被管理员锁定，接口令牌不可用"));
        }
        let mut actor = actor_of(u, t.roles(), source_addr, &self.clock)?;
        if let Some(raw) = &t.token_code {
            let code = crate::input::stored_code(raw)?;
            let home = crate::input::stored_code(&u.jurisdiction_code)?;
            if actor.scope.contains(&code) {
                actor.scope = Scope::Under(code);
            } else if !Scope::Under(code).contains(&home) {
                return Err(refused("接口令牌限定的区划已不在账户的管辖范围内"));
            }
        }
        if t.last_used_at
            .is_none_or(|at| now - at > chrono::Duration::minutes(1))
        {
            store::touch(&self.db, t.token_id, now).await?;
        }
        actor.must_change_password = self.password_to_change(u);
        actor.token = Some(TokenGrant {
            id: t.token_id,
            name: t.token_name,
            read_only: t.scope != TokenScope::Write.as_str(),
        });
        Ok(actor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_carry_the_prefix_and_256_bits() {
        let s = new_secret();
        assert!(s.starts_with(PREFIX));
        assert_eq!(s.len(), PREFIX.len() + 64);
        assert_ne!(s, new_secret());
    }

    #[test]
    fn the_audit_names_the_token() {
        let g = TokenGrant {
            id: 7,
            name: "报表同步".into(),
            read_only: true,
        };
        assert_eq!(g.note(""), "经接口令牌 7“报表同步”");
        assert_eq!(g.note("登记"), "登记（经接口令牌 7“报表同步”）");
    }
}
