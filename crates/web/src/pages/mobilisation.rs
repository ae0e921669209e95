//! 组织动员: the headline figures as of a day, the deployments on duty that day, and the
//! helpers the people, organisation and application pages share.

use super::{correctable, render, Nav};
use crate::error::PageError;
use crate::extract::PageUser;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use dualtrack_domain::mobilisation::OrgKind;
use dualtrack_service::mobilisation::{DeploymentQuery, DeploymentView, MobilisationFigures};
use dualtrack_service::{Actor, ServiceError};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};

// ---- shared helpers ----

/// Today as a reporting day (China Standard Time), `YYYY-MM-DD`.
pub(super) fn today(app: &dualtrack_service::App) -> String {
    app.today().format("%Y-%m-%d").to_string()
}

pub(super) fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The page number of a list (`page=`), 1 when absent.
/// The highest page number a list page takes (its links add one to it).
pub(super) const MAX_PAGE: i64 = 1_000_000_000;

pub(super) fn page_number(raw: &Option<String>) -> Result<i64, ServiceError> {
    match non_empty(raw) {
        None => Ok(1),
        Some(p) => p
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| {
                ServiceError::invalid(
                    "page",
                    format!("页码“{p}”无效：应为 1 至 {MAX_PAGE} 的整数"),
                )
            }),
    }
}

/// A record number typed into a form field.
pub(super) fn number_field(
    field: &'static str,
    label: &str,
    raw: &str,
) -> Result<i64, ServiceError> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(ServiceError::invalid(field, format!("请填写{label}")));
    }
    v.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ServiceError::invalid(field, format!("{label}“{v}”无效：应为正整数")))
}

/// An optional record number typed into a form field.
pub(super) fn opt_number_field(
    field: &'static str,
    label: &str,
    raw: &str,
) -> Result<Option<i64>, ServiceError> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        number_field(field, label, raw).map(Some)
    }
}

/// Like [`correctable`], and "not found" too: on these forms it is a place or a person typed
/// in that lies outside the user's jurisdiction, which the form can say and keep the input.
/// (The record the form belongs to is fetched again to show the form, and is refused there
/// if it is the one out of reach.)
pub(super) fn refused_on_form(e: ServiceError) -> Result<(StatusCode, String), PageError> {
    match e {
        ServiceError::NotFound(m) => Ok((StatusCode::NOT_FOUND, m)),
        other => correctable(other),
    }
}

/// A query string of the non-empty pairs.
pub(super) fn query_of(pairs: &[(&str, Option<String>)]) -> String {
    let kept: Vec<(&str, String)> = pairs
        .iter()
        .filter_map(|(k, v)| non_empty(v).map(|v| (*k, v)))
        .collect();
    serde_urlencoded::to_string(kept).unwrap_or_default()
}

/// The names of places, looked up once per code; a code without a name stands for itself.
pub(super) struct Places(HashMap<String, String>);

impl Places {
    pub(super) async fn of<'a>(st: &AppState, codes: impl IntoIterator<Item = &'a str>) -> Places {
        let mut names = HashMap::new();
        let wanted: BTreeSet<&str> = codes.into_iter().collect();
        for code in wanted {
            if let Ok(Some(name)) = st.app.name_of(code).await {
                names.insert(code.to_string(), name);
            }
        }
        Places(names)
    }

    pub(super) fn name(&self, code: &str) -> String {
        self.0
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_string())
    }
}

/// A date shown in a list, or a dash.
pub(super) fn opt_date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_else(|| "—".into())
}

/// A deployment as lists show it.
pub(super) struct DeploymentRow {
    pub id: i64,
    /// Still on duty today or later (no end, or an end not yet passed): it may be ended.
    pub open: bool,
    pub person_id: i64,
    pub person_name: String,
    pub place: String,
    pub code: String,
    pub site: String,
    pub role: String,
    pub org_id: Option<i64>,
    pub org_name: String,
    /// `2020-02-10 至 2020-03-10`, or `2020-02-10 起至今`.
    pub period: String,
}

pub(super) async fn deployment_rows(st: &AppState, ds: Vec<DeploymentView>) -> Vec<DeploymentRow> {
    let places = Places::of(st, ds.iter().map(|d| d.jurisdiction_code.as_str())).await;
    let today = today(&st.app);
    ds.into_iter()
        .map(|d| {
            let site = match (d.site_kind, d.site_name) {
                (Some(k), Some(n)) => format!("{} · {n}", k.zh()),
                (Some(k), None) => k.zh().to_string(),
                (None, Some(n)) => n,
                (None, None) => "—".into(),
            };
            DeploymentRow {
                id: d.id,
                open: d.end_on.is_none_or(|e| e.to_string() >= today),
                person_id: d.person_id,
                person_name: d.person_name,
                place: places.name(&d.jurisdiction_code),
                code: d.jurisdiction_code,
                site,
                role: d.role,
                org_id: d.org_id,
                org_name: d.org_name.unwrap_or_default(),
                period: match d.end_on {
                    Some(e) => format!("{} 至 {e}", d.start_on),
                    None => format!("{} 起至今", d.start_on),
                },
            }
        })
        .collect()
}

// ---- the figures ----

/// Organisations of one kind standing on the day, by county.
pub(super) struct KindRow {
    pub kind: &'static str,
    pub name: &'static str,
    pub cells: Vec<i64>,
    pub total: i64,
}

pub(super) struct County {
    pub code: String,
    pub name: String,
}

/// The organisations of the figures as a table: every kind × the counties that have any.
pub(super) struct OrgTable {
    pub counties: Vec<County>,
    pub rows: Vec<KindRow>,
    pub column_totals: Vec<i64>,
    pub total: i64,
}

impl OrgTable {
    pub(super) async fn of(st: &AppState, f: &MobilisationFigures) -> OrgTable {
        let codes: BTreeSet<&str> = f
            .organisations
            .iter()
            .map(|o| o.county_code.as_str())
            .collect();
        let places = Places::of(st, codes.iter().copied()).await;
        let counties: Vec<County> = codes
            .iter()
            .map(|c| County {
                code: c.to_string(),
                name: places.name(c),
            })
            .collect();
        let rows: Vec<KindRow> = OrgKind::ALL
            .iter()
            .map(|k| {
                let cells: Vec<i64> = counties
                    .iter()
                    .map(|c| {
                        f.organisations
                            .iter()
                            .filter(|o| o.kind == *k && o.county_code == c.code)
                            .map(|o| o.count)
                            .sum()
                    })
                    .collect();
                KindRow {
                    kind: k.as_str(),
                    name: k.zh(),
                    total: cells.iter().sum(),
                    cells,
                }
            })
            .collect();
        let column_totals: Vec<i64> = (0..counties.len())
            .map(|i| rows.iter().map(|r| r.cells[i]).sum())
            .collect();
        OrgTable {
            total: column_totals.iter().sum(),
            counties,
            rows,
            column_totals,
        }
    }
}

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
    error: Option<String>,
    page: i64,
    has_next: bool,
    prev_query: String,
    next_query: String,
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
    let query = |p: i64| {
        query_of(&[
            ("on_day", Some(on_day.clone())),
            ("page", Some(p.to_string())),
        ])
    };
    let tpl = DeploymentsPage {
        nav: Nav::of(&st, &actor).await,
        rows: deployment_rows(&st, found).await,
        error,
        page,
        has_next,
        prev_query: query(page - 1),
        next_query: query(page + 1),
        on_day,
    };
    Ok((status, render(&tpl)).into_response())
}
