//! The monitoring pages: the work list "我的随访" of cases due or overdue in the caller's
//! scope, a case's page with its follow-up form (one tap from the list), follow-ups, alerts
//! and release form, the list of cases with the form to open one, and the command page with
//! the people under monitoring by place and kind as of a day, drawn as a chart.

use crate::display::{delay_text, script_json};
use crate::error::PageError;
use crate::extract::{parse_id, PageForm, PageUser};
use crate::forms::{
    all, asked_or_fallback, get, get_opt, non_empty, redirect_or_again, refused_on_form,
    refused_page, Done,
};
use crate::shell::{render, Nav};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use dualtrack_domain::monitoring::{CaseKind, CaseStatus, Duty, Symptom};
use dualtrack_domain::role::Permission;
use dualtrack_domain::time::{display, reporting_day};
use dualtrack_service::monitoring::{
    CaseDetail, CaseInput, CaseView, CasesQuery, FiguresQuery, FollowupInput, MonitoringFigures,
    OverdueQuery, ReleaseInput, ResponsibleInput, ResumeInput,
};
use dualtrack_service::{Actor, ServiceError};
use serde::Deserialize;

/// A case as a line of a list, its times shown in China Standard Time.
pub struct Line {
    pub c: CaseView,
    pub due: String,
    pub last: String,
    pub delay: String,
}

fn line(c: CaseView) -> Line {
    Line {
        due: display(c.next_due_at),
        last: c
            .last_followup_at
            .map(display)
            .unwrap_or_else(|| "未随访".into()),
        delay: delay_text(c.overdue_minutes),
        c,
    }
}

// ---- the work list ----

#[derive(Template)]
#[template(path = "monitoring_due.html")]
struct DuePage {
    nav: Nav,
    now: String,
    lines: Vec<Line>,
    overdue: i64,
}

pub async fn due(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
) -> Result<Response, PageError> {
    let lines: Vec<Line> = st
        .app
        .due_cases(&actor, 200)
        .await?
        .into_iter()
        .map(line)
        .collect();
    let overdue = lines.iter().filter(|l| l.c.overdue).count() as i64;
    let page = DuePage {
        nav: Nav::of(&st, &actor).await,
        now: display(st.app.now()),
        lines,
        overdue,
    };
    Ok(render(&page))
}

// ---- a case ----

pub struct FollowupLine {
    /// The follow-up, to blow the whistle on it in one click.
    pub id: i64,
    pub at: String,
    pub temperature: String,
    pub symptoms: String,
    pub abnormal: bool,
    pub note: String,
    pub by: String,
}

pub struct AlertLine {
    pub at: String,
    pub person: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "monitoring_case.html")]
struct CasePage {
    nav: Nav,
    d: CaseDetail,
    line: Line,
    followups: Vec<FollowupLine>,
    alerts: Vec<AlertLine>,
    symptoms: Vec<(&'static str, &'static str)>,
    can_write: bool,
    today: String,
    error: Option<String>,
}

async fn case_page(
    st: &AppState,
    actor: &Actor,
    id: i64,
    notice: Option<String>,
    error: Option<String>,
) -> Result<CasePage, PageError> {
    let d = st.app.case_detail(actor, id).await?;
    let names = st
        .app
        .people_names(d.followups.iter().map(|f| f.recorded_by.as_str()))
        .await?;
    let followups = d
        .followups
        .iter()
        .map(|f| FollowupLine {
            id: f.id,
            at: display(f.followed_at),
            temperature: format!("{:.1}", f.temperature),
            symptoms: f.symptom_names.join("、"),
            abnormal: f.abnormal,
            note: f.note.clone(),
            by: names.name(&f.recorded_by),
        })
        .collect();
    let alerts = d
        .alerts
        .iter()
        .map(|a| AlertLine {
            at: display(a.created_at),
            person: a.person_name.clone(),
            message: a.message.clone(),
        })
        .collect();
    Ok(CasePage {
        nav: Nav::of(st, actor).await.with_notice(notice),
        line: line(d.case.clone()),
        d,
        followups,
        alerts,
        symptoms: Symptom::choices(),
        can_write: actor.can(Permission::ManageMonitoring),
        today: reporting_day(st.app.now()).to_string(),
        error,
    })
}

