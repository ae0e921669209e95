//! Whistle and report-back (吹哨报到): departments and routing rules, tickets raised by a
//! grid, village, township, enterprise or work group (by hand or in one click from a grid
//! report, a follow-up, an enterprise report or a production problem), the called
//! departments' report-back (accept, resolve) within deadlines set by kind, the whistler's
//! confirmation or rejection with a rating, attachments, the inbox of notices and the
//! webhooks that forward them, and the figures.
//!
//! Time: "now" is the application's clock, read once per call. Every change writes its row,
//! its timeline event, its notices (with their webhook deliveries) and its audit row in one
//! transaction, and the caller hears of it only after the commit.

use crate::actor::audit_in;
use crate::idempotency::{keep, Claim, Written};
use crate::input::parse_code;
use crate::input::parse_time;
use crate::input::{text, text_of};
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::jurisdiction::{Code, Level, Scope};
use dualtrack_domain::role::Permission;
use dualtrack_domain::time::{cst, display, reporting_day};
use dualtrack_domain::whistle::{
    check_rating, clean_file_name, percentiles, raiser_of_place, satisfied, sniff, CallStatus,
    Deadlines, EscalationReason, RaiserKind, SourceKind, TicketCategory, TicketEvent, TicketKind,
    TicketStatus, ALLOWED_FILES,
};
use dualtrack_store::whistle::{
    self as store, AttachmentRow, CallRow, DepartmentRow, EventRow, NewDepartment, NewNotice,
    NewTicket, NewWebhook, NoticeRow, RuleRow, StepRow, TicketFilter, TicketRow, WebhookRow,
};
use dualtrack_store::Tx;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use utoipa::{IntoParams, ToSchema};

pub mod escalation;
pub mod webhook;

/// The settings of the whistle (`[whistle]` in the configuration).
#[derive(Debug, Clone)]
pub struct WhistleSettings {
    pub deadlines: Deadlines,
    /// The largest attachment accepted, in bytes.
    pub max_attachment_bytes: usize,
    /// Attempts at a webhook delivery before it is given up.
    pub webhook_max_attempts: u32,
}

/// Attachments up to 5 MiB unless set otherwise.
pub const DEFAULT_MAX_ATTACHMENT_BYTES: usize = 5 * 1024 * 1024;
/// The hard ceiling of the attachment setting (and of the route's body limit).
pub const ATTACHMENT_CEILING: usize = 20 * 1024 * 1024;

impl Default for WhistleSettings {
    fn default() -> Self {
        WhistleSettings {
            deadlines: Deadlines::default(),
            max_attachment_bytes: DEFAULT_MAX_ATTACHMENT_BYTES,
            webhook_max_attempts: 8,
        }
    }
}

// ---- inputs and views ----

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct DepartmentInput {
    /// 部门名称，如 格尔木市卫生健康委员会
    pub name: String,
    /// 所属区划（负责的地方）
    pub jurisdiction_code: String,
    /// 职责
    pub duty: Option<String>,
    /// 值班电话
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DepartmentView {
    pub id: i64,
    pub name: String,
    pub jurisdiction_code: String,
    pub duty: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = DepartmentMemberView)]
