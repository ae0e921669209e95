//! The audit log: every write and login recorded in the same transaction, read only by
//! auditors, and append-only.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::json;

/// The code the next grid under 博爱巷 (632801001001) will get.
async fn next_grid(t: &TestApp) -> String {
    let last = t
        .count("SELECT CAST(MAX(code) AS BIGINT) FROM jurisdictions WHERE parent_code = '632801001001'")
        .await;
    (last + 1).to_string()
}

async fn auditors_filter_the_log(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let next = next_grid(&t).await;
    t.post(
        "/api/v1/jurisdictions/632801001001/grids",
        &op,
        json!({"name": "审计测试网格"}),
    )
    .await;
    t.call(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(json!({"username": "golmud_operator", "password": "Nope#2020xx"})),
    )
    .await;
    let aud = t.token("auditor").await;
    let rows = t.get("/api/v1/audit?action=grid.create", &aud).await.json();
    let row = rows
        .as_array()
        .and_then(|a| a.first())
        .cloned()
        .expect("a grid.create row");
    assert_eq!(row["username"], "golmud_operator");
    assert_eq!(row["roles"], "operator");
    assert_eq!(row["action_name"], "新建网格");
    assert_eq!(row["target_id"], next.as_str());
    assert_eq!(row["jurisdiction_code"], next.as_str());
    assert_eq!(row["outcome"], "success");
    assert_eq!(row["detail"], "审计测试网格");
    let failed = t
        .get(
            "/api/v1/audit?username=golmud_operator&outcome=failure",
            &aud,
        )
        .await
        .json();
    assert_eq!(failed.as_array().map(|a| a.len()), Some(1), "{failed}");
    assert!(failed[0]["detail"]
        .as_str()
        .unwrap_or("")
        .contains("密码错误"));
    // Dates are reporting days; bad filters are named.
    let today = dualtrack_domain::time::reporting_day(dualtrack_service::clock::wall()).to_string();
    let r = t
        .get(
            &format!("/api/v1/audit?from={today}&to={today}&action=auth.login"),
            &aud,
        )
        .await;
    assert!(r.json().as_array().map(|a| a.len()).unwrap_or(0) >= 2);
    let r = t.get("/api/v1/audit?from=2020-13-01", &aud).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["error"]["fields"]["from"].is_string());
    let r = t.get("/api/v1/audit?action=user.delete", &aud).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = t.get("/api/v1/audit?page=0", &aud).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn the_log_cannot_be_changed(engine: Engine) {
    let t = TestApp::new(engine).await;
    let n = t.count("SELECT COUNT(*) FROM audit_log").await;
    assert!(n > 0);
    let upd = dualtrack_store::on_db!(&t.db.db, p => sqlx::query("UPDATE audit_log SET outcome = 'success'").execute(p).await.map(|r| r.rows_affected()));
    assert!(upd.is_err(), "updates are refused");
    let del = dualtrack_store::on_db!(&t.db.db, p => sqlx::query("DELETE FROM audit_log").execute(p).await.map(|r| r.rows_affected()));
    assert!(del.is_err(), "deletes are refused");
    assert_eq!(t.count("SELECT COUNT(*) FROM audit_log").await, n);
    // And no route of the product changes it.
    let doc = serde_json::to_value(dualtrack_web::openapi()).expect("openapi");
    let audit_ops = doc["paths"]["/api/v1/audit"]
        .as_object()
        .expect("audit path");
    assert_eq!(audit_ops.keys().collect::<Vec<_>>(), vec!["get"]);
}

async fn a_failed_write_leaves_no_audit_row_and_no_record(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let before = t
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'grid.create'")
        .await;
    // A database fault in the middle of the write: the grid row would clash with a code
    // that is taken, after the audit row was prepared. Simulate by taking the next code.
    let next = next_grid(&t).await;
    dualtrack_store::on_db!(&t.db.db, p => sqlx::query(
        "INSERT INTO jurisdictions (code, name, level, parent_code) VALUES ($1, '占位', 6, NULL)")
        .bind(&next).execute(p).await.expect("insert").rows_affected());
    let r = t
        .post(
            "/api/v1/jurisdictions/632801001001/grids",
            &op,
            json!({"name": "冲突网格"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM audit_log WHERE action = 'grid.create'")
            .await,
        before
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM jurisdictions WHERE name = '冲突网格'")
            .await,
        0
    );
}

on_both_engines!(
    auditors_filter_the_log,
    the_log_cannot_be_changed,
    a_failed_write_leaves_no_audit_row_and_no_record
);
