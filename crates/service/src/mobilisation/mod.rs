//! Mobilisation: people, organisations, deployments, returns to post, applications to serve
//! at the front, community registrations — and the figures they add up to.

use crate::actor::audit_in;
use crate::idempotency::{keep, Claim, Written};
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
use dualtrack_store::mobilisation::{
    self as store, NewDeployment, NewOrg, NewPerson, PeopleFilter, PersonRow,
};
use dualtrack_store::Tx;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

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

fn org_view(o: store::OrgRow) -> OrgView {
    let kind = OrgKind::parse(&o.kind).unwrap_or(OrgKind::WorkGroup);
    OrgView {
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
    }
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

fn application_view(a: store::ApplicationRow) -> ApplicationView {
    let status = ApplicationStatus::parse(&a.status).unwrap_or(ApplicationStatus::Submitted);
    ApplicationView {
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
    }
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

impl App {
    async fn person_in_scope(&self, actor: &Actor, id: i64) -> ServiceResult<PersonRow> {
        let row = store::person(&self.db, id).await?;
        self.own(actor, "人员", id, row, |p| &p.jurisdiction_code)
            .await
    }

    async fn categories(&self, ids: &[i64]) -> ServiceResult<Vec<(i64, Category)>> {
        Ok(store::categories_of(&self.db, ids)
            .await?
            .into_iter()
            .filter_map(|(id, c)| Category::parse(&c).map(|c| (id, c)))
            .collect())
    }

    /// Registers a person; a known ID number finds the person instead of duplicating them.
    pub async fn register_person(
        &self,
        actor: &Actor,
        input: &PersonInput,
    ) -> ServiceResult<Registered> {
        self.require(actor, Permission::ManageMobilisation, "人员", &input.name)
            .await?;
        let name = required("name", "姓名", &input.name, 30)?;
        let id = ResidentId::parse(&input.id_number, self.today())
            .map_err(|e| ServiceError::invalid("id_number", e.to_string()))?;
        let phone = non_empty(&input.phone)
            .map(|p| validate_phone(&p))
            .transpose()
            .map_err(|m| ServiceError::invalid("phone", m))?;
        let status = PoliticalStatus::parse(&input.political_status).ok_or_else(|| {
            ServiceError::invalid(
                "political_status",
                format!("政治面貌“{}”无效", input.political_status),
            )
        })?;
        let mut categories = Vec::new();
        for c in &input.categories {
            let cat = Category::parse(c)
                .ok_or_else(|| ServiceError::invalid("categories", format!("人员类别“{c}”无效")))?;
            if !categories.contains(&cat) {
                categories.push(cat);
            }
        }
        let employer = non_empty(&input.employer);
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        let mut tx = self.db.begin().await?;
        let names: Vec<&str> = categories.iter().map(|c| c.as_str()).collect();
        let (person_id, created) = match store::person_by_id_number(&mut tx, id.as_str()).await? {
            Some(existing) => {
                let home = Code::parse(&existing.jurisdiction_code)
                    .map_err(|e| ServiceError::Internal(e.to_string()))?;
                if !actor.scope.contains(&home) {
                    return Err(ServiceError::Conflict {
                        field: "id_number",
                        message: PERSON_ELSEWHERE.into(),
                    });
                }
                store::add_categories(&mut tx, existing.id, &names).await?;
                (existing.id, false)
            }
            None => {
                let sex = match id.sex() {
                    Sex::Male => "male",
                    Sex::Female => "female",
                };
                let pid = store::insert_person(
                    &mut tx,
                    &NewPerson {
                        name: &name,
                        id_number: id.as_str(),
                        sex,
                        birth_date: id.birth_date(),
                        phone: phone.as_deref(),
                        political_status: status.as_str(),
                        jurisdiction_code: code.as_str(),
                        employer: employer.as_deref(),
                        at: self.clock.now(),
                    },
                )
                .await?;
                store::add_categories(&mut tx, pid, &names).await?;
                (pid, true)
            }
        };
        let detail = if created {
            format!("登记 {name}（{}）", id.masked())
        } else {
            format!("已登记，补充类别：{}", names.join("、"))
        };
        let row = actor.audit(
            Action::PersonRegister,
            Outcome::Success,
            "人员",
            person_id.to_string(),
            Some(code.to_string()),
            detail,
        );
        audit_in(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(Registered {
            person: self.get_person(actor, person_id).await?,
            created,
        })
    }

    pub async fn get_person(&self, actor: &Actor, id: i64) -> ServiceResult<PersonView> {
        self.require(actor, Permission::ReadMobilisation, "人员", &id.to_string())
            .await?;
        let p = self.person_in_scope(actor, id).await?;
        let cats = self
            .categories(&[id])
            .await?
            .into_iter()
            .map(|(_, c)| c)
            .collect();
        Ok(person_view(p, cats))
    }

    /// The full ID number and phone of a person: audited every time.
    pub async fn unmask_person(&self, actor: &Actor, id: i64) -> ServiceResult<Unmasked> {
        let p = self
            .reveal(
                actor,
                Permission::ReadMobilisation,
                "人员",
                &id.to_string(),
                || async {
                    let p = self.person_in_scope(actor, id).await?;
                    let place = p.jurisdiction_code.clone();
                    Ok((p, place))
                },
            )
            .await?;
        Ok(Unmasked {
            id,
            id_number: p.id_number,
            phone: p.phone,
        })
    }

    pub async fn list_people(
        &self,
        actor: &Actor,
        q: &PeopleQuery,
    ) -> ServiceResult<Page<PersonView>> {
        let page = page_of(q.page)?;
        let (items, total) = self
            .query_people(actor, q, PAGE_SIZE, crate::page_offset(page, PAGE_SIZE))
            .await?;
        Ok(Page {
            items,
            total,
            page,
            page_size: PAGE_SIZE,
        })
    }

    /// People matching a query in the actor's scope (masked), and how many match in all.
    pub(crate) async fn query_people(
        &self,
        actor: &Actor,
        q: &PeopleQuery,
        limit: i64,
        offset: i64,
    ) -> ServiceResult<(Vec<PersonView>, i64)> {
        self.require(actor, Permission::ReadMobilisation, "人员", "list")
            .await?;
        let mut scope = actor.scope.clone();
        if let Some(j) = non_empty(&q.jurisdiction) {
            let code = parse_code("jurisdiction", &j)?;
            self.require_in_scope(actor, &code, "区划", &j).await?;
            scope = dualtrack_domain::jurisdiction::Scope::Under(code);
        }
        let category = match non_empty(&q.category) {
            Some(c) => Some(
                Category::parse(&c)
                    .ok_or_else(|| ServiceError::invalid("category", format!("人员类别“{c}”无效")))?
                    .as_str()
                    .to_string(),
            ),
            None => None,
        };
        let political_status = match non_empty(&q.political_status) {
            Some(s) => Some(
                PoliticalStatus::parse(&s)
                    .ok_or_else(|| {
                        ServiceError::invalid("political_status", format!("政治面貌“{s}”无效"))
                    })?
                    .as_str()
                    .to_string(),
            ),
            None => None,
        };
        let f = PeopleFilter {
            name: non_empty(&q.name),
            category,
            political_status,
        };
        let rows = store::list_people(&self.db, &scope, &f, limit, offset).await?;
        let total = store::count_people(&self.db, &scope, &f).await?;
        let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
        let mut cats: std::collections::HashMap<i64, Vec<Category>> =
            std::collections::HashMap::new();
        for (id, c) in self.categories(&ids).await? {
            cats.entry(id).or_default().push(c);
        }
        let items = rows
            .into_iter()
            .map(|p| {
                let mine = cats.remove(&p.id).unwrap_or_default();
                person_view(p, mine)
            })
            .collect();
        Ok((items, total))
    }

    // ---- organisations ----

    pub async fn create_org(&self, actor: &Actor, input: &OrgInput) -> ServiceResult<OrgView> {
        self.require(actor, Permission::ManageMobilisation, "组织", &input.name)
            .await?;
        let kind = OrgKind::parse(&input.kind).ok_or_else(|| {
            ServiceError::invalid("kind", format!("组织类型“{}”无效", input.kind))
        })?;
        let name = required("name", "组织名称", &input.name, 60)?;
        let site_kind = match non_empty(&input.site_kind) {
            Some(s) => Some(SiteKind::parse(&s).ok_or_else(|| {
                ServiceError::invalid("site_kind", format!("服务场所类型“{s}”无效"))
            })?),
            None => None,
        };
        let established_on = parse_date("established_on", &input.established_on)?;
        let dissolved_on = parse_opt_date("dissolved_on", &input.dissolved_on)?;
        if let Some(d) = dissolved_on {
            if d < established_on {
                return Err(ServiceError::invalid(
                    "dissolved_on",
                    "撤销日期不能早于成立日期",
                ));
            }
        }
        if let Some(l) = input.leader_id {
            self.person_in_scope(actor, l).await.map_err(|_| {
                ServiceError::unknown(
                    "leader_id",
                    format!("负责人 {l} 不存在或不在您的管辖范围内"),
                )
            })?;
        }
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        let mut tx = self.db.begin().await?;
        let id = store::insert_org(
            &mut tx,
            &NewOrg {
                kind: kind.as_str(),
                name: &name,
                jurisdiction_code: code.as_str(),
                site_kind: site_kind.map(|s| s.as_str()),
                site_name: non_empty(&input.site_name).as_deref(),
                established_on,
                dissolved_on,
                leader_id: input.leader_id,
                at: self.clock.now(),
            },
        )
        .await?;
        if let Some(l) = input.leader_id {
            store::add_member(&mut tx, id, l, "负责人", established_on).await?;
        }
        let row = actor.audit(
            Action::OrgCreate,
            Outcome::Success,
            "组织",
            id.to_string(),
            Some(code.to_string()),
            format!("{}：{name}", kind.zh()),
        );
        audit_in(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(self.get_org(actor, id).await?.org)
    }

    async fn org_in_scope(&self, actor: &Actor, id: i64) -> ServiceResult<store::OrgRow> {
        let row = store::org(&self.db, id).await?;
        self.own(actor, "组织", id, row, |o| &o.jurisdiction_code)
            .await
    }

    pub async fn get_org(&self, actor: &Actor, id: i64) -> ServiceResult<OrgDetail> {
        self.require(actor, Permission::ReadMobilisation, "组织", &id.to_string())
            .await?;
        let o = self.org_in_scope(actor, id).await?;
        let members = store::members(&self.db, id)
            .await?
            .into_iter()
            .map(|m| MemberView {
                person_id: m.person_id,
                name: m.name,
                role: m.role,
                joined_on: m.joined_on,
            })
            .collect();
        Ok(OrgDetail {
            org: org_view(o),
            members,
        })
    }

    pub async fn add_org_member(
        &self,
        actor: &Actor,
        org_id: i64,
        input: &MemberInput,
    ) -> ServiceResult<OrgDetail> {
        self.require(
            actor,
            Permission::ManageMobilisation,
            "组织",
            &org_id.to_string(),
        )
        .await?;
        let o = self.org_in_scope(actor, org_id).await?;
        self.person_in_scope(actor, input.person_id)
            .await
            .map_err(|e| e.referred_by("person_id"))?;
        let role = required("role", "职务", &input.role, 30)?;
        let joined_on = parse_date("joined_on", &input.joined_on)?;
        let mut tx = self.db.begin().await?;
        if !store::add_member(&mut tx, org_id, input.person_id, &role, joined_on).await? {
            return Err(ServiceError::Conflict {
                field: "person_id",
                message: "此人已是该组织成员".into(),
            });
        }
        let row = actor.audit(
            Action::OrgMember,
            Outcome::Success,
            "组织",
            org_id.to_string(),
            Some(o.jurisdiction_code.clone()),
            format!("人员 {} 任{role}", input.person_id),
        );
        audit_in(&mut tx, &row).await?;
        tx.commit().await?;
        self.get_org(actor, org_id).await
    }

    pub async fn list_orgs(&self, actor: &Actor, q: &OrgQuery) -> ServiceResult<Vec<OrgView>> {
        let page = page_of(q.page)?;
        self.query_orgs(actor, q, PAGE_SIZE, crate::page_offset(page, PAGE_SIZE))
            .await
    }

    pub(crate) async fn query_orgs(
        &self,
        actor: &Actor,
        q: &OrgQuery,
        limit: i64,
        offset: i64,
    ) -> ServiceResult<Vec<OrgView>> {
        self.require(actor, Permission::ReadMobilisation, "组织", "list")
            .await?;
        let kind = match non_empty(&q.kind) {
            Some(k) => Some(
                OrgKind::parse(&k)
                    .ok_or_else(|| ServiceError::invalid("kind", format!("组织类型“{k}”无效")))?,
            ),
            None => None,
        };
        let as_of = parse_opt_date("as_of", &q.as_of)?;
        let rows = store::list_orgs(
            &self.db,
            &actor.scope,
            kind.map(|k| k.as_str()),
            as_of,
            limit,
            offset,
        )
        .await?;
        Ok(rows.into_iter().map(org_view).collect())
    }

    // ---- deployments ----

    /// Checks a deployment (scope included) before any transaction begins.
    async fn prepare_deployment(
        &self,
        actor: &Actor,
        input: &DeploymentInput,
    ) -> ServiceResult<PreparedDeployment> {
        let role = required("role", "岗位", &input.role, 40)?;
        let start_on = parse_date("start_on", &input.start_on)?;
        let end_on = parse_opt_date("end_on", &input.end_on)?;
        if matches!(end_on, Some(e) if e < start_on) {
            return Err(ServiceError::invalid("end_on", "结束日期不能早于开始日期"));
        }
        let site_kind = match non_empty(&input.site_kind) {
            Some(s) => Some(SiteKind::parse(&s).ok_or_else(|| {
                ServiceError::invalid("site_kind", format!("服务场所类型“{s}”无效"))
            })?),
            None => None,
        };
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        if let Some(o) = input.org_id {
            self.org_in_scope(actor, o).await.map_err(|_| {
                ServiceError::unknown("org_id", format!("组织 {o} 不存在或不在您的管辖范围内"))
            })?;
        }
        let site_kind = site_kind.or(if code.level() == Level::Grid {
            Some(SiteKind::Grid)
        } else {
            None
        });
        Ok(PreparedDeployment {
            person_id: input.person_id,
            code,
            org_id: input.org_id,
            site_kind,
            site_name: non_empty(&input.site_name),
            role,
            start_on,
            end_on,
        })
    }

    async fn write_deployment(&self, tx: &mut Tx, d: &PreparedDeployment) -> ServiceResult<i64> {
        Ok(store::insert_deployment(
            tx,
            &NewDeployment {
                person_id: d.person_id,
                jurisdiction_code: d.code.as_str(),
                org_id: d.org_id,
                site_kind: d.site_kind.map(|s| s.as_str()),
                site_name: d.site_name.as_deref(),
                role: &d.role,
                start_on: d.start_on,
                end_on: d.end_on,
                at: self.clock.now(),
            },
        )
        .await?)
    }

    pub async fn deploy(
        &self,
        actor: &Actor,
        input: &DeploymentInput,
    ) -> ServiceResult<DeploymentView> {
        self.require(
            actor,
            Permission::ManageMobilisation,
            "派驻",
            &input.person_id.to_string(),
        )
        .await?;
        let person = self
            .person_in_scope(actor, input.person_id)
            .await
            .map_err(|e| e.referred_by("person_id"))?;
        let prepared = self.prepare_deployment(actor, input).await?;
        let code = prepared.code.clone();
        let mut tx = self.db.begin().await?;
        let id = self.write_deployment(&mut tx, &prepared).await?;
        let row = actor.audit(
            Action::Deploy,
            Outcome::Success,
            "派驻",
            id.to_string(),
            Some(code.to_string()),
            format!("{}：{}", person.name, input.role.trim()),
        );
        audit_in(&mut tx, &row).await?;
        tx.commit().await?;
        let rows =
            store::list_deployments(&self.db, &actor.scope, Some(input.person_id), None, 500, 0)
                .await?;
        rows.into_iter()
            .find(|d| d.id == id)
            .map(deployment_view)
            .ok_or_else(|| ServiceError::Internal("派驻记录未找到".into()))
    }

    /// Ends a deployment (or moves its end) on its last day on duty, with the reason;
    /// audited, and the people-on-duty figures follow in the same transaction.
    pub async fn end_deployment(
        &self,
        actor: &Actor,
        id: i64,
        input: &DeploymentEndInput,
    ) -> ServiceResult<DeploymentView> {
        self.require(
            actor,
            Permission::ManageMobilisation,
            "派驻",
            &id.to_string(),
        )
        .await?;
        let row = store::deployment(&self.db, id).await?;
        let d = self
            .own(actor, "派驻", id, row, |d| &d.jurisdiction_code)
            .await?;
        let end_on = parse_date("end_on", &input.end_on)?;
        if end_on < d.start_on {
            return Err(ServiceError::invalid(
                "end_on",
                format!("最后在岗日期不能早于开始日期 {}", d.start_on),
            ));
        }
        if d.end_on == Some(end_on) {
            return Err(ServiceError::invalid(
                "end_on",
                format!("该派驻已于 {end_on} 结束"),
            ));
        }
        let reason = required("reason", "原因", &input.reason, 200)?;
        let mut tx = self.db.begin().await?;
        let had = store::end_deployment(&mut tx, id, end_on)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("未找到派驻 {id}")))?;
        let row = actor.audit(
            Action::DeploymentEnd,
            Outcome::Success,
            "派驻",
            id.to_string(),
            Some(d.jurisdiction_code.clone()),
            format!(
                "{}：{}，最后在岗 {end_on}（{}）：{reason}",
                d.person_name,
                d.role,
                had.map(|h| format!("原定 {h}"))
                    .unwrap_or_else(|| "原未定结束日期".into())
            ),
        );
        audit_in(&mut tx, &row).await?;
        tx.commit().await?;
        store::deployment(&self.db, id)
            .await?
            .map(deployment_view)
            .ok_or_else(|| ServiceError::Internal("派驻记录未找到".into()))
    }

    pub async fn list_deployments(
        &self,
        actor: &Actor,
        q: &DeploymentQuery,
    ) -> ServiceResult<Vec<DeploymentView>> {
        let page = page_of(q.page)?;
        self.query_deployments(actor, q, PAGE_SIZE, crate::page_offset(page, PAGE_SIZE))
            .await
    }

    pub(crate) async fn query_deployments(
        &self,
        actor: &Actor,
        q: &DeploymentQuery,
        limit: i64,
        offset: i64,
    ) -> ServiceResult<Vec<DeploymentView>> {
        self.require(actor, Permission::ReadMobilisation, "派驻", "list")
            .await?;
        let on_day = parse_opt_date("on_day", &q.on_day)?;
        let rows =
            store::list_deployments(&self.db, &actor.scope, q.person_id, on_day, limit, offset)
                .await?;
        Ok(rows.into_iter().map(deployment_view).collect())
    }

    // ---- returns, applications, registrations ----

    pub async fn record_return(&self, actor: &Actor, input: &ReturnInput) -> ServiceResult<i64> {
        self.require(
            actor,
            Permission::ManageMobilisation,
            "返岗",
            &input.person_id.to_string(),
        )
        .await?;
        let person = self
            .person_in_scope(actor, input.person_id)
            .await
            .map_err(|e| e.referred_by("person_id"))?;
        let post = required("post", "岗位", &input.post, 40)?;
        let returned_on = parse_date("returned_on", &input.returned_on)?;
        let expected_on = parse_date("expected_on", &input.expected_on)?;
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        let mut tx = self.db.begin().await?;
        let id = match store::insert_return(
            &mut tx,
            input.person_id,
            code.as_str(),
            &post,
            returned_on,
            expected_on,
            self.clock.now(),
        )
        .await
        {
            Ok(id) => id,
            Err(dualtrack_store::StoreError::Unique(_)) => {
                return Err(ServiceError::Conflict {
                    field: "post",
                    message: format!("{}的“{post}”返岗已登记", person.name),
                })
            }
            Err(e) => return Err(e.into()),
        };
        let early = if returned_on < expected_on {
            "，提前返岗"
        } else {
            ""
        };
        let row = actor.audit(
            Action::ReturnToPost,
            Outcome::Success,
            "返岗",
            id.to_string(),
            Some(code.to_string()),
            format!("{}：{post}，{returned_on}{early}", person.name),
        );
        audit_in(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn submit_application(
        &self,
        actor: &Actor,
        input: &ApplicationInput,
    ) -> ServiceResult<ApplicationView> {
        self.require(
            actor,
            Permission::ManageMobilisation,
            "请战书",
            &input.person_id.to_string(),
        )
        .await?;
        let person = self
            .person_in_scope(actor, input.person_id)
            .await
            .map_err(|e| e.referred_by("person_id"))?;
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
        audit_in(&mut tx, &row).await?;
        tx.commit().await?;
        let a = store::application(&self.db, id).await?;
        a.map(application_view)
            .ok_or_else(|| ServiceError::Internal("请战书未找到".into()))
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
        let already = || ServiceError::Conflict {
            field: "approve",
            message: "该请战书已审批".into(),
        };
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
        audit_in(&mut tx, &row).await?;
        tx.commit().await?;
        let a = store::application(&self.db, id).await?;
        a.map(application_view)
            .ok_or_else(|| ServiceError::Internal("请战书未找到".into()))
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
        Ok(rows.into_iter().map(application_view).collect())
    }

    /// An in-service party member registers with their residential community.
    pub async fn register_in_community(
        &self,
        actor: &Actor,
        input: &RegistrationInput,
    ) -> ServiceResult<i64> {
        self.require(
            actor,
            Permission::ManageMobilisation,
            "社区报到",
            &input.person_id.to_string(),
        )
        .await?;
        let person = self
            .person_in_scope(actor, input.person_id)
            .await
            .map_err(|e| e.referred_by("person_id"))?;
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
        let id = match store::insert_registration(
            &mut tx,
            input.person_id,
            community.as_str(),
            registered_on,
            grid.as_ref().map(|g| g.as_str()),
            self.clock.now(),
        )
        .await
        {
            Ok(id) => id,
            Err(dualtrack_store::StoreError::Unique(_)) => {
                return Err(ServiceError::Conflict {
                    field: "community_code",
                    message: format!("{}已在该社区报到", person.name),
                })
            }
            Err(e) => return Err(e.into()),
        };
        let row = actor.audit(
            Action::CommunityRegister,
            Outcome::Success,
            "社区报到",
            id.to_string(),
            Some(community.to_string()),
            person.name.clone(),
        );
        audit_in(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The figures of mobilisation in the actor's scope as of the end of a day.
    pub async fn mobilisation_figures(
        &self,
        actor: &Actor,
        raw_as_of: &str,
    ) -> ServiceResult<MobilisationFigures> {
        self.require(actor, Permission::ReadMobilisation, "组织动员", "figures")
            .await?;
        let as_of = parse_date("as_of", raw_as_of)?;
        let organisations = store::count_orgs(&self.db, &actor.scope, as_of, 6)
            .await?
            .into_iter()
            .filter_map(|(k, place, count)| {
                OrgKind::parse(&k).map(|kind| OrgCount {
                    kind,
                    kind_name: kind.zh().into(),
                    county_code: place,
                    count,
                })
            })
            .collect();
        let on_duty = store::count_on_duty(&self.db, &actor.scope, as_of).await?;
        let (returned, returned_early) =
            store::count_returns(&self.db, &actor.scope, as_of).await?;
        let apps = store::count_applications(&self.db, &actor.scope, as_of).await?;
        let applications = apps.iter().map(|(_, n)| n).sum();
        let applications_approved = apps
            .iter()
            .filter(|(s, _)| s == "approved")
            .map(|(_, n)| n)
            .sum();
        let registrations = store::count_registrations(&self.db, &actor.scope, as_of).await?;
        Ok(MobilisationFigures {
            as_of,
            organisations,
            on_duty,
            returned,
            returned_early,
            applications,
            applications_approved,
            registrations,
        })
    }
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

impl App {
    /// Records an observation, commendation or assessment of a cadre (organization
    /// department only).
    pub async fn record_cadre(
        &self,
        actor: &Actor,
        person_id: i64,
        input: &CadreRecordInput,
    ) -> ServiceResult<CadreFile> {
        self.require(
            actor,
            Permission::WriteCadreRecords,
            "一线考察",
            &person_id.to_string(),
        )
        .await?;
        let person = self.person_in_scope(actor, person_id).await?;
        let kind = CadreRecordKind::parse(&input.kind).ok_or_else(|| {
            ServiceError::invalid("kind", format!("考察记录类型“{}”无效", input.kind))
        })?;
        let recorded_on = parse_date("recorded_on", &input.recorded_on)?;
        let content = required("content", "考察内容", &input.content, 2000)?;
        let mut tx = self.db.begin().await?;
        let id = store::insert_cadre_record(
            &mut tx,
            person_id,
            kind.as_str(),
            recorded_on,
            &content,
            &actor.username,
            self.clock.now(),
        )
        .await?;
        let row = actor.audit(
            Action::CadreRecord,
            Outcome::Success,
            "一线考察",
            id.to_string(),
            Some(person.jurisdiction_code.clone()),
            format!("{}：{}", person.name, kind.zh()),
        );
        audit_in(&mut tx, &row).await?;
        tx.commit().await?;
        self.cadre_file(actor, person_id).await
    }

    /// A cadre's deployments and front-line record: only the organization department and
    /// the cadre's own chain of command (leaders over the cadre's place) may read it.
    pub async fn cadre_file(&self, actor: &Actor, person_id: i64) -> ServiceResult<CadreFile> {
        self.require(
            actor,
            Permission::ReadCadreRecords,
            "一线考察",
            &person_id.to_string(),
        )
        .await?;
        let p = self.person_in_scope(actor, person_id).await?;
        let cats = self
            .categories(&[person_id])
            .await?
            .into_iter()
            .map(|(_, c)| c)
            .collect();
        let deployments =
            store::list_deployments(&self.db, &actor.scope, Some(person_id), None, 500, 0)
                .await?
                .into_iter()
                .map(deployment_view)
                .collect();
        let records = store::cadre_records(&self.db, person_id)
            .await?
            .into_iter()
            .map(|r| {
                let kind = CadreRecordKind::parse(&r.kind).unwrap_or(CadreRecordKind::Observation);
                CadreRecordView {
                    id: r.id,
                    kind,
                    kind_name: kind.zh().into(),
                    recorded_on: r.recorded_on,
                    content: r.content,
                    recorded_by: r.recorded_by,
                }
            })
            .collect();
        Ok(CadreFile {
            person: person_view(p, cats),
            deployments,
            records,
        })
    }
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

impl App {
    async fn registration_in_scope(
        &self,
        actor: &Actor,
        id: i64,
    ) -> ServiceResult<(i64, String, Option<String>)> {
        let row = store::registration(&self.db, id).await?;
        self.own(actor, "社区报到", id, row, |r| &r.1).await
    }

    pub async fn service_record(
        &self,
        actor: &Actor,
        registration: i64,
    ) -> ServiceResult<ServiceRecord> {
        self.require(
            actor,
            Permission::ReadMobilisation,
            "社区报到",
            &registration.to_string(),
        )
        .await?;
        let (person_id, community_code, grid_code) =
            self.registration_in_scope(actor, registration).await?;
        let logs: Vec<ServiceLogView> = store::service_logs(&self.db, registration)
            .await?
            .into_iter()
            .map(|l| ServiceLogView {
                id: l.id,
                served_on: l.served_on,
                hours: l.hours,
                description: l.description,
            })
            .collect();
        let total_hours = logs.iter().map(|l| l.hours).sum();
        Ok(ServiceRecord {
            registration_id: registration,
            person_id,
            community_code,
            grid_code,
            total_hours,
            logs,
        })
    }

    /// Logs service given by a party member registered with a community.
    pub async fn log_service(
        &self,
        actor: &Actor,
        registration: i64,
        input: &ServiceLogInput,
    ) -> ServiceResult<Written<ServiceRecord>> {
        self.once(
            actor,
            "service_log",
            &input.idempotency_key,
            &(registration, input),
            |claim| self.write_log_service(actor, registration, input, claim),
            |_| self.service_record(actor, registration),
        )
        .await
    }

    async fn write_log_service(
        &self,
        actor: &Actor,
        registration: i64,
        input: &ServiceLogInput,
        claim: Option<Claim>,
    ) -> ServiceResult<ServiceRecord> {
        self.require(
            actor,
            Permission::ManageMobilisation,
            "社区报到",
            &registration.to_string(),
        )
        .await?;
        let (_, community, _) = self.registration_in_scope(actor, registration).await?;
        let served_on = parse_date("served_on", &input.served_on)?;
        if !(1..=24).contains(&input.hours) {
            return Err(ServiceError::invalid("hours", "服务时长应为 1 到 24 小时"));
        }
        let description = required("description", "服务内容", &input.description, 200)?;
        let mut tx = self.db.begin().await?;
        let id = store::insert_service_log(
            &mut tx,
            registration,
            served_on,
            input.hours,
            &description,
            self.clock.now(),
        )
        .await?;
        keep(&mut tx, claim.as_ref(), id).await?;
        let detail = format!("{served_on} {} 小时：{description}", input.hours);
        audit_in(
            &mut tx,
            &actor.audit(
                Action::ServiceLog,
                Outcome::Success,
                "社区报到",
                id.to_string(),
                Some(community),
                detail,
            ),
        )
        .await?;
        tx.commit().await?;
        self.service_record(actor, registration).await
    }
}

impl App {
    /// A person's community registrations, each with the service logged under it.
    pub async fn registrations_of(
        &self,
        actor: &Actor,
        person_id: i64,
    ) -> ServiceResult<Vec<ServiceRecord>> {
        self.require(
            actor,
            Permission::ReadMobilisation,
            "社区报到",
            &person_id.to_string(),
        )
        .await?;
        self.person_in_scope(actor, person_id).await?;
        let mut out = Vec::new();
        for id in store::registrations_of(&self.db, person_id).await? {
            // A registration in a community outside the caller's scope is not shown.
            if let Ok(r) = self.service_record(actor, id).await {
                out.push(r);
            }
        }
        Ok(out)
    }
}

pub mod import;
