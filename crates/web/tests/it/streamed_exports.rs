//! Exports of long lists are written as they are read, batch by batch, and hold every row:
//! with batches of 50, an export of 120 people holds the 120, each once, in the list's order
//! (place, then id), masked; the enterprise registry, several batches long, likewise; the
//! outbound notices of many days, read a day at a time, all of them in time order.

use crate::common::{id_number, TestApp};
use axum::http::StatusCode;
use dualtrack_testkit::{demo_db, on_both_engines, Engine};
use dualtrack_web::{AppState, WebConfig};
use serde_json::json;

/// Rows per batch in these tests.
const BATCH: usize = 50;

async fn app_in_batches(engine: Engine) -> TestApp {
    let db = demo_db(engine).await;
    let app = db.app().with_export_batch(BATCH);
    let router = dualtrack_web::router(AppState::new(app.clone(), WebConfig::default()));
    TestApp { app, router, db }
}

async fn an_export_longer_than_a_batch_holds_every_row_once_in_order(engine: Engine) {
    let t = app_in_batches(engine).await;
    let op = t.token("golmud_operator").await;
    // Two places, taken in turn: the export lists the county's people first (its code sorts
    // first), then the grid's, each by id.
    let mut ids = Vec::new();
    for i in 1..=120 {
        let place = if i % 2 == 0 { "632801" } else { "632801001001" };
        let id = id_number(&format!("63280119800101{i:03}"));
        let r = t
            .post(
                "/api/v1/people",
                &op,
                json!({"name": format!("流式{i:03}"), "id_number": id, "political_status": "party_member",
                       "categories": ["medical"], "jurisdiction_code": place}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        ids.push((place, format!("流式{i:03}"), id));
    }
    let expected: Vec<(&str, String)> = ids
        .iter()
        .filter(|(p, _, _)| *p == "632801")
        .chain(ids.iter().filter(|(p, _, _)| *p != "632801"))
        .map(|(p, n, _)| (*p, n.clone()))
        .collect();
    let before = t.audit_count("export").await;
    let sheet = t
        .sheet(&op, "/api/v1/people/export.xlsx?name=%E6%B5%81%E5%BC%8F")
        .await;
    let got: Vec<(&str, String)> = sheet
        .rows
        .iter()
        .map(|(_, r)| {
            let place = if r[5] == "632801" {
                "632801"
            } else {
                "632801001001"
            };
            (place, r[0].clone())
        })
        .collect();
    assert_eq!(got.len(), 120, "every row, though the batches hold {BATCH}");
    assert_eq!(got, expected, "each once, in the list's order");
    for ((_, r), (_, _, id)) in sheet.rows.iter().zip(ids.iter()) {
        assert!(r[1].contains("********"), "masked: {r:?}");
        assert_ne!(&r[1], id);
    }
    assert_eq!(t.audit_count("export").await, before + 1);
    let detail = t
        .count("SELECT COUNT(*) FROM audit_log WHERE detail LIKE '导出人员 120 人%'")
        .await;
    assert_eq!(detail, 1, "the audit row counts what was written");

    // The registry of enterprises: more than three batches, each enterprise once.
    let leader = t.token("haixi_leader").await;
    let sheet = t.sheet(&leader, "/api/v1/enterprises/export.xlsx").await;
    let total = t
        .count("SELECT COUNT(*) FROM enterprises WHERE jurisdiction_code LIKE '6328%'")
        .await;
    assert!(total > 3 * BATCH as i64, "{total} enterprises in the demo");
    assert_eq!(sheet.rows.len() as i64, total);
    let mut seen: Vec<i64> = sheet
        .rows
        .iter()
        .map(|(_, r)| r[0].parse().expect("an enterprise id"))
        .collect();
    let in_order: Vec<(String, i64)> = sheet
        .rows
        .iter()
        .map(|(_, r)| (r[3].clone(), r[0].parse().expect("id")))
        .collect();
    let mut sorted = in_order.clone();
    sorted.sort();
    assert_eq!(in_order, sorted, "in the order of place and id");
    seen.dedup();
    assert_eq!(seen.len() as i64, total, "each once");
}

/// The outbound notices of many days, read a day and a batch at a time: every traveller the
/// list shows, each once, in its order, masked; the audit row counts them. (The export used
/// to be cut without a word at 50,000 rows.)
async fn outbound_notices_of_many_days_come_whole(engine: Engine) {
    let t = app_in_batches(engine).await;
    let op = t.token("golmud_operator").await;
    let days = "from=2020-01-25&to=2020-03-20";
    let list = t
        .get_json(&format!("/api/v1/outbound-notices?{days}"), &op)
        .await;
    let list = list.as_array().expect("a list");
    let listed: Vec<(String, String, String)> = list
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            (s("name"), s("id_number"), s("destination"))
        })
        .collect();
    let on_days: std::collections::BTreeSet<String> = list
        .iter()
        .map(|r| r["passed_at"].as_str().unwrap_or_default()[..10].to_string())
        .collect();
    assert!(
        listed.len() > 2 * BATCH && on_days.len() > 2,
        "{} travellers on {} days in the demo",
        listed.len(),
        on_days.len()
    );
    let before = t.audit_count("export").await;
    let sheet = t
        .sheet(&op, &format!("/api/v1/outbound-notices/export.xlsx?{days}"))
        .await;
    let exported: Vec<(String, String, String)> = sheet
        .rows
        .iter()
        .map(|(_, r)| (r[3].clone(), r[4].clone(), r[9].clone()))
        .collect();
    assert_eq!(
        exported.len(),
        listed.len(),
        "every row, though the batches hold {BATCH}"
    );
    assert_eq!(exported, listed, "each once, in the list's order");
    assert!(
        exported.iter().all(|(_, id, _)| id.contains("****")),
        "masked"
    );
    assert_eq!(t.audit_count("export").await, before + 1);
    let detail = t
        .count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE detail = '导出外出通报 {} 条'",
            listed.len()
        ))
        .await;
    assert_eq!(detail, 1, "the audit row counts what was written");
    // Another county's operator gets none of them.
    let sibling = t.token("delingha_operator").await;
    let theirs = t
        .sheet(
            &sibling,
            &format!("/api/v1/outbound-notices/export.xlsx?{days}"),
        )
        .await;
    assert!(theirs
        .rows
        .iter()
        .all(|(_, r)| !listed.iter().any(|(n, id, _)| &r[3] == n && &r[4] == id)));
}

on_both_engines!(
    an_export_longer_than_a_batch_holds_every_row_once_in_order,
    outbound_notices_of_many_days_come_whole
);
