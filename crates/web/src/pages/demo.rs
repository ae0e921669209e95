//! A demo server's day: the banner of every page names it, and its form moves it.

use crate::error::PageError;
use crate::extract::{PageForm, PageUser};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct DayForm {
    #[serde(default)]
    day: String,
}

/// Moves the demo's clock to the evening of the chosen day, then goes back to the page the
/// form was sent from (its path on this server, never another site).
pub async fn move_day(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    headers: HeaderMap,
    PageForm(f): PageForm<DayForm>,
) -> Response {
    if let Err(e) = st.app.move_demo_day(&actor, &f.day).await {
        return PageError::from(e).into_response();
    }
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<Uri>().ok())
        .and_then(|u| u.path_and_query().map(|p| p.as_str().to_string()))
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".into());
    Redirect::to(&back).into_response()
}
