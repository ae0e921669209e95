//! The hand-over pages: "落地交接" — the counts by place below the caller's scope (what is
//! waiting, overdue and acknowledged) with the list of those waiting, one hand-over with its
//! history and the forms to acknowledge it (opening a quarantine or monitoring case if called
//! for) or pass it down to a grid; and "外出通报", travellers bound outside the region, with
//! the export. Phone-first.

use crate::display::delay_text;
use crate::error::PageError;
use crate::extract::{parse_id, PageForm, PageUser};
use crate::forms::{
    get, get_opt, non_empty, page_number, refused_on_form, refused_page, Done, Pager,
};
use crate::shell::{render, Nav};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use dualtrack_domain::checkpoints::HandoverStatus;
use dualtrack_domain::monitoring::Duty;
use dualtrack_domain::role::Permission;
use dualtrack_domain::time::{display, reporting_day};
use dualtrack_service::handovers::{
    AcknowledgeInput, ForwardInput, HandoverDetail, HandoverFigures, HandoverFiguresQuery,
    HandoverView, HandoversQuery, OutboundQuery, OutboundView,
};
use dualtrack_service::monitoring::ResponsibleInput;
use dualtrack_service::{Actor, ServiceError};
use serde::Deserialize;

/// A hand-over as a line of a list, its times in China Standard Time.
pub struct Line {
    pub h: HandoverView,
    pub passed: String,
    pub due: String,
    pub acknowledged: String,
    pub delay: String,
}

fn line(h: HandoverView) -> Line {
    let m = h.overdue_minutes;
    Line {
        passed: display(h.passed_at),
        due: display(h.due_at),
        acknowledged: h.acknowledged_at.map(display).unwrap_or_default(),
        delay: delay_text(m),
        h,
    }
}

// ---- the counts and the list ----

#[derive(Template)]
#[template(path = "handovers.html")]
struct ListPage {
    nav: Nav,
    f: Option<HandoverFigures>,
    lines: Vec<Line>,
    which: String,
    place: String,
    now: String,
    pager: Pager,
}

/// Hand-overs a page of the list shows (a phone scrolls through fifty at most).
const PAGE_SIZE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    which: Option<String>,
    place: Option<String>,
    date: Option<String>,
    page: Option<String>,
}

pub async fn list(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let place = non_empty(&q.place);
    // Checkpoint staff see only how the hand-overs they sent stand.
    let receives = actor.can(Permission::ReadGridWork);
    let f = if receives {
        Some(
            st.app
                .handover_figures(
                    &actor,
                    &HandoverFiguresQuery {
                        date: non_empty(&q.date),
                        place: place.clone(),
                    },
                )
                .await?,
        )
    } else {
        None
    };
    let which = match non_empty(&q.which) {
        _ if !receives => "sent".to_string(),
        Some(w) => w,
        None => "pending".into(),
    };
    let page = page_number(&q.page)?;
    // One more than a page, to know whether there is a next one.
    let mut found = st
        .app
        .handovers(
            &actor,
            &HandoversQuery {
                which: Some(which.clone()),
                place: place.clone(),
                limit: Some(PAGE_SIZE + 1),
                offset: Some(dualtrack_service::page_offset(page, PAGE_SIZE)),
            },
        )
        .await?;
    let has_next = found.len() as i64 > PAGE_SIZE;
    found.truncate(PAGE_SIZE as usize);
    let lines = found.into_iter().map(line).collect();
    let pager = Pager::of(
        page,
        has_next,
        &[
            ("which", Some(which.clone())),
            ("place", place.clone()),
            ("date", non_empty(&q.date)),
        ],
    );
    let page = ListPage {
        nav: Nav::of(&st, &actor).await,
        f,
        lines,
        pager,
        which,
        place: place.unwrap_or_default(),
        now: display(st.app.now()),
    };
    Ok(render(&page))
}

// ---- one hand-over ----

#[derive(Template)]
#[template(path = "handover.html")]
struct OnePage {
    nav: Nav,
    d: HandoverDetail,
    line: Line,
    history: Vec<(String, String, String)>,
    can_write: bool,
    can_open_case: bool,
    duties: Vec<(&'static str, &'static str)>,
    pass_day: String,
    error: Option<String>,
    /// The copy a phone keeps for use with no signal: the form, no one's data.
    kept: bool,
}

impl OnePage {
    fn pending(&self) -> bool {
        self.d.handover.status == HandoverStatus::Pending
    }
}

