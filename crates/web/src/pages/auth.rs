use crate::error::PageError;
use crate::extract::parse_id;
use crate::extract::{PageForm, PageUser, SourceAddr};
use crate::forms::{correctable, refused_on_form};
use crate::session::{login_csrf_cookie, session_cookie, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::shell::{render, Nav, LOGIN_PATH};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use dualtrack_service::api_tokens::{CreatedToken, NewTokenInput, TokenView};
use dualtrack_service::auth::{random_token, SessionKind, SessionView};
use dualtrack_service::second_factor::{Enrolment, SecondFactorState};
use dualtrack_service::{Actor, ServiceError};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
    expired: bool,
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
}

/// Where a login may go on to: a path on this site, or else `/`. Refused: anything that
/// does not start with a single `/` (`//host`, `/\\host`, `https:`…), and anything with a
/// backslash, a control character or white space, as sent or once percent-decoded (a
/// browser drops a tab or a newline and would read `/%09/evil.example` as `//evil.example`).
/// What is kept is a valid `Location` as it stands, so the redirect can never fail.
pub(crate) fn safe_next(next: &str) -> String {
    fn local(s: &str) -> bool {
        s.starts_with('/')
            && !s.starts_with("//")
            && !s
                .chars()
                .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    }
    let fallback = || "/".to_string();
    let mut current = next.to_string();
    for _ in 0..4 {
        if !local(&current) {
            return fallback();
        }
        let decoded = percent_decode(&current);
        if decoded == current {
            break;
        }
        current = decoded;
    }
    if !local(&current) {
        return fallback();
    }
    let out = encode_non_ascii(next);
    let valid = out
        .parse::<axum::http::Uri>()
        .is_ok_and(|u| u.scheme().is_none() && u.host().is_none())
        && axum::http::HeaderValue::from_str(&out).is_ok();
    if valid {
        out
    } else {
        fallback()
    }
}

/// Decodes `%XX` sequences (anything else is kept as it is).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes what is not ASCII, so that the path is a valid header value.
fn encode_non_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// Whether cookies go with `Secure`: as configured, and always over HTTPS (served by this
/// server or by a proxy in front).
fn secure(st: &AppState, headers: &HeaderMap) -> bool {
    st.config.secure_cookies
        || st.config.server.tls.is_some()
        || crate::headers::came_over_https(headers)
}

pub async fn login_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Query(q): Query<LoginQuery>,
) -> Response {
    let (jar, csrf) = match jar.get(LOGIN_CSRF_COOKIE) {
        Some(c) => (jar.clone(), c.value().to_string()),
        None => {
            let t = random_token();
            (
                jar.add(login_csrf_cookie(t.clone(), secure(&st, &headers))),
                t,
            )
        }
    };
    let page = LoginPage {
        csrf,
        next: safe_next(q.next.as_deref().unwrap_or("/")),
        username: String::new(),
        error: None,
        expired: q.expired.is_some(),
    };
    (jar, render(&page)).into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    totp_code: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf_token: String,
}

pub async fn login(
    State(st): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    SourceAddr(source): SourceAddr,
    PageForm(f): PageForm<LoginForm>,
) -> Response {
    match st
        .app
        .login_with(
            &f.username,
            &f.password,
            Some(f.totp_code.as_str()),
            SessionKind::Web,
            &source,
        )
        .await
    {
        Ok(out) => {
            let jar = jar
                .remove(Cookie::build(LOGIN_CSRF_COOKIE).path("/"))
                .add(session_cookie(out.token, secure(&st, &headers)));
            let to = if out.actor.must_change_password {
                "/me?change=1".to_string()
            } else if out.actor.must_enrol {
                SECOND_FACTOR_PATH.to_string()
            } else {
                safe_next(&f.next)
            };
            (jar, Redirect::to(&to)).into_response()
        }
        Err(e) => {
            let (status, message) = match correctable(e) {
                Ok(shown) => shown,
                Err(page) => return page.into_response(),
            };
            let page = LoginPage {
                csrf: f.csrf_token,
                next: safe_next(&f.next),
                username: f.username,
                error: Some(message),
                expired: false,
            };
            (status, render(&page)).into_response()
        }
    }
}

pub async fn logout(
    State(st): State<AppState>,
    jar: CookieJar,
    PageUser(actor): PageUser,
) -> Response {
    if let Err(e) = st.app.logout(&actor).await {
        return PageError::from(e).into_response();
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    (jar, Redirect::to(LOGIN_PATH)).into_response()
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    nav: Nav,
    username: String,
    error: Option<String>,
    second_factor: Option<SecondFactorState>,
    must_change: bool,
    /// The account's sessions, each with when it was last used.
    sessions: Vec<(SessionView, String)>,
    /// The account's API tokens, each with its times as shown.
    tokens: Vec<(TokenView, String, String)>,
    /// A token just made, its secret shown this once.
    new_token: Option<CreatedToken>,
    /// Why a token was not made.
    token_error: Option<String>,
}

async fn me_page(st: &AppState, actor: &Actor) -> MePage {
    let shown = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(dualtrack_domain::time::display)
            .unwrap_or_else(|| "从未".into())
    };
    let sessions = st
        .app
        .my_sessions(actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|s| {
            let seen = dualtrack_domain::time::display(s.last_seen_at);
            (s, seen)
        })
        .collect();
    let tokens = st
        .app
        .my_tokens(actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|t| {
            let (expires, used) = (shown(Some(t.expires_at)), shown(t.last_used_at));
            (t, expires, used)
        })
        .collect();
    MePage {
        nav: Nav::of(st, actor).await,
        username: actor.username.clone(),
        error: None,
        second_factor: st.app.second_factor_state(actor).await.ok(),
        must_change: actor.must_change_password,
        sessions,
        tokens,
        new_token: None,
        token_error: None,
    }
}

