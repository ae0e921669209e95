//! Who is calling, and CSRF protection, resolved once per request.
//!
//! The API authenticates with `Authorization: Bearer <token>`; pages with the HttpOnly,
//! SameSite cookie `dt_session`. Every state-changing request that a browser could send on
//! its own (any page form, and any API call authenticated by the cookie) must carry the
//! session's CSRF token, as the form field `csrf_token` or the header `X-CSRF-Token`.
//! Before login the login form is protected the same way by the `dt_csrf` cookie.

use crate::error::{too_large, ApiError, PageError};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use dualtrack_service::{Actor, ServiceError};
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "dt_session";
pub const LOGIN_CSRF_COOKIE: &str = "dt_csrf";

/// How the caller proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Bearer,
    Cookie,
}

/// The outcome of authentication, stored in the request's extensions.
#[derive(Clone)]
pub enum Caller {
    Anonymous,
    User(Box<Actor>, Via),
    /// A credential was sent but refused (expired, locked, unknown).
    Refused(String, Via),
}

fn source_addr(req: &Request) -> String {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn bearer(req: &Request) -> Option<String> {
    let v = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let t = v
        .strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("bearer "))?;
    Some(t.trim().to_string())
}

fn is_form(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.starts_with("application/x-www-form-urlencoded"))
        .unwrap_or(false)
}

fn csrf_refusal(is_api: bool) -> Response {
    let msg = "缺少或无效的安全令牌（csrf_token），请刷新页面后重新提交";
    if is_api {
        ApiError::new(StatusCode::FORBIDDEN, "csrf", msg)
            .field("csrf_token")
            .into_response()
    } else {
        PageError::new(StatusCode::FORBIDDEN, msg).into_response()
    }
}

/// Constant-time comparison of two tokens.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
        && !a.is_empty()
}

pub async fn resolve(
    State(st): State<AppState>,
    jar: CookieJar,
    req: Request,
    next: Next,
) -> Response {
    let source = source_addr(&req);
    let is_api = req.uri().path().starts_with("/api/");
    let caller = if let Some(token) = bearer(&req) {
        match st.app.authenticate(&token, &source).await {
            Ok(a) => Caller::User(Box::new(a), Via::Bearer),
            Err(ServiceError::Store(e)) => {
                return ApiError::from(ServiceError::Store(e)).into_response()
            }
            Err(e) => Caller::Refused(e.to_string(), Via::Bearer),
        }
    } else if let Some(c) = jar.get(SESSION_COOKIE) {
        match st.app.authenticate(c.value(), &source).await {
            Ok(a) if a.token.is_some() => Caller::Refused(
                "接口令牌只能放在请求头 Authorization 中".into(),
                Via::Cookie,
            ),
            Ok(a) => Caller::User(Box::new(a), Via::Cookie),
            Err(ServiceError::Store(e)) => {
                return PageError::from(ServiceError::Store(e)).into_response()
            }
            Err(e) => Caller::Refused(e.to_string(), Via::Cookie),
        }
    } else {
        Caller::Anonymous
    };

    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if let Caller::User(a, _) = &caller {
        if let Some(refusal) = token_refusal(&st, a, is_api, unsafe_method, req.uri().path()).await
        {
            return refusal;
        }
    }
    let via_bearer = matches!(
        caller,
        Caller::User(_, Via::Bearer) | Caller::Refused(_, Via::Bearer)
    );
    // Page forms of a logged-in user, the login form itself, and API calls made with the
    // cookie. A page request whose session has expired writes nothing: it is sent to login.
    let cookie_user = matches!(caller, Caller::User(_, Via::Cookie));
    let needs_csrf = unsafe_method
        && !via_bearer
        && (cookie_user || (!is_api && req.uri().path() == crate::shell::LOGIN_PATH));
    let mut req = req;
    if needs_csrf {
        let expected = match &caller {
            Caller::User(a, _) => Some(a.csrf_token.clone()),
            _ => jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value().to_string()),
        };
        let header_token = req
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let provided = match header_token {
            Some(t) => Some(t),
            None if is_form(&req) => {
                let (parts, body) = req.into_parts();
                let bytes = match axum::body::to_bytes(body, st.config.body_limit).await {
                    Ok(b) => b,
                    Err(_) => {
                        return if is_api {
                            too_large().into_response()
                        } else {
                            PageError::new(StatusCode::PAYLOAD_TOO_LARGE, "提交的内容过大")
                                .into_response()
                        }
                    }
                };
                let token = form_urlencoded_field(&bytes, "csrf_token");
                req = Request::from_parts(parts, Body::from(bytes));
                token
            }
            None => None,
        };
        let ok = matches!((&expected, &provided), (Some(e), Some(p)) if same(e, p));
        if !ok {
            if let Caller::User(a, _) = &caller {
                let _ = st
                    .app
                    .refuse(
                        a,
                        "请求",
                        req.uri().path(),
                        None,
                        ServiceError::Forbidden("CSRF 令牌无效".into()),
                    )
                    .await;
            }
            return csrf_refusal(is_api);
        }
    }
    req.extensions_mut().insert(caller);
    next.run(req).await
}

/// What an API token may not do, whatever its account may: open a page (any path outside
/// the API), or write when it is read-only. Refusals are audited.
async fn token_refusal(
    st: &AppState,
    actor: &Actor,
    is_api: bool,
    unsafe_method: bool,
    path: &str,
) -> Option<Response> {
    let grant = actor.token.as_ref()?;
    let (code, msg) = if !is_api {
        (
            "token_not_for_pages",
            "接口令牌只能用于接口（/api/v1/…），不能打开网页",
        )
    } else if grant.read_only && unsafe_method && path != "/api/v1/auth/logout" {
        (
            "token_read_only",
            "该接口令牌只读（read），不能进行写操作：请改用读写（write）令牌",
        )
    } else {
        return None;
    };
    let err = st
        .app
        .refuse(
            actor,
            "请求",
            path,
            None,
            ServiceError::Forbidden(msg.into()),
        )
        .await;
    Some(match err {
        ServiceError::Forbidden(_) if is_api => {
            ApiError::new(StatusCode::FORBIDDEN, code, msg).into_response()
        }
        ServiceError::Forbidden(_) => PageError::new(StatusCode::FORBIDDEN, msg).into_response(),
        e if is_api => ApiError::from(e).into_response(),
        e => PageError::from(e).into_response(),
    })
}

fn form_urlencoded_field(bytes: &[u8], name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// The session cookie for a fresh login.
pub fn session_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .build()
}

/// The pre-login CSRF cookie.
pub fn login_csrf_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((LOGIN_CSRF_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .path("/")
        .build()
}
