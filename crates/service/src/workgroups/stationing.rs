//! Work groups stationed at enterprises: assignments, their lists and figures.

use super::*;

impl App {
    pub(super) async fn wg_enterprise(
        &self,
        actor: &Actor,
        id: i64,
    ) -> ServiceResult<EnterpriseRow> {
        let row = enterprises::enterprise(&self.db, id).await?;
        self.own(actor, "企业", id, row, |e| &e.jurisdiction_code)
            .await
    }

    pub(super) async fn wg_group(&self, actor: &Actor, id: i64) -> ServiceResult<OrgRow> {
        let row = orgs::org(&self.db, id)
            .await?
            .filter(|o| o.kind == "work_group");
        self.own(actor, "工作组", id, row, |o| &o.jurisdiction_code)
            .await
    }

    pub(super) async fn wg_visit(&self, actor: &Actor, id: i64) -> ServiceResult<VisitRow> {
        let row = store::visit(&self.db, id).await?;
        self.own(actor, "走访记录", id, row, |v| &v.jurisdiction_code)
            .await
    }

    pub(super) async fn wg_problem(&self, actor: &Actor, id: i64) -> ServiceResult<ProblemRow> {
        let row = store::problem(&self.db, id).await?;
        self.own(actor, "生产难题", id, row, |q| &q.jurisdiction_code)
            .await
    }

    /// Stations a work group at an enterprise of its own place for a period; audited.
    pub async fn assign_work_group(
        &self,
        actor: &Actor,
        org_id: i64,
        input: &AssignmentInput,
    ) -> ServiceResult<AssignmentView> {
        self.require(
            actor,
            Permission::ManageEnterprises,
            "工作组",
            &org_id.to_string(),
        )
        .await?;
        let group = self.wg_group(actor, org_id).await?;
        let e = self
            .wg_enterprise(actor, input.enterprise_id)
            .await
            .map_err(|e| e.referred_by("enterprise_id"))?;
        if !code_of(&e.jurisdiction_code)?.is_within(&code_of(&group.jurisdiction_code)?) {
            return Err(ServiceError::invalid(
                "enterprise_id",
                format!(
                    "企业“{}”不在{}所属辖区（{}）内，不能派驻",
                    e.name, group.name, group.jurisdiction_code
                ),
            ));
        }
        let from_on = parse_date("from_on", &input.from_on)?;
        let until_on = opt_date("until_on", &input.until_on)?;
        if matches!(until_on, Some(u) if u < from_on) {
            return Err(ServiceError::invalid(
                "until_on",
                "撤离日期不能早于进驻日期",
            ));
        }
        if from_on < group.established_on {
            return Err(ServiceError::invalid(
                "from_on",
                format!("进驻日期不能早于工作组成立日期 {}", group.established_on),
            ));
        }
        let note = text("note", "备注", &input.note, 500, false)?;
        if store::overlaps(&self.db, org_id, e.id, from_on, until_on).await? {
            return Err(ServiceError::conflict(
                "from_on",
                format!("{}在这段时间已驻“{}”", group.name, e.name),
            ));
        }
        let mut tx = self.db.begin().await?;
        let id = store::insert_assignment(
            &mut tx,
            &NewAssignment {
                org_id,
                enterprise_id: e.id,
                jurisdiction_code: e.jurisdiction_code.clone(),
                from_on,
                until_on,
                note,
                assigned_by: actor.username.clone(),
            },
            self.clock.now(),
        )
        .await?;
        let detail = format!("{} 驻 {}，自 {from_on}", group.name, e.name);
        let audit = actor.audit(
            Action::WorkGroupAssign,
            Outcome::Success,
            "工作组",
            org_id.to_string(),
            Some(e.jurisdiction_code.clone()),
            detail,
        );
        commit_audited(tx, &audit).await?;
        let all = store::assignments_of_group(&self.db, org_id, &actor.scope).await?;
        all.into_iter()
            .find(|a| a.id == id)
            .map(assignment_view)
            .ok_or_else(|| ServiceError::Internal("派驻记录未找到".into()))
    }

    /// A group's stationings within the caller's scope.
    pub async fn work_group_assignments(
        &self,
        actor: &Actor,
        org_id: i64,
    ) -> ServiceResult<Vec<AssignmentView>> {
        self.require(
            actor,
            Permission::ReadResumption,
            "工作组",
            &org_id.to_string(),
        )
        .await?;
        self.wg_group(actor, org_id).await?;
        Ok(store::assignments_of_group(&self.db, org_id, &actor.scope)
            .await?
            .into_iter()
            .map(assignment_view)
            .collect())
    }

    /// The work groups of the scope as of a day, with the report's figure counted from the
    /// stationings.
    pub async fn work_groups(
        &self,
        actor: &Actor,
        q: &WorkGroupsQuery,
    ) -> ServiceResult<WorkGroupsView> {
        self.require(actor, Permission::ReadResumption, "工作组", "list")
            .await?;
        let as_of = opt_date("as_of", &q.as_of)?.unwrap_or_else(|| self.today());
        let (groups_stationed, cadres_stationed, enterprises_stationed) =
            store::stationed_figure(&self.db, &actor.scope, as_of).await?;
        let mut running: BTreeMap<i64, Vec<EnterpriseRef>> = BTreeMap::new();
        for (org, enterprise_id, name) in store::running(&self.db, &actor.scope, as_of).await? {
            running.entry(org).or_default().push(EnterpriseRef {
                enterprise_id,
                name,
            });
        }
        let groups = store::groups(&self.db, &actor.scope, as_of)
            .await?
            .into_iter()
            .map(|g| WorkGroupView {
                stationed_at: running.remove(&g.id).unwrap_or_default(),
                id: g.id,
                name: g.name,
                jurisdiction_code: g.jurisdiction_code,
                established_on: g.established_on,
                leader_name: g.leader_name,
                cadres: g.members,
                enterprises: g.enterprises,
                visits: g.visits,
                open_problems: g.open_problems,
            })
            .collect();
        Ok(WorkGroupsView {
            as_of,
            groups_stationed,
            cadres_stationed,
            enterprises_stationed,
            groups,
        })
    }

    /// The groups stationed at an enterprise, with their members (for the visit form).
    pub async fn stationed_groups(
        &self,
        actor: &Actor,
        enterprise_id: i64,
    ) -> ServiceResult<Vec<StationedGroup>> {
        self.require(
            actor,
            Permission::ReadResumption,
            "企业",
            &enterprise_id.to_string(),
        )
        .await?;
        self.wg_enterprise(actor, enterprise_id).await?;
        let mut out = Vec::new();
        for a in store::assignments_of_enterprise(&self.db, enterprise_id).await? {
            let members = store::group_members(&self.db, a.org_id)
                .await?
                .into_iter()
                .map(|(person_id, name)| PersonRef { person_id, name })
                .collect();
            out.push(StationedGroup {
                org_id: a.org_id,
                org_name: a.org_name,
                from_on: a.from_on,
                until_on: a.until_on,
                members,
            });
        }
        Ok(out)
    }
}
