//! Extractors: who the caller is (API and pages), and request bodies whose rejections
//! speak Chinese.

use crate::error::{
    bad_value, control_character, field_of, first_control, malformed_json, not_json, too_large,
    ApiError, PageError,
};
use crate::session::Caller;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dualtrack_service::Actor;
use serde::de::DeserializeOwned;

/// A logged-in caller of the API (bearer token, or the page cookie with its CSRF token).
pub struct ApiUser(pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Caller>() {
            Some(Caller::User(a, _)) if a.must_change_password && !restricted_may(parts) => {
                Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "password_change_required",
                    "须先修改密码（密码由管理员设置或已过期）：POST /api/v1/me/password",
                ))
            }
            Some(Caller::User(a, _)) if a.must_enrol && !restricted_may(parts) => {
                Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "second_factor_required",
                    "该账户的角色须启用双因素认证：请先在网页“我的账户 → 双因素认证”中设置，再重新登录",
                ))
            }
            Some(Caller::User(a, _)) => Ok(ApiUser((**a).clone())),
            Some(Caller::Refused(msg, _)) => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                msg.clone(),
            )),
            _ => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "请先登录：在请求头带 Authorization: Bearer <token>",
            )),
        }
    }
}

/// What a session that must change its password or set up its second factor may still do:
/// that, or leave.
fn restricted_may(parts: &Parts) -> bool {
    let p = parts.uri.path();
    p.starts_with(crate::pages::auth::SECOND_FACTOR_PATH)
        || p == "/me"
        || p == "/me/password"
        || p == "/api/v1/me/password"
        || p == "/logout"
        || p == "/api/v1/auth/logout"
        || p == "/api/v1/me"
}

/// A logged-in user of the pages; others are sent to the login page.
pub struct PageUser(pub Actor);

pub struct ToLogin(String);

impl IntoResponse for ToLogin {
    fn into_response(self) -> Response {
        Redirect::to(&self.0).into_response()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageUser {
    type Rejection = ToLogin;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Caller>() {
            Some(Caller::User(a, _)) if a.must_change_password && !restricted_may(parts) => {
                Err(ToLogin("/me?change=1".to_string()))
            }
            Some(Caller::User(a, _)) if a.must_enrol && !restricted_may(parts) => {
                Err(ToLogin(crate::pages::auth::SECOND_FACTOR_PATH.to_string()))
            }
            Some(Caller::User(a, _)) => Ok(PageUser((**a).clone())),
            other => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let next: String = form_urlencoded_encode(next);
                let expired = matches!(other, Some(Caller::Refused(..)));
                Err(ToLogin(format!(
                    "{}?next={next}{}",
                    crate::shell::LOGIN_PATH,
                    if expired { "&expired=1" } else { "" }
                )))
            }
        }
    }
}

fn form_urlencoded_encode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|x| x.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

/// A JSON body; bad JSON is a 4xx in the API's error shape, in Chinese, naming the field (its
/// path in the body) whose value is of the wrong type, missing, or holds a control character.
pub struct ApiJson<T>(pub T);

fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(ct) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The first text in a JSON value holding a control character, with its path.
fn control_in(v: &serde_json::Value, path: &mut String) -> Option<(String, char)> {
    use serde_json::Value;
    match v {
        Value::String(s) => first_control(s).map(|c| (path.clone(), c)),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = control_in(item, path);
            path.truncate(len);
            found
        }),
        Value::Object(map) => map.iter().find_map(|(k, item)| {
            if let Some(c) = first_control(k) {
                return Some((path.clone(), c));
            }
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(k);
            let found = control_in(item, path);
            path.truncate(len);
            found
        }),
        _ => None,
    }
}

/// Reads a JSON body as `T`, every refusal in Chinese and naming the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            malformed_json(&e)
        } else {
            bad_value(None, &e.to_string())
        }
    })?;
    if let Some((field, c)) = control_in(&value, &mut String::new()) {
        return Err(control_character(&field, c));
    }
    // A whole number written as 2.0 is the integer 2, as the document's `integer` allows.
    crate::json_numbers::whole_numbers_as_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let raw = e.inner().to_string();
        bad_value(field_of(&path, &raw).as_deref(), &raw)
    })
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(not_json());
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|r| {
                if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    too_large()
                } else {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "bad_request",
                        "请求体无法完整读取，请重试",
                    )
                }
            })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Reads a query string or form as `T`: a control character or a value of the wrong type is
