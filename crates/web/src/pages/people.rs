//! People: the list (masked), registration, a person's page with their deployments, the
//! audited unmasking, and deploying them.

use crate::display::today;
use crate::error::PageError;
use crate::extract::{parse_id, PageForm, PageUser};
use crate::forms::{
    correctable, non_empty, page_number, query_of, redirect_or_again, refused_on_form, Done,
};
use crate::shell::{render, Nav};
use crate::state::AppState;
use crate::views::{deployment_rows, DeploymentRow, Places};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use dualtrack_domain::mobilisation::{Category, PoliticalStatus, SiteKind};
use dualtrack_domain::role::Permission;
use dualtrack_service::mobilisation::{
    DeploymentEndInput, DeploymentInput, DeploymentQuery, Page, PeopleQuery, PersonInput,
    PersonView, Unmasked,
};
use dualtrack_service::{Actor, ServiceError};
use serde::Deserialize;

type Choices = Vec<(&'static str, &'static str)>;

/// A person as the list shows them: masked, names for codes.
struct PersonRow {
    id: i64,
    name: String,
    sex: &'static str,
    birth_date: String,
    id_number: String,
    phone: String,
    status: &'static str,
    categories: String,
    place: String,
}

fn categories_text(p: &PersonView) -> String {
    let names: Vec<&str> = p.categories.iter().map(|c| c.zh()).collect();
    if names.is_empty() {
        "—".into()
    } else {
        names.join("、")
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    name: Option<String>,
    category: Option<String>,
    political_status: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    nav: Nav,
    name: String,
    category: String,
    political_status: String,
    categories: Choices,
    statuses: Choices,
    rows: Vec<PersonRow>,
    total: i64,
    page: i64,
    pages: i64,
    prev_query: String,
    next_query: String,
    can_manage: bool,
    error: Option<String>,
}

async fn find_people(
    st: &AppState,
    actor: &Actor,
    q: &ListQuery,
) -> Result<Page<PersonView>, ServiceError> {
    let page = page_number(&q.page)?;
    let pq = PeopleQuery {
        name: non_empty(&q.name),
        category: non_empty(&q.category),
        political_status: non_empty(&q.political_status),
        jurisdiction: None,
        page: Some(page),
    };
    st.app.list_people(actor, &pq).await
}

pub async fn list(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let (found, error, status) = match find_people(&st, &actor, &q).await {
        Ok(p) => (p, None, StatusCode::OK),
        Err(e) => {
            let (status, message) = correctable(e)?;
            let empty = Page {
                items: vec![],
                total: 0,
                page: 1,
                page_size: dualtrack_service::mobilisation::PAGE_SIZE,
            };
            (empty, Some(message), status)
        }
    };
    let places = Places::of(
        &st,
        found.items.iter().map(|p| p.jurisdiction_code.as_str()),
    )
    .await;
    let rows = found
        .items
        .iter()
        .map(|p| PersonRow {
            id: p.id,
            name: p.name.clone(),
            sex: p.sex.zh(),
            birth_date: p.birth_date.to_string(),
            id_number: p.id_number.clone(),
            phone: p.phone.clone().unwrap_or_else(|| "—".into()),
            status: p.political_status.zh(),
            categories: categories_text(p),
            place: places.name(&p.jurisdiction_code),
        })
        .collect();
    let query = |page: i64| {
        query_of(&[
            ("name", q.name.clone()),
            ("category", q.category.clone()),
            ("political_status", q.political_status.clone()),
            ("page", Some(page.to_string())),
        ])
    };
    let pages = ((found.total + found.page_size - 1) / found.page_size.max(1)).max(1);
    let tpl = PeoplePage {
        nav: Nav::of(&st, &actor).await,
        name: q.name.clone().unwrap_or_default(),
        category: q.category.clone().unwrap_or_default(),
        political_status: q.political_status.clone().unwrap_or_default(),
        categories: Category::choices(),
        statuses: PoliticalStatus::choices(),
        rows,
        total: found.total,
        page: found.page,
        pages,
        prev_query: query(found.page - 1),
        next_query: query(found.page + 1),
        can_manage: actor.can(Permission::ManageMobilisation),
        error,
    };
    Ok((status, render(&tpl)).into_response())
}

// ---- registration ----

#[derive(Deserialize, Default)]
pub struct PersonForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    political_status: String,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    jurisdiction_code: String,
    #[serde(default)]
    employer: String,
}

impl PersonForm {
    fn has_category(&self, c: &str) -> bool {
        self.categories.iter().any(|x| x == c)
    }
}

#[derive(Template)]
#[template(path = "person_new.html")]
struct NewPersonPage {
    nav: Nav,
    form: PersonForm,
    categories: Choices,
    statuses: Choices,
    error: Option<String>,
}

