//! The audit log's hash chain: rows sealed with HMAC-SM3 under a key outside the database;
//! a row changed or removed after its seal, or a chain cut short and sealed again, is named.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use dualtrack_service::audit_chain::AuditKey;
use dualtrack_testkit::{on_both_engines, Engine};
use dualtrack_web::{AppState, WebConfig};
use serde_json::json;

/// The demo's application with a chain key (`key`), its router rebuilt on it.
pub(crate) async fn keyed(engine: Engine, key: AuditKey) -> TestApp {
    let t = TestApp::new(engine).await;
    let app = t.app.clone().with_audit_key(key);
    let router = dualtrack_web::router(AppState::new(app.clone(), WebConfig::default()));
    TestApp {
        app,
        router,
        db: t.db,
    }
}

pub(crate) async fn exec(t: &TestApp, sql: &str) {
    dualtrack_store::on_db!(&t.db.db, p => sqlx::query(sql).execute(p).await.map(|_| ()))
        .expect("statement");
}

/// Where the chain breaks (it must).
pub(crate) async fn first_break(t: &TestApp) -> dualtrack_service::audit_chain::ChainBreak {
    t.app
        .check_audit_chain()
        .await
        .expect("check")
        .broken
        .expect("broken")
}

/// Lets the test change the log as someone with the database alone could.
async fn lift_append_only(t: &TestApp) {
    let stmts: &[&str] = match t.db.db.engine() {
        dualtrack_store::Engine::Sqlite => &[
            "DROP TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_delete",
            "DROP TRIGGER audit_seals_no_update",
            "DROP TRIGGER audit_seals_no_delete",
        ],
        dualtrack_store::Engine::Postgres => &[
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
            "ALTER TABLE audit_seals DISABLE TRIGGER audit_seals_no_change",
        ],
    };
    for s in stmts {
        exec(t, s).await;
    }
}

async fn every_row_is_sealed_and_a_changed_one_is_named(engine: Engine) {
    let t = keyed(engine, AuditKey::from_bytes([7; 32])).await;
    let op = t.token("golmud_operator").await;
    let aud = t.token("auditor").await;
    let sealed = t.app.seal_audit().await.expect("seal");
    let rows = t.count("SELECT COUNT(*) FROM audit_log").await;
    assert!(sealed > 0);
    assert_eq!(sealed as i64, rows, "every row sealed");
    // Rows written after a round are sealed by the next, after those before them.
    t.post(
        "/api/v1/jurisdictions/632801001001/grids",
        &op,
        json!({"name": "封存测试网格"}),
    )
    .await;
    let more = t.app.seal_audit().await.expect("seal");
    assert!(more >= 1);
    assert_eq!(t.app.seal_audit().await.expect("seal"), 0, "nothing twice");
    let check = t.app.check_audit_chain().await.expect("check");
    assert!(check.intact(), "{}", check.summary());
    assert_eq!(
        check.sealed,
        t.count("SELECT COUNT(*) FROM audit_log").await
    );

    // Auditors read the chain's state; others may not.
    let r = t.get_ok("/api/v1/audit/chain", &aud).await;
    assert!(r.json()["broken"].is_null(), "{}", r.text);
    let r = t.get("/api/v1/audit/chain", &op).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // One row in the middle changed directly in the database.
    let victim = t
        .count("SELECT audit_id FROM audit_seals WHERE seq = 5")
        .await;
    lift_append_only(&t).await;
    exec(
        &t,
        &format!("UPDATE audit_log SET detail = detail || '（改）' WHERE id = {victim}"),
    )
    .await;
    let check = t.app.check_audit_chain().await.expect("check");
    let b = check.broken.clone().expect("the chain breaks");
    assert_eq!(b.seq, 5);
    assert_eq!(b.audit_id, Some(victim));
    assert!(b.reason.contains(&format!("#{victim}")), "{}", b.reason);
    assert_eq!(check.sealed, 4);
    let mut b = t.browser("auditor").await;
    let page = b.get("/audit/chain").await.text;
    assert!(page.contains("审计链断裂"), "{page}");
    assert!(page.contains(&format!("审计记录 #{victim}")), "{page}");
}

async fn a_removed_row_or_seal_breaks_the_chain(engine: Engine) {
    let t = keyed(engine, AuditKey::from_bytes([9; 32])).await;
    t.app.seal_audit().await.expect("seal");
    lift_append_only(&t).await;
    let victim = t
        .count("SELECT audit_id FROM audit_seals WHERE seq = 3")
        .await;
    exec(&t, &format!("DELETE FROM audit_log WHERE id = {victim}")).await;
    let b = first_break(&t).await;
    assert_eq!((b.seq, b.audit_id), (3, Some(victim)));
    assert!(b.reason.contains("删除"), "{}", b.reason);

    // A seal removed from the middle.
    exec(&t, "DELETE FROM audit_seals WHERE seq = 2").await;
    let b = first_break(&t).await;
    assert_eq!((b.seq, b.audit_id), (2, None));
}

async fn a_chain_cut_short_and_sealed_again_is_caught(engine: Engine) {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("audit.key");
    let key = AuditKey::load(&path, true).expect("key made");
    let again = AuditKey::load(&path, false).expect("key read");
    assert_eq!(key.id(), again.id(), "the file holds the key");
    let t = keyed(engine, key).await;
    t.app.seal_audit().await.expect("seal");
    assert!(t.app.check_audit_chain().await.expect("check").intact());
    // Someone with the database but not the key changes a row, removes the seals from it
    // on, and lets the sealer seal the changed rows again.
    let last = t.count("SELECT MAX(seq) FROM audit_seals").await;
    let from = last - 2;
    let victim = t
        .count(&format!(
            "SELECT audit_id FROM audit_seals WHERE seq = {from}"
        ))
        .await;
    lift_append_only(&t).await;
    exec(
        &t,
        &format!("UPDATE audit_log SET detail = detail || '（改）' WHERE id = {victim}"),
    )
    .await;
    exec(&t, &format!("DELETE FROM audit_seals WHERE seq >= {from}")).await;
    let refused = t
        .app
        .seal_audit()
        .await
        .expect_err("the sealer will not cover it up");
    assert!(refused.to_string().contains("链头"), "{refused}");
    let b = t
        .app
        .check_audit_chain()
        .await
        .expect("check")
        .broken
        .expect("the recorded head no longer matches");
    assert_eq!(b.seq, from, "{}", b.reason);
    assert!(b.reason.contains("链尾被删除"), "{}", b.reason);

    // The same key on a new database (the demo started again): a chain of its own, sealed
    // and checked without complaint.
    let fresh = keyed(engine, AuditKey::load(&path, false).expect("key")).await;
    let head = dir.path().join("audit.key.head");
    std::fs::write(&head, "999999 aa bb\n").expect("another chain's head");
    assert!(fresh.app.seal_audit().await.expect("a new chain is sealed") > 0);
    let check = fresh.app.check_audit_chain().await.expect("check");
    assert!(check.intact(), "{}", check.summary());
    let recorded = std::fs::read_to_string(&head).expect("head");
    assert!(
        !recorded.starts_with("999999"),
        "the new chain's head replaced it"
    );

    // A key file that is not a key is refused with its reason.
    std::fs::write(&path, "not a key").expect("write");
    let e = AuditKey::load(&path, true).expect_err("refused");
    assert!(e.contains("64 个十六进制字符"), "{e}");
}

on_both_engines!(
    every_row_is_sealed_and_a_changed_one_is_named,
    a_removed_row_or_seal_breaks_the_chain,
    a_chain_cut_short_and_sealed_again_is_caught
);
