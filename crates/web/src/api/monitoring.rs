//! The API of quarantine and health monitoring (隔离与健康监测): cases, follow-ups, release,
//! alerts to the responsible people, the figures by place and kind, and overdue follow-ups.

use crate::error::{ApiError, ErrorBody};
use crate::extract::{created_status, parse_id, ApiJson, ApiQuery, ApiUser, KeyHeader};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use dualtrack_service::monitoring::{
    AlertView, CaseDetail, CaseInput, CaseView, CasesQuery, FiguresQuery, FollowupInput,
    FollowupResult, FollowupView, MonitoringFigures, OverdueList, OverdueQuery, ReleaseInput,
    UnmaskedCase,
};

/// 隔离与健康监测对象列表（身份证号、电话脱敏；可按类别、状态、是否超时、区划筛选）
#[utoipa::path(get, path = "/api/v1/monitoring/cases", tag = "monitoring", security(("bearer" = [])),
    params(CasesQuery),
    responses((status = 200, body = [CaseView]), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<CasesQuery>,
) -> Result<Json<Vec<CaseView>>, ApiError> {
    Ok(Json(st.app.cases(&actor, &q).await?))
}

/// 建立居家隔离、集中隔离或健康监测（计划解除日期按末次暴露日期推算），记入审计日志
/// 带幂等键（请求头 Idempotency-Key 或字段 idempotency_key）重复提交时返回首次记录（200），不重复写入；同一幂等键换了内容则拒绝（422）。
#[utoipa::path(post, path = "/api/v1/monitoring/cases", tag = "monitoring", security(("bearer" = [])), params(("Idempotency-Key" = Option<String>, Header, description = "客户端生成的幂等键")),
    request_body = CaseInput,
    responses((status = 201, body = CaseView, description = "已写入"), (status = 200, body = CaseView, description = "同一幂等键此前已提交，返回原记录"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    key: KeyHeader,
    ApiJson(mut input): ApiJson<CaseInput>,
) -> Result<(StatusCode, Json<CaseView>), ApiError> {
    key.into_field(&mut input.idempotency_key);
    let w = st.app.open_case(&actor, &input).await?;
    Ok((created_status(w.created), Json(w.record)))
}

/// 一名隔离监测对象：包保责任人、随访记录与提醒
#[utoipa::path(get, path = "/api/v1/monitoring/cases/{id}", tag = "monitoring", security(("bearer" = [])),
    params(("id" = i64, Path, description = "隔离监测对象编号")),
    responses((status = 200, body = CaseDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<CaseDetail>, ApiError> {
    Ok(Json(st.app.case_detail(&actor, parse_id(&id)?).await?))
}

/// 随访记录，最近的在前
#[utoipa::path(get, path = "/api/v1/monitoring/cases/{id}/followups", tag = "monitoring", security(("bearer" = [])),
    params(("id" = i64, Path, description = "隔离监测对象编号")),
    responses((status = 200, body = [FollowupView]), (status = 404, body = ErrorBody)))]
pub async fn followups(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<FollowupView>>, ApiError> {
    Ok(Json(st.app.case_followups(&actor, parse_id(&id)?).await?))
}

/// 记录一次随访（体温、症状）；异常时转诊发热门诊并提醒每名包保责任人，记入审计日志
/// 带幂等键（请求头 Idempotency-Key 或字段 idempotency_key）重复提交时返回首次记录（200），不重复写入；同一幂等键换了内容则拒绝（422）。
#[utoipa::path(post, path = "/api/v1/monitoring/cases/{id}/followups", tag = "monitoring", security(("bearer" = [])),
    params(("id" = i64, Path, description = "隔离监测对象编号"), ("Idempotency-Key" = Option<String>, Header, description = "客户端生成的幂等键")),
    request_body = FollowupInput,
    responses((status = 201, body = FollowupResult, description = "已写入"), (status = 200, body = FollowupResult, description = "同一幂等键此前已提交，返回原记录"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn follow_up(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    key: KeyHeader,
    ApiJson(mut input): ApiJson<FollowupInput>,
) -> Result<(StatusCode, Json<FollowupResult>), ApiError> {
    key.into_field(&mut input.idempotency_key);
    let w = st.app.follow_up(&actor, parse_id(&id)?, &input).await?;
    Ok((created_status(w.created), Json(w.record)))
}

/// 解除隔离或监测（计划日期前解除须填写理由），记入审计日志
#[utoipa::path(post, path = "/api/v1/monitoring/cases/{id}/release", tag = "monitoring", security(("bearer" = [])),
    params(("id" = i64, Path, description = "隔离监测对象编号")),
    request_body = ReleaseInput,
    responses((status = 200, body = CaseView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn release(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ReleaseInput>,
) -> Result<Json<CaseView>, ApiError> {
    Ok(Json(
        st.app.release_case(&actor, parse_id(&id)?, &input).await?,
    ))
}

/// 发给包保责任人的提醒（随访异常、转诊）
#[utoipa::path(get, path = "/api/v1/monitoring/cases/{id}/alerts", tag = "monitoring", security(("bearer" = [])),
    params(("id" = i64, Path, description = "隔离监测对象编号")),
    responses((status = 200, body = [AlertView]), (status = 404, body = ErrorBody)))]
pub async fn alerts(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<AlertView>>, ApiError> {
    Ok(Json(st.app.case_alerts(&actor, parse_id(&id)?).await?))
}

/// 查看身份证号与电话明文（记入审计日志）
#[utoipa::path(post, path = "/api/v1/monitoring/cases/{id}/unmask", tag = "monitoring", security(("bearer" = [])),
    params(("id" = i64, Path, description = "隔离监测对象编号")),
    responses((status = 200, body = UnmaskedCase), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unmask(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<UnmaskedCase>, ApiError> {
    Ok(Json(st.app.unmask_case(&actor, parse_id(&id)?).await?))
}

/// 截至某日在管人数（按县或乡镇、按类别），及当日新增、解除
#[utoipa::path(get, path = "/api/v1/monitoring/figures", tag = "monitoring", security(("bearer" = [])),
    params(FiguresQuery),
    responses((status = 200, body = MonitoringFigures), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn figures(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<FiguresQuery>,
) -> Result<Json<MonitoringFigures>, ApiError> {
    Ok(Json(st.app.monitoring_figures(&actor, &q).await?))
}

/// 辖区内随访超时的对象（超时最久的在前）及总数
#[utoipa::path(get, path = "/api/v1/monitoring/overdue", tag = "monitoring", security(("bearer" = [])),
    params(OverdueQuery),
    responses((status = 200, body = OverdueList), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn overdue(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<OverdueQuery>,
) -> Result<Json<OverdueList>, ApiError> {
    Ok(Json(st.app.overdue_cases(&actor, &q).await?))
}
