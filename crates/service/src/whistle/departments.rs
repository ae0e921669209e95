//! Departments (职能部门) and their members.

use super::views::{dept_view, opt};
use super::*;
use crate::input::{optional_text, text};
use crate::{Actor, App, ServiceError, ServiceResult};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::jurisdiction::{Code, Level, Scope};
use dualtrack_domain::role::Permission;
use dualtrack_store::whistle::{self as store, DepartmentRow, NewDepartment};

impl App {
    /// The departments a user answers for (dept_responders), if any.
    pub async fn department_of(&self, actor: &Actor) -> ServiceResult<Option<DepartmentRow>> {
        match actor.user_id {
            Some(u) => Ok(store::department_of_user(&self.db, u).await?),
            None => Ok(None),
        }
    }

    pub async fn create_department(
        &self,
        actor: &Actor,
        input: &DepartmentInput,
    ) -> ServiceResult<DepartmentView> {
        self.require(actor, Permission::ManageWhistle, "部门", "new")
            .await?;
        let name = text("name", "部门名称", &input.name, 50)?;
        let duty = optional_text("duty", "职责", &input.duty, 200)?;
        let phone = match opt(&input.phone) {
            None => None,
            Some(p) => Some(text("phone", "值班电话", p, 30)?),
        };
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        if code.level() > Level::Township {
            return Err(ServiceError::invalid(
                "jurisdiction_code",
                "部门应设在州、县（市）或乡镇（街道）一级",
            ));
        }
        if store::department_by_name(&self.db, code.as_str(), &name)
            .await?
            .is_some()
        {
            return Err(ServiceError::conflict(
                "name",
                format!("{code} 已有部门“{name}”"),
            ));
        }
        let now = self.now();
        let d = NewDepartment {
            name: name.clone(),
            jurisdiction_code: code.to_string(),
            duty,
            phone,
            created_by: actor.username.clone(),
        };
        let mut tx = self.db.begin().await?;
        let id = store::insert_department(&mut tx, &d, now).await?;
        let audit = actor.audit(
            Action::DepartmentCreate,
            Outcome::Success,
            "部门",
            id.to_string(),
            Some(code.to_string()),
            name.clone(),
        );
        commit_audited(tx, &audit).await?;
        Ok(DepartmentView {
            id,
            name,
            jurisdiction_code: d.jurisdiction_code,
            duty: d.duty,
            phone: d.phone,
        })
    }

    /// The departments a caller sees: of its subtree, and those above that answer for it.
    pub async fn departments(&self, actor: &Actor) -> ServiceResult<Vec<DepartmentView>> {
        self.require(actor, Permission::ReadTree, "部门", "list")
            .await?;
        Ok(store::departments_visible(&self.db, &actor.scope)
            .await?
            .into_iter()
            .map(dept_view)
            .collect())
    }

    /// A department visible to the caller, or "not found".
    async fn visible_department(&self, actor: &Actor, id: i64) -> ServiceResult<DepartmentRow> {
        let row = store::department(&self.db, id).await?;
        let not_found =
            || ServiceError::NotFound(format!("未找到部门 {id}，或其不在您的管辖范围内"));
        let Some(row) = row else {
            return Err(not_found());
        };
        let code = Code::parse(&row.jurisdiction_code)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let visible = match &actor.scope {
            Scope::All => true,
            Scope::Under(s) => code.is_within(s) || s.is_within(&code),
        };
        if !visible {
            return Err(self
                .refuse(
                    actor,
                    "部门",
                    &id.to_string(),
                    Some(code.to_string()),
                    not_found(),
                )
                .await);
        }
        Ok(row)
    }

    pub async fn department_detail(
        &self,
        actor: &Actor,
        id: i64,
    ) -> ServiceResult<DepartmentDetail> {
        self.require(actor, Permission::ReadTree, "部门", &id.to_string())
            .await?;
        let d = self.visible_department(actor, id).await?;
        let members = store::members(&self.db, id)
            .await?
            .into_iter()
            .map(|m| MemberView {
                user_id: m.user_id,
                username: m.username,
                display_name: m.display_name,
            })
            .collect();
        Ok(DepartmentDetail {
            department: dept_view(d),
            members,
        })
    }

    /// Puts a dept_responder account in a department; both must be within the caller's scope.
    pub async fn add_department_member(
        &self,
        actor: &Actor,
        id: i64,
        input: &MemberInput,
    ) -> ServiceResult<DepartmentDetail> {
        self.require(actor, Permission::ManageWhistle, "部门", &id.to_string())
            .await?;
        let d = store::department(&self.db, id).await?;
        let d = self
            .own(actor, "部门", id, d, |r| &r.jurisdiction_code)
            .await?;
        let username = text("username", "用户名", &input.username, 50)?.to_lowercase();
        let user = dualtrack_store::user::by_username(&self.db, &username).await?;
        let Some(user) = user else {
            return Err(ServiceError::invalid(
                "username",
                format!("没有账户“{username}”"),
            ));
        };
        let ucode = Code::parse(&user.jurisdiction_code)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        if !actor.scope.contains(&ucode) {
            return Err(ServiceError::invalid(
                "username",
                format!("账户“{username}”不在您的管辖范围内"),
            ));
        }
        let roles = dualtrack_store::user::roles(&self.db, user.id).await?;
        if !roles.iter().any(|r| r == "dept_responder") {
            return Err(ServiceError::invalid(
                "username",
                format!("账户“{username}”不是部门响应人，请先由安全管理员授予该角色"),
            ));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        store::set_member(&mut tx, user.id, id, now).await?;
        let audit = actor.audit(
            Action::DepartmentMember,
            Outcome::Success,
            "部门",
            id.to_string(),
            Some(d.jurisdiction_code.clone()),
            format!("{username} 归属 {}", d.name),
        );
        commit_audited(tx, &audit).await?;
        self.department_detail(actor, id).await
    }
}
