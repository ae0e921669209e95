//! Accounts: created, granted roles, locked and unlocked by the security administrator of
//! a jurisdiction, each bound to one node of the tree.
//!
//! The accounts of the three administrators (三员: system administrator, security
//! administrator, auditor) are another matter: they are created, granted, reset, locked and
//! unlocked only on the server's command line (`dualtrack user …`), which none of the three
//! can drive through the web or the API. So the security administrator, who grants rights,
//! can neither make an auditor nor take over the auditor's account, and no one account ends
//! up both granting rights and reading the audit log.

use crate::actor::commit_audited;
use crate::actor::{audit_in, role_names};
use crate::input::parse_code;
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::{DateTime, Utc};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::password::validate_username;
use dualtrack_domain::role::{check_role_set, Permission, Role};
use dualtrack_store::user::{self as store, NewUser, UserRow};
use dualtrack_store::{jurisdiction, session, Tx};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An account as others see it: never the password hash.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub jurisdiction_code: String,
    pub roles: Vec<Role>,
    /// 角色名称
    pub role_names: Vec<String>,
    /// 被管理员锁定
    pub disabled: bool,
    /// 因登录失败锁定至
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A new account.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewUserInput {
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    pub password: String,
    /// 所属区划代码
    pub jurisdiction_code: String,
    /// 角色，如 leader、operator、grid_worker
    pub roles: Vec<String>,
}

fn view(u: UserRow, roles: Vec<Role>, now: DateTime<Utc>) -> UserView {
    UserView {
        id: u.id,
        username: u.username,
        display_name: u.display_name,
        jurisdiction_code: u.jurisdiction_code,
        role_names: roles.iter().map(|r| r.zh().to_string()).collect(),
        roles,
        disabled: u.disabled,
        locked_until: u.locked_until.filter(|t| *t > now),
        created_at: u.created_at,
    }
}

