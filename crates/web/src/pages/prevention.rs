//! 疫情防控 pages: 我的网格 on a grid worker's phone (today's work: register a household,
//! screen a person, file yesterday's report with its figures filled in from the records, or a
//! zero report), and 网格与摸排 for those who command: the day's grid reports rolled up by
//! place with the grids that have not reported, and the latest screening round's coverage.

use crate::display::today;
use crate::error::PageError;
use crate::extract::{PageForm, PageUser};
use crate::forms::{asked_or_fallback, non_empty, redirect_or_again, refused_on_form};
use crate::shell::{render, Nav};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Duration;
use dualtrack_domain::jurisdiction::Level;
use dualtrack_domain::prevention::PersonKind;
use dualtrack_domain::role::Permission;
use dualtrack_domain::time::display;
use dualtrack_service::prevention::{
    CoverageLine, GridReportDraft, GridReportInput, GridView, HouseholdInput, HouseholdView,
    RollupQuery, RollupView, RoundView, ScreenInput, ScreenedQuery, ScreenedView, TravelInput,
};
use dualtrack_service::Actor;
use serde::Deserialize;

fn yesterday(app: &dualtrack_service::App) -> String {
    (app.today() - Duration::days(1))
        .format("%Y-%m-%d")
        .to_string()
}

/// 我的网格: a grid worker's own grid; anyone else goes to the command page.
pub async fn my_grid(PageUser(actor): PageUser) -> Response {
    match actor.scope.code() {
        Some(c) if c.level() == Level::Grid => Redirect::to(&format!("/grids/{c}")).into_response(),
        _ => Redirect::to("/prevention").into_response(),
    }
}