pub async fn page(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let notice = q.said(&[
        ("followup", "随访已记录"),
        ("release", "已解除"),
        ("created", "已建立"),
        ("resumed", "已恢复监测"),
    ]);
    Ok(render(&case_page(&st, &actor, id, notice, None).await?))
}

async fn refused(
    st: &AppState,
    actor: &Actor,
    id: i64,
    e: ServiceError,
) -> Result<Response, PageError> {
    refused_page(e, refused_on_form, |message| {
        case_page(st, actor, id, None, Some(message))
    })
    .await
}

/// After a write on the case: back to its page with the notice, or the refusal shown there.
async fn after<T>(
    st: &AppState,
    actor: &Actor,
    id: i64,
    done: &str,
    r: Result<T, ServiceError>,
) -> Result<Response, PageError> {
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/monitoring/cases/{id}?done={done}")).into_response()),
        Err(e) => refused(st, actor, id, e).await,
    }
}

pub async fn follow_up(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let raw = get(&pairs, "temperature").trim();
    let temperature = match raw.parse::<f64>() {
        Ok(t) => t,
        Err(_) => {
            let e = ServiceError::invalid("temperature", format!("体温“{raw}”应为数字，如 36.5"));
            return refused(&st, &actor, id, e).await;
        }
    };
    let input = FollowupInput {
        idempotency_key: get_opt(&pairs, "idempotency_key"),
        at: get_opt(&pairs, "at"),
        made_at: None,
        temperature,
        symptoms: all(&pairs, "symptoms")
            .into_iter()
            .map(str::to_string)
            .collect(),
        note: get_opt(&pairs, "note"),
        clinic: get_opt(&pairs, "clinic"),
    };
    let r = st.app.follow_up(&actor, id, &input).await;
    after(&st, &actor, id, "followup", r).await
}

pub async fn release(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let input = ReleaseInput {
        released_on: get_opt(&pairs, "released_on"),
        reason: get_opt(&pairs, "reason"),
    };
    let r = st.app.release_case(&actor, id, &input).await;
    after(&st, &actor, id, "release", r).await
}

pub async fn resume(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let input = ResumeInput {
        finding: get(&pairs, "finding").to_string(),
    };
    let r = st.app.resume_case(&actor, id, &input).await;
    after(&st, &actor, id, "resumed", r).await
}

// ---- the list and the form to open a case ----

#[derive(Template)]
#[template(path = "monitoring_cases.html")]
struct ListPage {
    nav: Nav,
    lines: Vec<Line>,
    kind: String,
    status: String,
    overdue: bool,
    /// The ID number searched for, as typed.
    search_id: String,
    kinds: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    duties: Vec<(&'static str, &'static str)>,
    can_write: bool,
    form: Vec<(String, String)>,
    today: String,
    error: Option<String>,
}

