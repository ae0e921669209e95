//! Organisations: the list by kind and day, one organisation with its members, setting one
//! up, and adding members.

use crate::display::{opt_date, today};
use crate::error::PageError;
use crate::extract::{parse_id, PageForm, PageUser};
use crate::forms::{
    correctable, non_empty, number_field, opt_number_field, page_number, redirect_or_again,
    refused_on_form, Done, Pager,
};
use crate::shell::{render, Nav};
use crate::state::AppState;
use crate::views::Places;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dualtrack_domain::mobilisation::{OrgKind, SiteKind};
use dualtrack_domain::role::Permission;
use dualtrack_service::mobilisation::{
    MemberInput, OrgDetail, OrgInput, OrgQuery, OrgView, PAGE_SIZE,
};
use dualtrack_service::{Actor, ServiceError};
use serde::Deserialize;

type Choices = Vec<(&'static str, &'static str)>;

fn site_text(o: &OrgView) -> String {
    match (o.site_kind, o.site_name.as_deref()) {
        (Some(k), Some(n)) => format!("{} · {n}", k.zh()),
        (Some(k), None) => k.zh().to_string(),
        (None, Some(n)) => n.to_string(),
        (None, None) => "—".into(),
    }
}

struct OrgRow {
    id: i64,
    name: String,
    kind_name: String,
    place: String,
    site: String,
    established_on: String,
    dissolved_on: String,
    member_count: i64,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    kind: Option<String>,
    as_of: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "organisations.html")]
struct OrgsPage {
    nav: Nav,
    kind: String,
    kind_name: String,
    as_of: String,
    kinds: Choices,
    rows: Vec<OrgRow>,
    pager: Pager,
    can_manage: bool,
    error: Option<String>,
}

async fn find_orgs(
    st: &AppState,
    actor: &Actor,
    q: &ListQuery,
) -> Result<(i64, Vec<OrgView>), ServiceError> {
    let page = page_number(&q.page)?;
    let oq = OrgQuery {
        kind: non_empty(&q.kind),
        as_of: non_empty(&q.as_of),
        page: Some(page),
    };
    Ok((page, st.app.list_orgs(actor, &oq).await?))
}

pub async fn list(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let (page, found, error, status) = match find_orgs(&st, &actor, &q).await {
        Ok((page, orgs)) => (page, orgs, None, StatusCode::OK),
        Err(e) => {
            let (status, message) = correctable(e)?;
            (1, vec![], Some(message), status)
        }
    };
    let places = Places::of(&st, found.iter().map(|o| o.jurisdiction_code.as_str())).await;
    let has_next = found.len() as i64 == PAGE_SIZE;
    let rows = found
        .iter()
        .map(|o| OrgRow {
            id: o.id,
            name: o.name.clone(),
            kind_name: o.kind_name.clone(),
            place: places.name(&o.jurisdiction_code),
            site: site_text(o),
            established_on: o.established_on.to_string(),
            dissolved_on: opt_date(o.dissolved_on),
            member_count: o.member_count,
        })
        .collect();
    let pager = Pager::of(
        page,
        has_next,
        &[("kind", q.kind.clone()), ("as_of", q.as_of.clone())],
    );
    let kind = non_empty(&q.kind).unwrap_or_default();
    let tpl = OrgsPage {
        nav: Nav::of(&st, &actor).await,
        kind_name: OrgKind::parse(&kind)
            .map(|k| k.zh().to_string())
            .unwrap_or_else(|| "组织".into()),
        kind: OrgKind::parse(&kind)
            .map(|k| k.as_str().to_string())
            .unwrap_or(kind),
        as_of: non_empty(&q.as_of).unwrap_or_default(),
        kinds: OrgKind::choices(),
        rows,
        pager,
        can_manage: actor.can(Permission::ManageMobilisation),
        error,
    };
    Ok((status, render(&tpl)).into_response())
}

// ---- setting one up ----

#[derive(Deserialize, Default)]
pub struct OrgForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    jurisdiction_code: String,
    #[serde(default)]
    site_kind: String,
    #[serde(default)]
    site_name: String,
    #[serde(default)]
    established_on: String,
    #[serde(default)]
    dissolved_on: String,
    #[serde(default)]
    leader_id: String,
}

#[derive(Template)]
#[template(path = "organisation_new.html")]
struct NewOrgPage {
    nav: Nav,
    form: OrgForm,
    kinds: Choices,
    site_kinds: Choices,
    error: Option<String>,
}

