//! The phone's time as the event time of records sent from its outbox after a time without
//! signal: a hand-over acknowledged counts as acknowledged when the phone did it (on time
//! though it reached the server late), a stock issue counts in the day it was made (its
//! balance and closing of that day), a person screened counts in the day of screening. The
//! server's own time is kept beside it.

use crate::common::*;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, NaiveDate, SubsecRound, Utc};
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::{json, Value};

const GRID: &str = "632801001001001";

/// The reporting day (China Standard Time) of an instant.
fn day_of(at: DateTime<Utc>) -> NaiveDate {
    (at + Duration::hours(8)).date_naive()
}

fn time_at(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or(""))
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(|_| panic!("a time: {v}"))
}

async fn a_late_acknowledgement_counts_when_the_phone_made_it(engine: Engine) {
    let t = TestApp::new(engine).await;
    let now = t.app.clock.now();
    // A hand-over made 30 hours ago, due two hours later.
    let made = now - Duration::hours(30);
    t.app.clock.set(Some(made));
    let worker = t.token("checkpoint_worker").await;
    let south = t.checkpoint("格尔木南出口").await;
    let r = t
        .register_passage(
            south,
            &worker,
            json!({"plate": "青H34567", "vehicle_class": "car", "origin": "青海省西宁市",
                "travel_history": "西宁市城东区", "destination": GRID, "reason": "返岗复工",
                "travellers": [{"name": "韩建业", "id_number": id_number("63280119800101004"),
                    "temperature": 36.5, "outcome": "through"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json()["travellers"][0]["handover_id"]
        .as_i64()
        .expect("a hand-over to the grid");
    t.app.clock.set(Some(now));

    // Acknowledged on the phone an hour after it was made (within its two hours), with no
    // signal; received by the server 29 hours later.
    let acked = (made + Duration::hours(1)).trunc_subsecs(0);
    let grid = t.token("grid_worker").await;
    let figures = format!(
        "/api/v1/handovers/figures?date={}&place={GRID}",
        day_of(made)
    );
    let before = t.get_json(&figures, &grid).await["total"].clone();
    let r = t
        .post(
            &format!("/api/v1/handovers/{id}/acknowledge"),
            &grid,
            json!({"measure": "none", "note": "已到家", "made_at": acked.to_rfc3339()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(time_at(&r.json()["handover"]["acknowledged_at"]), acked);
    let shown = t.get_json(&format!("/api/v1/handovers/{id}"), &grid).await;
    assert_eq!(time_at(&shown["handover"]["acknowledged_at"]), acked);
    // Counted as acknowledged on time.
    let after = t.get_json(&figures, &grid).await["total"].clone();
    let n = |v: &Value, k: &str| v[k].as_i64().unwrap_or(-1);
    assert_eq!(n(&after, "acknowledged"), n(&before, "acknowledged") + 1);
    assert_eq!(
        n(&after, "acknowledged_late"),
        n(&before, "acknowledged_late"),
        "{after}"
    );
    // The server's time of receiving it kept beside.
    let kept = format!(
        "SELECT COUNT(*) FROM handovers WHERE id = {id} AND acknowledged_made_at = acknowledged_at \
         AND acknowledged_received_at > acknowledged_at"
    );
    assert_eq!(t.count(&kept).await, 1);

    // A phone time before the hand-over was made (a clock wrong on the phone): the time it
    // was made, never earlier.
    let r = t
        .register_passage(
            south,
            &worker,
            json!({"plate": "青H34568", "vehicle_class": "car", "origin": "青海省西宁市",
                "travel_history": "西宁市城东区", "destination": GRID, "reason": "返岗复工",
                "travellers": [{"name": "韩建设", "id_number": id_number("63280119800101005"),
                    "temperature": 36.5, "outcome": "through"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let second = r.json()["travellers"][0]["handover_id"]
        .as_i64()
        .expect("a hand-over to the grid");
    let r = t
        .post(
            &format!("/api/v1/handovers/{second}/acknowledge"),
            &grid,
            json!({"measure": "none", "made_at": (now - Duration::hours(5)).to_rfc3339()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let h = &r.json()["handover"];
    assert_eq!(time_at(&h["acknowledged_at"]), time_at(&h["made_at"]));
}

/// The closing of a store's item as of a day, and the quantity out on that day.
async fn stock_day(t: &TestApp, store: i64, item: i64, day: NaiveDate) -> (i64, i64) {
    let pair = format!("store_id = {store} AND item_id = {item}");
    let closing = format!(
        "SELECT COALESCE((SELECT closing FROM stock_days WHERE {pair} AND day <= '{day}' \
         ORDER BY day DESC LIMIT 1), 0)"
    );
    let out =
        format!("SELECT COALESCE(MAX(qty_out), 0) FROM stock_days WHERE {pair} AND day = '{day}'");
    (t.count(&closing).await, t.count(&out).await)
}

async fn a_stock_issue_counts_in_the_day_it_was_made(engine: Engine) {
    let t = TestApp::new(engine).await;
    let now = t.app.clock.now();
    let store = t
        .count("SELECT MIN(id) FROM supply_stores WHERE kind = 'county' AND jurisdiction_code = '632801'")
        .await;
    let mask = t
        .count("SELECT id FROM supply_items WHERE name = '一次性医用外科口罩'")
        .await;
    let op = t.token("golmud_operator").await;
    let path = format!("/api/v1/supplies/stores/{store}/movements");
    let received = now - Duration::hours(50);
    let issued = now - Duration::hours(26);
    let (before, out_before) = stock_day(&t, store, mask, day_of(issued)).await;
    // Received and issued with no signal, each on its own day, sent today with no day
    // given: each counts in the day the phone made it.
    for (kind, at, counterparty, key) in [
        (
            "receipt",
            received,
            "省卫健委调拨",
            "1b2c3d4e-phone-day-receipt",
        ),
        (
            "issue",
            issued,
            "格尔木南出口卡口",
            "1b2c3d4e-phone-day-issue",
        ),
    ] {
        let r = t
            .send(keyed_post(
                &path,
                &op,
                Some(key),
                &json!({"kind": kind, "item_id": mask, "quantity": 40, "counterparty": counterparty,
                    "made_at": at.to_rfc3339()}),
            ))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(
            r.json()["movement"]["moved_on"],
            day_of(at).to_string(),
            "{}",
            r.text
        );
    }
    let (after, out_after) = stock_day(&t, store, mask, day_of(issued)).await;
    assert_eq!(out_after - out_before, 40, "the issue in its own day");
    // The receipt on the day before and the issue leave that day's closing as it was.
    assert!(day_of(received) < day_of(issued));
    assert_eq!(after, before);
    // Given a day, the day given.
    let r = t
        .send(keyed_post(
            &path,
            &op,
            Some("1b2c3d4e-phone-day-given"),
            &json!({"kind": "receipt", "item_id": mask, "quantity": 1, "counterparty": "捐赠",
                "moved_on": day_of(now).to_string(), "made_at": issued.to_rfc3339()}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["movement"]["moved_on"], day_of(now).to_string());
}

async fn a_screening_counts_in_the_day_it_was_made(engine: Engine) {
    let t = TestApp::new(engine).await;
    let now = t.app.clock.now();
    let household = t
        .count(&format!(
            "SELECT MIN(id) FROM households WHERE grid_code = '{GRID}'"
        ))
        .await;
    let grid = t.token("grid_worker").await;
    let made = now - Duration::hours(26);
    let day = day_of(made);
    let on_day = format!(
        "SELECT COUNT(*) FROM screened_persons WHERE grid_code = '{GRID}' AND screened_on = '{day}'"
    );
    let before = t.count(&on_day).await;
    let r = t
        .send(keyed_post(
            &format!("/api/v1/households/{household}/persons"),
            &grid,
            Some("1b2c3d4e-phone-day-screening"),
            &json!({"name": "赵六", "id_number": id_number("63280119800101006"), "kind": "resident",
                "screened_on": "", "made_at": made.to_rfc3339()}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["screened_on"], day.to_string(), "{}", r.text);
    assert_eq!(t.count(&on_day).await, before + 1);
    // With neither a day nor a phone time: refused naming the day.
    let r = t
        .send(keyed_post(
            &format!("/api/v1/households/{household}/persons"),
            &grid,
            Some("1b2c3d4e-phone-day-screening-none"),
            &json!({"name": "赵七", "id_number": id_number("63280119800101007"), "kind": "resident",
                "screened_on": ""}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.json()["error"]["fields"]["screened_on"].is_string(),
        "{}",
        r.text
    );
}

on_both_engines!(
    a_late_acknowledgement_counts_when_the_phone_made_it,
    a_stock_issue_counts_in_the_day_it_was_made,
    a_screening_counts_in_the_day_it_was_made,
);
