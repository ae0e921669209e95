//! Applications to serve and their decisions, and registration in the community of residence.

use super::*;

impl App {
    pub async fn submit_application(
        &self,
        actor: &Actor,
        input: &ApplicationInput,
    ) -> ServiceResult<ApplicationView> {
        let person = self
            .person_to_manage(actor, "请战书", input.person_id)
            .await?;
        let wish = required("wish", "请战内容", &input.wish, 500)?;
        let submitted_on = parse_date("submitted_on", &input.submitted_on)?;
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        let mut tx = self.db.begin().await?;
        let id = store::insert_application(
            &mut tx,
            input.person_id,
            code.as_str(),
            submitted_on,
            &wish,
            self.clock.now(),
        )
        .await?;
        let row = actor.audit(
            Action::ApplicationSubmit,
            Outcome::Success,
            "请战书",
            id.to_string(),
            Some(code.to_string()),
            person.name.clone(),
        );
        commit_audited(tx, &row).await?;
        let a = store::application(&self.db, id).await?;
        application_view(a.ok_or_else(|| ServiceError::Internal("请战书未找到".into()))?)
    }

    /// Approves or declines an application; an approved one becomes a deployment.
    pub async fn decide_application(
        &self,
        actor: &Actor,
        id: i64,
        input: &DecisionInput,
    ) -> ServiceResult<ApplicationView> {
        self.require(
            actor,
            Permission::ManageMobilisation,
            "请战书",
            &id.to_string(),
        )
        .await?;
        let decided_on = parse_date("decided_on", &input.decided_on)?;
        let not_found =
            || ServiceError::NotFound(format!("未找到请战书 {id}，或其不在您的管辖范围内"));
        let a = store::application(&self.db, id)
            .await?
            .ok_or_else(not_found)?;
        let code =
            Code::parse(&a.jurisdiction_code).map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.require_in_scope(actor, &code, "请战书", &id.to_string())
            .await
            .map_err(|_| not_found())?;
        let already = || ServiceError::conflict("approve", "该请战书已审批");
        if a.status != ApplicationStatus::Submitted.as_str() {
            return Err(already());
        }
        let prepared = if input.approve {
            let Some(d) = &input.deployment else {
                return Err(ServiceError::invalid(
                    "deployment",
                    "批准请战书须同时给出派驻地点、岗位和开始日期",
                ));
            };
            if d.person_id != a.person_id {
                return Err(ServiceError::invalid(
                    "deployment",
                    "派驻人员须为请战人本人",
                ));
            }
            Some(self.prepare_deployment(actor, d).await?)
        } else {
            None
        };
        let mut tx = self.db.begin().await?;
        let (status, deployment_id) = match &prepared {
            Some(p) => (
                ApplicationStatus::Approved,
                Some(self.write_deployment(&mut tx, p).await?),
            ),
            None => (ApplicationStatus::Declined, None),
        };
        // Only a submitted application can be decided: a second decision finds none.
        if !store::decide_application(
            &mut tx,
            id,
            status.as_str(),
            decided_on,
            &actor.username,
            deployment_id,
        )
        .await?
        {
            return Err(already());
        }
        let detail = format!("{}：{}", a.person_name, status.zh());
        let row = actor.audit(
            Action::ApplicationDecide,
            Outcome::Success,
            "请战书",
            id.to_string(),
            Some(code.to_string()),
            detail,
        );
        commit_audited(tx, &row).await?;
        let a = store::application(&self.db, id).await?;
        application_view(a.ok_or_else(|| ServiceError::Internal("请战书未找到".into()))?)
    }

    pub async fn list_applications(
        &self,
        actor: &Actor,
        status: Option<&str>,
        page: Option<i64>,
    ) -> ServiceResult<Vec<ApplicationView>> {
        self.require(actor, Permission::ReadMobilisation, "请战书", "list")
            .await?;
        let page = page_of(page)?;
        let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(
                ApplicationStatus::parse(s)
                    .ok_or_else(|| ServiceError::invalid("status", format!("状态“{s}”无效")))?,
            ),
            None => None,
        };
        let rows = store::list_applications(
            &self.db,
            &actor.scope,
            status.map(|s| s.as_str()),
            PAGE_SIZE,
            crate::page_offset(page, PAGE_SIZE),
        )
        .await?;
        rows.into_iter().map(application_view).collect()
    }

    /// An in-service party member registers with their residential community.
    pub async fn register_in_community(
        &self,
        actor: &Actor,
        input: &RegistrationInput,
    ) -> ServiceResult<i64> {
        let person = self
            .person_to_manage(actor, "社区报到", input.person_id)
            .await?;
        let registered_on = parse_date("registered_on", &input.registered_on)?;
        let community = self
            .place_in_scope(actor, "community_code", &input.community_code)
            .await?;
        if community.level() != Level::Village {
            return Err(ServiceError::invalid(
                "community_code",
                "报到地点应为村（社区）",
            ));
        }
        let grid = match non_empty(&input.grid_code) {
            Some(g) => {
                let g = self.place_in_scope(actor, "grid_code", &g).await?;
                if g.parent().as_ref() != Some(&community) {
                    return Err(ServiceError::invalid("grid_code", "网格须属于报到的社区"));
                }
                Some(g)
            }
            None => None,
        };
        let mut tx = self.db.begin().await?;
        let id = store::insert_registration(
            &mut tx,
            input.person_id,
            community.as_str(),
            registered_on,
            grid.as_ref().map(|g| g.as_str()),
            self.clock.now(),
        )
        .await
        .map_err(|err| {
            ServiceError::taken(err, "community_code", || {
                format!("{}已在该社区报到", person.name)
            })
        })?;
        let row = actor.audit(
            Action::CommunityRegister,
            Outcome::Success,
            "社区报到",
            id.to_string(),
            Some(community.to_string()),
            person.name.clone(),
        );
        commit_audited(tx, &row).await?;
        Ok(id)
    }
}