fn parse_roles(raw: &[String]) -> ServiceResult<Vec<Role>> {
    let mut roles = Vec::new();
    for r in raw {
        let role = Role::parse(r).ok_or_else(|| {
            let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            ServiceError::invalid(
                "roles",
                format!("未知角色“{r}”，可选：{}", known.join("、")),
            )
        })?;
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    check_role_set(&roles).map_err(|m| ServiceError::invalid("roles", m))?;
    Ok(roles)
}

/// Records a change to an account, under the account's jurisdiction.
async fn audit_account(
    tx: &mut Tx,
    actor: &Actor,
    action: Action,
    u: &UserRow,
    detail: String,
) -> ServiceResult<()> {
    let row = actor.audit(
        action,
        Outcome::Success,
        "账户",
        u.id.to_string(),
        Some(u.jurisdiction_code.clone()),
        detail,
    );
    audit_in(tx, &row).await
}

fn parse_roles_stored(raw: &[String]) -> Vec<Role> {
    raw.iter().filter_map(|r| Role::parse(r)).collect()
}

/// Why the web and the API may not touch an administrator's account.
const ADMIN_ACCOUNTS_ON_CLI: &str = "系统管理员、安全管理员、审计员（三员）账户只能在服务器上用命令行 dualtrack user 新建、授予角色、重置密码、锁定或解锁，网页和接口不能办理";

/// How the accounts named in records (who filed, who acted) are shown to people: by
/// display name, with the role where it helps, never by the login name.
#[derive(Debug, Clone, Default)]
pub struct PeopleNames {
    by_username: std::collections::HashMap<String, (String, Vec<Role>)>,
}

impl PeopleNames {
    /// The display name of an account; the command line and the scheduler by what they
    /// are; an account no longer known as "已删除的账户".
    pub fn name(&self, username: &str) -> String {
        if let Some((name, _)) = self.by_username.get(username) {
            return if name.trim().is_empty() {
                "未具名账户".into()
            } else {
                name.clone()
            };
        }
        if username.starts_with("cli:") {
            "服务器命令行".into()
        } else if username == "demo" {
            "演示数据".into()
        } else if username.starts_with("system:scheduler") {
            "督办调度（系统）".into()
        } else if username.starts_with("system") {
            "系统".into()
        } else if username.trim().is_empty() {
            "—".into()
        } else {
            "已删除的账户".into()
        }
    }

    /// The display name with the account's roles, as "海西州领导（领导）".
    pub fn name_and_role(&self, username: &str) -> String {
        match self.by_username.get(username) {
            Some((_, roles)) if !roles.is_empty() => {
                format!("{}（{}）", self.name(username), role_names(roles))
            }
            _ => self.name(username),
        }
    }
}

impl App {
    /// Refuses (and records the refusal) when anyone but the command line would create,
    /// change, reset, lock or unlock an administrator's account, or grant an administrative
    /// role: `roles` are the roles the account has or would get.
    async fn admin_accounts_on_cli(
        &self,
        actor: &Actor,
        target: &str,
        jurisdiction: Option<String>,
        roles: &[Role],
    ) -> ServiceResult<()> {
        if actor.is_cli || !roles.iter().any(|r| r.is_administrative()) {
            return Ok(());
        }
        Err(self
            .refuse(
                actor,
                "账户",
                target,
                jurisdiction,
                ServiceError::Forbidden(ADMIN_ACCOUNTS_ON_CLI.into()),
            )
            .await)
    }

    /// The one check of a new password: the configured policy (length, kinds of characters,
    /// common passwords, the user name, the demo password), and not the current password
    /// when there is one. `field` is the form field the refusal names.
    pub async fn check_new_password(
        &self,
        field: &'static str,
        password: &str,
        username: &str,
        current_hash: Option<&str>,
    ) -> ServiceResult<()> {
        self.security
            .password_policy
            .check(password, username)
            .map_err(|m| ServiceError::invalid(field, m))?;
        if let Some(hash) = current_hash {
            if crate::passwords::verify(password, hash).await {
                return Err(ServiceError::invalid(field, "新密码不能与当前密码相同"));
            }
        }
        Ok(())
    }

    /// The account with this id, if it lies within the actor's scope.
    pub(crate) async fn user_in_scope(&self, actor: &Actor, id: i64) -> ServiceResult<UserRow> {
        let row = store::by_id(&self.db, id).await?;
        self.own(actor, "账户", id, row, |u| &u.jurisdiction_code)
            .await
    }

    pub async fn create_user(
        &self,
        actor: &Actor,
        input: &NewUserInput,
    ) -> ServiceResult<UserView> {
        self.require(actor, Permission::ManageUsers, "账户", &input.username)
            .await?;
        let username = validate_username(&input.username)
            .map_err(|m| ServiceError::invalid("username", m))?
            .to_lowercase();
        let display_name = match input.display_name.trim() {
            "" => username.clone(),
            d if d.chars().count() > 50 => {
                return Err(ServiceError::invalid(
                    "display_name",
                    "姓名不能超过 50 个字",
                ))
            }
            d => d.to_string(),
        };
        let code = parse_code("jurisdiction_code", &input.jurisdiction_code)?;
        self.require_in_scope(actor, &code, "区划", code.as_str())
            .await?;
        let roles = parse_roles(&input.roles)?;
        self.admin_accounts_on_cli(actor, &username, Some(code.to_string()), &roles)
            .await?;
        self.check_new_password("password", &input.password, &username, None)
            .await?;
        let hash = self.hash_password(&input.password).await?;
        let now = crate::clock::wall();
        let mut tx = self.db.begin().await?;
        if !jurisdiction::exists(&mut tx, code.as_str()).await? {
            return Err(ServiceError::invalid(
                "jurisdiction_code",
                format!("区划“{code}”不存在，请先导入"),
            ));
        }
        let id = store::insert(
            &mut tx,
            &NewUser {
                username: &username,
                display_name: &display_name,
                password_hash: &hash,
                jurisdiction_code: code.as_str(),
                at: now,
            },
        )
        .await
        .map_err(|err| {
            ServiceError::taken(err, "username", || format!("用户名“{username}”已被使用"))
        })?;
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        store::set_roles(&mut tx, id, &names).await?;
        if self.security.password_policy.change_when_set_by_admin {
            store::set_must_change(&mut tx, id, true).await?;
        }
        let detail = format!("{display_name}，{}，角色：{}", code, role_names(&roles));
        let audit = actor.audit(
            Action::UserCreate,
            Outcome::Success,
            "账户",
            id.to_string(),
            Some(code.to_string()),
            detail,
        );
        commit_audited(tx, &audit).await?;
        self.get_user(actor, id).await
    }

    pub async fn get_user(&self, actor: &Actor, id: i64) -> ServiceResult<UserView> {
        if actor.user_id != Some(id) {
            self.require(actor, Permission::ManageUsers, "账户", &id.to_string())
                .await?;
        }
        let u = self.user_in_scope(actor, id).await?;
        let roles = parse_roles_stored(&store::roles(&self.db, id).await?);
        Ok(view(u, roles, crate::clock::wall()))
    }

    pub async fn list_users(
        &self,
        actor: &Actor,
        q: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> ServiceResult<Vec<UserView>> {
        self.require(actor, Permission::ManageUsers, "账户", "list")
            .await?;
        let rows = store::list(
            &self.db,
            &actor.scope,
            q,
            limit.clamp(1, 500),
            offset.max(0),
        )
        .await?;
        let ids: Vec<i64> = rows.iter().map(|u| u.id).collect();
        let pairs = store::roles_of(&self.db, &ids).await?;
        let now = crate::clock::wall();
        Ok(rows
            .into_iter()
            .map(|u| {
                let roles: Vec<String> = pairs
                    .iter()
                    .filter(|(id, _)| *id == u.id)
                    .map(|(_, r)| r.clone())
                    .collect();
                view(u, parse_roles_stored(&roles), now)
            })
            .collect())
    }

    pub async fn set_user_roles(
        &self,
        actor: &Actor,
        id: i64,
        raw: &[String],
    ) -> ServiceResult<UserView> {
        self.require(actor, Permission::ManageUsers, "账户", &id.to_string())
            .await?;
        let u = self.user_in_scope(actor, id).await?;
        let roles = parse_roles(raw)?;
        if actor.user_id == Some(id) {
            return Err(ServiceError::Forbidden("不能变更自己的角色".into()));
        }
        let mut touched = self.roles_of(id).await?;
        touched.extend(roles.iter().copied());
        self.admin_accounts_on_cli(
            actor,
            &id.to_string(),
            Some(u.jurisdiction_code.clone()),
            &touched,
        )
        .await?;
        let mut tx = self.db.begin().await?;
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        store::set_roles(&mut tx, id, &names).await?;
        let detail = format!("角色改为：{}", role_names(&roles));
        audit_account(&mut tx, actor, Action::UserRoles, &u, detail).await?;
        tx.commit().await?;
        self.get_user(actor, id).await
    }

    /// Sets a new password: the account's own (with the current one), or another's by the
    /// security administrator. Either way, the account's other sessions end.
    pub async fn set_password(
        &self,
        actor: &Actor,
        id: i64,
        current: Option<&str>,
        new: &str,
    ) -> ServiceResult<()> {
        let own = actor.user_id == Some(id);
        self.refuse_token(actor, "修改密码", "账户", &id.to_string())
            .await?;
        if !own {
            self.require(actor, Permission::ManageUsers, "账户", &id.to_string())
                .await?;
        }
        let u = self.user_in_scope(actor, id).await?;
        if own && actor.user_id.is_some() {
            let ok = match current {
                Some(c) => crate::passwords::verify(c, &u.password_hash).await,
                None => false,
            };
            if !ok {
                return Err(ServiceError::invalid("current_password", "当前密码不正确"));
            }
        }
        if !own {
            let roles = self.roles_of(id).await?;
            self.admin_accounts_on_cli(
                actor,
                &id.to_string(),
                Some(u.jurisdiction_code.clone()),
                &roles,
            )
            .await?;
        }
        self.check_new_password("new_password", new, &u.username, Some(&u.password_hash))
            .await?;
        let history = self.security.password_policy.history;
        if history > 1 {
            let n = i64::try_from(history - 1).unwrap_or(i64::MAX);
            for old in store::previous_hashes(&self.db, id, n).await? {
                if crate::passwords::verify(new, &old).await {
                    return Err(ServiceError::invalid(
                        "new_password",
                        format!("新密码不能与最近用过的 {history} 个密码相同"),
                    ));
                }
            }
        }
        let hash = self.hash_password(new).await?;
        let must_change = !own && self.security.password_policy.change_when_set_by_admin;
        let mut tx = self.db.begin().await?;
        store::set_password(&mut tx, id, &hash, crate::clock::wall(), must_change).await?;
        let ended = session::delete_for_user(&mut tx, id).await?;
        let detail = if own {
            format!("本人修改，结束 {ended} 个会话")
        } else {
            let revoked =
                dualtrack_store::api_tokens::revoke_all(&mut tx, id, crate::clock::wall()).await?;
            format!("管理员重置，结束 {ended} 个会话，撤销 {revoked} 个接口令牌")
        };
        audit_account(&mut tx, actor, Action::UserPassword, &u, detail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes an account's second factor (the security administrator; an administrator's
    /// account on the command line), ending its sessions: at its next login it enrols again
    /// if its roles require it.
    pub async fn reset_second_factor(&self, actor: &Actor, id: i64) -> ServiceResult<()> {
        self.refuse_token(actor, "重置双因素认证", "账户", &id.to_string())
            .await?;
        self.require(actor, Permission::ManageUsers, "账户", &id.to_string())
            .await?;
        let u = self.user_in_scope(actor, id).await?;
        let roles = self.roles_of(id).await?;
        self.admin_accounts_on_cli(
            actor,
            &id.to_string(),
            Some(u.jurisdiction_code.clone()),
            &roles,
        )
        .await?;
        let mut tx = self.db.begin().await?;
        if !dualtrack_store::second_factor::reset(&mut tx, id).await? {
            return Err(ServiceError::conflict(
                "second_factor",
                "该账户没有启用双因素认证",
            ));
        }
        audit_account(
            &mut tx,
            actor,
            Action::SecondFactorReset,
            &u,
            "重置双因素认证，结束其全部会话".into(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Locks (or unlocks) an account. Locking ends its sessions.
    pub async fn set_user_locked(
        &self,
        actor: &Actor,
        id: i64,
        locked: bool,
    ) -> ServiceResult<UserView> {
        self.require(actor, Permission::ManageUsers, "账户", &id.to_string())
            .await?;
        let u = self.user_in_scope(actor, id).await?;
        if locked && actor.user_id == Some(id) {
            return Err(ServiceError::Forbidden("不能锁定自己的账户".into()));
        }
        let roles = self.roles_of(id).await?;
        self.admin_accounts_on_cli(
            actor,
            &id.to_string(),
            Some(u.jurisdiction_code.clone()),
            &roles,
        )
        .await?;
        let mut tx = self.db.begin().await?;
        store::set_disabled(&mut tx, id, locked).await?;
        if !locked {
            self.login_throttle.forget(&u.username);
        }
        let detail = if locked {
            let ended = session::delete_for_user(&mut tx, id).await?;
            format!("锁定，结束 {ended} 个会话")
        } else {
            "解锁".to_string()
        };
        let action = if locked {
            Action::UserLock
        } else {
            Action::UserUnlock
        };
        audit_account(&mut tx, actor, action, &u, detail).await?;
        tx.commit().await?;
        self.get_user(actor, id).await
    }

    /// The roles an account holds.
    async fn roles_of(&self, id: i64) -> ServiceResult<Vec<Role>> {
        Ok(parse_roles_stored(&store::roles(&self.db, id).await?))
    }

    /// The names to show for the accounts that records name by login name.
    pub async fn people_names<'a>(
        &self,
        usernames: impl IntoIterator<Item = &'a str>,
    ) -> ServiceResult<PeopleNames> {
        let mut wanted: Vec<String> = usernames.into_iter().map(str::to_string).collect();
        wanted.sort();
        wanted.dedup();
        let mut by_username: std::collections::HashMap<String, (String, Vec<Role>)> =
            std::collections::HashMap::new();
        for (username, display_name, role) in store::names_of(&self.db, &wanted).await? {
            let e = by_username
                .entry(username)
                .or_insert_with(|| (display_name, vec![]));
            if let Some(r) = role.as_deref().and_then(Role::parse) {
                e.1.push(r);
            }
        }
        Ok(PeopleNames { by_username })
    }

    /// Finds an account by user name (for the command line).
    pub async fn user_id_by_name(&self, username: &str) -> ServiceResult<i64> {
        store::by_username(&self.db, &username.trim().to_lowercase())
            .await?
            .map(|u| u.id)
            .ok_or_else(|| ServiceError::NotFound(format!("未找到用户“{username}”")))
    }
}
