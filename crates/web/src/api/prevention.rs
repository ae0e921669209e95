//! The prevention track's API: grids and their five duties, screening (摸排) with masked
//! personal data and audited unmasking, risk areas, screening rounds with coverage, and the
//! grid daily reports with their roll-up.

use crate::error::{ApiError, ErrorBody};
use crate::extract::{created_status, parse_id, ApiJson, ApiQuery, ApiUser, KeyHeader};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use dualtrack_service::prevention::{
    CoverageView, DayQuery, GridMemberInput, GridReportDraft, GridReportInput, GridReportView,
    GridSummary, GridView, HouseholdInput, HouseholdView, PublicityInput, PublicityView,
    RiskAreaInput, RiskAreaView, RollupQuery, RollupView, RoundInput, RoundView, ScreenInput,
    ScreenedQuery, ScreenedUnmasked, ScreenedView, StabilityInput, StabilityView, VisitInput,
};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GridListQuery {
    /// 区划代码（默认本人管辖范围）
    pub code: Option<String>,
    pub page: Option<i64>,
}

/// 网格列表（管辖范围内，可按区划筛选），含户数、人数、网格长
#[utoipa::path(get, path = "/api/v1/grids", tag = "prevention", security(("bearer" = [])), params(GridListQuery),
    responses((status = 200, body = [GridSummary]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_grids(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<GridListQuery>,
) -> Result<Json<Vec<GridSummary>>, ApiError> {
    Ok(Json(
        st.app.list_grids(&actor, q.code.as_deref(), q.page).await?,
    ))
}

/// 一个网格：成员（电话脱敏）与五包职责的记录数
#[utoipa::path(get, path = "/api/v1/grids/{code}", tag = "prevention", security(("bearer" = [])), params(("code" = String, Path, description = "网格代码（15 位）")),
    responses((status = 200, body = GridView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_grid(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> Result<Json<GridView>, ApiError> {
    Ok(Json(st.app.get_grid(&actor, &code).await?))
}

/// 网格增加成员（人员库中的人员，网格长或网格员等）
#[utoipa::path(post, path = "/api/v1/grids/{code}/members", tag = "prevention", security(("bearer" = [])), params(("code" = String, Path, description = "网格代码（15 位）")), request_body = GridMemberInput,
    responses((status = 201, body = GridView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_member(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
    ApiJson(input): ApiJson<GridMemberInput>,
) -> Result<(StatusCode, Json<GridView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(st.app.add_grid_member(&actor, &code, &input).await?),
    ))
}

/// 网格内的户
#[utoipa::path(get, path = "/api/v1/grids/{code}/households", tag = "prevention", security(("bearer" = [])), params(("code" = String, Path, description = "网格代码（15 位）")),
    responses((status = 200, body = [HouseholdView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_households(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> Result<Json<Vec<HouseholdView>>, ApiError> {
    Ok(Json(st.app.list_households(&actor, &code).await?))
}

/// 登记一户
/// 带幂等键（请求头 Idempotency-Key 或字段 idempotency_key）重复提交时返回首次记录（200），不重复写入；同一幂等键换了内容则拒绝（422）。
#[utoipa::path(post, path = "/api/v1/grids/{code}/households", tag = "prevention", security(("bearer" = [])), params(("code" = String, Path, description = "网格代码（15 位）"), ("Idempotency-Key" = Option<String>, Header, description = "客户端生成的幂等键")), request_body = HouseholdInput,
    responses((status = 201, body = HouseholdView, description = "已写入"), (status = 200, body = HouseholdView, description = "同一幂等键此前已提交，返回原记录"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_household(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
    key: KeyHeader,
    ApiJson(mut input): ApiJson<HouseholdInput>,
) -> Result<(StatusCode, Json<HouseholdView>), ApiError> {
    key.into_field(&mut input.idempotency_key);
    let w = st.app.add_household(&actor, &code, &input).await?;
    Ok((created_status(w.created), Json(w.record)))
}

/// 入户摸排（无新增人员时也记一次）
/// 带幂等键（请求头 Idempotency-Key 或字段 idempotency_key）重复提交时返回首次记录（200），不重复写入；同一幂等键换了内容则拒绝（422）。
#[utoipa::path(post, path = "/api/v1/households/{id}/visits", tag = "prevention", security(("bearer" = [])), params(("id" = i64, Path, description = "编号"), ("Idempotency-Key" = Option<String>, Header, description = "客户端生成的幂等键")), request_body = VisitInput,
    responses((status = 201, body = HouseholdView, description = "已写入"), (status = 200, body = HouseholdView, description = "同一幂等键此前已提交，返回原记录"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn visit_household(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    key: KeyHeader,
    ApiJson(mut input): ApiJson<VisitInput>,
) -> Result<(StatusCode, Json<HouseholdView>), ApiError> {
    key.into_field(&mut input.idempotency_key);
    let w = st
        .app
        .visit_household(&actor, parse_id(&id)?, &input)
        .await?;
    Ok((created_status(w.created), Json(w.record)))
}

/// 摸排登记一名人员：身份证号校验，风险等级按风险地区规则得出
/// 带幂等键（请求头 Idempotency-Key 或字段 idempotency_key）重复提交时返回首次记录（200），不重复写入；同一幂等键换了内容则拒绝（422）。
#[utoipa::path(post, path = "/api/v1/households/{id}/persons", tag = "prevention", security(("bearer" = [])), params(("id" = i64, Path, description = "编号"), ("Idempotency-Key" = Option<String>, Header, description = "客户端生成的幂等键")), request_body = ScreenInput,
    responses((status = 201, body = ScreenedView, description = "已写入"), (status = 200, body = ScreenedView, description = "同一幂等键此前已提交，返回原记录"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn screen_person(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    key: KeyHeader,
    ApiJson(mut input): ApiJson<ScreenInput>,
) -> Result<(StatusCode, Json<ScreenedView>), ApiError> {
    key.into_field(&mut input.idempotency_key);
    let w = st.app.screen_person(&actor, parse_id(&id)?, &input).await?;
    Ok((created_status(w.created), Json(w.record)))
}

/// 摸排人员（身份证号与电话脱敏），可按区划与风险等级筛选
#[utoipa::path(get, path = "/api/v1/screened-persons", tag = "prevention", security(("bearer" = [])), params(ScreenedQuery),
    responses((status = 200, body = [ScreenedView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_screened(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<ScreenedQuery>,
) -> Result<Json<Vec<ScreenedView>>, ApiError> {
    Ok(Json(st.app.list_screened(&actor, &q).await?))
}

/// 一名摸排人员（脱敏）
#[utoipa::path(get, path = "/api/v1/screened-persons/{id}", tag = "prevention", security(("bearer" = [])), params(("id" = i64, Path, description = "编号")),
    responses((status = 200, body = ScreenedView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_screened(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<ScreenedView>, ApiError> {
    Ok(Json(st.app.get_screened(&actor, parse_id(&id)?).await?))
}

/// 查看摸排人员身份证号与电话明文（每次查看记入审计日志）
#[utoipa::path(post, path = "/api/v1/screened-persons/{id}/unmask", tag = "prevention", security(("bearer" = [])), params(("id" = i64, Path, description = "编号")),
    responses((status = 200, body = ScreenedUnmasked), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn unmask_screened(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<ScreenedUnmasked>, ApiError> {
    Ok(Json(st.app.unmask_screened(&actor, parse_id(&id)?).await?))
}

/// 风险地区规则（本辖区及上级设定的）
#[utoipa::path(get, path = "/api/v1/risk-areas", tag = "prevention", security(("bearer" = [])),
    responses((status = 200, body = [RiskAreaView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_risk_areas(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Vec<RiskAreaView>>, ApiError> {
    Ok(Json(st.app.list_risk_areas(&actor).await?))
}

/// 设定风险地区；其下已摸排人员的风险等级随即重算
#[utoipa::path(post, path = "/api/v1/risk-areas", tag = "prevention", security(("bearer" = [])), request_body = RiskAreaInput,
    responses((status = 201, body = RiskAreaView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_risk_area(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(input): ApiJson<RiskAreaInput>,
) -> Result<(StatusCode, Json<RiskAreaView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(st.app.set_risk_area(&actor, &input).await?),
    ))
}

/// 修改风险地区（地区、日期、等级）；人员风险等级随即重算
#[utoipa::path(put, path = "/api/v1/risk-areas/{id}", tag = "prevention", security(("bearer" = [])), params(("id" = i64, Path, description = "编号")), request_body = RiskAreaInput,
    responses((status = 200, body = RiskAreaView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_risk_area(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RiskAreaInput>,
) -> Result<Json<RiskAreaView>, ApiError> {
    Ok(Json(
        st.app
            .update_risk_area(&actor, parse_id(&id)?, &input)
            .await?,
    ))
}

/// 摸排轮次
#[utoipa::path(get, path = "/api/v1/screening-rounds", tag = "prevention", security(("bearer" = [])),
    responses((status = 200, body = [RoundView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_rounds(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Vec<RoundView>>, ApiError> {
    Ok(Json(st.app.list_rounds(&actor).await?))
}

/// 部署摸排轮次（某日前每户摸排一遍）
#[utoipa::path(post, path = "/api/v1/screening-rounds", tag = "prevention", security(("bearer" = [])), request_body = RoundInput,
    responses((status = 201, body = RoundView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_round(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(input): ApiJson<RoundInput>,
) -> Result<(StatusCode, Json<RoundView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(st.app.create_round(&actor, &input).await?),
    ))
}

/// 摸排轮次各网格覆盖率（本轮已摸排户数 ÷ 户数）
#[utoipa::path(get, path = "/api/v1/screening-rounds/{id}/coverage", tag = "prevention", security(("bearer" = [])), params(("id" = i64, Path, description = "编号")),
    responses((status = 200, body = CoverageView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn round_coverage(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<CoverageView>, ApiError> {
    Ok(Json(st.app.round_coverage(&actor, parse_id(&id)?).await?))
}

/// 包宣传教育：宣传记录
#[utoipa::path(get, path = "/api/v1/grids/{code}/publicity", tag = "prevention", security(("bearer" = [])), params(("code" = String, Path, description = "网格代码（15 位）")),
    responses((status = 200, body = [PublicityView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_publicity(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> Result<Json<Vec<PublicityView>>, ApiError> {
    Ok(Json(st.app.list_publicity(&actor, &code).await?))
}

/// 记录一次宣传（内容、地点、份数、次数）
/// 带幂等键（请求头 Idempotency-Key 或字段 idempotency_key）重复提交时返回首次记录（200），不重复写入；同一幂等键换了内容则拒绝（422）。
#[utoipa::path(post, path = "/api/v1/grids/{code}/publicity", tag = "prevention", security(("bearer" = [])), params(("code" = String, Path, description = "网格代码（15 位）"), ("Idempotency-Key" = Option<String>, Header, description = "客户端生成的幂等键")), request_body = PublicityInput,
    responses((status = 201, body = [PublicityView], description = "已写入"), (status = 200, body = [PublicityView], description = "同一幂等键此前已提交，返回原记录"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_publicity(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
    key: KeyHeader,
    ApiJson(mut input): ApiJson<PublicityInput>,
) -> Result<(StatusCode, Json<Vec<PublicityView>>), ApiError> {
    key.into_field(&mut input.idempotency_key);
    let w = st.app.record_publicity(&actor, &code, &input).await?;
    Ok((created_status(w.created), Json(w.record)))
}

/// 包稳定：矛盾纠纷与事件
#[utoipa::path(get, path = "/api/v1/grids/{code}/stability", tag = "prevention", security(("bearer" = [])), params(("code" = String, Path, description = "网格代码（15 位）")),
    responses((status = 200, body = [StabilityView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_stability(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> Result<Json<Vec<StabilityView>>, ApiError> {
    Ok(Json(st.app.list_stability(&actor, &code).await?))
}

/// 记录矛盾纠纷或事件及处置
/// 带幂等键（请求头 Idempotency-Key 或字段 idempotency_key）重复提交时返回首次记录（200），不重复写入；同一幂等键换了内容则拒绝（422）。
#[utoipa::path(post, path = "/api/v1/grids/{code}/stability", tag = "prevention", security(("bearer" = [])), params(("code" = String, Path, description = "网格代码（15 位）"), ("Idempotency-Key" = Option<String>, Header, description = "客户端生成的幂等键")), request_body = StabilityInput,
    responses((status = 201, body = [StabilityView], description = "已写入"), (status = 200, body = [StabilityView], description = "同一幂等键此前已提交，返回原记录"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_stability(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
    key: KeyHeader,
    ApiJson(mut input): ApiJson<StabilityInput>,
) -> Result<(StatusCode, Json<Vec<StabilityView>>), ApiError> {
    key.into_field(&mut input.idempotency_key);
    let w = st.app.record_stability(&actor, &code, &input).await?;
    Ok((created_status(w.created), Json(w.record)))
}

/// 网格日报（新的在前），含是否按时
#[utoipa::path(get, path = "/api/v1/grids/{code}/reports", tag = "prevention", security(("bearer" = [])), params(("code" = String, Path, description = "网格代码（15 位）")),
    responses((status = 200, body = [GridReportView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn grid_reports(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> Result<Json<Vec<GridReportView>>, ApiError> {
    Ok(Json(st.app.grid_reports(&actor, &code).await?))
}

/// 报送网格日报：数字取自当日记录，无记录可报零报告
/// 带幂等键（请求头 Idempotency-Key 或字段 idempotency_key）重复提交时返回首次记录（200），不重复写入；同一幂等键换了内容则拒绝（422）。
#[utoipa::path(post, path = "/api/v1/grids/{code}/reports", tag = "prevention", security(("bearer" = [])), params(("code" = String, Path, description = "网格代码（15 位）"), ("Idempotency-Key" = Option<String>, Header, description = "客户端生成的幂等键")), request_body = GridReportInput,
    responses((status = 201, body = GridReportView, description = "已写入"), (status = 200, body = GridReportView, description = "同一幂等键此前已提交，返回原记录"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn file_grid_report(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
    key: KeyHeader,
    ApiJson(mut input): ApiJson<GridReportInput>,
) -> Result<(StatusCode, Json<GridReportView>), ApiError> {
    key.into_field(&mut input.idempotency_key);
    let w = st.app.file_grid_report(&actor, &code, &input).await?;
    Ok((created_status(w.created), Json(w.record)))
}

/// 某日日报的预填数字（取自记录）
#[utoipa::path(get, path = "/api/v1/grids/{code}/reports/draft", tag = "prevention", security(("bearer" = [])), params(("code" = String, Path, description = "网格代码（15 位）"), DayQuery),
    responses((status = 200, body = GridReportDraft), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn grid_report_draft(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
    ApiQuery(q): ApiQuery<DayQuery>,
) -> Result<Json<GridReportDraft>, ApiError> {
    Ok(Json(
        st.app.grid_report_draft(&actor, &code, &q.date).await?,
    ))
}

/// 网格日报汇总：下一级各地应报、按时、迟报、未报与数字，未报与迟报的网格
#[utoipa::path(get, path = "/api/v1/grid-reports/rollup", tag = "prevention", security(("bearer" = [])), params(RollupQuery),
    responses((status = 200, body = RollupView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rollup(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<RollupQuery>,
) -> Result<Json<RollupView>, ApiError> {
    Ok(Json(st.app.grid_report_rollup(&actor, &q).await?))
}
