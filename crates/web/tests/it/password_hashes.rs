//! Password hashes by configuration: argon2id or PBKDF2-HMAC-SM3. A hash of either scheme
//! logs in whatever the configured one is, and a login re-hashes it to the configured one
//! in the login's own audited transaction.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use dualtrack_service::passwords::PasswordScheme;
use dualtrack_service::users::NewUserInput;
use dualtrack_service::Actor;
use dualtrack_testkit::{on_both_engines, Engine, DEMO_PASSWORD};
use dualtrack_web::{AppState, WebConfig};
use serde_json::json;

const PASSWORD: &str = "Guomi#Pass2020";
const SM3: PasswordScheme = PasswordScheme::Pbkdf2Sm3 { iterations: 10_000 };

/// The same database served under another password scheme.
fn under(t: &mut TestApp, scheme: PasswordScheme) {
    t.app.security.password_scheme = scheme;
    t.router = dualtrack_web::router(AppState::new(t.app.clone(), WebConfig::default()));
}

async fn stored_hash(t: &TestApp, username: &str) -> String {
    let sql = format!("SELECT password_hash FROM users WHERE username = '{username}'");
    dualtrack_store::on_db!(&t.db.db, p => sqlx::query_scalar::<_, String>(&sql).fetch_one(p).await.expect("hash"))
}

async fn last_login_detail(t: &TestApp, username: &str) -> String {
    let sql = format!(
        "SELECT detail FROM audit_log WHERE action = 'auth.login' AND username = '{username}' ORDER BY id DESC LIMIT 1"
    );
    dualtrack_store::on_db!(&t.db.db, p => sqlx::query_scalar::<_, String>(&sql).fetch_one(p).await.expect("detail"))
}

async fn login_status(t: &TestApp, username: &str, password: &str) -> StatusCode {
    t.call(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(json!({"username": username, "password": password})),
    )
    .await
    .status
}

async fn each_scheme_logs_in_and_a_switch_rehashes(engine: Engine) {
    let mut t = TestApp::new(engine).await;
    under(&mut t, SM3);
    t.app
        .create_user(
            &Actor::cli(),
            &NewUserInput {
                username: "guomi_worker".into(),
                display_name: "国密网格员".into(),
                password: PASSWORD.into(),
                jurisdiction_code: "632801001001".into(),
                roles: vec!["grid_worker".into()],
            },
        )
        .await
        .expect("made");
    let h = stored_hash(&t, "guomi_worker").await;
    assert!(h.starts_with("$pbkdf2-sm3$i=10000$"), "{h}");
    // Under PBKDF2-HMAC-SM3: the right password logs in, a wrong one is refused, and the
    // hash is left as it is.
    assert_eq!(
        login_status(&t, "guomi_worker", PASSWORD).await,
        StatusCode::OK
    );
    assert_eq!(
        login_status(&t, "guomi_worker", "Guomi#Pass2021").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(stored_hash(&t, "guomi_worker").await, h);
    assert!(!last_login_detail(&t, "guomi_worker")
        .await
        .contains("密码哈希"));

    // Switched to argon2id: the PBKDF2 hash still logs in, and is re-hashed.
    under(&mut t, PasswordScheme::Argon2id);
    assert_eq!(
        login_status(&t, "guomi_worker", "Guomi#Pass2021").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(stored_hash(&t, "guomi_worker").await, h, "not on a failure");
    assert_eq!(
        login_status(&t, "guomi_worker", PASSWORD).await,
        StatusCode::OK
    );
    let a = stored_hash(&t, "guomi_worker").await;
    assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
    assert!(
        last_login_detail(&t, "guomi_worker")
            .await
            .contains("密码哈希改为 argon2id"),
        "audited with the login"
    );
    assert_eq!(
        login_status(&t, "guomi_worker", PASSWORD).await,
        StatusCode::OK
    );
    assert_eq!(stored_hash(&t, "guomi_worker").await, a, "now current");

    // And back: an argon2id hash (the demo's accounts have them too) logs in under
    // PBKDF2-HMAC-SM3 and becomes one; more iterations configured re-hash as well.
    under(&mut t, SM3);
    assert!(stored_hash(&t, "haixi_leader")
        .await
        .starts_with("$argon2id$"));
    assert_eq!(
        login_status(&t, "haixi_leader", DEMO_PASSWORD).await,
        StatusCode::OK
    );
    assert!(stored_hash(&t, "haixi_leader")
        .await
        .starts_with("$pbkdf2-sm3$i=10000$"));
    under(&mut t, PasswordScheme::Pbkdf2Sm3 { iterations: 20_000 });
    assert_eq!(
        login_status(&t, "haixi_leader", "Wrong#Pass2020").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login_status(&t, "haixi_leader", DEMO_PASSWORD).await,
        StatusCode::OK
    );
    assert!(stored_hash(&t, "haixi_leader")
        .await
        .starts_with("$pbkdf2-sm3$i=20000$"));
    // A password changed under PBKDF2-HMAC-SM3 is checked against the history of either
    // scheme.
    let tok = t.token("haixi_leader").await;
    let r = t
        .post(
            "/api/v1/me/password",
            &tok,
            json!({"current_password": DEMO_PASSWORD, "new_password": PASSWORD}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    assert!(stored_hash(&t, "haixi_leader")
        .await
        .starts_with("$pbkdf2-sm3$i=20000$"));
    assert_eq!(
        login_status(&t, "haixi_leader", PASSWORD).await,
        StatusCode::OK
    );
}

on_both_engines!(each_scheme_logs_in_and_a_switch_rehashes);
