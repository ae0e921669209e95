use super::{render, Nav};
use crate::error::PageError;
use crate::extract::PageUser;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use dualtrack_service::tree::LevelCount;

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    nav: Nav,
    counts: Vec<LevelCount>,
}

pub async fn page(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
) -> Result<Response, PageError> {
    let nav = Nav::of(&st, &actor).await;
    let counts = match actor.home_code() {
        Some(code) => st
            .app
            .node(&actor, &code)
            .await
            .map(|v| v.counts)
            .unwrap_or_default(),
        None => vec![],
    };
    Ok(render(&Home { nav, counts }))
}
