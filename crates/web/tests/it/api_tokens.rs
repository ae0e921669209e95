//! API tokens: made only by a session that gave the second factor, the secret shown once and
//! only its hash stored; a read token cannot write, a narrowed one sees only its subtree; a
//! token never unmasks, makes a token, changes a password or opens a page; expired, revoked,
//! locked or reset by an administrator, it is refused.

use crate::common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{code_at, enrol, Browser, TestApp};
use dualtrack_testkit::{on_both_engines, Engine, DEMO_PASSWORD};
use serde_json::{json, Value};

const USER: &str = "golmud_operator";

/// An API session of `USER` that gave its second factor (enrolled on the pages first).
async fn verified_session(t: &TestApp) -> String {
    let (_b, secret, _codes) = enrol(t, USER).await;
    login_with_code(t, &secret).await
}

/// An API session of `USER`, logged in with a code of its authenticator.
async fn login_with_code(t: &TestApp, secret: &str) -> String {
    let r = t
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": USER, "password": DEMO_PASSWORD, "totp_code": code_at(secret, USER, 1)})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()["token"].as_str().expect("token").to_string()
}

/// Makes a token; (its id, its secret).
async fn make(t: &TestApp, session: &str, body: Value) -> (i64, String) {
    let r = t.post("/api/v1/me/tokens", session, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let v = r.json();
    let secret = v["secret"].as_str().expect("secret").to_string();
    (v["token"]["id"].as_i64().expect("id"), secret)
}

fn read_token(name: &str) -> Value {
    json!({"name": name, "expires_in_days": 30, "scope": "read"})
}

async fn tokens_of(t: &TestApp) -> i64 {
    t.count("SELECT COUNT(*) FROM api_tokens").await
}

async fn a_token_needs_the_second_factor_and_is_shown_once(engine: Engine) {
    let t = TestApp::new(engine).await;
    // Without a second factor: refused, on the API and on the page, saying to enrol first.
    let plain = t.token(USER).await;
    let r = t
        .post("/api/v1/me/tokens", &plain, read_token("同步"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert!(r.text.contains("先启用双因素认证"), "{}", r.text);
    let mut b = Browser::new(&t);
    b.login(USER).await;
    let fields = [
        ("name", "网页令牌"),
        ("expires_in_days", "90"),
        ("scope", "write"),
        ("jurisdiction_code", ""),
    ];
    let r = b.post("/me/tokens", &fields, true).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert!(r.text.contains("先启用双因素认证"), "{}", r.text);
    assert_eq!(tokens_of(&t).await, 0);

    // Enrolled: the browser's session gave it, so the page makes one and shows it once.
    let (mut b, secret, _codes) = enrol(&t, USER).await;
    let r = b.post("/me/tokens", &fields, true).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let shown = regex::Regex::new(r#"class="token-secret">(dt_[0-9a-f]{64})<"#)
        .expect("re")
        .captures(&r.text)
        .map(|c| c[1].to_string())
        .expect("the secret is shown");
    let me = b.get("/me").await;
    assert!(me.text.contains("网页令牌"), "listed");
    assert!(!me.text.contains(&shown), "the secret is shown once only");
    // The API session from before enrolment gave no second factor: told to log in with it.
    let r = t
        .post("/api/v1/me/tokens", &plain, read_token("同步"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert!(r.text.contains("动态口令重新登录"), "{}", r.text);
    let session = login_with_code(&t, &secret).await;
    let (id, api_secret) = make(&t, &session, read_token("同步")).await;
    assert!(api_secret.starts_with("dt_") && api_secret.len() == 67);

    // The table holds the hash and the first characters, never the secret.
    for s in [&shown, &api_secret] {
        let hash = dualtrack_service::auth::token_hash(s);
        assert_eq!(
            t.count(&format!(
                "SELECT COUNT(*) FROM api_tokens WHERE token_hash = '{hash}' AND token_prefix = '{}'",
                &s[..11]
            ))
            .await,
            1
        );
        assert_eq!(
            t.count(&format!(
                "SELECT COUNT(*) FROM api_tokens WHERE token_hash = '{s}' OR token_prefix = '{s}' OR name = '{s}'"
            ))
            .await,
            0
        );
    }
    let list = t.get("/api/v1/me/tokens", &session).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(
        list.json().as_array().map(Vec::len),
        Some(2),
        "{}",
        list.text
    );
    assert!(!list.text.contains(&api_secret) && !list.text.contains(&shown));
    assert_eq!(list.json()[0]["id"], id);
    assert_eq!(list.json()[0]["scope"], "read");
    assert!(list.json()[0]["expires_at"].is_string());

    // Bad input: a 4xx naming the field, and nothing written.
    let long = "令".repeat(51);
    for (body, status, field) in [
        (
            json!({"name": " ", "expires_in_days": 30, "scope": "read"}),
            422,
            "name",
        ),
        (
            json!({"name": long, "expires_in_days": 30, "scope": "read"}),
            422,
            "name",
        ),
        (read_token("同步"), 409, "name"),
        (
            json!({"name": "x", "expires_in_days": 0, "scope": "read"}),
            422,
            "expires_in_days",
        ),
        (
            json!({"name": "x", "expires_in_days": 366, "scope": "read"}),
            422,
            "expires_in_days",
        ),
        (
            json!({"name": "x", "expires_in_days": 30, "scope": "admin"}),
            422,
            "scope",
        ),
        (
            json!({"name": "x", "expires_in_days": 30, "scope": "read", "jurisdiction_code": "632802"}),
            404,
            "jurisdiction_code",
        ),
    ] {
        let r = t.post("/api/v1/me/tokens", &session, body.clone()).await;
        assert_eq!(r.status.as_u16(), status, "{body}: {}", r.text);
        assert!(
            r.json()["error"]["fields"][field].is_string(),
            "{body}: {}",
            r.text
        );
    }
    assert_eq!(tokens_of(&t).await, 2);
    assert_eq!(t.audit_count("user.token_create").await, 2);
}

async fn what_a_token_may_do(engine: Engine) {
    let t = TestApp::new(engine).await;
    let session = verified_session(&t).await;
    let (_, read) = make(&t, &session, read_token("只读")).await;
    let (write_id, write) = make(
        &t,
        &session,
        json!({"name": "读写", "expires_in_days": 1, "scope": "write"}),
    )
    .await;
    // A person of 格尔木 in one village, and one elsewhere in 格尔木.
    let inside = t
        .count("SELECT MIN(id) FROM people WHERE jurisdiction_code LIKE '632801%' AND LENGTH(jurisdiction_code) = 12")
        .await;
    let village: String = dualtrack_store::on_db!(&t.db.db, p => sqlx::query_scalar::<_, String>(
        "SELECT jurisdiction_code FROM people WHERE id = $1").bind(inside).fetch_one(p).await.expect("village"));
    let sibling = t
        .count(&format!("SELECT MIN(id) FROM people WHERE jurisdiction_code LIKE '632801%' AND jurisdiction_code <> '{village}'"))
        .await;
    assert!(inside > 0 && sibling > 0, "people of 格尔木 in two places");
    let (narrow_id, narrow) = make(
        &t,
        &session,
        json!({"name": "一个村", "expires_in_days": 7, "scope": "write", "jurisdiction_code": village}),
    )
    .await;

    // Read: reads, and is refused any write.
    assert_eq!(t.get("/api/v1/me", &read).await.status, StatusCode::OK);
    assert_eq!(t.get("/api/v1/people", &read).await.status, StatusCode::OK);
    let grid = json!({"name": "令牌网格"});
    let r = t
        .post(
            "/api/v1/jurisdictions/632801001001/grids",
            &read,
            grid.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.json()["error"]["code"], "token_read_only");
    // Write: writes as its account, the token named in the audit row.
    let r = t
        .post("/api/v1/jurisdictions/632801001001/grids", &write, grid)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let named = t
        .count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = 'grid.create' AND username = '{USER}' AND detail LIKE '%接口令牌 {write_id}“读写”%'"))
        .await;
    assert_eq!(named, 1);
    // Never unmasks, makes a token, changes a password; never opens a page.
    let r = t
        .post(
            &format!("/api/v1/people/{inside}/unmask"),
            &write,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(t.audit_count("personal.unmask").await, 0);
    let r = t
        .post("/api/v1/me/tokens", &write, read_token("再一个"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = t
        .post(
            "/api/v1/me/password",
            &write,
            json!({"current_password": DEMO_PASSWORD, "new_password": "Qaidam#2020xyz"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let get = |path: &'static str, name, value: String| {
        t.send(
            Request::builder()
                .uri(path)
                .header(name, value)
                .body(Body::empty())
                .expect("request"),
        )
    };
    for tok in [&read, &write] {
        let r = get("/me", header::AUTHORIZATION, format!("Bearer {tok}")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "a page: {}", r.text);
    }
    // Nor is it a cookie.
    let r = get("/api/v1/me", header::COOKIE, format!("dt_session={write}")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(tokens_of(&t).await, 3);

    // Narrowed to a village: a sibling's record neither by id nor in the list.
    let path = |id: i64| format!("/api/v1/people/{id}");
    assert_eq!(t.get(&path(inside), &narrow).await.status, StatusCode::OK);
    assert_eq!(t.get(&path(sibling), &write).await.status, StatusCode::OK);
    let r = t.get(&path(sibling), &narrow).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let list = t.get("/api/v1/people", &narrow).await.json();
    let items = list["items"].as_array().expect("items");
    assert!(!items.is_empty());
    assert!(items.iter().all(|p| p["jurisdiction_code"]
        .as_str()
        .is_some_and(|c| c.starts_with(&village))));
    assert!(items.iter().all(|p| p["id"] != sibling));

    // Used: its last use is listed (and written at most once a minute).
    let listed = t.get("/api/v1/me/tokens", &session).await.json();
    assert!(listed
        .as_array()
        .expect("tokens")
        .iter()
        .all(|x| x["last_used_at"].is_string()));

    // Expired: 401.
    let past = dualtrack_service::clock::wall() - chrono::Duration::minutes(1);
    dualtrack_store::on_db!(&t.db.db, p => sqlx::query("UPDATE api_tokens SET expires_at = $1 WHERE name = '只读'")
        .bind(past).execute(p).await.expect("update").rows_affected());
    let r = t.get("/api/v1/me", &read).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert!(r.text.contains("已过期"), "{}", r.text);
    // Revoked: 401.
    let r = t
        .call(
            "DELETE",
            &format!("/api/v1/me/tokens/{write_id}"),
            Some(&session),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = t.get("/api/v1/me", &write).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(t.audit_count("user.token_revoke").await, 1);

    // The security administrator lists and revokes, and a locked account's token is refused.
    let sec = t.token("secadmin").await;
    let uid = t.user_id(USER).await;
    let r = t.get(&format!("/api/v1/users/{uid}/tokens"), &sec).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json().as_array().map(Vec::len), Some(2), "{}", r.text);
    let r = t
        .post(&format!("/api/v1/users/{uid}/lock"), &sec, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        t.get("/api/v1/me", &narrow).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = t
        .post(&format!("/api/v1/users/{uid}/unlock"), &sec, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(t.get("/api/v1/me", &narrow).await.status, StatusCode::OK);
    let r = t
        .call(
            "DELETE",
            &format!("/api/v1/users/{uid}/tokens/{narrow_id}"),
            Some(&sec),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(
        t.get("/api/v1/me", &narrow).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.token_revoke' AND username = 'secadmin'")
            .await,
        1
    );
}

async fn a_password_reset_by_the_administrator_ends_the_tokens(engine: Engine) {
    let t = TestApp::new(engine).await;
    let session = verified_session(&t).await;
    let (_, tok) = make(&t, &session, read_token("报表")).await;
    assert_eq!(t.get("/api/v1/me", &tok).await.status, StatusCode::OK);
    let sec = t.token("secadmin").await;
    let uid = t.user_id(USER).await;
    let r = t
        .post(
            &format!("/api/v1/users/{uid}/password"),
            &sec,
            json!({"new_password": "Qaidam#2020xyz"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(
        t.get("/api/v1/me", &tok).await.status,
        StatusCode::UNAUTHORIZED
    );
    let detail = t
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.password' AND detail LIKE '%撤销 1 个接口令牌%'")
        .await;
    assert_eq!(detail, 1);
}

on_both_engines!(
    a_token_needs_the_second_factor_and_is_shown_once,
    what_a_token_may_do,
    a_password_reset_by_the_administrator_ends_the_tokens
);
