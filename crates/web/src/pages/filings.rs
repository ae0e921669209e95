//! 复工备案 pages: the enterprise's filing form on a phone with its earlier rounds; the
//! county's queue with counts by status and the approve and return buttons. Also the day's
//! late and missing daily reports.

use crate::error::PageError;
use crate::extract::{parse_id, PageForm, PageUser};
use crate::forms::{
    asked_or_fallback, correctable, non_empty, page_number, query_of, redirect_or_again,
    refused_on_form, Done, Pager,
};
use crate::shell::{render, Nav};
use crate::state::AppState;
use crate::views::Places;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use dualtrack_domain::filings::{FilingCheck, FilingStatus};
use dualtrack_domain::role::Permission;
use dualtrack_domain::time::display;
use dualtrack_service::filings::{
    FilingApproveInput, FilingCounts, FilingInput, FilingReturnInput, FilingView, FILINGS_PAGE,
};
use dualtrack_service::punctuality::{PunctualityCounts, ReportDueEntry};
use dualtrack_service::resumption::EnterpriseView;
use dualtrack_service::{Actor, ServiceError};
use serde::Deserialize;

/// The filing form as typed: checkboxes send `on` when ticked and nothing otherwise.
#[derive(Deserialize, Default, Clone)]
pub struct FilingForm {
    #[serde(default)]
    idempotency_key: Option<String>,
    #[serde(default)]
    planned_on: String,
    #[serde(default)]
    employees_planned: String,
    #[serde(default)]
    prevention_plan: String,
    check_mechanism: Option<String>,
    #[serde(default)]
    check_mechanism_note: String,
    check_screening: Option<String>,
    #[serde(default)]
    check_screening_note: String,
    check_supplies: Option<String>,
    #[serde(default)]
    check_supplies_note: String,
    check_management: Option<String>,
    #[serde(default)]
    check_management_note: String,
    check_publicity: Option<String>,
    #[serde(default)]
    check_publicity_note: String,
}

/// One of the five checks on the form.
pub struct CheckField {
    field: &'static str,
    note_field: &'static str,
    name: &'static str,
    hint: &'static str,
    ticked: bool,
    note: String,
}

impl FilingForm {
    fn ticks(&self) -> [(bool, &String); 5] {
        [
            (self.check_mechanism.is_some(), &self.check_mechanism_note),
            (self.check_screening.is_some(), &self.check_screening_note),
            (self.check_supplies.is_some(), &self.check_supplies_note),
            (self.check_management.is_some(), &self.check_management_note),
            (self.check_publicity.is_some(), &self.check_publicity_note),
        ]
    }

    fn fields(&self) -> Vec<CheckField> {
        FilingCheck::ALL
            .into_iter()
            .zip(self.ticks())
            .map(|(c, (ticked, note))| CheckField {
                field: c.field(),
                note_field: c.note_field(),
                name: c.zh(),
                hint: c.hint(),
                ticked,
                note: note.clone(),
            })
            .collect()
    }

    /// The form refilled from a returned round, to be put right and sent again.
    fn from_view(f: &FilingView) -> FilingForm {
        let tick = |i: usize| f.checks.get(i).filter(|c| c.done).map(|_| "on".to_string());
        let note = |i: usize| {
            f.checks
                .get(i)
                .and_then(|c| c.note.clone())
                .unwrap_or_default()
        };
        FilingForm {
            idempotency_key: None,
            planned_on: f.planned_on.to_string(),
            employees_planned: f.employees_planned.to_string(),
            prevention_plan: f.prevention_plan.clone(),
            check_mechanism: tick(0),
            check_mechanism_note: note(0),
            check_screening: tick(1),
            check_screening_note: note(1),
            check_supplies: tick(2),
            check_supplies_note: note(2),
            check_management: tick(3),
            check_management_note: note(3),
            check_publicity: tick(4),
            check_publicity_note: note(4),
        }
    }

    fn input(&self) -> Result<FilingInput, ServiceError> {
        let raw = self.employees_planned.trim();
        let employees_planned = raw.parse::<i64>().map_err(|_| {
            ServiceError::invalid(
                "employees_planned",
                if raw.is_empty() {
                    "请填写计划复工人数".to_string()
                } else {
                    format!("计划复工人数“{raw}”无效：应为正整数")
                },
            )
        })?;
        let note = |s: &String| Some(s.clone()).filter(|s| !s.trim().is_empty());
        Ok(FilingInput {
            idempotency_key: self.idempotency_key.clone(),
            planned_on: self.planned_on.clone(),
            prevention_plan: self.prevention_plan.clone(),
            employees_planned,
            check_mechanism: self.check_mechanism.is_some(),
            check_mechanism_note: note(&self.check_mechanism_note),
            check_screening: self.check_screening.is_some(),
            check_screening_note: note(&self.check_screening_note),
            check_supplies: self.check_supplies.is_some(),
            check_supplies_note: note(&self.check_supplies_note),
            check_management: self.check_management.is_some(),
            check_management_note: note(&self.check_management_note),
            check_publicity: self.check_publicity.is_some(),
            check_publicity_note: note(&self.check_publicity_note),
        })
    }
}

