//! 请战书: the list by status; a submitted one is declined, or approved together with the
//! deployment of the applicant.

use crate::display::{opt_date, today};
use crate::error::PageError;
use crate::extract::{parse_id, PageForm, PageUser};
use crate::forms::{
    correctable, non_empty, number_field, page_number, query_of, redirect_or_again,
    refused_on_form, Pager,
};
use crate::shell::{render, Nav};
use crate::state::AppState;
use crate::views::Places;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dualtrack_domain::mobilisation::{ApplicationStatus, SiteKind};
use dualtrack_domain::role::Permission;
use dualtrack_service::mobilisation::{ApplicationView, DecisionInput, DeploymentInput, PAGE_SIZE};
use dualtrack_service::{Actor, ServiceError};
use serde::Deserialize;

type Choices = Vec<(&'static str, &'static str)>;

#[derive(Deserialize, Default, Clone)]
pub struct ApproveForm {
    #[serde(default)]
    person_id: String,
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
    /// The status filter of the list the form was on, to go back to.
    #[serde(default)]
    status: String,
}

struct AppRow {
    a: ApplicationView,
    place: String,
    submitted: bool,
    decided_on: String,
    form: ApproveForm,
    /// The form was sent and refused: show it open.
    open: bool,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    status: Option<String>,
    page: Option<String>,
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "applications.html")]
struct AppsPage {
    nav: Nav,
    status: String,
    statuses: Choices,
    site_kinds: Choices,
    rows: Vec<AppRow>,
    pager: Pager,
    can_manage: bool,
    error: Option<String>,
}

async fn find(
    st: &AppState,
    actor: &Actor,
    status: &str,
    raw_page: &Option<String>,
) -> Result<(i64, Vec<ApplicationView>), ServiceError> {
    let page = page_number(raw_page)?;
    Ok((
        page,
        st.app
            .list_applications(actor, Some(status), Some(page))
            .await?,
    ))
}

/// The list; `refused` is an application whose form was sent and refused, with its input.
async fn apps_page(
    st: &AppState,
    actor: &Actor,
    status: String,
    raw_page: &Option<String>,
    refused: Option<(i64, ApproveForm)>,
    error: Option<String>,
    notice: Option<String>,
) -> Result<(StatusCode, AppsPage), PageError> {
    let (page, found, list_error, code) = match find(st, actor, &status, raw_page).await {
        Ok((page, apps)) => (page, apps, None, StatusCode::OK),
        Err(e) => {
            let (code, message) = correctable(e)?;
            (1, vec![], Some(message), code)
        }
    };
    let places = Places::of(st, found.iter().map(|a| a.jurisdiction_code.as_str())).await;
    let has_next = found.len() as i64 == PAGE_SIZE;
    let rows = found
        .into_iter()
        .map(|a| {
            let (form, open) = match &refused {
                Some((id, f)) if *id == a.id => (f.clone(), true),
                _ => (
                    ApproveForm {
                        person_id: a.person_id.to_string(),
                        jurisdiction_code: a.jurisdiction_code.clone(),
                        start_on: today(&st.app),
                        status: status.clone(),
                        ..Default::default()
                    },
                    false,
                ),
            };
            AppRow {
                place: places.name(&a.jurisdiction_code),
                submitted: a.status == ApplicationStatus::Submitted,
                decided_on: opt_date(a.decided_on),
                form,
                open,
                a,
            }
        })
        .collect();
    let pager = Pager::of(page, has_next, &[("status", Some(status.clone()))]);
    let tpl = AppsPage {
        nav: Nav::of(st, actor).await.with_notice(notice),
        statuses: ApplicationStatus::choices(),
        site_kinds: SiteKind::choices(),
        rows,
        pager,
        can_manage: actor.can(Permission::ManageMobilisation),
        error: error.or(list_error),
        status: ApplicationStatus::parse(&status)
            .map(|s| s.as_str().to_string())
            .unwrap_or(status),
    };
    Ok((code, tpl))
}

pub async fn list(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let notice = q.done.as_deref().map(|d| match d {
        "approved" => "已批准，并已派驻请战人".to_string(),
        "declined" => "已记为未批准".to_string(),
        _ => "已保存".to_string(),
    });
    let status = non_empty(&q.status).unwrap_or_default();
    let (code, page) = apps_page(&st, &actor, status, &q.page, None, None, notice).await?;
    Ok((code, render(&page)).into_response())
}

/// After a decision: back to the list it was made on, or the refusal shown on that list.
async fn decided(
    st: &AppState,
    actor: &Actor,
    id: i64,
    status: String,
    refill: Option<ApproveForm>,
    result: Result<ApplicationView, ServiceError>,
    done: &str,
) -> Result<Response, PageError> {
    let q = query_of(&[
        ("status", Some(status.clone())),
        ("done", Some(done.to_string())),
    ]);
    redirect_or_again(
        result,
        |_| format!("/applications?{q}"),
        refused_on_form,
        |message| async move {
            Ok(apps_page(
                st,
                actor,
                status,
                &None,
                refill.map(|f| (id, f)),
                Some(format!("请战书 {id}：{message}")),
                None,
            )
            .await?
            .1)
        },
    )
    .await
}

pub async fn approve(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(f): PageForm<ApproveForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let result = async {
        let input = DecisionInput {
            approve: true,
            decided_on: today(&st.app),
            deployment: Some(DeploymentInput {
                person_id: number_field("person_id", "请战人编号", &f.person_id)?,
                jurisdiction_code: f.jurisdiction_code.clone(),
                org_id: None,
                site_kind: Some(f.site_kind.clone()),
                site_name: Some(f.site_name.clone()),
                role: f.role.clone(),
                start_on: f.start_on.clone(),
                end_on: None,
            }),
        };
        st.app.decide_application(&actor, id, &input).await
    }
    .await;
    let status = f.status.clone();
    decided(&st, &actor, id, status, Some(f), result, "approved").await
}

#[derive(Deserialize, Default)]
pub struct DeclineForm {
    /// The status filter of the list the button was on, to go back to.
    #[serde(default)]
    status: String,
}

pub async fn decline(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(f): PageForm<DeclineForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let input = DecisionInput {
        approve: false,
        decided_on: today(&st.app),
        deployment: None,
    };
    let result = st.app.decide_application(&actor, id, &input).await;
    decided(&st, &actor, id, f.status, None, result, "declined").await
}
