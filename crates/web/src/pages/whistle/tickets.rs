//! Tickets: the list (the whistler's tickets, a department's work list, the tickets a level
//! supervises), the phone form that blows the whistle, and a ticket's page with the
//! report-back, confirmation and attachment forms.

use super::{line, s, Line};
use crate::error::PageError;
use crate::extract::{parse_id, PageForm, PageUser};
use crate::forms::Done;
use crate::forms::{all, get, non_empty, redirect_or_again, refused_on_form};
use crate::shell::{render, Nav};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use dualtrack_domain::role::Permission;
use dualtrack_domain::time::display;
use dualtrack_domain::whistle::{TicketCategory, TicketKind};
use dualtrack_service::whistle::{
    AcceptInput, ConfirmInput, DepartmentView, RejectInput, ResolveInput, TicketDetail,
    TicketInput, TicketsQuery,
};
use dualtrack_service::{Actor, ServiceError};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "tickets.html")]
struct ListPage {
    nav: Nav,
    now: String,
    view: String,
    title: String,
    lines: Vec<Line>,
    can_raise: bool,
    is_responder: bool,
    department: Option<String>,
    status: String,
    statuses: Vec<(&'static str, &'static str)>,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    status: Option<String>,
    overdue: Option<String>,
    supervised: Option<String>,
    mine: Option<String>,
}

fn flag(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|v| v == "1" || v == "true")
}

pub async fn list(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let (overdue, supervised, mine) = (flag(&q.overdue), flag(&q.supervised), flag(&q.mine));
    let query = TicketsQuery {
        status: non_empty(&q.status),
        overdue: Some(overdue),
        supervised: Some(supervised),
        mine: Some(mine),
        limit: Some(200),
        ..Default::default()
    };
    let lines: Vec<Line> = st
        .app
        .tickets(&actor, &query)
        .await?
        .into_iter()
        .map(line)
        .collect();
    let is_responder =
        actor.can(Permission::RespondTickets) && !actor.can(Permission::RaiseTickets);
    let department = if is_responder {
        st.app.department_of(&actor).await?.map(|d| d.name)
    } else {
        None
    };
    let (view, title) = if supervised {
        ("supervised", "本级督办")
    } else if overdue {
        ("overdue", "超时工单")
    } else if mine {
        ("mine", "我发起的")
    } else if is_responder {
        ("all", "本部门工单")
    } else {
        ("all", "辖区工单")
    };
    let page = ListPage {
        nav: Nav::of(&st, &actor).await,
        now: display(st.app.now()),
        view: view.into(),
        title: title.into(),
        lines,
        can_raise: actor.can(Permission::RaiseTickets),
        is_responder,
        department,
        status: q.status.unwrap_or_default(),
        statuses: dualtrack_domain::whistle::TicketStatus::choices(),
    };
    Ok(render(&page))
}

// ---- the form ----

#[derive(Template)]
#[template(path = "ticket_new.html")]
struct NewPage {
    nav: Nav,
    kinds: Vec<(&'static str, &'static str)>,
    categories: Vec<(&'static str, &'static str)>,
    departments: Vec<DepartmentView>,
    form: Vec<(String, String)>,
    error: Option<String>,
}

impl NewPage {
    fn value(&self, key: &str) -> String {
        get(&self.form, key).to_string()
    }

    fn chosen(&self, key: &str, v: &str) -> bool {
        all(&self.form, key).contains(&v)
    }
}

async fn new_page(
    st: &AppState,
    actor: &Actor,
    mut form: Vec<(String, String)>,
    error: Option<String>,
) -> Result<NewPage, PageError> {
    if get(&form, "jurisdiction_code").is_empty() {
        form.push((
            "jurisdiction_code".into(),
            actor.home_code().unwrap_or_default(),
        ));
    }
    if get(&form, "kind").is_empty() {
        form.push(("kind".into(), "routine".into()));
    }
    let place = get(&form, "jurisdiction_code").to_string();
    let departments = st
        .app
        .departments(actor)
        .await?
        .into_iter()
        .filter(|d| place.starts_with(&d.jurisdiction_code))
        .collect();
    Ok(NewPage {
        nav: Nav::of(st, actor).await,
        kinds: TicketKind::choices(),
        categories: TicketCategory::choices(),
        departments,
        form,
        error,
    })
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    place: Option<String>,
}