/// A filing as the pages show it.
pub struct FilingCard {
    f: FilingView,
    place: String,
    filed_at: String,
    decided_at: String,
    waiting: bool,
}

fn card(f: FilingView, places: &Places) -> FilingCard {
    FilingCard {
        place: places.name(&f.jurisdiction_code),
        filed_at: display(f.created_at),
        decided_at: f.decided_at.map(display).unwrap_or_default(),
        waiting: f.status == FilingStatus::Submitted,
        f,
    }
}

#[derive(Template)]
#[template(path = "filing.html")]
struct FilingPage {
    nav: Nav,
    e: EnterpriseView,
    rounds: Vec<FilingCard>,
    /// The form is offered: the user files reports and no round is waiting or approved.
    show_form: bool,
    resubmit: bool,
    form: FilingForm,
    checks: Vec<CheckField>,
    error: Option<String>,
}

async fn filing_page(
    st: &AppState,
    actor: &Actor,
    id: i64,
    refill: Option<FilingForm>,
    error: Option<String>,
    notice: Option<String>,
) -> Result<FilingPage, PageError> {
    let e = st.app.get_enterprise(actor, id).await?;
    let rounds = st.app.enterprise_filings(actor, id).await?;
    let open = rounds.iter().any(|f| f.status != FilingStatus::Returned);
    let last_returned = rounds
        .first()
        .filter(|f| f.status == FilingStatus::Returned);
    let form = refill
        .or_else(|| last_returned.map(FilingForm::from_view))
        .unwrap_or_default();
    let places = Places::of(st, rounds.iter().map(|f| f.jurisdiction_code.as_str())).await;
    Ok(FilingPage {
        nav: Nav::of(st, actor).await.with_notice(notice),
        show_form: actor.can(Permission::FileReports) && !open,
        resubmit: last_returned.is_some(),
        checks: form.fields(),
        form,
        rounds: rounds.into_iter().map(|f| card(f, &places)).collect(),
        e,
        error,
    })
}

