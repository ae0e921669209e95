use crate::error::PageError;
use crate::extract::PageUser;
use crate::shell::{render, Nav};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::time::display;
use dualtrack_service::audit::{AuditEntry, AuditQuery, PAGE_SIZE};
use dualtrack_service::ServiceError;

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    nav: Nav,
    q: AuditQuery,
    entries: Vec<(String, AuditEntry)>,
    actions: Vec<(&'static str, &'static str)>,
    outcomes: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    page: i64,
    has_next: bool,
    prev_query: String,
    next_query: String,
}

fn query_for(q: &AuditQuery, page: i64) -> String {
    let pairs = [
        ("from", q.from.clone()),
        ("to", q.to.clone()),
        ("username", q.username.clone()),
        ("action", q.action.clone()),
        ("outcome", q.outcome.clone()),
        ("page", Some(page.to_string())),
    ];
    let kept: Vec<(&str, String)> = pairs
        .into_iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v)))
        .collect();
    serde_urlencoded::to_string(kept).unwrap_or_default()
}

pub async fn page(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let page = q.page.unwrap_or(1).clamp(1, crate::forms::MAX_PAGE);
    let (entries, error, status) = match st.app.list_audit(&actor, &q).await {
        Ok(rows) => (rows, None, axum::http::StatusCode::OK),
        Err(e @ ServiceError::Invalid { .. }) => {
            (vec![], Some(e.to_string()), crate::error::status_of(&e))
        }
        Err(e) => return Err(e.into()),
    };
    let has_next = entries.len() as i64 == PAGE_SIZE;
    let tpl = AuditPage {
        nav: Nav::of(&st, &actor).await,
        entries: entries.into_iter().map(|e| (display(e.at), e)).collect(),
        actions: Action::ALL.iter().map(|a| (a.as_str(), a.zh())).collect(),
        outcomes: [Outcome::Success, Outcome::Failure, Outcome::Denied]
            .iter()
            .map(|o| (o.as_str(), o.zh()))
            .collect(),
        error,
        page,
        has_next,
        prev_query: query_for(&q, page - 1),
        next_query: query_for(&q, page + 1),
        q,
    };
    Ok((status, render(&tpl)).into_response())
}
