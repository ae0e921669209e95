//! Logging in, sessions, lockout, and bad input on the API.

mod common;

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
    let me = t.get("/api/v1/me", &token).await;
    assert_eq!(me.status, StatusCode::OK);
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
    assert!(after.json()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("登录"));
}

async fn wrong_password_is_refused_and_five_lock_the_account(engine: Engine) {
    let t = TestApp::new(engine).await;
    for i in 1..=4 {
        let r = t
            .call(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(json!({"username": "golmud_leader", "password": "Wrong@2020x"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let msg = r.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .to_string();
        assert!(msg.contains(&format!("再错 {} 次", 5 - i)), "{msg}");
    }
    let r = t
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "golmud_leader", "password": "Wrong@2020x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::LOCKED);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("锁定 30 分钟"),
        "{}",
        r.text
    );
    // Now even the right password is refused, and says why.
    let r = t
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "golmud_leader", "password": "Haixi@2020"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::LOCKED);
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("锁定至"));
    assert_eq!(t.audit_count("auth.login_failed").await, 6);
    // The security administrator unlocks it.
    let sec = t.token("secadmin").await;
    let id = t.user_id("golmud_leader").await;
    assert_eq!(
        t.post(&format!("/api/v1/users/{id}/unlock"), &sec, json!({}))
            .await
            .status,
        StatusCode::OK
    );
    t.token("golmud_leader").await;
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
    assert_eq!(r.json()["error"]["message"], "用户名或密码错误");
    assert_eq!(t.audit_count("auth.login_failed").await, 1);
}

async fn idle_and_absolute_timeouts_end_sessions(engine: Engine) {
    let t = TestApp::new(engine).await;
    let token = t.token("golmud_leader").await;
    // Pretend the session was last used 31 minutes ago.
    let ago = chrono::Utc::now() - chrono::Duration::minutes(31);
    dualtrack_store::on_db!(&t.db.db, p => sqlx::query("UPDATE sessions SET last_seen_at = $1").bind(ago).execute(p).await.expect("update").rows_affected());
    let r = t.get("/api/v1/me", &token).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("过期"));
    // A session used a minute ago but opened 13 hours ago is over too.
    let token = t.token("golmud_leader").await;
    let opened = chrono::Utc::now() - chrono::Duration::hours(13);
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
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("JSON"));
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
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("接口不存在"));
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
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("过大"));
    assert_eq!(
        t.count("SELECT COUNT(*) FROM users WHERE username = 'big'")
            .await,
        0
    );
    // The server keeps serving.
    assert_eq!(t.get("/api/v1/me", &token).await.status, StatusCode::OK);
}

async fn changing_own_password_ends_other_sessions(engine: Engine) {
    let t = TestApp::new(engine).await;
    let a = t.token("golmud_operator").await;
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
    assert!(r.json()["error"]["fields"]["new_password"]
        .as_str()
        .unwrap_or("")
        .contains("至少需要"));
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
    wrong_password_is_refused_and_five_lock_the_account,
    unknown_user_is_the_same_refusal,
    idle_and_absolute_timeouts_end_sessions,
    malformed_requests_get_chinese_4xx,
    oversized_bodies_are_refused,
    changing_own_password_ends_other_sessions,
);
