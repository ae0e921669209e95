//! Major projects and key production: projects, their starts and investment progress, the
//! rates as of a day; key plants, their daily output and shipments, production as of a day.

use crate::error::{ApiError, ErrorBody};
use crate::extract::{created_status, parse_id, ApiJson, ApiQuery, ApiUser, KeyHeader};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use dualtrack_service::projects::{
    AsOfQuery, KeyProductionView, OutputFiled, OutputInput, OutputView, PeriodQuery, PlantInput,
    PlantView, ProductionQuery, ProgressInput, ProjectDetail, ProjectInput, ProjectListQuery,
    ProjectRatesView, ProjectView, ShipmentInput, ShipmentView, StartInput,
};

/// 重大项目（管辖范围内，某一计划年度）
#[utoipa::path(get, path = "/api/v1/projects", tag = "projects", security(("bearer" = [])), params(ProjectListQuery),
    responses((status = 200, body = [ProjectView]), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<ProjectListQuery>,
) -> Result<Json<Vec<ProjectView>>, ApiError> {
    Ok(Json(st.app.list_projects(&actor, q.year).await?))
}

/// 登记重大项目（投资以万元计）
#[utoipa::path(post, path = "/api/v1/projects", tag = "projects", security(("bearer" = [])), request_body = ProjectInput,
    responses((status = 201, body = ProjectDetail), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(input): ApiJson<ProjectInput>,
) -> Result<(StatusCode, Json<ProjectDetail>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(st.app.create_project(&actor, &input).await?),
    ))
}

/// 一个重大项目及其投资进度
#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "projects", security(("bearer" = [])),
    params(("id" = i64, Path, description = "项目编号")),
    responses((status = 200, body = ProjectDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<ProjectDetail>, ApiError> {
    Ok(Json(st.app.get_project(&actor, parse_id(&id)?).await?))
}

/// 登记项目实际开工（续建项目为复工）日期，记入审计日志
#[utoipa::path(post, path = "/api/v1/projects/{id}/start", tag = "projects", security(("bearer" = [])),
    params(("id" = i64, Path, description = "项目编号")), request_body = StartInput,
    responses((status = 200, body = ProjectDetail), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn start(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<StartInput>,
) -> Result<Json<ProjectDetail>, ApiError> {
    Ok(Json(
        st.app.start_project(&actor, parse_id(&id)?, &input).await?,
    ))
}

/// 填报年度累计完成投资（截至某日）；同日再报即为更正，原数记入审计日志
#[utoipa::path(post, path = "/api/v1/projects/{id}/progress", tag = "projects", security(("bearer" = [])),
    params(("id" = i64, Path, description = "项目编号")), request_body = ProgressInput,
    responses((status = 201, body = ProjectDetail), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn progress(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ProgressInput>,
) -> Result<(StatusCode, Json<ProjectDetail>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(
            st.app
                .record_progress(&actor, parse_id(&id)?, &input)
                .await?,
        ),
    ))
}

/// 重大项目开工率与投资完成率（截至某日，各县并列，均给出分子与分母）
#[utoipa::path(get, path = "/api/v1/projects/rates", tag = "projects", security(("bearer" = [])), params(AsOfQuery),
    responses((status = 200, body = ProjectRatesView), (status = 422, body = ErrorBody)))]
pub async fn rates(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<AsOfQuery>,
) -> Result<Json<ProjectRatesView>, ApiError> {
    Ok(Json(st.app.project_rates(&actor, &q.as_of).await?))
}

/// 重点企业（厂）
#[utoipa::path(get, path = "/api/v1/key-plants", tag = "projects", security(("bearer" = [])),
    responses((status = 200, body = [PlantView]), (status = 403, body = ErrorBody)))]
