//! The edges an outside test probes: where a login sends the browser on to, the headers
//! of every answer, the session cookie, and who may read the metrics.

use crate::common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{Browser, TestApp};
use dualtrack_testkit::{on_both_engines, Engine, DEMO_PASSWORD};

/// After a login the browser goes on to a path of this site, or to `/`: never to another
/// host, however `next` is disguised, and a control character in it is no error.
async fn login_goes_on_only_to_a_local_path(engine: Engine) {
    let t = TestApp::new(engine).await;
    let cases = [
        ("/\t/evil.example", "/"),
        ("/%09/evil.example", "/"),
        ("/\n/evil.example", "/"),
        ("/a\r\nSet-Cookie: x=y", "/"),
        ("/%0d%0aSet-Cookie:%20x=y", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/%2F/evil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("/%252F/evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        (" /tree", "/"),
        ("/tree/632801?x=1", "/tree/632801?x=1"),
        ("/people?q=张三", "/people?q=%E5%BC%A0%E4%B8%89"),
    ];
    for (next, expected) in cases {
        let mut b = Browser::new(&t);
        let page = b
            .get(&format!(
                "/login?{}",
                serde_urlencoded::to_string([("next", next)]).expect("query")
            ))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{next:?}");
        assert!(
            !page.text.contains("evil.example"),
            "{next:?} kept on the form: {}",
            page.text
        );
        let r = b
            .post(
                "/login",
                &[
                    ("username", "golmud_leader"),
                    ("password", DEMO_PASSWORD),
                    ("next", next),
                ],
                true,
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{next:?}: {}", r.text);
        assert_eq!(r.location(), expected, "{next:?}");
    }
}

fn header(r: &common::Resp, name: &str) -> String {
    r.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// Pages, API answers, errors and assets all carry the security headers; what is not an
/// embedded asset is never stored.
async fn every_answer_has_security_headers(engine: Engine) {
    let (t, token) = TestApp::as_user(engine, "golmud_operator").await;
    let mut b = t.browser("golmud_operator").await;
    let answers = [
        ("login page", Browser::new(&t).get("/login").await, true),
        ("page", b.get("/monitoring/due").await, true),
        ("missing page", b.get("/no/such/page").await, true),
        ("api", t.get("/api/v1/me", &token).await, true),
        (
            "api refusal",
            t.call("GET", "/api/v1/me", None, None).await,
            true,
        ),
        ("asset", b.get("/assets/app.css").await, false),
    ];
    for (what, r, dynamic) in answers {
        let csp = header(&r, "content-security-policy");
        assert!(
            csp.contains("default-src 'self'")
                && csp.contains("script-src 'self'")
                && csp.contains("frame-ancestors 'none'")
                && !csp.contains("unsafe-eval"),
            "{what}: {csp}"
        );
        assert_eq!(header(&r, "x-frame-options"), "DENY", "{what}");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff", "{what}");
        assert_eq!(header(&r, "referrer-policy"), "same-origin", "{what}");
        let cache = header(&r, "cache-control");
        if dynamic {
            assert_eq!(cache, "no-store", "{what}");
        } else {
            assert!(cache.contains("max-age"), "{what}: {cache}");
        }
    }
}

/// The pages run under that policy: no inline script, no `<style>` element, no event
/// handler attribute, no `javascript:` link.
async fn pages_need_no_inline_script(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = t.browser("golmud_operator").await;
    let list = b.get("/tickets").await;
    let ticket = regex::Regex::new(r#"href="(/tickets/\d+)""#)
        .expect("regex")
        .captures(&list.text)
        .map(|c| c[1].to_string())
        .expect("a ticket in the demo");
    let inline_script =
        regex::Regex::new(r#"<script(?:\s+type="(?:text/javascript|module)")?\s*>"#)
            .expect("regex");
    let handler = regex::Regex::new(r#"\son[a-z]+\s*=\s*["']"#).expect("regex");
    let mut pages = vec![
        "/".to_string(),
        "/tickets".into(),
        ticket,
        "/tickets/new".into(),
        "/inbox".into(),
        "/monitoring/due".into(),
        "/supplies/spring-farming".into(),
        "/dashboard".into(),
        "/briefing".into(),
        "/no/such/page".into(),
    ];
    pages.push("/login".into());
    for path in pages {
        let r = if path == "/login" {
            Browser::new(&t).get(&path).await
        } else {
            b.get(&path).await
        };
        assert!(
            r.status.is_success() || r.status == StatusCode::NOT_FOUND,
            "{path}: {}",
            r.status
        );
        assert!(!inline_script.is_match(&r.text), "{path}: inline script");
        assert!(!r.text.contains("<style"), "{path}: <style> element");
        assert!(
            !handler.is_match(&r.text),
            "{path}: event handler attribute"
        );
        assert!(!r.text.contains("javascript:"), "{path}: javascript: link");
    }
}

fn set_cookie(r: &common::Resp, name: &str) -> String {
    r.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .unwrap_or("")
        .to_string()
}

async fn login_by_form(t: &TestApp, proto: Option<&str>) -> common::Resp {
    let mut b = Browser::new(t);
    let page = b.get("/login").await;
    let csrf_cookie = page.cookie("dt_csrf").expect("login csrf cookie");
    let body = serde_urlencoded::to_string([
        ("username", "golmud_leader"),
        ("password", DEMO_PASSWORD),
        ("next", "/"),
        ("csrf_token", b.csrf.as_str()),
    ])
    .expect("form");
    let mut req = Request::builder()
        .method("POST")
        .uri("/login")
        .header(header::COOKIE, format!("dt_csrf={csrf_cookie}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(p) = proto {
        req = req.header("x-forwarded-proto", p);
    }
    t.send(req.body(Body::from(body)).expect("request")).await
}

/// The session cookie is Secure unless the server is told otherwise, and Secure whenever a
/// proxy says the request came over HTTPS; always HttpOnly and SameSite.
async fn session_cookie_is_secure_by_default(engine: Engine) {
    let t = TestApp::new(engine).await;
    let r = login_by_form(&t, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let c = set_cookie(&r, "dt_session");
    assert!(
        c.contains("Secure") && c.contains("HttpOnly") && c.contains("SameSite=Lax"),
        "{c}"
    );
    let plain = TestApp::with_config(
        engine,
        dualtrack_web::WebConfig {
            secure_cookies: false,
            ..Default::default()
        },
    )
    .await;
    let r = login_by_form(&plain, None).await;
    let c = set_cookie(&r, "dt_session");
    assert!(!c.contains("Secure") && c.contains("HttpOnly"), "{c}");
    let r = login_by_form(&plain, Some("https")).await;
    let c = set_cookie(&r, "dt_session");
    assert!(c.contains("Secure"), "behind a TLS proxy: {c}");
}

/// The metrics are for the system administrator, the auditor and a configured scraper.
async fn metrics_need_a_login(engine: Engine) {
    let t = TestApp::with_config(
        engine,
        dualtrack_web::WebConfig {
            metrics_token: Some("scrape-0123456789abcdef".into()),
            ..Default::default()
        },
    )
    .await;
    let anon = t.call("GET", "/metrics", None, None).await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED, "{}", anon.text);
    assert!(anon.error_message().contains("登录"));
    let wrong = t.get("/metrics", "scrape-0123456789abcdeX").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let leader = t.token("golmud_leader").await;
    assert_eq!(
        t.get("/metrics", &leader).await.status,
        StatusCode::FORBIDDEN
    );
    for who in ["sysadmin", "auditor"] {
        let tok = t.token(who).await;
        let r = t.get("/metrics", &tok).await;
        assert_eq!(r.status, StatusCode::OK, "{who}");
        assert!(r.text.contains("dualtrack_"), "{who}");
    }
    let _r = t.get_ok("/metrics", "scrape-0123456789abcdef").await;
    // Probes stay open.
    assert_eq!(
        t.call("GET", "/livez", None, None).await.status,
        StatusCode::OK
    );
}

on_both_engines!(
    login_goes_on_only_to_a_local_path,
    every_answer_has_security_headers,
    pages_need_no_inline_script,
    session_cookie_is_secure_by_default,
    metrics_need_a_login
);
