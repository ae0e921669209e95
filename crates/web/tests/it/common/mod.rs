//! In-process requests against the whole router, on a real database per test.
#![allow(dead_code)]

pub mod actions;
pub mod conform;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use dualtrack_service::users::NewUserInput;
use dualtrack_service::{Actor, App};
use dualtrack_testkit::{demo_db, Engine, TestDb, DEMO_PASSWORD};
use dualtrack_web::{AppState, WebConfig};
use http_body_util::BodyExt;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tower::ServiceExt;

pub struct TestApp {
    pub app: App,
    pub router: Router,
    pub db: TestDb,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// The error's message (empty when there is none).
    pub fn error_message(&self) -> String {
        self.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// What the error says of one field (empty when it names no such field).
    pub fn field_error(&self, field: &str) -> String {
        self.json()["error"]["fields"][field]
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// The fields the error names.
    pub fn error_fields(&self) -> Vec<String> {
        self.json()["error"]["fields"]
            .as_object()
            .map(|f| f.keys().cloned().collect())
            .unwrap_or_default()
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .find_map(|v| {
                let s = v.to_str().ok()?;
                let (kv, _) = s.split_once(';').unwrap_or((s, ""));
                let (k, val) = kv.split_once('=')?;
                (k == name && !val.is_empty()).then(|| val.to_string())
            })
    }

    pub fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    }
}

impl TestApp {
    pub async fn new(engine: Engine) -> TestApp {
        Self::with_config(engine, WebConfig::default()).await
    }

    pub async fn with_config(engine: Engine, config: WebConfig) -> TestApp {
        let db = demo_db(engine).await;
        let app = db.app();
        let router = dualtrack_web::router(AppState::new(app.clone(), config));
        TestApp { app, router, db }
    }

    /// Sends a request; an API answer that does not match the OpenAPI document fails the
    /// test (see [`conform`]).
    pub async fn send(&self, req: Request<Body>) -> Resp {
        let method = req.method().to_string();
        let path = req.uri().path().to_string();
        let resp = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("router answers");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        conform::check(
            &method,
            &path,
            status.as_u16(),
            content_type(&headers),
            &bytes,
        );
        Resp {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).to_string(),
        }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string())),
            None => b.body(Body::empty()),
        }
        .expect("request");
        self.send(req).await
    }

    /// A test's app with a demo account logged in through the API: the app and the token.
    pub async fn as_user(engine: Engine, username: &str) -> (TestApp, String) {
        let t = TestApp::new(engine).await;
        let token = t.token(username).await;
        (t, token)
    }

    /// A browser on this app with a demo account logged in through the form.
    pub async fn browser(&self, username: &str) -> Browser<'_> {
        let mut b = Browser::new(self);
        b.login(username).await;
        b
    }

    /// The id of a demo checkpoint, by its name.
    pub async fn checkpoint(&self, name: &str) -> i64 {
        self.count(&format!("SELECT id FROM checkpoints WHERE name = '{name}'"))
            .await
    }

    /// A file download (Excel, Word…): the status and the bytes as sent.
    pub async fn download(&self, token: &str, path: &str) -> (StatusCode, Vec<u8>) {
        let uri_path = path.split('?').next().unwrap_or(path).to_string();
        let req = Request::builder()
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .expect("request");
        let resp = self.router.clone().oneshot(req).await.expect("answer");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        conform::check(
            "GET",
            &uri_path,
            status.as_u16(),
            content_type(&headers),
            &bytes,
        );
        (status, bytes)
    }

    /// Posts a workbook (`.xlsx`) as an upload.
    pub async fn upload(&self, token: &str, path: &str, bytes: Vec<u8>) -> Resp {
        let req = Request::builder()
            .method("POST")
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, dualtrack_service::spreadsheet::XLSX)
            .body(Body::from(bytes))
            .expect("request");
        self.send(req).await
    }

    /// Downloads a workbook (200 expected) and reads its first sheet.
    pub async fn sheet(&self, token: &str, path: &str) -> dualtrack_service::spreadsheet::Sheet {
        let (status, bytes) = self.download(token, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        dualtrack_service::spreadsheet::read(&bytes).expect("xlsx")
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call("GET", path, Some(token), None).await
    }

    /// Reads `path` as `token` and expects 200 OK; the answer.
    pub async fn get_ok(&self, path: &str, token: &str) -> Resp {
        let r = self.get(path, token).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
        r
    }

    /// Reads `path` as `token`, expects 200 OK and gives the JSON.
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        self.get_ok(path, token).await.json()
    }

    /// Each path, read as `token`, answers `status`.
    pub async fn each_answers(&self, paths: &[String], token: &str, status: StatusCode) {
        for path in paths {
            let r = self.get(path, token).await;
            assert_eq!(r.status, status, "{path}: {}", r.text);
        }
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call("POST", path, Some(token), Some(body)).await
    }

    /// Posts as `token` and expects 201 Created; the new record's id.
    pub async fn created(&self, path: &str, token: &str, body: Value) -> i64 {
        let r = self.post(path, token, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.json()["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("the id of what {path} created: {}", r.text))
    }

    /// Logs in through the API with the demo password; returns the bearer token.
    pub async fn token(&self, username: &str) -> String {
        self.token_with(username, DEMO_PASSWORD).await
    }

    pub async fn token_with(&self, username: &str, password: &str) -> String {
        let r = self
            .call(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(serde_json::json!({"username": username, "password": password})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "login {username}: {}", r.text);
        r.json()["token"].as_str().expect("token").to_string()
    }

    /// Creates an extra account (through the service, as the command line).
    pub async fn add_user(&self, username: &str, role: &str, code: &str) -> i64 {
        self.app
            .create_user(
                &Actor::cli(),
                &NewUserInput {
                    username: username.into(),
                    display_name: String::new(),
                    password: DEMO_PASSWORD.into(),
                    jurisdiction_code: code.into(),
                    roles: vec![role.into()],
                },
            )
            .await
            .expect("user created")
            .id
    }

    pub async fn user_id(&self, username: &str) -> i64 {
        self.app
            .user_id_by_name(username)
            .await
            .expect("user exists")
    }

    pub async fn count(&self, sql: &str) -> i64 {
        dualtrack_store::on_db!(&self.db.db, p => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await.expect("count"))
    }

    /// The first record (lowest id) of `table` at or under the place `code`.
    pub async fn first_in(&self, table: &str, code: &str) -> i64 {
        self.count(&format!(
            "SELECT MIN(id) FROM {table} WHERE jurisdiction_code LIKE '{code}%'"
        ))
        .await
    }

    pub async fn audit_count(&self, action: &str) -> i64 {
        self.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"
        ))
        .await
    }
}

