//! The second factor at login: accounts whose roles require it enrol before anything else;
//! once enrolled, a login without the code, with a wrong one or with one used already is
//! refused; recovery codes work once; the security administrator resets it.

use crate::common;

use axum::http::StatusCode;
use common::{code_at, enrol, Browser, Resp, TestApp};
use dualtrack_service::second_factor::Policy;
use dualtrack_testkit::{on_both_engines, Engine};
use dualtrack_web::{AppState, WebConfig};
use serde_json::json;

const PASSWORD: &str = dualtrack_service::demo::DEMO_PASSWORD;

/// The demo under the production policy: administrators and unmasking roles must enrol.
async fn privileged(engine: Engine) -> TestApp {
    let t = TestApp::new(engine).await;
    let mut app = t.app.clone();
    app.security.second_factor = Policy::Privileged;
    let router = dualtrack_web::router(AppState::new(app.clone(), WebConfig::default()));
    TestApp {
        app,
        router,
        db: t.db,
    }
}

async fn api_login(t: &TestApp, user: &str, code: Option<&str>) -> Resp {
    let mut body = json!({"username": user, "password": PASSWORD});
    if let Some(c) = code {
        body["totp_code"] = json!(c);
    }
    t.call("POST", "/api/v1/auth/login", None, Some(body)).await
}

async fn privileged_accounts_enrol_before_anything_else(engine: Engine) {
    let t = privileged(engine).await;
    // The auditor logs in with the password alone, and may do nothing but enrol.
    let aud = t.token("auditor").await;
    let r = t.get("/api/v1/audit", &aud).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.json()["error"]["code"], "second_factor_required");
    let mut b = Browser::new(&t);
    b.get("/login").await;
    let r = b
        .post(
            "/login",
            &[
                ("username", "auditor"),
                ("password", PASSWORD),
                ("next", "/audit"),
            ],
            true,
        )
        .await;
    assert_eq!(r.location(), "/me/second-factor");
    let r = b.get("/audit").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/me/second-factor");
    // A grid worker's role does not require one.
    let gw = t.token("grid_worker").await;
    assert_eq!(t.get("/api/v1/me", &gw).await.status, StatusCode::OK);
    assert_eq!(
        t.get("/api/v1/monitoring/cases", &gw).await.status,
        StatusCode::OK
    );

    // Enrolled, the session goes on to the log.
    let (mut b, secret, codes) = enrol(&t, "auditor").await;
    assert_eq!(b.get("/audit").await.status, StatusCode::OK);
    assert_eq!(t.audit_count("user.second_factor").await, 1);
    assert_eq!(t.audit_count("user.second_factor_begin").await, 1);

    // A login now needs the code: missing (named), wrong, right, used again.
    let r = api_login(&t, "auditor", None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.json()["error"]["fields"]["totp_code"].is_string(),
        "{}",
        r.text
    );
    let r = api_login(&t, "auditor", Some("123456")).await;
    let right = code_at(&secret, "auditor", 1);
    if right != "123456" {
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    }
    let r = api_login(&t, "auditor", Some(&right)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let tok = r.json()["token"].as_str().expect("token").to_string();
    assert_eq!(t.get("/api/v1/audit", &tok).await.status, StatusCode::OK);
    let r = api_login(&t, "auditor", Some(&right)).await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "a code is good once: {}",
        r.text
    );
    assert!(r.text.contains("已用过"), "{}", r.text);
    // A recovery code, once.
    let r = api_login(&t, "auditor", Some(&codes[0].to_uppercase())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = api_login(&t, "auditor", Some(&codes[0])).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Failures are in the log with their reason.
    let failed = t
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login_failed' AND username = 'auditor' AND detail LIKE '%动态口令%'")
        .await;
    assert!(failed >= 1);
}

async fn the_security_administrator_resets_a_second_factor(engine: Engine) {
    let t = privileged(engine).await;
    // A grid worker enrols of their own accord; then a login needs the code.
    let (_b, _secret, _codes) = enrol(&t, "grid_worker").await;
    let r = api_login(&t, "grid_worker", None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let gw_id = t.user_id("grid_worker").await;
    // Not by anyone else; an administrator's account only on the command line.
    let op = t.token("golmud_operator").await;
    let r = t.reset_second_factor(gw_id, &op, json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let sec = t.token("secadmin").await;
    let r = t.reset_second_factor(gw_id, &sec, json!({})).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "the security administrator must enrol first: {}",
        r.text
    );
    let (_b, _s, _c) = enrol(&t, "secadmin").await;
    let sec = {
        let r = api_login(&t, "secadmin", Some(&_c[0])).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.json()["token"].as_str().expect("token").to_string()
    };
    let aud_id = t.user_id("auditor").await;
    let r = t.reset_second_factor(aud_id, &sec, json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = t.reset_second_factor(gw_id, &sec, json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(t.audit_count("user.second_factor_reset").await, 1);
    // The password alone again; a second reset has nothing to reset.
    let r = api_login(&t, "grid_worker", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = t.reset_second_factor(gw_id, &sec, json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
}

on_both_engines!(
    privileged_accounts_enrol_before_anything_else,
    the_security_administrator_resets_a_second_factor
);
