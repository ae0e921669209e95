//! The resumption track's API: enterprises, exclusions, daily reports and rates.

use crate::error::{ApiError, ErrorBody};
use crate::extract::{created_status, parse_id, ApiJson, ApiQuery, ApiUser, KeyHeader};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use dualtrack_service::resumption::{
    EnterpriseInput, EnterpriseView, ExclusionInput, RatesQuery, RatesView, ReportInput,
    ReportView, SeriesQuery, SeriesView,
};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub page: Option<i64>,
}

/// 企业台账（管辖范围内，联系电话脱敏）
#[utoipa::path(get, path = "/api/v1/enterprises", tag = "resumption", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = [EnterpriseView]), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Vec<EnterpriseView>>, ApiError> {
    Ok(Json(st.app.list_enterprises(&actor, q.page).await?))
}

/// 登记企业；统一社会信用代码校验位不符时照常登记并提示
#[utoipa::path(post, path = "/api/v1/enterprises", tag = "resumption", security(("bearer" = [])), request_body = EnterpriseInput,
    responses((status = 201, body = EnterpriseView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(input): ApiJson<EnterpriseInput>,
) -> Result<(StatusCode, Json<EnterpriseView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(st.app.create_enterprise(&actor, &input).await?),
    ))
}

/// 一家企业
#[utoipa::path(get, path = "/api/v1/enterprises/{id}", tag = "resumption", security(("bearer" = [])),
    params(("id" = i64, Path, description = "企业编号")),
    responses((status = 200, body = EnterpriseView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<EnterpriseView>, ApiError> {
    Ok(Json(st.app.get_enterprise(&actor, parse_id(&id)?).await?))
}

/// 设置企业不计入复工统计（季节性停产、长期停产、责令整改），记入审计日志
#[utoipa::path(post, path = "/api/v1/enterprises/{id}/exclusions", tag = "resumption", security(("bearer" = [])),
    params(("id" = i64, Path, description = "企业编号")), request_body = ExclusionInput,
    responses((status = 201, body = EnterpriseView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn exclude(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ExclusionInput>,
) -> Result<(StatusCode, Json<EnterpriseView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(
            st.app
                .exclude_enterprise(&actor, parse_id(&id)?, &input)
                .await?,
        ),
    ))
}

/// 企业日报（各版本，新的在前）
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/reports", tag = "resumption", security(("bearer" = [])),
    params(("id" = i64, Path, description = "企业编号")),
    responses((status = 200, body = [ReportView]), (status = 404, body = ErrorBody)))]
pub async fn reports(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<ReportView>>, ApiError> {
    Ok(Json(
        st.app.enterprise_reports(&actor, parse_id(&id)?).await?,
    ))
}

/// 填报（或更正）企业日报，截至当日 24 时；更正保留原版本。
/// 带幂等键（请求头 Idempotency-Key 或字段 idempotency_key）重复提交时返回首次填报的版本（200），不再生成新版本；
/// 同一幂等键换了内容则拒绝（422）。
#[utoipa::path(post, path = "/api/v1/enterprises/{id}/reports", tag = "resumption", security(("bearer" = [])),
    params(("id" = i64, Path, description = "企业编号"),
        ("Idempotency-Key" = Option<String>, Header, description = "客户端生成的幂等键")),
    request_body = ReportInput,
    responses((status = 201, body = ReportView, description = "已填报"),
        (status = 200, body = ReportView, description = "同一幂等键此前已填报，返回原版本"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn file_report(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    key: KeyHeader,
    ApiJson(mut input): ApiJson<ReportInput>,
) -> Result<(StatusCode, Json<ReportView>), ApiError> {
    key.into_field(&mut input.idempotency_key);
    let w = st.app.file_report(&actor, parse_id(&id)?, &input).await?;
    Ok((created_status(w.created), Json(w.record)))
}

/// 开复工率、复岗率、产能恢复率（截至某日，可限地区与行业；各县、各乡镇、各行业并列，均给出分子、分母与不计入企业数）
#[utoipa::path(get, path = "/api/v1/resumption/rates", tag = "resumption", security(("bearer" = [])), params(RatesQuery),
    responses((status = 200, body = RatesView), (status = 422, body = ErrorBody)))]
pub async fn rates(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<RatesQuery>,
) -> Result<Json<RatesView>, ApiError> {
    Ok(Json(st.app.resumption_rates_for(&actor, &q).await?))
}

/// 开复工率、复岗率、产能恢复率的逐日序列（可按县并列），取自按日汇总
#[utoipa::path(get, path = "/api/v1/resumption/series", tag = "resumption", security(("bearer" = [])), params(SeriesQuery),
    responses((status = 200, body = SeriesView), (status = 422, body = ErrorBody)))]
pub async fn series(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<SeriesQuery>,
) -> Result<Json<SeriesView>, ApiError> {
    Ok(Json(st.app.resumption_series(&actor, &q).await?))
}
