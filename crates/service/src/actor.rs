//! Who is acting: a logged-in user, or the command line.

use crate::clock::Clock;
use crate::{App, ServiceError, ServiceResult};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::jurisdiction::{Code, Level, Scope};
use dualtrack_domain::role::{any_grants, Permission, Role};
use dualtrack_store::audit::NewAudit;
use dualtrack_store::Tx;

#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub scope: Scope,
    pub source_addr: String,
    pub session_id: Option<i64>,
    /// The CSRF token of the session, for pages.
    pub csrf_token: String,
    /// The command line, run by whoever holds the server's shell.
    pub is_cli: bool,
    /// The account's roles require a second factor it has not set up: the session may do
    /// nothing else until it is.
    pub must_enrol: bool,
    /// The account's password was set by an administrator or is past its age: the session
    /// may do nothing but change it.
    pub must_change_password: bool,
    /// The API token the request was made with, if any: the actor is then its account,
    /// narrowed to the token's scope.
    pub token: Option<crate::api_tokens::TokenGrant>,
    /// The clock of the application it acts in: its audit rows are stamped with its
    /// [`Clock::record_time`] (a demo server's day).
    pub clock: Clock,
}

impl Actor {
    /// The command line, run by whoever holds the server's shell: the whole tree.
    pub fn cli() -> Actor {
        let who = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".into());
        Actor {
            user_id: None,
            username: format!("cli:{who}"),
            display_name: "命令行".into(),
            roles: vec![Role::SysAdmin],
            scope: Scope::All,
            source_addr: "local".into(),
            session_id: None,
            csrf_token: String::new(),
            is_cli: true,
            must_enrol: false,
            must_change_password: false,
            token: None,
            clock: Clock::default(),
        }
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the actor may do `p`. The command line may do everything (within its
    /// scope); a user only what its roles grant.
    pub fn can(&self, p: Permission) -> bool {
        self.is_cli || any_grants(&self.roles, p)
    }

    /// Whether the actor may see in full the personal data of a record it reads under
    /// `read`: the one rule of every unmasking, on pages, in the API and in exports.
    pub fn may_unmask(&self, read: Permission) -> bool {
        self.token.is_none() && self.can(read) && self.can(Permission::Unmask)
    }

    pub fn roles_text(&self) -> String {
        self.roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The code an action is recorded under when it has no place of its own.
    pub fn home_code(&self) -> Option<String> {
        self.scope.code().map(|c| c.to_string())
    }

    /// Whether events tied to no place are the caller's to see: the whole tree, or a
    /// prefecture or province.
    pub fn sees_unplaced(&self) -> bool {
        match &self.scope {
            Scope::All => true,
            Scope::Under(c) => c.level() <= Level::Prefecture,
        }
    }

    /// An audit row for this actor; a request made with an API token names the token.
    pub fn audit(
        &self,
        action: Action,
        outcome: Outcome,
        target_kind: &str,
        target_id: impl Into<String>,
        jurisdiction: Option<String>,
        detail: String,
    ) -> NewAudit {
        NewAudit {
            at: self.clock.record_time(),
            user_id: self.user_id,
            username: self.username.clone(),
            roles: self.roles_text(),
            action: action.as_str().into(),
            target_kind: target_kind.into(),
            target_id: target_id.into(),
            jurisdiction_code: jurisdiction.or_else(|| self.home_code()),
            source_addr: self.source_addr.clone(),
            outcome: outcome.as_str().into(),
            detail: match &self.token {
                Some(t) => t.note(&detail),
                None => detail,
            },
        }
    }
}

impl App {
    /// Records a refusal in the audit log (in a transaction of its own: nothing else is
    /// written) and returns the error to give the caller.
    pub async fn refuse(
        &self,
        actor: &Actor,
        target_kind: &str,
        target_id: &str,
        jurisdiction: Option<String>,
        err: ServiceError,
    ) -> ServiceError {
        let row = actor.audit(
            Action::Denied,
            Outcome::Denied,
            target_kind,
            target_id,
            jurisdiction,
            err.to_string(),
        );
        let result: ServiceResult<()> = async {
            let mut tx = self.writer().begin().await?;
            dualtrack_store::audit::insert(&mut tx, &row).await?;
            tx.commit().await?;
            Ok(())
        }
        .await;
        match result {
            Ok(()) => err,
            Err(e) => e,
        }
    }

    /// Refuses unless the actor's roles grant `p`.
    pub async fn require(
        &self,
        actor: &Actor,
        p: Permission,
        target_kind: &str,
        target_id: &str,
    ) -> ServiceResult<()> {
        if actor.can(p) {
            return Ok(());
        }
        let msg = format!("您的角色（{}）无权进行此操作", role_names(&actor.roles));
        Err(self.forbid(actor, target_kind, target_id, msg).await)
    }

    /// Records a refusal as forbidden (403) in the audit log and returns it.
    pub(crate) async fn forbid(
        &self,
        actor: &Actor,
        target_kind: &str,
        target_id: &str,
        msg: String,
    ) -> ServiceError {
        self.refuse(
            actor,
            target_kind,
            target_id,
            None,
            ServiceError::Forbidden(msg),
        )
        .await
    }

    /// Refuses, as "not found", a record outside the actor's jurisdiction.
    pub async fn require_in_scope(
        &self,
        actor: &Actor,
        code: &Code,
        target_kind: &str,
        target_id: &str,
    ) -> ServiceResult<()> {
        if actor.scope.contains(code) {
            return Ok(());
        }
        let msg = format!("未找到{target_kind}“{target_id}”，或它不在您的管辖范围内");
        Err(self
            .refuse(
                actor,
                target_kind,
                target_id,
                Some(code.to_string()),
                ServiceError::NotFound(msg),
            )
            .await)
    }
}

impl App {
    /// Refuses, audited, an actor that may not unmask records it reads under `read`: it
    /// needs the right to read them first, then the right to unmask.
    pub async fn require_unmask(
        &self,
        actor: &Actor,
        read: Permission,
        target_kind: &str,
        target_id: &str,
    ) -> ServiceResult<()> {
        self.refuse_token(actor, "查看个人信息明文", target_kind, target_id)
            .await?;
        self.require(actor, read, target_kind, target_id).await?;
        self.require(actor, Permission::Unmask, target_kind, target_id)
            .await
    }

    /// One record's personal data in full. The rule is the same for every kind of record:
    /// the actor must be allowed to read the record (`read`, then `find`, which applies the
    /// place and any narrower rule of the kind) and to unmask; each showing is audited in
    /// its own transaction. `find` gives the record and its place.
    pub(crate) async fn reveal<T, F, Fut>(
        &self,
        actor: &Actor,
        read: Permission,
        kind: &str,
        target: &str,
        find: F,
    ) -> ServiceResult<T>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = ServiceResult<(T, String)>>,
    {
        self.require_unmask(actor, read, kind, target).await?;
        let (record, place) = find().await?;
        let tx = self.db.begin().await?;
        let audit = actor.audit(
            Action::Unmask,
            Outcome::Success,
            kind,
            target.to_string(),
            Some(place),
            "查看身份证号与电话".into(),
        );
        commit_audited(tx, &audit).await?;
        Ok(record)
    }

    /// A record found by id, if its place lies within the actor's scope; otherwise (or if
    /// there is none) "not found", the refusal audited.
    pub(crate) async fn own<T>(
        &self,
        actor: &Actor,
        kind: &str,
        id: i64,
        row: Option<T>,
        place: impl Fn(&T) -> &str,
    ) -> ServiceResult<T> {
        let not_found =
            || ServiceError::NotFound(format!("未找到{kind} {id}，或其不在您的管辖范围内"));
        let row = row.ok_or_else(not_found)?;
        let code = Code::parse(place(&row)).map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.require_in_scope(actor, &code, kind, &id.to_string())
            .await
            .map_err(|_| not_found())?;
        Ok(row)
    }
}

/// Writes an audit row inside the transaction of the change.
pub async fn audit_in(tx: &mut Tx, row: &NewAudit) -> ServiceResult<()> {
    dualtrack_store::audit::insert(tx, row).await?;
    Ok(())
}

/// Ends a write: its audit row, in its transaction, then the commit.
pub async fn commit_audited(mut tx: Tx, row: &NewAudit) -> ServiceResult<()> {
    audit_in(&mut tx, row).await?;
    tx.commit().await?;
    Ok(())
}

pub fn role_names(roles: &[Role]) -> String {
    roles.iter().map(|r| r.zh()).collect::<Vec<_>>().join("、")
}
