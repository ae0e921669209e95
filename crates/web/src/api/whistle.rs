//! The API of whistle and report-back (吹哨报到): departments and their responders, routing
//! rules, tickets and their report-back, attachments, the inbox, webhooks and the figures.

use crate::error::{ApiError, ErrorBody};
use crate::extract::{created_status, parse_id, ApiJson, ApiQuery, ApiUser, KeyHeader};
use crate::state::AppState;
use crate::views::{self, encoded_name};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Json;
use dualtrack_service::whistle::{
    AcceptInput, AttachQuery, AttachmentView, ConfirmInput, DeliveryView, DepartmentDetail,
    DepartmentInput, DepartmentView, Inbox, InboxQuery, MemberInput, NoticeView, RejectInput,
    ResolveInput, RouteQuery, Routing, RuleInput, RuleView, TestSent, TicketDetail, TicketInput,
    TicketView, TicketsQuery, WebhookInput, WebhookView, WhistleFigures, WhistleFiguresQuery,
};

/// The body limit of the attachment route: the configured limit is checked by the service
/// with a message naming the file; this only stops a runaway upload.
pub const ATTACHMENT_LIMIT: usize = dualtrack_service::whistle::ATTACHMENT_CEILING + 1024;

/// 部门列表：本辖区的部门，及负责本辖区的上级部门
#[utoipa::path(get, path = "/api/v1/departments", tag = "whistle", security(("bearer" = [])),
    responses((status = 200, body = [DepartmentView]), (status = 403, body = ErrorBody)))]
pub async fn departments(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Vec<DepartmentView>>, ApiError> {
    Ok(Json(st.app.departments(&actor).await?))
}

/// 新建部门（如 格尔木市卫健委），记入审计日志
#[utoipa::path(post, path = "/api/v1/departments", tag = "whistle", security(("bearer" = [])),
    request_body = DepartmentInput,
    responses((status = 201, body = DepartmentView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_department(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(input): ApiJson<DepartmentInput>,
) -> Result<(StatusCode, Json<DepartmentView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(st.app.create_department(&actor, &input).await?),
    ))
}

/// 一个部门及其响应人
#[utoipa::path(get, path = "/api/v1/departments/{id}", tag = "whistle", security(("bearer" = [])),
    params(("id" = i64, Path, description = "部门编号")),
    responses((status = 200, body = DepartmentDetail), (status = 404, body = ErrorBody)))]