impl ListPage {
    fn value(&self, key: &str) -> String {
        get(&self.form, key).to_string()
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    kind: Option<String>,
    status: Option<String>,
    overdue: Option<String>,
    id_number: Option<String>,
}

async fn list_page(
    st: &AppState,
    actor: &Actor,
    q: &ListQuery,
    form: Vec<(String, String)>,
    error: Option<String>,
) -> Result<ListPage, PageError> {
    let overdue = q
        .overdue
        .as_deref()
        .is_some_and(|v| v == "1" || v == "true");
    let query = CasesQuery {
        kind: non_empty(&q.kind),
        status: non_empty(&q.status),
        overdue: Some(overdue),
        place: None,
        id_number: non_empty(&q.id_number),
        limit: Some(200),
        offset: None,
    };
    let lines = st
        .app
        .cases(actor, &query)
        .await?
        .into_iter()
        .map(line)
        .collect();
    Ok(ListPage {
        nav: Nav::of(st, actor).await,
        lines,
        kind: non_empty(&q.kind).unwrap_or_default(),
        status: non_empty(&q.status).unwrap_or_default(),
        overdue,
        search_id: non_empty(&q.id_number).unwrap_or_default(),
        kinds: CaseKind::choices(),
        statuses: CaseStatus::choices(),
        duties: Duty::choices(),
        can_write: actor.can(Permission::ManageMonitoring),
        form,
        today: reporting_day(st.app.now()).to_string(),
        error,
    })
}

pub async fn list(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    Ok(render(&list_page(&st, &actor, &q, Vec::new(), None).await?))
}

pub async fn create(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let people = all(&pairs, "person_id");
    let duties = all(&pairs, "duty");
    let mut responsible = Vec::new();
    for (p, d) in people.iter().zip(duties.iter()) {
        if p.trim().is_empty() {
            continue;
        }
        match p.trim().parse::<i64>() {
            Ok(person_id) => responsible.push(ResponsibleInput {
                person_id,
                duty: d.to_string(),
            }),
            Err(_) => {
                let e = ServiceError::invalid("responsible", format!("人员编号“{p}”应为数字"));
                return refused_page(e, refused_on_form, |message| async {
                    list_page(&st, &actor, &ListQuery::default(), pairs, Some(message)).await
                })
                .await;
            }
        }
    }
    let input = CaseInput {
        idempotency_key: get_opt(&pairs, "idempotency_key"),
        kind: get(&pairs, "kind").into(),
        name: get(&pairs, "name").into(),
        id_number: get(&pairs, "id_number").into(),
        phone: get_opt(&pairs, "phone"),
        screened_person_id: get(&pairs, "screened_person_id").trim().parse().ok(),
        traveller_id: get(&pairs, "traveller_id").trim().parse().ok(),
        jurisdiction_code: get(&pairs, "jurisdiction_code").into(),
        place: get(&pairs, "place").into(),
        reason: get(&pairs, "reason").into(),
        last_exposure: get(&pairs, "last_exposure").into(),
        start_date: get_opt(&pairs, "start_date"),
        responsible,
    };
    redirect_or_again(
        st.app.open_case(&actor, &input).await,
        |c| format!("/monitoring/cases/{}?done=created", c.record.id),
        refused_on_form,
        |message| async {
            list_page(&st, &actor, &ListQuery::default(), pairs, Some(message)).await
        },
    )
    .await
}

// ---- the command page ----

#[derive(Template)]
#[template(path = "monitoring.html")]
struct CommandPage {
    nav: Nav,
    f: MonitoringFigures,
    as_of: String,
    place: String,
    overdue: i64,
    chart: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct CommandQuery {
    as_of: Option<String>,
    place: Option<String>,
}

/// The places side by side as a stacked bar per kind of those under monitoring.
fn chart_json(f: &MonitoringFigures) -> serde_json::Value {
    let x: Vec<&str> = f.places.iter().map(|p| p.name.as_str()).collect();
    let series: Vec<serde_json::Value> = CaseKind::ALL
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let data: Vec<i64> = f.places.iter().map(|p| p.kinds[i].under).collect();
            serde_json::json!({"name": k.zh(), "data": data})
        })
        .collect();
    serde_json::json!({"x": x, "series": series, "unit": "人"})
}

pub async fn command(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<CommandQuery>,
) -> Result<Response, PageError> {
    let asked = FiguresQuery {
        as_of: non_empty(&q.as_of),
        place: non_empty(&q.place),
    };
    let fallback = FiguresQuery::default();
    let (f, error, status) =
        asked_or_fallback(st.app.monitoring_figures(&actor, &asked).await, || {
            st.app.monitoring_figures(&actor, &fallback)
        })
        .await?;
    let overdue = st
        .app
        .overdue_cases(
            &actor,
            &OverdueQuery {
                place: non_empty(&q.place),
                limit: Some(1),
            },
        )
        .await
        .map(|o| o.count)
        .unwrap_or(0);
    let page = CommandPage {
        nav: Nav::of(&st, &actor).await,
        chart: script_json(&chart_json(&f)),
        as_of: f.as_of.to_string(),
        place: non_empty(&q.place).unwrap_or_default(),
        overdue,
        f,
        error,
    };
    Ok((status, render(&page)).into_response())
}
