//! The pages of the work groups stationed in enterprises: the groups with the report's
//! figure, an enterprise's visit form (for a phone) with its visits and problems, and the
//! production problems counted by category, with the county's resolve form.

use crate::display::{script_json, today};
use crate::error::PageError;
use crate::extract::{parse_id, PageForm, PageUser};
use crate::forms::{asked_or_fallback, redirect_or_again, refused_on_form, Done};
use crate::shell::{render, Nav};
use crate::state::AppState;
use crate::views::Places;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dualtrack_domain::role::Permission;
use dualtrack_domain::workgroups::{PreventionCheck, ProblemCategory, ProblemStatus};
use dualtrack_service::resumption::EnterpriseView;
use dualtrack_service::workgroups::{
    ProblemCounts, ProblemDraft, ProblemView, ProblemsQuery, ResolveInput, StationedGroup,
    VisitInput, VisitView, WorkGroupView, WorkGroupsQuery, WorkGroupsView,
};
use dualtrack_service::{Actor, ServiceError};
use serde::Deserialize;

fn blank_none(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

// ---- the groups ----

pub struct GroupLine {
    pub g: WorkGroupView,
    pub county: String,
}

#[derive(Template)]
#[template(path = "work_groups.html")]
struct GroupsPage {
    nav: Nav,
    as_of: String,
    today: String,
    view: WorkGroupsView,
    lines: Vec<GroupLine>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct AsOf {
    as_of: Option<String>,
}

pub async fn groups(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<AsOf>,
) -> Result<Response, PageError> {
    let as_of = blank_none(&q.as_of).unwrap_or_else(|| today(&st.app));
    let asked = WorkGroupsQuery {
        as_of: Some(as_of.clone()),
    };
    let (view, error, status) =
        asked_or_fallback(st.app.work_groups(&actor, &asked).await, || async {
            let fallback = WorkGroupsQuery {
                as_of: Some(today(&st.app)),
            };
            st.app.work_groups(&actor, &fallback).await
        })
        .await?;
    let places = Places::of(
        &st,
        view.groups.iter().map(|g| county_of(&g.jurisdiction_code)),
    )
    .await;
    let lines = view
        .groups
        .iter()
        .map(|g| GroupLine {
            county: places.name(county_of(&g.jurisdiction_code)),
            g: g.clone(),
        })
        .collect();
    let page = GroupsPage {
        nav: Nav::of(&st, &actor).await,
        as_of: view.as_of.to_string(),
        today: today(&st.app),
        view,
        lines,
        error,
    };
    Ok((status, render(&page)).into_response())
}

fn county_of(code: &str) -> &str {
    code.get(..6).unwrap_or(code)
}

// ---- an enterprise's visits ----

#[derive(Deserialize, Default, Clone)]
pub struct VisitForm {
    #[serde(default)]
    idempotency_key: Option<String>,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    visited_on: String,
    /// `group:person` for each cadre ticked.
    #[serde(default)]
    visitor: Vec<String>,
    #[serde(default)]
    check: Vec<String>,
    #[serde(default)]
    findings: String,
    #[serde(default)]
    problem_category: String,
    #[serde(default)]
    problem_description: String,
}

impl VisitForm {
    fn has_visitor(&self, org: &i64, person: &i64) -> bool {
        let v = format!("{org}:{person}");
        self.visitor.contains(&v)
    }

    fn has_check(&self, c: &str) -> bool {
        self.check.iter().any(|x| x == c)
    }

    fn picks_group(&self, org: &i64) -> bool {
        self.org_id == org.to_string()
    }
}

#[derive(Template)]
#[template(path = "visit.html")]
struct VisitPage {
    nav: Nav,
    e: EnterpriseView,
    groups: Vec<StationedGroup>,
    visits: Vec<VisitView>,
    problems: Vec<ProblemView>,
    can_record: bool,
    can_resolve: bool,
    checks: Vec<(&'static str, &'static str)>,
    categories: Vec<(&'static str, &'static str)>,
    form: VisitForm,
    today: String,
    error: Option<String>,
}

async fn visit_page(
    st: &AppState,
    actor: &Actor,
    id: i64,
    form: Option<VisitForm>,
    error: Option<String>,
    notice: Option<String>,
) -> Result<VisitPage, PageError> {
    let e = st.app.get_enterprise(actor, id).await?;
    let groups = st.app.stationed_groups(actor, id).await?;
    let mut visits = st.app.enterprise_visits(actor, id).await?;
    visits.truncate(20);
    let problems = st
        .app
        .list_problems(
            actor,
            &ProblemsQuery {
                enterprise_id: Some(id),
                ..Default::default()
            },
        )
        .await?;
    let form = form.unwrap_or_else(|| VisitForm {
        org_id: groups
            .first()
            .map(|g| g.org_id.to_string())
            .unwrap_or_default(),
        visited_on: today(&st.app),
        ..Default::default()
    });
    Ok(VisitPage {
        nav: Nav::of(st, actor).await.with_notice(notice),
        e,
        groups,
        visits,
        problems,
        can_record: actor.can(Permission::FileReports),
        can_resolve: actor.can(Permission::ManageEnterprises),
        checks: PreventionCheck::choices(),
        categories: ProblemCategory::choices(),
        form,
        today: today(&st.app),
        error,
    })
}

pub async fn visit_form(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, PageError> {
    let notice = d.notice(&[("resolved", "已记录解决情况")], "走访已记录");
    Ok(render(
        &visit_page(&st, &actor, parse_id(&id)?, None, None, notice).await?,
    ))
}

pub async fn record_visit(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(f): PageForm<VisitForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let recorded = async {
        let org_id = f
            .org_id
            .trim()
            .parse::<i64>()
            .map_err(|_| ServiceError::invalid("org_id", "请选择走访的工作组"))?;
        let mut visitor_ids = Vec::new();
        for v in &f.visitor {
            let person = v
                .split_once(':')
                .and_then(|(_, p)| p.trim().parse::<i64>().ok())
                .ok_or_else(|| ServiceError::invalid("visitor_ids", "走访干部的选择无效"))?;
            visitor_ids.push(person);
        }
        let description = f.problem_description.trim();
        let problems = if description.is_empty() {
            vec![]
        } else {
            vec![ProblemDraft {
                category: f.problem_category.clone(),
                description: description.to_string(),
            }]
        };
        let input = VisitInput {
            idempotency_key: f.idempotency_key.clone(),
            org_id,
            visited_on: f.visited_on.clone(),
            visitor_ids,
            checks: f.check.clone(),
            findings: f.findings.clone(),
            problems,
        };
        st.app.record_visit(&actor, id, &input).await
    }
    .await;
    redirect_or_again(
        recorded,
        |_| format!("/enterprises/{id}/visit?done=visit"),
        refused_on_form,
        |message| visit_page(&st, &actor, id, Some(f), Some(message), None),
    )
    .await
}

// ---- problems ----

#[derive(Deserialize, Default, Clone)]
pub struct ProblemFilterForm {
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    county: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

pub struct CountLine {
    pub code: &'static str,
    pub name: String,
    pub open: i64,
    pub resolved: i64,
    pub total: i64,
}

#[derive(Template)]
#[template(path = "production_problems.html")]
struct ProblemsPage {
    nav: Nav,
    counts: ProblemCounts,
    lines: Vec<CountLine>,
    problems: Vec<ProblemView>,
    category: String,
    status: String,
    county: String,
    categories: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    counties: Vec<(String, String)>,
    can_resolve: bool,
    today: String,
    error: Option<String>,
    /// Problems by category, open and resolved, as chart JSON.
    category_chart: String,
}

/// Problems by category as a bar chart: open and resolved side by side.
fn category_chart_json(counts: &ProblemCounts) -> serde_json::Value {
    let x: Vec<&str> = counts
        .by_category
        .iter()
        .map(|c| c.category_name.as_str())
        .collect();
    let open: Vec<i64> = counts.by_category.iter().map(|c| c.open).collect();
    let resolved: Vec<i64> = counts.by_category.iter().map(|c| c.resolved).collect();
    serde_json::json!({
        "x": x,
        "series": [
            {"name": "待解决", "data": open},
            {"name": "已解决", "data": resolved},
        ],
        "unit": "",
    })
}

async fn problems_page(
    st: &AppState,
    actor: &Actor,
    f: &ProblemFilterForm,
    error: Option<String>,
) -> Result<(StatusCode, ProblemsPage), PageError> {
    let q = ProblemsQuery {
        category: blank_none(&f.category),
        status: blank_none(&f.status),
        county: blank_none(&f.county),
        ..Default::default()
    };
    let (counts, problems, error, status) = match async {
        let counts = st.app.problem_counts(actor, &q).await?;
        let problems = st.app.list_problems(actor, &q).await?;
        Ok::<_, ServiceError>((counts, problems))
    }
    .await
    {
        Ok((c, p)) => (c, p, error, StatusCode::OK),
        Err(e) => {
            let (status, message) = refused_on_form(e)?;
            let all = ProblemsQuery::default();
            (
                st.app.problem_counts(actor, &all).await?,
                st.app.list_problems(actor, &all).await?,
                Some(message),
                status,
            )
        }
    };
    let lines = counts
        .by_category
        .iter()
        .map(|c| CountLine {
            code: c.category.as_str(),
            name: c.category_name.clone(),
            open: c.open,
            resolved: c.resolved,
            total: c.total,
        })
        .collect();
    // Counties to filter by: those of the caller's work groups, when more than one.
    let groups = st
        .app
        .work_groups(actor, &WorkGroupsQuery::default())
        .await?;
    let mut codes: Vec<String> = groups
        .groups
        .iter()
        .map(|g| county_of(&g.jurisdiction_code).to_string())
        .collect();
    codes.sort();
    codes.dedup();
    let places = Places::of(st, codes.iter().map(String::as_str)).await;
    let counties = if codes.len() > 1 {
        codes.iter().map(|c| (c.clone(), places.name(c))).collect()
    } else {
        vec![]
    };
    Ok((
        status,
        ProblemsPage {
            nav: Nav::of(st, actor).await,
            category_chart: script_json(&category_chart_json(&counts)),
            counts,
            lines,
            problems,
            category: blank_none(&f.category).unwrap_or_default(),
            status: blank_none(&f.status).unwrap_or_default(),
            county: blank_none(&f.county).unwrap_or_default(),
            categories: ProblemCategory::choices(),
            statuses: ProblemStatus::choices(),
            counties,
            can_resolve: actor.can(Permission::ManageEnterprises),
            today: today(&st.app),
            error,
        },
    ))
}

pub async fn problems(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(f): Query<ProblemFilterForm>,
) -> Result<Response, PageError> {
    let notice = f.done.as_ref().map(|_| "已记录解决情况".to_string());
    let (status, mut page) = problems_page(&st, &actor, &f, None).await?;
    page.nav = page.nav.with_notice(notice);
    Ok((status, render(&page)).into_response())
}

#[derive(Deserialize, Default)]
pub struct ResolveForm {
    #[serde(default)]
    resolution: String,
    #[serde(default)]
    resolved_on: String,
    /// Where to go back to: the enterprise's visit page, or the list.
    #[serde(default)]
    back: String,
}

pub async fn resolve(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(f): PageForm<ResolveForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let input = ResolveInput {
        resolution: f.resolution.clone(),
        resolved_on: f.resolved_on.clone(),
    };
    redirect_or_again(
        st.app.resolve_problem(&actor, id, &input).await,
        |p| {
            if f.back == "enterprise" {
                format!("/enterprises/{}/visit?done=resolved", p.enterprise_id)
            } else {
                "/production-problems?done=resolved".to_string()
            }
        },
        refused_on_form,
        |message| async {
            let filter = ProblemFilterForm::default();
            Ok(problems_page(&st, &actor, &filter, Some(message)).await?.1)
        },
    )
    .await
}
