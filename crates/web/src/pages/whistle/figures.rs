//! The leader's figures of the tickets.

use crate::error::PageError;
use crate::extract::PageUser;
use crate::forms::non_empty;
use crate::shell::{render, Nav};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use dualtrack_service::whistle::{WhistleFigures, WhistleFiguresQuery};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "whistle_figures.html")]
struct FiguresPage {
    nav: Nav,
    f: WhistleFigures,
    /// Response times by place, drawn as bars (the table beside it holds the same).
    place_chart: String,
    from: String,
    to: String,
}

fn opt_num<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref()
        .map(|x| x.to_string())
        .unwrap_or_else(|| "—".into())
}

impl FiguresPage {
    fn n<T: std::fmt::Display>(&self, v: &Option<T>) -> String {
        opt_num(v)
    }
}

#[derive(Deserialize, Default)]
pub struct FiguresParams {
    from: Option<String>,
    to: Option<String>,
    place: Option<String>,
}

pub async fn figures(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<FiguresParams>,
) -> Result<Response, PageError> {
    let f = st
        .app
        .whistle_figures(
            &actor,
            &WhistleFiguresQuery {
                from: non_empty(&q.from),
                to: non_empty(&q.to),
                place: non_empty(&q.place),
            },
        )
        .await?;
    // Only places with tickets are drawn, so the labels fit on a phone.
    let drawn: Vec<_> = f.places.iter().filter(|p| p.tickets > 0).collect();
    let place_chart = crate::display::script_json(&serde_json::json!({
        "x": drawn.iter().map(|p| p.name.clone()).collect::<Vec<_>>(),
        "series": [
            {"name": "报到用时中位数", "data": drawn.iter().map(|p| p.figure.response_median_minutes).collect::<Vec<_>>()},
            {"name": "报到用时 90 分位", "data": drawn.iter().map(|p| p.figure.response_p90_minutes).collect::<Vec<_>>()},
        ],
        "unit": " 分钟",
    }));
    let page = FiguresPage {
        nav: Nav::of(&st, &actor).await,
        place_chart,
        from: f.from.to_string(),
        to: f.to.to_string(),
        f,
    };
    Ok(render(&page))
}
