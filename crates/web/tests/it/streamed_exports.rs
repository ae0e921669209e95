//! Exports of long lists are written as they are read, batch by batch, and hold every row:
//! with batches of 50, an export of 120 people holds the 120, each once, in the list's order
//! (place, then id), masked; the enterprise registry, several batches long, likewise.

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

on_both_engines!(an_export_longer_than_a_batch_holds_every_row_once_in_order);
