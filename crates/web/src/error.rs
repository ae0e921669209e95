//! Turning errors into responses: `{"error": {"code", "message", "fields"}}` for the API,
//! a Chinese message page for pages. Bad input is a 4xx naming the field; only a failure of
//! the product itself is a 5xx, and its details go to the log, not to the caller.

use askama::Template;
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
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
        | ServiceError::Unconfirmed { .. }
        | ServiceError::IdempotencyMismatch(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ServiceError::Conflict { .. } => StatusCode::CONFLICT,
        ServiceError::NotFound(_) | ServiceError::Unknown { .. } => StatusCode::NOT_FOUND,
        ServiceError::Forbidden(_) => StatusCode::FORBIDDEN,
        ServiceError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        ServiceError::Locked(_) => StatusCode::LOCKED,
        ServiceError::Store(s) if s.is_transient() => StatusCode::SERVICE_UNAVAILABLE,
        // Two writers raced for the same key: the later one is told to retry.
        ServiceError::Store(StoreError::Unique(_)) => StatusCode::CONFLICT,
        ServiceError::Store(_) | ServiceError::Internal(_) | ServiceError::Undecryptable(_) => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
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
    if let ServiceError::Undecryptable(m) = e {
        // Names the missing key (an id, not the key): the administrator must restore it.
        tracing::error!(error = %e, "personal data cannot be decrypted");
        return m.clone();
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
            ServiceError::Unconfirmed { fields, .. } => fields
                .iter()
                .map(|(f, m)| (f.to_string(), m.clone()))
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

/// A value in a request that could not be read as the field it is for: a 422 naming the field
/// (its path in the body, or the query parameter), in Chinese.
pub fn bad_value(field: Option<&str>, raw: &str) -> ApiError {
    let what = zh_serde(raw);
    match field.filter(|f| !f.is_empty()) {
        Some(f) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            // "缺少字段 as_of" names the field already.
            if what.contains(f) {
                what
            } else {
                format!("字段 {f} {what}")
            },
        )
        .field(f),
        None => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!("请求内容不符合要求：{what}"),
        ),
    }
}

/// The field a serde error is about: its path, and for a missing or unknown field the name
/// the message gives.
pub fn field_of(path: &str, raw: &str) -> Option<String> {
    let path = if path == "." || path == "?" { "" } else { path };
    let named =
        between(raw, "missing field `", "`").or_else(|| between(raw, "unknown field `", "`"));
    match (path, named) {
        ("", Some(n)) => Some(n.to_string()),
        (p, Some(n)) => Some(format!("{p}.{n}")),
        ("", None) => None,
        (p, None) => Some(p.to_string()),
    }
}

/// A control character (NUL and the like; tab and line breaks are text) in a field: refused
/// before it reaches the database, which would store it (SQLite) or fail (PostgreSQL).
pub fn control_character(field: &str, c: char) -> ApiError {
    let label = if field.is_empty() {
        "请求内容"
    } else {
        field
    };
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        format!(
            "字段 {label} 含有不可见的控制字符（U+{:04X}），请删除后重试",
            c as u32
        ),
    )
    .field(if field.is_empty() { "body" } else { field })
}

/// The first control character of a text, other than tab and line breaks.
pub fn first_control(s: &str) -> Option<char> {
    s.chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// A body that is not JSON at all: 400, with where it broke.
pub fn malformed_json(e: &serde_json::Error) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "malformed_json",
        format!(
            "请求体不是合法的 JSON（第 {} 行第 {} 列附近），请检查括号、引号和逗号",
            e.line(),
            e.column()
        ),
    )
}

pub fn not_json() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "请求头 Content-Type 应为 application/json",
    )
}

