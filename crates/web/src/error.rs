//! Turning errors into responses: `{"error": {"code", "message", "fields"}}` for the API,
//! a Chinese message page for pages. Bad input is a 4xx naming the field; only a failure of
//! the product itself is a 5xx, and its details go to the log, not to the caller.

use askama::Template;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use axum_extra::extract::FormRejection;
use dualtrack_service::ServiceError;
use dualtrack_store::StoreError;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The body of every API error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// 机器可读的错误代码，如 invalid、not_found
    pub code: String,
    /// 中文说明
    pub message: String,
    /// 出错的字段及其说明
    pub fields: BTreeMap<String, String>,
}

/// An error of the JSON API.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    /// Further fields, such as the rows of a rejected import.
    pub more: Vec<(String, String)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            more: vec![],
        }
    }

    pub fn field(mut self, f: &str) -> Self {
        self.field = Some(f.to_string());
        self
    }
}

pub fn status_of(e: &ServiceError) -> StatusCode {
    match e {
        ServiceError::Invalid { .. }
        | ServiceError::Rejected { .. }
        | ServiceError::IdempotencyMismatch(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ServiceError::Conflict { .. } => StatusCode::CONFLICT,
        ServiceError::NotFound(_) | ServiceError::Unknown { .. } => StatusCode::NOT_FOUND,
        ServiceError::Forbidden(_) => StatusCode::FORBIDDEN,
        ServiceError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        ServiceError::Locked(_) => StatusCode::LOCKED,
        ServiceError::Store(s) if s.is_transient() => StatusCode::SERVICE_UNAVAILABLE,
        // Two writers raced for the same key: the later one is told to retry.
        ServiceError::Store(StoreError::Unique(_)) => StatusCode::CONFLICT,
        ServiceError::Store(_) | ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The message a caller may see: inner failures are logged, not shown.
fn public_message(e: &ServiceError, status: StatusCode) -> String {
    if let ServiceError::Store(StoreError::Unique(_)) = e {
        return "记录已存在（与同时进行的操作冲突），请刷新后重试".into();
    }
    if let ServiceError::Store(s) = e {
        if s.is_transient() {
            tracing::warn!(error = %e, "database unavailable or busy");
            return match s {
                StoreError::Busy(_) => "服务器繁忙，请稍后重试".into(),
                _ => "数据库暂不可用，请稍后重试".into(),
            };
        }
    }
    if status.is_server_error() {
        tracing::error!(error = %e, "request failed");
        "服务器内部错误，请稍后重试；如持续出现请联系系统管理员".into()
    } else {
        e.to_string()
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let status = status_of(&e);
        let more = match &e {
            ServiceError::Rejected { rows, .. } => rows
                .iter()
                .map(|r| (format!("第 {} 行 {}", r.row, r.column), r.message.clone()))
                .collect(),
            _ => vec![],
        };
        ApiError {
            status,
            code: e.code(),
            message: public_message(&e, status),
            field: e.field().map(String::from),
            more,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut fields = BTreeMap::new();
        if let Some(f) = self.field {
            fields.insert(f, self.message.clone());
        }
        for (k, v) in self.more {
            fields
                .entry(k)
                .and_modify(|m: &mut String| m.push_str(&format!("；{v}")))
                .or_insert(v);
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.into(),
                message: self.message,
                fields,
            },
        };
        let mut resp = (self.status, Json(body)).into_response();
        retry_after(&mut resp);
        resp
    }
}

/// A 503 tells the client when to come back (`Retry-After`, seconds), so that phones and
/// scripts back off instead of hammering a server that is shedding load.
pub fn retry_after(resp: &mut Response) {
    if resp.status() == StatusCode::SERVICE_UNAVAILABLE {
        resp.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static(crate::admission::RETRY_AFTER_SECS),
        );
    }
}

/// Says in Chinese what is wrong with a JSON body, naming the field where serde does.
pub fn json_rejection(r: JsonRejection) -> ApiError {
    match r {
        JsonRejection::JsonDataError(e) => {
            let text = e.body_text();
            if let Some(field) = between(&text, "missing field `", "`") {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    format!("缺少字段 {field}"),
                )
                .field(field)
            } else {
                let at = between(&text, ": ", " at line")
                    .unwrap_or(&text)
                    .to_string();
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    format!("JSON 内容不符合要求：{at}"),
                )
            }
        }
        JsonRejection::JsonSyntaxError(_) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "请求体不是合法的 JSON，请检查括号、引号和逗号",
        ),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "请求头 Content-Type 应为 application/json",
        ),
        JsonRejection::BytesRejection(_) => too_large(),
        _ => ApiError::new(StatusCode::BAD_REQUEST, "bad_request", "请求体无法读取"),
    }
}

pub fn query_rejection(r: QueryRejection) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "bad_query",
        format!("查询参数有误：{}", r.body_text()),
    )
}

pub fn form_rejection(r: FormRejection) -> PageError {
    let status = r.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        PageError::new(status, "提交的内容过大")
    } else {
        PageError::new(
            StatusCode::BAD_REQUEST,
            format!("表单内容有误：{}", r.body_text()),
        )
    }
}

pub fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "请求体过大，超过服务器允许的上限",
    )
}

/// The text of `s` between `start` and the next `end`.
fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(&s[i..j])
}

/// An error shown as a page.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub message: String,
}

impl PageError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        PageError {
            status,
            message: message.into(),
        }
    }
}

impl From<ServiceError> for PageError {
    fn from(e: ServiceError) -> Self {
        let status = status_of(&e);
        PageError {
            message: public_message(&e, status),
            status,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title = match self.status {
            StatusCode::NOT_FOUND => "未找到",
            StatusCode::FORBIDDEN => "无权访问",
            StatusCode::UNAUTHORIZED => "请先登录",
            StatusCode::SERVICE_UNAVAILABLE => "请稍后重试",
            s if s.is_server_error() => "服务器错误",
            _ => "请求有误",
        };
        let page = ErrorPage {
            status: self.status.as_u16(),
            title,
            message: &self.message,
        };
        let mut resp = match page.render() {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(_) => (self.status, self.message).into_response(),
        };
        retry_after(&mut resp);
        resp
    }
}

/// Unknown paths: JSON under `/api/`, a page elsewhere.
pub async fn not_found(uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("接口不存在：{}", uri.path()),
        )
        .into_response()
    } else {
        PageError::new(StatusCode::NOT_FOUND, format!("页面不存在：{}", uri.path())).into_response()
    }
}
