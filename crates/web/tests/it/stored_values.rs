//! Values read from the database are read as what they stand for: one the product does not
//! know (written by hand, or by a version that has since dropped it) is a storage error
//! (5xx `storage`, the details in the log), not a record shown with a value made up for it.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use dualtrack_testkit::{on_both_engines, Engine};

async fn execute(t: &TestApp, sql: &str) {
    dualtrack_store::on_db!(&t.db.db, p => sqlx::query(sql).execute(p).await.expect("update").rows_affected());
}

async fn an_unknown_ticket_status_is_a_storage_error(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "haixi_leader").await;
    let id = t.count("SELECT MAX(id) FROM tickets").await;
    let path = format!("/api/v1/tickets/{id}");
    let _r = t.get_ok(&path, &tok).await;

    execute(
        &t,
        &format!("UPDATE tickets SET status = 'mislaid' WHERE id = {id}"),
    )
    .await;
    for path in [path.as_str(), "/api/v1/tickets"] {
        let r = t.get(path, &tok).await;
        assert_eq!(
            r.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{path}: {}",
            r.text
        );
        assert_eq!(r.json()["error"]["code"], "storage", "{path}: {}", r.text);
        assert!(!r.text.contains("mislaid"), "{path}: {}", r.text);
    }
}

async fn an_unknown_item_kind_is_a_storage_error(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "haixi_leader").await;
    let _r = t.get_ok("/api/v1/supplies/items", &tok).await;

    execute(
        &t,
        "UPDATE supply_items SET kind = 'unobtainium' WHERE id = (SELECT MAX(id) FROM supply_items)",
    )
    .await;
    let r = t.get("/api/v1/supplies/items", &tok).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.text);
    assert_eq!(r.json()["error"]["code"], "storage", "{}", r.text);
}

on_both_engines!(
    an_unknown_ticket_status_is_a_storage_error,
    an_unknown_item_kind_is_a_storage_error,
);
