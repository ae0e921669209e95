//! A channel's page: its settings, the deliveries of its outbox with their state (and the
//! digest each went out in), and "发送测试消息".

use crate::error::PageError;
use crate::extract::{parse_id, PageForm, PageUser};
use crate::shell::{render, Nav};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use dualtrack_domain::time::display;
use dualtrack_service::whistle::{DeliveryView, WebhookView};
use dualtrack_service::{Actor, ServiceError};

/// A delivery as a row of the page.
struct Row {
    d: DeliveryView,
    status_name: &'static str,
    created: String,
    next: String,
    delivered: String,
}

#[derive(Template)]
#[template(path = "whistle_channel.html")]
struct ChannelPage {
    nav: Nav,
    hook: WebhookView,
    /// The name of the place the channel serves (its code when it has none).
    place: String,
    rows: Vec<Row>,
    error: Option<String>,
}

async fn channel_page(
    st: &AppState,
    actor: &Actor,
    id: i64,
    notice: Option<String>,
    error: Option<String>,
) -> Result<ChannelPage, PageError> {
    let hook = st.app.webhook(actor, id).await?;
    let place = st
        .app
        .name_of(&hook.jurisdiction_code)
        .await?
        .unwrap_or_else(|| hook.jurisdiction_code.clone());
    let rows = st
        .app
        .webhook_deliveries(actor, id)
        .await?
        .into_iter()
        .map(|d| Row {
            status_name: match d.status.as_str() {
                "delivered" => "已送达",
                "failed" => "已放弃",
                _ if d.attempts > 0 => "待重试",
                _ => "待发送",
            },
            created: display(d.created_at),
            next: display(d.next_attempt_at),
            delivered: d.delivered_at.map(display).unwrap_or_default(),
            d,
        })
        .collect();
    Ok(ChannelPage {
        nav: Nav::of(st, actor).await.with_notice(notice),
        hook,
        place,
        rows,
        error,
    })
}

pub async fn channel(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    Ok(render(&channel_page(&st, &actor, id, None, None).await?))
}

pub async fn send_test(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(_pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let page = match st
        .app
        .test_webhook(&actor, &st.app.channel_client(), id)
        .await
    {
        Ok(r) if r.delivered => {
            channel_page(&st, &actor, id, Some("测试消息已送达".into()), None).await?
        }
        Ok(r) => {
            let why = r.error.unwrap_or_default();
            channel_page(
                &st,
                &actor,
                id,
                None,
                Some(format!("测试消息未送达：{why}")),
            )
            .await?
        }
        Err(ServiceError::Conflict { message, .. }) => {
            channel_page(&st, &actor, id, None, Some(message)).await?
        }
        Err(e) => return Err(e.into()),
    };
    Ok(render(&page))
}