async fn new_person_page(
    st: &AppState,
    actor: &Actor,
    form: PersonForm,
    error: Option<String>,
) -> NewPersonPage {
    NewPersonPage {
        nav: Nav::of(st, actor).await,
        form,
        categories: Category::choices(),
        statuses: PoliticalStatus::choices(),
        error,
    }
}

pub async fn new_form(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
) -> Result<Response, PageError> {
    st.app
        .require(&actor, Permission::ManageMobilisation, "人员", "登记")
        .await?;
    let form = PersonForm {
        jurisdiction_code: actor.home_code().unwrap_or_default(),
        ..Default::default()
    };
    Ok(render(&new_person_page(&st, &actor, form, None).await))
}

pub async fn register(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    PageForm(f): PageForm<PersonForm>,
) -> Result<Response, PageError> {
    let input = PersonInput {
        name: f.name.clone(),
        id_number: f.id_number.clone(),
        phone: Some(f.phone.clone()),
        political_status: f.political_status.clone(),
        categories: f.categories.clone(),
        jurisdiction_code: f.jurisdiction_code.clone(),
        employer: Some(f.employer.clone()),
    };
    redirect_or_again(
        st.app.register_person(&actor, &input).await,
        |r| {
            let done = if r.created { "registered" } else { "existing" };
            format!("/people/{}?done={done}", r.person.id)
        },
        refused_on_form,
        |message| async { Ok(new_person_page(&st, &actor, f, Some(message)).await) },
    )
    .await
}

// ---- a person ----

#[derive(Deserialize, Default)]
pub struct DeployForm {
    #[serde(default)]
    jurisdiction_code: String,
    #[serde(default)]
    site_kind: String,
    #[serde(default)]
    site_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    start_on: String,
    #[serde(default)]
    end_on: String,
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    nav: Nav,
    p: PersonView,
    place: String,
    categories: String,
    unmasked: Option<Unmasked>,
    deployments: Vec<DeploymentRow>,
    can_manage: bool,
    can_unmask: bool,
    can_read_cadre: bool,
    registrations: Vec<dualtrack_service::mobilisation::ServiceRecord>,
    form: DeployForm,
    site_kinds: Choices,
    today: String,
    error: Option<String>,
}

async fn person_page(
    st: &AppState,
    actor: &Actor,
    id: i64,
    unmasked: Option<Unmasked>,
    form: Option<DeployForm>,
    error: Option<String>,
    notice: Option<String>,
) -> Result<PersonPage, PageError> {
    let p = st.app.get_person(actor, id).await?;
    let ds = st
        .app
        .list_deployments(
            actor,
            &DeploymentQuery {
                person_id: Some(id),
                on_day: None,
                page: None,
            },
        )
        .await?;
    let places = Places::of(st, [p.jurisdiction_code.as_str()]).await;
    let form = form.unwrap_or_else(|| DeployForm {
        jurisdiction_code: p.jurisdiction_code.clone(),
        start_on: today(&st.app),
        ..Default::default()
    });
    Ok(PersonPage {
        nav: Nav::of(st, actor).await.with_notice(notice),
        place: places.name(&p.jurisdiction_code),
        categories: categories_text(&p),
        deployments: deployment_rows(st, ds).await,
        can_manage: actor.can(Permission::ManageMobilisation),
        can_unmask: actor.may_unmask(Permission::ReadMobilisation),
        can_read_cadre: actor.can(Permission::ReadCadreRecords),
        registrations: st.app.registrations_of(actor, id).await?,
        site_kinds: SiteKind::choices(),
        today: today(&st.app),
        unmasked,
        form,
        error,
        p,
    })
}

