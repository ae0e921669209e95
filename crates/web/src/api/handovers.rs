//! The API of hand-over (落地交接): travellers handed from checkpoints to the grid or village
//! of their destination, acknowledged or passed down, the counts by place up the chain, and
//! outbound notices for destinations outside the region; also the accounts that work at a
//! checkpoint and a referred case's return under monitoring.

use crate::error::{ApiError, ErrorBody};
use crate::extract::{parse_id, ApiJson, ApiQuery, ApiUser, KeyHeader};
use crate::state::AppState;
use crate::views::xlsx_export;
use axum::extract::{Path, State};
use axum::Json;
use dualtrack_service::checkpoints::{StaffInput, StaffView};
use dualtrack_service::handovers::{
    AcknowledgeInput, ForwardInput, HandoverDetail, HandoverFigures, HandoverFiguresQuery,
    HandoverView, HandoversQuery, OutboundQuery, OutboundView, UnmaskedTravellerOf,
};
use dualtrack_service::monitoring::{CaseView, ResumeInput};
use serde::Deserialize;
use utoipa::IntoParams;

/// 落地交接列表：本辖区收到的待接收（默认，超时的在前）、超时未接收、已接收，或本辖区卡口推送出去的（身份证号、电话脱敏）
#[utoipa::path(get, path = "/api/v1/handovers", tag = "prevention", security(("bearer" = [])),
    params(HandoversQuery),
    responses((status = 200, body = [HandoverView]), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<HandoversQuery>,
) -> Result<Json<Vec<HandoverView>>, ApiError> {
    Ok(Json(st.app.handovers(&actor, &q).await?))
}

/// 各地落地交接：当日推送，及现在待接收、超时未接收、已接收（含超时后接收）的人数，按下一级地区
#[utoipa::path(get, path = "/api/v1/handovers/figures", tag = "prevention", security(("bearer" = [])),
    params(HandoverFiguresQuery),
    responses((status = 200, body = HandoverFigures), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn figures(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<HandoverFiguresQuery>,
) -> Result<Json<HandoverFigures>, ApiError> {
    Ok(Json(st.app.handover_figures(&actor, &q).await?))
}

/// 一条落地交接：经过（推送、转派、接收）与可转派的下级
#[utoipa::path(get, path = "/api/v1/handovers/{id}", tag = "prevention", security(("bearer" = [])),
    params(("id" = i64, Path, description = "交接编号")),
    responses((status = 200, body = HandoverDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<HandoverDetail>, ApiError> {
    Ok(Json(st.app.handover(&actor, parse_id(&id)?).await?))
}

/// 接收落地交接；可同时建立居家隔离、集中隔离或健康监测，记入审计日志
/// 带幂等键（请求头 Idempotency-Key 或字段 idempotency_key）重复提交时返回该交接（200），不重复写入；同一幂等键换了内容则拒绝（422）。
#[utoipa::path(post, path = "/api/v1/handovers/{id}/acknowledge", tag = "prevention", security(("bearer" = [])),
    params(("id" = i64, Path, description = "交接编号"), ("Idempotency-Key" = Option<String>, Header, description = "客户端生成的幂等键")),
    request_body = AcknowledgeInput,
    responses((status = 200, body = HandoverDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn acknowledge(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    key: KeyHeader,
    ApiJson(mut input): ApiJson<AcknowledgeInput>,
) -> Result<Json<HandoverDetail>, ApiError> {
    key.into_field(&mut input.idempotency_key);
    Ok(Json(
        st.app
            .acknowledge_handover(&actor, parse_id(&id)?, &input)
            .await?,
    ))
}

/// 把待接收的交接转派给下属的村（社区）或网格（重新计时），记入审计日志
#[utoipa::path(post, path = "/api/v1/handovers/{id}/forward", tag = "prevention", security(("bearer" = [])),
    params(("id" = i64, Path, description = "交接编号")),
    request_body = ForwardInput,
    responses((status = 200, body = HandoverView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn forward(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ForwardInput>,
) -> Result<Json<HandoverView>, ApiError> {
    Ok(Json(
        st.app
            .forward_handover(&actor, parse_id(&id)?, &input)
            .await?,
    ))
}

/// 查看被交接人员的姓名、身份证号与电话明文（记入审计日志）
#[utoipa::path(post, path = "/api/v1/handovers/{id}/unmask", tag = "prevention", security(("bearer" = [])),
    params(("id" = i64, Path, description = "交接编号")),
    responses((status = 200, body = UnmaskedTravellerOf), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unmask(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<UnmaskedTravellerOf>, ApiError> {
    Ok(Json(st.app.unmask_handover(&actor, parse_id(&id)?).await?))
}

/// 外出通报：本辖区卡口登记的去往区域外的旅客（劝返的除外；身份证号、电话脱敏）
#[utoipa::path(get, path = "/api/v1/outbound-notices", tag = "checkpoints", security(("bearer" = [])),
    params(OutboundQuery),
    responses((status = 200, body = [OutboundView]), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn outbound(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<OutboundQuery>,
) -> Result<Json<Vec<OutboundView>>, ApiError> {
    Ok(Json(st.app.outbound_notices(&actor, &q).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboundExportQuery {
    /// 起始日 年-月-日（默认今天）
    pub from: Option<String>,
    /// 截止日 年-月-日（默认同起始日）
    pub to: Option<String>,
    /// 辖区内的地区代码（卡口所在地）
    pub place: Option<String>,
    /// true：导出身份证号与电话明文（需相应权限，记入审计日志）
    pub unmask: Option<bool>,
}

/// 导出外出通报（Excel，供通报去往地；默认脱敏，导出记入审计日志）
#[utoipa::path(get, path = "/api/v1/outbound-notices/export.xlsx", tag = "checkpoints", security(("bearer" = [])),
    params(OutboundExportQuery),
    responses((status = 200, description = "Excel 文件", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_outbound(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<OutboundExportQuery>,
) -> Result<axum::response::Response, ApiError> {
    let query = OutboundQuery {
        from: q.from,
        to: q.to,
        place: q.place,
    };
    let file = st
        .app
        .export_outbound(&actor, &query, q.unmask.unwrap_or(false))
        .await?;
    Ok(xlsx_export(file, "外出通报"))
}

/// 安排卡口工作人员账户在此卡口工作，或取消（remove=true），记入审计日志
#[utoipa::path(post, path = "/api/v1/checkpoints/{id}/staff", tag = "checkpoints", security(("bearer" = [])),
    params(("id" = i64, Path, description = "卡口编号")),
    request_body = StaffInput,
    responses((status = 200, body = [StaffView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn staff(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<StaffInput>,
) -> Result<Json<Vec<StaffView>>, ApiError> {
    Ok(Json(
        st.app
            .set_checkpoint_staff(&actor, parse_id(&id)?, &input)
            .await?,
    ))
}

/// 转诊对象经发热门诊排除后恢复监测（须填写门诊结论），记入审计日志
#[utoipa::path(post, path = "/api/v1/monitoring/cases/{id}/resume", tag = "monitoring", security(("bearer" = [])),
    params(("id" = i64, Path, description = "隔离监测对象编号")),
    request_body = ResumeInput,
    responses((status = 200, body = CaseView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn resume(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ResumeInput>,
) -> Result<Json<CaseView>, ApiError> {
    Ok(Json(
        st.app.resume_case(&actor, parse_id(&id)?, &input).await?,
    ))
}
