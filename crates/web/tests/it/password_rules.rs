//! Password rules of 等级保护: a password set by an administrator is changed at the next
//! login before anything else; the last passwords may not come back; a password past its
//! age is changed at the next login too.

use crate::common;

use axum::http::StatusCode;
use common::{Browser, TestApp};
use dualtrack_service::users::NewUserInput;
use dualtrack_service::Actor;
use dualtrack_testkit::{on_both_engines, Engine};
use dualtrack_web::{AppState, WebConfig};
use serde_json::json;

/// The demo under the production password rules (history 5, change when set by an
/// administrator), with a maximum age of `max_age_days`.
async fn ruled(engine: Engine, max_age_days: u32) -> TestApp {
    let t = TestApp::new(engine).await;
    let mut app = t.app.clone();
    app.security.password_policy.change_when_set_by_admin = true;
    app.security.password_policy.history = 5;
    app.security.password_policy.max_age_days = max_age_days;
    let router = dualtrack_web::router(AppState::new(app.clone(), WebConfig::default()));
    TestApp {
        app,
        router,
        db: t.db,
    }
}

async fn login(t: &TestApp, user: &str, password: &str) -> String {
    let r = t
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": user, "password": password})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()["token"].as_str().expect("token").to_string()
}

async fn change(t: &TestApp, token: &str, from: &str, to: &str) -> common::Resp {
    t.post(
        "/api/v1/me/password",
        token,
        json!({"current_password": from, "new_password": to}),
    )
    .await
}

async fn a_password_set_by_an_administrator_is_changed_first(engine: Engine) {
    let t = ruled(engine, 0).await;
    t.app
        .create_user(
            &Actor::cli(),
            &NewUserInput {
                username: "new_worker".into(),
                display_name: "新网格员".into(),
                password: "Given#Pass2020".into(),
                jurisdiction_code: "632801001001".into(),
                roles: vec!["grid_worker".into()],
            },
        )
        .await
        .expect("made");
    let tok = login(&t, "new_worker", "Given#Pass2020").await;
    let r = t.get("/api/v1/monitoring/cases", &tok).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.json()["error"]["code"], "password_change_required");
    // On the pages too: every page leads to the password form.
    let mut b = Browser::new(&t);
    b.get("/login").await;
    let r = b
        .post(
            "/login",
            &[
                ("username", "new_worker"),
                ("password", "Given#Pass2020"),
                ("next", "/"),
            ],
            true,
        )
        .await;
    assert_eq!(r.location(), "/me?change=1");
    let r = b.get("/my-grid").await;
    assert_eq!(r.location(), "/me?change=1");
    let me = b.get("/me?change=1").await;
    assert!(me.text.contains("请先修改密码"), "{}", me.text);

    // Changed, the account is free; the old password is refused as new.
    let r = change(&t, &tok, "Given#Pass2020", "Mine#Own2020a").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let tok = login(&t, "new_worker", "Mine#Own2020a").await;
    assert_eq!(
        t.get("/api/v1/monitoring/cases", &tok).await.status,
        StatusCode::OK
    );
    let r = change(&t, &tok, "Mine#Own2020a", "Given#Pass2020").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.field_error("new_password").contains("最近用过"));

    // Reset by the security administrator: changed first again.
    let id = t.user_id("new_worker").await;
    let sec = t.token("secadmin").await;
    let r = t
        .reset_password(id, &sec, json!({"new_password": "Reset#Pass2020"}))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let tok = login(&t, "new_worker", "Reset#Pass2020").await;
    let r = t.get("/api/v1/monitoring/cases", &tok).await;
    assert_eq!(r.json()["error"]["code"], "password_change_required");
}

async fn the_last_passwords_do_not_come_back(engine: Engine) {
    let t = ruled(engine, 0).await;
    let pw = dualtrack_service::demo::DEMO_PASSWORD;
    let mut current = pw.to_string();
    let mut tok = t.token("grid_worker").await;
    for n in 1..=4 {
        let next = format!("Round#{n}Pass2020");
        let r = change(&t, &tok, &current, &next).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        current = next;
        tok = login(&t, "grid_worker", &current).await;
    }
    // The four before the current one are refused; none is a fifth.
    for n in 1..=3 {
        let r = change(&t, &tok, &current, &format!("Round#{n}Pass2020")).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{n}: {}",
            r.text
        );
    }
}

async fn a_password_past_its_age_is_changed_first(engine: Engine) {
    let t = ruled(engine, 90).await;
    let tok = t.token("grid_worker").await;
    assert_eq!(
        t.get("/api/v1/monitoring/cases", &tok).await.status,
        StatusCode::OK
    );
    let id = t.user_id("grid_worker").await;
    let old = dualtrack_service::clock::wall() - chrono::Duration::days(91);
    dualtrack_store::on_db!(&t.db.db, p => sqlx::query("UPDATE users SET password_changed_at = $1 WHERE id = $2")
        .bind(old).bind(id).execute(p).await.map(|_| ()))
    .expect("aged");
    let r = t.get("/api/v1/monitoring/cases", &tok).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.json()["error"]["code"], "password_change_required");
}

async fn an_account_lists_and_ends_its_sessions(engine: Engine) {
    let t = ruled(engine, 0).await;
    let phone = t.token("grid_worker").await;
    let desk = t.token("grid_worker").await;
    let list = t.get("/api/v1/me/sessions", &desk).await.json();
    let list = list.as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    let other = list
        .iter()
        .find(|s| s["current"] == false)
        .and_then(|s| s["id"].as_i64())
        .expect("the other session");
    let r = t
        .call(
            "DELETE",
            &format!("/api/v1/me/sessions/{other}"),
            Some(&desk),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(
        t.get("/api/v1/me", &phone).await.status,
        StatusCode::UNAUTHORIZED,
        "the phone's session ended"
    );
    // Someone else's session is not found.
    let op = t.token("golmud_operator").await;
    let mine = t.get("/api/v1/me/sessions", &desk).await.json()[0]["id"]
        .as_i64()
        .expect("id");
    let r = t
        .call(
            "DELETE",
            &format!("/api/v1/me/sessions/{mine}"),
            Some(&op),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/api/v1/me", &desk).await.status, StatusCode::OK);

    // One session per account when the policy asks: a login ends the others.
    let mut app = t.app.clone();
    app.security.single_session = true;
    let one = TestApp {
        router: dualtrack_web::router(AppState::new(app.clone(), WebConfig::default())),
        app,
        db: t.db,
    };
    let first = one.token("grid_worker").await;
    let second = one.token("grid_worker").await;
    assert_eq!(
        one.get("/api/v1/me", &first).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(one.get("/api/v1/me", &second).await.status, StatusCode::OK);
    let n = one
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login' AND detail LIKE '%只保留一个会话%'")
        .await;
    assert!(n >= 1);
}

on_both_engines!(
    an_account_lists_and_ends_its_sessions,
    a_password_set_by_an_administrator_is_changed_first,
    the_last_passwords_do_not_come_back,
    a_password_past_its_age_is_changed_first
);