/// refused naming the parameter.
fn parse_pairs<T: DeserializeOwned>(raw: &[u8], html_form: bool) -> Result<T, ApiError> {
    for (k, v) in form_urlencoded::parse(raw) {
        if let Some(c) = first_control(&k).or_else(|| first_control(&v)) {
            return Err(control_character(&k, c));
        }
    }
    let result = if html_form {
        serde_path_to_error::deserialize(serde_html_form::Deserializer::from_bytes(raw))
            .map_err(|e| (e.path().to_string(), e.inner().to_string()))
    } else {
        serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(
            form_urlencoded::parse(raw),
        ))
        .map_err(|e| (e.path().to_string(), e.inner().to_string()))
    };
    result.map_err(|(path, raw)| bad_value(field_of(&path, &raw).as_deref(), &raw))
}

/// Query parameters of the API.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let raw = parts.uri.query().unwrap_or("");
        parse_pairs(raw.as_bytes(), false).map(ApiQuery)
    }
}

/// A page form.
pub struct PageForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for PageForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let form = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                ct.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        let get =
            req.method() == axum::http::Method::GET || req.method() == axum::http::Method::HEAD;
        let bytes = if get {
            axum::body::Bytes::from(req.uri().query().unwrap_or("").to_string())
        } else if !form {
            return Err(PageError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "表单应以 application/x-www-form-urlencoded 提交，请从页面上的表单提交",
            ));
        } else {
            axum::body::Bytes::from_request(req, state)
                .await
                .map_err(|r| {
                    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        PageError::new(StatusCode::PAYLOAD_TOO_LARGE, "提交的内容过大")
                    } else {
                        PageError::new(StatusCode::BAD_REQUEST, "提交的内容无法完整读取，请重试")
                    }
                })?
        };
        parse_pairs(&bytes, true)
            .map(PageForm)
            .map_err(|e| PageError::new(e.status, format!("表单内容有误：{}", e.message)))
    }
}

/// The caller's network address, for the audit log.
pub struct SourceAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for SourceAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(SourceAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string())
                .unwrap_or_else(|| "unknown".into()),
        ))
    }
}

/// A record id from the path that is not a number: no such record, a 404 in Chinese that
/// names the path parameter.
#[derive(Debug)]
pub struct BadId(String);

impl From<BadId> for ApiError {
    fn from(e: BadId) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", e.0).field("id")
    }
}

impl From<BadId> for PageError {
    fn from(e: BadId) -> Self {
        PageError::new(StatusCode::NOT_FOUND, e.0)
    }
}

impl From<BadId> for dualtrack_service::ServiceError {
    fn from(e: BadId) -> Self {
        dualtrack_service::ServiceError::NotFound(e.0)
    }
}

/// A record id from the path: a bad one is a 404 in Chinese, not a parser's message.
pub fn parse_id(raw: &str) -> Result<i64, BadId> {
    raw.trim().parse::<i64>().map_err(|_| {
        let shown: String = raw.chars().filter(|c| !c.is_control()).take(40).collect();
        BadId(format!("编号“{shown}”无效：应为整数"))
    })
}

/// The request header `Idempotency-Key`, if sent (trimmed, empty as none). It takes the place
/// of a body field `idempotency_key`.
pub struct KeyHeader(pub Option<String>);

impl KeyHeader {
    /// Puts the header's key, if any, in the body's field.
    pub fn into_field(self, field: &mut Option<String>) {
        if let Some(k) = self.0 {
            *field = Some(k);
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for KeyHeader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get("idempotency-key") {
            None => Ok(KeyHeader(None)),
            Some(v) => match v.to_str() {
                Ok(k) => Ok(KeyHeader(
                    Some(k.trim().to_string()).filter(|k| !k.is_empty()),
                )),
                Err(_) => Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    "请求头 Idempotency-Key 只能含 ASCII 可见字符",
                )
                .field("idempotency_key")),
            },
        }
    }
}

/// The status of a keyed create's answer: 201 when this call wrote the record, 200 when an
/// earlier call with the same key did.
pub fn created_status(created: bool) -> StatusCode {
    if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}