pub struct MemberView {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DepartmentDetail {
    pub department: DepartmentView,
    /// 部门响应人
    pub members: Vec<MemberView>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[schema(as = DepartmentMemberInput)]
pub struct MemberInput {
    /// 部门响应人账户的用户名
    pub username: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct RuleInput {
    /// 类别：residents 群众诉求 / enforcement 联合执法 / emergency 突发事件 / epidemic 疫情防控 /
    /// labour 用工 / materials 原材料 / logistics 物流运输 / funds 资金 / orders 订单 /
    /// supplies 防疫物资 / other 其他
    pub category: String,
    /// 规则适用的区划（其下的工单按此派单）
    pub jurisdiction_code: String,
    /// 呼叫的部门编号（须负责该区划）
    pub department_ids: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleView {
    pub id: i64,
    pub category: TicketCategory,
    pub category_name: String,
    pub jurisdiction_code: String,
    pub department_id: i64,
    pub department_name: String,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RouteQuery {
    /// 类别
    pub category: String,
    /// 事发地区划代码
    pub place: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Routing {
    /// 按规则呼叫的部门
    pub routed: Vec<DepartmentView>,
    /// 规则所在区划（空为没有适用的规则）
    pub rule_place: Option<String>,
    /// 吹哨人可以加呼的部门：负责该地点的全部部门
    pub allowed: Vec<DepartmentView>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct TicketInput {
    /// 客户端生成的幂等键：重复提交时同一键只记一次（也可放在请求头 Idempotency-Key）
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// 类型：routine 常规 / tough 疑难 / emergency 紧急
    pub kind: Option<String>,
    /// 类别（见派单规则）；由记录发起时可省略
    pub category: Option<String>,
    /// 标题（默认取描述开头）
    pub title: Option<String>,
    /// 情况描述；由记录发起时可省略（取自记录）
    pub description: Option<String>,
    /// 事发地区划代码（网格、村、乡镇）；由记录发起时可省略
    pub jurisdiction_code: Option<String>,
    /// 具体地点
    pub address: Option<String>,
    /// 加呼的部门编号（须负责事发地）；按规则派单的部门总会呼叫
    #[serde(default)]
    pub department_ids: Vec<i64>,
    /// 要求办结时间（RFC 3339 或 北京时间 年-月-日 时:分；默认按类型）
    pub deadline: Option<String>,
    /// 由哪类记录发起：grid_report 网格日报 / followup 随访 / enterprise_report 企业日报 /
    /// production_problem 生产难题
    pub source: Option<String>,
    /// 该记录的编号
    pub source_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallView {
    pub department_id: i64,
    pub department_name: String,
    pub department_code: String,
    /// 按规则派单（否则为吹哨人加呼）
    pub routed: bool,
    pub status: CallStatus,
    pub status_name: String,
    pub called_at: DateTime<Utc>,
    pub accept_due_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub accepted_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<String>,
    pub resolution: Option<String>,
    /// 超时未报到
    pub accept_overdue: bool,
    /// 报到用时（分钟）
    pub response_minutes: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketView {
    pub id: i64,
    pub kind: TicketKind,
    pub kind_name: String,
    pub category: TicketCategory,
    pub category_name: String,
    pub title: String,
    pub description: String,
    pub jurisdiction_code: String,
    pub place_name: String,
    pub address: String,
    pub raiser_kind: RaiserKind,
    pub raiser_kind_name: String,
    pub raiser_name: String,
    pub source: Option<SourceKind>,
    pub source_name: Option<String>,
    pub source_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    pub org_id: Option<i64>,
    pub status: TicketStatus,
    pub status_name: String,
    /// 当前督办层级
    pub level_code: String,
    pub level_name: String,
    pub escalations: i32,
    pub accept_due_at: DateTime<Utc>,
    pub resolve_due_at: DateTime<Utc>,
    /// 超过报到或办结时限（未办结时）
    pub overdue: bool,
    pub raised_by: String,
    pub raised_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// 满意度 1–5
    pub rating: Option<i32>,
    pub feedback: Option<String>,
    /// 退回重办次数
    pub reopened: i32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    pub at: DateTime<Utc>,
    pub event: TicketEvent,
    pub event_name: String,
    pub department_name: Option<String>,
    pub actor: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EscalationView {
    pub step: i32,
    pub from_code: String,
    pub from_name: String,
    pub to_code: String,
    pub to_name: String,
    pub reason: EscalationReason,
    pub reason_name: String,
    /// 应升级的时间（时限 + 逐级间隔）
    pub due_at: DateTime<Utc>,
    /// 记录时间
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketDetail {
    pub ticket: TicketView,
    pub calls: Vec<CallView>,
    pub events: Vec<EventView>,
    pub escalations: Vec<EscalationView>,
    pub attachments: Vec<AttachmentView>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketsQuery {
    /// 状态 open 待报到 / working 处置中 / resolved 待确认 / closed 已办结
    pub status: Option<String>,
    /// 类型 routine / tough / emergency
    pub kind: Option<String>,
    /// 类别
    pub category: Option<String>,
    /// 只看超时的
    pub overdue: Option<bool>,
    /// 只看升级到本级督办的
    pub supervised: Option<bool>,
    /// 只看我发起的
    pub mine: Option<bool>,
    /// 呼叫某部门的
    pub department_id: Option<i64>,
    /// 由某类记录发起的（与 source_id 同用）
    pub source: Option<String>,
    pub source_id: Option<i64>,
    /// 区划代码（辖区内）
    pub place: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct AcceptInput {
    /// 报到的部门（默认本人所在部门）
    pub department_id: Option<i64>,
    /// 说明（如 已派员赶赴现场）
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[schema(as = TicketResolveInput)]
pub struct ResolveInput {
    /// 办结的部门（默认本人所在部门）
    pub department_id: Option<i64>,
    /// 处置情况：做了什么
    pub resolution: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ConfirmInput {
    /// 满意度 1–5 星
    pub rating: i64,
    /// 评价
    pub feedback: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct RejectInput {
    /// 退回理由
    pub reason: String,
    /// 满意度 1–5 星（可选）
    pub rating: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttachQuery {
    /// 文件名（如 现场.jpg）
    pub name: String,
    /// 客户端生成的幂等键：重传同一文件时只记一次（也可放在请求头 Idempotency-Key）
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoticeView {
    pub id: i64,
    pub ticket_id: i64,
    pub event: TicketEvent,
    pub event_name: String,
    pub message: String,
    /// 收件：user 本人 / department 本部门 / place 本级
    pub to: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Inbox {
    pub unread: i64,
    pub notices: Vec<NoticeView>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// 只看未读
    pub unread: Option<bool>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct WebhookInput {
    /// 名称，如 格尔木市卫健委值班群机器人
    pub name: String,
    /// 所属区划：推送发给该级的通知
    pub jurisdiction_code: String,
    /// 部门编号：推送发给该部门的通知（与区划二选一，填部门时区划为部门所在）
    pub department_id: Option<i64>,
    /// 接收地址 http://…（内网）
    pub url: String,
    /// 签名密钥（至少 16 个字符），用于 X-Dualtrack-Signature
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: i64,
    pub name: String,
    pub jurisdiction_code: String,
    pub department_id: Option<i64>,
    pub department_name: Option<String>,
    pub url: String,
    pub active: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    pub notice_id: i64,
    /// pending 待发送 / delivered 已送达 / failed 放弃
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WhistleFiguresQuery {
    /// 起始日期（含）年-月-日，默认 30 天前
    pub from: Option<String>,
    /// 截止日期（含），默认今天
    pub to: Option<String>,
    /// 区划代码（辖区内）
    pub place: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Figure {
    /// 呼叫次数（部门 × 工单）
    pub calls: i64,
    /// 已报到
    pub accepted: i64,
    /// 已办结
    pub resolved: i64,
    /// 报到用时中位数、90 分位（分钟）
    pub response_median_minutes: Option<i64>,
    pub response_p90_minutes: Option<i64>,
    /// 办结用时（自呼叫起）中位数、90 分位（分钟）
    pub resolution_median_minutes: Option<i64>,
    pub resolution_p90_minutes: Option<i64>,
    /// 超时（报到或办结晚于时限，或至今仍超时）的呼叫
    pub overdue: i64,
    /// 超时率 %
    pub overdue_rate: Option<f64>,
    /// 已评价的工单数、平均星级、满意（4–5 星）率 %
    pub rated: i64,
    pub rating_average: Option<f64>,
    pub satisfaction_rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DepartmentFigure {
    pub department_id: i64,
    pub department_name: String,
    pub jurisdiction_code: String,
    #[serde(flatten)]
    pub figure: Figure,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaceFigure {
    pub code: String,
    pub name: String,
    /// 工单数
    pub tickets: i64,
    /// 升级督办的工单数
    pub escalated: i64,
    /// 网格吹哨数、网格数、吹哨率（每网格）
    pub grid_tickets: i64,
    pub grids: i64,
    pub whistle_rate: Option<f64>,
    #[serde(flatten)]
    pub figure: Figure,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WhistleFigures {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub scope: String,
    pub tickets: i64,
    pub closed: i64,
    pub escalated: i64,
    pub grid_tickets: i64,
    pub grids: i64,
    /// 吹哨率：期间网格发起的工单 ÷ 网格数
    pub whistle_rate: Option<f64>,
    pub total: Figure,
    pub departments: Vec<DepartmentFigure>,
    pub places: Vec<PlaceFigure>,
}

// ---- helpers ----

fn opt(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub(crate) fn dept_view(d: DepartmentRow) -> DepartmentView {
    DepartmentView {
        id: d.id,
        name: d.name,
        jurisdiction_code: d.jurisdiction_code,
        duty: d.duty,
        phone: d.phone,
    }
}

fn rule_view(r: RuleRow) -> RuleView {
    let c = TicketCategory::parse(&r.category).unwrap_or(TicketCategory::Other);
    RuleView {
        id: r.id,
        category: c,
        category_name: c.zh().into(),
        jurisdiction_code: r.jurisdiction_code,
        department_id: r.department_id,
        department_name: r.department_name,
    }
}

pub(crate) fn ticket_view(
    t: TicketRow,
    calls: Option<&[CallRow]>,
    now: DateTime<Utc>,
) -> TicketView {
    let kind = TicketKind::parse(&t.kind).unwrap_or(TicketKind::Routine);
    let category = TicketCategory::parse(&t.category).unwrap_or(TicketCategory::Other);
    let raiser = RaiserKind::parse(&t.raiser_kind).unwrap_or(RaiserKind::Grid);
    let status = TicketStatus::parse(&t.status).unwrap_or(TicketStatus::Open);
    let source = t.source_kind.as_deref().and_then(SourceKind::parse);
    let live = matches!(status, TicketStatus::Open | TicketStatus::Working);
    let accept_late =
        calls.is_some_and(|cs| {
            cs.iter()
                .any(|c| c.status == "called" && c.accept_due_at < now)
        }) || (calls.is_none() && status == TicketStatus::Open && t.accept_due_at < now);
    TicketView {
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
    }
}

fn call_view(c: CallRow, now: DateTime<Utc>) -> CallView {
    let status = CallStatus::parse(&c.status).unwrap_or(CallStatus::Called);
    CallView {
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
    }
}

fn event_view(e: EventRow) -> EventView {
    let ev = TicketEvent::parse(&e.event).unwrap_or(TicketEvent::Raised);
    EventView {
        at: e.at,
        event_name: ev.zh().into(),
        event: ev,
        department_name: e.department_name,
        actor: e.actor,
        note: e.note,
    }
}

fn step_view(s: StepRow) -> EscalationView {
    let r = EscalationReason::parse(&s.reason).unwrap_or(EscalationReason::NotAccepted);
    EscalationView {
        step: s.step,
        from_code: s.from_code,
        from_name: s.from_name,
        to_code: s.to_code,
        to_name: s.to_name,
        reason_name: r.zh().into(),
        reason: r,
        due_at: s.due_at,
        created_at: s.created_at,
    }
}

fn attachment_view(a: AttachmentRow) -> AttachmentView {
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

fn notice_view(n: NoticeRow, user_id: i64) -> NoticeView {
    let ev = TicketEvent::parse(&n.event).unwrap_or(TicketEvent::Raised);
    NoticeView {
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
    }
}

fn hook_view(w: WebhookRow) -> WebhookView {
    WebhookView {
        id: w.id,
        name: w.name,
        jurisdiction_code: w.jurisdiction_code,
        department_id: w.department_id,
        department_name: w.department_name,
        url: w.url,
        active: w.active,
    }
}

fn short(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out
}

/// A time shown as hours and minutes, China Standard Time.
fn hm(t: DateTime<Utc>) -> String {
    t.with_timezone(&cst()).format("%m-%d %H:%M").to_string()
}

/// A notice to write inside a change's transaction.
pub(crate) struct Note {
    pub event: TicketEvent,
    pub message: String,
    pub user_id: Option<i64>,
    pub department_id: Option<i64>,
    pub place: Option<String>,
}

impl Note {
    fn to_department(event: TicketEvent, id: i64, message: String) -> Note {
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
    fn to_whistler(event: TicketEvent, t: &TicketRow, message: String) -> Note {
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

fn parse_kind(raw: Option<&str>) -> ServiceResult<TicketKind> {
    match raw {
        None => Ok(TicketKind::Routine),
        Some(k) => TicketKind::parse(k).ok_or_else(|| {
            ServiceError::invalid("kind", format!("类型“{k}”无效，应为 常规、疑难 或 紧急"))
        }),
    }
}

fn parse_category(raw: &str) -> ServiceResult<TicketCategory> {
    TicketCategory::parse(raw).ok_or_else(|| {
        let names: Vec<&str> = TicketCategory::ALL.iter().map(|c| c.zh()).collect();
        ServiceError::invalid(
            "category",
            format!("类别“{}”无效，应为 {}", raw.trim(), names.join("、")),
        )
    })
}

/// What a ticket raised from a record starts with.
struct FromSource {
    kind: SourceKind,
    id: i64,
    place: String,
    category: TicketCategory,
    description: String,
    raiser: Option<(RaiserKind, String)>,
    enterprise_id: Option<i64>,
    org_id: Option<i64>,
}

impl App {
    /// The departments a user answers for (dept_responders), if any.
    pub async fn department_of(&self, actor: &Actor) -> ServiceResult<Option<DepartmentRow>> {
        match actor.user_id {
            Some(u) => Ok(store::department_of_user(&self.db, u).await?),
            None => Ok(None),
        }
    }

    // ---- departments ----

    pub async fn create_department(
        &self,
        actor: &Actor,
        input: &DepartmentInput,
    ) -> ServiceResult<DepartmentView> {
        self.require(actor, Permission::ManageWhistle, "部门", "new")
            .await?;
        let name = text("name", "部门名称", &input.name, 50)?;
        let duty = text_of(
            "duty",
            "职责",
            input.duty.as_deref().unwrap_or(""),
            200,
            false,
        )?;
        let phone = match opt(&input.phone) {
            None => None,
            Some(p) => Some(text("phone", "值班电话", p, 30)?),
        };
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        if code.level() > Level::Township {
            return Err(ServiceError::invalid(
                "jurisdiction_code",
                "部门应设在州、县（市）或乡镇（街道）一级",
            ));
        }
        if store::department_by_name(&self.db, code.as_str(), &name)
            .await?
            .is_some()
        {
            return Err(ServiceError::Conflict {
                field: "name",
                message: format!("{code} 已有部门“{name}”"),
            });
        }
        let now = self.now();
        let d = NewDepartment {
            name: name.clone(),
            jurisdiction_code: code.to_string(),
            duty,
            phone,
            created_by: actor.username.clone(),
        };
        let mut tx = self.db.begin().await?;
        let id = store::insert_department(&mut tx, &d, now).await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::DepartmentCreate,
                Outcome::Success,
                "部门",
                id.to_string(),
                Some(code.to_string()),
                name.clone(),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(DepartmentView {
            id,
            name,
            jurisdiction_code: d.jurisdiction_code,
            duty: d.duty,
            phone: d.phone,
        })
    }

    /// The departments a caller sees: of its subtree, and those above that answer for it.
    pub async fn departments(&self, actor: &Actor) -> ServiceResult<Vec<DepartmentView>> {
        self.require(actor, Permission::ReadTree, "部门", "list")
            .await?;
        Ok(store::departments_visible(&self.db, &actor.scope)
            .await?
            .into_iter()
            .map(dept_view)
            .collect())
    }

    /// A department visible to the caller, or "not found".
    async fn visible_department(&self, actor: &Actor, id: i64) -> ServiceResult<DepartmentRow> {
        let row = store::department(&self.db, id).await?;
        let not_found =
            || ServiceError::NotFound(format!("未找到部门 {id}，或其不在您的管辖范围内"));
        let Some(row) = row else {
            return Err(not_found());
        };
        let code = Code::parse(&row.jurisdiction_code)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let visible = match &actor.scope {
            Scope::All => true,
            Scope::Under(s) => code.is_within(s) || s.is_within(&code),
        };
        if !visible {
            return Err(self
                .refuse(
                    actor,
                    "部门",
                    &id.to_string(),
                    Some(code.to_string()),
                    not_found(),
                )
                .await);
        }
        Ok(row)
    }

    pub async fn department_detail(
        &self,
        actor: &Actor,
        id: i64,
    ) -> ServiceResult<DepartmentDetail> {
        self.require(actor, Permission::ReadTree, "部门", &id.to_string())
            .await?;
        let d = self.visible_department(actor, id).await?;
        let members = store::members(&self.db, id)
            .await?
            .into_iter()
            .map(|m| MemberView {
                user_id: m.user_id,
                username: m.username,
                display_name: m.display_name,
            })
            .collect();
        Ok(DepartmentDetail {
            department: dept_view(d),
            members,
        })
    }

    /// Puts a dept_responder account in a department; both must be within the caller's scope.
    pub async fn add_department_member(
        &self,
        actor: &Actor,
        id: i64,
        input: &MemberInput,
    ) -> ServiceResult<DepartmentDetail> {
        self.require(actor, Permission::ManageWhistle, "部门", &id.to_string())
            .await?;
        let d = store::department(&self.db, id).await?;
        let d = self
            .own(actor, "部门", id, d, |r| &r.jurisdiction_code)
            .await?;
        let username = text("username", "用户名", &input.username, 50)?.to_lowercase();
        let user = dualtrack_store::user::by_username(&self.db, &username).await?;
        let Some(user) = user else {
            return Err(ServiceError::invalid(
                "username",
                format!("没有账户“{username}”"),
            ));
        };
        let ucode = Code::parse(&user.jurisdiction_code)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        if !actor.scope.contains(&ucode) {
            return Err(ServiceError::invalid(
                "username",
                format!("账户“{username}”不在您的管辖范围内"),
            ));
        }
        let roles = dualtrack_store::user::roles(&self.db, user.id).await?;
        if !roles.iter().any(|r| r == "dept_responder") {
            return Err(ServiceError::invalid(
                "username",
                format!("账户“{username}”不是部门响应人，请先由安全管理员授予该角色"),
            ));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        store::set_member(&mut tx, user.id, id, now).await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::DepartmentMember,
                Outcome::Success,
                "部门",
                id.to_string(),
                Some(d.jurisdiction_code.clone()),
                format!("{username} 归属 {}", d.name),
            ),
        )
        .await?;
        tx.commit().await?;
        self.department_detail(actor, id).await
    }

    // ---- routing rules ----

    pub async fn set_rule(&self, actor: &Actor, input: &RuleInput) -> ServiceResult<Vec<RuleView>> {
        self.require(actor, Permission::ManageWhistle, "派单规则", "new")
            .await?;
        let category = parse_category(&input.category)?;
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        if input.department_ids.is_empty() {
            return Err(ServiceError::invalid(
                "department_ids",
                "请选择至少一个部门",
            ));
        }
        let over: HashMap<i64, DepartmentRow> = store::departments_over(&self.db, code.as_str())
            .await?
            .into_iter()
            .map(|d| (d.id, d))
            .collect();
        for id in &input.department_ids {
            if !over.contains_key(id) {
                return Err(ServiceError::invalid(
                    "department_ids",
                    format!("部门 {id} 不负责 {code}：派单规则只能呼叫该地及其上级的部门"),
                ));
            }
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut names = vec![];
        for id in &input.department_ids {
            store::insert_rule(
                &mut tx,
                category.as_str(),
                code.as_str(),
                *id,
                &actor.username,
                now,
            )
            .await?;
            if let Some(d) = over.get(id) {
                names.push(d.name.clone());
            }
        }
        audit_in(
            &mut tx,
            &actor.audit(
                Action::RoutingRuleSet,
                Outcome::Success,
                "派单规则",
                format!("{}:{code}", category.as_str()),
                Some(code.to_string()),
                format!("{} → {}", category.zh(), names.join("、")),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(
            store::rules_over(&self.db, category.as_str(), code.as_str())
                .await?
                .into_iter()
                .filter(|r| r.jurisdiction_code == code.as_str())
                .map(rule_view)
                .collect(),
        )
    }

    pub async fn rules(&self, actor: &Actor) -> ServiceResult<Vec<RuleView>> {
        self.require(actor, Permission::ReadTree, "派单规则", "list")
            .await?;
        Ok(store::rules_visible(&self.db, &actor.scope)
            .await?
            .into_iter()
            .map(rule_view)
            .collect())
    }

    /// The departments a ticket of a category at a place calls by rule (those of the rule
    /// nearest above the place), and all the departments the whistler may add.
    async fn routing_of(&self, category: TicketCategory, place: &Code) -> ServiceResult<Routing> {
        let rules = store::rules_over(&self.db, category.as_str(), place.as_str()).await?;
        let nearest = rules.iter().map(|r| r.jurisdiction_code.len()).max();
        let rule_place = nearest.and_then(|n| {
            rules
                .iter()
                .find(|r| r.jurisdiction_code.len() == n)
                .map(|r| r.jurisdiction_code.clone())
        });
        let allowed: Vec<DepartmentRow> = store::departments_over(&self.db, place.as_str()).await?;
        let routed_ids: BTreeSet<i64> = rules
            .iter()
            .filter(|r| Some(&r.jurisdiction_code) == rule_place.as_ref())
            .map(|r| r.department_id)
            .collect();
        Ok(Routing {
            routed: allowed
                .iter()
                .filter(|d| routed_ids.contains(&d.id))
                .cloned()
                .map(dept_view)
                .collect(),
            rule_place,
            allowed: allowed.into_iter().map(dept_view).collect(),
        })
    }

    /// Which departments a ticket would call: for the raise form.
    pub async fn route(&self, actor: &Actor, q: &RouteQuery) -> ServiceResult<Routing> {
        self.require(actor, Permission::ReadTickets, "派单规则", "route")
            .await?;
        let category = parse_category(&q.category)?;
        let place = self.place_in_scope(actor, "place", &q.place).await?;
        self.routing_of(category, &place).await
    }

    // ---- raising ----

    async fn source_record(
        &self,
        actor: &Actor,
        kind: SourceKind,
        id: i64,
    ) -> ServiceResult<FromSource> {
        let label = kind.zh();
        match kind {
            SourceKind::GridReport => {
                let r = store::grid_report_source(&self.db, id).await?;
                let r = self.own(actor, label, id, r, |r| &r.grid_code).await?;
                let mut d = format!("{} {} 网格日报：", r.grid_name, r.report_date);
                if r.remarks.trim().is_empty() {
                    d.push_str(&format!(
                        "事件 {} 起，高风险人员 {} 名",
                        r.incidents, r.high_risk
                    ));
                } else {
                    d.push_str(r.remarks.trim());
                }
                Ok(FromSource {
                    kind,
                    id,
                    place: r.grid_code,
                    category: TicketCategory::Epidemic,
                    description: d,
                    raiser: None,
                    enterprise_id: None,
                    org_id: None,
                })
            }
            SourceKind::Followup => {
                let f = store::followup_source(&self.db, id).await?;
                let f = self
                    .own(actor, label, id, f, |r| &r.jurisdiction_code)
                    .await?;
                let kind_name = dualtrack_domain::monitoring::CaseKind::parse(&f.kind)
                    .map(|k| k.zh())
                    .unwrap_or("隔离监测");
                let symptoms = dualtrack_domain::monitoring::symptoms_from_text(&f.symptoms)
                    .iter()
                    .filter(|s| s.as_str() != "none")
                    .map(|s| s.zh())
                    .collect::<Vec<_>>()
                    .join("、");
                Ok(FromSource {
                    kind,
                    id,
                    place: f.jurisdiction_code,
                    category: TicketCategory::Epidemic,
                    description: format!(
                        "{}对象（第 {} 号）{} 随访{}：体温 {:.1} ℃，症状 {}，需卫健部门处置",
                        kind_name,
                        f.case_id,
                        display(f.followed_at),
                        if f.abnormal { "异常" } else { "" },
                        f.temperature as f64 / 10.0,
                        if symptoms.is_empty() {
                            "无".to_string()
                        } else {
                            symptoms
                        },
                    ),
                    raiser: None,
                    enterprise_id: None,
                    org_id: None,
                })
            }
            SourceKind::EnterpriseReport => {
                let r = store::enterprise_report_source(&self.db, id).await?;
                let r = self
                    .own(actor, label, id, r, |r| &r.jurisdiction_code)
                    .await?;
                let problems = if r.problems.trim().is_empty() {
                    "（日报未写明问题，请补充）".to_string()
                } else {
                    r.problems.trim().to_string()
                };
                Ok(FromSource {
                    kind,
                    id,
                    place: r.jurisdiction_code,
                    category: TicketCategory::Other,
                    description: format!(
                        "{} {} 日报反映：{}",
                        r.enterprise_name, r.report_date, problems
                    ),
                    raiser: Some((RaiserKind::Enterprise, r.enterprise_name)),
                    enterprise_id: Some(r.enterprise_id),
                    org_id: None,
                })
            }
            SourceKind::ProductionProblem => {
                let q = dualtrack_store::workgroups::problem(&self.db, id).await?;
                let q = self
                    .own(actor, label, id, q, |r| &r.jurisdiction_code)
                    .await?;
                if let Some(t) = q.ticket_id {
                    return Err(ServiceError::Conflict {
                        field: "source_id",
                        message: format!("该生产难题已吹哨（工单 {t}），请到工单跟进"),
                    });
                }
                let raiser = match &q.org_name {
                    Some(o) => (RaiserKind::WorkGroup, o.clone()),
                    None => (RaiserKind::Enterprise, q.enterprise_name.clone()),
                };
                Ok(FromSource {
                    kind,
                    id,
                    place: q.jurisdiction_code,
                    category: TicketCategory::from_problem(&q.category),
                    description: format!("{}：{}", q.enterprise_name, q.description),
                    raiser: Some(raiser),
                    enterprise_id: Some(q.enterprise_id),
                    org_id: q.org_id,
                })
            }
        }
    }

    /// Blows the whistle: a ticket with the departments called by rule plus those the
    /// whistler adds (each must answer for the place), deadlines by kind, a notice to each
    /// department; raised from a record, it is linked back to it. Audited.
    pub async fn raise_ticket(
        &self,
        actor: &Actor,
        input: &TicketInput,
    ) -> ServiceResult<Written<TicketDetail>> {
        self.once(
            actor,
            "ticket",
            &input.idempotency_key,
            &input,
            |claim| self.write_raise_ticket(actor, input, claim),
            |rid| self.ticket_detail(actor, rid),
        )
        .await
    }

    async fn write_raise_ticket(
        &self,
        actor: &Actor,
        input: &TicketInput,
        claim: Option<Claim>,
    ) -> ServiceResult<TicketDetail> {
        self.require(actor, Permission::RaiseTickets, "工单", "new")
            .await?;
        let now = self.now();
        let kind = parse_kind(opt(&input.kind))?;
        let source = match (opt(&input.source), input.source_id) {
            (None, None) => None,
            (Some(s), Some(id)) => {
                let k = SourceKind::parse(s).ok_or_else(|| {
                    ServiceError::invalid(
                        "source",
                        format!("来源“{s}”无效，应为 网格日报、隔离监测随访、企业日报 或 生产难题"),
                    )
                })?;
                Some(
                    self.source_record(actor, k, id)
                        .await
                        .map_err(|e| e.referred_by("source_id"))?,
                )
            }
            (Some(_), None) => {
                return Err(ServiceError::invalid("source_id", "请填写来源记录的编号"))
            }
            (None, Some(_)) => return Err(ServiceError::invalid("source", "请填写来源记录的类别")),
        };
        let category = match (opt(&input.category), &source) {
            (Some(c), _) => parse_category(c)?,
            (None, Some(s)) => s.category,
            (None, None) => return Err(ServiceError::invalid("category", "请选择类别")),
        };
        let description = match (opt(&input.description), &source) {
            (Some(d), _) => text("description", "情况描述", d, 2000)?,
            (None, Some(s)) => short(&s.description, 2000),
            (None, None) => return Err(ServiceError::invalid("description", "请填写情况描述")),
        };
        let title = match opt(&input.title) {
            Some(t) => text("title", "标题", t, 60)?,
            None => short(description.lines().next().unwrap_or(&description), 30),
        };
        let address = text_of(
            "address",
            "具体地点",
            input.address.as_deref().unwrap_or(""),
            100,
            false,
        )?;
        let deadline = match opt(&input.deadline) {
            None => None,
            Some(raw) => {
                let t = parse_time("deadline", raw)?;
                if t <= now {
                    return Err(ServiceError::invalid(
                        "deadline",
                        format!(
                            "要求办结时间 {} 已经过去（现在是 {}），请填写以后的时间",
                            display(t),
                            display(now)
                        ),
                    ));
                }
                Some(t)
            }
        };
        let place = match (opt(&input.jurisdiction_code), &source) {
            (Some(c), _) => self.place_in_scope(actor, "jurisdiction_code", c).await?,
            (None, Some(s)) => parse_code("jurisdiction_code", &s.place)?,
            (None, None) => {
                return Err(ServiceError::invalid(
                    "jurisdiction_code",
                    "请选择事发地（网格、村或乡镇）",
                ))
            }
        };
        if let Some(s) = &source {
            if !place.as_str().starts_with(&s.place) && !s.place.starts_with(place.as_str()) {
                return Err(ServiceError::invalid(
                    "jurisdiction_code",
                    "事发地应为来源记录所在的地方",
                ));
            }
        }
        if place.level() < Level::County {
            return Err(ServiceError::invalid(
                "jurisdiction_code",
                "事发地应为县、乡镇、村（社区）或网格",
            ));
        }
        let routing = self.routing_of(category, &place).await?;
        let allowed: HashMap<i64, &DepartmentView> =
            routing.allowed.iter().map(|d| (d.id, d)).collect();
        let mut called: Vec<(i64, bool)> = routing.routed.iter().map(|d| (d.id, true)).collect();
        for id in &input.department_ids {
            if !allowed.contains_key(id) {
                return Err(ServiceError::invalid(
                    "department_ids",
                    format!(
                        "部门 {id} 不在派单规则范围内：只能呼叫负责 {}（{}）的部门",
                        place,
                        self.name_of(place.as_str()).await?.unwrap_or_default()
                    ),
                ));
            }
            if !called.iter().any(|(d, _)| d == id) {
                called.push((*id, false));
            }
        }
        if called.is_empty() {
            return Err(ServiceError::invalid(
                "department_ids",
                format!(
                    "“{}”类在此地没有派单规则，请选择要呼叫的部门",
                    category.zh()
                ),
            ));
        }
        let place_name = self.name_of(place.as_str()).await?.unwrap_or_default();
        let (raiser_kind, raiser_name) = match source.as_ref().and_then(|s| s.raiser.clone()) {
            Some(r) => r,
            None => (raiser_of_place(&place), place_name.clone()),
        };
        let d = &self.whistle.deadlines;
        let accept_due = now + d.accept(kind);
        let resolve_due = deadline.unwrap_or(now + d.resolve(kind)).max(accept_due);
        let new = NewTicket {
            kind: kind.as_str().into(),
            category: category.as_str().into(),
            title,
            description,
            jurisdiction_code: place.to_string(),
            address,
            raiser_kind: raiser_kind.as_str().into(),
            raiser_name: raiser_name.clone(),
            source_kind: source.as_ref().map(|s| s.kind.as_str().to_string()),
            source_id: source.as_ref().map(|s| s.id),
            enterprise_id: source.as_ref().and_then(|s| s.enterprise_id),
            org_id: source.as_ref().and_then(|s| s.org_id),
            accept_due_at: accept_due,
            resolve_due_at: resolve_due,
            raised_by: actor.username.clone(),
            raised_by_user: actor.user_id,
        };
        let mut tx = self.db.begin().await?;
        let id = store::insert_ticket(&mut tx, &new, now).await?;
        keep(&mut tx, claim.as_ref(), id).await?;
        for (dept, routed) in &called {
            store::insert_call(&mut tx, id, *dept, *routed, now, accept_due).await?;
        }
        if let Some(s) = &source {
            if s.kind == SourceKind::ProductionProblem
                && !store::link_problem(&mut tx, s.id, id).await?
            {
                return Err(ServiceError::Conflict {
                    field: "source_id",
                    message: "该生产难题已吹哨，请到工单跟进".into(),
                });
            }
        }
        let names: Vec<String> = called
            .iter()
            .filter_map(|(d, _)| allowed.get(d).map(|x| x.name.clone()))
            .collect();
        store::insert_event(
            &mut tx,
            id,
            now,
            TicketEvent::Raised.as_str(),
            None,
            &actor.username,
            &format!("呼叫：{}", names.join("、")),
        )
        .await?;
        let t = store::ticket_in(&mut tx, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("工单未写入".into()))?;
        let notes = called
            .iter()
            .map(|(dept, _)| {
                Note::to_department(
                    TicketEvent::Raised,
                    *dept,
                    format!(
                        "【{}】{}吹哨：{}（{}），请于 {} 前报到",
                        kind.zh(),
                        raiser_name,
                        t.title,
                        place_name,
                        hm(accept_due)
                    ),
                )
            })
            .collect();
        write_notices(&mut tx, &t, notes, now).await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::TicketRaise,
                Outcome::Success,
                "工单",
                id.to_string(),
                Some(place.to_string()),
                format!("{} {} → {}", kind.zh(), category.zh(), names.join("、")),
            ),
        )
        .await?;
        tx.commit().await?;
        self.ticket_detail(actor, id).await
    }

    // ---- reading ----

    /// A ticket the caller may see: in its scope and, for a department's responder, calling
    /// its department. Otherwise "not found", the refusal audited.
    async fn own_ticket(&self, actor: &Actor, id: i64) -> ServiceResult<TicketRow> {
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
                return Err(self
                    .refuse(
                        actor,
                        "工单",
                        &id.to_string(),
                        Some(t.jurisdiction_code.clone()),
                        e,
                    )
                    .await);
            }
        }
        Ok(t)
    }

    /// A ticket in the caller's scope (for a department's answer: whether it was called is
    /// checked next, and named in the refusal).
    async fn ticket_in_scope(&self, actor: &Actor, id: i64) -> ServiceResult<TicketRow> {
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

    async fn detail_of(&self, t: TicketRow) -> ServiceResult<TicketDetail> {
        let now = self.now();
        let id = t.id;
        let calls = store::calls(&self.db, id).await?;
        let ticket = ticket_view(t, Some(&calls), now);
        Ok(TicketDetail {
            ticket,
            calls: calls.into_iter().map(|c| call_view(c, now)).collect(),
            events: store::events(&self.db, id)
                .await?
                .into_iter()
                .map(event_view)
                .collect(),
            escalations: store::steps(&self.db, id)
                .await?
                .into_iter()
                .map(step_view)
                .collect(),
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
        let scope = match opt(&q.place) {
            None => actor.scope.clone(),
            Some(p) => Scope::Under(self.place_in_scope(actor, "place", p).await?),
        };
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
        };
        let limit = q.limit.unwrap_or(100).clamp(1, 500);
        let offset = q.offset.unwrap_or(0).max(0);
        let rows = store::tickets(&self.db, &scope, &f, limit, offset).await?;
        let ids: Vec<i64> = rows.iter().map(|t| t.id).collect();
        let mut calls: HashMap<i64, Vec<CallRow>> = HashMap::new();
        for c in store::calls_of(&self.db, &ids).await? {
            calls.entry(c.ticket_id).or_default().push(c);
        }
        Ok(rows
            .into_iter()
            .map(|t| {
                let cs = calls.remove(&t.id).unwrap_or_default();
                ticket_view(t, Some(&cs), now)
            })
            .collect())
    }

    // ---- report-back ----

    /// The department a responder acts for on a ticket: the one given, or its own; it must
    /// be the caller's own department and called on the ticket.
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
            return Err(self
                .refuse(
                    actor,
                    "工单",
                    &t.id.to_string(),
                    Some(t.jurisdiction_code.clone()),
                    e,
                )
                .await);
        };
        let dept = given.unwrap_or(mine.id);
        let calls = store::calls(&self.db, t.id).await?;
        if dept != mine.id {
            let e = ServiceError::invalid(
                "department_id",
                format!("您只能代表本部门（{}）{what}", mine.name),
            );
            return Err(self
                .refuse(
                    actor,
                    "工单",
                    &t.id.to_string(),
                    Some(t.jurisdiction_code.clone()),
                    e,
                )
                .await);
        }
        match calls.into_iter().find(|c| c.department_id == dept) {
            Some(c) => Ok(c),
            None => {
                let e = ServiceError::invalid(
                    "department_id",
                    format!("本工单未呼叫您所在的部门（{}），不能{what}", mine.name),
                );
                Err(self
                    .refuse(
                        actor,
                        "工单",
                        &t.id.to_string(),
                        Some(t.jurisdiction_code.clone()),
                        e,
                    )
                    .await)
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
        self.require(actor, Permission::RespondTickets, "工单", &id.to_string())
            .await?;
        let t = self.ticket_in_scope(actor, id).await?;
        let call = self
            .acting_department(actor, &t, input.department_id, "报到")
            .await?;
        let note = text_of(
            "note",
            "说明",
            input.note.as_deref().unwrap_or(""),
            500,
            false,
        )?;
        if call.status != "called" {
            return Err(ServiceError::Conflict {
                field: "department_id",
                message: format!(
                    "{}已于 {} 报到，不能重复报到",
                    call.department_name,
                    call.accepted_at.map(display).unwrap_or_default()
                ),
            });
        }
        if t.status == "closed" {
            return Err(ServiceError::Conflict {
                field: "status",
                message: "工单已办结".into(),
            });
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !store::accept_call(&mut tx, id, call.department_id, &actor.username, now).await? {
            return Err(ServiceError::Conflict {
                field: "department_id",
                message: format!("{}已报到，不能重复报到", call.department_name),
            });
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
            if note.is_empty() {
                String::new()
            } else {
                format!("：{note}")
            }
        );
        write_notices(
            &mut tx,
            &t,
            vec![Note::to_whistler(TicketEvent::Accepted, &t, msg)],
            now,
        )
        .await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::TicketAccept,
                Outcome::Success,
                "工单",
                id.to_string(),
                Some(t.jurisdiction_code.clone()),
                format!(
                    "{}报到{}",
                    call.department_name,
                    if late { "（超时）" } else { "" }
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        self.detail_of(self.reload(id).await?).await
    }

    async fn reload(&self, id: i64) -> ServiceResult<TicketRow> {
        store::ticket(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("未找到工单 {id}")))
    }

    /// A department that reported resolves, saying what it did. When every called
    /// department has resolved, the ticket waits for the whistler's confirmation.
    pub async fn resolve_ticket(
        &self,
        actor: &Actor,
        id: i64,
        input: &ResolveInput,
    ) -> ServiceResult<TicketDetail> {
        self.require(actor, Permission::RespondTickets, "工单", &id.to_string())
            .await?;
        let t = self.ticket_in_scope(actor, id).await?;
        let call = self
            .acting_department(actor, &t, input.department_id, "办结")
            .await?;
        let resolution = text("resolution", "处置情况", &input.resolution, 2000)?;
        match call.status.as_str() {
            "called" => {
                return Err(ServiceError::Conflict {
                    field: "department_id",
                    message: format!("{}尚未报到，请先报到再办结", call.department_name),
                })
            }
            "resolved" => {
                return Err(ServiceError::Conflict {
                    field: "department_id",
                    message: format!("{}已办结，等待吹哨人确认", call.department_name),
                })
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
            return Err(ServiceError::Conflict {
                field: "department_id",
                message: format!("{}的办结状态已变化，请刷新", call.department_name),
            });
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
        audit_in(
            &mut tx,
            &actor.audit(
                Action::TicketResolve,
                Outcome::Success,
                "工单",
                id.to_string(),
                Some(t.jurisdiction_code.clone()),
                format!("{}办结", call.department_name),
            ),
        )
        .await?;
        tx.commit().await?;
        self.detail_of(self.reload(id).await?).await
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
                .refuse(
                    actor,
                    "工单",
                    &id.to_string(),
                    Some(t.jurisdiction_code.clone()),
                    ServiceError::Forbidden(format!(
                        "只有吹哨人（{}）或其所在单位的账户可以确认、退回和评价此工单",
                        t.raised_by
                    )),
                )
                .await);
        }
        if t.status != "resolved" {
            let s = TicketStatus::parse(&t.status).map(|s| s.zh()).unwrap_or("");
            return Err(ServiceError::Conflict {
                field: "status",
                message: format!("工单当前为“{s}”，各部门办结后才能确认或退回"),
            });
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
        let feedback = text_of(
            "feedback",
            "评价",
            input.feedback.as_deref().unwrap_or(""),
            500,
            false,
        )?;
        let t = self.whistler_check(actor, id).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !store::close_ticket(&mut tx, id, rating, &feedback, now).await? {
            return Err(ServiceError::Conflict {
                field: "status",
                message: "工单状态已变化，请刷新".into(),
            });
        }
        store::insert_event(
            &mut tx,
            id,
            now,
            TicketEvent::Confirmed.as_str(),
            None,
            &actor.username,
            &format!(
                "{rating} 星{}",
                if feedback.is_empty() {
                    String::new()
                } else {
                    format!("：{feedback}")
                }
            ),
        )
        .await?;
        let calls = store::calls_in(&mut tx, id).await?;
        let notes = calls
            .iter()
            .map(|c| {
                Note::to_department(
                    TicketEvent::Confirmed,
                    c.department_id,
                    format!("工单 {}“{}”吹哨人确认办结，评价 {rating} 星", id, t.title),
                )
            })
            .collect();
        write_notices(&mut tx, &t, notes, now).await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::TicketConfirm,
                Outcome::Success,
                "工单",
                id.to_string(),
                Some(t.jurisdiction_code.clone()),
                format!("{rating} 星"),
            ),
        )
        .await?;
        tx.commit().await?;
        self.detail_of(self.reload(id).await?).await
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
        let kind = TicketKind::parse(&t.kind).unwrap_or(TicketKind::Routine);
        let due = now + self.whistle.deadlines.resolve(kind);
        let mut tx = self.db.begin().await?;
        if !store::reopen_ticket(&mut tx, id, rating, &reason, due, now).await? {
            return Err(ServiceError::Conflict {
                field: "status",
                message: "工单状态已变化，请刷新".into(),
            });
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
        let calls = store::calls_in(&mut tx, id).await?;
        let notes = calls
            .iter()
            .map(|c| {
                Note::to_department(
                    TicketEvent::Rejected,
                    c.department_id,
                    format!(
                        "工单 {}“{}”被退回重办：{}，请于 {} 前办结",
                        id,
                        t.title,
                        reason,
                        hm(due)
                    ),
                )
            })
            .collect();
        write_notices(&mut tx, &t, notes, now).await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::TicketReject,
                Outcome::Success,
                "工单",
                id.to_string(),
                Some(t.jurisdiction_code.clone()),
                reason,
            ),
        )
        .await?;
        tx.commit().await?;
        self.detail_of(self.reload(id).await?).await
    }

    // ---- attachments ----

    /// Attaches a photo or document: its type judged from its content, its size within the
    /// setting; kept in the database (so the backup holds it). Anyone who may see the
    /// ticket and raise or answer tickets may attach. A retry with the same idempotency key,
    /// name and content answers with the attachment kept the first time.
    pub async fn attach(
        &self,
        actor: &Actor,
        id: i64,
        name: &str,
        bytes: &[u8],
        key: &Option<String>,
    ) -> ServiceResult<Written<AttachmentView>> {
        let request = (id, name, hex::encode(Sha256::digest(bytes)));
        self.once(
            actor,
            "ticket_attachment",
            key,
            &request,
            |claim| self.write_attachment(actor, id, name, bytes, claim),
            |rid| async move { self.attachment(actor, rid).await.map(|(a, _)| a) },
        )
        .await
    }

    async fn write_attachment(
        &self,
        actor: &Actor,
        id: i64,
        name: &str,
        bytes: &[u8],
        claim: Option<Claim>,
    ) -> ServiceResult<AttachmentView> {
        if !actor.can(Permission::RaiseTickets) && !actor.can(Permission::RespondTickets) {
            self.require(actor, Permission::RaiseTickets, "工单", &id.to_string())
                .await?;
        }
        self.require(actor, Permission::ReadTickets, "工单", &id.to_string())
            .await?;
        let t = self.own_ticket(actor, id).await?;
        let name = clean_file_name(name);
        if bytes.is_empty() {
            return Err(ServiceError::invalid("file", "文件是空的，请重新选择"));
        }
        let max = self.whistle.max_attachment_bytes;
        if bytes.len() > max {
            return Err(ServiceError::invalid(
                "file",
                format!(
                    "附件“{name}”有 {:.1} MB，超过上限 {:.1} MB，请压缩后再传",
                    bytes.len() as f64 / 1048576.0,
                    max as f64 / 1048576.0
                ),
            ));
        }
        let Some(ft) = sniff(bytes, &name) else {
            return Err(ServiceError::invalid(
                "file",
                format!("不接受附件“{name}”的文件类型：只接受{ALLOWED_FILES}"),
            ));
        };
        let sha = hex::encode(Sha256::digest(bytes));
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let aid = store::insert_attachment(
            &mut tx,
            id,
            &name,
            ft.mime(),
            &sha,
            bytes,
            &actor.username,
            now,
        )
        .await?;
        keep(&mut tx, claim.as_ref(), aid).await?;
        store::insert_event(
            &mut tx,
            id,
            now,
            TicketEvent::Attached.as_str(),
            None,
            &actor.username,
            &name,
        )
        .await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::TicketAttach,
                Outcome::Success,
                "工单",
                id.to_string(),
                Some(t.jurisdiction_code.clone()),
                format!("{name}（{} 字节，sha256 {}）", bytes.len(), &sha[..12]),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(AttachmentView {
            id: aid,
            file_name: name,
            content_type: ft.mime().into(),
            size: bytes.len() as i64,
            sha256: sha,
            uploaded_by: actor.username.clone(),
            uploaded_at: now,
        })
    }

    /// An attachment's content, if its ticket is the caller's to see.
    pub async fn attachment(
        &self,
        actor: &Actor,
        id: i64,
    ) -> ServiceResult<(AttachmentView, Vec<u8>)> {
        self.require(actor, Permission::ReadTickets, "附件", &id.to_string())
            .await?;
        let Some((a, content)) = store::attachment(&self.db, id).await? else {
            return Err(ServiceError::NotFound(format!("未找到附件 {id}")));
        };
        self.own_ticket(actor, a.ticket_id).await.map_err(|_| {
            ServiceError::NotFound(format!("未找到附件 {id}，或其不在您的管辖范围内"))
        })?;
        Ok((attachment_view(a), content))
    }

    // ---- notices ----

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
        let rows = store::inbox(&self.db, uid, dept, &place, q.unread == Some(true), limit).await?;
        Ok(Inbox {
            unread: store::unread_count(&self.db, uid, dept, &place).await?,
            notices: rows.into_iter().map(|n| notice_view(n, uid)).collect(),
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
        store::unread_count(&self.db, uid, dept, &place)
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
        Ok(notice_view(n, uid))
    }

    // ---- webhooks ----

    pub async fn create_webhook(
        &self,
        actor: &Actor,
        input: &WebhookInput,
    ) -> ServiceResult<WebhookView> {
        self.require(actor, Permission::ManageWhistle, "消息推送", "new")
            .await?;
        let name = text("name", "名称", &input.name, 50)?;
        let url = text("url", "接收地址", &input.url, 500)?;
        let lower = url.to_lowercase();
        if !lower.starts_with("http://") {
            return Err(ServiceError::invalid(
                "url",
                "接收地址应以 http:// 开头（平台部署于政务内网，推送到内网的消息机器人或网关）",
            ));
        }
        if url.chars().any(char::is_whitespace) || url.len() < 12 {
            return Err(ServiceError::invalid("url", "接收地址无效"));
        }
        let secret = input.secret.trim().to_string();
        if secret.chars().count() < 16 || secret.chars().count() > 200 {
            return Err(ServiceError::invalid(
                "secret",
                "签名密钥应为 16 到 200 个字符",
            ));
        }
        let code = match input.department_id {
            Some(d) => {
                let row = store::department(&self.db, d).await?;
                let row = self
                    .own(actor, "部门", d, row, |r| &r.jurisdiction_code)
                    .await?;
                parse_code("department_id", &row.jurisdiction_code)?
            }
            None => {
                self.place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
                    .await?
            }
        };
        let now = self.now();
        let w = NewWebhook {
            jurisdiction_code: code.to_string(),
            department_id: input.department_id,
            name,
            url,
            secret,
            created_by: actor.username.clone(),
        };
        let mut tx = self.db.begin().await?;
        let id = store::insert_webhook(&mut tx, &w, now).await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::WebhookCreate,
                Outcome::Success,
                "消息推送",
                id.to_string(),
                Some(code.to_string()),
                format!("{} → {}", w.name, w.url),
            ),
        )
        .await?;
        tx.commit().await?;
        let row = store::webhook(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("推送未写入".into()))?;
        Ok(hook_view(row))
    }

    pub async fn webhooks(&self, actor: &Actor) -> ServiceResult<Vec<WebhookView>> {
        self.require(actor, Permission::ManageWhistle, "消息推送", "list")
            .await?;
        Ok(store::webhooks(&self.db, &actor.scope)
            .await?
            .into_iter()
            .map(hook_view)
            .collect())
    }

    pub async fn webhook_deliveries(
        &self,
        actor: &Actor,
        id: i64,
    ) -> ServiceResult<Vec<DeliveryView>> {
        self.require(
            actor,
            Permission::ManageWhistle,
            "消息推送",
            &id.to_string(),
        )
        .await?;
        let w = store::webhook(&self.db, id).await?;
        self.own(actor, "消息推送", id, w, |r| &r.jurisdiction_code)
            .await?;
        Ok(store::deliveries(&self.db, id, 200)
            .await?
            .into_iter()
            .map(|d| DeliveryView {
                id: d.id,
                notice_id: d.notice_id,
                status: d.status,
                attempts: d.attempts,
                next_attempt_at: d.next_attempt_at,
                last_status: d.last_status,
                last_error: d.last_error,
                delivered_at: d.delivered_at,
                created_at: d.created_at,
            })
            .collect())
    }

    // ---- figures ----

    /// Response and resolution times (median, 90th percentile), overdue rate and
    /// satisfaction by department and by county (or township) over a period, and the
    /// whistle rate per grid — computed from the tickets.
    pub async fn whistle_figures(
        &self,
        actor: &Actor,
        q: &WhistleFiguresQuery,
    ) -> ServiceResult<WhistleFigures> {
        self.require(actor, Permission::ReadWhistleFigures, "吹哨统计", "figures")
            .await?;
        let now = self.now();
        let today = reporting_day(now);
        let to = match opt(&q.to) {
            None => today,
            Some(s) => crate::input::parse_date("to", s)?,
        };
        let from = match opt(&q.from) {
            None => to - Duration::days(29),
            Some(s) => crate::input::parse_date("from", s)?,
        };
        if from > to {
            return Err(ServiceError::invalid("from", "起始日期不能晚于截止日期"));
        }
        if (to - from).num_days() > 3660 {
            return Err(ServiceError::invalid("from", "统计期间至多十年"));
        }
        let scope = match opt(&q.place) {
            None => actor.scope.clone(),
            Some(p) => Scope::Under(self.place_in_scope(actor, "place", p).await?),
        };
        let start = |d: NaiveDate| {
            cst()
                .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
                .single()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| self.clock.now())
        };
        let (a, b) = (start(from), start(to + Duration::days(1)));
        let rows = store::figure_rows(&self.db, &scope, a, b).await?;
        let grid_counts = store::grid_tickets(&self.db, &scope, a, b).await?;
        let grids = store::grid_codes(&self.db, &scope).await?;
        // Group places one level below the scope (county under a prefecture, township under
        // a county), at most township.
        let group_len = match scope.code().map(|c| c.level()) {
            None | Some(Level::Province) => 4,
            Some(Level::Prefecture) => 6,
            _ => 9,
        };
        let group = |code: &str| code[..group_len.min(code.len())].to_string();
        let mut total = Acc::default();
        let mut by_dept: BTreeMap<(String, String, i64), Acc> = BTreeMap::new();
        let mut by_place: BTreeMap<String, Acc> = BTreeMap::new();
        let mut tickets: BTreeMap<i64, (String, bool, bool, Option<i32>)> = BTreeMap::new();
        for r in &rows {
            total.add(r, now);
            by_dept
                .entry((
                    r.department_code.clone(),
                    r.department_name.clone(),
                    r.department_id,
                ))
                .or_default()
                .add(r, now);
            by_place
                .entry(group(&r.jurisdiction_code))
                .or_default()
                .add(r, now);
            tickets.insert(
                r.ticket_id,
                (
                    r.jurisdiction_code.clone(),
                    r.ticket_status == "closed",
                    r.escalations > 0,
                    r.rating,
                ),
            );
        }
        for (_, (code, _, _, rating)) in tickets.iter() {
            if let Some(x) = rating {
                total.rate(*x);
                by_place.entry(group(code)).or_default().rate(*x);
            }
        }
        // Ratings by department: every department called on a rated ticket.
        let mut seen: BTreeSet<(i64, i64)> = BTreeSet::new();
        for r in &rows {
            if let Some(x) = r.rating {
                if seen.insert((r.ticket_id, r.department_id)) {
                    if let Some(acc) = by_dept.get_mut(&(
                        r.department_code.clone(),
                        r.department_name.clone(),
                        r.department_id,
                    )) {
                        acc.rate(x);
                    }
                }
            }
        }
        let mut place_grids: BTreeMap<String, i64> = BTreeMap::new();
        for g in &grids {
            *place_grids.entry(group(g)).or_default() += 1;
        }
        let mut place_grid_tickets: BTreeMap<String, i64> = BTreeMap::new();
        for (code, n) in &grid_counts {
            *place_grid_tickets.entry(group(code)).or_default() += n;
        }
        let mut codes: BTreeSet<String> = by_place.keys().cloned().collect();
        codes.extend(place_grids.keys().cloned());
        let names = dualtrack_store::jurisdiction::names_of(
            &self.db,
            &codes.iter().map(String::as_str).collect::<Vec<_>>(),
        )
        .await?;
        let rate = |n: i64, d: i64| (d > 0).then(|| (n as f64 / d as f64 * 100.0).round() / 100.0);
        let places = codes
            .into_iter()
            .map(|c| {
                let acc = by_place.remove(&c).unwrap_or_default();
                let mine: Vec<_> = tickets.values().filter(|t| group(&t.0) == c).collect();
                let g = place_grids.get(&c).copied().unwrap_or(0);
                let gt = place_grid_tickets.get(&c).copied().unwrap_or(0);
                PlaceFigure {
                    name: names.get(&c).cloned().unwrap_or_else(|| c.clone()),
                    code: c,
                    tickets: mine.len() as i64,
                    escalated: mine.iter().filter(|t| t.2).count() as i64,
                    grid_tickets: gt,
                    grids: g,
                    whistle_rate: rate(gt, g),
                    figure: acc.figure(),
                }
            })
            .collect();
        let grid_total: i64 = grid_counts.iter().map(|(_, n)| n).sum();
        Ok(WhistleFigures {
            from,
            to,
            scope: scope.code().map(|c| c.to_string()).unwrap_or_default(),
            tickets: tickets.len() as i64,
            closed: tickets.values().filter(|t| t.1).count() as i64,
            escalated: tickets.values().filter(|t| t.2).count() as i64,
            grid_tickets: grid_total,
            grids: grids.len() as i64,
            whistle_rate: rate(grid_total, grids.len() as i64),
            total: total.figure(),
            departments: by_dept
                .into_iter()
                .map(|((code, name, id), acc)| DepartmentFigure {
                    department_id: id,
                    department_name: name,
                    jurisdiction_code: code,
                    figure: acc.figure(),
                })
                .collect(),
            places,
        })
    }
}

/// Sums over the called departments of some tickets.
#[derive(Default)]
struct Acc {
    calls: i64,
    accepted: i64,
    resolved: i64,
    response: Vec<i64>,
    resolution: Vec<i64>,
    overdue: i64,
    ratings: Vec<i32>,
}

impl Acc {
    fn add(&mut self, r: &store::FigureRow, now: DateTime<Utc>) {
        self.calls += 1;
        if let Some(a) = r.accepted_at {
            self.accepted += 1;
            self.response.push((a - r.called_at).num_minutes());
        }
        if let Some(x) = r.resolved_at {
            self.resolved += 1;
            self.resolution.push((x - r.called_at).num_minutes());
        }
        let accept_late = match r.accepted_at {
            Some(a) => a > r.accept_due_at,
            None => now > r.accept_due_at,
        };
        let resolve_late = match r.resolved_at {
            Some(x) => x > r.resolve_due_at,
            None => r.ticket_status != "closed" && now > r.resolve_due_at,
        };
        if accept_late || resolve_late {
            self.overdue += 1;
        }
    }

    fn rate(&mut self, x: i32) {
        self.ratings.push(x);
    }

    fn figure(self) -> Figure {
        let (rm, rp) = percentiles(self.response);
        let (sm, sp) = percentiles(self.resolution);
        let rated = self.ratings.len() as i64;
        let pct = |n: i64, d: i64| (d > 0).then(|| (n as f64 * 1000.0 / d as f64).round() / 10.0);
        Figure {
            calls: self.calls,
            accepted: self.accepted,
            resolved: self.resolved,
            response_median_minutes: rm,
            response_p90_minutes: rp,
            resolution_median_minutes: sm,
            resolution_p90_minutes: sp,
            overdue: self.overdue,
            overdue_rate: pct(self.overdue, self.calls),
            rated,
            rating_average: (rated > 0).then(|| {
                (self.ratings.iter().map(|x| f64::from(*x)).sum::<f64>() / rated as f64 * 10.0)
                    .round()
                    / 10.0
            }),
            satisfaction_rate: pct(
                self.ratings.iter().filter(|x| satisfied(**x)).count() as i64,
                rated,
            ),
        }
    }
}
