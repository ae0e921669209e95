//! The server under faults: requests cancelled at every point of a write leave nothing
//! half-done and the server writing; beyond its bounds a request is refused at once, with
//! `Retry-After`, and never started; stalled clients are closed and do not stop the server
//! accepting; a database that goes away is reported within a second and comes back by
//! itself; the demo is loaded whole, once, whoever starts at the same time.

use crate::common;
use common::{id_number, keyed_post};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::TestApp;
use dualtrack_service::demo::DemoState;
use dualtrack_service::App;
use dualtrack_store::{on_db, Db};
use dualtrack_testkit::{demo_db, empty_db, on_both_engines, Engine};
use dualtrack_web::admission::AdmissionConfig;
use dualtrack_web::server::ServerConfig;
use dualtrack_web::{AppState, WebConfig};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

fn passage() -> Value {
    json!({
        "plate": "青H12345",
        "vehicle_class": "car",
        "origin": "青海省西宁市",
        "destination": "632801100",
        "reason": "返岗复工",
        "travellers": [
            {"name": "马海军", "id_number": id_number("63280119800101001"), "phone": "13897001234",
             "temperature": 36.5, "outcome": "through"},
            {"name": "才让卓玛", "id_number": id_number("63280219900215002"), "phone": "13997005678",
             "temperature": 36.8, "outcome": "through", "destination": "西藏自治区拉萨市"}
        ]
    })
}

/// Drives a future and drops it at its `n`-th suspension: `None` if it was cut off there,
/// its output if it finished first. Every `n` from 0 up visits every point at which a
/// client that gives up (or a deadline) can cancel a request.
struct CancelAt<F: Future> {
    inner: Pin<Box<F>>,
    left: usize,
}

impl<F: Future> Future for CancelAt<F> {
    type Output = Option<F::Output>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.inner.as_mut().poll(cx) {
            Poll::Ready(v) => Poll::Ready(Some(v)),
            Poll::Pending if self.left == 0 => Poll::Ready(None),
            Poll::Pending => {
                self.left -= 1;
                Poll::Pending
            }
        }
    }
}

/// Cancels the write `make(n)` at each of its suspensions in turn until it runs through.
/// After every cancel the write is there whole or not at all (`rows` counts what it
/// writes, `per` rows each time), and a complete write goes through, so the server is not
/// wedged. Returns the number of suspensions visited.
async fn cancel_at_every_suspension(
    t: &TestApp,
    what: &str,
    make: impl Fn(usize) -> Request<Body>,
    rows: &str,
    per: i64,
) -> usize {
    let mut n = 0;
    loop {
        let before = t.count(rows).await;
        let out = CancelAt {
            inner: Box::pin(t.router.clone().oneshot(make(n))),
            left: n,
        }
        .await;
        // Whatever the cut-off request left running (a transaction being begun or rolled
        // back) settles.
        tokio::time::sleep(Duration::from_millis(5)).await;
        let after = t.count(rows).await;
        assert!(
            after == before || after == before + per,
            "{what}: cut off at suspension {n}, {} rows written instead of 0 or {per}",
            after - before
        );
        // The server still writes: a whole request goes through. (The timeout only guards
        // against a hang; it is not a measure.)
        let r = tokio::time::timeout(Duration::from_secs(60), t.send(make(100_000 + n)))
            .await
            .unwrap_or_else(|_| {
                panic!("{what}: the server hangs after a cancel at suspension {n}")
            });
        assert!(
            r.status.is_success(),
            "{what}: after a cancel at suspension {n}: {} {}",
            r.status,
            r.text
        );
        match out {
            Some(resp) => {
                let resp = resp.expect("answer");
                assert!(resp.status().is_success(), "{what}: {}", resp.status());
                return n;
            }
            None => n += 1,
        }
        assert!(n < 5_000, "{what}: the write never completed");
    }
}

