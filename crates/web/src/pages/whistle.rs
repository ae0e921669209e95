//! The whistle pages (吹哨报到): the list (the whistler's tickets, a department's work list,
//! the tickets a level supervises), the phone form that blows the whistle (also reached in
//! one click from a grid report, a follow-up, an enterprise report or a production
//! problem), a ticket's page with the report-back, confirmation and attachment forms, the
//! inbox, the leader's figures, and the page where departments, routing rules and webhooks
//! are set up.

use crate::error::PageError;
use crate::extract::{parse_id, PageForm, PageUser};
use crate::forms::{non_empty, refused_on_form};
use crate::shell::{render, Nav};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use dualtrack_domain::role::Permission;
use dualtrack_domain::time::display;
use dualtrack_domain::whistle::{TicketCategory, TicketKind};
use dualtrack_service::whistle::{
    AcceptInput, ConfirmInput, DepartmentInput, DepartmentView, InboxQuery, MemberInput,
    NoticeView, RejectInput, ResolveInput, RuleInput, RuleView, TicketDetail, TicketInput,
    TicketView, TicketsQuery, WebhookInput, WebhookView, WhistleFigures, WhistleFiguresQuery,
};
use dualtrack_service::{Actor, ServiceError};
use serde::Deserialize;

fn get<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn all<'a>(pairs: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}

fn s(v: &str) -> Option<String> {
    non_empty(&Some(v.to_string()))
}

/// A ticket as a line of a list.
pub struct Line {
    pub t: TicketView,
    pub raised: String,
    pub due: String,
}

fn line(t: TicketView) -> Line {
    Line {
        raised: display(t.raised_at),
        due: if t.status == dualtrack_domain::whistle::TicketStatus::Open {
            format!("报到时限 {}", display(t.accept_due_at))
        } else {
            format!("办结时限 {}", display(t.resolve_due_at))
        },
        t,
    }
}

