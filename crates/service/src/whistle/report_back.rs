//! Report-back (报到): departments accept and resolve their calls; the whistler confirms or
//! rejects the resolution.

use super::views::{hm, short};
use super::*;
use crate::input::{optional_text, text};
use crate::{Actor, App, ServiceError, ServiceResult};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::role::Permission;
use dualtrack_domain::time::display;
use dualtrack_domain::whistle::{check_rating, TicketEvent, TicketKind, TicketStatus};
use dualtrack_store::decode;
use dualtrack_store::whistle::{self as store, CallRow, TicketRow};

impl App {
    /// A ticket a responder acts on, and the call of the department it acts for: the one
    /// given, or its own; it must be the caller's own department and called on the ticket.
    async fn responder_call(
        &self,
        actor: &Actor,
        id: i64,
        given: Option<i64>,
        what: &str,
    ) -> ServiceResult<(TicketRow, CallRow)> {
        self.require(actor, Permission::RespondTickets, "工单", &id.to_string())
            .await?;
        let t = self.ticket_in_scope(actor, id).await?;
        let call = self.acting_department(actor, &t, given, what).await?;
        Ok((t, call))
    }

    async fn acting_department(
        &self,
        actor: &Actor,
        t: &TicketRow,
        given: Option<i64>,
        what: &str,
    ) -> ServiceResult<CallRow> {
        let mine = self.department_of(actor).await?;
        let Some(mine) = mine else {
            let e = ServiceError::invalid(
                "department_id",
                "您的账户尚未归属任何部门，请联系管理员在“部门与派单”中添加",
            );
            return Err(self.refuse_ticket(actor, t, e).await);
        };
        let dept = given.unwrap_or(mine.id);
        let calls = store::calls(&self.db, t.id).await?;
        if dept != mine.id {
            let e = ServiceError::invalid(
                "department_id",
                format!("您只能代表本部门（{}）{what}", mine.name),
            );
            return Err(self.refuse_ticket(actor, t, e).await);
        }
        match calls.into_iter().find(|c| c.department_id == dept) {
            Some(c) => Ok(c),
            None => {
                let e = ServiceError::invalid(
                    "department_id",
                    format!("本工单未呼叫您所在的部门（{}），不能{what}", mine.name),
                );
                Err(self.refuse_ticket(actor, t, e).await)
            }
        }
    }

    /// A called department reports (报到). The acceptance, its timeline event, the notice to
    /// the whistler and the audit row are one transaction; the answer comes after the commit.
    pub async fn accept_ticket(
        &self,
        actor: &Actor,
        id: i64,
        input: &AcceptInput,
    ) -> ServiceResult<TicketDetail> {
        let (t, call) = self
            .responder_call(actor, id, input.department_id, "报到")
            .await?;
        let note = optional_text("note", "说明", &input.note, 500)?;
        if call.status != "called" {
            return Err(ServiceError::conflict(
                "department_id",
                format!(
                    "{}已于 {} 报到，不能重复报到",
                    call.department_name,
                    call.accepted_at.map(display).unwrap_or_default()
                ),
            ));
        }
        if t.status == "closed" {
            return Err(ServiceError::conflict("status", "工单已办结"));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !store::accept_call(&mut tx, id, call.department_id, &actor.username, now).await? {
            return Err(ServiceError::conflict(
                "department_id",
                format!("{}已报到，不能重复报到", call.department_name),
            ));
        }
        store::set_status(&mut tx, id, &["open"], "working", now).await?;
        store::insert_event(
            &mut tx,
            id,
            now,
            TicketEvent::Accepted.as_str(),
            Some(call.department_id),
            &actor.username,
            &note,
        )
        .await?;
        let late = now > call.accept_due_at;
        let msg = format!(
            "{}已报到（{}，用时 {} 分钟{}）{}",
            call.department_name,
            hm(now),
            (now - call.called_at).num_minutes(),
            if late { "，超时" } else { "" },
            after_colon(&note)
        );
        write_notices(
            &mut tx,
            &t,
            vec![Note::to_whistler(TicketEvent::Accepted, &t, msg)],
            now,
        )
        .await?;
        self.commit_ticket(
            tx,
            actor,
            Action::TicketAccept,
            &t,
            format!(
                "{}报到{}",
                call.department_name,
                if late { "（超时）" } else { "" }
            ),
        )
        .await
    }

    /// Commits a change to a ticket with its audit row, and answers the ticket as it now is.
    async fn commit_ticket(
        &self,
        tx: dualtrack_store::Tx,
        actor: &Actor,
        action: Action,
        t: &TicketRow,
        detail: String,
    ) -> ServiceResult<TicketDetail> {
        let audit = actor.audit(
            action,
            Outcome::Success,
            "工单",
            t.id.to_string(),
            Some(t.jurisdiction_code.clone()),
            detail,
        );
        commit_audited(tx, &audit).await?;
        let t = store::ticket(&self.db, t.id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("未找到工单 {}", t.id)))?;
        self.detail_of(t).await
    }