pub async fn department(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<DepartmentDetail>, ApiError> {
    Ok(Json(
        st.app.department_detail(&actor, parse_id(&id)?).await?,
    ))
}

/// 把部门响应人账户归入部门，记入审计日志
#[utoipa::path(post, path = "/api/v1/departments/{id}/members", tag = "whistle", security(("bearer" = [])),
    params(("id" = i64, Path, description = "部门编号")),
    request_body = MemberInput,
    responses((status = 200, body = DepartmentDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn add_member(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<MemberInput>,
) -> Result<Json<DepartmentDetail>, ApiError> {
    Ok(Json(
        st.app
            .add_department_member(&actor, parse_id(&id)?, &input)
            .await?,
    ))
}

/// 派单规则：按类别与地点呼叫的部门（本辖区及上级设定的）
#[utoipa::path(get, path = "/api/v1/routing-rules", tag = "whistle", security(("bearer" = [])),
    responses((status = 200, body = [RuleView]), (status = 403, body = ErrorBody)))]
pub async fn rules(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Vec<RuleView>>, ApiError> {
    Ok(Json(st.app.rules(&actor).await?))
}

/// 设置派单规则：某地某类工单呼叫哪些部门（须负责该地），记入审计日志
#[utoipa::path(post, path = "/api/v1/routing-rules", tag = "whistle", security(("bearer" = [])),
    request_body = RuleInput,
    responses((status = 201, body = [RuleView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_rule(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(input): ApiJson<RuleInput>,
) -> Result<(StatusCode, Json<Vec<RuleView>>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(st.app.set_rule(&actor, &input).await?),
    ))
}

/// 派单预览：某类工单在某地按规则呼叫的部门，及可加呼的部门
#[utoipa::path(get, path = "/api/v1/routing-rules/match", tag = "whistle", security(("bearer" = [])),
    params(RouteQuery),
    responses((status = 200, body = Routing), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn route(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<RouteQuery>,
) -> Result<Json<Routing>, ApiError> {
    Ok(Json(st.app.route(&actor, &q).await?))
}

/// 工单列表（部门响应人只见呼叫本部门的）：可按状态、类型、类别、超时、本级督办、我发起的筛选
#[utoipa::path(get, path = "/api/v1/tickets", tag = "whistle", security(("bearer" = [])),
    params(TicketsQuery),
    responses((status = 200, body = [TicketView]), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn tickets(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<TicketsQuery>,
) -> Result<Json<Vec<TicketView>>, ApiError> {
    Ok(Json(st.app.tickets(&actor, &q).await?))
}

/// 吹哨：发起工单（可由网格日报、随访、企业日报、生产难题一键发起并关联），按规则派单并通知各部门，记入审计日志
/// 带幂等键（请求头 Idempotency-Key 或字段 idempotency_key）重复提交时返回首次记录（200），不重复写入；同一幂等键换了内容则拒绝（422）。
#[utoipa::path(post, path = "/api/v1/tickets", tag = "whistle", security(("bearer" = [])), params(("Idempotency-Key" = Option<String>, Header, description = "客户端生成的幂等键")),
    request_body = TicketInput,
    responses((status = 201, body = TicketDetail, description = "已写入"), (status = 200, body = TicketDetail, description = "同一幂等键此前已提交，返回原记录"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn raise(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    key: KeyHeader,
    ApiJson(mut input): ApiJson<TicketInput>,
) -> Result<(StatusCode, Json<TicketDetail>), ApiError> {
    key.into_field(&mut input.idempotency_key);
    let w = st.app.raise_ticket(&actor, &input).await?;
    Ok((created_status(w.created), Json(w.record)))
}

/// 一张工单：各部门报到与办结、时间线、升级督办记录、附件
#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "whistle", security(("bearer" = [])),
    params(("id" = i64, Path, description = "工单编号")),
    responses((status = 200, body = TicketDetail), (status = 404, body = ErrorBody)))]
pub async fn ticket(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<TicketDetail>, ApiError> {
    Ok(Json(st.app.ticket_detail(&actor, parse_id(&id)?).await?))
}

/// 部门报到（接单）：须为被呼叫的本部门，不能重复报到；提交后才答复，记入审计日志
#[utoipa::path(post, path = "/api/v1/tickets/{id}/accept", tag = "whistle", security(("bearer" = [])),
    params(("id" = i64, Path, description = "工单编号")),
    request_body = AcceptInput,
    responses((status = 200, body = TicketDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn accept(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<AcceptInput>,
) -> Result<Json<TicketDetail>, ApiError> {
    Ok(Json(
        st.app.accept_ticket(&actor, parse_id(&id)?, &input).await?,
    ))
}

/// 部门办结：写明处置情况；各部门均办结后待吹哨人确认，记入审计日志
#[utoipa::path(post, path = "/api/v1/tickets/{id}/resolve", tag = "whistle", security(("bearer" = [])),
    params(("id" = i64, Path, description = "工单编号")),
    request_body = ResolveInput,
    responses((status = 200, body = TicketDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn resolve(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ResolveInput>,
) -> Result<Json<TicketDetail>, ApiError> {
    Ok(Json(
        st.app
            .resolve_ticket(&actor, parse_id(&id)?, &input)
            .await?,
    ))
}

/// 吹哨人确认办结并评价（1–5 星），记入审计日志
#[utoipa::path(post, path = "/api/v1/tickets/{id}/confirm", tag = "whistle", security(("bearer" = [])),
    params(("id" = i64, Path, description = "工单编号")),
    request_body = ConfirmInput,
    responses((status = 200, body = TicketDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn confirm(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ConfirmInput>,
) -> Result<Json<TicketDetail>, ApiError> {
    Ok(Json(
        st.app
            .confirm_ticket(&actor, parse_id(&id)?, &input)
            .await?,
    ))
}

/// 吹哨人退回重办：工单重新打开，各部门按新时限办结，记入审计日志
#[utoipa::path(post, path = "/api/v1/tickets/{id}/reject", tag = "whistle", security(("bearer" = [])),
    params(("id" = i64, Path, description = "工单编号")),
    request_body = RejectInput,
    responses((status = 200, body = TicketDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reject(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RejectInput>,
) -> Result<Json<TicketDetail>, ApiError> {
    Ok(Json(
        st.app.reject_ticket(&actor, parse_id(&id)?, &input).await?,
    ))
}

/// 工单的附件
#[utoipa::path(get, path = "/api/v1/tickets/{id}/attachments", tag = "whistle", security(("bearer" = [])),
    params(("id" = i64, Path, description = "工单编号")),
    responses((status = 200, body = [AttachmentView]), (status = 404, body = ErrorBody)))]
pub async fn attachments(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<AttachmentView>>, ApiError> {
    Ok(Json(
        st.app
            .ticket_detail(&actor, parse_id(&id)?)
            .await?
            .attachments,
    ))
}

/// 上传附件（请求体为文件本身，name 为文件名）：照片（JPEG、PNG、GIF、WebP）或文档（PDF、docx、xlsx），
/// 按内容判断类型，大小受配置限制，记入审计日志。
/// 带幂等键（请求头 Idempotency-Key 或查询参数 idempotency_key）重传同一文件时返回首次上传的附件（200），不重复保存；
/// 同一幂等键换了文件则拒绝（422）。
#[utoipa::path(post, path = "/api/v1/tickets/{id}/attachments", tag = "whistle", security(("bearer" = [])),
    params(("id" = i64, Path, description = "工单编号"), AttachQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "客户端生成的幂等键")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = AttachmentView, description = "已写入"),
        (status = 200, body = AttachmentView, description = "同一幂等键此前已提交，返回原记录"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn attach(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    key: KeyHeader,
    ApiQuery(mut q): ApiQuery<AttachQuery>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<AttachmentView>), ApiError> {
    key.into_field(&mut q.idempotency_key);
    let w = st
        .app
        .attach(&actor, parse_id(&id)?, &q.name, &body, &q.idempotency_key)
        .await?;
    Ok((created_status(w.created), Json(w.record)))
}

/// 下载附件
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "whistle", security(("bearer" = [])),
    params(("id" = i64, Path, description = "附件编号")),
    responses((status = 200, description = "文件内容"), (status = 404, body = ErrorBody)))]
pub async fn download(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (a, bytes) = st.app.attachment(&actor, parse_id(&id)?).await?;
    Ok(file_response(&a, bytes))
}

/// The file as a download (images shown inline), never sniffed by the browser.
pub(crate) fn file_response(a: &AttachmentView, bytes: Vec<u8>) -> Response {
    let encoded = encoded_name(&a.file_name, b".");
    let inline = a.content_type.starts_with("image/") || a.content_type == "application/pdf";
    let disposition = format!(
        "{}; filename=\"attachment-{}\"; filename*=UTF-8''{encoded}",
        if inline { "inline" } else { "attachment" },
        a.id
    );
    let mut r = views::download(bytes, a.content_type.clone(), disposition);
    let h = r.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    r
}

/// 我的通知：发给本人、本部门与本级的通知，未读数
#[utoipa::path(get, path = "/api/v1/inbox", tag = "whistle", security(("bearer" = [])),
    params(InboxQuery),
    responses((status = 200, body = Inbox), (status = 403, body = ErrorBody)))]
pub async fn inbox(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> Result<Json<Inbox>, ApiError> {
    Ok(Json(st.app.inbox(&actor, &q).await?))
}

/// 标记通知已读
#[utoipa::path(post, path = "/api/v1/inbox/{id}/read", tag = "whistle", security(("bearer" = [])),
    params(("id" = i64, Path, description = "通知编号")),
    responses((status = 200, body = NoticeView), (status = 404, body = ErrorBody)))]
pub async fn read_notice(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<NoticeView>, ApiError> {
    Ok(Json(st.app.mark_notice_read(&actor, parse_id(&id)?).await?))
}

/// 消息推送（Webhook）列表
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "whistle", security(("bearer" = [])),
    responses((status = 200, body = [WebhookView]), (status = 403, body = ErrorBody)))]
pub async fn webhooks(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Vec<WebhookView>>, ApiError> {
    Ok(Json(st.app.webhooks(&actor).await?))
}

/// 设置消息推送：把发给某级或某部门的通知以 JSON POST 转发到内网消息机器人，
/// 带 HMAC-SHA256 签名（X-Dualtrack-Signature），失败按退避重试；记入审计日志
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "whistle", security(("bearer" = [])),
    request_body = WebhookInput,
    responses((status = 201, body = WebhookView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_webhook(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(input): ApiJson<WebhookInput>,
) -> Result<(StatusCode, Json<WebhookView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(st.app.create_webhook(&actor, &input).await?),
    ))
}

/// 一个推送的投递记录：状态、尝试次数、下次重试时间、最后的错误
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "whistle", security(("bearer" = [])),
    params(("id" = i64, Path, description = "推送编号")),
    responses((status = 200, body = [DeliveryView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn deliveries(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<DeliveryView>>, ApiError> {
    Ok(Json(
        st.app.webhook_deliveries(&actor, parse_id(&id)?).await?,
    ))
}

/// 发送测试消息：立即按渠道的格式发一条测试消息（计入每分钟上限），返回对方是否收下
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "whistle", security(("bearer" = [])),
    params(("id" = i64, Path, description = "推送编号")),
    responses((status = 200, body = TestSent), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn test_webhook(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<TestSent>, ApiError> {
    let client = st.app.channel_client();
    Ok(Json(
        st.app.test_webhook(&actor, &client, parse_id(&id)?).await?,
    ))
}

/// 吹哨报到统计：报到与办结用时（中位数、90 分位）、超时率、满意度，按部门、按地区；网格吹哨率
#[utoipa::path(get, path = "/api/v1/whistle/figures", tag = "whistle", security(("bearer" = [])),
    params(WhistleFiguresQuery),
    responses((status = 200, body = WhistleFigures), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn figures(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<WhistleFiguresQuery>,
) -> Result<Json<WhistleFigures>, ApiError> {
    Ok(Json(st.app.whistle_figures(&actor, &q).await?))
}