async fn a_write_cancelled_at_any_point_leaves_the_server_writing(engine: Engine) {
    let t = TestApp::new(engine).await;
    // Passages: a passage with two travellers, its hand-over and its audit row.
    let op = t.token("golmud_operator").await;
    let south = t.checkpoint("格尔木南出口").await;
    let path = format!("/api/v1/checkpoints/{south}/passages");
    let body = passage();
    cancel_at_every_suspension(
        &t,
        "passage",
        |n| keyed_post(&path, &op, Some(&format!("cancel-{n}")), &body),
        "SELECT COUNT(*) FROM passage_travellers",
        2,
    )
    .await;
    assert_eq!(
        t.count("SELECT COUNT(*) FROM passages p WHERE NOT EXISTS (SELECT 1 FROM passage_travellers x WHERE x.passage_id = p.id)")
            .await,
        0,
        "no passage without its travellers"
    );

    // Stock movements into a county store.
    let store = t
        .count("SELECT MIN(id) FROM supply_stores WHERE kind = 'county' AND jurisdiction_code = '632801'")
        .await;
    let item = t
        .count("SELECT id FROM supply_items WHERE name = '一次性医用外科口罩'")
        .await;
    let path = format!("/api/v1/supplies/stores/{store}/movements");
    let body = json!({"kind": "receipt", "item_id": item, "quantity": 10, "moved_on": "2020-02-20", "counterparty": "省卫健委调拨"});
    cancel_at_every_suspension(
        &t,
        "stock movement",
        |n| keyed_post(&path, &op, Some(&format!("mv-{n}")), &body),
        "SELECT COUNT(*) FROM stock_movements",
        1,
    )
    .await;
    let (balance, moved): (i64, i64) = on_db!(&t.db.db, p => {
        sqlx::query_as(
            "SELECT (SELECT balance FROM stock_balances WHERE store_id = $1 AND item_id = $2), \
             (SELECT CAST(COALESCE(SUM(CASE WHEN to_store_id = $1 THEN quantity ELSE -quantity END), 0) AS BIGINT) FROM stock_movements \
              WHERE item_id = $2 AND (to_store_id = $1 OR from_store_id = $1))",
        )
        .bind(store)
        .bind(item)
        .fetch_one(p)
        .await
        .expect("balance")
    });
    assert_eq!(balance, moved, "the balance is the sum of the movements");

    // Enterprise daily reports.
    let liaison = t.token("liaison").await;
    let enterprise = t
        .count("SELECT MIN(id) FROM enterprises WHERE jurisdiction_code = '632801'")
        .await;
    let path = format!("/api/v1/enterprises/{enterprise}/reports");
    cancel_at_every_suspension(
        &t,
        "enterprise report",
        |n| {
            keyed_post(
                &path,
                &liaison,
                None,
                &json!({"report_date": "2020-02-27", "status": "resumed", "confirm_implausible": true, "on_duty": 100 + n as i64, "checks_passed": 5, "output": 300}),
            )
        },
        "SELECT COUNT(*) FROM daily_reports",
        1,
    )
    .await;
}

/// A transaction's beginning dropped at each of its suspensions in turn, many times over:
/// no connection is left inside a transaction nobody holds, and the database goes on
/// taking writes. (The window that wedged SQLite: `BEGIN IMMEDIATE` acknowledged, the
/// caller dropped before it received its transaction; the connection went back to the pool
/// holding the write lock.)
async fn a_transaction_begun_and_dropped_at_any_point_leaves_none_open(engine: Engine) {
    let t = demo_db(engine).await;
    let db = &t.db;
    let mut cut = 0;
    for round in 0..40 {
        for n in 0..50 {
            let begun = CancelAt {
                inner: Box::pin(db.begin()),
                left: n,
            }
            .await;
            match begun {
                None => cut += 1,
                Some(tx) => {
                    drop(tx.expect("begin"));
                    break;
                }
            }
        }
        // A whole write goes through (the timeout guards against a hang only).
        let mut tx = tokio::time::timeout(Duration::from_secs(30), db.begin())
            .await
            .unwrap_or_else(|_| panic!("round {round}: begin hangs"))
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        dualtrack_store::on_tx!(&mut tx, x => {
            sqlx::query("INSERT INTO scheduler_leases (name, holder, until) VALUES ($1, 'test', $2)")
                .bind(format!("round-{round}"))
                .bind(dualtrack_service::clock::wall())
                .execute(&mut *x)
                .await
                .unwrap_or_else(|e| panic!("round {round}: {e}"));
        });
        tx.commit()
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
    }
    assert!(cut > 0, "some beginnings were cut off");
    let rounds: i64 = on_db!(db, p => {
        sqlx::query_scalar("SELECT COUNT(*) FROM scheduler_leases WHERE holder = 'test'")
            .fetch_one(p)
            .await
            .expect("count")
    });
    assert_eq!(rounds, 40);
}