    /// A department that reported resolves, saying what it did. When every called
    /// department has resolved, the ticket waits for the whistler's confirmation.
    pub async fn resolve_ticket(
        &self,
        actor: &Actor,
        id: i64,
        input: &ResolveInput,
    ) -> ServiceResult<TicketDetail> {
        let (t, call) = self
            .responder_call(actor, id, input.department_id, "办结")
            .await?;
        let resolution = text("resolution", "处置情况", &input.resolution, 2000)?;
        match call.status.as_str() {
            "called" => {
                return Err(ServiceError::conflict(
                    "department_id",
                    format!("{}尚未报到，请先报到再办结", call.department_name),
                ))
            }
            "resolved" => {
                return Err(ServiceError::conflict(
                    "department_id",
                    format!("{}已办结，等待吹哨人确认", call.department_name),
                ))
            }
            _ => {}
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !store::resolve_call(
            &mut tx,
            id,
            call.department_id,
            &resolution,
            &actor.username,
            now,
        )
        .await?
        {
            return Err(ServiceError::conflict(
                "department_id",
                format!("{}的办结状态已变化，请刷新", call.department_name),
            ));
        }
        store::insert_event(
            &mut tx,
            id,
            now,
            TicketEvent::Resolved.as_str(),
            Some(call.department_id),
            &actor.username,
            &resolution,
        )
        .await?;
        let calls = store::calls_in(&mut tx, id).await?;
        let mut notes = vec![Note::to_whistler(
            TicketEvent::Resolved,
            &t,
            format!("{}已办结：{}", call.department_name, short(&resolution, 80)),
        )];
        if calls.iter().all(|c| c.status == "resolved") {
            store::set_status(&mut tx, id, &["open", "working"], "resolved", now).await?;
            store::insert_event(
                &mut tx,
                id,
                now,
                TicketEvent::AllResolved.as_str(),
                None,
                &actor.username,
                "",
            )
            .await?;
            notes.push(Note::to_whistler(
                TicketEvent::AllResolved,
                &t,
                format!("工单 {}“{}”各部门均已办结，请确认并评价", id, t.title),
            ));
        }
        write_notices(&mut tx, &t, notes, now).await?;
        self.commit_ticket(
            tx,
            actor,
            Action::TicketResolve,
            &t,
            format!("{}办结", call.department_name),
        )
        .await
    }

    /// Whether the actor speaks for the side that raised the ticket, which alone closes
    /// its loop (confirms, rejects, rates): the raising account itself, or an account of
    /// its unit — bound to the same place as the raising account (for a ticket raised from
    /// the command line or an import, to the ticket's place) — that may raise tickets.
    async fn speaks_for_whistler(&self, actor: &Actor, t: &TicketRow) -> ServiceResult<bool> {
        if actor.is_cli {
            return Ok(true);
        }
        if !actor.can(Permission::RaiseTickets) {
            return Ok(false);
        }
        if t.raised_by_user.is_some() && t.raised_by_user == actor.user_id {
            return Ok(true);
        }
        let unit = match t.raised_by_user {
            Some(u) => dualtrack_store::user::by_id(&self.db, u)
                .await?
                .map(|r| r.jurisdiction_code),
            None => Some(t.jurisdiction_code.clone()),
        };
        Ok(unit.is_some_and(|u| actor.scope.code().is_some_and(|c| c.as_str() == u)))
    }

    /// Whether the actor may confirm or reject the ticket's resolution now (for pages:
    /// the forms are shown only to those who may use them).
    pub async fn may_close_ticket(&self, actor: &Actor, id: i64) -> ServiceResult<bool> {
        let Some(t) = store::ticket(&self.db, id).await? else {
            return Ok(false);
        };
        Ok(t.status == "resolved" && self.speaks_for_whistler(actor, &t).await?)
    }

    async fn whistler_check(&self, actor: &Actor, id: i64) -> ServiceResult<TicketRow> {
        self.require(actor, Permission::RaiseTickets, "工单", &id.to_string())
            .await?;
        let t = self.own_ticket(actor, id).await?;
        if !self.speaks_for_whistler(actor, &t).await? {
            return Err(self
                .refuse_ticket(
                    actor,
                    &t,
                    ServiceError::Forbidden(format!(
                        "只有吹哨人（{}）或其所在单位的账户可以确认、退回和评价此工单",
                        t.raised_by
                    )),
                )
                .await);
        }
        if t.status != "resolved" {
            let s = decode("tickets", "status", &t.status, TicketStatus::parse)?.zh();
            return Err(ServiceError::conflict(
                "status",
                format!("工单当前为“{s}”，各部门办结后才能确认或退回"),
            ));
        }
        Ok(t)
    }

    /// The whistler confirms the resolution and rates it: the ticket is closed.
    pub async fn confirm_ticket(
        &self,
        actor: &Actor,
        id: i64,
        input: &ConfirmInput,
    ) -> ServiceResult<TicketDetail> {
        let rating = check_rating(input.rating).map_err(|e| ServiceError::invalid("rating", e))?;
        let feedback = optional_text("feedback", "评价", &input.feedback, 500)?;
        let t = self.whistler_check(actor, id).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !store::close_ticket(&mut tx, id, rating, &feedback, now).await? {
            return Err(ServiceError::conflict("status", "工单状态已变化，请刷新"));
        }
        store::insert_event(
            &mut tx,
            id,
            now,
            TicketEvent::Confirmed.as_str(),
            None,
            &actor.username,
            &format!("{rating} 星{}", after_colon(&feedback)),
        )
        .await?;
        let msg = format!("工单 {}“{}”吹哨人确认办结，评价 {rating} 星", id, t.title);
        notify_departments(&mut tx, &t, TicketEvent::Confirmed, &msg, now).await?;
        self.commit_ticket(tx, actor, Action::TicketConfirm, &t, format!("{rating} 星"))
            .await
    }

    /// The whistler rejects the resolution: the ticket reopens with a new resolution
    /// deadline, every department back at work.
    pub async fn reject_ticket(
        &self,
        actor: &Actor,
        id: i64,
        input: &RejectInput,
    ) -> ServiceResult<TicketDetail> {
        let reason = text("reason", "退回理由", &input.reason, 500)?;
        let rating = match input.rating {
            None => None,
            Some(r) => Some(check_rating(r).map_err(|e| ServiceError::invalid("rating", e))?),
        };
        let t = self.whistler_check(actor, id).await?;
        let now = self.now();
        let kind = decode("tickets", "kind", &t.kind, TicketKind::parse)?;
        let due = now + self.whistle.deadlines.resolve(kind);
        let mut tx = self.db.begin().await?;
        if !store::reopen_ticket(&mut tx, id, rating, &reason, due, now).await? {
            return Err(ServiceError::conflict("status", "工单状态已变化，请刷新"));
        }
        store::insert_event(
            &mut tx,
            id,
            now,
            TicketEvent::Rejected.as_str(),
            None,
            &actor.username,
            &reason,
        )
        .await?;
        let msg = format!(
            "工单 {}“{}”被退回重办：{}，请于 {} 前办结",
            id,
            t.title,
            reason,
            hm(due)
        );
        notify_departments(&mut tx, &t, TicketEvent::Rejected, &msg, now).await?;
        self.commit_ticket(tx, actor, Action::TicketReject, &t, reason)
            .await
    }
}

/// "：text" after a message, or nothing when the text is empty.
fn after_colon(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("：{text}")
    }
}

/// The same notice to every department called on the ticket.
async fn notify_departments(
    tx: &mut dualtrack_store::Tx,
    t: &TicketRow,
    event: TicketEvent,
    msg: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<()> {
    let calls = store::calls_in(tx, t.id).await?;
    let notes = calls
        .iter()
        .map(|c| Note::to_department(event, c.department_id, msg.to_string()))
        .collect();
    write_notices(tx, t, notes, now).await
}
