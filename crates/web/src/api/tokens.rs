//! API tokens: the account's own (made only by a person logged in with the second factor),
//! and any account's for the security administrator to list and revoke.

use crate::error::{ApiError, ErrorBody};
use crate::extract::{parse_id, ApiJson, ApiUser};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use dualtrack_service::api_tokens::{CreatedToken, NewTokenInput, TokenView};

/// 本人的接口令牌（未撤销的），不含令牌本身
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = [TokenView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn my_tokens(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    Ok(Json(st.app.my_tokens(&actor).await?))
}

/// 新建接口令牌（须用双因素认证登录的会话；令牌只显示这一次）
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "auth", security(("bearer" = [])), request_body = NewTokenInput,
    responses((status = 201, body = CreatedToken),
        (status = 403, description = "会话未经双因素认证，或以接口令牌请求", body = ErrorBody),
        (status = 404, description = "区划不在管辖范围内", body = ErrorBody),
        (status = 409, description = "名称已被本人的令牌使用", body = ErrorBody),
        (status = 422, description = "输入有误", body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn create_token(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(input): ApiJson<NewTokenInput>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(st.app.create_token(&actor, &input).await?),
    ))
}

/// 撤销本人的一个接口令牌
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "auth", security(("bearer" = [])),
    params(("id" = i64, Path, description = "令牌编号")),
    responses((status = 204, description = "已撤销"), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn revoke_my_token(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    st.app.revoke_my_token(&actor, parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 账户的接口令牌（安全管理员）
#[utoipa::path(get, path = "/api/v1/users/{id}/tokens", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path, description = "账户编号")),
    responses((status = 200, body = [TokenView]), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn user_tokens(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    Ok(Json(st.app.user_tokens(&actor, parse_id(&id)?).await?))
}

/// 撤销账户的一个接口令牌（安全管理员）
#[utoipa::path(delete, path = "/api/v1/users/{id}/tokens/{token_id}", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path, description = "账户编号"), ("token_id" = i64, Path, description = "令牌编号")),
    responses((status = 204, description = "已撤销"), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn revoke_user_token(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((id, token_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    st.app
        .revoke_user_token(&actor, parse_id(&id)?, parse_id(&token_id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