pub async fn page(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, PageError> {
    let notice = d.notice(&[], "复工备案已提交，等待县级审核");
    Ok(render(
        &filing_page(&st, &actor, parse_id(&id)?, None, None, notice).await?,
    ))
}

pub async fn file(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(f): PageForm<FilingForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let filed = async { st.app.file_filing(&actor, id, &f.input()?).await }.await;
    redirect_or_again(
        filed,
        |_| format!("/enterprises/{id}/filing?done=filed"),
        refused_on_form,
        |message| filing_page(&st, &actor, id, Some(f), Some(message), None),
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    status: Option<String>,
    page: Option<String>,
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "filings.html")]
struct QueuePage {
    nav: Nav,
    status: String,
    statuses: Vec<(&'static str, &'static str)>,
    counts: FilingCounts,
    cards: Vec<FilingCard>,
    can_decide: bool,
    pager: Pager,
    error: Option<String>,
}

async fn queue_page(
    st: &AppState,
    actor: &Actor,
    status: String,
    raw_page: &Option<String>,
    error: Option<String>,
    notice: Option<String>,
) -> Result<(StatusCode, QueuePage), PageError> {
    let found = async {
        let page = page_number(raw_page)?;
        let list = st
            .app
            .list_filings(actor, Some(status.as_str()), Some(page))
            .await?;
        Ok::<_, ServiceError>((page, list))
    }
    .await;
    let (page, counts, filings, list_error, code) = match found {
        Ok((page, list)) => (page, list.counts, list.filings, None, StatusCode::OK),
        Err(e) => {
            let (code, message) = correctable(e)?;
            let counts = st.app.list_filings(actor, None, Some(1)).await?.counts;
            (1, counts, vec![], Some(message), code)
        }
    };
    let places = Places::of(st, filings.iter().map(|f| f.jurisdiction_code.as_str())).await;
    let has_next = filings.len() as i64 == FILINGS_PAGE;
    let pager = Pager::of(page, has_next, &[("status", Some(status.clone()))]);
    Ok((
        code,
        QueuePage {
            nav: Nav::of(st, actor).await.with_notice(notice),
            statuses: FilingStatus::ALL
                .iter()
                .map(|s| (s.as_str(), s.zh()))
                .collect(),
            counts,
            cards: filings.into_iter().map(|f| card(f, &places)).collect(),
            can_decide: actor.can(Permission::ManageEnterprises),
            pager,
            error: error.or(list_error),
            status: FilingStatus::parse(&status)
                .map(|s| s.as_str().to_string())
                .unwrap_or(status),
        },
    ))
}

/// The county's queue: waiting filings first unless another status is asked for.
pub async fn queue(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<QueueQuery>,
) -> Result<Response, PageError> {
    let notice = q.done.as_deref().map(|d| match d {
        "approved" => "已同意复工".to_string(),
        "returned" => "已退回企业".to_string(),
        _ => "已保存".to_string(),
    });
    let status = match &q.status {
        None => FilingStatus::Submitted.as_str().to_string(),
        Some(s) => s.trim().to_string(),
    };
    let (code, page) = queue_page(&st, &actor, status, &q.page, None, notice).await?;
    Ok((code, render(&page)).into_response())
}

#[derive(Deserialize, Default)]
pub struct DecisionForm {
    #[serde(default)]
    note: String,
    #[serde(default)]
    reason: String,
    /// The status filter of the list the button was on, to go back to.
    #[serde(default)]
    status: String,
}

async fn decided(
    st: &AppState,
    actor: &Actor,
    id: i64,
    status: String,
    result: Result<FilingView, ServiceError>,
    done: &str,
) -> Result<Response, PageError> {
    let q = query_of(&[
        ("status", Some(status.clone())),
        ("done", Some(done.to_string())),
    ]);
    redirect_or_again(
        result,
        |_| format!("/filings?{q}"),
        refused_on_form,
        |message| async move {
            Ok(queue_page(
                st,
                actor,
                status,
                &None,
                Some(format!("复工备案 {id}：{message}")),
                None,
            )
            .await?
            .1)
        },
    )
    .await
}

pub async fn approve(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(f): PageForm<DecisionForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let input = FilingApproveInput {
        note: non_empty(&Some(f.note.clone())),
    };
    let result = st.app.approve_filing(&actor, id, &input).await;
    decided(&st, &actor, id, f.status, result, "approved").await
}

pub async fn return_filing(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(f): PageForm<DecisionForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let input = FilingReturnInput {
        reason: f.reason.clone(),
    };
    let result = st.app.return_filing(&actor, id, &input).await;
    decided(&st, &actor, id, f.status, result, "returned").await
}

pub struct CountLine {
    name: String,
    c: PunctualityCounts,
}

pub struct DueLine {
    d: ReportDueEntry,
    place: String,
    filed_at: String,
    late_by: String,
}

fn late_by(minutes: Option<i64>) -> String {
    match minutes {
        Some(m) if m >= 60 * 24 => format!("{} 天 {} 小时", m / (60 * 24), m % (60 * 24) / 60),
        Some(m) if m >= 60 => format!("{} 小时 {} 分", m / 60, m % 60),
        Some(m) => format!("{m} 分"),
        None => String::new(),
    }
}

#[derive(Template)]
#[template(path = "punctuality.html")]
struct PunctualityPage {
    nav: Nav,
    date: String,
    due_hour: u32,
    deadline: String,
    deadline_passed: bool,
    total: CountLine,
    counties: Vec<CountLine>,
    missing: Vec<DueLine>,
    late: Vec<DueLine>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct DateQuery {
    date: Option<String>,
}

/// The county-level code a place lies in.
fn county_of(code: &str) -> &str {
    code.get(..6).unwrap_or(code)
}

/// Yesterday in China Standard Time: the latest day whose report is due today.
fn yesterday(app: &dualtrack_service::App) -> String {
    (app.today() - Duration::days(1))
        .format("%Y-%m-%d")
        .to_string()
}

pub async fn punctuality(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<DateQuery>,
) -> Result<Response, PageError> {
    let date = non_empty(&q.date).unwrap_or_else(|| yesterday(&st.app));
    let (view, error, status) =
        asked_or_fallback(st.app.report_punctuality(&actor, &date).await, || async {
            st.app.report_punctuality(&actor, &yesterday(&st.app)).await
        })
        .await?;
    let places = Places::of(
        &st,
        view.counties
            .iter()
            .map(|c| c.code.as_str())
            .chain([view.total.code.as_str()])
            .chain(view.missing.iter().map(|d| county_of(&d.jurisdiction_code)))
            .chain(view.late.iter().map(|d| county_of(&d.jurisdiction_code))),
    )
    .await;
    let line = |d: &ReportDueEntry| DueLine {
        place: places.name(county_of(&d.jurisdiction_code)),
        filed_at: d.filed_at.map(display).unwrap_or_default(),
        late_by: late_by(d.minutes_late),
        d: d.clone(),
    };
    let page = PunctualityPage {
        nav: Nav::of(&st, &actor).await,
        date: view.date.to_string(),
        due_hour: view.due_hour,
        deadline: view.deadline_local.clone(),
        deadline_passed: view.deadline_passed,
        total: CountLine {
            name: places.name(&view.total.code),
            c: view.total.clone(),
        },
        counties: view
            .counties
            .iter()
            .map(|c| CountLine {
                name: places.name(&c.code),
                c: c.clone(),
            })
            .collect(),
        missing: view.missing.iter().map(line).collect(),
        late: view.late.iter().map(line).collect(),
        error,
    };
    Ok((status, render(&page)).into_response())
}