/// A resident identity number: the 17 digits given and their check character.
pub fn id_number(first17: &str) -> String {
    let check = dualtrack_domain::resident_id::check_char(first17.as_bytes()).expect("17 digits");
    format!("{first17}{check}")
}

/// A unified social credit code: the 17 characters given and their check character.
pub fn credit_code(first17: &str) -> String {
    let check = dualtrack_domain::resumption::credit_check_char(first17).expect("17 characters");
    format!("{first17}{check}")
}

/// Each cell as an owned string (a row for a workbook).
pub fn strings(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

/// The text at `key` of each element of a JSON list.
pub fn each_str<'a>(list: &'a Value, key: &str) -> Vec<&'a str> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list of {key}: {list}"))
        .iter()
        .filter_map(|v| v[key].as_str())
        .collect()
}

/// The whole number at `key` of each element of a JSON list.
pub fn each_i64(list: &Value, key: &str) -> Vec<i64> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list of {key}: {list}"))
        .iter()
        .filter_map(|v| v[key].as_i64())
        .collect()
}

/// Whether each element of a JSON list stands at or under the place `code`.
pub fn all_within(list: &Value, code: &str) -> bool {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .all(|v| {
            v["jurisdiction_code"]
                .as_str()
                .unwrap_or("")
                .starts_with(code)
        })
}

/// The Rust files under `dir`, through every folder.
pub fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a readable folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A JSON POST as `token`, with an idempotency key when one is given.
pub fn keyed_post(path: &str, token: &str, key: Option<&str>, body: &Value) -> Request<Body> {
    let mut b = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(k) = key {
        b = b.header("Idempotency-Key", k);
    }
    b.body(Body::from(body.to_string())).expect("request")
}