#[derive(Deserialize, Default)]
pub struct GridQuery {
    date: Option<String>,
    done: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct ScreenForm {
    #[serde(default)]
    idempotency_key: Option<String>,
    #[serde(default)]
    household_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    came_from: String,
    #[serde(default)]
    arrived_on: String,
    /// Travel as `code date` pairs separated by `;` or new lines.
    #[serde(default)]
    travel: String,
    risk_contact: Option<String>,
    #[serde(default)]
    screened_on: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct HouseholdForm {
    #[serde(default)]
    idempotency_key: Option<String>,
    #[serde(default)]
    address: String,
    #[serde(default)]
    head_name: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct ReportForm {
    #[serde(default)]
    idempotency_key: Option<String>,
    #[serde(default)]
    report_date: String,
    #[serde(default)]
    remarks: String,
    zero_report: Option<String>,
}

#[derive(Template)]
#[template(path = "grid.html")]
struct GridPage {
    nav: Nav,
    g: GridView,
    households: Vec<HouseholdView>,
    persons: Vec<ScreenedView>,
    draft: GridReportDraft,
    /// Who filed the day's report, by name and role.
    filed_by: String,
    can_write: bool,
    kinds: Vec<(&'static str, &'static str)>,
    form: ScreenForm,
    error: Option<String>,
    done: Option<String>,
    /// The server's day, that a phone puts its own in place of (see `outbox.js`).
    today: String,
}

async fn grid_page_of(
    st: &AppState,
    actor: &Actor,
    code: &str,
    date: Option<String>,
    form: ScreenForm,
    error: Option<String>,
    done: Option<String>,
) -> Result<GridPage, PageError> {
    let g = st.app.get_grid(actor, code).await?;
    let households = st.app.list_households(actor, code).await?;
    let persons = st
        .app
        .list_screened(
            actor,
            &ScreenedQuery {
                code: Some(code.to_string()),
                ..Default::default()
            },
        )
        .await?;
    let date = date.unwrap_or_else(|| yesterday(&st.app));
    let draft = match st.app.grid_report_draft(actor, code, &date).await {
        Ok(d) => d,
        Err(_) => {
            st.app
                .grid_report_draft(actor, code, &yesterday(&st.app))
                .await?
        }
    };
    let mut form = form;
    if form.screened_on.is_empty() {
        form.screened_on = today(&st.app);
    }
    let filed_by = match &draft.filed {
        Some(f) => st
            .app
            .people_names([f.filed_by.as_str()])
            .await?
            .name_and_role(&f.filed_by),
        None => String::new(),
    };
    Ok(GridPage {
        nav: Nav::of(st, actor).await,
        g,
        households,
        persons,
        draft,
        filed_by,
        can_write: actor.can(Permission::WriteGridWork),
        kinds: PersonKind::choices(),
        form,
        error,
        done,
        today: today(&st.app),
    })
}

pub async fn grid_page(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(code): Path<String>,
    Query(q): Query<GridQuery>,
) -> Result<Response, PageError> {
    let done = non_empty(&q.done).map(|d| match d.as_str() {
        "household" => "已登记该户".to_string(),
        "screen" => "已登记摸排人员".to_string(),
        "report" => "日报已报送".to_string(),
        _ => "已保存".to_string(),
    });
    let page = grid_page_of(
        &st,
        &actor,
        &code,
        non_empty(&q.date),
        ScreenForm::default(),
        None,
        done,
    )
    .await?;
    Ok(render(&page))
}

pub async fn add_household(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(code): Path<String>,
    PageForm(f): PageForm<HouseholdForm>,
) -> Result<Response, PageError> {
    let input = HouseholdInput {
        idempotency_key: f.idempotency_key,
        address: f.address,
        head_name: f.head_name,
    };
    redirect_or_again(
        st.app.add_household(&actor, &code, &input).await,
        |_| format!("/grids/{code}?done=household"),
        refused_on_form,
        |message| {
            grid_page_of(
                &st,
                &actor,
                &code,
                None,
                ScreenForm::default(),
                Some(message),
                None,
            )
        },
    )
    .await
}

fn travel_of(raw: &str) -> Vec<TravelInput> {
    raw.split([';', '；', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            let mut parts = s.split_whitespace();
            TravelInput {
                code: parts.next().unwrap_or_default().to_string(),
                date: parts.next().unwrap_or_default().to_string(),
            }
        })
        .collect()
}

pub async fn screen(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(code): Path<String>,
    PageForm(f): PageForm<ScreenForm>,
) -> Result<Response, PageError> {
    let household = f.household_id.trim().parse::<i64>().unwrap_or(0);
    let input = ScreenInput {
        idempotency_key: f.idempotency_key.clone(),
        made_at: None,
        name: f.name.clone(),
        id_number: f.id_number.clone(),
        phone: Some(f.phone.clone()),
        kind: f.kind.clone(),
        came_from: Some(f.came_from.clone()),
        arrived_on: Some(f.arrived_on.clone()),
        travel: travel_of(&f.travel),
        risk_contact: f.risk_contact.is_some(),
        screened_on: f.screened_on.clone(),
    };
    let result = if household == 0 {
        Err(dualtrack_service::ServiceError::invalid(
            "household_id",
            "请选择户",
        ))
    } else {
        // The household must be of this grid.
        match st.app.list_households(&actor, &code).await {
            Ok(hs) if hs.iter().any(|h| h.id == household) => {
                st.app.screen_person(&actor, household, &input).await
            }
            Ok(_) => Err(dualtrack_service::ServiceError::invalid(
                "household_id",
                "该户不属于本网格",
            )),
            Err(e) => Err(e),
        }
    };
    redirect_or_again(
        result,
        |_| format!("/grids/{code}?done=screen"),
        refused_on_form,
        |message| grid_page_of(&st, &actor, &code, None, f, Some(message), None),
    )
    .await
}

pub async fn file_report(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(code): Path<String>,
    PageForm(f): PageForm<ReportForm>,
) -> Result<Response, PageError> {
    let input = GridReportInput {
        idempotency_key: f.idempotency_key,
        report_date: f.report_date.clone(),
        remarks: f.remarks,
        zero_report: f.zero_report.is_some(),
        made_at: None,
    };
    redirect_or_again(
        st.app.file_grid_report(&actor, &code, &input).await,
        |r| format!("/grids/{code}?done=report&date={}", r.record.report_date),
        refused_on_form,
        |message| {
            grid_page_of(
                &st,
                &actor,
                &code,
                non_empty(&Some(f.report_date)),
                ScreenForm::default(),
                Some(message),
                None,
            )
        },
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct CommandQuery {
    date: Option<String>,
    code: Option<String>,
}

#[derive(Template)]
#[template(path = "prevention.html")]
struct CommandPage {
    nav: Nav,
    view: RollupView,
    deadline: String,
    round: Option<RoundView>,
    coverage: Vec<CoverageLine>,
    coverage_total: Option<CoverageLine>,
    error: Option<String>,
    now: NowFigures,
}

/// The figures of the moment on the command page, each shown when the caller may read it.
#[derive(Default)]
pub struct NowFigures {
    pub at: String,
    pub persons: Option<i64>,
    pub fevers: Option<i64>,
    pub handovers_pending: Option<i64>,
    pub handovers_overdue: Option<i64>,
    pub under_monitoring: Option<i64>,
    pub released_today: Option<i64>,
    pub followups_overdue: Option<i64>,
}

/// Today's passages, hand-overs waiting, people under monitoring and overdue follow-ups in
/// the caller's scope (or the place chosen).
async fn now_figures(
    st: &AppState,
    actor: &dualtrack_service::Actor,
    place: &Option<String>,
) -> Result<NowFigures, PageError> {
    use dualtrack_domain::role::Permission;
    let now = st.app.now();
    let today = dualtrack_domain::time::reporting_day(now).to_string();
    let mut f = NowFigures {
        at: display(now),
        ..Default::default()
    };
    if actor.can(Permission::ReadCheckpoints) && place.is_none() {
        let c = st
            .app
            .checkpoint_counts(
                actor,
                &dualtrack_service::checkpoints::CountsQuery {
                    from: Some(today.clone()),
                    to: Some(today.clone()),
                },
            )
            .await?;
        f.persons = Some(c.total.persons);
        f.fevers = Some(c.total.fevers);
    }
    if actor.can(Permission::ReadGridWork) {
        let h = st
            .app
            .handover_figures(
                actor,
                &dualtrack_service::handovers::HandoverFiguresQuery {
                    date: Some(today.clone()),
                    place: place.clone(),
                },
            )
            .await?;
        f.handovers_pending = Some(h.total.pending);
        f.handovers_overdue = Some(h.total.overdue);
    }
    if actor.can(Permission::ReadMonitoring) {
        let m = st
            .app
            .monitoring_figures(
                actor,
                &dualtrack_service::monitoring::FiguresQuery {
                    as_of: Some(today),
                    place: place.clone(),
                },
            )
            .await?;
        f.under_monitoring = Some(m.under);
        f.released_today = Some(m.released);
        let o = st
            .app
            .overdue_cases(
                actor,
                &dualtrack_service::monitoring::OverdueQuery {
                    place: place.clone(),
                    limit: Some(1),
                },
            )
            .await?;
        f.followups_overdue = Some(o.count);
    }
    Ok(f)
}

fn percent(r: &Option<f64>) -> String {
    r.map(|v| format!("{v:.1}%")).unwrap_or_else(|| "—".into())
}

impl CommandPage {
    fn pct(&self, r: &Option<f64>) -> String {
        percent(r)
    }
}

/// 网格与摸排: the day's reports by place, the grids that have not reported, coverage.
pub async fn command(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<CommandQuery>,
) -> Result<Response, PageError> {
    let date = non_empty(&q.date).unwrap_or_else(|| yesterday(&st.app));
    let code = non_empty(&q.code);
    let asked = RollupQuery {
        date: date.clone(),
        code: code.clone(),
    };
    let (view, error, _) =
        asked_or_fallback(st.app.grid_report_rollup(&actor, &asked).await, || async {
            let fallback = RollupQuery {
                date: yesterday(&st.app),
                code: None,
            };
            st.app.grid_report_rollup(&actor, &fallback).await
        })
        .await?;
    let round = st.app.list_rounds(&actor).await?.into_iter().next();
    let (mut coverage, mut coverage_total) = (Vec::new(), None);
    if let Some(r) = &round {
        let c = st.app.round_coverage(&actor, r.id).await?;
        // Rolled up to the same places as the reports.
        for p in &view.places {
            let (mut h, mut s) = (0, 0);
            for g in c.grids.iter().filter(|g| g.code.starts_with(&p.code)) {
                h += g.households;
                s += g.screened;
            }
            coverage.push(CoverageLine {
                code: p.code.clone(),
                name: p.name.clone(),
                households: h,
                screened: s,
                rate: (h > 0).then(|| (s as f64 * 1000.0 / h as f64).round() / 10.0),
            });
        }
        coverage_total = Some(c.total);
    }
    let now = now_figures(&st, &actor, &code).await?;
    let page = CommandPage {
        nav: Nav::of(&st, &actor).await,
        now,
        deadline: display(view.deadline),
        view,
        round,
        coverage,
        coverage_total,
        error,
    };
    Ok(render(&page))
}
