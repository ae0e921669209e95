//! A demo server lives on the day of its story: its clock runs on from the evening of
//! 2020-02-27, every page says so in a banner, and the banner's form moves the day.

use crate::common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::NaiveDate;
use common::TestApp;
use dualtrack_testkit::{on_both_engines, Engine};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day")
}

async fn a_demo_server_opens_on_the_day_of_its_story(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.open_on_demo_day();
    assert_eq!(t.app.today(), day("2020-02-27"));
    let mut b = t.browser("haixi_leader").await;
    let home = b.page("/").await;
    assert!(home.text.contains("演示数据"), "{}", home.text);
    assert!(
        home.text.contains("2020年2月27日 星期四 20:"),
        "{}",
        home.text
    );
    // The figures of "today" are the report's, with no date asked for.
    let page = b.page("/resumption").await;
    assert!(page.text.contains("2020-02-27"), "{}", page.text);
    assert!(page.text.contains("73.1"), "{}", page.text);
    // The API asks for its date, and says so once.
    let tok = t.token("haixi_leader").await;
    let r = t.get("/api/v1/resumption/rates", &tok).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["message"], "缺少字段 as_of");
}

async fn the_banner_moves_the_demo_day_and_goes_back(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.open_on_demo_day();
    let mut b = t.browser("grid_worker").await;
    b.get("/prevention").await;
    let body = serde_urlencoded::to_string([("day", "2020-03-05"), ("csrf_token", &b.csrf)])
        .expect("form");
    let cookies = b.cookie_header();
    let req = Request::builder()
        .method("POST")
        .uri("/demo/day")
        .header(header::COOKIE, cookies)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(
            header::REFERER,
            "http://127.0.0.1:8080/prevention?as_of=2020-02-27",
        )
        .body(Body::from(body))
        .expect("request");
    let r = t.send(req).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.location(), "/prevention?as_of=2020-02-27");
    assert_eq!(t.app.today(), day("2020-03-05"));
    assert_eq!(t.audit_count("system.demo_clock").await, 1);
    let page = b.get("/").await;
    assert!(
        page.text.contains("2020年3月5日 星期四 20:"),
        "{}",
        page.text
    );

    // Another site as the referrer: back to the home page, not there.
    let r = b.submit("/demo/day", &[("day", "2020-03-06")]).await;
    assert_eq!(r.location(), "/");

    // Outside the story, or not a date: refused naming the field, the day unchanged.
    for bad in ["2020-05-01", "三月五日", ""] {
        let r = b.post("/demo/day", &[("day", bad)], true).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
        assert!(r.text.contains("日期"), "{}", r.text);
    }
    assert_eq!(t.app.today(), day("2020-03-06"));
    // Without the form's token: refused.
    let r = b.post("/demo/day", &[("day", "2020-02-10")], false).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(t.app.today(), day("2020-03-06"));
    assert_eq!(t.audit_count("system.demo_clock").await, 2);
}

async fn only_a_demo_server_has_a_demo_day(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = t.browser("haixi_leader").await;
    let home = b.get("/").await;
    assert!(!home.text.contains("演示数据 · 当前日期") && !home.text.contains("/demo/day"));
    let before = t.app.today();
    let r = b.post("/demo/day", &[("day", "2020-02-27")], true).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert!(r.text.contains("演示服务器"), "{}", r.text);
    assert_eq!(t.app.today(), before);
    assert_eq!(t.audit_count("system.demo_clock").await, 0);
}

on_both_engines!(
    a_demo_server_opens_on_the_day_of_its_story,
    the_banner_moves_the_demo_day_and_goes_back,
    only_a_demo_server_has_a_demo_day,
);
