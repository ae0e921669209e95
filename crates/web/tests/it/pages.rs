//! The pages as a browser uses them: cookies, CSRF tokens, forms, Chinese messages.

use crate::common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{Browser, TestApp};
use dualtrack_testkit::{on_both_engines, Engine};

async fn login_needs_the_form_token(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = Browser::new(&t);
    let page = b.get("/login").await;
    assert!(page.text.contains("双线指挥平台") && page.text.contains("用户名"));
    let cookie = page
        .headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite"),
        "{cookie}"
    );
    // Without the token: refused, and no session.
    let r = b
        .post(
            "/login",
            &[("username", "haixi_leader"), ("password", "Haixi@2020")],
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text.contains("csrf_token"));
    assert!(r.cookie("dt_session").is_none());
    // Wrong password: the form again, with the reason.
    let r = b
        .post(
            "/login",
            &[("username", "haixi_leader"), ("password", "Wrong#2020x")],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.text.contains("用户名或密码错误"));
    // Right password: a session cookie, HttpOnly.
    let r = b
        .submit(
            "/login",
            &[
                ("username", "haixi_leader"),
                ("password", "Haixi@2020"),
                ("next", "/tree/632801"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/tree/632801");
    let set = r
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("dt_session="))
        .unwrap_or("")
        .to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    let home = b.get("/").await;
    assert!(home.text.contains("疫情防控") && home.text.contains("复工复产"));
    // Off-site redirects after login are not followed.
    let r = b
        .post(
            "/login",
            &[
                ("username", "haixi_leader"),
                ("password", "Haixi@2020"),
                ("next", "//evil.example"),
            ],
            true,
        )
        .await;
    assert_eq!(r.location(), "/");
}

async fn forms_need_the_session_token(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = t.browser("golmud_operator").await;
    let page = b.get("/tree/632801001001").await;
    assert!(page.text.contains("新建网格"));
    let grids = t
        .count("SELECT COUNT(*) FROM jurisdictions WHERE level = 6")
        .await;
    let r = b
        .post("/tree/632801001001/grids", &[("name", "无令牌网格")], false)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let wrong = std::mem::replace(&mut b.csrf, "00".repeat(32));
    let r = b
        .post("/tree/632801001001/grids", &[("name", "错令牌网格")], true)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    b.csrf = wrong;
    assert_eq!(
        t.count("SELECT COUNT(*) FROM jurisdictions WHERE level = 6")
            .await,
        grids
    );
    let r = b
        .submit("/tree/632801001001/grids", &[("name", "第四网格")])
        .await;
    let page = b.get(&r.location()).await;
    assert!(page.text.contains("已新建网格 632801001001004") && page.text.contains("第四网格"));
    // A bad name shows the form again with the reason.
    let r = b
        .post("/tree/632801001001/grids", &[("name", "第四网格")], true)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text.contains("已有名为“第四网格”的网格"));
    // The header works for htmx requests.
    let req = Request::builder()
        .method("POST")
        .uri("/tree/632801001001/grids")
        .header(
            header::COOKIE,
            b.cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
        .header("x-csrf-token", b.csrf.clone())
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("name=%E7%AC%AC%E4%BA%94%E7%BD%91%E6%A0%BC"))
        .expect("request");
    assert_eq!(t.send(req).await.status, StatusCode::SEE_OTHER);
}

async fn expired_sessions_go_back_to_login(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = t.browser("haixi_leader").await;
    let ago = dualtrack_service::clock::wall() - chrono::Duration::minutes(45);
    dualtrack_store::on_db!(&t.db.db, p => sqlx::query("UPDATE sessions SET last_seen_at = $1").bind(ago).execute(p).await.expect("update").rows_affected());
    let r = b.get("/tree/6328").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        r.location()
            .starts_with("/login?next=%2Ftree%2F6328&expired=1"),
        "{}",
        r.location()
    );
    let login = b.get(&r.location()).await;
    assert!(login.text.contains("登录已过期"));
    // Anonymous visitors are sent to login too, and unknown pages say so in Chinese.
    let mut anon = Browser::new(&t);
    assert_eq!(anon.get("/users").await.status, StatusCode::SEE_OTHER);
    let r = anon.get("/no/such/page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.text.contains("页面不存在"));
}