/// The number a page shows in the element with this id.
pub fn figure_in(html: &str, id: &str) -> i64 {
    let re = regex::Regex::new(&format!(r#"id="{id}">(\d+)<"#)).expect("regex");
    re.captures(html)
        .and_then(|c| c[1].parse().ok())
        .unwrap_or_else(|| panic!("no figure {id} in {html}"))
}

/// The record id at the end of a redirect such as `/people/12?done=registered`.
pub fn id_in(location: &str) -> i64 {
    let re = regex::Regex::new(r"/(\d+)(\?|$)").expect("regex");
    re.captures(location)
        .and_then(|c| c[1].parse().ok())
        .unwrap_or_else(|| panic!("no id in {location}"))
}

fn content_type(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
}

/// A browser-like session on the pages: cookies and the CSRF token.
pub struct Browser<'a> {
    pub t: &'a TestApp,
    pub cookies: Vec<(String, String)>,
    pub csrf: String,
}

pub fn csrf_in(html: &str) -> String {
    let re = regex::Regex::new(r#"name="csrf_token" value="([0-9a-f]+)""#).expect("regex");
    re.captures(html)
        .map(|c| c[1].to_string())
        .unwrap_or_default()
}

impl<'a> Browser<'a> {
    pub fn new(t: &'a TestApp) -> Self {
        Browser {
            t,
            cookies: vec![],
            csrf: String::new(),
        }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, r: &Resp) {
        for name in ["dt_session", "dt_csrf"] {
            if let Some(v) = r.cookie(name) {
                self.cookies.retain(|(k, _)| k != name);
                self.cookies.push((name.into(), v));
            }
        }
        let c = csrf_in(&r.text);
        if !c.is_empty() {
            self.csrf = c;
        }
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        let req = Request::builder()
            .uri(path)
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .expect("request");
        let r = self.t.send(req).await;
        self.keep(&r);
        r
    }

    /// Opens a page and expects 200 OK; the page.
    pub async fn page(&mut self, path: &str) -> Resp {
        let r = self.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
        r
    }

    /// Posts a form; `csrf_token` is added unless `with_csrf` is false.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)], with_csrf: bool) -> Resp {
        let mut pairs: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if with_csrf {
            pairs.push(("csrf_token".into(), self.csrf.clone()));
        }
        let body = serde_urlencoded::to_string(&pairs).expect("form");
        let req = Request::builder()
            .method("POST")
            .uri(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request");
        let r = self.t.send(req).await;
        self.keep(&r);
        r
    }

    /// Posts a form with its CSRF token and expects the redirect (303) of a form accepted.
    pub async fn submit(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let r = self.post(path, fields, true).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}: {}", r.text);
        r
    }

    pub async fn login(&mut self, username: &str) -> Resp {
        let page = self.get("/login").await;
        assert_eq!(page.status, StatusCode::OK);
        let r = self
            .post(
                "/login",
                &[
                    ("username", username),
                    ("password", DEMO_PASSWORD),
                    ("next", "/"),
                ],
                true,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "login {username}: {}",
            r.text
        );
        let home = self.get("/").await;
        assert_eq!(home.status, StatusCode::OK);
        home
    }
}

/// The TOTP code of `secret` now, `offset_steps` steps of 30 seconds away.
pub fn code_at(secret: &str, account: &str, offset_steps: i64) -> String {
    use totp_rs::{Algorithm, Secret, TOTP};
    let bytes = Secret::Encoded(secret.into()).to_bytes().expect("secret");
    let t = TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        Some("双线指挥平台".into()),
        account.into(),
    )
    .expect("totp");
    let now = dualtrack_service::clock::wall().timestamp() + offset_steps * 30;
    t.generate(now as u64)
}

/// Logs in on the pages (no code) and enrols; returns the browser, the secret and the
/// recovery codes.
pub async fn enrol<'a>(t: &'a TestApp, user: &str) -> (Browser<'a>, String, Vec<String>) {
    let mut b = Browser::new(t);
    b.get("/login").await;
    let r = b
        .post(
            "/login",
            &[
                ("username", user),
                ("password", DEMO_PASSWORD),
                ("next", "/"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    b.get("/me/second-factor").await;
    let page = b.post("/me/second-factor/begin", &[], true).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("<svg"), "a QR code drawn here");
    let secret = regex::Regex::new(r#"class="totp-secret">([A-Z2-7]+)<"#)
        .expect("re")
        .captures(&page.text)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_string())
        .expect("the secret is shown");
    let wrong = b
        .post("/me/second-factor/confirm", &[("code", "000000")], true)
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text.contains("动态口令不对"), "{}", wrong.text);
    let done = b
        .post(
            "/me/second-factor/confirm",
            &[("code", &code_at(&secret, user, 0))],
            true,
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let codes: Vec<String> = regex::Regex::new(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code>")
        .expect("re")
        .captures_iter(&done.text)
        .map(|c| c[1].to_string())
        .collect();
    assert_eq!(codes.len(), 10, "{}", done.text);
    (b, secret, codes)
}

/// Serves `app` on a free loopback port, in the background, standing in for a receiver
/// (a robot, a webhook); its address.
pub async fn serve_on_loopback(app: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}
