//! The page where departments, their members, routing rules and webhooks are set up.

use super::s;
use crate::error::PageError;
use crate::extract::{PageForm, PageUser};
use crate::forms::Done;
use crate::forms::{all, get, redirect_or_again, refused_on_form};
use crate::shell::{render, Nav};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use dualtrack_domain::role::Permission;
use dualtrack_domain::whistle::{ChannelKind, TicketCategory, TicketEvent};
use dualtrack_service::whistle::{
    DepartmentInput, DepartmentView, MemberInput, RuleInput, RuleView, WebhookInput, WebhookView,
};
use dualtrack_service::{Actor, ServiceError};

#[derive(Template)]
#[template(path = "whistle_departments.html")]
struct SetupPage {
    nav: Nav,
    departments: Vec<DepartmentView>,
    rules: Vec<RuleView>,
    hooks: Vec<WebhookView>,
    categories: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    events: Vec<(&'static str, &'static str)>,
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
        kinds: ChannelKind::choices(),
        events: TicketEvent::choices()
            .into_iter()
            .chain(dualtrack_domain::whistle::PlaceEvent::choices())
            .collect(),
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
    redirect_or_again(
        r,
        |_| "/whistle/departments?done=1".to_string(),
        refused_on_form,
        |message| setup_page(st, actor, None, Some(message)),
    )
    .await
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
        kind: Some(get(&pairs, "kind").into()),
        events: Some(all(&pairs, "events").join(",")),
        mentions: Some(get(&pairs, "mentions").into()),
        sms_signature: Some(get(&pairs, "sms_signature").into()),
        sms_templates: Some(get(&pairs, "sms_templates").into()),
        per_minute: Some(get(&pairs, "per_minute").trim())
            .filter(|v| !v.is_empty())
            .map(|v| v.parse().unwrap_or(0)),
        keyword: Some(get(&pairs, "keyword").into()),
    };
    let r = st.app.create_webhook(&actor, &input).await;
    saved(&st, &actor, r).await
}