async fn each_role_sees_its_pages(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut sec = Browser::new(&t);
    let home = sec.login("secadmin").await;
    assert!(home.text.contains("账户管理") && !home.text.contains("href=\"/audit\""));
    let r = sec
        .submit(
            "/users",
            &[
                ("username", "dulan_leader"),
                ("display_name", "都兰县领导"),
                ("password", "Dulan#2020x"),
                ("jurisdiction_code", "632822"),
                ("roles", "leader"),
            ],
        )
        .await;
    let page = sec.get(&r.location()).await;
    assert!(page.text.contains("都兰县领导") && page.text.contains("632822"));
    let r = sec
        .post(
            "/users",
            &[
                ("username", "x"),
                ("password", "short"),
                ("jurisdiction_code", "632822"),
                ("roles", "leader"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("用户名长度"));
    assert_eq!(sec.get("/audit").await.status, StatusCode::FORBIDDEN);

    let mut aud = Browser::new(&t);
    let home = aud.login("auditor").await;
    assert!(home.text.contains("审计日志") && !home.text.contains("href=\"/users\""));
    let r = aud.get("/audit?action=user.create").await;
    assert!(r.text.contains("dulan_leader") || r.text.contains("都兰县领导"));
    let r = aud.get("/audit?from=bad").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("日期格式"));
    assert_eq!(aud.get("/users").await.status, StatusCode::FORBIDDEN);

    let mut leader = t.browser("golmud_leader").await;
    let page = leader.get("/tree/632801001001").await;
    assert!(!page.text.contains("新建网格"), "leaders only read");
    let r = leader
        .post("/tree/632801001001/grids", &[("name", "领导网格")], true)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Logout ends the session.
    leader.submit("/logout", &[]).await;
    assert_eq!(leader.get("/").await.status, StatusCode::SEE_OTHER);
}

async fn own_password_from_the_page(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = t.browser("grid_worker").await;
    let r = b
        .post(
            "/me/password",
            &[("current_password", "Haixi@2020"), ("new_password", "abc")],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("至少需要 10 个字符"));
    b.submit(
        "/me/password",
        &[
            ("current_password", "Haixi@2020"),
            ("new_password", "Grid#Work2020"),
        ],
    )
    .await;
    t.token_with("grid_worker", "Grid#Work2020").await;
}

async fn health_metrics_assets_and_openapi(engine: Engine) {
    let t = TestApp::new(engine).await;
    let r = t.call("GET", "/healthz", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "ok");
    let login = t.call("GET", "/login", None, None).await;
    // The icon of the tab, embedded, also where a browser asks for /favicon.ico.
    assert!(login
        .text
        .contains(&dualtrack_web::assets::url("favicon.svg")));
    let icon = t.call("GET", "/assets/favicon.svg", None, None).await;
    assert_eq!(icon.status, StatusCode::OK);
    assert!(icon.text.starts_with("<svg"));
    let ico = t.call("GET", "/favicon.ico", None, None).await;
    assert_eq!(ico.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(ico.location(), "/assets/favicon.svg");
    // The metrics are read by the system administrator (see hardening.rs for the rest).
    let sys = t.token("sysadmin").await;
    let r = t.get_ok("/metrics", &sys).await;
    assert!(
        r.text.contains("dualtrack_http_requests_total"),
        "{}",
        r.text
    );
    let r = t
        .call("GET", "/assets/vendor/htmx.min.js", None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .contains("javascript"));
    assert!(r.text.len() > 10_000);
    let r = t.call("GET", "/assets/app.css", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = t.call("GET", "/api/openapi.json", None, None).await;
    assert_eq!(r.json()["openapi"], "3.1.0");
    // No page loads anything from outside.
    let mut b = Browser::new(&t);
    let home = b.login("haixi_leader").await;
    for page in [home.text, b.get("/tree/6328").await.text] {
        assert!(
            !page.contains("http://") && !page.contains("https://"),
            "{page}"
        );
    }
}

/// The prevention pages lead to one another; checkpoint staff, who see no grid work, find
/// their checkpoints in the menu, and others do not get that entry.
async fn prevention_pages_link_up(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut leader = t.browser("haixi_leader").await;
    let r = leader.page("/prevention").await;
    for href in ["/checkpoints", "/monitoring", "/monitoring/due"] {
        assert!(r.text.contains(&format!("href=\"{href}\"")), "{href}");
    }
    assert!(
        !r.text.contains(">卡口</a>"),
        "no checkpoint entry for a leader"
    );
    let mut worker = t.browser("checkpoint_worker").await;
    let r = worker.get("/").await;
    assert!(
        r.text.contains("<a href=\"/checkpoints\">卡口</a>"),
        "{}",
        r.text
    );
    assert!(!r.text.contains("href=\"/prevention\""));
}

on_both_engines!(
    prevention_pages_link_up,
    login_needs_the_form_token,
    forms_need_the_session_token,
    expired_sessions_go_back_to_login,
    each_role_sees_its_pages,
    own_password_from_the_page,
    health_metrics_assets_and_openapi,
);
