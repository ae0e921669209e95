//! 复工备案 and late or missing daily reports.

use crate::error::{ApiError, ErrorBody};
use crate::extract::{created_status, parse_id, ApiJson, ApiQuery, ApiUser, KeyHeader};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use dualtrack_service::filings::{
    FilingApproveInput, FilingInput, FilingList, FilingQuery, FilingReturnInput, FilingView,
};
use dualtrack_service::punctuality::{PunctualityQuery, PunctualityView};

/// 一家企业的复工备案（各次，新的在前）
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/filings", tag = "resumption", security(("bearer" = [])),
    params(("id" = i64, Path, description = "企业编号")),
    responses((status = 200, body = [FilingView]), (status = 404, body = ErrorBody)))]
pub async fn of_enterprise(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<FilingView>>, ApiError> {
    Ok(Json(
        st.app.enterprise_filings(&actor, parse_id(&id)?).await?,
    ))
}

/// 提交复工备案：计划复工日期、防控方案、五个到位；被退回后可重新提交（原备案保留），
/// 已有待审核或已同意的备案时答 409
/// 带幂等键（请求头 Idempotency-Key 或字段 idempotency_key）重复提交时返回首次记录（200），不重复写入；同一幂等键换了内容则拒绝（422）。
#[utoipa::path(post, path = "/api/v1/enterprises/{id}/filings", tag = "resumption", security(("bearer" = [])),
    params(("id" = i64, Path, description = "企业编号"), ("Idempotency-Key" = Option<String>, Header, description = "客户端生成的幂等键")), request_body = FilingInput,
    responses((status = 201, body = FilingView, description = "已写入"), (status = 200, body = FilingView, description = "同一幂等键此前已提交，返回原记录"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn file(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    key: KeyHeader,
    ApiJson(mut input): ApiJson<FilingInput>,
) -> Result<(StatusCode, Json<FilingView>), ApiError> {
    key.into_field(&mut input.idempotency_key);
    let w = st.app.file_filing(&actor, parse_id(&id)?, &input).await?;
    Ok((created_status(w.created), Json(w.record)))
}

/// 管辖范围内的复工备案（可按状态筛选），并给出各状态的数量
#[utoipa::path(get, path = "/api/v1/filings", tag = "resumption", security(("bearer" = [])), params(FilingQuery),
    responses((status = 200, body = FilingList), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<FilingQuery>,
) -> Result<Json<FilingList>, ApiError> {
    Ok(Json(
        st.app
            .list_filings(&actor, q.status.as_deref(), q.page)
            .await?,
    ))
}

/// 同意复工备案（五个到位须全部到位，否则答 422 并指出未到位的项）；已审核的答 409
#[utoipa::path(post, path = "/api/v1/filings/{id}/approve", tag = "resumption", security(("bearer" = [])),
    params(("id" = i64, Path, description = "备案编号")), request_body = FilingApproveInput,
    responses((status = 200, body = FilingView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn approve(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<FilingApproveInput>,
) -> Result<Json<FilingView>, ApiError> {
    Ok(Json(
        st.app
            .approve_filing(&actor, parse_id(&id)?, &input)
            .await?,
    ))
}

/// 退回复工备案（须写明原因）；已审核的答 409
#[utoipa::path(post, path = "/api/v1/filings/{id}/return", tag = "resumption", security(("bearer" = [])),
    params(("id" = i64, Path, description = "备案编号")), request_body = FilingReturnInput,
    responses((status = 200, body = FilingView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn return_filing(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<FilingReturnInput>,
) -> Result<Json<FilingView>, ApiError> {
    Ok(Json(
        st.app.return_filing(&actor, parse_id(&id)?, &input).await?,
    ))
}

/// 日报按时、迟报、未报（某报告日，次日规定时刻前报送；各县并列，附未报与迟报企业及联络人，电话脱敏）
#[utoipa::path(get, path = "/api/v1/resumption/punctuality", tag = "resumption", security(("bearer" = [])),
    params(PunctualityQuery),
    responses((status = 200, body = PunctualityView), (status = 422, body = ErrorBody)))]
pub async fn punctuality(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<PunctualityQuery>,
) -> Result<Json<PunctualityView>, ApiError> {
    Ok(Json(st.app.report_punctuality(&actor, &q.date).await?))
}
