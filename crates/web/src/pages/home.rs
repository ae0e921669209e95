use crate::display::today;
use crate::error::PageError;
use crate::extract::PageUser;
use crate::shell::{render, Nav};
use crate::state::AppState;
use crate::views::{KindRow, OrgTable};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use dualtrack_domain::role::Permission;
use dualtrack_service::mobilisation::MobilisationFigures;
use dualtrack_service::tree::LevelCount;

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    nav: Nav,
    counts: Vec<LevelCount>,
    /// 组织动员 as of today, for those who may read it.
    mobilisation: Option<MobilisationFigures>,
    /// The kinds of organisation standing today, with their totals.
    org_kinds: Vec<KindRow>,
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
    let mobilisation = if actor.can(Permission::ReadMobilisation) {
        st.app
            .mobilisation_figures(&actor, &today(&st.app))
            .await
            .ok()
    } else {
        None
    };
    let org_kinds = match &mobilisation {
        Some(f) => OrgTable::of(&st, f)
            .await
            .rows
            .into_iter()
            .filter(|r| r.total > 0)
            .collect(),
        None => vec![],
    };
    Ok(render(&Home {
        nav,
        counts,
        mobilisation,
        org_kinds,
    }))
}
