//! 重大项目 and 重点生产 pages: start and investment rates as of a day with counties side by
//! side; a project with its start and investment forms; key plants' output against capacity
//! and shipments by province; a plant with its daily output and shipment forms.

use crate::display::{script_json, shown, today, Shown};
use crate::error::PageError;
use crate::extract::{parse_id, PageForm, PageUser};
use crate::forms::{asked_or_fallback, redirect_or_again, refused_on_form, Done};
use crate::shell::{render, Nav};
use crate::state::AppState;
use crate::views::Places;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use dualtrack_domain::projects::{provinces, ShipMode};
use dualtrack_domain::role::Permission;
use dualtrack_service::projects::{
    KeyProductionView, OutputInput, OutputView, PeriodQuery, PlantView, ProgressInput,
    ProjectDetail, ProjectPlaceRates, ProjectRatesView, ShipmentInput, ShipmentView, StartInput,
};
use dualtrack_service::{Actor, ServiceError};
use serde::Deserialize;

/// A whole number typed into a form; the service says what range it must be in.
fn int_field(field: &'static str, label: &str, raw: &str) -> Result<i64, ServiceError> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(ServiceError::invalid(field, format!("请填写{label}")));
    }
    v.parse::<i64>()
        .map_err(|_| ServiceError::invalid(field, format!("{label}“{v}”无效：应为整数")))
}

#[derive(Deserialize, Default)]
pub struct AsOf {
    as_of: Option<String>,
    from: Option<String>,
}

fn as_of_or_today(app: &dualtrack_service::App, raw: &Option<String>) -> String {
    raw.as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| today(app))
}

// ---- 重大项目 ----

pub struct PlaceLine {
    pub name: String,
    pub projects: i64,
    pub restarts: i64,
    pub start_rate: Shown,
    pub start_rate_all: Shown,
    pub started_ahead: i64,
    pub investment_rate: Shown,
}

fn place_line(p: &ProjectPlaceRates, places: &Places) -> PlaceLine {
    PlaceLine {
        name: places.name(&p.code),
        projects: p.projects,
        restarts: p.restarts,
        start_rate: shown(&p.start_rate),
        start_rate_all: shown(&p.start_rate_all),
        started_ahead: p.started_ahead,
        investment_rate: shown(&p.investment_rate),
    }
}

pub struct ProjectRow {
    pub id: i64,
    pub name: String,
    pub place: String,
    pub category: String,
    pub kind: &'static str,
    pub planned_start: String,
    pub started_on: String,
    pub completed: i64,
    pub annual_plan: i64,
    pub investment_rate: Shown,
}

#[derive(Template)]
#[template(path = "projects.html")]
struct ProjectsPage {
    nav: Nav,
    as_of: String,
    plan_year: i64,
    total: PlaceLine,
    counties: Vec<PlaceLine>,
    projects: Vec<ProjectRow>,
    error: Option<String>,
    /// Counties' start and investment rates as chart JSON.
    county_chart: String,
}

/// A place's name as a chart's axis shows it on a phone: 格尔木市 → 格尔木, 广西壮族自治区 →
/// 广西, 大柴旦行政委员会 → 大柴旦.
fn short_name(name: &str) -> String {
    const SUFFIXES: [&str; 9] = [
        "壮族自治区",
        "回族自治区",
        "维吾尔自治区",
        "特别行政区",
        "行政委员会",
        "自治区",
        "省",
        "市",
        "县",
    ];
    for s in SUFFIXES {
        if let Some(short) = name.strip_suffix(s) {
            if short.chars().count() >= 2 {
                return short.to_string();
            }
        }
    }
    name.to_string()
}

/// At most this many provinces in the shipments chart (those that received most); the
/// table beside it lists them all.
pub const CHART_PROVINCES: usize = 8;

/// Counties' start rate (as planned) and investment completion rate side by side.
fn county_chart_json(view: &ProjectRatesView, places: &Places) -> serde_json::Value {
    let x: Vec<String> = view
        .counties
        .iter()
        .map(|c| short_name(&places.name(&c.code)))
        .collect();
    let starts: Vec<Option<f64>> = view.counties.iter().map(|c| c.start_rate.percent).collect();
    let investment: Vec<Option<f64>> = view
        .counties
        .iter()
        .map(|c| c.investment_rate.percent)
        .collect();
    serde_json::json!({
        "x": x,
        "series": [
            {"name": "开工率（按计划）", "data": starts},
            {"name": "投资完成率", "data": investment},
        ],
        "unit": "%",
    })
}