pub async fn page(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, PageError> {
    let notice = d.notice(
        &[
            ("registered", "已登记"),
            ("existing", "该身份证号已登记，未重复建档"),
            ("deployed", "已派驻"),
            ("ended", "已结束派驻，在岗人数随之更新"),
            ("service", "已记录服务"),
            ("returned", "已登记返岗"),
            ("registered_in_community", "已登记社区报到"),
            ("applied", "请战书已提交，待审批"),
        ],
        "已保存",
    );
    let page = person_page(&st, &actor, parse_id(&id)?, None, None, None, notice).await?;
    Ok(render(&page))
}

/// The person's page with the full ID number and phone; the service audits every reading,
/// and the page is not kept in any cache.
pub async fn unmask(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let full = st.app.unmask_person(&actor, id).await?;
    let page = person_page(&st, &actor, id, Some(full), None, None, None).await?;
    Ok((
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        render(&page),
    )
        .into_response())
}

pub async fn deploy(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(f): PageForm<DeployForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let input = DeploymentInput {
        person_id: id,
        jurisdiction_code: f.jurisdiction_code.clone(),
        org_id: None,
        site_kind: Some(f.site_kind.clone()),
        site_name: Some(f.site_name.clone()),
        role: f.role.clone(),
        start_on: f.start_on.clone(),
        end_on: Some(f.end_on.clone()),
    };
    redirect_or_again(
        st.app.deploy(&actor, &input).await,
        |_| format!("/people/{id}?done=deployed"),
        refused_on_form,
        |message| person_page(&st, &actor, id, None, Some(f), Some(message), None),
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct EndForm {
    #[serde(default)]
    person_id: String,
    #[serde(default)]
    end_on: String,
    #[serde(default)]
    reason: String,
}

/// Ends a deployment from the person's page (a rotation, a recall, the work done).
pub async fn end_deployment(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(f): PageForm<EndForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let input = DeploymentEndInput {
        end_on: f.end_on.clone(),
        reason: f.reason.clone(),
    };
    redirect_or_again(
        st.app.end_deployment(&actor, id, &input).await,
        |d| format!("/people/{}?done=ended", d.person_id),
        refused_on_form,
        |message| async {
            let person = parse_id(&f.person_id)?;
            person_page(&st, &actor, person, None, None, Some(message), None).await
        },
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct ServiceForm {
    #[serde(default)]
    idempotency_key: Option<String>,
    #[serde(default)]
    served_on: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    description: String,
}

/// Logs service under a registration, from the person's page.
pub async fn log_service(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path((id, registration)): Path<(String, String)>,
    PageForm(f): PageForm<ServiceForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let registration = parse_id(&registration)?;
    let hours = match f.hours.trim().parse::<i64>() {
        Ok(h) => h,
        Err(_) => {
            let msg = format!("服务时长应为整数小时，收到“{}”", f.hours);
            let page = person_page(&st, &actor, id, None, None, Some(msg), None).await?;
            return Ok(
                (axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response(),
            );
        }
    };
    let input = dualtrack_service::mobilisation::ServiceLogInput {
        idempotency_key: f.idempotency_key,
        served_on: f.served_on,
        hours,
        description: f.description,
    };
    redirect_or_again(
        st.app.log_service(&actor, registration, &input).await,
        |_| format!("/people/{id}?done=service#registrations"),
        correctable,
        |message| person_page(&st, &actor, id, None, None, Some(message), None),
    )
    .await
}

/// The three forms of a person's own front-line steps: back at post, registered with a
/// community, applying for the front.
#[derive(Deserialize, Default)]
pub struct StepForm {
    #[serde(default)]
    jurisdiction_code: String,
    #[serde(default)]
    post: String,
    #[serde(default)]
    returned_on: String,
    #[serde(default)]
    expected_on: String,
    #[serde(default)]
    registered_on: String,
    #[serde(default)]
    grid_code: String,
    #[serde(default)]
    submitted_on: String,
    #[serde(default)]
    wish: String,
}

async fn step_done(
    st: &AppState,
    actor: &Actor,
    id: i64,
    what: &str,
    result: Result<(), ServiceError>,
) -> Result<Response, PageError> {
    redirect_or_again(
        result,
        |()| format!("/people/{id}?done={what}"),
        correctable,
        |message| person_page(st, actor, id, None, None, Some(message), None),
    )
    .await
}

/// 返岗登记: a first secretary or work-team member back at their post.
pub async fn record_return(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(f): PageForm<StepForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let input = dualtrack_service::mobilisation::ReturnInput {
        person_id: id,
        jurisdiction_code: f.jurisdiction_code,
        post: f.post,
        returned_on: f.returned_on,
        expected_on: f.expected_on,
    };
    let result = st.app.record_return(&actor, &input).await.map(|_| ());
    step_done(&st, &actor, id, "returned", result).await
}

/// 到社区报到: an in-service party member registers with their community.
pub async fn register_in_community(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(f): PageForm<StepForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let input = dualtrack_service::mobilisation::RegistrationInput {
        person_id: id,
        community_code: f.jurisdiction_code,
        registered_on: f.registered_on,
        grid_code: Some(f.grid_code).filter(|g| !g.trim().is_empty()),
    };
    let result = st
        .app
        .register_in_community(&actor, &input)
        .await
        .map(|_| ());
    step_done(&st, &actor, id, "registered_in_community", result).await
}

/// 请战书: an application to serve at the front.
pub async fn submit_application(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(f): PageForm<StepForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let input = dualtrack_service::mobilisation::ApplicationInput {
        person_id: id,
        jurisdiction_code: f.jurisdiction_code,
        submitted_on: f.submitted_on,
        wish: f.wish,
    };
    let result = st.app.submit_application(&actor, &input).await.map(|_| ());
    step_done(&st, &actor, id, "applied", result).await
}
