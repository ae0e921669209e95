//! Notices to departments, places and the whistler, queued with their webhook deliveries, and
//! the inbox that reads them.

use super::views::notice_view;
use super::*;
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::{DateTime, Utc};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::role::Permission;
use dualtrack_domain::whistle::TicketEvent;
use dualtrack_store::whistle::{self as store, NewNotice, TicketRow};
use dualtrack_store::Tx;

/// A notice to write inside a change's transaction.
pub(crate) struct Note {
    pub event: TicketEvent,
    pub message: String,
    pub user_id: Option<i64>,
    pub department_id: Option<i64>,
    pub place: Option<String>,
}

impl Note {
    pub(super) fn to_department(event: TicketEvent, id: i64, message: String) -> Note {
        Note {
            event,
            message,
            user_id: None,
            department_id: Some(id),
            place: None,
        }
    }

    fn to_place(event: TicketEvent, code: &str, message: String) -> Note {
        Note {
            event,
            message,
            user_id: None,
            department_id: None,
            place: Some(code.to_string()),
        }
    }

    /// To the whistler: the account that raised the ticket, or else the ticket's place.
    pub(super) fn to_whistler(event: TicketEvent, t: &TicketRow, message: String) -> Note {
        match t.raised_by_user {
            Some(u) => Note {
                event,
                message,
                user_id: Some(u),
                department_id: None,
                place: None,
            },
            None => Note::to_place(event, &t.jurisdiction_code, message),
        }
    }
}

/// Writes the notices (and their webhook deliveries) of one change.
pub(crate) async fn write_notices(
    tx: &mut Tx,
    t: &TicketRow,
    notes: Vec<Note>,
    at: DateTime<Utc>,
) -> ServiceResult<()> {
    for n in notes {
        let row = NewNotice {
            ticket_id: t.id,
            event: n.event.as_str().into(),
            message: n.message.clone(),
            user_id: n.user_id,
            department_id: n.department_id,
            jurisdiction_code: n.place.clone(),
            place_code: t.jurisdiction_code.clone(),
        };
        let body = |id: i64| {
            serde_json::json!({
                "notice_id": id,
                "event": n.event.as_str(),
                "event_name": n.event.zh(),
                "message": n.message,
                "ticket": {
                    "id": t.id,
                    "kind": t.kind,
                    "category": t.category,
                    "title": t.title,
                    "place": t.jurisdiction_code,
                    "place_name": t.place_name,
                    "level": t.level_code,
                },
                "at": at.to_rfc3339(),
            })
            .to_string()
        };
        store::insert_notice(tx, &row, at, &body).await?;
    }
    Ok(())
}

impl App {
    /// The caller's inbox: notices to the caller, its department and its own place.
    pub async fn inbox(&self, actor: &Actor, q: &InboxQuery) -> ServiceResult<Inbox> {
        self.require(actor, Permission::ReadTickets, "通知", "inbox")
            .await?;
        let Some(uid) = actor.user_id else {
            return Ok(Inbox {
                unread: 0,
                notices: vec![],
            });
        };
        let dept = self.department_of(actor).await?.map(|d| d.id);
        let place = actor.home_code().unwrap_or_default();
        let limit = q.limit.unwrap_or(100).clamp(1, 500);
        let now = self.now();
        let unread_only = q.unread == Some(true);
        let rows = store::inbox(&self.db, uid, dept, &place, unread_only, now, limit).await?;
        Ok(Inbox {
            unread: store::unread_count(&self.db, uid, dept, &place, now).await?,
            notices: rows
                .into_iter()
                .map(|n| notice_view(n, uid))
                .collect::<ServiceResult<_>>()?,
        })
    }

    /// How many unread notices the caller has (for the menu); 0 for roles without tickets.
    pub async fn unread_notices(&self, actor: &Actor) -> i64 {
        if !actor.can(Permission::ReadTickets) {
            return 0;
        }
        let Some(uid) = actor.user_id else { return 0 };
        let dept = self.department_of(actor).await.ok().flatten().map(|d| d.id);
        let place = actor.home_code().unwrap_or_default();
        store::unread_count(&self.db, uid, dept, &place, self.now())
            .await
            .unwrap_or(0)
    }

    pub async fn mark_notice_read(&self, actor: &Actor, id: i64) -> ServiceResult<NoticeView> {
        self.require(actor, Permission::ReadTickets, "通知", &id.to_string())
            .await?;
        let not_found = || ServiceError::NotFound(format!("未找到通知 {id}"));
        let uid = actor.user_id.ok_or_else(not_found)?;
        let n = store::notice(&self.db, id).await?.ok_or_else(not_found)?;
        let dept = self.department_of(actor).await?.map(|d| d.id);
        let place = actor.home_code().unwrap_or_default();
        let mine = n.user_id == Some(uid)
            || (dept.is_some() && n.department_id == dept)
            || n.jurisdiction_code.as_deref() == Some(place.as_str());
        if !mine {
            return Err(self
                .refuse(
                    actor,
                    "通知",
                    &id.to_string(),
                    Some(n.place_code.clone()),
                    not_found(),
                )
                .await);
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if store::mark_read(&mut tx, id, &actor.username, now).await? {
            audit_in(
                &mut tx,
                &actor.audit(
                    Action::NoticeRead,
                    Outcome::Success,
                    "通知",
                    id.to_string(),
                    Some(n.place_code.clone()),
                    String::new(),
                ),
            )
            .await?;
        }
        tx.commit().await?;
        let n = store::notice(&self.db, id).await?.ok_or_else(not_found)?;
        notice_view(n, uid)
    }
}