// ---- the list ----

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
    match st.app.raise_ticket(&actor, &input).await {
        Ok(d) => Ok(
            Redirect::to(&format!("/tickets/{}?done=raised", d.record.ticket.id)).into_response(),
        ),
        Err(e) => {
            let (status, message) = refused_on_form(e)?;
            let page = new_page(&st, &actor, pairs, Some(message)).await?;
            Ok((status, render(&page)).into_response())
        }
    }
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
    let events = d
        .events
        .iter()
        .map(|e| EventLine {
            at: display(e.at),
            what: match &e.department_name {
                Some(n) => format!("{}{}", n, e.event_name),
                None => e.event_name.clone(),
            },
            who: e.actor.clone(),
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
    let source_link = match (d.ticket.source, d.ticket.source_id) {
        (Some(dualtrack_domain::whistle::SourceKind::ProductionProblem), Some(_)) => {
            Some("/production-problems".to_string())
        }
        (Some(dualtrack_domain::whistle::SourceKind::GridReport), Some(_)) => {
            Some(format!("/grids/{}", d.ticket.jurisdiction_code))
        }
        (Some(dualtrack_domain::whistle::SourceKind::EnterpriseReport), Some(_)) => {
            d.ticket.enterprise_id.map(|e| format!("/enterprises/{e}"))
        }
        _ => None,
    };
    Ok(TicketPage {
        nav: Nav::of(st, actor).await.with_notice(notice),
        raised: display(d.ticket.raised_at),
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

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

pub async fn page(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let notice = match q.done.as_deref() {
        Some("raised") => Some("已吹哨，已通知被呼叫的部门".to_string()),
        Some("accept") => Some("已报到".to_string()),
        Some("resolve") => Some("已办结，等待吹哨人确认".to_string()),
        Some("confirm") => Some("已确认办结".to_string()),
        Some("reject") => Some("已退回重办".to_string()),
        _ => None,
    };
    Ok(render(&ticket_page(&st, &actor, id, notice, None).await?))
}

async fn after(
    st: &AppState,
    actor: &Actor,
    id: i64,
    done: &str,
    r: Result<TicketDetail, ServiceError>,
) -> Result<Response, PageError> {
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/tickets/{id}?done={done}")).into_response()),
        Err(e) => {
            let (status, message) = refused_on_form(e)?;
            let page = ticket_page(st, actor, id, None, Some(message)).await?;
            Ok((status, render(&page)).into_response())
        }
    }
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

// ---- the inbox ----

pub struct NoticeLine {
    pub n: NoticeView,
    pub at: String,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    nav: Nav,
    unread: i64,
    lines: Vec<NoticeLine>,
}

pub async fn inbox(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
) -> Result<Response, PageError> {
    let inbox = st
        .app
        .inbox(
            &actor,
            &InboxQuery {
                unread: None,
                limit: Some(200),
            },
        )
        .await?;
    let page = InboxPage {
        nav: Nav::of(&st, &actor).await,
        unread: inbox.unread,
        lines: inbox
            .notices
            .into_iter()
            .map(|n| NoticeLine {
                at: display(n.created_at),
                n,
            })
            .collect(),
    };
    Ok(render(&page))
}

/// Marks a notice read and opens its ticket.
pub async fn read(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let n = st.app.mark_notice_read(&actor, parse_id(&id)?).await?;
    Ok(Redirect::to(&format!("/tickets/{}", n.ticket_id)).into_response())
}

// ---- figures ----

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

// ---- departments, rules, webhooks ----

#[derive(Template)]
#[template(path = "whistle_departments.html")]
struct SetupPage {
    nav: Nav,
    departments: Vec<DepartmentView>,
    rules: Vec<RuleView>,
    hooks: Vec<WebhookView>,
    categories: Vec<(&'static str, &'static str)>,
    can_manage: bool,
    error: Option<String>,
}

async fn setup_page(
    st: &AppState,
    actor: &Actor,
    notice: Option<String>,
    error: Option<String>,
) -> Result<SetupPage, PageError> {
    let can_manage = actor.can(Permission::ManageWhistle);
    Ok(SetupPage {
        nav: Nav::of(st, actor).await.with_notice(notice),
        departments: st.app.departments(actor).await?,
        rules: st.app.rules(actor).await?,
        hooks: if can_manage {
            st.app.webhooks(actor).await?
        } else {
            vec![]
        },
        categories: TicketCategory::choices(),
        can_manage,
        error,
    })
}

pub async fn setup(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let notice = q.done.map(|_| "已保存".to_string());
    Ok(render(&setup_page(&st, &actor, notice, None).await?))
}

async fn saved<T>(
    st: &AppState,
    actor: &Actor,
    r: Result<T, ServiceError>,
) -> Result<Response, PageError> {
    match r {
        Ok(_) => Ok(Redirect::to("/whistle/departments?done=1").into_response()),
        Err(e) => {
            let (status, message) = refused_on_form(e)?;
            let page = setup_page(st, actor, None, Some(message)).await?;
            Ok((status, render(&page)).into_response())
        }
    }
}

pub async fn create_department(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let input = DepartmentInput {
        name: get(&pairs, "name").into(),
        jurisdiction_code: get(&pairs, "jurisdiction_code").into(),
        duty: s(get(&pairs, "duty")),
        phone: s(get(&pairs, "phone")),
    };
    let r = st.app.create_department(&actor, &input).await;
    saved(&st, &actor, r).await
}

pub async fn add_member(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = match get(&pairs, "department_id").trim().parse::<i64>() {
        Ok(i) => i,
        Err(_) => {
            let e = ServiceError::invalid("department_id", "请选择部门");
            return saved::<()>(&st, &actor, Err(e)).await;
        }
    };
    let input = MemberInput {
        username: get(&pairs, "username").into(),
    };
    let r = st.app.add_department_member(&actor, id, &input).await;
    saved(&st, &actor, r).await
}

pub async fn set_rule(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let input = RuleInput {
        category: get(&pairs, "category").into(),
        jurisdiction_code: get(&pairs, "jurisdiction_code").into(),
        department_ids: all(&pairs, "department_ids")
            .into_iter()
            .filter_map(|v| v.trim().parse().ok())
            .collect(),
    };
    let r = st.app.set_rule(&actor, &input).await;
    saved(&st, &actor, r).await
}

pub async fn create_webhook(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let input = WebhookInput {
        name: get(&pairs, "name").into(),
        jurisdiction_code: get(&pairs, "jurisdiction_code").into(),
        department_id: get(&pairs, "department_id").trim().parse().ok(),
        url: get(&pairs, "url").into(),
        secret: get(&pairs, "secret").into(),
    };
    let r = st.app.create_webhook(&actor, &input).await;
    saved(&st, &actor, r).await
}
