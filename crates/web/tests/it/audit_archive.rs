//! Retention of the audit log: rows past it leave the database only through a signed
//! archive file, the chain going on across the cut; and forwarding to a syslog server.

use crate::audit_chain::{exec, first_break, keyed};
use crate::common::{Browser, TestApp};
use axum::http::StatusCode;
use dualtrack_service::audit_archive::verify_file;
use dualtrack_service::audit_chain::AuditKey;
use dualtrack_service::syslog::Forwarder;
use dualtrack_service::Actor;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::json;
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;
use tokio::io::AsyncReadExt;

const KEY: [u8; 32] = [5; 32];

async fn try_exec(t: &TestApp, sql: &str) -> Result<u64, sqlx::Error> {
    dualtrack_store::on_db!(&t.db.db, p => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()))
}

async fn grid(t: &TestApp, op: &str, name: &str) {
    let r = t
        .post(
            "/api/v1/jurisdictions/632801001001/grids",
            op,
            json!({ "name": name }),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
}

fn lines(path: &Path) -> Vec<String> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).expect("file"))
        .read_to_string(&mut text)
        .expect("gzip");
    text.lines().map(String::from).collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(path).expect("file"),
        Default::default(),
    );
    for l in lines {
        gz.write_all(l.as_bytes()).expect("write");
        gz.write_all(b"\n").expect("write");
    }
    gz.finish().expect("gzip");
}