pub async fn rates(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<AsOf>,
) -> Result<Response, PageError> {
    let as_of = as_of_or_today(&st.app, &q.as_of);
    let (view, error, status) =
        asked_or_fallback(st.app.project_rates(&actor, &as_of).await, || async {
            st.app.project_rates(&actor, &today(&st.app)).await
        })
        .await?;
    let places = Places::of(
        &st,
        view.counties
            .iter()
            .map(|c| c.code.as_str())
            .chain([view.total.code.as_str()])
            .chain(view.projects.iter().map(|p| p.jurisdiction_code.as_str())),
    )
    .await;
    let page = ProjectsPage {
        nav: Nav::of(&st, &actor).await,
        county_chart: script_json(&county_chart_json(&view, &places)),
        plan_year: view.plan_year,
        total: place_line(&view.total, &places),
        counties: view
            .counties
            .iter()
            .map(|c| place_line(c, &places))
            .collect(),
        projects: view
            .projects
            .iter()
            .map(|p| ProjectRow {
                id: p.id,
                name: p.name.clone(),
                place: places.name(&p.jurisdiction_code),
                category: p.category_name.clone(),
                kind: if p.is_restart {
                    "续建复工"
                } else {
                    "新开工"
                },
                planned_start: p.planned_start.to_string(),
                started_on: p
                    .started_on
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "未开工".into()),
                completed: p.completed,
                annual_plan: p.annual_plan,
                investment_rate: shown(&p.investment_rate),
            })
            .collect(),
        as_of: view.as_of.to_string(),
        error,
    };
    Ok((status, render(&page)).into_response())
}

#[derive(Template)]
#[template(path = "project.html")]
struct ProjectPage {
    nav: Nav,
    d: ProjectDetail,
    place: String,
    investment: Shown,
    can_manage: bool,
    today: String,
    error: Option<String>,
}

async fn project_page(
    st: &AppState,
    actor: &Actor,
    id: i64,
    error: Option<String>,
    notice: Option<String>,
) -> Result<ProjectPage, PageError> {
    let d = st.app.get_project(actor, id).await?;
    let places = Places::of(st, [d.project.jurisdiction_code.as_str()]).await;
    Ok(ProjectPage {
        nav: Nav::of(st, actor).await.with_notice(notice),
        place: places.name(&d.project.jurisdiction_code),
        investment: shown(&d.investment_rate),
        can_manage: actor.can(Permission::ManageEnterprises),
        today: today(&st.app),
        d,
        error,
    })
}

