//! Mobilisation: people, organisations, deployments, returns to post, applications to serve
//! at the front, community registrations — and the figures they add up to.

use crate::actor::commit_audited;
use crate::idempotency::commit_created;
use crate::idempotency::{Claim, Written};
use crate::input::{non_empty, parse_code, parse_date, parse_opt_date, required};
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::NaiveDate;
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::jurisdiction::{Code, Level};
use dualtrack_domain::mobilisation::{
    ApplicationStatus, CadreRecordKind, Category, OrgKind, PoliticalStatus, SiteKind,
};
use dualtrack_domain::resident_id::{mask_id, mask_phone, validate_phone, ResidentId, Sex};
use dualtrack_domain::role::Permission;
use dualtrack_store::decode;
use dualtrack_store::mobilisation::{
    self as store, NewDeployment, NewOrg, NewPerson, PeopleFilter, PersonRow,
};
use dualtrack_store::Tx;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

mod applications;
mod cadres;
mod deployments;
mod export;
mod figures;
pub mod import;
mod orgs;
mod people;
mod service_log;

/// A page of a list, with the total that matches.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
}

/// Said when a person cannot be registered because the ID number is held outside the
/// caller's jurisdiction: what to do, without telling another county that the person is
/// registered there.
pub const PERSON_ELSEWHERE: &str =
    "此身份证号不能在本辖区登记：请核对号码；如确属本辖区人员，请联系上级组织部门办理";

pub const PAGE_SIZE: i64 = 50;

/// A person as lists show them: ID number and phone masked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonView {
    pub id: i64,
    pub name: String,
    /// 身份证号（脱敏）
    pub id_number: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    /// 电话（脱敏）
    pub phone: Option<String>,
    pub political_status: PoliticalStatus,
    pub categories: Vec<Category>,
    pub jurisdiction_code: String,
    pub employer: Option<String>,
}

/// The personal data behind the masks; every reading is audited.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Unmasked {
    pub id: i64,
    pub id_number: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PersonInput {
    pub name: String,
    /// 18 位居民身份证号
    pub id_number: String,
    #[serde(default)]
    pub phone: Option<String>,
    /// party_member、probationary、league、other_party、masses
    pub political_status: String,
    /// cadre、first_secretary、work_team、medical、in_service_member……
    #[serde(default)]
    pub categories: Vec<String>,
    /// 所属区划代码
    pub jurisdiction_code: String,
    #[serde(default)]
    pub employer: Option<String>,
}

/// The outcome of registering a person: the person, and whether they were new.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Registered {
    pub person: PersonView,
    /// false：该身份证号已登记，返回已有人员，未重复建档
    pub created: bool,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct PeopleQuery {
    /// 姓名中的字
    pub name: Option<String>,
    pub category: Option<String>,
    pub political_status: Option<String>,
    /// 只看该区划及其下级
    pub jurisdiction: Option<String>,
    pub page: Option<i64>,
}

fn person_view(p: PersonRow, mut categories: Vec<Category>) -> PersonView {
    // In the catalogue's order.
    categories.sort_by_key(|c| Category::ALL.iter().position(|x| x == c));
    PersonView {
        id: p.id,
        name: p.name,
        id_number: mask_id(&p.id_number),
        sex: if p.sex == "male" {
            Sex::Male
        } else {
            Sex::Female
        },
        birth_date: p.birth_date,
        phone: p.phone.as_deref().map(mask_phone),
        political_status: PoliticalStatus::parse(&p.political_status)
            .unwrap_or(PoliticalStatus::Masses),
        categories,
        jurisdiction_code: p.jurisdiction_code,
        employer: p.employer,
    }
}

/// An organisation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrgView {
    pub id: i64,
    pub kind: OrgKind,
    pub kind_name: String,
    pub name: String,
    pub jurisdiction_code: String,
    pub site_kind: Option<SiteKind>,
    pub site_name: Option<String>,
    pub established_on: NaiveDate,
    pub dissolved_on: Option<NaiveDate>,
    pub leader_id: Option<i64>,
    pub member_count: i64,
}