async fn only_old_sealed_rows_are_archived_and_the_chain_goes_on(engine: Engine) {
    let dir = tempfile::tempdir().expect("dir");
    let t = keyed(engine, AuditKey::from_bytes(KEY)).await;
    let cli = Actor::cli();
    let op = t.token("golmud_operator").await;
    t.app.seal_audit().await.expect("seal");
    let old = t.count("SELECT COUNT(*) FROM audit_seals").await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let cutoff = dualtrack_service::clock::wall();
    tokio::time::sleep(Duration::from_millis(20)).await;
    // A row written after the cut-off and sealed, and an old one not sealed yet.
    grid(&t, &op, "归档后网格").await;
    t.app.seal_audit().await.expect("seal");
    let mut tx = t.db.db.begin().await.expect("tx");
    let mut row = Actor::cli().audit(
        dualtrack_domain::audit::Action::Backup,
        dualtrack_domain::audit::Outcome::Success,
        "数据库",
        "未封存的旧记录",
        None,
        String::new(),
    );
    row.at = cutoff - chrono::Duration::days(400);
    let unsealed = dualtrack_store::audit::insert(&mut tx, &row)
        .await
        .expect("insert");
    tx.commit().await.expect("commit");

    // Nothing is past the configured retention (at least 180 days).
    let none = t.app.archive_audit(&cli, dir.path()).await.expect("run");
    assert_eq!((none.rows, none.file.is_none()), (0, true));

    let r = t
        .app
        .archive_audit_before(&cli, dir.path(), cutoff)
        .await
        .expect("archived");
    assert_eq!(r.rows as i64, old, "the sealed rows before the cut-off");
    assert_eq!((r.first_seq, r.last_seq), (1, old));
    let file = r.file.clone().expect("a file");
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        1,
        "one file, no leftovers"
    );
    let c = verify_file(&AuditKey::from_bytes(KEY), &file).expect("the file verifies");
    assert_eq!((c.rows, c.last_seq), (old, old));
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM audit_seals WHERE seq <= {old}"
        ))
        .await,
        0
    );
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE id BETWEEN {} AND {}",
            r.first_audit_id, r.last_audit_id
        ))
        .await,
        0,
        "the archived rows are gone"
    );
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE id = {unsealed}"
        ))
        .await,
        1,
        "an unsealed row is never archived"
    );
    assert!(
        t.count("SELECT COUNT(*) FROM audit_seals").await > 0,
        "the newer sealed rows stayed"
    );
    assert_eq!(
        t.audit_count("audit.archive").await,
        1,
        "the run is audited"
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM audit_archives").await, 1);

    // The chain goes on from the archive's last seal.
    t.app.seal_audit().await.expect("seal");
    let check = t.app.check_audit_chain().await.expect("check");
    assert!(check.intact(), "{}", check.summary());
    assert_eq!(check.archives.count, 1);
    assert_eq!(check.archives.rows, old);

    // A recent row or seal may still not be removed, nor the archive's record.
    let recent = t.count("SELECT MAX(id) FROM audit_log").await;
    assert!(
        try_exec(&t, &format!("DELETE FROM audit_log WHERE id = {recent}"))
            .await
            .is_err()
    );
    assert!(try_exec(&t, "DELETE FROM audit_seals").await.is_err());
    assert!(try_exec(&t, "DELETE FROM audit_archives").await.is_err());
    assert!(try_exec(&t, "UPDATE audit_archives SET rows = 1")
        .await
        .is_err());
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE id = {recent}"
        ))
        .await,
        1
    );

    // Everything sealed goes next: with no seal left, the chain still goes on.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let second = t
        .app
        .archive_audit_before(&cli, dir.path(), dualtrack_service::clock::wall())
        .await
        .expect("archived");
    assert_eq!(second.first_seq, old + 1);
    assert_eq!(t.count("SELECT COUNT(*) FROM audit_seals").await, 0);
    grid(&t, &op, "链接续网格").await;
    assert!(t.app.seal_audit().await.expect("seal") > 0);
    let check = t.app.check_audit_chain().await.expect("check");
    assert!(check.intact(), "{}", check.summary());
    assert_eq!(check.archives.count, 2);
    let file2 = second.file.expect("file");
    verify_file(&AuditKey::from_bytes(KEY), &file2).expect("verifies");

    // The auditor's page shows the archives.
    let aud = t.token("auditor").await;
    let j = t.get("/api/v1/audit/chain", &aud).await.json();
    assert_eq!(j["archives"]["count"], 2, "{j}");
    let mut b = Browser::new(&t);
    b.login("auditor").await;
    let page = b.get("/audit/chain").await.text;
    assert!(page.contains("归档文件"), "{page}");
    assert!(page.contains("2 个，共"), "{page}");

    // A line changed in a file is named; so is a changed signature; another key refused.
    let mut ls = lines(&file);
    let original = ls.clone();
    ls[2] = ls[2].replacen("\"detail\":\"", "\"detail\":\"改", 1);
    assert_ne!(ls[2], original[2]);
    let changed = dir.path().join("changed.jsonl.gz");
    write_lines(&changed, &ls);
    let e = verify_file(&AuditKey::from_bytes(KEY), &changed).expect_err("named");
    assert!(e.contains("第 3 行"), "{e}");
    let mut ls = original.clone();
    let n = ls.len();
    ls[n - 1] = ls[n - 1].replacen("\"signature\":\"", "\"signature\":\"00", 1);
    write_lines(&changed, &ls);
    let e = verify_file(&AuditKey::from_bytes(KEY), &changed).expect_err("named");
    assert!(e.contains(&format!("第 {n} 行")), "{e}");
    let mut ls = original;
    ls.pop();
    write_lines(&changed, &ls);
    let e = verify_file(&AuditKey::from_bytes(KEY), &changed).expect_err("cut short");
    assert!(e.contains("签名"), "{e}");
    let e = verify_file(&AuditKey::from_bytes([6; 32]), &file).expect_err("another key");
    assert!(e.contains("第 1 行"), "{e}");

    // An archive record made with the database alone, to remove rows, is caught.
    let last = t.count("SELECT MAX(seq) FROM audit_seals").await;
    exec(
        &t,
        &format!(
            "INSERT INTO audit_archives (file_name, file_sm3, first_seq, last_seq, first_audit_id, \
             last_audit_id, first_mac, last_mac, rows, key_id, made_at, mac) VALUES \
             ('fake', 'x', {}, {last}, 0, 0, 'x', 'x', 1, 'x', '2026-01-01T00:00:00Z', 'x')",
            second.last_seq + 1
        ),
    )
    .await;
    let b = first_break(&t).await;
    assert!(b.reason.contains("归档记录 fake"), "{}", b.reason);
}