pub async fn new_form(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<NewQuery>,
) -> Result<Response, PageError> {
    if !actor.can(Permission::RaiseTickets) {
        return Err(ServiceError::Forbidden("您的角色不能吹哨".into()).into());
    }
    let mut form = vec![];
    if let Some(p) = non_empty(&q.place) {
        form.push(("jurisdiction_code".to_string(), p));
    }
    Ok(render(&new_page(&st, &actor, form, None).await?))
}

/// Raises a ticket from the form, or in one click from a record (`source`, `source_id`).
pub async fn create(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let source_id = match s(get(&pairs, "source_id")) {
        None => None,
        Some(v) => Some(
            v.trim()
                .parse::<i64>()
                .map_err(|_| ServiceError::invalid("source_id", format!("来源编号“{v}”无效")))?,
        ),
    };
    let mut department_ids = vec![];
    for v in all(&pairs, "department_ids") {
        if let Ok(id) = v.trim().parse::<i64>() {
            department_ids.push(id);
        }
    }
    let input = TicketInput {
        idempotency_key: s(get(&pairs, "idempotency_key")),
        made_at: None,
        kind: s(get(&pairs, "kind")),
        category: s(get(&pairs, "category")),
        title: s(get(&pairs, "title")),
        description: s(get(&pairs, "description")),
        jurisdiction_code: s(get(&pairs, "jurisdiction_code")),
        address: s(get(&pairs, "address")),
        department_ids,
        deadline: s(get(&pairs, "deadline")),
        source: s(get(&pairs, "source")),
        source_id,
    };
    redirect_or_again(
        st.app.raise_ticket(&actor, &input).await,
        |d| format!("/tickets/{}?done=raised", d.record.ticket.id),
        refused_on_form,
        |message| new_page(&st, &actor, pairs, Some(message)),
    )
    .await
}

// ---- a ticket ----

pub struct CallLine {
    pub name: String,
    pub status: String,
    pub status_code: String,
    pub routed: bool,
    pub due: String,
    pub accepted: String,
    pub resolved: String,
    pub resolution: String,
    pub late: bool,
}

pub struct EventLine {
    pub at: String,
    pub what: String,
    pub who: String,
    pub note: String,
}