fn org_view(o: store::OrgRow) -> ServiceResult<OrgView> {
    let kind = decode("organisations", "kind", &o.kind, OrgKind::parse)?;
    Ok(OrgView {
        id: o.id,
        kind,
        kind_name: kind.zh().into(),
        name: o.name,
        jurisdiction_code: o.jurisdiction_code,
        site_kind: o.site_kind.as_deref().and_then(SiteKind::parse),
        site_name: o.site_name,
        established_on: o.established_on,
        dissolved_on: o.dissolved_on,
        leader_id: o.leader_id,
        member_count: o.member_count,
    })
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct OrgInput {
    /// temp_branch、commando、volunteer、work_group……
    pub kind: String,
    pub name: String,
    pub jurisdiction_code: String,
    /// checkpoint、hospital、enterprise、grid、community、other
    #[serde(default)]
    pub site_kind: Option<String>,
    #[serde(default)]
    pub site_name: Option<String>,
    /// 成立日期
    pub established_on: String,
    #[serde(default)]
    pub dissolved_on: Option<String>,
    #[serde(default)]
    pub leader_id: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct MemberInput {
    pub person_id: i64,
    /// 如 队长、队员、书记
    pub role: String,
    pub joined_on: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberView {
    pub person_id: i64,
    pub name: String,
    pub role: String,
    pub joined_on: NaiveDate,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrgDetail {
    pub org: OrgView,
    pub members: Vec<MemberView>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct OrgQuery {
    pub kind: Option<String>,
    /// 只列该日仍存续的组织，如 2020-02-28
    pub as_of: Option<String>,
    pub page: Option<i64>,
}

/// Organisations standing on a date, by kind and county.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrgCount {
    pub kind: OrgKind,
    pub kind_name: String,
    /// 县级区划代码
    pub county_code: String,
    pub count: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DeploymentInput {
    pub person_id: i64,
    /// 服务地点的区划或网格代码
    pub jurisdiction_code: String,
    #[serde(default)]
    pub org_id: Option<i64>,
    #[serde(default)]
    pub site_kind: Option<String>,
    #[serde(default)]
    pub site_name: Option<String>,
    /// 如 卡口值守、网格员、驻企指导员
    pub role: String,
    pub start_on: String,
    #[serde(default)]
    pub end_on: Option<String>,
}

/// The end of a deployment: its last day on duty (a rotation, a recall, the work done).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DeploymentEndInput {
    /// 最后在岗日期，如 2020-03-10（不早于开始日期）
    pub end_on: String,
    /// 原因，如 轮换、任务完成、因病撤回
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeploymentView {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub jurisdiction_code: String,
    pub org_id: Option<i64>,
    pub org_name: Option<String>,
    pub site_kind: Option<SiteKind>,
    pub site_name: Option<String>,
    pub role: String,
    pub start_on: NaiveDate,
    pub end_on: Option<NaiveDate>,
}

fn deployment_view(d: store::DeploymentRow) -> DeploymentView {
    DeploymentView {
        id: d.id,
        person_id: d.person_id,
        person_name: d.person_name,
        jurisdiction_code: d.jurisdiction_code,
        org_id: d.org_id,
        org_name: d.org_name,
        site_kind: d.site_kind.as_deref().and_then(SiteKind::parse),
        site_name: d.site_name,
        role: d.role,
        start_on: d.start_on,
        end_on: d.end_on,
    }
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct DeploymentQuery {
    pub person_id: Option<i64>,
    /// 当日在岗，如 2020-02-28
    pub on_day: Option<String>,
    pub page: Option<i64>,
}

/// A deployment checked and ready to write.
struct PreparedDeployment {
    person_id: i64,
    code: Code,
    org_id: Option<i64>,
    site_kind: Option<SiteKind>,
    site_name: Option<String>,
    role: String,
    start_on: NaiveDate,
    end_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ReturnInput {
    pub person_id: i64,
    pub jurisdiction_code: String,
    /// 岗位，如 第一书记、驻村工作队
    pub post: String,
    pub returned_on: String,
    /// 规定返岗日期：早于此日返岗计为提前返岗
    pub expected_on: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ApplicationInput {
    pub person_id: i64,
    pub jurisdiction_code: String,
    pub submitted_on: String,
    /// 请战内容
    pub wish: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DecisionInput {
    pub approve: bool,
    pub decided_on: String,
    /// 批准时的派驻：服务地点、岗位、开始日期
    #[serde(default)]
    pub deployment: Option<DeploymentInput>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplicationView {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub jurisdiction_code: String,
    pub submitted_on: NaiveDate,
    pub wish: String,
    pub status: ApplicationStatus,
    pub status_name: String,
    pub decided_on: Option<NaiveDate>,
    pub deployment_id: Option<i64>,
}

fn application_view(a: store::ApplicationRow) -> ServiceResult<ApplicationView> {
    let status = decode(
        "applications",
        "status",
        &a.status,
        ApplicationStatus::parse,
    )?;
    Ok(ApplicationView {
        id: a.id,
        person_id: a.person_id,
        person_name: a.person_name,
        jurisdiction_code: a.jurisdiction_code,
        submitted_on: a.submitted_on,
        wish: a.wish,
        status,
        status_name: status.zh().into(),
        decided_on: a.decided_on,
        deployment_id: a.deployment_id,
    })
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RegistrationInput {
    pub person_id: i64,
    /// 居住地社区（村）代码
    pub community_code: String,
    pub registered_on: String,
    /// 分配的网格代码
    #[serde(default)]
    pub grid_code: Option<String>,
}

/// The headline figures of mobilisation as of a date, within the caller's scope.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MobilisationFigures {
    pub as_of: NaiveDate,
    /// 各类组织（当日存续）
    pub organisations: Vec<OrgCount>,
    /// 当日在岗人数
    pub on_duty: i64,
    /// 已返岗人数
    pub returned: i64,
    /// 提前返岗人数
    pub returned_early: i64,
    /// 请战书：已提交（含各状态）
    pub applications: i64,
    pub applications_approved: i64,
    /// 在职党员到社区报到
    pub registrations: i64,
}

fn page_of(p: Option<i64>) -> ServiceResult<i64> {
    let p = p.unwrap_or(1);
    if p < 1 {
        return Err(ServiceError::invalid("page", "页码从 1 开始"));
    }
    Ok(p)
}

/// A front-line record on a cadre.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CadreRecordView {
    pub id: i64,
    pub kind: CadreRecordKind,
    pub kind_name: String,
    pub recorded_on: NaiveDate,
    pub content: String,
    pub recorded_by: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CadreRecordInput {
    /// observation、commendation、assessment
    pub kind: String,
    pub recorded_on: String,
    pub content: String,
}

/// A cadre's page: who they are, where they served, what was recorded of them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CadreFile {
    pub person: PersonView,
    pub deployments: Vec<DeploymentView>,
    pub records: Vec<CadreRecordView>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct ServiceLogInput {
    /// 客户端生成的幂等键：重复提交时同一键只记一次（也可放在请求头 Idempotency-Key）
    #[serde(default)]
    pub idempotency_key: Option<String>,
    pub served_on: String,
    /// 服务时长（小时，1–24）
    pub hours: i64,
    /// 服务内容，如 协助卡口测温、入户排查
    pub description: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServiceLogView {
    pub id: i64,
    pub served_on: NaiveDate,
    pub hours: i64,
    pub description: String,
}

/// A registration and the service logged under it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServiceRecord {
    pub registration_id: i64,
    pub person_id: i64,
    pub community_code: String,
    pub grid_code: Option<String>,
    /// 累计服务时长（小时）
    pub total_hours: i64,
    pub logs: Vec<ServiceLogView>,
}
