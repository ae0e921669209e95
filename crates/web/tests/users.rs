//! Accounts: created, refused, locked, and never half-written.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::json;

async fn security_admin_creates_scoped_accounts(engine: Engine) {
    let t = TestApp::new(engine).await;
    let sec = t.token("secadmin").await;
    let r = t
        .post(
            "/api/v1/users",
            &sec,
            json!({"username": "Wulan_Op", "display_name": "乌兰县操作员", "password": "Chaka#2020x", "jurisdiction_code": "632821", "roles": ["operator", "leader"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let v = r.json();
    assert_eq!(v["username"], "wulan_op", "names are kept in lower case");
    assert!(v.get("password_hash").is_none());
    assert_eq!(v["role_names"], json!(["领导", "操作员"]));
    assert_eq!(
        t.audit_count("user.create").await,
        dualtrack_service::demo::ACCOUNTS.len() as i64 + 1,
        "the demo accounts and this one"
    );
    // The new account works and sees its county.
    let tok = t.token_with("wulan_op", "Chaka#2020x").await;
    assert_eq!(
        t.get("/api/v1/jurisdictions/632821", &tok).await.status,
        StatusCode::OK
    );
    assert_eq!(
        t.get("/api/v1/jurisdictions/632801", &tok).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn bad_accounts_are_refused_whole(engine: Engine) {
    let t = TestApp::new(engine).await;
    let sec = t.token("secadmin").await;
    let users = t.count("SELECT COUNT(*) FROM users").await;
    let audits = t
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.create'")
        .await;
    let base = json!({"username": "newbie", "password": "Chaka#2020x", "jurisdiction_code": "632821", "roles": ["operator"]});
    let cases = [
        (
            json!({"username": "golmud_leader"}),
            StatusCode::CONFLICT,
            "username",
        ),
        (
            json!({"password": "weak"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "password",
        ),
        (
            json!({"password": "newbie2020ABC!"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "password",
        ),
        (
            json!({"username": "张三"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "username",
        ),
        (
            json!({"jurisdiction_code": "63282"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "jurisdiction_code",
        ),
        (
            json!({"roles": ["root"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "roles",
        ),
        (
            json!({"roles": []}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "roles",
        ),
        (
            json!({"roles": ["sec_admin", "auditor"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "roles",
        ),
    ];
    for (patch, status, field) in cases {
        let mut body = base.clone();
        for (k, v) in patch.as_object().expect("object") {
            body[k] = v.clone();
        }
        let r = t.post("/api/v1/users", &sec, body.clone()).await;
        assert_eq!(r.status, status, "{body}: {}", r.text);
        let msg = r.json()["error"]["fields"][field]
            .as_str()
            .unwrap_or("")
            .to_string();
        assert!(
            !msg.is_empty() && !msg.is_ascii(),
            "{field} named in Chinese: {}",
            r.text
        );
    }
    assert_eq!(t.count("SELECT COUNT(*) FROM users").await, users);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.create'")
            .await,
        audits
    );
}

async fn lock_roles_and_reset(engine: Engine) {
    let t = TestApp::new(engine).await;
    let sec = t.token("secadmin").await;
    let id = t.user_id("golmud_operator").await;
    let victim = t.token("golmud_operator").await;
    let r = t
        .post(&format!("/api/v1/users/{id}/lock"), &sec, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["disabled"], true);
    assert_eq!(
        t.get("/api/v1/me", &victim).await.status,
        StatusCode::UNAUTHORIZED,
        "sessions end on lock"
    );
    let r = t
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "golmud_operator", "password": "Haixi@2020"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::LOCKED);
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("管理员"));
    t.post(&format!("/api/v1/users/{id}/unlock"), &sec, json!({}))
        .await;
    // Roles: separation holds on change too.
    let r = t
        .call(
            "PUT",
            &format!("/api/v1/users/{id}/roles"),
            Some(&sec),
            Some(json!({"roles": ["auditor", "operator"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = t
        .call(
            "PUT",
            &format!("/api/v1/users/{id}/roles"),
            Some(&sec),
            Some(json!({"roles": ["leader"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["roles"], json!(["leader"]));
    // Nobody changes their own roles.
    let me = t.user_id("secadmin").await;
    let r = t
        .call(
            "PUT",
            &format!("/api/v1/users/{me}/roles"),
            Some(&sec),
            Some(json!({"roles": ["auditor"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Reset.
    let r = t
        .post(
            &format!("/api/v1/users/{id}/password"),
            &sec,
            json!({"new_password": "Golmud#2020x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    t.token_with("golmud_operator", "Golmud#2020x").await;
    // Bad ids.
    assert_eq!(
        t.get("/api/v1/users/abc", &sec).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.get("/api/v1/users/99999", &sec).await.status,
        StatusCode::NOT_FOUND
    );
    for action in ["user.lock", "user.unlock", "user.roles", "user.password"] {
        assert!(t.audit_count(action).await >= 1, "{action} audited");
    }
}

on_both_engines!(
    security_admin_creates_scoped_accounts,
    bad_accounts_are_refused_whole,
    lock_roles_and_reset
);