/// What a serde message says, in Chinese: the type expected and the value given, where the
/// message tells them. Messages already in Chinese (the domain's own) pass unchanged.
pub fn zh_serde(raw: &str) -> String {
    let raw = raw
        .split(" at line ")
        .next()
        .unwrap_or(raw)
        .trim()
        .to_string();
    if raw.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
        return raw;
    }
    if let Some(f) = between(&raw, "missing field `", "`") {
        return format!("缺少字段 {f}");
    }
    if let Some(f) = between(&raw, "unknown field `", "`") {
        return format!("字段 {f} 不在此接口的字段之中，请检查拼写");
    }
    if let Some(v) = between(&raw, "unknown variant `", "`") {
        let choices: Vec<&str> = raw
            .split_once("expected")
            .map(|(_, rest)| rest.split('`').skip(1).step_by(2).collect::<Vec<&str>>())
            .unwrap_or_default();
        return if choices.is_empty() {
            format!("取值“{v}”无效")
        } else {
            format!("取值“{v}”无效，可选：{}", choices.join("、"))
        };
    }
    if let Some(rest) = raw.strip_prefix("invalid type: ") {
        let (got, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return format!(
            "类型不对：应为{}，实为{}",
            zh_expected(expected),
            zh_got(got)
        );
    }
    if let Some(rest) = raw.strip_prefix("invalid value: ") {
        let (got, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return format!(
            "取值无效：应为{}，实为{}",
            zh_expected(expected),
            zh_got(got)
        );
    }
    if raw.starts_with("invalid length") {
        return "元素个数不对".into();
    }
    let lower = raw.to_ascii_lowercase();
    if lower.contains("invalid digit")
        || lower.contains("parse integer")
        || lower.contains("number too")
    {
        return "应为整数".into();
    }
    if lower.contains("invalid float") {
        return "应为数字".into();
    }
    if lower.contains("`true` or `false`") {
        return "应为 true 或 false".into();
    }
    if lower.contains("input contains invalid characters")
        || lower.contains("premature end of input")
        || lower.contains("trailing input")
        || lower.contains("input is out of range")
        || lower.contains("input is not enough")
        || lower.contains("impossible")
    {
        return "日期或时间格式不对（日期如 2020-02-27，时间如 2020-02-27T08:30:00+08:00）".into();
    }
    "格式不对".into()
}

fn zh_expected(e: &str) -> String {
    let e = e.trim();
    let integer = [
        "i8", "i16", "i32", "i64", "i128", "u8", "u16", "u32", "u64", "u128", "isize", "usize",
    ];
    if integer
        .iter()
        .any(|t| e == *t || e.ends_with(&format!(" {t}")))
        || e.contains("integer")
    {
        "整数".into()
    } else if e == "f32" || e == "f64" || e.contains("float") || e.contains("number") {
        "数字".into()
    } else if e.contains("bool") {
        "true 或 false".into()
    } else if e.contains("string") || e == "a character" || e.contains("char") {
        "文字（字符串）".into()
    } else if e.contains("sequence") || e.contains("tuple") || e.contains("array") {
        "数组".into()
    } else if e.contains("map") || e.starts_with("struct") {
        "对象".into()
    } else if e.contains("date") || e.contains("time") {
        "日期或时间（如 2020-02-27）".into()
    } else if e.is_empty() {
        "其他类型".into()
    } else {
        "正确的格式".into()
    }
}

fn zh_got(g: &str) -> String {
    let g = g.trim();
    let quoted = between(g, "\"", "\"").or_else(|| between(g, "`", "`"));
    let kind = if g.starts_with("string") {
        "文字"
    } else if g.starts_with("integer") {
        "整数"
    } else if g.starts_with("floating point") {
        "小数"
    } else if g.starts_with("boolean") {
        "布尔值"
    } else if g.starts_with("null") || g.starts_with("unit") {
        "null"
    } else if g.starts_with("sequence") {
        "数组"
    } else if g.starts_with("map") {
        "对象"
    } else {
        "其他值"
    };
    match quoted {
        Some(q) => format!("{kind}“{}”", q.chars().take(40).collect::<String>()),
        None => kind.into(),
    }
}

pub fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "请求体过大，超过服务器允许的上限",
    )
}

/// Rejections the framework answers by itself (a path it cannot decode, a page's query string
/// of the wrong type, a body over a route's limit, a method the route does not take…) come as
/// English plain text or as nothing: they are said again in Chinese, in the API's error shape
/// under `/api/` and as a page elsewhere. Everything else passes untouched.
pub async fn in_chinese(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let method = req.method().clone();
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let content_type = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if !(content_type.is_empty() || content_type.starts_with("text/plain")) {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).to_string())
        .unwrap_or_default();
    let message = framework_message(status, &method, &text);
    let mut out = if api {
        ApiError::new(status, code_of(status), message).into_response()
    } else {
        PageError::new(status, message).into_response()
    };
    for (name, value) in parts.headers.iter() {
        if name != axum::http::header::CONTENT_TYPE
            && name != axum::http::header::CONTENT_LENGTH
            && !out.headers().contains_key(name)
        {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

fn code_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    }
}

/// The framework's own refusal, in Chinese.
fn framework_message(status: StatusCode, method: &axum::http::Method, text: &str) -> String {
    let text = text.trim();
    if text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
        return text.to_string();
    }
    let after = |prefix: &str| text.split_once(prefix).map(|(_, rest)| zh_serde(rest));
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            "请求体过大，超过服务器允许的上限（导入的 Excel 文件不超过 32 MB）".into()
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            if text.contains("form-urlencoded") {
                "请求头 Content-Type 应为 application/x-www-form-urlencoded".into()
            } else if text.contains("multipart") {
                "请求头 Content-Type 应为 multipart/form-data".into()
            } else if text.contains("json") {
                "请求头 Content-Type 应为 application/json".into()
            } else {
                "不支持此种请求内容（Content-Type）".into()
            }
        }
        StatusCode::METHOD_NOT_ALLOWED => format!("该地址不接受 {method} 请求"),
        StatusCode::REQUEST_TIMEOUT => "请求超时，请检查网络后重试".into(),
        StatusCode::NOT_FOUND => "请求的地址或记录不存在".into(),
        StatusCode::TOO_MANY_REQUESTS => "请求过于频繁，请稍后重试".into(),
        s if s.is_server_error() => {
            if !text.is_empty() {
                tracing::error!(status = %s, body = text, "failed without a message");
            }
            "服务器内部错误，请稍后重试；如持续出现请联系系统管理员".into()
        }
        _ => {
            if let Some(m) = after("Failed to deserialize query string:") {
                format!("查询参数有误：{m}")
            } else if let Some(m) = after("Failed to deserialize form body:") {
                format!("表单内容有误：{m}")
            } else if let Some(m) =
                after("Failed to deserialize the JSON body into the target type:")
            {
                format!("JSON 内容不符合要求：{m}")
            } else if text.contains("as JSON") || text.contains("JSON") {
                "请求体不是合法的 JSON，请检查括号、引号和逗号".into()
            } else if text.starts_with("Invalid URL") || text.contains("path") {
                "地址中的参数无效（应为编号或代码，且为 UTF-8 编码）".into()
            } else if text.contains("buffer the request body") {
                "请求体无法完整读取，请重试".into()
            } else if text.contains("header") {
                "请求头有误".into()
            } else {
                "请求有误，请检查后重试".into()
            }
        }
    }
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