pub struct StepLine {
    pub step: i32,
    pub to: String,
    pub reason: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketPage {
    nav: Nav,
    d: TicketDetail,
    raised: String,
    /// Who raised the ticket, by name and role.
    raised_by: String,
    accept_due: String,
    resolve_due: String,
    calls: Vec<CallLine>,
    events: Vec<EventLine>,
    steps: Vec<StepLine>,
    /// The caller's department's call on this ticket: "called" or "accepted", if any.
    my_call: String,
    my_department: String,
    can_confirm: bool,
    can_attach: bool,
    source_link: Option<String>,
    error: Option<String>,
}

async fn ticket_page(
    st: &AppState,
    actor: &Actor,
    id: i64,
    notice: Option<String>,
    error: Option<String>,
) -> Result<TicketPage, PageError> {
    let d = st.app.ticket_detail(actor, id).await?;
    let mine = st.app.department_of(actor).await?;
    let my_call = mine
        .as_ref()
        .and_then(|m| d.calls.iter().find(|c| c.department_id == m.id))
        .map(|c| c.status.as_str().to_string())
        .unwrap_or_default();
    let calls = d
        .calls
        .iter()
        .map(|c| CallLine {
            name: c.department_name.clone(),
            status: c.status_name.clone(),
            status_code: c.status.as_str().into(),
            routed: c.routed,
            due: display(c.accept_due_at),
            accepted: c
                .accepted_at
                .map(|a| format!("{}（{} 分钟）", display(a), c.response_minutes.unwrap_or(0)))
                .unwrap_or_default(),
            resolved: c.resolved_at.map(display).unwrap_or_default(),
            resolution: c.resolution.clone().unwrap_or_default(),
            late: c.accept_overdue || c.accepted_at.is_some_and(|a| a > c.accept_due_at),
        })
        .collect();
    let names = st
        .app
        .people_names(
            d.events
                .iter()
                .map(|e| e.actor.as_str())
                .chain([d.ticket.raised_by.as_str()]),
        )
        .await?;
    let raised_by = names.name_and_role(&d.ticket.raised_by);
    let events = d
        .events
        .iter()
        .map(|e| EventLine {
            at: display(e.at),
            what: match &e.department_name {
                Some(n) => format!("{}{}", n, e.event_name),
                None => e.event_name.clone(),
            },
            who: names.name_and_role(&e.actor),
            note: e.note.clone(),
        })
        .collect();
    let steps = d
        .escalations
        .iter()
        .map(|s| StepLine {
            step: s.step,
            to: format!("{}（{}）", s.to_name, s.to_code),
            reason: s.reason_name.clone(),
            at: display(s.due_at),
        })
        .collect();
    // The record the ticket came from, linked only for those who may read it (a
    // department's responder reads the ticket, not the grid's or the enterprise's records).
    let source_link = match (d.ticket.source, d.ticket.source_id) {
        (Some(dualtrack_domain::whistle::SourceKind::ProductionProblem), Some(_))
            if actor.can(Permission::ReadResumption) =>
        {
            Some("/production-problems".to_string())
        }
        (Some(dualtrack_domain::whistle::SourceKind::GridReport), Some(_))
            if actor.can(Permission::ReadGridWork) =>
        {
            Some(format!("/grids/{}", d.ticket.jurisdiction_code))
        }
        (Some(dualtrack_domain::whistle::SourceKind::EnterpriseReport), Some(_))
            if actor.can(Permission::ReadResumption) =>
        {
            d.ticket.enterprise_id.map(|e| format!("/enterprises/{e}"))
        }
        // A follow-up: its case, for those who may read it (the description names no health
        // details, only the case).
        (Some(dualtrack_domain::whistle::SourceKind::Followup), Some(_)) => st
            .app
            .ticket_source_case(actor, &d.ticket)
            .await?
            .map(|c| format!("/monitoring/cases/{c}")),
        _ => None,
    };
    Ok(TicketPage {
        nav: Nav::of(st, actor).await.with_notice(notice),
        raised: display(d.ticket.raised_at),
        raised_by,
        accept_due: display(d.ticket.accept_due_at),
        resolve_due: display(d.ticket.resolve_due_at),
        calls,
        events,
        steps,
        my_call,
        my_department: mine.map(|m| m.name).unwrap_or_default(),
        can_confirm: st.app.may_close_ticket(actor, d.ticket.id).await?,
        can_attach: actor.can(Permission::RaiseTickets) || actor.can(Permission::RespondTickets),
        source_link,
        d,
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
        ("raised", "已吹哨，已通知被呼叫的部门"),
        ("accept", "已报到"),
        ("resolve", "已办结，等待吹哨人确认"),
        ("confirm", "已确认办结"),
        ("reject", "已退回重办"),
    ]);
    Ok(render(&ticket_page(&st, &actor, id, notice, None).await?))
}

async fn after(
    st: &AppState,
    actor: &Actor,
    id: i64,
    done: &str,
    r: Result<TicketDetail, ServiceError>,
) -> Result<Response, PageError> {
    redirect_or_again(
        r,
        |_| format!("/tickets/{id}?done={done}"),
        refused_on_form,
        |message| ticket_page(st, actor, id, None, Some(message)),
    )
    .await
}

pub async fn accept(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let input = AcceptInput {
        department_id: None,
        note: s(get(&pairs, "note")),
    };
    let r = st.app.accept_ticket(&actor, id, &input).await;
    after(&st, &actor, id, "accept", r).await
}

pub async fn resolve(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let input = ResolveInput {
        department_id: None,
        resolution: get(&pairs, "resolution").to_string(),
    };
    let r = st.app.resolve_ticket(&actor, id, &input).await;
    after(&st, &actor, id, "resolve", r).await
}

pub async fn confirm(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let rating = get(&pairs, "rating").trim().parse::<i64>().unwrap_or(0);
    let input = ConfirmInput {
        rating,
        feedback: s(get(&pairs, "feedback")),
    };
    let r = st.app.confirm_ticket(&actor, id, &input).await;
    after(&st, &actor, id, "confirm", r).await
}

pub async fn reject(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let input = RejectInput {
        reason: get(&pairs, "reason").to_string(),
        rating: get(&pairs, "rating").trim().parse::<i64>().ok(),
    };
    let r = st.app.reject_ticket(&actor, id, &input).await;
    after(&st, &actor, id, "reject", r).await
}

/// An attachment, if its ticket is the caller's to see.
pub async fn attachment(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (a, bytes) = st.app.attachment(&actor, parse_id(&id)?).await?;
    Ok(crate::api::whistle::file_response(&a, bytes))
}