pub async fn project(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, PageError> {
    let notice = d.notice(&[("start", "已登记开工（复工）")], "投资进度已填报");
    Ok(render(
        &project_page(&st, &actor, parse_id(&id)?, None, notice).await?,
    ))
}

#[derive(Deserialize, Default)]
pub struct StartForm {
    #[serde(default)]
    actual_start: String,
}

pub async fn start(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(f): PageForm<StartForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let input = StartInput {
        actual_start: f.actual_start,
    };
    redirect_or_again(
        st.app.start_project(&actor, id, &input).await,
        |_| format!("/projects/{id}?done=start"),
        refused_on_form,
        |message| project_page(&st, &actor, id, Some(message), None),
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct ProgressForm {
    #[serde(default)]
    as_of: String,
    #[serde(default)]
    completed: String,
    #[serde(default)]
    note: String,
}

pub async fn progress(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(f): PageForm<ProgressForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let done = async {
        let input = ProgressInput {
            as_of: f.as_of.clone(),
            completed: int_field("completed", "年度累计完成投资", &f.completed)?,
            note: f.note.clone(),
        };
        st.app.record_progress(&actor, id, &input).await
    }
    .await;
    redirect_or_again(
        done,
        |_| format!("/projects/{id}?done=progress"),
        refused_on_form,
        |message| project_page(&st, &actor, id, Some(message), None),
    )
    .await
}

// ---- 重点生产 ----

pub struct PlantLine {
    pub id: i64,
    pub name: String,
    pub place: String,
    pub product: String,
    pub unit: String,
    pub capacity: i64,
    pub day_output: String,
    pub utilisation: Shown,
    pub period_output: i64,
    pub period_utilisation: Shown,
    pub shipped: i64,
}

pub struct ProductCard {
    pub product: String,
    pub unit: String,
    pub plants: i64,
    pub utilisation: Shown,
    pub period_output: i64,
    pub shipped: i64,
}

pub struct ProvinceRow {
    pub name: String,
    pub code: String,
    pub product: String,
    pub unit: String,
    pub road: i64,
    pub rail: i64,
    pub quantity: i64,
}

#[derive(Template)]
#[template(path = "key_production.html")]
struct ProductionPage {
    nav: Nav,
    as_of: String,
    from: String,
    days: i64,
    products: Vec<ProductCard>,
    plants: Vec<PlantLine>,
    provinces: Vec<ProvinceRow>,
    error: Option<String>,
    /// Each plant's daily utilisation over the period, as chart JSON.
    output_chart: String,
    /// Shipments by province, a series per product, as chart JSON.
    province_chart: String,
    /// How many provinces received shipments (the chart shows at most CHART_PROVINCES).
    province_count: usize,
    chart_provinces: usize,
}

/// Each plant's output day by day over the period as a percentage of its design capacity
/// (a gap where no output was reported).
fn output_chart_json(
    v: &KeyProductionView,
    outputs: &[(String, Vec<OutputView>)],
) -> serde_json::Value {
    let days: Vec<chrono::NaiveDate> = v.from.iter_days().take_while(|d| *d <= v.as_of).collect();
    let series: Vec<serde_json::Value> = outputs
        .iter()
        .map(|(name, list)| {
            let data: Vec<Option<f64>> = days
                .iter()
                .map(|d| {
                    list.iter()
                        .find(|o| o.output_date == *d)
                        .and_then(|o| o.utilisation.percent)
                })
                .collect();
            serde_json::json!({"name": name, "data": data})
        })
        .collect();
    let x: Vec<String> = days.iter().map(|d| d.format("%m-%d").to_string()).collect();
    serde_json::json!({"x": x, "series": series, "unit": "%"})
}

/// Shipments over the period by destination province, a bar per product, for the provinces
/// that received most; and how many provinces there are in all.
fn province_chart_json(v: &KeyProductionView) -> (serde_json::Value, usize) {
    let mut totals: Vec<(&str, i64)> = Vec::new();
    for p in &v.provinces {
        match totals.iter_mut().find(|(n, _)| *n == p.province_name) {
            Some(t) => t.1 += p.quantity,
            None => totals.push((&p.province_name, p.quantity)),
        }
    }
    totals.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let named = totals.len().min(CHART_PROVINCES);
    let x: Vec<String> = totals[..named].iter().map(|(n, _)| short_name(n)).collect();
    let mut products: Vec<(String, Vec<i64>)> = Vec::new();
    for p in &v.provinces {
        let Some(i) = totals[..named]
            .iter()
            .position(|(n, _)| *n == p.province_name)
        else {
            continue;
        };
        let name = format!("{}（{}）", p.product, p.unit);
        let k = match products.iter().position(|(n, _)| *n == name) {
            Some(k) => k,
            None => {
                products.push((name, vec![0; x.len()]));
                products.len() - 1
            }
        };
        products[k].1[i] += p.quantity;
    }
    let series: Vec<serde_json::Value> = products
        .into_iter()
        .map(|(name, data)| serde_json::json!({"name": name, "data": data}))
        .collect();
    (
        serde_json::json!({"x": x, "series": series, "unit": ""}),
        totals.len(),
    )
}

fn production_page(
    nav: Nav,
    v: KeyProductionView,
    places: &Places,
    outputs: &[(String, Vec<OutputView>)],
    error: Option<String>,
) -> ProductionPage {
    let provinces = province_chart_json(&v);
    ProductionPage {
        nav,
        output_chart: script_json(&output_chart_json(&v, outputs)),
        province_chart: script_json(&provinces.0),
        province_count: provinces.1,
        chart_provinces: CHART_PROVINCES,
        as_of: v.as_of.to_string(),
        from: v.from.to_string(),
        days: v.days,
        products: v
            .products
            .iter()
            .map(|p| ProductCard {
                product: p.product.clone(),
                unit: p.unit.clone(),
                plants: p.plants,
                utilisation: shown(&p.utilisation),
                period_output: p.period_output,
                shipped: p.shipped,
            })
            .collect(),
        plants: v
            .plants
            .iter()
            .map(|p| PlantLine {
                id: p.id,
                name: p.name.clone(),
                place: places.name(&p.jurisdiction_code),
                product: p.product.clone(),
                unit: p.unit.clone(),
                capacity: p.design_capacity,
                day_output: p
                    .day_output
                    .map(|o| o.to_string())
                    .unwrap_or_else(|| "未报".into()),
                utilisation: shown(&p.utilisation),
                period_output: p.period_output,
                period_utilisation: shown(&p.period_utilisation),
                shipped: p.shipped,
            })
            .collect(),
        provinces: v
            .provinces
            .into_iter()
            .map(|p| ProvinceRow {
                name: p.province_name,
                code: p.province_code,
                product: p.product,
                unit: p.unit,
                road: p.road,
                rail: p.rail,
                quantity: p.quantity,
            })
            .collect(),
        error,
    }
}

pub async fn production(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<AsOf>,
) -> Result<Response, PageError> {
    let as_of = as_of_or_today(&st.app, &q.as_of);
    let from = q.from.clone().filter(|f| !f.trim().is_empty());
    let (view, error, status) = asked_or_fallback(
        st.app.key_production(&actor, &as_of, from.as_deref()).await,
        || async { st.app.key_production(&actor, &today(&st.app), None).await },
    )
    .await?;
    let places = Places::of(
        &st,
        view.plants.iter().map(|p| p.jurisdiction_code.as_str()),
    )
    .await;
    let period = PeriodQuery {
        from: Some(view.from.to_string()),
        to: Some(view.as_of.to_string()),
    };
    let mut outputs = Vec::new();
    for p in &view.plants {
        let list = st.app.plant_outputs(&actor, p.id, &period).await?;
        outputs.push((p.name.clone(), list));
    }
    let page = production_page(Nav::of(&st, &actor).await, view, &places, &outputs, error);
    Ok((status, render(&page)).into_response())
}

#[derive(Template)]
#[template(path = "key_plant.html")]
struct PlantPage {
    nav: Nav,
    p: PlantView,
    place: String,
    outputs: Vec<(OutputView, Shown)>,
    shipments: Vec<ShipmentView>,
    can_file: bool,
    provinces: Vec<(&'static str, &'static str)>,
    modes: Vec<(&'static str, &'static str)>,
    today: String,
    error: Option<String>,
}

async fn plant_page(
    st: &AppState,
    actor: &Actor,
    id: i64,
    error: Option<String>,
    notice: Option<String>,
) -> Result<PlantPage, PageError> {
    let p = st.app.get_plant(actor, id).await?;
    let all = PeriodQuery::default();
    let mut outputs = st.app.plant_outputs(actor, id, &all).await?;
    outputs.truncate(31);
    let mut shipments = st.app.plant_shipments(actor, id, &all).await?;
    shipments.truncate(60);
    let places = Places::of(st, [p.jurisdiction_code.as_str()]).await;
    Ok(PlantPage {
        nav: Nav::of(st, actor).await.with_notice(notice),
        place: places.name(&p.jurisdiction_code),
        outputs: outputs
            .into_iter()
            .map(|o| {
                let s = shown(&o.utilisation);
                (o, s)
            })
            .collect(),
        shipments,
        can_file: actor.can(Permission::FileReports),
        provinces: provinces(),
        modes: ShipMode::choices(),
        today: today(&st.app),
        p,
        error,
    })
}

pub async fn plant(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, PageError> {
    let notice = d.notice(&[("output", "日产量已填报")], "发运已登记");
    Ok(render(
        &plant_page(&st, &actor, parse_id(&id)?, None, notice).await?,
    ))
}

#[derive(Deserialize, Default)]
pub struct OutputForm {
    #[serde(default)]
    output_date: String,
    #[serde(default)]
    output: String,
}

pub async fn file_output(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(f): PageForm<OutputForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let done = async {
        let input = OutputInput {
            output_date: f.output_date.clone(),
            output: int_field("output", "当日产量", &f.output)?,
        };
        st.app.file_output(&actor, id, &input).await
    }
    .await;
    redirect_or_again(
        done,
        |_| format!("/key-plants/{id}?done=output"),
        refused_on_form,
        |message| plant_page(&st, &actor, id, Some(message), None),
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct ShipmentForm {
    #[serde(default)]
    idempotency_key: Option<String>,
    #[serde(default)]
    ship_date: String,
    #[serde(default)]
    province_code: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    note: String,
}

pub async fn record_shipment(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(f): PageForm<ShipmentForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let done = async {
        let input = ShipmentInput {
            idempotency_key: f.idempotency_key.clone(),
            ship_date: f.ship_date.clone(),
            province_code: f.province_code.clone(),
            quantity: int_field("quantity", "发运量", &f.quantity)?,
            mode: f.mode.clone(),
            note: f.note.clone(),
        };
        st.app.record_shipment(&actor, id, &input).await
    }
    .await;
    redirect_or_again(
        done,
        |_| format!("/key-plants/{id}?done=shipment"),
        refused_on_form,
        |message| plant_page(&st, &actor, id, Some(message), None),
    )
    .await
}