async fn one_page(
    st: &AppState,
    actor: &Actor,
    id: i64,
    notice: Option<String>,
    error: Option<String>,
) -> Result<OnePage, PageError> {
    let d = st.app.handover(actor, id).await?;
    let history = d
        .history
        .iter()
        .map(|s| (display(s.at), s.what.clone(), s.by.clone()))
        .collect();
    Ok(OnePage {
        nav: Nav::of(st, actor).await.with_notice(notice),
        line: line(d.handover.clone()),
        pass_day: reporting_day(d.handover.passed_at).to_string(),
        history,
        can_write: actor.can(Permission::WriteGridWork),
        can_open_case: d.can_open_case && actor.can(Permission::ManageMonitoring),
        duties: Duty::choices(),
        d,
        error,
        kept: false,
    })
}

pub async fn page(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    Query(q): Query<Done>,
    headers: axum::http::HeaderMap,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let notice = q.said(&[("acknowledged", "已接收"), ("forwarded", "已转派")]);
    let mut page = one_page(&st, &actor, id, notice, None).await?;
    page.kept = crate::offline::kept_copy(&headers);
    Ok(render(&page))
}

async fn refused(
    st: &AppState,
    actor: &Actor,
    id: i64,
    e: ServiceError,
) -> Result<Response, PageError> {
    refused_page(e, refused_on_form, |message| {
        one_page(st, actor, id, None, Some(message))
    })
    .await
}

pub async fn acknowledge(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let mut responsible = Vec::new();
    for i in 1..=5 {
        let person = get(&pairs, &format!("person_{i}")).trim();
        if person.is_empty() {
            continue;
        }
        match person.parse::<i64>() {
            Ok(person_id) => responsible.push(ResponsibleInput {
                person_id,
                duty: get(&pairs, &format!("duty_{i}")).to_string(),
            }),
            Err(_) => {
                let e = ServiceError::invalid(
                    "responsible",
                    format!("第 {i} 名包保责任人的人员编号“{person}”应为数字"),
                );
                return refused(&st, &actor, id, e).await;
            }
        }
    }
    let input = AcknowledgeInput {
        idempotency_key: get_opt(&pairs, "idempotency_key"),
        made_at: None,
        note: get_opt(&pairs, "note"),
        measure: get_opt(&pairs, "measure"),
        place: get_opt(&pairs, "place"),
        last_exposure: get_opt(&pairs, "last_exposure"),
        responsible,
    };
    match st.app.acknowledge_handover(&actor, id, &input).await {
        Ok(d) => Ok(match d.handover.case_id {
            Some(c) => Redirect::to(&format!("/monitoring/cases/{c}?done=created")),
            None => Redirect::to(&format!("/handovers/{id}?done=acknowledged")),
        }
        .into_response()),
        Err(e) => refused(&st, &actor, id, e).await,
    }
}

pub async fn forward(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let input = ForwardInput {
        to: get(&pairs, "to").to_string(),
        note: get_opt(&pairs, "note"),
    };
    match st.app.forward_handover(&actor, id, &input).await {
        // After passing it down the caller may no longer hold it: back to the list.
        Ok(_) => Ok(Redirect::to("/handovers?which=pending").into_response()),
        Err(e) => refused(&st, &actor, id, e).await,
    }
}

// ---- outbound notices ----

/// Travellers the outbound page lists; the rest are in the export.
const OUTBOUND_SHOWN: usize = 500;

#[derive(Template)]
#[template(path = "outbound.html")]
struct OutboundPage {
    nav: Nav,
    rows: Vec<(OutboundView, String)>,
    /// Travellers of the days (the table shows the first [`OUTBOUND_SHOWN`]).
    total: usize,
    from: String,
    to: String,
    can_unmask: bool,
}

#[derive(Deserialize, Default)]
pub struct OutboundParams {
    from: Option<String>,
    to: Option<String>,
}

pub async fn outbound(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<OutboundParams>,
) -> Result<Response, PageError> {
    let today = reporting_day(st.app.now()).to_string();
    let from = non_empty(&q.from).unwrap_or(today);
    let to = non_empty(&q.to).unwrap_or_else(|| from.clone());
    let mut rows: Vec<(OutboundView, String)> = st
        .app
        .outbound_notices(
            &actor,
            &OutboundQuery {
                from: Some(from.clone()),
                to: Some(to.clone()),
                place: None,
            },
        )
        .await?
        .into_iter()
        .map(|r| {
            let at = display(r.passed_at);
            (r, at)
        })
        .collect();
    let total = rows.len();
    rows.truncate(OUTBOUND_SHOWN);
    let page = OutboundPage {
        nav: Nav::of(&st, &actor).await,
        rows,
        total,
        from,
        to,
        can_unmask: actor.may_unmask(Permission::ReadCheckpoints),
    };
    Ok(render(&page))
}
