use crate::error::{ApiError, ErrorBody};
use crate::extract::{parse_id, ApiJson, ApiQuery, ApiUser};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use dualtrack_service::users::{NewUserInput, UserView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

pub const PAGE_SIZE: i64 = 50;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// 用户名或姓名中的字
    pub q: Option<String>,
    /// 页码，从 1 开始
    pub page: Option<i64>,
}

/// 管辖范围内的账户（安全管理员）
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = [UserView]), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<UserView>>, ApiError> {
    let page = q.page.unwrap_or(1).max(1);
    Ok(Json(
        st.app
            .list_users(
                &actor,
                q.q.as_deref(),
                PAGE_SIZE,
                dualtrack_service::page_offset(page, PAGE_SIZE),
            )
            .await?,
    ))
}

/// 新建账户（安全管理员）：绑定一个区划节点和一个或多个角色
#[utoipa::path(post, path = "/api/v1/users", tag = "users", security(("bearer" = [])), request_body = NewUserInput,
    responses((status = 201, body = UserView), (status = 409, description = "用户名已被使用", body = ErrorBody),
        (status = 422, description = "输入有误", body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(input): ApiJson<NewUserInput>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(st.app.create_user(&actor, &input).await?),
    ))
}

/// 一个账户
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path, description = "账户编号")),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(st.app.get_user(&actor, parse_id(&id)?).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct RolesInput {
    pub roles: Vec<String>,
}

/// 变更账户的角色（安全管理员；三员不可兼任）
#[utoipa::path(put, path = "/api/v1/users/{id}/roles", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path, description = "账户编号")), request_body = RolesInput,
    responses((status = 200, body = UserView), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_roles(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RolesInput>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(
        st.app
            .set_user_roles(&actor, parse_id(&id)?, &input.roles)
            .await?,
    ))
}

/// 锁定账户，并结束其所有会话
#[utoipa::path(post, path = "/api/v1/users/{id}/lock", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path, description = "账户编号")),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)))]
pub async fn lock(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(
        st.app.set_user_locked(&actor, parse_id(&id)?, true).await?,
    ))
}

/// 解锁账户（含登录失败造成的锁定）
#[utoipa::path(post, path = "/api/v1/users/{id}/unlock", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path, description = "账户编号")),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)))]
pub async fn unlock(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(
        st.app
            .set_user_locked(&actor, parse_id(&id)?, false)
            .await?,
    ))
}

/// 重置账户的双因素认证（安全管理员），其会话随之结束；下次登录按策略重新启用
#[utoipa::path(post, path = "/api/v1/users/{id}/second-factor/reset", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path, description = "账户编号")),
    responses((status = 204, description = "已重置"), (status = 409, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reset_second_factor(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    st.app.reset_second_factor(&actor, parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordReset {
    pub new_password: String,
}

/// 重置账户密码（安全管理员），其会话随之结束
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path, description = "账户编号")), request_body = PasswordReset,
    responses((status = 204, description = "已重置"), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reset_password(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PasswordReset>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    if actor.user_id == Some(id) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "修改本人密码请用 /api/v1/me/password",
        )
        .field("id"));
    }
    st.app
        .set_password(&actor, id, None, &input.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
