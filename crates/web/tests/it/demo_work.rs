//! The demo's day holds work for its field roles in its records, and a day shows nothing of
//! the days after it: the demo keeps its whole story (to 2020-03-13), but on a clock set to
//! the evening of 2020-02-27 a list or a count holds only what had happened by then.

use crate::common;

use axum::http::StatusCode;
use chrono::{DateTime, TimeZone, Utc};
use common::TestApp;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::{json, Value};

const GRID: &str = "632801001001001";

fn instant(v: &Value) -> DateTime<Utc> {
    serde_json::from_value(v.clone()).expect("an instant")
}

fn after_the_story() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 3, 14, 2, 0, 0)
        .single()
        .expect("valid")
}

async fn the_grid_worker_finds_work_waiting_on_the_demo_day(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.open_on_demo_day();
    let now = t.app.now();
    let gw = t.token("grid_worker").await;
    // The records: hand-overs waiting for the grid, and a case whose follow-up is due today.
    let waiting = t.get("/api/v1/handovers?which=pending", &gw).await.json();
    let waiting = waiting.as_array().expect("a list");
    assert!(!waiting.is_empty(), "hand-overs waiting");
    for h in waiting {
        assert!(instant(&h["passed_at"]) <= now, "{h}");
    }
    let mut b = t.browser("grid_worker").await;
    let home = b.page("/").await;
    let handover = waiting[0]["id"].as_i64().expect("id");
    assert!(
        home.text
            .contains(&format!("href=\"/handovers/{handover}\"")),
        "{}",
        home.text
    );
    assert!(!home.text.contains("没有待接收的交接"), "{}", home.text);
    assert!(home.text.contains("马永福"), "{}", home.text);
    // The follow-up due this evening.
    assert!(home.text.contains("冶秀兰"), "{}", home.text);
    let due = b.page("/monitoring/due").await;
    assert!(due.text.contains("冶秀兰"), "{}", due.text);
    // The checkpoint worker's day has its counts and the hand-overs it sent.
    let mut b = t.browser("checkpoint_worker").await;
    let sent = b.get("/handovers").await;
    assert!(sent.text.contains("马永福"), "{}", sent.text);
}

async fn later_records_are_not_shown_on_an_earlier_day(engine: Engine) {
    let t = TestApp::new(engine).await;
    let south = t.checkpoint("格尔木南出口").await;
    assert!(
        t.count(&format!(
            "SELECT COUNT(*) FROM passages WHERE checkpoint_id = {south} AND pass_date = '2020-02-28'"
        ))
        .await
            > 0
    );
    t.app.open_on_demo_day();
    let evening = t.app.now();
    let leader = t.token("haixi_leader").await;
    let op = t.token("golmud_operator").await;

    // Passages: none of the next day, and the latest is of the evening, not later.
    let path = format!("/api/v1/checkpoints/{south}/passages");
    let next_day = t.get_ok(&format!("{path}?date=2020-02-28"), &op).await;
    assert_eq!(next_day.json(), json!([]));
    let latest = t.get(&path, &op).await.json();
    let latest = latest.as_array().expect("a list");
    assert!(!latest.is_empty());
    for p in latest {
        assert!(instant(&p["passed_at"]) <= evening, "{p}");
    }
    let today = t.get(&format!("{path}?date=2020-02-27"), &op).await.json();
    let listed_today = today.as_array().map(Vec::len).unwrap_or(0) as i64;

    // A checkpoint's day counts: the passages of the day so far; none of the later days.
    let one = t
        .get(&format!("/api/v1/checkpoints/{south}?date=2020-02-27"), &op)
        .await
        .json();
    assert_eq!(
        one["counts"]["passages"].as_i64(),
        Some(listed_today),
        "{one}"
    );
    let later = t
        .get(
            "/api/v1/checkpoints/counts?from=2020-02-28&to=2020-03-13",
            &leader,
        )
        .await
        .json();
    assert_eq!(later["total"]["passages"], 0, "{later}");
    let one_later = t
        .get(&format!("/api/v1/checkpoints/{south}?date=2020-03-01"), &op)
        .await
        .json();
    assert_eq!(one_later["counts"]["passages"], 0, "{one_later}");

    // Tickets and the inbox: only what was raised and written by the evening.
    let tickets = t.get("/api/v1/tickets?limit=500", &leader).await.json();
    let tickets = tickets.as_array().expect("tickets").clone();
    for k in &tickets {
        assert!(instant(&k["raised_at"]) <= evening, "{k}");
    }
    let health = t.token("golmud_health").await;
    let inbox = t.get("/api/v1/inbox?limit=500", &health).await.json();
    let notices = inbox["notices"].as_array().expect("notices").clone();
    for n in &notices {
        assert!(instant(&n["created_at"]) <= evening, "{n}");
    }
    let dept_tickets = t.get("/api/v1/tickets?limit=500", &health).await.json();
    let dept_tickets = dept_tickets.as_array().map(Vec::len).unwrap_or(0);

    // The morning after the story, the same lists hold the later days.
    t.app.clock.set(Some(after_the_story()));
    let next_day = t.get(&format!("{path}?date=2020-02-28"), &op).await.json();
    assert!(!next_day.as_array().expect("a list").is_empty());
    let later = t
        .get(
            "/api/v1/checkpoints/counts?from=2020-02-28&to=2020-03-13",
            &leader,
        )
        .await
        .json();
    assert!(later["total"]["passages"].as_i64() > Some(0), "{later}");
    let all = t.get("/api/v1/tickets?limit=500", &leader).await.json();
    assert!(all.as_array().expect("tickets").len() > tickets.len());
    let inbox = t.get("/api/v1/inbox?limit=500", &health).await.json();
    assert!(inbox["notices"].as_array().expect("notices").len() > notices.len());
    let dept_all = t.get("/api/v1/tickets?limit=500", &health).await.json();
    assert!(dept_all.as_array().map(Vec::len).unwrap_or(0) > dept_tickets);
    let one = t
        .get(&format!("/api/v1/checkpoints/{south}?date=2020-02-27"), &op)
        .await
        .json();
    assert!(
        one["counts"]["passages"].as_i64() > Some(listed_today),
        "{one}"
    );
}

