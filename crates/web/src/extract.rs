//! Extractors: who the caller is (API and pages), and request bodies whose rejections
//! speak Chinese.

use crate::error::{form_rejection, json_rejection, query_rejection, ApiError, PageError};
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
                    crate::pages::LOGIN_PATH,
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

/// A JSON body; bad JSON is a 4xx in the API's error shape.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // Read as JSON first (content type, syntax), then whole numbers as integers (see
        // `json_numbers`), then into the type, so that its errors still name the field.
        let axum::Json(mut v) = axum::Json::<serde_json::Value>::from_request(req, state)
            .await
            .map_err(json_rejection)?;
        crate::json_numbers::whole_numbers_as_integers(&mut v);
        let bytes = serde_json::to_vec(&v)
            .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "bad_request", "请求体无法读取"))?;
        axum::Json::<T>::from_bytes(&bytes)
            .map(|j| ApiJson(j.0))
            .map_err(json_rejection)
    }
}

/// Query parameters of the API.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(query_rejection)
    }
}

/// A page form.
pub struct PageForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for PageForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum_extra::extract::Form::<T>::from_request(req, state)
            .await
            .map(|f| PageForm(f.0))
            .map_err(form_rejection)
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

/// A record id from the path: a bad one is a 404 in Chinese, not a parser's message.
pub fn parse_id(raw: &str) -> Result<i64, dualtrack_service::ServiceError> {
    raw.trim().parse::<i64>().map_err(|_| {
        dualtrack_service::ServiceError::NotFound(format!("编号“{raw}”无效：应为整数"))
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
