use crate::error::PageError;
use crate::extract::PageUser;
use crate::forms::Pager;
use crate::shell::{render, Nav};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::time::display;
use dualtrack_service::audit::{AuditEntry, AuditQuery, PAGE_SIZE};
use dualtrack_service::audit_chain::ChainCheck;
use dualtrack_service::ServiceError;

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    nav: Nav,
    q: AuditQuery,
    /// Each entry with its time, who acted (by name and role) and where from.
    entries: Vec<(String, AuditEntry, String, String)>,
    /// The operations by area, for the filter.
    actions: Vec<(&'static str, Vec<(&'static str, &'static str)>)>,
    outcomes: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    pager: Pager,
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

/// Where an action came from, in words: an address as it is, the server's own command
/// line and scheduler by name.
fn source_name(addr: &str) -> String {
    match addr {
        "local" => "服务器命令行".into(),
        "scheduler" => "系统调度".into(),
        "" => "—".into(),
        a => a.to_string(),
    }
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
    let names = st
        .app
        .people_names(entries.iter().map(|e| e.username.as_str()))
        .await?;
    let mut actions: Vec<(&'static str, Vec<(&'static str, &'static str)>)> = vec![];
    for a in Action::ALL {
        let item = (a.as_str(), a.zh());
        match actions.iter_mut().find(|(area, _)| *area == a.area()) {
            Some((_, list)) => list.push(item),
            None => actions.push((a.area(), vec![item])),
        }
    }
    let tpl = AuditPage {
        nav: Nav::of(&st, &actor).await,
        entries: entries
            .into_iter()
            .map(|e| {
                let who = names.name_and_role(&e.username);
                let from = source_name(&e.source_addr);
                (display(e.at), e, who, from)
            })
            .collect(),
        actions,
        outcomes: [Outcome::Success, Outcome::Failure, Outcome::Denied]
            .iter()
            .map(|o| (o.as_str(), o.zh()))
            .collect(),
        error,
        pager: Pager::new(page, has_next, |p| query_for(&q, p)),
        q,
    };
    Ok((status, render(&tpl)).into_response())
}

#[derive(Template)]
#[template(path = "audit_chain.html")]
struct ChainPage {
    nav: Nav,
    check: ChainCheck,
    checked_at: String,
    archived_at: Option<String>,
}

/// The chain walked now, for an auditor.
pub async fn chain(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
) -> Result<Response, PageError> {
    let check = st.app.audit_chain_for(&actor).await?;
    let tpl = ChainPage {
        nav: Nav::of(&st, &actor).await,
        checked_at: display(check.checked_at),
        archived_at: check.archives.last_at.map(display),
        check,
    };
    Ok(render(&tpl))
}