/// Ends one of the account's own sessions, back to the account page.
pub async fn end_session(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    axum::extract::Path(id): axum::extract::Path<String>,
    PageForm(_f): PageForm<CsrfOnly>,
) -> Result<Response, PageError> {
    let id: i64 = id
        .parse()
        .map_err(|_| PageError::new(StatusCode::NOT_FOUND, "没有这个会话"))?;
    st.app.end_my_session(&actor, id).await?;
    Ok(Redirect::to("/me").into_response())
}

pub async fn me(State(st): State<AppState>, PageUser(actor): PageUser) -> Response {
    render(&me_page(&st, &actor).await)
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    expires_in_days: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    jurisdiction_code: Option<String>,
}

/// Makes an API token; the account page again, with its secret shown this once.
pub async fn create_token(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    PageForm(f): PageForm<TokenForm>,
) -> Result<Response, PageError> {
    let made = match f.expires_in_days.trim().parse::<i64>() {
        Ok(days) => {
            let input = NewTokenInput {
                name: f.name,
                expires_in_days: days,
                scope: f.scope,
                jurisdiction_code: f.jurisdiction_code,
            };
            st.app.create_token(&actor, &input).await
        }
        Err(_) => Err(ServiceError::invalid(
            "expires_in_days",
            "有效天数应为 1 至 365 之间的整数",
        )),
    };
    let (status, message) = match made {
        Ok(created) => {
            let mut page = me_page(&st, &actor).await;
            page.new_token = Some(created);
            return Ok(render(&page));
        }
        Err(ServiceError::Forbidden(m)) => (StatusCode::FORBIDDEN, m),
        Err(ServiceError::Unknown { message, .. }) => (StatusCode::NOT_FOUND, message),
        Err(e) => refused_on_form(e)?,
    };
    let mut page = me_page(&st, &actor).await;
    page.token_error = Some(message);
    Ok((status, render(&page)).into_response())
}

/// Revokes one of the account's own tokens, back to the account page.
pub async fn revoke_token(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    axum::extract::Path(id): axum::extract::Path<String>,
    PageForm(_f): PageForm<CsrfOnly>,
) -> Result<Response, PageError> {
    st.app.revoke_my_token(&actor, parse_id(&id)?).await?;
    Ok(Redirect::to("/me").into_response())
}

/// Where an account sets up its second factor.
pub const SECOND_FACTOR_PATH: &str = "/me/second-factor";

#[derive(Template)]
#[template(path = "second_factor.html")]
struct SecondFactorPage {
    nav: Nav,
    state: SecondFactorState,
    must: bool,
    enrolment: Option<Enrolment>,
    codes: Vec<String>,
    error: Option<String>,
}

async fn second_factor_page(
    st: &AppState,
    actor: &Actor,
    enrolment: Option<Enrolment>,
    codes: Vec<String>,
    error: Option<String>,
) -> Result<SecondFactorPage, PageError> {
    Ok(SecondFactorPage {
        nav: Nav::of(st, actor).await,
        state: st.app.second_factor_state(actor).await?,
        must: actor.must_enrol && codes.is_empty(),
        enrolment,
        codes,
        error,
    })
}

pub async fn second_factor(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
) -> Result<Response, PageError> {
    Ok(render(
        &second_factor_page(&st, &actor, None, vec![], None).await?,
    ))
}

/// Starts an enrolment: the QR code and the secret for the app.
pub async fn second_factor_begin(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    PageForm(_f): PageForm<CsrfOnly>,
) -> Result<Response, PageError> {
    match st.app.begin_second_factor(&actor).await {
        Ok(e) => Ok(render(
            &second_factor_page(&st, &actor, Some(e), vec![], None).await?,
        )),
        Err(e) => {
            let (status, message) = correctable(e)?;
            let page = second_factor_page(&st, &actor, None, vec![], Some(message)).await?;
            Ok((status, render(&page)).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    code: String,
}

#[derive(Deserialize)]
pub struct CsrfOnly {}

/// Confirms an enrolment with a code from the app; shows the recovery codes once.
pub async fn second_factor_confirm(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    PageForm(f): PageForm<ConfirmForm>,
) -> Result<Response, PageError> {
    match st.app.confirm_second_factor(&actor, &f.code).await {
        Ok(codes) => {
            let mut actor = actor;
            actor.must_enrol = false;
            Ok(render(
                &second_factor_page(&st, &actor, None, codes, None).await?,
            ))
        }
        Err(e) => {
            let (status, message) = correctable(e)?;
            let page = second_factor_page(&st, &actor, None, vec![], Some(message)).await?;
            Ok((status, render(&page)).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn change_password(
    State(st): State<AppState>,
    jar: CookieJar,
    PageUser(actor): PageUser,
    PageForm(f): PageForm<PasswordForm>,
) -> Response {
    let Some(id) = actor.user_id else {
        return PageError::new(StatusCode::FORBIDDEN, "命令行账户没有密码").into_response();
    };
    match st
        .app
        .set_password(&actor, id, Some(&f.current_password), &f.new_password)
        .await
    {
        Ok(()) => {
            let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
            (jar, Redirect::to(LOGIN_PATH)).into_response()
        }
        Err(e) => {
            let (status, message) = match correctable(e) {
                Ok(shown) => shown,
                Err(page) => return page.into_response(),
            };
            let mut page = me_page(&st, &actor).await;
            page.error = Some(message);
            (status, render(&page)).into_response()
        }
    }
}
