//! The edges an outside test probes: where a login sends the browser on to, the headers
//! of every answer, the session cookie, and who may read the metrics.

mod common;

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

on_both_engines!(login_goes_on_only_to_a_local_path);
