//! Pages show times as an office writes them (to the minute, deadlines said against the
//! day), never a machine's timestamp.

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

async fn no_page_shows_a_machine_time(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.open_on_demo_day();
    t.app.make_demo_day_work().await.expect("the day's work");
    let mut l = t.browser("liaison").await;
    let home = l.get("/").await;
    assert!(home.text.contains("id=\"task-enterprise-reports\""), "{}", home.text);
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
    no_page_shows_a_machine_time,
);
