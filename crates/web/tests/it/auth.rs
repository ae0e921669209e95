//! Logging in, sessions, lockout, and bad input on the API.

use crate::common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::TestApp;
use dualtrack_testkit::{on_both_engines, Engine};
use dualtrack_web::WebConfig;
use serde_json::json;

async fn login_returns_a_working_token(engine: Engine) {
    let t = TestApp::new(engine).await;
    let r = t
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "golmud_leader", "password": "Haixi@2020"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let token = r.json()["token"].as_str().expect("token").to_string();
    let me = t.get_ok("/api/v1/me", &token).await;
    assert_eq!(me.json()["jurisdiction_code"], "632801");
    assert_eq!(me.json()["roles"], json!(["leader"]));
    assert_eq!(t.audit_count("auth.login").await, 1);
    // Logging out ends the token.
    assert_eq!(
        t.call("POST", "/api/v1/auth/logout", Some(&token), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let after = t.get("/api/v1/me", &token).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert!(after.error_message().contains("登录"));
}

/// A login attempt from a given address.
async fn login_from(t: &TestApp, addr: &str, username: &str, password: &str) -> common::Resp {
    let mut req = Request::builder()
        .method("POST")
        .uri("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"username": username, "password": password}).to_string(),
        ))
        .expect("request");
    let peer: std::net::SocketAddr = format!("{addr}:40000").parse().expect("address");
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    t.send(req).await
}

/// Unknown names, wrong passwords and locked accounts get one answer, and no number of
/// failures from elsewhere locks the owner out: the security administrator's account
/// included.
async fn failures_neither_tell_nor_lock(engine: Engine) {
    let t = TestApp::new(engine).await;
    let op = t.user_id("golmud_operator").await;
    let admin = t.token("secadmin").await;
    assert_eq!(
        t.lock_user(op, &admin, json!({})).await.status,
        StatusCode::OK
    );
    let mut answers = Vec::new();
    for (name, password) in [
        ("nobody", "Wrong@2020x"),
        ("golmud_leader", "Wrong@2020x"),
        ("golmud_operator", "Wrong@2020x"),
    ] {
        let r = login_from(&t, "192.0.2.7", name, password).await;
        answers.push((r.status, r.json()["error"]["message"].clone()));
    }
    assert!(
        answers.iter().all(|a| a == &answers[0]),
        "one answer for all: {answers:?}"
    );
    assert_eq!(answers[0].0, StatusCode::UNAUTHORIZED);
    assert!(!answers[0].1.as_str().unwrap_or("").contains("再错"));

    // Five wrong passwords for the security administrator from one address.
    for _ in 0..5 {
        let r = login_from(&t, "203.0.113.9", "secadmin", "Wrong@2020x").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    }
    // That address is now refused even with the right password…
    let r = login_from(&t, "203.0.113.9", "secadmin", "Haixi@2020").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(r.json()["error"]["message"], answers[0].1);
    // …and so is an unknown name, the same way.
    for _ in 0..6 {
        let r = login_from(&t, "203.0.113.10", "no_such_admin", "Wrong@2020x").await;
        assert_eq!(r.json()["error"]["message"], answers[0].1);
    }
    // The owner, from another address, logs in; the account was never locked.
    let r = login_from(&t, "198.51.100.20", "secadmin", "Haixi@2020").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM users WHERE username = 'secadmin' AND locked_until IS NOT NULL"
        )
        .await,
        0
    );
    // Every failure is in the audit log, the refusals unchecked.
    assert_eq!(t.audit_count("auth.login_failed").await, 3 + 5 + 1 + 6);
}

async fn unknown_user_is_the_same_refusal(engine: Engine) {
    let t = TestApp::new(engine).await;
    let r = t
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "nobody", "password": "Haixi@2020"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.json()["error"]["message"],
        dualtrack_service::App::LOGIN_REFUSED
    );
    assert_eq!(t.audit_count("auth.login_failed").await, 1);
}

