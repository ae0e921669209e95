use crate::error::{ApiError, ErrorBody};
use crate::extract::{parse_id, ApiJson, ApiQuery, ApiUser};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use dualtrack_service::campaigns::{
    CampaignInput, CampaignView, DocumentInput, DocumentView, SendInput,
};

/// 活动列表（如“千名干部下乡”），含下派人数与覆盖村（社区）数
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "mobilisation", security(("bearer" = [])),
    responses((status = 200, body = [CampaignView]), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Vec<CampaignView>>, ApiError> {
    Ok(Json(st.app.list_campaigns(&actor).await?))
}

/// 新建活动
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "mobilisation", security(("bearer" = [])), request_body = CampaignInput,
    responses((status = 201, body = CampaignView), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(input): ApiJson<CampaignInput>,
) -> Result<(StatusCode, Json<CampaignView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(st.app.create_campaign(&actor, &input).await?),
    ))
}

/// 一项活动
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "mobilisation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "活动编号")),
    responses((status = 200, body = CampaignView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    Ok(Json(st.app.get_campaign(&actor, parse_id(&id)?).await?))
}

/// 活动下派人员到村（社区）
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/people", tag = "mobilisation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "活动编号")), request_body = SendInput,
    responses((status = 200, body = CampaignView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn send(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SendInput>,
) -> Result<Json<CampaignView>, ApiError> {
    Ok(Json(
        st.app
            .send_by_campaign(&actor, parse_id(&id)?, &input)
            .await?,
    ))
}

/// 政策文件列表，含据此设立的组织与开展的活动
#[utoipa::path(get, path = "/api/v1/documents", tag = "mobilisation", security(("bearer" = [])),
    responses((status = 200, body = [DocumentView]), (status = 403, body = ErrorBody)))]
pub async fn list_documents(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Vec<DocumentView>>, ApiError> {
    Ok(Json(st.app.list_documents(&actor).await?))
}

/// 登记政策文件，并关联其设立的组织和活动
#[utoipa::path(post, path = "/api/v1/documents", tag = "mobilisation", security(("bearer" = [])), request_body = DocumentInput,
    responses((status = 201, body = DocumentView), (status = 422, body = ErrorBody)))]
pub async fn create_document(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(input): ApiJson<DocumentInput>,
) -> Result<(StatusCode, Json<DocumentView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(st.app.create_document(&actor, &input).await?),
    ))
}

/// 一份政策文件
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "mobilisation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "文件编号")),
    responses((status = 200, body = DocumentView), (status = 404, body = ErrorBody)))]
pub async fn get_document(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<DocumentView>, ApiError> {
    Ok(Json(st.app.get_document(&actor, parse_id(&id)?).await?))
}

/// 活动下派人员名单（姓名、下派村（社区）、日期），按下派先后每页 2000 人；总人数见活动的 people_sent
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/people", tag = "mobilisation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "活动编号"), crate::api::resumption::PageQuery),
    responses((status = 200, body = [dualtrack_service::campaigns::SentPerson]), (status = 404, body = ErrorBody)))]
pub async fn people(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<crate::api::resumption::PageQuery>,
) -> Result<Json<Vec<dualtrack_service::campaigns::SentPerson>>, ApiError> {
    Ok(Json(
        st.app
            .campaign_people(&actor, parse_id(&id)?, q.page)
            .await?,
    ))
}
