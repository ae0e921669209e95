//! Work groups stationed in enterprises (驻企工作组): stationing a group at enterprises, the
//! visits its cadres make (who went, which of the five checks were in place, what they
//! found), and the production problems raised, open until someone records how they were
//! solved. The report's figure — 34 work groups, 102 cadres in enterprises — is counted
//! from the stationings and the groups' members.
//!
//! Scope: a stationing, visit or problem belongs to the enterprise's place; a group to its
//! own. Outside the caller's subtree each answers "not found".
//!
//! Permissions: reading needs `ReadResumption`. Stationing a group and closing a problem
//! are decisions of the county (whoever may manage enterprises: `ManageEnterprises`);
//! recording a visit or raising a problem is the reporting of the front line (whoever may
//! file an enterprise's reports: `FileReports`, which includes the enterprise liaison).

use crate::actor::audit_in;
use crate::idempotency::{keep, Claim, Written};
use crate::input::{
    parse_date, parse_opt_date as opt_date, stored_code as code_of, text_of as text,
};
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::NaiveDate;
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::jurisdiction::Scope;
use dualtrack_domain::role::Permission;
use dualtrack_domain::workgroups::{Checks, PreventionCheck, ProblemCategory, ProblemStatus};
use dualtrack_store::mobilisation::{self as orgs, OrgRow};
use dualtrack_store::resumption::{self as enterprises, EnterpriseRow};
use dualtrack_store::workgroups::{
    self as store, AssignmentRow, NewAssignment, NewProblem, NewVisit, ProblemFilter, ProblemRow,
    VisitRow,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

const PAGE: i64 = 100;

// ---- views and inputs ----

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AssignmentInput {
    /// 企业编号
    pub enterprise_id: i64,
    /// 进驻日期，如 2020-02-10
    pub from_on: String,
    /// 撤离日期（可空：仍在驻）
    #[serde(default)]
    pub until_on: Option<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssignmentView {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub jurisdiction_code: String,
    pub from_on: NaiveDate,
    pub until_on: Option<NaiveDate>,
    pub note: String,
    pub assigned_by: String,
}

fn assignment_view(a: AssignmentRow) -> AssignmentView {
    AssignmentView {
        id: a.id,
        org_id: a.org_id,
        org_name: a.org_name,
        enterprise_id: a.enterprise_id,
        enterprise_name: a.enterprise_name,
        jurisdiction_code: a.jurisdiction_code,
        from_on: a.from_on,
        until_on: a.until_on,
        note: a.note,
        assigned_by: a.assigned_by,
    }
}

/// A problem noted on a visit, raised together with it.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct ProblemDraft {
    /// labour、materials、logistics、funds、orders、supplies、other（或中文名）
    pub category: String,
    pub description: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct VisitInput {
    /// 客户端生成的幂等键：重复提交时同一键只记一次（也可放在请求头 Idempotency-Key）
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// 走访的工作组（须当日驻该企业）
    pub org_id: i64,
    /// 走访日期
    pub visited_on: String,
    /// 走访的干部（工作组成员的人员编号），至少一人
    pub visitor_ids: Vec<i64>,
    /// 已到位的检查项：mechanism 防控机制、staff 员工排查、facilities 设施物资、
    /// management 内部管理、publicity 宣传教育（或中文名）；未列出的即未到位
    #[serde(default)]
    pub checks: Vec<String>,
    /// 发现的情况（没有问题可写“正常”）
    pub findings: String,
    /// 同时提出的生产难题
    #[serde(default)]
    pub problems: Vec<ProblemDraft>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonRef {
    pub person_id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VisitView {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub jurisdiction_code: String,
    pub visited_on: NaiveDate,
    pub visitors: Vec<PersonRef>,
    /// 已到位的检查项
    pub checks_passed: Vec<PreventionCheck>,
    /// 未到位的检查项（中文）
    pub checks_missing_names: Vec<String>,
    pub findings: String,
    pub recorded_by: String,
}

fn visit_view(v: VisitRow, people: &[(i64, i64, String)]) -> VisitView {
    let checks = Checks([
        v.check_mechanism,
        v.check_staff,
        v.check_facilities,
        v.check_management,
        v.check_publicity,
    ]);
    VisitView {
        visitors: people
            .iter()
            .filter(|(visit, _, _)| *visit == v.id)
            .map(|(_, person_id, name)| PersonRef {
                person_id: *person_id,
                name: name.clone(),
            })
            .collect(),
        id: v.id,
        org_id: v.org_id,
        org_name: v.org_name,
        enterprise_id: v.enterprise_id,
        enterprise_name: v.enterprise_name,
        jurisdiction_code: v.jurisdiction_code,
        visited_on: v.visited_on,
        checks_passed: checks.passed(),
        checks_missing_names: checks.missing().iter().map(|c| c.zh().into()).collect(),
        findings: v.findings,
        recorded_by: v.recorded_by,
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct ProblemInput {
    /// 客户端生成的幂等键：重复提交时同一键只记一次（也可放在请求头 Idempotency-Key）
    #[serde(default)]
    pub idempotency_key: Option<String>,
    pub enterprise_id: i64,
    /// labour、materials、logistics、funds、orders、supplies、other（或中文名）
    pub category: String,
    pub description: String,
    /// 提出日期
    pub raised_on: String,
    /// 提出的工作组（可空：企业或联络员自报）
    #[serde(default)]
    pub org_id: Option<i64>,
    /// 在哪次走访中发现（可空）
    #[serde(default)]
    pub visit_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemView {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub jurisdiction_code: String,
    pub org_id: Option<i64>,
    pub org_name: Option<String>,
    pub visit_id: Option<i64>,
    pub category: ProblemCategory,
    pub category_name: String,
    pub description: String,
    pub raised_on: NaiveDate,
    pub raised_by: String,
    pub status: ProblemStatus,
    pub status_name: String,
    pub resolution: Option<String>,
    pub resolved_on: Option<NaiveDate>,
    pub resolved_by: Option<String>,
    /// 吹哨报到工单（上线后由工单关联）
    pub ticket_id: Option<i64>,
}

fn problem_view(q: ProblemRow) -> ProblemView {
    let category = ProblemCategory::parse(&q.category).unwrap_or(ProblemCategory::Other);
    let status = ProblemStatus::parse(&q.status).unwrap_or(ProblemStatus::Open);
    ProblemView {
        id: q.id,
        enterprise_id: q.enterprise_id,
        enterprise_name: q.enterprise_name,
        jurisdiction_code: q.jurisdiction_code,
        org_id: q.org_id,
        org_name: q.org_name,
        visit_id: q.visit_id,
        category_name: category.zh().into(),
        category,
        description: q.description,
        raised_on: q.raised_on,
        raised_by: q.raised_by,
        status_name: status.zh().into(),
        status,
        resolution: q.resolution,
        resolved_on: q.resolved_on,
        resolved_by: q.resolved_by,
        ticket_id: q.ticket_id,
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ResolveInput {
    /// 如何解决的
    pub resolution: String,
    /// 解决日期
    pub resolved_on: String,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct ProblemsQuery {
    /// 类别：labour、materials、logistics、funds、orders、supplies、other
    pub category: Option<String>,
    /// 状态：open、resolved
    pub status: Option<String>,
    /// 县级（或更下级）区划代码
    pub county: Option<String>,
    pub enterprise_id: Option<i64>,
    /// 提出的工作组
    pub org_id: Option<i64>,
    pub page: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryCount {
    pub category: ProblemCategory,
    pub category_name: String,
    pub open: i64,
    pub resolved: i64,
    pub total: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemCounts {
    pub open: i64,
    pub resolved: i64,
    pub total: i64,
    /// 各类别（全部类别，数为 0 的也列出）
    pub by_category: Vec<CategoryCount>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct WorkGroupsQuery {
    /// 截至日期（含当日），默认今天
    pub as_of: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkGroupView {
    pub id: i64,
    pub name: String,
    pub jurisdiction_code: String,
    pub established_on: NaiveDate,
    pub leader_name: Option<String>,
    /// 干部人数（截至当日加入的成员）
    pub cadres: i64,
    /// 当日所驻企业数
    pub enterprises: i64,
    /// 截至当日走访次数
    pub visits: i64,
    /// 截至当日提出、尚未解决的生产难题
    pub open_problems: i64,
    /// 当日所驻企业
    pub stationed_at: Vec<EnterpriseRef>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EnterpriseRef {
    pub enterprise_id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkGroupsView {
    pub as_of: NaiveDate,
    /// 当日驻企的工作组数（由派驻记录算出）
    pub groups_stationed: i64,
    /// 这些工作组的干部人数（不重复计人）
    pub cadres_stationed: i64,
    /// 所驻企业数（不重复）
    pub enterprises_stationed: i64,
    pub groups: Vec<WorkGroupView>,
}

/// A group stationed at an enterprise with its members, for the visit form.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StationedGroup {
    pub org_id: i64,
    pub org_name: String,
    pub from_on: NaiveDate,
    pub until_on: Option<NaiveDate>,
    pub members: Vec<PersonRef>,
}

// ---- checks on input ----
fn category(field: &'static str, raw: &str) -> ServiceResult<ProblemCategory> {
    ProblemCategory::parse(raw).ok_or_else(|| {
        let names: Vec<&str> = ProblemCategory::ALL.iter().map(|c| c.zh()).collect();
        ServiceError::invalid(
            field,
            format!("难题类别“{}”无效，应为：{}", raw.trim(), names.join("、")),
        )
    })
}

impl App {
    async fn wg_enterprise(&self, actor: &Actor, id: i64) -> ServiceResult<EnterpriseRow> {
        let row = enterprises::enterprise(&self.db, id).await?;
        self.own(actor, "企业", id, row, |e| &e.jurisdiction_code)
            .await
    }

    async fn wg_group(&self, actor: &Actor, id: i64) -> ServiceResult<OrgRow> {
        let row = orgs::org(&self.db, id)
            .await?
            .filter(|o| o.kind == "work_group");
        self.own(actor, "工作组", id, row, |o| &o.jurisdiction_code)
            .await
    }

    async fn wg_visit(&self, actor: &Actor, id: i64) -> ServiceResult<VisitRow> {
        let row = store::visit(&self.db, id).await?;
        self.own(actor, "走访记录", id, row, |v| &v.jurisdiction_code)
            .await
    }

    async fn wg_problem(&self, actor: &Actor, id: i64) -> ServiceResult<ProblemRow> {
        let row = store::problem(&self.db, id).await?;
        self.own(actor, "生产难题", id, row, |q| &q.jurisdiction_code)
            .await
    }

    // ---- stationing ----

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
            return Err(ServiceError::Conflict {
                field: "from_on",
                message: format!("{}在这段时间已驻“{}”", group.name, e.name),
            });
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
        audit_in(
            &mut tx,
            &actor.audit(
                Action::WorkGroupAssign,
                Outcome::Success,
                "工作组",
                org_id.to_string(),
                Some(e.jurisdiction_code.clone()),
                detail,
            ),
        )
        .await?;
        tx.commit().await?;
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

    // ---- visits ----

    /// Records a group's visit to an enterprise, with any problems it raised; audited.
    pub async fn record_visit(
        &self,
        actor: &Actor,
        enterprise_id: i64,
        input: &VisitInput,
    ) -> ServiceResult<Written<VisitView>> {
        self.once(
            actor,
            "enterprise_visit",
            &input.idempotency_key,
            &(enterprise_id, input),
            |claim| self.write_record_visit(actor, enterprise_id, input, claim),
            |rid| self.get_visit(actor, rid),
        )
        .await
    }

    async fn write_record_visit(
        &self,
        actor: &Actor,
        enterprise_id: i64,
        input: &VisitInput,
        claim: Option<Claim>,
    ) -> ServiceResult<VisitView> {
        self.require(
            actor,
            Permission::FileReports,
            "走访记录",
            &enterprise_id.to_string(),
        )
        .await?;
        let e = self.wg_enterprise(actor, enterprise_id).await?;
        let group = self
            .wg_group(actor, input.org_id)
            .await
            .map_err(|e| e.referred_by("org_id"))?;
        let visited_on = parse_date("visited_on", &input.visited_on)?;
        if !store::stationed_on(&self.db, group.id, e.id, visited_on).await? {
            return Err(ServiceError::invalid(
                "org_id",
                format!("{}在 {visited_on} 未驻“{}”", group.name, e.name),
            ));
        }
        if input.visitor_ids.is_empty() {
            return Err(ServiceError::invalid(
                "visitor_ids",
                "请选择走访的干部（至少一人）",
            ));
        }
        let members = store::group_members(&self.db, group.id).await?;
        let mut visitors = Vec::new();
        for id in &input.visitor_ids {
            if !members.iter().any(|(m, _)| m == id) {
                return Err(ServiceError::invalid(
                    "visitor_ids",
                    format!("人员 {id} 不是{}的成员", group.name),
                ));
            }
            if !visitors.contains(id) {
                visitors.push(*id);
            }
        }
        let checks = Checks::from_names(&input.checks).map_err(|bad| {
            let names: Vec<&str> = PreventionCheck::ALL.iter().map(|c| c.zh()).collect();
            ServiceError::invalid(
                "checks",
                format!("检查项“{bad}”无效，应为：{}", names.join("、")),
            )
        })?;
        let findings = text(
            "findings",
            "发现的情况（没有问题可写“正常”）",
            &input.findings,
            2000,
            true,
        )?;
        let mut drafts = Vec::new();
        for d in &input.problems {
            let c = category("problems", &d.category)?;
            let description = text("problems", "难题描述", &d.description, 1000, true)?;
            drafts.push((c, description));
        }
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let id = store::insert_visit(
            &mut tx,
            &NewVisit {
                org_id: group.id,
                enterprise_id: e.id,
                jurisdiction_code: e.jurisdiction_code.clone(),
                visited_on,
                checks: checks.0,
                findings,
                recorded_by: actor.username.clone(),
                visitors,
            },
            now,
        )
        .await?;
        keep(&mut tx, claim.as_ref(), id).await?;
        let detail = format!(
            "{} 走访 {}（{visited_on}），五个到位 {}/5",
            group.name,
            e.name,
            checks.passed().len()
        );
        audit_in(
            &mut tx,
            &actor.audit(
                Action::VisitRecord,
                Outcome::Success,
                "走访记录",
                id.to_string(),
                Some(e.jurisdiction_code.clone()),
                detail,
            ),
        )
        .await?;
        for (c, description) in drafts {
            let pid = store::insert_problem(
                &mut tx,
                &NewProblem {
                    enterprise_id: e.id,
                    jurisdiction_code: e.jurisdiction_code.clone(),
                    org_id: Some(group.id),
                    visit_id: Some(id),
                    category: c.as_str().into(),
                    description,
                    raised_on: visited_on,
                    raised_by: actor.username.clone(),
                },
                now,
            )
            .await?;
            audit_in(
                &mut tx,
                &actor.audit(
                    Action::ProblemRaise,
                    Outcome::Success,
                    "生产难题",
                    pid.to_string(),
                    Some(e.jurisdiction_code.clone()),
                    format!("{}：{}（走访 {id}）", e.name, c.zh()),
                ),
            )
            .await?;
        }
        tx.commit().await?;
        self.get_visit(actor, id).await
    }

    pub async fn get_visit(&self, actor: &Actor, id: i64) -> ServiceResult<VisitView> {
        self.require(
            actor,
            Permission::ReadResumption,
            "走访记录",
            &id.to_string(),
        )
        .await?;
        let v = self.wg_visit(actor, id).await?;
        let people = store::visitors(&self.db, &[id]).await?;
        Ok(visit_view(v, &people))
    }

    /// An enterprise's visits, the latest first.
    pub async fn enterprise_visits(
        &self,
        actor: &Actor,
        enterprise_id: i64,
    ) -> ServiceResult<Vec<VisitView>> {
        self.require(
            actor,
            Permission::ReadResumption,
            "走访记录",
            &enterprise_id.to_string(),
        )
        .await?;
        self.wg_enterprise(actor, enterprise_id).await?;
        let rows = store::visits_of_enterprise(&self.db, enterprise_id, 200).await?;
        let ids: Vec<i64> = rows.iter().map(|v| v.id).collect();
        let people = store::visitors(&self.db, &ids).await?;
        Ok(rows.into_iter().map(|v| visit_view(v, &people)).collect())
    }

    // ---- production problems ----

    /// Raises a production problem of an enterprise (from a group, a visit, or the
    /// enterprise itself); audited.
    pub async fn raise_problem(
        &self,
        actor: &Actor,
        input: &ProblemInput,
    ) -> ServiceResult<Written<ProblemView>> {
        self.once(
            actor,
            "production_problem",
            &input.idempotency_key,
            &input,
            |claim| self.write_raise_problem(actor, input, claim),
            |rid| self.get_problem(actor, rid),
        )
        .await
    }

    async fn write_raise_problem(
        &self,
        actor: &Actor,
        input: &ProblemInput,
        claim: Option<Claim>,
    ) -> ServiceResult<ProblemView> {
        self.require(
            actor,
            Permission::FileReports,
            "生产难题",
            &input.enterprise_id.to_string(),
        )
        .await?;
        let e = self
            .wg_enterprise(actor, input.enterprise_id)
            .await
            .map_err(|e| e.referred_by("enterprise_id"))?;
        let c = category("category", &input.category)?;
        let description = text("description", "难题描述", &input.description, 1000, true)?;
        let raised_on = parse_date("raised_on", &input.raised_on)?;
        let mut org_id = match input.org_id {
            Some(g) => Some(
                self.wg_group(actor, g)
                    .await
                    .map_err(|e| e.referred_by("org_id"))?
                    .id,
            ),
            None => None,
        };
        let visit_id = match input.visit_id {
            Some(v) => {
                let visit = self
                    .wg_visit(actor, v)
                    .await
                    .map_err(|e| e.referred_by("visit_id"))?;
                if visit.enterprise_id != e.id {
                    return Err(ServiceError::invalid(
                        "visit_id",
                        format!("走访记录 {v} 不是对“{}”的走访", e.name),
                    ));
                }
                if matches!(org_id, Some(g) if g != visit.org_id) {
                    return Err(ServiceError::invalid(
                        "org_id",
                        format!("走访记录 {v} 是{}的走访", visit.org_name),
                    ));
                }
                org_id = Some(visit.org_id);
                Some(visit.id)
            }
            None => None,
        };
        let mut tx = self.db.begin().await?;
        let id = store::insert_problem(
            &mut tx,
            &NewProblem {
                enterprise_id: e.id,
                jurisdiction_code: e.jurisdiction_code.clone(),
                org_id,
                visit_id,
                category: c.as_str().into(),
                description,
                raised_on,
                raised_by: actor.username.clone(),
            },
            self.clock.now(),
        )
        .await?;
        keep(&mut tx, claim.as_ref(), id).await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::ProblemRaise,
                Outcome::Success,
                "生产难题",
                id.to_string(),
                Some(e.jurisdiction_code.clone()),
                format!("{}：{}（{raised_on}）", e.name, c.zh()),
            ),
        )
        .await?;
        tx.commit().await?;
        self.get_problem(actor, id).await
    }

    pub async fn get_problem(&self, actor: &Actor, id: i64) -> ServiceResult<ProblemView> {
        self.require(
            actor,
            Permission::ReadResumption,
            "生产难题",
            &id.to_string(),
        )
        .await?;
        Ok(problem_view(self.wg_problem(actor, id).await?))
    }

    /// Records how an open problem was solved; audited. A problem is resolved once.
    pub async fn resolve_problem(
        &self,
        actor: &Actor,
        id: i64,
        input: &ResolveInput,
    ) -> ServiceResult<ProblemView> {
        self.require(
            actor,
            Permission::ManageEnterprises,
            "生产难题",
            &id.to_string(),
        )
        .await?;
        let q = self.wg_problem(actor, id).await?;
        let resolution = text("resolution", "解决情况", &input.resolution, 1000, true)?;
        let resolved_on = parse_date("resolved_on", &input.resolved_on)?;
        if resolved_on < q.raised_on {
            return Err(ServiceError::invalid(
                "resolved_on",
                format!("解决日期不能早于提出日期 {}", q.raised_on),
            ));
        }
        if q.status != ProblemStatus::Open.as_str() {
            return Err(ServiceError::Conflict {
                field: "status",
                message: format!(
                    "该难题已于 {} 解决",
                    q.resolved_on.map(|d| d.to_string()).unwrap_or_default()
                ),
            });
        }
        let mut tx = self.db.begin().await?;
        if !store::resolve_problem(
            &mut tx,
            id,
            &resolution,
            resolved_on,
            &actor.username,
            self.clock.now(),
        )
        .await?
        {
            return Err(ServiceError::Conflict {
                field: "status",
                message: "该难题已解决".into(),
            });
        }
        let category = ProblemCategory::parse(&q.category).unwrap_or(ProblemCategory::Other);
        audit_in(
            &mut tx,
            &actor.audit(
                Action::ProblemResolve,
                Outcome::Success,
                "生产难题",
                id.to_string(),
                Some(q.jurisdiction_code.clone()),
                format!(
                    "{}：{}，{resolved_on} 解决",
                    q.enterprise_name,
                    category.zh()
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        self.get_problem(actor, id).await
    }

    /// The scope and filter a problems query asks for, checked.
    async fn problem_filter(
        &self,
        actor: &Actor,
        q: &ProblemsQuery,
    ) -> ServiceResult<(Scope, ProblemFilter)> {
        let category = match q
            .category
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(c) => Some(category("category", c)?.as_str().to_string()),
            None => None,
        };
        let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(
                ProblemStatus::parse(s)
                    .ok_or_else(|| {
                        ServiceError::invalid(
                            "status",
                            format!("状态“{s}”无效，应为 open（待解决）或 resolved（已解决）"),
                        )
                    })?
                    .as_str()
                    .to_string(),
            ),
            None => None,
        };
        let scope = match q.county.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(c) => Scope::Under(self.place_in_scope(actor, "county", c).await?),
            None => actor.scope.clone(),
        };
        if let Some(e) = q.enterprise_id {
            self.wg_enterprise(actor, e).await?;
        }
        if let Some(g) = q.org_id {
            self.wg_group(actor, g).await?;
        }
        Ok((
            scope,
            ProblemFilter {
                category,
                status,
                enterprise_id: q.enterprise_id,
                org_id: q.org_id,
                visit_id: None,
            },
        ))
    }

    /// Problems of the scope, filtered; 100 a page, the latest raised first.
    pub async fn list_problems(
        &self,
        actor: &Actor,
        q: &ProblemsQuery,
    ) -> ServiceResult<Vec<ProblemView>> {
        self.require(actor, Permission::ReadResumption, "生产难题", "list")
            .await?;
        let page = q.page.unwrap_or(1);
        if page < 1 {
            return Err(ServiceError::invalid("page", "页码从 1 开始"));
        }
        let (scope, f) = self.problem_filter(actor, q).await?;
        Ok(
            store::list_problems(&self.db, &scope, &f, PAGE, crate::page_offset(page, PAGE))
                .await?
                .into_iter()
                .map(problem_view)
                .collect(),
        )
    }

    /// Problems of the scope counted by category, open and resolved (same filters as the
    /// list; every category shown).
    pub async fn problem_counts(
        &self,
        actor: &Actor,
        q: &ProblemsQuery,
    ) -> ServiceResult<ProblemCounts> {
        self.require(actor, Permission::ReadResumption, "生产难题", "counts")
            .await?;
        let (scope, f) = self.problem_filter(actor, q).await?;
        let rows = store::count_problems(&self.db, &scope, &f).await?;
        let mut by: BTreeMap<usize, (i64, i64)> = BTreeMap::new();
        for (c, s, n) in rows {
            let Some(i) = ProblemCategory::parse(&c)
                .and_then(|c| ProblemCategory::ALL.iter().position(|x| *x == c))
            else {
                continue;
            };
            let e = by.entry(i).or_default();
            if s == ProblemStatus::Resolved.as_str() {
                e.1 += n;
            } else {
                e.0 += n;
            }
        }
        let by_category: Vec<CategoryCount> = ProblemCategory::ALL
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let (open, resolved) = by.get(&i).copied().unwrap_or_default();
                CategoryCount {
                    category: *c,
                    category_name: c.zh().into(),
                    open,
                    resolved,
                    total: open + resolved,
                }
            })
            .collect();
        let open = by_category.iter().map(|c| c.open).sum();
        let resolved = by_category.iter().map(|c| c.resolved).sum();
        Ok(ProblemCounts {
            open,
            resolved,
            total: open + resolved,
            by_category,
        })
    }
}
