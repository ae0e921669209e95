use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiUser, SourceAddr};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use dualtrack_domain::role::Role;
use dualtrack_service::auth::{SessionKind, SessionView};
use dualtrack_service::Actor;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// 动态口令（6 位）或恢复码：启用了双因素认证的账户必填
    #[serde(default)]
    pub totp_code: Option<String>,
}

/// The logged-in account.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: Option<i64>,
    pub username: String,
    pub display_name: String,
    /// 所属区划代码（管辖范围的根）
    pub jurisdiction_code: Option<String>,
    pub roles: Vec<Role>,
    pub role_names: Vec<String>,
}

impl From<&Actor> for Me {
    fn from(a: &Actor) -> Me {
        Me {
            id: a.user_id,
            username: a.username.clone(),
            display_name: a.display_name.clone(),
            jurisdiction_code: a.home_code(),
            roles: a.roles.clone(),
            role_names: a.roles.iter().map(|r| r.zh().to_string()).collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// 访问令牌：之后的请求带 `Authorization: Bearer <token>`
    pub token: String,
    /// 闲置超时的到期时间（每次使用顺延）
    pub expires_at: DateTime<Utc>,
    pub user: Me,
}

/// 登录，取得访问令牌
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "登录成功", body = LoginResponse),
        (status = 401, description = "用户名或密码错误", body = ErrorBody),
        (status = 423, description = "账户已锁定", body = ErrorBody),
        (status = 422, description = "缺少字段", body = ErrorBody)))]
pub async fn login(
    State(st): State<AppState>,
    SourceAddr(source): SourceAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let out = st
        .app
        .login_with(
            &req.username,
            &req.password,
            req.totp_code.as_deref(),
            SessionKind::Api,
            &source,
        )
        .await?;
    Ok(Json(LoginResponse {
        token: out.token,
        expires_at: out.expires_at,
        user: Me::from(&out.actor),
    }))
}

/// 退出登录，令牌作废
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "已退出"), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<StatusCode, ApiError> {
    st.app.logout(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 当前账户
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(ApiUser(actor): ApiUser) -> Json<Me> {
    Json(Me::from(&actor))
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// 修改本人密码（其他会话随之结束）
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", security(("bearer" = [])), request_body = PasswordChange,
    responses((status = 204, description = "已修改"), (status = 422, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn change_password(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(req): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    let id = actor
        .user_id
        .ok_or_else(|| ApiError::new(StatusCode::FORBIDDEN, "forbidden", "命令行账户没有密码"))?;
    st.app
        .set_password(&actor, id, Some(&req.current_password), &req.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 本人的会话（各处登录），最近使用的在前
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = [SessionView]), (status = 401, body = ErrorBody)))]
pub async fn sessions(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Vec<SessionView>>, ApiError> {
    Ok(Json(st.app.my_sessions(&actor).await?))
}

/// 结束本人的一个会话（如别处忘记退出的手机）
#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", tag = "auth", security(("bearer" = [])),
    params(("id" = i64, Path, description = "会话编号")),
    responses((status = 204, description = "已结束"), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn end_session(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", "没有这个会话"))?;
    st.app.end_my_session(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
