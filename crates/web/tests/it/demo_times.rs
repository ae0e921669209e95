//! Times on a demo server: what is done while its clock is set is recorded on the demo's
//! day, and pages show times as an office writes them (to the minute, deadlines said
//! against the day), never a machine's timestamp.

use crate::common;

use common::TestApp;
use dualtrack_testkit::{on_both_engines, Engine};
use regex::Regex;

/// What a page must not show: a time to the second, or an RFC 3339 / UTC timestamp.
fn machine_times(html: &str) -> Vec<String> {
    let seconds = Regex::new(r"\b\d{1,2}:\d{2}:\d{2}\b").expect("pattern");
    let stamp = Regex::new(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\bUTC\b").expect("pattern");
    seconds
        .find_iter(html)
        .chain(stamp.find_iter(html))
        .map(|m| html[m.start().saturating_sub(60)..m.end()].to_string())
        .collect()
}

async fn an_action_on_a_demo_server_is_recorded_on_the_demo_day(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.open_on_demo_day();
    // A grid worker moves the day on the banner: the move is recorded on the day it was
    // made from, the next sign-in on the day moved to.
    let mut b = t.browser("grid_worker").await;
    b.get("/").await;
    let r = b.submit("/demo/day", &[("day", "2020-03-05")]).await;
    assert_eq!(r.status, axum::http::StatusCode::SEE_OTHER, "{}", r.text);
    let aud = t.token("auditor").await;
    let at_of = |v: &serde_json::Value| v[0]["at"].as_str().unwrap_or_default().to_string();
    let moved = t
        .get_json("/api/v1/audit?action=system.demo_clock", &aud)
        .await;
    assert!(at_of(&moved).starts_with("2020-02-27T12:"), "{moved}");
    let login = t.get_json("/api/v1/audit?action=auth.login", &aud).await;
    assert!(at_of(&login).starts_with("2020-03-05T12:"), "{login}");
    // The auditor's page shows them on those days, by the filter of the demo's dates.
    let mut a = t.browser("auditor").await;
    let page = a.get("/audit?from=2020-02-27&to=2020-02-27").await;
    assert!(page.text.contains("2020-02-27 20:"), "{}", page.text);
    assert!(page.text.contains("演示日期"), "{}", page.text);
    let home = a.get("/").await;
    assert!(home.text.contains("03-05 20:"), "{}", home.text);
    // Accounts' times run on the real clock, and their columns say so.
    let me = a.get("/me").await;
    assert!(me.text.contains("最近使用（实际时间）"), "{}", me.text);
}

async fn no_page_shows_a_machine_time(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.open_on_demo_day();
    t.app.make_demo_day_work().await.expect("the day's work");
    let mut l = t.browser("liaison").await;
    let home = l.get("/").await;
    assert!(
        home.text.contains("id=\"task-enterprise-reports\""),
        "{}",
        home.text
    );
    // Today's reports are due at noon tomorrow.
    assert!(home.text.contains("明天 12:00 前报送"), "{}", home.text);
    assert_eq!(machine_times(&home.text), Vec::<String>::new());
    let mut a = t.browser("auditor").await;
    for path in ["/", "/audit"] {
        let page = a.get(path).await;
        assert_eq!(machine_times(&page.text), Vec::<String>::new(), "{path}");
    }
    let mut o = t.browser("golmud_operator").await;
    let home = o.get("/").await;
    assert!(home.text.contains(" 前报送"), "{}", home.text);
    assert_eq!(machine_times(&home.text), Vec::<String>::new());
}

on_both_engines!(
    an_action_on_a_demo_server_is_recorded_on_the_demo_day,
    no_page_shows_a_machine_time,
);
