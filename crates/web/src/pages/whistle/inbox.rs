//! The inbox of notices, and marking one read.

use crate::error::PageError;
use crate::extract::{parse_id, PageUser};
use crate::shell::{render, Nav};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use dualtrack_domain::time::display;
use dualtrack_service::whistle::{InboxQuery, NoticeView};

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