/// A client gives up while its write waits for the database (SQLite's write lock held by
/// another connection, or on PostgreSQL the table): the request is dropped mid-way, the
/// lock is freed, and the server must go on writing. (Before, on SQLite the `BEGIN
/// IMMEDIATE` completed after its caller had left and its connection went back to the pool
/// holding the write lock: every later write failed with "database is locked".)
async fn a_client_that_gives_up_while_its_write_waits_leaves_nothing_behind(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let liaison = t.token("liaison").await;
    let south = t.checkpoint("格尔木南出口").await;
    let store = t
        .count("SELECT MIN(id) FROM supply_stores WHERE kind = 'county' AND jurisdiction_code = '632801'")
        .await;
    let item = t
        .count("SELECT id FROM supply_items WHERE name = '一次性医用外科口罩'")
        .await;
    let enterprise = t
        .count("SELECT MIN(id) FROM enterprises WHERE jurisdiction_code = '632801'")
        .await;
    let writes: Vec<(&str, String, &str, Value, &str)> = vec![
        (
            "passages",
            format!("/api/v1/checkpoints/{south}/passages"),
            op.as_str(),
            passage(),
            "SELECT COUNT(*) FROM passage_travellers",
        ),
        (
            "stock_movements",
            format!("/api/v1/supplies/stores/{store}/movements"),
            op.as_str(),
            json!({"kind": "receipt", "item_id": item, "quantity": 10, "moved_on": "2020-02-20"}),
            "SELECT COUNT(*) FROM stock_movements",
        ),
        (
            "daily_reports",
            format!("/api/v1/enterprises/{enterprise}/reports"),
            liaison.as_str(),
            json!({"report_date": "2020-02-27", "status": "resumed", "confirm_implausible": true, "on_duty": 90, "checks_passed": 5, "output": 300}),
            "SELECT COUNT(*) FROM daily_reports",
        ),
    ];
    for (table, path, token, body, rows) in &writes {
        let before = t.count(rows).await;
        for round in 0..3 {
            let blocker = block(&t.db.url, &[table]).await;
            // The client waits a little, then gives up.
            let key = format!("gave-up-{table}-{round}");
            let gave_up = tokio::time::timeout(
                Duration::from_millis(300),
                t.send(keyed_post(path, token, Some(&key), body)),
            )
            .await;
            assert!(gave_up.is_err(), "{table}: the write waited for the lock");
            unblock(blocker).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            t.count(rows).await,
            before,
            "{table}: nothing of the abandoned writes"
        );
        // The server writes on, at once (the guard is against a hang, not a measure).
        for k in 0..3 {
            let r = tokio::time::timeout(
                Duration::from_secs(30),
                t.send(keyed_post(
                    path,
                    token,
                    Some(&format!("after-{table}-{k}")),
                    body,
                )),
            )
            .await
            .unwrap_or_else(|_| panic!("{table}: the server hangs"));
            assert!(r.status.is_success(), "{table}: {} {}", r.status, r.text);
        }
    }
}

/// A retry that comes after many later reports of the same enterprise (a phone that kept
/// its outbox for days, a client library that resent on a reused connection) is answered
/// with the first report, found by its id, not a 500 because it is no longer among the
/// latest versions.
async fn a_report_retried_after_many_later_ones_is_answered_with_the_first(engine: Engine) {
    let (t, liaison) = TestApp::as_user(engine, "liaison").await;
    let enterprise = t
        .count("SELECT MIN(id) FROM enterprises WHERE jurisdiction_code = '632801'")
        .await;
    let path = format!("/api/v1/enterprises/{enterprise}/reports");
    let first = json!({"report_date": "2020-02-27", "status": "resumed", "confirm_implausible": true, "on_duty": 77, "checks_passed": 5, "output": 300});
    let r = t
        .send(keyed_post(&path, &liaison, Some("first-of-many"), &first))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json()["id"].as_i64().expect("id");
    // More than the latest 400 versions come after it.
    for k in 0..420 {
        let later = json!({"report_date": "2020-02-28", "status": "resumed", "confirm_implausible": true, "on_duty": k, "checks_passed": 5, "output": 300});
        let r = t
            .send(keyed_post(
                &path,
                &liaison,
                Some(&format!("later-{k}")),
                &later,
            ))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let again = t
        .send(keyed_post(&path, &liaison, Some("first-of-many"), &first))
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.json()["id"].as_i64(), Some(id));
}

