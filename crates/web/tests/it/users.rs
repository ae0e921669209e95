//! Accounts: created, refused, locked, and never half-written.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::json;

async fn security_admin_creates_scoped_accounts(engine: Engine) {
    let (t, sec) = TestApp::as_user(engine, "secadmin").await;
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
    let (t, sec) = TestApp::as_user(engine, "secadmin").await;
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
    let (t, sec) = TestApp::as_user(engine, "secadmin").await;
    let id = t.user_id("golmud_operator").await;
    let victim = t.token("golmud_operator").await;
    let r = t.lock_user(id, &sec, json!({})).await;
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
    assert!(r.error_message().contains("管理员"));
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
        .reset_password(id, &sec, json!({"new_password": "Golmud#2020x"}))
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

/// 三员分立: the security administrator can neither make an auditor (nor any other
/// administrator) nor take over, change, lock or unlock an administrator's account, through
/// the API or the pages; each refusal is audited and changes nothing.
async fn administrator_accounts_are_out_of_reach_of_the_web(engine: Engine) {
    let (t, sec) = TestApp::as_user(engine, "secadmin").await;
    let auditor = t.user_id("auditor").await;
    let sysadmin = t.user_id("sysadmin").await;
    let leader = t.user_id("golmud_leader").await;
    let users = t.count("SELECT COUNT(*) FROM users").await;
    let denied = t.audit_count("auth.denied").await;
    for role in ["auditor", "sys_admin", "sec_admin"] {
        let r = t
            .post(
                "/api/v1/users",
                &sec,
                json!({"username": format!("my_{role}"), "password": "Chaka#2020x", "jurisdiction_code": "6328", "roles": [role]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role}: {}", r.text);
        assert!(r.text.contains("命令行"), "{}", r.text);
    }
    let attempts: Vec<(&str, String, serde_json::Value)> = vec![
        (
            "PUT",
            format!("/api/v1/users/{leader}/roles"),
            json!({"roles": ["auditor"]}),
        ),
        (
            "PUT",
            format!("/api/v1/users/{auditor}/roles"),
            json!({"roles": ["leader"]}),
        ),
        (
            "PUT",
            format!("/api/v1/users/{sysadmin}/roles"),
            json!({"roles": ["operator"]}),
        ),
        (
            "POST",
            format!("/api/v1/users/{auditor}/password"),
            json!({"new_password": "Qaidam#2020x"}),
        ),
        (
            "POST",
            format!("/api/v1/users/{sysadmin}/password"),
            json!({"new_password": "Qaidam#2020x"}),
        ),
        ("POST", format!("/api/v1/users/{auditor}/lock"), json!({})),
        ("POST", format!("/api/v1/users/{auditor}/unlock"), json!({})),
    ];
    for (method, path, body) in &attempts {
        let r = t.call(method, path, Some(&sec), Some(body.clone())).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            r.text
        );
    }
    assert_eq!(t.count("SELECT COUNT(*) FROM users").await, users);
    assert_eq!(
        t.audit_count("auth.denied").await,
        denied + 3 + attempts.len() as i64,
        "every refusal is recorded"
    );
    // Nothing changed: the leader is a leader, the auditor logs in and reads the log.
    let r = t.get(&format!("/api/v1/users/{leader}"), &sec).await;
    assert_eq!(r.json()["roles"], json!(["leader"]));
    let aud = t.token("auditor").await;
    assert_eq!(t.get("/api/v1/audit", &aud).await.status, StatusCode::OK);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM users WHERE id = {auditor} AND disabled"
        ))
        .await,
        0
    );

    // The pages offer no administrative role, and refuse one sent anyway.
    let mut b = t.browser("secadmin").await;
    let page = b.get("/users").await;
    assert!(
        page.text.contains("value=\"leader\"") && !page.text.contains("value=\"auditor\""),
        "{}",
        page.text
    );
    let r = b
        .post(
            "/users",
            &[
                ("username", "page_auditor"),
                ("password", "Chaka#2020x"),
                ("jurisdiction_code", "6328"),
                ("roles", "auditor"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let page = b.page(&format!("/users/{auditor}")).await;
    assert!(
        page.text.contains("dualtrack user") && !page.text.contains("/password\""),
        "no forms on an administrator's account: {}",
        page.text
    );
    let r = b
        .post(
            &format!("/users/{auditor}/password"),
            &[("new_password", "Qaidam#2020x")],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    t.token("auditor").await;
}

/// Weak passwords are refused on creation, on reset and on change, each naming the field.
async fn weak_passwords_are_refused(engine: Engine) {
    let (t, sec) = TestApp::as_user(engine, "secadmin").await;
    for weak in ["Password1!", "Qwerty123!", "Admin@1234", "P@ssw0rd2020"] {
        let r = t
            .post(
                "/api/v1/users",
                &sec,
                json!({"username": "newbie", "password": weak, "jurisdiction_code": "632821", "roles": ["operator"]}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{weak}: {}",
            r.text
        );
        let msg = r.field_error("password");
        assert!(
            msg.contains("密码") && msg.contains("常见"),
            "{weak}: {msg}"
        );
    }
    let op = t.user_id("golmud_operator").await;
    let r = t
        .reset_password(op, &sec, json!({"new_password": "Qwerty123!"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.json()["error"]["fields"]["new_password"].is_string());
    // The same password again is no change.
    let me = t.token("golmud_operator").await;
    let r = t
        .post(
            "/api/v1/me/password",
            &me,
            json!({"current_password": "Haixi@2020", "new_password": "Haixi@2020"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.field_error("new_password").contains("当前密码相同"));
    assert_eq!(t.audit_count("user.password").await, 0);

    // On a server that is not a demo, the published demo password is refused too.
    let mut app = t.app.clone();
    app.security.password_policy.allow_demo_password = false;
    let router = dualtrack_web::router(dualtrack_web::AppState::new(
        app,
        dualtrack_web::WebConfig::default(),
    ));
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/api/v1/users")
        .header("authorization", format!("Bearer {sec}"))
        .header("content-type", "application/json")
        .body(axum::body::Body::from(
            json!({"username": "newbie", "password": "Haixi@2020", "jurisdiction_code": "632821", "roles": ["operator"]}).to_string(),
        ))
        .expect("request");
    let resp = tower::ServiceExt::oneshot(router, req)
        .await
        .expect("answer");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .expect("body")
        .to_bytes();
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("演示密码"), "{text}");
}

on_both_engines!(
    security_admin_creates_scoped_accounts,
    bad_accounts_are_refused_whole,
    lock_roles_and_reset,
    administrator_accounts_are_out_of_reach_of_the_web,
    weak_passwords_are_refused
);
