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
use crate::actor::commit_audited;
use chrono::{DateTime, NaiveDate, Utc};
use dualtrack_domain::whistle::{
    CallStatus, ChannelKind, Deadlines, EscalationReason, RaiserKind, SourceKind, TicketCategory,
    TicketEvent, TicketKind, TicketStatus,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

mod attachments;
mod departments;
mod figures;
mod notices;
mod place_events;
pub use place_events::PlacePass;
mod raising;
mod report_back;
mod routing;
mod tickets;
mod views;

pub mod channels;
pub mod escalation;
pub mod webhook;

pub(crate) use notices::{write_notices, Note};

/// The settings of the whistle (`[whistle]` in the configuration).
#[derive(Debug, Clone)]
pub struct WhistleSettings {
    pub deadlines: Deadlines,
    /// The largest attachment accepted, in bytes.
    pub max_attachment_bytes: usize,
    /// Attempts at a webhook delivery before it is given up.
    pub webhook_max_attempts: u32,
    /// The platform's address as cadres open it (`https://dualtrack.example.gov.cn`): the
    /// links in messages start with it. Empty: links are paths only.
    pub public_url: String,
    /// A PEM file of CA certificates that robots' and gateways' HTTPS certificates may be
    /// issued by, trusted besides the system's (an intranet CA).
    pub ca_file: Option<std::path::PathBuf>,
    /// The hour (China Standard Time, 0–23) the daily briefing is pushed to the channels of
    /// each leader's place; `None`: not pushed.
    pub briefing_hour: Option<u32>,
}

/// The daily briefing is pushed at 8 in the morning unless set otherwise.
pub const DEFAULT_BRIEFING_HOUR: u32 = 8;

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
            public_url: String::new(),
            ca_file: None,
            briefing_hour: Some(DEFAULT_BRIEFING_HOUR),
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
    /// 手机上吹哨的时间（RFC 3339，离线待发送箱发送时带上；不能晚于现在，不能早于补报时限）
    #[serde(default)]
    pub made_at: Option<String>,
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
    /// 接收地址 http://…（内网）；企业微信/政务微信填服务器地址（如 https://qyapi.weixin.qq.com），
    /// 钉钉、飞书填机器人的 Webhook 地址
    pub url: String,
    /// 签名密钥（16 到 200 个字符）：通用 Webhook 与短信网关的 X-Dualtrack-Signature 密钥，
    /// 钉钉、飞书机器人的加签密钥，企业微信机器人的 key
    pub secret: String,
    /// 渠道：generic 通用 Webhook / wecom 企业微信、政务微信 / dingtalk 钉钉 / feishu 飞书 /
    /// sms 短信网关（默认 generic）
    #[serde(default)]
    pub kind: Option<String>,
    /// 推送的事件（逗号分隔，如 raised,escalated；空为全部）
    #[serde(default)]
    pub events: Option<String>,
    /// 提醒谁：手机号或账号（逗号分隔）；短信渠道为收信手机号
    #[serde(default)]
    pub mentions: Option<String>,
    /// 短信签名（短信渠道必填）
    #[serde(default)]
    pub sms_signature: Option<String>,
    /// 短信模板：事件=模板号，逗号分隔；事件写代码或名称，汇总（digest）用于多条合并，其他（default）
    /// 用于未列出的事件（如 吹哨=100231,升级督办=100232,汇总=100239,其他=100230）
    #[serde(default)]
    pub sms_templates: Option<String>,
    /// 每分钟至多发送几条（企业微信、钉钉机器人至多 20；默认 20）
    #[serde(default)]
    pub per_minute: Option<i64>,
    /// 钉钉、飞书机器人安全设置中的自定义关键词（至多 20 个字）：每条消息都带上它
    #[serde(default)]
    pub keyword: Option<String>,
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
    pub kind: ChannelKind,
    pub kind_name: String,
    /// 推送的事件代码（空为全部）
    pub events: String,
    /// 推送的事件名称（、分隔；空为全部）
    pub event_names: String,
    /// 提醒谁（手机号已脱敏）
    pub mentions: String,
    pub per_minute: i32,
    /// 钉钉、飞书机器人的自定义关键词（空为未设）
    pub keyword: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    /// 所推送的通知（工单的），或地方的事件（交接超时、日报未报、卡口发热、物资短缺、每日简报）
    pub notice_id: Option<i64>,
    pub event_id: Option<i64>,
    /// 事件名称，如 吹哨、交接超时
    pub event_name: String,
    /// 推送内容的摘要与地方（身份证号、手机号已遮蔽）
    pub summary: String,
    /// pending 待发送 / delivered 已送达 / failed 放弃
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// 随哪次发送送出，那次发送合并了几条（大于 1 为汇总消息）
    pub send_id: Option<i64>,
    pub send_items: Option<i32>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TestSent {
    /// 对方已收下
    pub delivered: bool,
    /// 对方答复的 HTTP 状态
    pub status: Option<i32>,
    /// 未送达的原因
    pub error: Option<String>,
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
