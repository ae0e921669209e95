//! The events at places reach the channels on both engines, through the scheduler that runs
//! in `serve`: a hand-over overdue at a grid, a grid's daily report missing at its deadline,
//! a fever at a checkpoint (only where a channel names it), a store running short. Each is
//! sent once, names the place and the figure, links to the record, and never carries an ID
//! number or a phone unmasked.

use crate::channels::{channel, robot, Got};
use crate::common::{id_number, TestApp};
use crate::supplies::{kit, mv};
use crate::whistle::GRID;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, TimeZone, Utc};
use dualtrack_service::whistle::escalation::Scheduler;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::{json, Value};

/// 2020-03-20 13:00 China Standard Time: past the 12:00 deadline of the 03-19 reports.
fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 3, 20, 5, 0, 0)
        .single()
        .expect("time")
}

const TRAVELLER_ID: &str = "63280119800101003";
const TRAVELLER_PHONE: &str = "13897004321";

/// A passage at 格尔木南出口 of one traveller bound for the grid, with a temperature and
/// what was done; and the checkpoint.
pub(crate) async fn passage(t: &TestApp, temperature: f64, outcome: &str) -> (Value, i64) {
    let worker = t.token("checkpoint_worker").await;
    let south = t.checkpoint("格尔木南出口").await;
    let r = t
        .register_passage(
            south,
            &worker,
            json!({"plate": "青H23456", "vehicle_class": "car", "origin": "青海省西宁市",
                   "travel_history": "西宁市城东区", "destination": GRID, "reason": "返岗复工",
                   "travellers": [{"name": "韩建国", "id_number": id_number(TRAVELLER_ID),
                                   "phone": TRAVELLER_PHONE, "temperature": temperature,
                                   "outcome": outcome}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    (r.json(), south)
}

/// Every item the generic channel received: one body, or the items of a digest.
fn items(got: &[Got]) -> Vec<Value> {
    got.iter()
        .flat_map(|g| {
            let v: Value = serde_json::from_str(&g.body).expect("json");
            match v["items"].as_array() {
                Some(many) => many.clone(),
                None => vec![v],
            }
        })
        .collect()
}

async fn each_event_reaches_its_channel_once(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(noon() - Duration::days(11)));
    // A store that runs short by the day: 1400 masks in, 100 a day out.
    let k = kit(&t).await;
    let day = |d: i64| (noon() - Duration::days(d)).format("%Y-%m-%d").to_string();
    let r = mv(
        &t,
        "golmud_operator",
        k.station,
        json!({"kind": "receipt", "item_id": k.mask, "quantity": 1400, "moved_on": day(11)}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    for d in 1..=10 {
        t.app.clock.set(Some(noon() - Duration::days(d)));
        let r = mv(
            &t,
            "golmud_operator",
            k.station,
            json!({"kind": "issue", "item_id": k.mask, "quantity": 100, "moved_on": day(d),
                   "counterparty": "卡口值守"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    t.app.clock.set(Some(noon() - Duration::hours(3)));
    let (base, got) = robot(0).await;
    let secret = "golmud-command-robot-secret";
    let events = "handover_overdue,report_missing,fever,low_stock";
    channel(
        &t,
        json!({"name": "格尔木指挥部", "jurisdiction_code": "632801", "kind": "generic",
               "url": format!("{base}/hook"), "secret": secret, "events": events, "per_minute": 600}),
    )
    .await;
    // A group robot of the grid's township taking every event: all but fevers.
    channel(
        &t,
        json!({"name": "郭勒木德镇值班群", "jurisdiction_code": "632801001", "kind": "wecom",
               "url": base, "secret": "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"}),
    )
    .await;
    // A traveller with a fever, handed over to the grid at 10:00, not acknowledged.
    let (p, checkpoint) = passage(&t, 38.2, "observation").await;
    let handover = p["travellers"][0]["handover_id"]
        .as_i64()
        .expect("handover");
    let leader = t.token("golmud_leader").await;
    let low = t
        .get_ok(
            &format!("/api/v1/supplies/low-stock?as_of={}", day(0)),
            &leader,
        )
        .await
        .json();
    let line = low["lines"]
        .as_array()
        .and_then(|l| l.iter().find(|x| x["store_id"] == k.station))
        .cloned()
        .expect("the station runs short");
    // 13:00: the two hours of the hand-over have passed, and the deadline of the reports.
    t.app.clock.set(Some(noon()));
    let scheduler = Scheduler::new(t.app.clone(), "one", std::time::Duration::from_secs(30));
    let tick = scheduler.tick().await.expect("tick");
    assert!(tick.ran && tick.events >= 4, "{tick:?}");
    let first = got.lock().expect("lock").clone();
    let hook: Vec<Got> = first
        .iter()
        .filter(|g| g.path == "/hook")
        .cloned()
        .collect();
    let all = items(&hook);
    let of = |kind: &str, path: &str| -> Vec<Value> {
        all.iter()
            .filter(|i| i["event"] == kind && i["path"] == path)
            .cloned()
            .collect()
    };
    let one = |kind: &str, path: String| -> String {
        let found = of(kind, &path);
        assert_eq!(found.len(), 1, "{kind} {path}: {all:?}");
        found[0]["message"].as_str().expect("message").to_string()
    };
    let m = one("handover_overdue", format!("/handovers/{handover}"));
    assert!(
        m.contains(&format!("交接 {handover}"))
            && m.contains("超时 60 分钟")
            && m.contains("格尔木南出口"),
        "{m}"
    );
    let m = one("report_missing", format!("/grids/{GRID}"));
    assert!(m.contains("03-19 的网格日报截至 03-20 12:00 未报送"), "{m}");
    let m = one("fever", format!("/checkpoints/{checkpoint}"));
    assert!(
        m.contains("格尔木南出口") && m.contains("登记发热 1 人"),
        "{m}"
    );
    let m = one("low_stock", format!("/supplies/stores/{}", k.station));
    assert!(
        m.contains("测试唐古拉站")
            && m.contains(&format!("余 {} 个", line["balance"]))
            && m.contains(&format!("可用 {} 天", line["days_of_cover"])),
        "{m}"
    );
    // The township's robot got the grid's events in markdown with links, but not the fever.
    let wecom: Vec<&Got> = first.iter().filter(|g| g.path != "/hook").collect();
    let text: String = wecom.iter().map(|g| g.body.clone()).collect();
    assert!(
        text.contains(&format!("/handovers/{handover}"))
            && text.contains(&format!("/grids/{GRID}"))
            && text.contains("查看详情")
            && !text.contains("卡口发热"),
        "{text}"
    );
    for g in &first {
        assert!(
            !g.body.contains(TRAVELLER_ID) && !g.body.contains(TRAVELLER_PHONE),
            "{}",
            g.body
        );
    }
    // The links open the records after login.
    let mut b = crate::common::Browser::new(&t);
    b.login("golmud_leader").await;
    for path in [
        format!("/handovers/{handover}"),
        format!("/grids/{GRID}"),
        format!("/checkpoints/{checkpoint}"),
        format!("/supplies/stores/{}", k.station),
    ] {
        assert_eq!(b.get(&path).await.status, StatusCode::OK, "{path}");
    }
    // Later passes, by this instance or another, send nothing again.
    let other = Scheduler::new(t.app.clone(), "two", std::time::Duration::from_secs(30));
    for s in [&scheduler, &scheduler] {
        t.app.clock.set(Some(t.app.now() + Duration::minutes(5)));
        let tick = s.tick().await.expect("tick");
        assert_eq!((tick.events, tick.attempted), (0, 0), "{tick:?}");
    }
    scheduler.stop().await;
    let tick = other.tick().await.expect("tick");
    assert!(tick.ran);
    assert_eq!((tick.events, tick.attempted), (0, 0), "{tick:?}");
    assert_eq!(got.lock().expect("lock").len(), first.len());
    // The deliveries page names what each carried.
    let mut op = crate::common::Browser::new(&t);
    op.login("golmud_operator").await;
    let hooks = t
        .get_ok("/api/v1/webhooks", &t.token("golmud_operator").await)
        .await
        .json();
    let id = hooks
        .as_array()
        .and_then(|h| h.iter().find(|x| x["name"] == "格尔木指挥部"))
        .and_then(|h| h["id"].as_i64())
        .expect("channel");
    let page = op.get(&format!("/whistle/webhooks/{id}")).await;
    assert!(
        page.text.contains("交接超时") && page.text.contains("物资短缺"),
        "{}",
        page.text
    );
}

/// A robot served over HTTPS on 127.0.0.1 with a self-signed certificate: its address, what
/// it received, and the certificate's PEM file (the CA to trust).
async fn https_robot(
    dir: &std::path::Path,
) -> (String, crate::channels::Inbox, std::path::PathBuf) {
    use tower::ServiceExt as _;
    let pair = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
        .expect("certificate");
    let (cert, key) = (dir.join("robot.pem"), dir.join("robot.key"));
    std::fs::write(&cert, pair.cert.pem()).expect("write cert");
    std::fs::write(&key, pair.key_pair.serialize_pem()).expect("write key");
    let acceptor =
        tokio_rustls::TlsAcceptor::from(dualtrack_web::tls::load(&cert, &key).expect("tls"));
    let (app, got) = crate::channels::robot_app(0);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let svc = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        app.clone().oneshot(req.map(axum::body::Body::new))
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    (format!("https://{addr}"), got, cert)
}

async fn a_robot_over_https_with_the_configured_ca(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(crate::whistle::t0()));
    let dir = tempfile::tempdir().expect("dir");
    let (url, got, ca) = https_robot(dir.path()).await;
    let health = crate::whistle::dept(&t, "格尔木市卫健委").await;
    let hook = channel(
        &t,
        json!({"name": "卫健委值班群", "jurisdiction_code": "632801", "department_id": health,
               "kind": "wecom", "url": url, "secret": "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"}),
    )
    .await;
    let id = crate::channels::ticket(&t, 1).await;
    // Without the CA the certificate is not trusted: the delivery waits, saying why.
    let plain = dualtrack_service::whistle::webhook::client();
    assert_eq!(t.app.deliver_due(&plain).await.expect("deliver"), (1, 0));
    assert!(got.lock().expect("lock").is_empty());
    let op = t.token("golmud_operator").await;
    let rows = t
        .get_ok(&format!("/api/v1/webhooks/{hook}/deliveries"), &op)
        .await
        .json();
    assert_eq!(rows[0]["status"], "pending", "{rows}");
    let error = rows[0]["last_error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(error.contains("HTTPS 证书不受信任"), "{error}");
    let mut b = crate::common::Browser::new(&t);
    b.login("golmud_operator").await;
    let page = b.get(&format!("/whistle/webhooks/{hook}")).await;
    assert!(page.text.contains("待发送") && page.text.contains("HTTPS 证书不受信任"));
    // With the CA configured, the retry after the back-off is delivered.
    let mut app = t.app.clone();
    app.whistle.ca_file = Some(ca);
    t.app
        .clock
        .set(Some(crate::whistle::t0() + Duration::seconds(31)));
    assert_eq!(
        app.deliver_due(&app.channel_client())
            .await
            .expect("deliver"),
        (1, 1)
    );
    let got = got.lock().expect("lock").clone();
    assert_eq!(got.len(), 1);
    assert!(
        got[0].body.contains(&format!("/tickets/{id}")),
        "{}",
        got[0].body
    );
    // A CA file that holds no certificate is refused by name.
    let bad = dir.path().join("empty.pem");
    std::fs::write(&bad, "not a certificate").expect("write");
    let e = dualtrack_service::whistle::webhook::client_trusting(Some(&bad)).expect_err("refused");
    // (The key is named in two parts here: a quoted "whistle." name reads as an indicator id
    // to the catalogue's test.)
    let key = format!("{}.ca_file", "whistle");
    assert!(e.contains(&key), "{e}");
}

async fn the_briefing_is_pushed_at_its_hour_once(engine: Engine) {
    let t = TestApp::new(engine).await;
    // 07:59 China Standard Time on 03-20.
    let eight = Utc
        .with_ymd_and_hms(2020, 3, 20, 0, 0, 0)
        .single()
        .expect("time");
    t.app.clock.set(Some(eight - Duration::minutes(1)));
    let (base, got) = robot(0).await;
    channel(
        &t,
        json!({"name": "格尔木领导群", "jurisdiction_code": "632801", "kind": "wecom",
               "url": base, "secret": "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa", "events": "briefing"}),
    )
    .await;
    let one = Scheduler::new(t.app.clone(), "one", std::time::Duration::from_secs(30));
    let two = Scheduler::new(t.app.clone(), "two", std::time::Duration::from_secs(30));
    let tick = one.tick().await.expect("tick");
    assert!(tick.ran);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM channel_events WHERE kind = 'briefing'")
            .await,
        0
    );
    assert!(got.lock().expect("lock").is_empty());
    // 08:00: both instances' rounds, and both writing at once, push it once a place.
    t.app.clock.set(Some(eight));
    let places = t
        .count(
            "SELECT COUNT(DISTINCT u.jurisdiction_code) FROM users u JOIN user_roles r \
             ON r.user_id = u.id WHERE r.role = 'leader' AND NOT u.disabled",
        )
        .await;
    let actor = dualtrack_service::whistle::escalation::scheduler_actor("x", &t.app.clock);
    let (a, b) = tokio::join!(
        t.app.raise_place_events(&actor),
        t.app.raise_place_events(&actor)
    );
    let briefings = || t.count("SELECT COUNT(*) FROM channel_events WHERE kind = 'briefing'");
    assert_eq!(briefings().await, places);
    assert!(a.expect("a") + b.expect("b") >= places as u32);
    one.tick().await.expect("tick");
    assert!(!two.tick().await.expect("tick").ran);
    one.stop().await;
    t.app.clock.set(Some(eight + Duration::hours(3)));
    let tick = two.tick().await.expect("tick");
    assert!(tick.ran && tick.events == 0, "{tick:?}");
    assert_eq!(briefings().await, places);
    let got = got.lock().expect("lock").clone();
    assert_eq!(got.len(), 1, "{got:?}");
    // Its headline is the briefing's own, with the link.
    let leader = t.token("golmud_leader").await;
    let b = t
        .get_ok("/api/v1/briefing?as_of=2020-03-19&place=632801", &leader)
        .await
        .json();
    let headline = b["sections"][0]["paragraphs"][0]
        .as_str()
        .expect("headline");
    let v: Value = serde_json::from_str(&got[0].body).expect("json");
    let text = v["markdown"]["content"].as_str().expect("markdown");
    assert!(
        text.contains("每日简报")
            && text.contains(headline)
            && text.contains("/briefing?as_of=2020-03-19&place=632801"),
        "{text}"
    );
    let mut br = crate::common::Browser::new(&t);
    br.login("golmud_leader").await;
    let page = br.get("/briefing?as_of=2020-03-19&place=632801").await;
    assert_eq!(page.status, StatusCode::OK);
}

on_both_engines!(
    the_briefing_is_pushed_at_its_hour_once,
    each_event_reaches_its_channel_once,
    a_robot_over_https_with_the_configured_ca
);