async fn audit_rows_go_to_a_syslog_server(engine: Engine) {
    let t = keyed(engine, AuditKey::from_bytes(KEY)).await;
    let op = t.token("golmud_operator").await;
    t.app.seal_audit().await.expect("seal");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let addr = listener.local_addr().expect("addr").to_string();
    let app = t.app.clone().with_syslog(Forwarder::start(&addr));
    grid(&t, &op, "转发网格").await;
    assert!(app.seal_audit().await.expect("seal") >= 1);
    let (mut conn, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
        .await
        .expect("connected in time")
        .expect("accept");
    // Octet counting: the length, a space, the message.
    let mut len = Vec::new();
    loop {
        let b = conn.read_u8().await.expect("byte");
        if b == b' ' {
            break;
        }
        len.push(b);
    }
    let len: usize = String::from_utf8(len)
        .expect("digits")
        .parse()
        .expect("len");
    let mut msg = vec![0u8; len];
    tokio::time::timeout(Duration::from_secs(5), conn.read_exact(&mut msg))
        .await
        .expect("in time")
        .expect("message");
    let msg = String::from_utf8(msg).expect("utf-8");
    // local0.info, version 1, APP-NAME, structured data, no personal data.
    assert!(msg.starts_with("<134>1 "), "{msg}");
    let fields: Vec<&str> = msg.splitn(7, ' ').collect();
    assert_eq!(fields[3], "dualtrack", "{msg}");
    assert_eq!(fields[5], "grid.create", "{msg}");
    assert!(fields[6].starts_with("[dualtrack@32473 "), "{msg}");
    for want in [
        "action=\"grid.create\"",
        "actor=\"golmud_operator\"",
        "outcome=\"success\"",
        "target=\"网格:",
    ] {
        assert!(msg.contains(want), "{want} in {msg}");
    }
    let id = t
        .count("SELECT MAX(id) FROM audit_log WHERE action = 'grid.create'")
        .await;
    assert!(msg.contains(&format!("id=\"{id}\"")), "{msg}");
    assert!(!msg.contains("转发网格"), "no free text: {msg}");
    let state = app.syslog.as_ref().expect("forwarder").state();
    assert_eq!((state.sent, state.dropped), (1, 0));
}

async fn a_dead_syslog_server_does_not_slow_writes(engine: Engine) {
    let t = keyed(engine, AuditKey::from_bytes(KEY)).await;
    // A port nothing listens on.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").to_string()
    };
    let app = t.app.clone().with_syslog(Forwarder::start(&dead));
    let router = dualtrack_web::router(dualtrack_web::AppState::new(
        app.clone(),
        dualtrack_web::WebConfig::default(),
    ));
    let t = TestApp {
        app: app.clone(),
        router,
        db: t.db,
    };
    let op = t.token("golmud_operator").await;
    // Each write is answered and sealed while nothing takes the forwarded rows.
    for i in 0..3 {
        grid(&t, &op, &format!("无人接收网格{i}")).await;
        app.seal_audit().await.expect("sealed all the same");
    }
    let aud = t.token("auditor").await;
    let r = t.get("/api/v1/audit/chain", &aud).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.json()["forwarding"]["target"],
        dead.as_str(),
        "{}",
        r.text
    );
    assert_eq!(r.json()["forwarding"]["sent"], 0, "{}", r.text);
}

on_both_engines!(
    only_old_sealed_rows_are_archived_and_the_chain_goes_on,
    audit_rows_go_to_a_syslog_server,
    a_dead_syslog_server_does_not_slow_writes
);