pub async fn list_plants(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Vec<PlantView>>, ApiError> {
    Ok(Json(st.app.list_plants(&actor).await?))
}

/// 登记重点企业（厂）：产品、单位、设计日产能
#[utoipa::path(post, path = "/api/v1/key-plants", tag = "projects", security(("bearer" = [])), request_body = PlantInput,
    responses((status = 201, body = PlantView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_plant(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(input): ApiJson<PlantInput>,
) -> Result<(StatusCode, Json<PlantView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(st.app.create_plant(&actor, &input).await?),
    ))
}

/// 一个重点企业（厂）
#[utoipa::path(get, path = "/api/v1/key-plants/{id}", tag = "projects", security(("bearer" = [])),
    params(("id" = i64, Path, description = "编号")),
    responses((status = 200, body = PlantView), (status = 404, body = ErrorBody)))]
pub async fn get_plant(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<PlantView>, ApiError> {
    Ok(Json(st.app.get_plant(&actor, parse_id(&id)?).await?))
}

/// 日产量（新的在前），附产能利用率
#[utoipa::path(get, path = "/api/v1/key-plants/{id}/output", tag = "projects", security(("bearer" = [])),
    params(("id" = i64, Path, description = "编号"), PeriodQuery),
    responses((status = 200, body = [OutputView]), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn outputs(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Json<Vec<OutputView>>, ApiError> {
    Ok(Json(
        st.app.plant_outputs(&actor, parse_id(&id)?, &q).await?,
    ))
}

/// 填报日产量；同日再报即为更正，原数记入审计日志
#[utoipa::path(post, path = "/api/v1/key-plants/{id}/output", tag = "projects", security(("bearer" = [])),
    params(("id" = i64, Path, description = "编号")), request_body = OutputInput,
    responses((status = 201, body = OutputFiled), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn file_output(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<OutputInput>,
) -> Result<(StatusCode, Json<OutputFiled>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(st.app.file_output(&actor, parse_id(&id)?, &input).await?),
    ))
}

/// 发运记录（新的在前）
#[utoipa::path(get, path = "/api/v1/key-plants/{id}/shipments", tag = "projects", security(("bearer" = [])),
    params(("id" = i64, Path, description = "编号"), PeriodQuery),
    responses((status = 200, body = [ShipmentView]), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn shipments(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Json<Vec<ShipmentView>>, ApiError> {
    Ok(Json(
        st.app.plant_shipments(&actor, parse_id(&id)?, &q).await?,
    ))
}

/// 登记一笔发运：目的地省份（两位省级区划代码）、数量、运输方式
/// 带幂等键（请求头 Idempotency-Key 或字段 idempotency_key）重复提交时返回首次记录（200），不重复写入；同一幂等键换了内容则拒绝（422）。
#[utoipa::path(post, path = "/api/v1/key-plants/{id}/shipments", tag = "projects", security(("bearer" = [])),
    params(("id" = i64, Path, description = "编号"), ("Idempotency-Key" = Option<String>, Header, description = "客户端生成的幂等键")), request_body = ShipmentInput,
    responses((status = 201, body = ShipmentView, description = "已写入"), (status = 200, body = ShipmentView, description = "同一幂等键此前已提交，返回原记录"), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_shipment(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    key: KeyHeader,
    ApiJson(mut input): ApiJson<ShipmentInput>,
) -> Result<(StatusCode, Json<ShipmentView>), ApiError> {
    key.into_field(&mut input.idempotency_key);
    let w = st
        .app
        .record_shipment(&actor, parse_id(&id)?, &input)
        .await?;
    Ok((created_status(w.created), Json(w.record)))
}

/// 重点生产（截至某日）：各厂当日产量与设计产能、起始日以来累计产量与发运量、按目的地省份的发运量
#[utoipa::path(get, path = "/api/v1/key-production", tag = "projects", security(("bearer" = [])), params(ProductionQuery),
    responses((status = 200, body = KeyProductionView), (status = 422, body = ErrorBody)))]
pub async fn key_production(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<ProductionQuery>,
) -> Result<Json<KeyProductionView>, ApiError> {
    Ok(Json(
        st.app
            .key_production(&actor, &q.as_of, q.from.as_deref())
            .await?,
    ))
}
