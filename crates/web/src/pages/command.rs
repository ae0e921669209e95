//! The command pages: the leaders' dashboard (指挥视图) as of a day for a place, with
//! drill-down from the prefecture to a county and a township, charts of four weeks and of
//! the places side by side, and a full-screen mode for a wall display; the daily briefing,
//! printable and downloadable as Word and Markdown; the indicator catalogue.

use crate::display::script_json;
use crate::error::PageError;
use crate::extract::PageUser;
use crate::forms::non_empty;
use crate::shell::{render, Nav};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use dualtrack_service::briefing::Briefing;
use dualtrack_service::command::{CommandQuery, Dashboard, FigureValue, IndicatorView};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize, Default)]
pub struct Params {
    as_of: Option<String>,
    place: Option<String>,
    wall: Option<String>,
}

impl Params {
    fn query(&self) -> CommandQuery {
        CommandQuery {
            as_of: non_empty(&self.as_of),
            place: non_empty(&self.place),
        }
    }
}

/// How a figure moved from the day before, for the arrow beside it.
pub fn change(f: &FigureValue) -> String {
    match (f.value, f.previous) {
        (Some(v), Some(p)) if (v - p).abs() < 0.05 => "持平".into(),
        (Some(v), Some(p)) if f.unit == "%" => format!(
            "{}{:.1} 个百分点",
            if v > p { "↑" } else { "↓" },
            (v - p).abs()
        ),
        (Some(v), Some(p)) => format!("{}{}", if v > p { "↑" } else { "↓" }, (v - p).abs()),
        _ => String::new(),
    }
}

/// One line or set of bars of a chart: a rate (percent, on an axis of its own from 0 to
/// 100) or a count with its unit.
struct Series {
    name: &'static str,
    unit: &'static str,
    rate: bool,
    data: Vec<Option<f64>>,
}

impl Series {
    fn rate(name: &'static str, data: Vec<Option<f64>>) -> Series {
        let data = data
            .into_iter()
            .map(|v| v.map(|p| (p * 10.0).round() / 10.0))
            .collect();
        Series {
            name,
            unit: "%",
            rate: true,
            data,
        }
    }

    fn count(name: &'static str, unit: &'static str, data: Vec<Option<f64>>) -> Series {
        Series {
            name,
            unit,
            rate: false,
            data,
        }
    }
}

/// A chart's figures for `charts.js`: counts on the left axis, rates on a percent axis of
/// their own on the right; a series with no figure at all is left out (a township has no
/// rates of its villages), and a chart with none says so instead of drawing nothing.
fn chart(x: Vec<String>, series: Vec<Series>) -> serde_json::Value {
    let series: Vec<Series> = series
        .into_iter()
        .filter(|s| s.data.iter().any(Option::is_some))
        .collect();
    let mut units: Vec<&str> = Vec::new();
    for s in series.iter().filter(|s| !s.rate) {
        if !units.contains(&s.unit) {
            units.push(s.unit);
        }
    }
    json!({
        "x": x,
        "empty": "这一级地区还没有可并列的数字",
        "axes": [
            {"name": units.join("、"), "unit": ""},
            {"name": "%", "unit": "%", "max": 100},
        ],
        "series": series.iter().map(|s| json!({
            "name": format!("{}（{}）", s.name, s.unit),
            "unit": s.unit,
            "axis": if s.rate { 1 } else { 0 },
            "data": s.data,
        })).collect::<Vec<_>>(),
    })
}

/// What the two counts behind a rate count, by indicator.
fn parts_unit(id: &str) -> &'static str {
    match id {
        "prevention.grid_on_time" => "个网格",
        "resumption.rate" => "家",
        "resumption.return_to_work" => "人",
        "resumption.projects_started" => "个项目",
        "resumption.investment" => "万元",
        "resumption.key_capacity" => "吨",
        "supplies.farm_prepared" => "亩",
        "whistle.overdue_rate" => "次呼叫",
        "whistle.satisfaction" => "件",
        _ => "",
    }
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    nav: Nav,
    d: Dashboard,
    wall: bool,
    trend_chart: String,
    places_chart: String,
    drill: bool,
}

impl DashboardPage {
    fn change(&self, f: &FigureValue) -> String {
        change(f)
    }

    /// The two counts behind a rate, with what they count: "0 / 1004000 万元".
    fn parts(&self, f: &FigureValue) -> String {
        let Some(n) = f.denominator else {
            return String::new();
        };
        let m = f.numerator.map(|m| m.to_string()).unwrap_or_default();
        match parts_unit(&f.id) {
            "" => format!("{m} / {n}"),
            unit => format!("{m} / {n} {unit}"),
        }
    }

    /// The element id of a figure: its indicator id with dots as dashes.
    fn dom_id(&self, f: &FigureValue) -> String {
        f.id.replace('.', "-")
    }
}

pub async fn dashboard(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(p): Query<Params>,
) -> Result<Response, PageError> {
    let d = st.app.dashboard(&actor, &p.query()).await?;
    let x: Vec<String> = d
        .series
        .iter()
        .map(|s| s.date.format("%m-%d").to_string())
        .collect();
    let trend = chart(
        x,
        vec![
            Series::rate("开复工率", d.series.iter().map(|s| s.resumption).collect()),
            Series::count(
                "在管隔离与监测",
                "人",
                d.series
                    .iter()
                    .map(|s| s.under_monitoring.map(|n| n as f64))
                    .collect(),
            ),
            Series::count(
                "卡口登记",
                "人次",
                d.series
                    .iter()
                    .map(|s| s.passages.map(|n| n as f64))
                    .collect(),
            ),
        ],
    );
    let c = &d.children;
    let places = chart(
        c.iter().map(|c| c.name.clone()).collect(),
        vec![
            Series::rate(
                "开复工率",
                c.iter()
                    .map(|c| c.resumption.as_ref().and_then(|r| r.percent))
                    .collect(),
            ),
            Series::count(
                "在管隔离与监测",
                "人",
                c.iter()
                    .map(|c| c.under_monitoring.map(|n| n as f64))
                    .collect(),
            ),
            Series::count(
                "交接待接收",
                "人",
                c.iter()
                    .map(|c| c.handovers_pending.map(|n| n as f64))
                    .collect(),
            ),
        ],
    );
    let drill = d.place.code.len() < 9;
    let page = DashboardPage {
        nav: Nav::of(&st, &actor).await,
        wall: p.wall.as_deref().is_some_and(|w| w == "1" || w == "true"),
        trend_chart: script_json(&trend),
        places_chart: script_json(&places),
        drill,
        d,
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "briefing.html")]
struct BriefingPage {
    nav: Nav,
    b: Briefing,
    query: String,
}

pub async fn briefing(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(p): Query<Params>,
) -> Result<Response, PageError> {
    let b = st.app.briefing(&actor, &p.query()).await?;
    let query = format!("as_of={}&place={}", b.as_of, b.place_code);
    let page = BriefingPage {
        nav: Nav::of(&st, &actor).await,
        b,
        query,
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "indicators.html")]
struct IndicatorsPage {
    nav: Nav,
    list: Vec<IndicatorView>,
}

pub async fn indicators(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
) -> Result<Response, PageError> {
    let page = IndicatorsPage {
        nav: Nav::of(&st, &actor).await,
        list: dualtrack_service::command::indicators(),
    };
    Ok(render(&page))
}