async fn new_org_page(
    st: &AppState,
    actor: &Actor,
    form: OrgForm,
    error: Option<String>,
) -> NewOrgPage {
    NewOrgPage {
        nav: Nav::of(st, actor).await,
        form,
        kinds: OrgKind::choices(),
        site_kinds: SiteKind::choices(),
        error,
    }
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    kind: Option<String>,
}

pub async fn new_form(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<NewQuery>,
) -> Result<Response, PageError> {
    st.app
        .require(&actor, Permission::ManageMobilisation, "组织", "新建")
        .await?;
    let form = OrgForm {
        kind: non_empty(&q.kind).unwrap_or_default(),
        jurisdiction_code: actor.home_code().unwrap_or_default(),
        established_on: today(&st.app),
        ..Default::default()
    };
    Ok(render(&new_org_page(&st, &actor, form, None).await))
}

async fn create_from(st: &AppState, actor: &Actor, f: &OrgForm) -> Result<OrgView, ServiceError> {
    let input = OrgInput {
        kind: f.kind.clone(),
        name: f.name.clone(),
        jurisdiction_code: f.jurisdiction_code.clone(),
        site_kind: Some(f.site_kind.clone()),
        site_name: Some(f.site_name.clone()),
        established_on: f.established_on.clone(),
        dissolved_on: Some(f.dissolved_on.clone()),
        leader_id: opt_number_field("leader_id", "负责人编号", &f.leader_id)?,
    };
    st.app.create_org(actor, &input).await
}

pub async fn create(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    PageForm(f): PageForm<OrgForm>,
) -> Result<Response, PageError> {
    redirect_or_again(
        create_from(&st, &actor, &f).await,
        |o| format!("/organisations/{}?done=created", o.id),
        refused_on_form,
        |message| async { Ok(new_org_page(&st, &actor, f, Some(message)).await) },
    )
    .await
}

// ---- one organisation ----

#[derive(Deserialize, Default)]
pub struct MemberForm {
    #[serde(default)]
    person_id: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    joined_on: String,
}

#[derive(Template)]
#[template(path = "organisation.html")]
struct OrgPage {
    nav: Nav,
    d: OrgDetail,
    place: String,
    site: String,
    dissolved_on: String,
    leader: Option<(i64, String)>,
    can_manage: bool,
    form: MemberForm,
    error: Option<String>,
}

async fn org_page(
    st: &AppState,
    actor: &Actor,
    id: i64,
    form: Option<MemberForm>,
    error: Option<String>,
    notice: Option<String>,
) -> Result<OrgPage, PageError> {
    let d = st.app.get_org(actor, id).await?;
    let places = Places::of(st, [d.org.jurisdiction_code.as_str()]).await;
    let leader = d.org.leader_id.map(|l| {
        let name = d
            .members
            .iter()
            .find(|m| m.person_id == l)
            .map(|m| m.name.clone())
            .unwrap_or_else(|| format!("人员 {l}"));
        (l, name)
    });
    Ok(OrgPage {
        nav: Nav::of(st, actor).await.with_notice(notice),
        place: places.name(&d.org.jurisdiction_code),
        site: site_text(&d.org),
        dissolved_on: opt_date(d.org.dissolved_on),
        leader,
        can_manage: actor.can(Permission::ManageMobilisation),
        form: form.unwrap_or_else(|| MemberForm {
            joined_on: today(&st.app),
            ..Default::default()
        }),
        error,
        d,
    })
}

pub async fn page(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, PageError> {
    let notice = d.notice(
        &[("created", "组织已建立"), ("member", "已增加成员")],
        "已保存",
    );
    let page = org_page(&st, &actor, parse_id(&id)?, None, None, notice).await?;
    Ok(render(&page))
}

pub async fn add_member(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(f): PageForm<MemberForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let added = async {
        let input = MemberInput {
            person_id: number_field("person_id", "人员编号", &f.person_id)?,
            role: f.role.clone(),
            joined_on: f.joined_on.clone(),
        };
        st.app.add_org_member(&actor, id, &input).await
    }
    .await;
    redirect_or_again(
        added,
        |_| format!("/organisations/{id}?done=member"),
        refused_on_form,
        |message| org_page(&st, &actor, id, Some(f), Some(message), None),
    )
    .await
}
