//! A standby for the reads that tolerate lag (`[database] replica_url`, PostgreSQL only).
//! The standby here is a second database, a copy of the demo whose top place has another
//! name: what the command view shows says which database it read. Forms, and the lists read
//! right after them, stay on the primary; a standby that is gone costs no error and no wait.

use crate::common::TestApp;
use axum::http::StatusCode;
use dualtrack_store::replica::{Replica, ReplicaState};
use dualtrack_store::{on_db, Db};
use dualtrack_testkit::{demo_db, demo_security, Engine, TestDb};
use dualtrack_web::{AppState, WebConfig};
use serde_json::json;
use std::time::Duration;

/// The name the standby's copy gives the prefecture.
const STANDBY_NAME: &str = "海西州（备库）";

async fn exec(db: &Db, sql: &str) {
    on_db!(db, p => {
        sqlx::query(sql).execute(p).await.expect(sql);
    });
}

/// A test app on a primary, reading what tolerates lag from `replica`.
async fn app_with(replica_url: &str) -> TestApp {
    let db = demo_db(Engine::Postgres).await;
    let replica = Replica::open(replica_url, Duration::from_millis(5000)).expect("a replica");
    let app = dualtrack_service::App::new(db.db.clone(), demo_security()).with_replica(replica);
    let router = dualtrack_web::router(AppState::new(app.clone(), WebConfig::default()));
    TestApp { app, router, db }
}

/// Waits until the standby has answered a check, which starts the next second in which the
/// reads go by that answer: on a busy machine a check (the first one opens a connection) may
/// take longer than it waits, and the reads then rightly go to the primary.
async fn until_the_standby_answers(t: &TestApp) {
    let replica = t.app.replica.as_ref().expect("a replica");
    for _ in 0..100 {
        if replica.check().await == ReplicaState::Ok {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the standby never answered: {:?}", replica.state());
}

/// A copy of the demo standing for the standby, its prefecture renamed; its URL opens it
/// read-only, as a hot standby is.
async fn standby() -> (TestDb, String) {
    let s = demo_db(Engine::Postgres).await;
    exec(
        &s.db,
        &format!("UPDATE jurisdictions SET name = '{STANDBY_NAME}' WHERE code = '6328'"),
    )
    .await;
    let sep = if s.url.contains('?') { '&' } else { '?' };
    let url = format!(
        "{}{sep}application_name=dualtrack-standby&options=-c%20default_transaction_read_only%3Don",
        s.url
    );
    (s, url)
}

async fn count(db: &Db, sql: &str) -> i64 {
    on_db!(db, p => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await.expect(sql))
}

#[tokio::test]
async fn the_command_view_reads_the_standby_and_a_form_reads_back_from_the_primary() {
    let (standby, url) = standby().await;
    let t = app_with(&url).await;
    until_the_standby_answers(&t).await;
    let tok = t.token("haixi_leader").await;
    let d = t.get_json("/api/v1/dashboard?as_of=2020-02-27", &tok).await;
    assert_eq!(
        d["place"]["name"], STANDBY_NAME,
        "the dashboard read the standby"
    );
    until_the_standby_answers(&t).await;
    let b = t
        .get_ok("/api/v1/briefing.md?as_of=2020-02-27", &tok)
        .await
        .text;
    assert!(
        b.contains(STANDBY_NAME),
        "the briefing read the standby: {b}"
    );
    // The standby's own connections did it.
    let seen = count(
        &standby.db,
        "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'dualtrack-standby'",
    )
    .await;
    assert!(seen > 0, "no connection to the standby");
    // The same place's own record reads the primary.
    let node = t.get_json("/api/v1/jurisdictions/6328", &tok).await;
    assert_eq!(node["node"]["name"], "海西蒙古族藏族自治州", "{node}");

    // A form, and the list right after it: the primary.
    let clerk = t.token("golmud_operator").await;
    let body = json!({"name": "备库测试", "id_number": crate::common::id_number("63280119880214003"),
        "political_status": "party_member", "categories": ["medical"], "jurisdiction_code": "632801001001"});
    let r = t.post("/api/v1/people", &clerk, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let list = t.get_json("/api/v1/people?name=备库测试", &clerk).await;
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["id"], r.json()["person"]["id"]);
    assert_eq!(
        count(
            &standby.db,
            "SELECT COUNT(*) FROM people WHERE name = '备库测试'"
        )
        .await,
        0,
        "nothing was written to the standby"
    );
    until_the_standby_answers(&t).await;
    let h = t.get_json("/healthz", &tok).await;
    assert_eq!(h["replica"]["state"], "ok", "{h}");
}

#[tokio::test]
async fn a_standby_that_is_gone_sends_the_reads_to_the_primary_at_once() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a port")
        .local_addr()
        .expect("its address")
        .port();
    let t = app_with(&format!(
        "postgres://dualtrack:dualtrack@127.0.0.1:{port}/dualtrack"
    ))
    .await;
    let tok = t.token("haixi_leader").await;
    let r = t.get("/api/v1/dashboard?as_of=2020-02-27", &tok).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["place"]["name"], "海西蒙古族藏族自治州");
    assert_eq!(
        t.app.replica.as_ref().map(|r| r.state()),
        Some(ReplicaState::Unavailable),
        "the next reads go to the primary without asking the standby again"
    );
    t.get_ok("/api/v1/dashboard?as_of=2020-02-27", &tok).await;
    let h = t.get("/healthz", &tok).await;
    assert_eq!(
        h.status,
        StatusCode::OK,
        "the server is ready without its standby"
    );
    assert_eq!(h.json()["replica"]["state"], "unavailable", "{}", h.text);
    let page = t
        .browser("haixi_leader")
        .await
        .page("/dashboard?as_of=2020-02-27")
        .await;
    assert_eq!(page.status, StatusCode::OK);
}

#[tokio::test]
async fn a_standby_lost_between_checks_costs_a_read_nothing() {
    let (standby, url) = standby().await;
    let t = app_with(&url).await;
    until_the_standby_answers(&t).await;
    let tok = t.token("haixi_leader").await;
    let d = t.get_json("/api/v1/dashboard?as_of=2020-02-27", &tok).await;
    assert_eq!(d["place"]["name"], STANDBY_NAME);
    assert_eq!(
        t.app.replica.as_ref().map(|r| r.state()),
        Some(ReplicaState::Ok)
    );
    // The standby goes away before the next check: its connections are cut and it takes
    // no new one.
    let admin = Db::connect(&dualtrack_testkit::pg_admin_url())
        .await
        .expect("admin");
    let dbname = standby.url.rsplit('/').next().expect("a name").to_string();
    exec(
        &admin,
        &format!("ALTER DATABASE {dbname} WITH ALLOW_CONNECTIONS false"),
    )
    .await;
    exec(
        &admin,
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{dbname}' AND pid <> pg_backend_pid()"
        ),
    )
    .await;
    let r = t.get("/api/v1/dashboard?as_of=2020-02-27", &tok).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.json()["place"]["name"],
        "海西蒙古族藏族自治州",
        "read on the primary"
    );
    assert_eq!(
        t.app.replica.as_ref().map(|r| r.state()),
        Some(ReplicaState::Unavailable)
    );
    exec(
        &admin,
        &format!("ALTER DATABASE {dbname} WITH ALLOW_CONNECTIONS true"),
    )
    .await;
    admin.close().await;
}