async fn idle_and_absolute_timeouts_end_sessions(engine: Engine) {
    let (t, token) = TestApp::as_user(engine, "golmud_leader").await;
    // Pretend the session was last used 31 minutes ago.
    let ago = dualtrack_service::clock::wall() - chrono::Duration::minutes(31);
    dualtrack_store::on_db!(&t.db.db, p => sqlx::query("UPDATE sessions SET last_seen_at = $1").bind(ago).execute(p).await.expect("update").rows_affected());
    let r = t.get("/api/v1/me", &token).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.error_message().contains("过期"));
    // A session used a minute ago but opened 13 hours ago is over too.
    let token = t.token("golmud_leader").await;
    let opened = dualtrack_service::clock::wall() - chrono::Duration::hours(13);
    dualtrack_store::on_db!(&t.db.db, p => sqlx::query("UPDATE sessions SET created_at = $1").bind(opened).execute(p).await.expect("update").rows_affected());
    assert_eq!(
        t.get("/api/v1/me", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn malformed_requests_get_chinese_4xx(engine: Engine) {
    let t = TestApp::new(engine).await;
    // Malformed JSON.
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"username\": \"a\", "))
        .expect("request");
    let r = t.send(req).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"]["code"], "malformed_json");
    assert!(r.error_message().contains("JSON"));
    // A missing field is named.
    let r = t
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "golmud_leader"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.json()["error"]["fields"]["password"].is_string(),
        "{}",
        r.text
    );
    // Wrong content type.
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/auth/login")
        .body(Body::from("x"))
        .expect("request");
    assert_eq!(t.send(req).await.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Unknown API path.
    let r = t.call("GET", "/api/v1/nothing", None, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.error_message().contains("接口不存在"));
    // No token.
    let r = t.call("GET", "/api/v1/me", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A bad token.
    let r = t.get("/api/v1/me", "not-a-token").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn oversized_bodies_are_refused(engine: Engine) {
    let t = TestApp::with_config(
        engine,
        WebConfig {
            body_limit: 2048,
            ..WebConfig::default()
        },
    )
    .await;
    let token = t.token("secadmin").await;
    let big = "x".repeat(10_000);
    let r = t.post("/api/v1/users", &token, json!({"username": "big", "password": big, "jurisdiction_code": "6328", "roles": ["leader"]})).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    assert!(r.error_message().contains("过大"));
    assert_eq!(
        t.count("SELECT COUNT(*) FROM users WHERE username = 'big'")
            .await,
        0
    );
    // The server keeps serving.
    assert_eq!(t.get("/api/v1/me", &token).await.status, StatusCode::OK);
}

async fn changing_own_password_ends_other_sessions(engine: Engine) {
    let (t, a) = TestApp::as_user(engine, "golmud_operator").await;
    let b = t.token("golmud_operator").await;
    let r = t
        .post(
            "/api/v1/me/password",
            &a,
            json!({"current_password": "wrong", "new_password": "Qaidam#2020x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["error"]["fields"]["current_password"].is_string());
    let r = t
        .post(
            "/api/v1/me/password",
            &a,
            json!({"current_password": "Haixi@2020", "new_password": "short"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field_error("new_password").contains("至少需要"));
    let r = t
        .post(
            "/api/v1/me/password",
            &a,
            json!({"current_password": "Haixi@2020", "new_password": "Qaidam#2020x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(
        t.get("/api/v1/me", &b).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = t
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "golmud_operator", "password": "Qaidam#2020x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

on_both_engines!(
    login_returns_a_working_token,
    failures_neither_tell_nor_lock,
    unknown_user_is_the_same_refusal,
    idle_and_absolute_timeouts_end_sessions,
    malformed_requests_get_chinese_4xx,
    oversized_bodies_are_refused,
    changing_own_password_ends_other_sessions,
);
