use crate::error::PageError;
use crate::extract::{PageForm, PageUser};
use crate::forms::{correctable, redirect_or_again};
use crate::shell::{render, Nav};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use dualtrack_domain::jurisdiction::Level;
use dualtrack_domain::role::Permission;
use dualtrack_service::tree::{Node, NodeView};
use dualtrack_service::{Actor, ServiceError};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "tree.html")]
struct TreePage {
    nav: Nav,
    view: NodeView,
    is_village: bool,
    can_manage_grids: bool,
    error: Option<String>,
}

pub async fn home(PageUser(actor): PageUser) -> Redirect {
    Redirect::to(&format!("/tree/{}", actor.home_code().unwrap_or_default()))
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    created: Option<String>,
}

async fn tree_page(
    st: &AppState,
    actor: &Actor,
    code: &str,
    error: Option<String>,
    notice: Option<String>,
) -> Result<TreePage, PageError> {
    let view = st.app.node(actor, code).await?;
    let nav = Nav::of(st, actor).await.with_notice(notice);
    Ok(TreePage {
        is_village: view.node.level == Level::Village,
        can_manage_grids: actor.can(Permission::ManageGrids),
        nav,
        view,
        error,
    })
}

pub async fn page(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(code): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let notice = q.created.map(|c| format!("已新建网格 {c}"));
    Ok(render(&tree_page(&st, &actor, &code, None, notice).await?))
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    partial: Option<String>,
}

#[derive(Template)]
#[template(path = "search_results.html")]
struct SearchResults {
    q: String,
    results: Vec<Node>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    nav: Nav,
    q: String,
    results: Vec<Node>,
    error: Option<String>,
}

pub async fn search(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<SearchQuery>,
) -> Result<Response, PageError> {
    let found = st.app.search_tree(&actor, &q.q).await;
    if q.partial.is_some() {
        // The fragment htmx swaps in under the search box.
        return Ok(match found {
            Ok(results) => render(&SearchResults { q: q.q, results }),
            Err(ServiceError::Invalid { .. }) => Html(String::new()).into_response(),
            Err(e) => return Err(e.into()),
        });
    }
    let nav = Nav::of(&st, &actor).await;
    let (results, error) = match found {
        Ok(r) => (r, None),
        Err(e @ ServiceError::Invalid { .. }) => (vec![], Some(e.to_string())),
        Err(e) => return Err(e.into()),
    };
    Ok(render(&SearchPage {
        nav,
        q: q.q,
        results,
        error,
    }))
}

#[derive(Deserialize)]
pub struct GridForm {
    #[serde(default)]
    name: String,
}

pub async fn create_grid(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(code): Path<String>,
    PageForm(f): PageForm<GridForm>,
) -> Result<Response, PageError> {
    redirect_or_again(
        st.app.create_grid(&actor, &code, &f.name).await,
        |grid| format!("/tree/{code}?created={}", grid.code),
        correctable,
        |message| tree_page(&st, &actor, &code, Some(message), None),
    )
    .await
}