async fn the_checkpoint_workers_hand_overs_come_fifty_a_page(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = t.browser("checkpoint_worker").await;
    let first = b.page("/handovers").await;
    let items = |html: &str| html.matches("<li class=\"handover").count();
    assert_eq!(items(&first.text), 50, "{}", first.text);
    assert!(first.text.contains("下一页"), "{}", first.text);
    assert!(!first.text.contains("上一页"), "{}", first.text);
    let next = b.page("/handovers?which=sent&page=2").await;
    assert_eq!(items(&next.text), 50);
    assert!(next.text.contains("上一页"), "{}", next.text);
    // No hand-over is on both pages.
    let ids = |html: &str| -> Vec<String> {
        html.split("<li class=\"handover")
            .skip(1)
            .map(|s| s.chars().take(400).collect())
            .collect()
    };
    let (a, c) = (ids(&first.text), ids(&next.text));
    assert!(a.iter().all(|x| !c.contains(x)));
    // A page past the end is empty, and a bad page number is refused naming the field.
    let far = b.page("/handovers?which=sent&page=100000").await;
    assert_eq!(items(&far.text), 0);
    let bad = b.get("/handovers?which=sent&page=abc").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert!(bad.text.contains("页码"), "{}", bad.text);
}

async fn people_are_named_not_logged_in(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(
        Utc.with_ymd_and_hms(2020, 3, 20, 2, 0, 0)
            .single()
            .expect("valid"),
    ));
    let gw = t.token("grid_worker").await;
    // The grid report notice.
    let r = t
        .report_grid(
            GRID,
            &gw,
            json!({"report_date": "2020-03-19", "zero_report": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let mut b = t.browser("grid_worker").await;
    let page = b.page(&format!("/grids/{GRID}?date=2020-03-19")).await;
    let notice = page
        .text
        .split("id=\"filed\">")
        .nth(1)
        .and_then(|s| s.split("</p>").next())
        .expect("the filed notice")
        .to_string();
    assert!(notice.contains("博爱巷第一网格网格员"), "{notice}");
    assert!(!notice.contains("grid_worker"), "{notice}");
    // The ticket timeline.
    let r = t
        .post(
            "/api/v1/tickets",
            &gw,
            json!({"kind": "emergency", "category": "epidemic", "title": "发热人员需转运",
                   "description": "入户摸排发现发热人员一名，需转运", "jurisdiction_code": GRID,
                   "address": "博爱巷 12 号"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json()["ticket"]["id"].as_i64().expect("id");
    let health = t.token("golmud_health").await;
    let r = t
        .accept_ticket(id, &health, json!({"note": "已派员赶赴现场"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let page = b.page(&format!("/tickets/{id}")).await;
    let timeline = page
        .text
        .split("id=\"timeline\">")
        .nth(1)
        .and_then(|s| s.split("</ul>").next())
        .expect("the timeline")
        .to_string();
    assert!(timeline.contains("博爱巷第一网格网格员"), "{timeline}");
    assert!(timeline.contains("格尔木市卫健委响应人"), "{timeline}");
    for login in ["grid_worker", "golmud_health"] {
        assert!(!timeline.contains(login), "{timeline}");
    }
}

on_both_engines!(
    the_grid_worker_finds_work_waiting_on_the_demo_day,
    later_records_are_not_shown_on_an_earlier_day,
    the_checkpoint_workers_hand_overs_come_fifty_a_page,
    people_are_named_not_logged_in,
);
