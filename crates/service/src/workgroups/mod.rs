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
use crate::actor::commit_audited;
use crate::idempotency::commit_created;
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
use dualtrack_store::decode;
use dualtrack_store::mobilisation::{self as orgs, OrgRow};
use dualtrack_store::resumption::{self as enterprises, EnterpriseRow};
use dualtrack_store::workgroups::{
    self as store, AssignmentRow, NewAssignment, NewProblem, NewVisit, ProblemFilter, ProblemRow,
    VisitRow,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

mod problems;
mod stationing;
mod visits;

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

/// The category of a stored problem.
fn problem_category(q: &ProblemRow) -> ServiceResult<ProblemCategory> {
    Ok(decode(
        "production_problems",
        "category",
        &q.category,
        ProblemCategory::parse,
    )?)
}

fn problem_view(q: ProblemRow) -> ServiceResult<ProblemView> {
    let category = problem_category(&q)?;
    let status = decode(
        "production_problems",
        "status",
        &q.status,
        ProblemStatus::parse,
    )?;
    Ok(ProblemView {
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
    })
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
        ServiceError::invalid(
            field,
            format!(
                "难题类别“{}”无效，应为：{}",
                raw.trim(),
                crate::import::choices(ProblemCategory::ALL, ProblemCategory::zh)
            ),
        )
    })
}