/// Holds the database's write lock (SQLite) or the lock that passages need (PostgreSQL)
/// from a connection of its own, so that a registration waits while holding its turn.
enum Blocker {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

async fn block_passages(url: &str) -> Blocker {
    block(url, &["passages"]).await
}

async fn block(url: &str, tables: &[&str]) -> Blocker {
    use sqlx::Connection;
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.expect("open");
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut c)
            .await
            .expect("lock");
        Blocker::Sqlite(c)
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.expect("open");
        sqlx::query("BEGIN").execute(&mut c).await.expect("begin");
        sqlx::query(&format!(
            "LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE",
            tables.join(", ")
        ))
        .execute(&mut c)
        .await
        .expect("lock");
        Blocker::Postgres(c)
    }
}

async fn unblock(b: Blocker) {
    match b {
        Blocker::Sqlite(mut c) => {
            sqlx::query("ROLLBACK")
                .execute(&mut c)
                .await
                .expect("unlock");
        }
        Blocker::Postgres(mut c) => {
            sqlx::query("ROLLBACK")
                .execute(&mut c)
                .await
                .expect("unlock");
        }
    }
}

async fn answer(
    router: &axum::Router,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let resp = router.clone().oneshot(req).await.expect("answer");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn until(what: &str, mut ok: impl FnMut() -> bool) {
    for _ in 0..2_000 {
        if ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("never came to pass: {what}");
}

async fn beyond_its_bounds_a_write_is_refused_at_once_and_never_started(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let other = t.token("checkpoint_worker").await;
    let third = t.token("golmud_leader").await;
    let config = WebConfig {
        admission: AdmissionConfig {
            writes_in_flight: 1,
            writes_queued: 1,
            queue_wait: Duration::from_millis(300),
            per_client: 1,
            ..AdmissionConfig::default()
        },
        ..WebConfig::default()
    };
    let state = AppState::new(t.app.clone(), config);
    let router = dualtrack_web::router(state.clone());
    let south = t.checkpoint("格尔木南出口").await;
    let path = format!("/api/v1/checkpoints/{south}/passages");
    let before = t.count("SELECT COUNT(*) FROM passages").await;

    let blocker = block_passages(&t.db.url).await;
    // The first write takes the one turn and waits on the database.
    let first = tokio::spawn({
        let (router, req) = (
            router.clone(),
            keyed_post(&path, &op, Some("first"), &passage()),
        );
        async move { answer(&router, req).await }
    });
    until("the first write holds the turn", || {
        state.admission.writes().0 == 1
    })
    .await;
    // The second waits in line.
    let second = tokio::spawn({
        let (router, req) = (
            router.clone(),
            keyed_post(&path, &other, Some("second"), &passage()),
        );
        async move { answer(&router, req).await }
    });
    until("the second write waits", || state.admission.writes().1 == 1).await;
    // A third finds the line full: refused at once, told when to come back, in Chinese.
    let (status, headers, body) = answer(
        &router,
        keyed_post(&path, &third, Some("third"), &passage()),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "overloaded");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("服务器繁忙"));
    assert!(headers.get(header::RETRY_AFTER).is_some());
    // One client with its fill of requests is asked to slow down.
    let (status, headers, body) =
        answer(&router, keyed_post(&path, &op, Some("fourth"), &passage())).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(headers.get(header::RETRY_AFTER).is_some());
    // The second's wait runs out before the lock is freed: refused, never started.
    let (status, _, body) = second.await.expect("second");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    unblock(blocker).await;
    let (status, _, body) = first.await.expect("first");
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        t.count("SELECT COUNT(*) FROM passages").await,
        before + 1,
        "only the admitted write was written"
    );
    assert_eq!(state.admission.writes(), (0, 0));
    // Reads and probes are not held by writes.
    let (status, _, _) = answer(
        &router,
        Request::builder()
            .uri("/healthz")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

/// A TCP relay between the application and PostgreSQL that can be cut and restored, so a
/// test can take the database away and bring it back without touching the server.
struct Relay {
    addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Relay {
    async fn start(listen: &str, upstream: String) -> Relay {
        let listener = tokio::net::TcpListener::bind(listen).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let mut pipes = tokio::task::JoinSet::new();
            loop {
                tokio::select! {
                    _ = &mut rx => break,
                    r = listener.accept() => {
                        let Ok((mut down, _)) = r else { continue };
                        let upstream = upstream.clone();
                        pipes.spawn(async move {
                            if let Ok(mut up) = tokio::net::TcpStream::connect(&upstream).await {
                                let _ = tokio::io::copy_bidirectional(&mut down, &mut up).await;
                            }
                        });
                    }
                }
            }
            pipes.abort_all();
        });
        Relay {
            addr,
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// Cuts every connection and stops listening.
    async fn cut(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_outage_is_a_quick_503_and_service_comes_back_by_itself() {
    let t = demo_db(Engine::Postgres).await;
    // postgres://user:pw@host:port/db → the relay's address in place of host:port.
    let (scheme_user, rest) = t.url.split_once('@').expect("url with user");
    let (hostport, dbpart) = rest.split_once('/').expect("url with database");
    let mut relay = Relay::start("127.0.0.1:0", hostport.to_string()).await;
    let url = format!("{scheme_user}@{}/{dbpart}", relay.addr);
    let db = Db::connect(&url).await.expect("through the relay");
    let app = App::new(db, dualtrack_testkit::demo_security());
    let router = dualtrack_web::router(AppState::new(app.clone(), WebConfig::default()));
    let login = |router: axum::Router| async move {
        let req = Request::builder()
            .method("POST")
            .uri("/api/v1/auth/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"username": "golmud_operator", "password": dualtrack_testkit::DEMO_PASSWORD}).to_string(),
            ))
            .expect("req");
        answer(&router, req).await
    };
    let (status, _, body) = login(router.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["token"].as_str().expect("token").to_string();
    let south: i64 = on_db!(&t.db, p => {
        sqlx::query_scalar("SELECT id FROM checkpoints WHERE name = '格尔木南出口'")
            .fetch_one(p)
            .await
            .expect("checkpoint")
    });
    let path = format!("/api/v1/checkpoints/{south}/passages");

    relay.cut().await;
    // Probes tell live from ready, and answer quickly (the guard is a hang guard).
    let probe = |p: &'static str| {
        let router = router.clone();
        async move {
            tokio::time::timeout(
                Duration::from_secs(5),
                answer(
                    &router,
                    Request::builder().uri(p).body(Body::empty()).expect("req"),
                ),
            )
            .await
            .expect("a probe answers")
        }
    };
    let (status, _, body) = probe("/healthz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["live"], true);
    assert_eq!(body["ready"], false);
    let (status, _, _) = probe("/livez").await;
    assert_eq!(status, StatusCode::OK);
    // A write: 503 in Chinese with Retry-After, not a 500 after a long hang.
    let (status, headers, body) = tokio::time::timeout(
        Duration::from_secs(5),
        answer(
            &router,
            keyed_post(&path, &token, Some("outage-1"), &passage()),
        ),
    )
    .await
    .expect("answered, not hung");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["message"], "数据库暂不可用，请稍后重试");
    assert!(headers.get(header::RETRY_AFTER).is_some());

    // The database comes back at the same address: service resumes without a restart.
    let relay = Relay::start(&relay.addr.to_string(), hostport.to_string()).await;
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..100 {
        let (s, _, _) = answer(
            &router,
            keyed_post(&path, &token, Some("outage-2"), &passage()),
        )
        .await;
        status = s;
        if status == StatusCode::CREATED {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, _) = probe("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    drop(relay);
}

/// Reads a whole answer (or what arrives before the server closes) from a raw connection.
async fn read_all(s: &mut tokio::net::TcpStream) -> String {
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut buf)).await;
    String::from_utf8_lossy(&buf).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_clients_are_closed_and_do_not_stop_the_server() {
    let t = demo_db(Engine::Sqlite).await;
    let config = WebConfig {
        admission: AdmissionConfig {
            body_timeout: Duration::from_secs(1),
            ..AdmissionConfig::default()
        },
        server: ServerConfig {
            max_connections: 4,
            header_timeout: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(1),
            ..ServerConfig::default()
        },
        ..WebConfig::default()
    };
    let state = AppState::new(t.app(), config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(dualtrack_web::server::serve_until(
        listener,
        state,
        async move {
            let _ = stopped.await;
        },
    ));
    // Four clients send half a request head and stall: the cap is reached.
    let mut slow = Vec::new();
    for _ in 0..4 {
        let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
        s.write_all(b"GET /livez HTTP/1.1\r\nHost: x\r\n")
            .await
            .expect("send");
        slow.push(s);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A fifth is told at once that the server is full, and when to come back.
    let mut extra = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let refused = read_all(&mut extra).await;
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(refused.contains("Retry-After") && refused.contains("服务器连接数已满"));
    // The stalled ones are closed by the server after the header timeout.
    for s in &mut slow {
        let rest = read_all(s).await;
        assert!(!rest.contains("200 OK"), "{rest}");
    }
    drop(slow);
    // The server accepts and serves again.
    let mut ok = tokio::net::TcpStream::connect(addr).await.expect("connect");
    ok.write_all(b"GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("send");
    let r = read_all(&mut ok).await;
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    // A body that stalls half-way is refused (408) and holds no turn.
    let mut body = tokio::net::TcpStream::connect(addr).await.expect("connect");
    body.write_all(
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"user",
    )
    .await
    .expect("send");
    let r = read_all(&mut body).await;
    assert!(r.starts_with("HTTP/1.1 408"), "{r}");
    assert!(r.contains("请求体接收超时"), "{r}");
    // A slow but steady body (a weak signal) is received, not cut off.
    let login =
        json!({"username": "golmud_operator", "password": dualtrack_testkit::DEMO_PASSWORD})
            .to_string();
    let mut steady = tokio::net::TcpStream::connect(addr).await.expect("connect");
    steady
        .write_all(
            format!(
                "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                login.len()
            )
            .as_bytes(),
        )
        .await
        .expect("head");
    for chunk in login.as_bytes().chunks(login.len() / 3 + 1) {
        tokio::time::sleep(Duration::from_millis(600)).await;
        steady.write_all(chunk).await.expect("chunk");
    }
    let r = read_all(&mut steady).await;
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    // Stopping with a client still stalled ends within the grace period.
    let mut last = tokio::net::TcpStream::connect(addr).await.expect("connect");
    last.write_all(b"GET /livez HTTP/1.1\r\n")
        .await
        .expect("send");
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(20), server)
        .await
        .expect("the server stops")
        .expect("task")
        .expect("served");
}

async fn counts(db: &Db) -> Vec<i64> {
    let mut out = Vec::new();
    for table in [
        "jurisdictions",
        "users",
        "people",
        "enterprises",
        "passages",
        "monitoring_cases",
        "stock_movements",
    ] {
        let n: i64 = on_db!(db, p => {
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(p)
                .await
                .expect("count")
        });
        out.push(n);
    }
    out
}

async fn an_interrupted_demo_load_is_resumed_whole(engine: Engine) {
    let whole = counts(&demo_db(engine).await.db).await;
    let t = empty_db(engine).await;
    let app = t.app();
    // The first start is killed once some accounts exist.
    let loading = tokio::spawn({
        let app = app.clone();
        async move { app.load_demo().await }
    });
    let users = || async {
        on_db!(&t.db, p => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users").fetch_one(p).await.expect("count"))
    };
    for _ in 0..6_000 {
        if users().await >= 3 || loading.is_finished() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        !loading.is_finished(),
        "the load was cut off before it finished"
    );
    loading.abort();
    let _ = loading.await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        app.demo_state().await.expect("state"),
        DemoState::Interrupted
    );
    // The next start sees the half demo and finishes it.
    assert!(app.load_demo().await.expect("resumed"), "loaded");
    assert_eq!(app.demo_state().await.expect("state"), DemoState::Loaded);
    assert_eq!(counts(&t.db).await, whole);
    // And a start after that leaves it alone.
    assert!(!app.load_demo().await.expect("again"));
    assert_eq!(counts(&t.db).await, whole);
}

async fn two_instances_starting_at_once_load_the_demo_once(engine: Engine) {
    let whole = counts(&demo_db(engine).await.db).await;
    let t = empty_db(engine).await;
    let a = App::new(
        Db::connect(&t.url).await.expect("a"),
        dualtrack_testkit::demo_security(),
    );
    let b = App::new(
        Db::connect(&t.url).await.expect("b"),
        dualtrack_testkit::demo_security(),
    );
    let (ra, rb) = tokio::join!(a.load_demo(), b.load_demo());
    let (ra, rb) = (ra.expect("first instance"), rb.expect("second instance"));
    assert!(ra ^ rb, "exactly one loaded ({ra}, {rb})");
    assert_eq!(counts(&t.db).await, whole);
}

on_both_engines!(
    a_transaction_begun_and_dropped_at_any_point_leaves_none_open,
    a_write_cancelled_at_any_point_leaves_the_server_writing,
    a_client_that_gives_up_while_its_write_waits_leaves_nothing_behind,
    a_report_retried_after_many_later_ones_is_answered_with_the_first,
    beyond_its_bounds_a_write_is_refused_at_once_and_never_started,
    an_interrupted_demo_load_is_resumed_whole,
    two_instances_starting_at_once_load_the_demo_once,
);
