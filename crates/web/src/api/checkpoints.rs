//! The API of the checkpoints (卡口): checkpoints, shifts, passages registered at the barrier
//! and their counts.

use crate::error::{ApiError, ErrorBody};
use crate::extract::{created_status, parse_id, ApiJson, ApiQuery, ApiUser, KeyHeader};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use dualtrack_service::checkpoints::{
    CheckpointCounts, CheckpointDetail, CheckpointInput, CheckpointView, CountsQuery, PassageInput,
    PassageView, PassagesQuery, ShiftInput, ShiftView, ShiftsQuery, UnmaskedTraveller,
};
use serde::Deserialize;
use utoipa::IntoParams;

/// 卡口列表（操作员、领导看辖区内的卡口；卡口工作人员只看自己所在的卡口）
#[utoipa::path(get, path = "/api/v1/checkpoints", tag = "checkpoints", security(("bearer" = [])),
    responses((status = 200, body = [CheckpointView]), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Vec<CheckpointView>>, ApiError> {
    Ok(Json(st.app.checkpoints(&actor).await?))
}

/// 设立卡口（道路、位置、所属县或乡镇、启用期），记入审计日志
#[utoipa::path(post, path = "/api/v1/checkpoints", tag = "checkpoints", security(("bearer" = [])),
    request_body = CheckpointInput,
    responses((status = 201, body = CheckpointView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(input): ApiJson<CheckpointInput>,
) -> Result<(StatusCode, Json<CheckpointView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(st.app.create_checkpoint(&actor, &input).await?),
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    /// 统计日期（默认今天）
    pub date: Option<String>,
}

/// 一个卡口：工作人员与当日统计
#[utoipa::path(get, path = "/api/v1/checkpoints/{id}", tag = "checkpoints", security(("bearer" = [])),
    params(("id" = i64, Path, description = "卡口编号"), DayQuery),
    responses((status = 200, body = CheckpointDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DayQuery>,
) -> Result<Json<CheckpointDetail>, ApiError> {
    Ok(Json(
        st.app
            .checkpoint(&actor, parse_id(&id)?, q.date.as_deref())
            .await?,
    ))
}

/// 卡口的班次与值守人员（自某日起，新的在前）
#[utoipa::path(get, path = "/api/v1/checkpoints/{id}/shifts", tag = "checkpoints", security(("bearer" = [])),
    params(("id" = i64, Path, description = "卡口编号"), ShiftsQuery),
    responses((status = 200, body = [ShiftView]), (status = 404, body = ErrorBody)))]
pub async fn shifts(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ShiftsQuery>,
) -> Result<Json<Vec<ShiftView>>, ApiError> {
    Ok(Json(
        st.app.checkpoint_shifts(&actor, parse_id(&id)?, &q).await?,
    ))
}

/// 排班：人员库中的人员在某日某时段值守卡口，记入审计日志
#[utoipa::path(post, path = "/api/v1/checkpoints/{id}/shifts", tag = "checkpoints", security(("bearer" = [])),
    params(("id" = i64, Path, description = "卡口编号")), request_body = ShiftInput,
    responses((status = 201, body = ShiftView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_shift(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ShiftInput>,
) -> Result<(StatusCode, Json<ShiftView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(
            st.app
                .add_checkpoint_shift(&actor, parse_id(&id)?, &input)
                .await?,
        ),
    ))
}

/// 卡口的通行登记（身份证号、电话脱敏；新的在前，每页 50 条）
#[utoipa::path(get, path = "/api/v1/checkpoints/{id}/passages", tag = "checkpoints", security(("bearer" = [])),
    params(("id" = i64, Path, description = "卡口编号"), PassagesQuery),
    responses((status = 200, body = [PassageView]), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn passages(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PassagesQuery>,
) -> Result<Json<Vec<PassageView>>, ApiError> {
    Ok(Json(
        st.app
            .checkpoint_passages(&actor, parse_id(&id)?, &q)
            .await?,
    ))
}

/// 登记一次通行：车辆、驾乘人员及各自体温（≥ 37.3 ℃ 记为发热）与处置结果，一个事务、一条审计记录。
/// 带幂等键（请求头 Idempotency-Key 或字段 idempotency_key）重复提交时返回首次登记（200），不重复写入；
/// 同一幂等键换了内容则拒绝（422）。
#[utoipa::path(post, path = "/api/v1/checkpoints/{id}/passages", tag = "checkpoints", security(("bearer" = [])),
    params(("id" = i64, Path, description = "卡口编号"),
        ("Idempotency-Key" = Option<String>, Header, description = "客户端生成的幂等键")),
    request_body = PassageInput,
    responses((status = 201, body = PassageView, description = "已登记"),
        (status = 200, body = PassageView, description = "同一幂等键此前已登记，返回原登记"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    key: KeyHeader,
    ApiJson(mut input): ApiJson<PassageInput>,
) -> Result<(StatusCode, Json<PassageView>), ApiError> {
    key.into_field(&mut input.idempotency_key);
    let r = st
        .app
        .register_passage(&actor, parse_id(&id)?, &input)
        .await?;
    Ok((created_status(r.created), Json(r.passage)))
}

/// 一次通行登记（脱敏）
#[utoipa::path(get, path = "/api/v1/passages/{id}", tag = "checkpoints", security(("bearer" = [])),
    params(("id" = i64, Path, description = "通行登记编号")),
    responses((status = 200, body = PassageView), (status = 404, body = ErrorBody)))]
pub async fn get_passage(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<PassageView>, ApiError> {
    Ok(Json(st.app.passage(&actor, parse_id(&id)?).await?))
}

/// 查看一位驾乘人员的身份证号与电话明文（记入审计日志）
#[utoipa::path(post, path = "/api/v1/passages/{id}/travellers/{n}/unmask", tag = "checkpoints", security(("bearer" = [])),
    params(("id" = i64, Path, description = "通行登记编号"), ("n" = i64, Path, description = "驾乘人员序号（从 1 起）")),
    responses((status = 200, body = UnmaskedTraveller), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unmask(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((id, n)): Path<(String, String)>,
) -> Result<Json<UnmaskedTraveller>, ApiError> {
    Ok(Json(
        st.app
            .unmask_traveller(&actor, parse_id(&id)?, parse_id(&n)?)
            .await?,
    ))
}

/// 卡口统计：各卡口逐日、各县与合计的登记次数、车辆、人数、发热、放行、劝返、留观、送隔离
#[utoipa::path(get, path = "/api/v1/checkpoints/counts", tag = "checkpoints", security(("bearer" = [])),
    params(CountsQuery),
    responses((status = 200, body = CheckpointCounts), (status = 422, body = ErrorBody)))]
pub async fn counts(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<CountsQuery>,
) -> Result<Json<CheckpointCounts>, ApiError> {
    Ok(Json(st.app.checkpoint_counts(&actor, &q).await?))
}
