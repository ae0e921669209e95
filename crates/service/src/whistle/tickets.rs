//! Reading tickets: one with its calls, timeline, escalations and attachments, or a page of them.

use super::raising::{parse_category, parse_kind};
use super::views::{attachment_view, call_view, event_view, opt, step_view, ticket_view};
use super::*;
use crate::{Actor, App, ServiceError, ServiceResult};
use dualtrack_domain::role::Permission;
use dualtrack_domain::whistle::{SourceKind, TicketStatus};
use dualtrack_store::whistle::{self as store, CallRow, TicketFilter, TicketRow};
use std::collections::HashMap;

impl App {
    /// Refuses `e` about the ticket `t` (audited) and returns the error to give the caller.
    pub(super) async fn refuse_ticket(
        &self,
        actor: &Actor,
        t: &TicketRow,
        e: ServiceError,
    ) -> ServiceError {
        let id = t.id.to_string();
        self.refuse(actor, "工单", &id, Some(t.jurisdiction_code.clone()), e)
            .await
    }

    /// A ticket the caller may see: in its scope and, for a department's responder, calling
    /// its department. Otherwise "not found", the refusal audited.
    pub(super) async fn own_ticket(&self, actor: &Actor, id: i64) -> ServiceResult<TicketRow> {
        let row = store::ticket(&self.db, id).await?;
        let t = self
            .own(actor, "工单", id, row, |r| &r.jurisdiction_code)
            .await?;
        if actor.can(Permission::RespondTickets)
            && !actor.can(Permission::RaiseTickets)
            && !actor.is_cli
        {
            let dept = self.department_of(actor).await?;
            let calls = store::calls(&self.db, id).await?;
            let mine = dept.is_some_and(|d| calls.iter().any(|c| c.department_id == d.id));
            if !mine && !actor.has(dualtrack_domain::role::Role::Leader) {
                let e = ServiceError::NotFound(format!("未找到工单 {id}，或其未呼叫您所在的部门"));
                return Err(self.refuse_ticket(actor, &t, e).await);
            }
        }
        Ok(t)
    }

    /// A ticket in the caller's scope (for a department's answer: whether it was called is
    /// checked next, and named in the refusal).
    pub(super) async fn ticket_in_scope(&self, actor: &Actor, id: i64) -> ServiceResult<TicketRow> {
        let row = store::ticket(&self.db, id).await?;
        self.own(actor, "工单", id, row, |r| &r.jurisdiction_code)
            .await
    }

    pub async fn ticket_detail(&self, actor: &Actor, id: i64) -> ServiceResult<TicketDetail> {
        self.require(actor, Permission::ReadTickets, "工单", &id.to_string())
            .await?;
        let t = self.own_ticket(actor, id).await?;
        self.detail_of(t).await
    }

    pub(super) async fn detail_of(&self, t: TicketRow) -> ServiceResult<TicketDetail> {
        let now = self.now();
        let id = t.id;
        let calls = store::calls(&self.db, id).await?;
        let ticket = ticket_view(t, Some(&calls), now)?;
        Ok(TicketDetail {
            ticket,
            calls: calls
                .into_iter()
                .map(|c| call_view(c, now))
                .collect::<ServiceResult<_>>()?,
            events: store::events(&self.db, id)
                .await?
                .into_iter()
                .map(event_view)
                .collect::<ServiceResult<_>>()?,
            escalations: store::steps(&self.db, id)
                .await?
                .into_iter()
                .map(step_view)
                .collect::<ServiceResult<_>>()?,
            attachments: store::attachments(&self.db, id)
                .await?
                .into_iter()
                .map(attachment_view)
                .collect(),
        })
    }

    /// Tickets of the caller's scope; a department's responder sees those calling its
    /// department.
    pub async fn tickets(&self, actor: &Actor, q: &TicketsQuery) -> ServiceResult<Vec<TicketView>> {
        self.require(actor, Permission::ReadTickets, "工单", "list")
            .await?;
        let now = self.now();
        let scope = self.narrowed(actor, &q.place).await?;
        let status = match opt(&q.status) {
            None => None,
            Some(s) => Some(
                TicketStatus::parse(s)
                    .ok_or_else(|| ServiceError::invalid("status", format!("状态“{s}”无效")))?
                    .as_str()
                    .to_string(),
            ),
        };
        let kind = match opt(&q.kind) {
            None => None,
            Some(k) => Some(parse_kind(Some(k))?.as_str().to_string()),
        };
        let category = match opt(&q.category) {
            None => None,
            Some(c) => Some(parse_category(c)?.as_str().to_string()),
        };
        let mut department_id = q.department_id;
        if actor.can(Permission::RespondTickets)
            && !actor.can(Permission::RaiseTickets)
            && !actor.is_cli
        {
            match self.department_of(actor).await? {
                Some(d) => department_id = Some(d.id),
                None => return Ok(vec![]),
            }
        }
        let f = TicketFilter {
            status,
            kind,
            category,
            department_id,
            level_code: if q.supervised == Some(true) {
                actor.home_code()
            } else {
                None
            },
            raised_by_user: if q.mine == Some(true) {
                actor.user_id
            } else {
                None
            },
            overdue_at: if q.overdue == Some(true) {
                Some(now)
            } else {
                None
            },
            source_kind: opt(&q.source)
                .and_then(SourceKind::parse)
                .map(|s| s.as_str().to_string()),
            source_id: q.source_id,
            raised_until: Some(now),
        };
        let limit = q.limit.unwrap_or(100).clamp(1, 500);
        let offset = q.offset.unwrap_or(0).max(0);
        let rows = store::tickets(&self.db, &scope, &f, limit, offset).await?;
        let ids: Vec<i64> = rows.iter().map(|t| t.id).collect();
        let mut calls: HashMap<i64, Vec<CallRow>> = HashMap::new();
        for c in store::calls_of(&self.db, &ids).await? {
            calls.entry(c.ticket_id).or_default().push(c);
        }
        rows.into_iter()
            .map(|t| {
                let cs = calls.remove(&t.id).unwrap_or_default();
                ticket_view(t, Some(&cs), now)
            })
            .collect()
    }
}
