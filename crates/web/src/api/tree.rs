use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, ApiUser};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use dualtrack_service::tree::{ImportReport, Node, NodeView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// 名称中的字，或代码的开头
    pub q: Option<String>,
}

/// 在管辖范围内按名称或代码查找区划与网格
#[utoipa::path(get, path = "/api/v1/jurisdictions", tag = "jurisdictions", security(("bearer" = [])), params(SearchQuery),
    responses((status = 200, body = [Node]), (status = 422, body = ErrorBody)))]
pub async fn search(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<Vec<Node>>, ApiError> {
    Ok(Json(
        st.app
            .search_tree(&actor, q.q.as_deref().unwrap_or(""))
            .await?,
    ))
}

/// 一个区划节点：本级、下级、到最上级的路径、各级数量
#[utoipa::path(get, path = "/api/v1/jurisdictions/{code}", tag = "jurisdictions", security(("bearer" = [])),
    params(("code" = String, Path, description = "区划代码")),
    responses((status = 200, body = NodeView), (status = 404, description = "不存在或不在管辖范围内", body = ErrorBody)))]
pub async fn node(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> Result<Json<NodeView>, ApiError> {
    Ok(Json(st.app.node(&actor, &code).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct GridInput {
    /// 网格名称
    pub name: String,
}

/// 在村（社区）下新建网格，编号自动分配
#[utoipa::path(post, path = "/api/v1/jurisdictions/{code}/grids", tag = "jurisdictions", security(("bearer" = [])),
    params(("code" = String, Path, description = "村（社区）代码")), request_body = GridInput,
    responses((status = 201, body = Node), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_grid(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
    ApiJson(input): ApiJson<GridInput>,
) -> Result<(StatusCode, Json<Node>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(st.app.create_grid(&actor, &code, &input.name).await?),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct ImportInput {
    /// 区划代码前缀，如 63、6328、632801
    pub code: String,
}

/// 从内置的国家统计用区划代码导入某地区（含上级），重复导入不改变已有数据
#[utoipa::path(post, path = "/api/v1/regions/import", tag = "jurisdictions", security(("bearer" = [])), request_body = ImportInput,
    responses((status = 200, body = ImportReport), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_region(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(input): ApiJson<ImportInput>,
) -> Result<Json<ImportReport>, ApiError> {
    Ok(Json(
        st.app
            .import_region(&actor, Some(&input.code), &|_, _| {})
            .await?,
    ))
}
