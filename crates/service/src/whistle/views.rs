//! Rows of the store as the views the service answers with.

use super::*;
use crate::ServiceResult;
use chrono::{DateTime, Utc};
use dualtrack_domain::time::cst;
use dualtrack_domain::whistle::{
    CallStatus, EscalationReason, RaiserKind, SourceKind, TicketCategory, TicketEvent, TicketKind,
    TicketStatus,
};
use dualtrack_store::decode;
use dualtrack_store::whistle::{
    AttachmentRow, CallRow, DepartmentRow, EventRow, NoticeRow, RuleRow, StepRow, TicketRow,
    WebhookRow,
};

pub(super) use crate::input::trimmed as opt;

pub(crate) fn dept_view(d: DepartmentRow) -> DepartmentView {
    DepartmentView {
        id: d.id,
        name: d.name,
        jurisdiction_code: d.jurisdiction_code,
        duty: d.duty,
        phone: d.phone,
    }
}

pub(super) fn rule_view(r: RuleRow) -> ServiceResult<RuleView> {
    let c = decode(
        "routing_rules",
        "category",
        &r.category,
        TicketCategory::parse,
    )?;
    Ok(RuleView {
        id: r.id,
        category: c,
        category_name: c.zh().into(),
        jurisdiction_code: r.jurisdiction_code,
        department_id: r.department_id,
        department_name: r.department_name,
    })
}

pub(crate) fn ticket_view(
    t: TicketRow,
    calls: Option<&[CallRow]>,
    now: DateTime<Utc>,
) -> ServiceResult<TicketView> {
    let kind = decode("tickets", "kind", &t.kind, TicketKind::parse)?;
    let category = decode("tickets", "category", &t.category, TicketCategory::parse)?;
    let raiser = decode("tickets", "raiser_kind", &t.raiser_kind, RaiserKind::parse)?;
    let status = decode("tickets", "status", &t.status, TicketStatus::parse)?;
    let source = t.source_kind.as_deref().and_then(SourceKind::parse);
    let live = matches!(status, TicketStatus::Open | TicketStatus::Working);
    let accept_late =
        calls.is_some_and(|cs| {
            cs.iter()
                .any(|c| c.status == "called" && c.accept_due_at < now)
        }) || (calls.is_none() && status == TicketStatus::Open && t.accept_due_at < now);
    Ok(TicketView {
        id: t.id,
        kind_name: kind.zh().into(),
        kind,
        category_name: category.zh().into(),
        category,
        title: t.title,
        description: t.description,
        jurisdiction_code: t.jurisdiction_code,
        place_name: t.place_name,
        address: t.address,
        raiser_kind_name: raiser.zh().into(),
        raiser_kind: raiser,
        raiser_name: t.raiser_name,
        source_name: source.map(|s| s.zh().to_string()),
        source,
        source_id: t.source_id,
        enterprise_id: t.enterprise_id,
        org_id: t.org_id,
        status_name: status.zh().into(),
        status,
        level_code: t.level_code,
        level_name: t.level_name,
        escalations: t.escalations,
        accept_due_at: t.accept_due_at,
        resolve_due_at: t.resolve_due_at,
        overdue: live && (t.resolve_due_at < now || accept_late),
        raised_by: t.raised_by,
        raised_at: t.raised_at,
        resolved_at: t.resolved_at,
        closed_at: t.closed_at,
        rating: t.rating,
        feedback: t.feedback,
        reopened: t.reopened,
    })
}

pub(super) fn call_view(c: CallRow, now: DateTime<Utc>) -> ServiceResult<CallView> {
    let status = decode("ticket_calls", "status", &c.status, CallStatus::parse)?;
    Ok(CallView {
        department_id: c.department_id,
        department_name: c.department_name,
        department_code: c.department_code,
        routed: c.routed,
        status_name: status.zh().into(),
        status,
        called_at: c.called_at,
        accept_due_at: c.accept_due_at,
        accept_overdue: status == CallStatus::Called && c.accept_due_at < now,
        response_minutes: c.accepted_at.map(|a| (a - c.called_at).num_minutes()),
        accepted_at: c.accepted_at,
        accepted_by: c.accepted_by,
        resolved_at: c.resolved_at,
        resolved_by: c.resolved_by,
        resolution: c.resolution,
    })
}

pub(super) fn event_view(e: EventRow) -> ServiceResult<EventView> {
    let ev = decode("ticket_events", "event", &e.event, TicketEvent::parse)?;
    Ok(EventView {
        at: e.at,
        event_name: ev.zh().into(),
        event: ev,
        department_name: e.department_name,
        actor: e.actor,
        note: e.note,
    })
}

pub(super) fn step_view(s: StepRow) -> ServiceResult<EscalationView> {
    let r = decode(
        "ticket_escalations",
        "reason",
        &s.reason,
        EscalationReason::parse,
    )?;
    Ok(EscalationView {
        step: s.step,
        from_code: s.from_code,
        from_name: s.from_name,
        to_code: s.to_code,
        to_name: s.to_name,
        reason_name: r.zh().into(),
        reason: r,
        due_at: s.due_at,
        created_at: s.created_at,
    })
}

pub(super) fn attachment_view(a: AttachmentRow) -> AttachmentView {
    AttachmentView {
        id: a.id,
        file_name: a.file_name,
        content_type: a.content_type,
        size: a.size,
        sha256: a.sha256,
        uploaded_by: a.uploaded_by,
        uploaded_at: a.uploaded_at,
    }
}

pub(super) fn notice_view(n: NoticeRow, user_id: i64) -> ServiceResult<NoticeView> {
    let ev = decode("notices", "event", &n.event, TicketEvent::parse)?;
    Ok(NoticeView {
        id: n.id,
        ticket_id: n.ticket_id,
        event_name: ev.zh().into(),
        event: ev,
        message: n.message,
        to: if n.user_id == Some(user_id) {
            "user".into()
        } else if n.department_id.is_some() {
            "department".into()
        } else {
            "place".into()
        },
        created_at: n.created_at,
        read_at: n.read_at,
    })
}

pub(super) fn hook_view(w: WebhookRow) -> WebhookView {
    WebhookView {
        id: w.id,
        name: w.name,
        jurisdiction_code: w.jurisdiction_code,
        department_id: w.department_id,
        department_name: w.department_name,
        url: w.url,
        active: w.active,
        kind_name: ChannelKind::parse(&w.kind)
            .unwrap_or(ChannelKind::Generic)
            .zh()
            .into(),
        kind: ChannelKind::parse(&w.kind).unwrap_or(ChannelKind::Generic),
        event_names: w
            .events
            .split(',')
            .filter_map(dualtrack_domain::whistle::event_zh)
            .collect::<Vec<_>>()
            .join("、"),
        events: w.events,
        mentions: dualtrack_domain::resident_id::mask_in_text(&w.mentions),
        per_minute: w.per_minute,
        keyword: w.keyword,
    }
}

pub(super) fn short(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out
}

/// A time shown as hours and minutes, China Standard Time.
pub(super) fn hm(t: DateTime<Utc>) -> String {
    t.with_timezone(&cst()).format("%m-%d %H:%M").to_string()
}
