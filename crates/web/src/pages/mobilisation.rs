//! 组织动员: the headline figures as of a day, and the deployments on duty that day.

use crate::display::today;
use crate::error::PageError;
use crate::extract::PageUser;
use crate::forms::{correctable, non_empty, page_number, Pager};
use crate::shell::{render, Nav};
use crate::state::AppState;
use crate::views::{deployment_rows, DeploymentRow, OrgTable};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dualtrack_service::mobilisation::{DeploymentQuery, DeploymentView, MobilisationFigures};
use dualtrack_service::{Actor, ServiceError};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "mobilisation.html")]
struct FiguresPage {
    nav: Nav,
    as_of: String,
    today: String,
    error: Option<String>,
    figures: Option<MobilisationFigures>,
    table: Option<OrgTable>,
    can_manage: bool,
}

#[derive(Deserialize, Default)]
pub struct FiguresQuery {
    as_of: Option<String>,
}

pub async fn figures(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<FiguresQuery>,
) -> Result<Response, PageError> {
    let today = today(&st.app);
    let as_of = non_empty(&q.as_of).unwrap_or_else(|| today.clone());
    let (figures, error, status) = match st.app.mobilisation_figures(&actor, &as_of).await {
        Ok(f) => (Some(f), None, StatusCode::OK),
        Err(e) => {
            let (status, message) = correctable(e)?;
            (None, Some(message), status)
        }
    };
    let table = match &figures {
        Some(f) => Some(OrgTable::of(&st, f).await),
        None => None,
    };
    let page = FiguresPage {
        nav: Nav::of(&st, &actor).await,
        as_of: figures
            .as_ref()
            .map(|f| f.as_of.to_string())
            .unwrap_or(as_of),
        today,
        error,
        figures,
        table,
        can_manage: actor.can(dualtrack_domain::role::Permission::ManageMobilisation),
    };
    Ok((status, render(&page)).into_response())
}

// ---- deployments on duty ----

#[derive(Template)]
#[template(path = "deployments.html")]
struct DeploymentsPage {
    nav: Nav,
    on_day: String,
    rows: Vec<DeploymentRow>,
    /// The people of the rows whose page the viewer may open (some serve here and are
    /// registered elsewhere): only they are links.
    openable: std::collections::HashSet<i64>,
    error: Option<String>,
    pager: Pager,
}

impl DeploymentsPage {
    fn may_open(&self, person: &i64) -> bool {
        self.openable.contains(person)
    }
}

#[derive(Deserialize, Default)]
pub struct DeploymentsQuery {
    on_day: Option<String>,
    page: Option<String>,
}

async fn on_duty(
    st: &AppState,
    actor: &Actor,
    on_day: &str,
    raw_page: &Option<String>,
) -> Result<(i64, Vec<DeploymentView>), ServiceError> {
    let page = page_number(raw_page)?;
    let q = DeploymentQuery {
        person_id: None,
        on_day: Some(on_day.to_string()),
        page: Some(page),
    };
    Ok((page, st.app.list_deployments(actor, &q).await?))
}

pub async fn deployments(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<DeploymentsQuery>,
) -> Result<Response, PageError> {
    let on_day = non_empty(&q.on_day).unwrap_or_else(|| today(&st.app));
    let (page, found, error, status) = match on_duty(&st, &actor, &on_day, &q.page).await {
        Ok((page, ds)) => (page, ds, None, StatusCode::OK),
        Err(e) => {
            let (status, message) = correctable(e)?;
            (1, vec![], Some(message), status)
        }
    };
    let has_next = found.len() as i64 == dualtrack_service::mobilisation::PAGE_SIZE;
    let pager = Pager::of(page, has_next, &[("on_day", Some(on_day.clone()))]);
    let ids: Vec<i64> = found.iter().map(|d| d.person_id).collect();
    let openable = st.app.people_the_caller_may_open(&actor, &ids).await?;
    let tpl = DeploymentsPage {
        nav: Nav::of(&st, &actor).await,
        openable,
        rows: deployment_rows(&st, found).await,
        error,
        pager,
        on_day,
    };
    Ok((status, render(&tpl)).into_response())
}
