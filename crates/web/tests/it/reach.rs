//! The events at places reach the channels on both engines, through the scheduler that runs
//! in `serve`: a hand-over overdue at a grid, a grid's daily report missing at its deadline,
//! a fever at a checkpoint (only where a channel names it), a store running short. Each is
//! sent once, names the place and the figure, links to the record, and never carries an ID
//! number or a phone unmasked.

use crate::channels::{channel, query_param, robot, robot_taking_files, Got};
use crate::common::{id_number, TestApp};
use crate::supplies::{kit, mv};
use crate::whistle::GRID;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, TimeZone, Utc};
use dualtrack_service::whistle::escalation::Scheduler;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::{json, Value};

/// 2020-03-20 13:00 China Standard Time: past the 12:00 deadline of the 03-19 reports.
pub(crate) fn noon() -> DateTime<Utc> {
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
        assert_eq!(
            (tick.events, tick.attempted, tick.examined),
            (0, 0, 0),
            "{tick:?}"
        );
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
    assert!(page.text.contains("待重试") && page.text.contains("HTTPS 证书不受信任"));
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

/// The part named `media` of a multipart body sent with `content_type`: its header line
/// and its bytes, checked against the length the header gives.
fn media_part(content_type: &str, raw: &[u8]) -> (String, Vec<u8>) {
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .expect("a boundary")
        .trim_matches('"');
    let start = format!("--{boundary}\r\n");
    assert!(raw.starts_with(start.as_bytes()), "the body opens a part");
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("the part's headers end");
    let head = String::from_utf8(raw[start.len()..head_end].to_vec()).expect("utf-8 headers");
    let body = &raw[head_end + 4..];
    let tail = format!("\r\n--{boundary}--\r\n");
    assert!(body.ends_with(tail.as_bytes()), "the body closes the part");
    let bytes = body[..body.len() - tail.len()].to_vec();
    (head, bytes)
}

fn document_xml(docx: &[u8]) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("a zip file");
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .expect("word/document.xml")
        .read_to_string(&mut xml)
        .expect("utf-8");
    xml
}

async fn the_briefing_is_pushed_at_its_hour_once(engine: Engine) {
    let t = TestApp::new(engine).await;
    // 07:59 China Standard Time on 03-20.
    let eight = Utc
        .with_ymd_and_hms(2020, 3, 20, 0, 0, 0)
        .single()
        .expect("time");
    t.app.clock.set(Some(eight - Duration::minutes(1)));
    // A WeCom robot whose first upload of a file fails; two requests a minute at most.
    let (base, got) = robot_taking_files(1).await;
    let key = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa";
    let hook = channel(
        &t,
        json!({"name": "格尔木领导群", "jurisdiction_code": "632801", "kind": "wecom",
               "url": base, "secret": key, "events": "briefing", "per_minute": 2}),
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
    assert!(a.expect("a").written + b.expect("b").written >= places as u32);
    // The message goes; its Word file waits: two more requests would pass the limit.
    one.tick().await.expect("tick");
    assert_eq!(got.lock().expect("lock").len(), 1);
    assert!(!two.tick().await.expect("tick").ran);
    one.stop().await;
    // Three hours on, the other instance uploads the file: refused, it waits and says why.
    t.app.clock.set(Some(eight + Duration::hours(3)));
    let tick = two.tick().await.expect("tick");
    assert!(tick.ran && tick.events == 0, "{tick:?}");
    assert_eq!((tick.attempted, tick.delivered), (1, 0), "{tick:?}");
    let op = t.token("golmud_operator").await;
    let rows = t
        .get_ok(&format!("/api/v1/webhooks/{hook}/deliveries"), &op)
        .await
        .json();
    let file_row = rows
        .as_array()
        .and_then(|r| {
            r.iter()
                .find(|d| d["event_name"] == "每日简报（Word 文件）")
        })
        .cloned()
        .expect("the file's delivery");
    assert_eq!(file_row["status"], "pending", "{file_row}");
    assert!(
        file_row["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("上传文件") && e.contains("503")),
        "{file_row}"
    );
    // After its back-off, and a minute after the failed upload, it is uploaded again and sent.
    t.app
        .clock
        .set(Some(eight + Duration::hours(3) + Duration::seconds(31)));
    let tick = two.tick().await.expect("tick");
    assert_eq!((tick.attempted, tick.delivered), (0, 0), "{tick:?}");
    t.app
        .clock
        .set(Some(eight + Duration::hours(3) + Duration::seconds(61)));
    let tick = two.tick().await.expect("tick");
    assert_eq!((tick.attempted, tick.delivered), (1, 1), "{tick:?}");
    t.app
        .clock
        .set(Some(eight + Duration::hours(3) + Duration::minutes(5)));
    let tick = two.tick().await.expect("tick");
    assert_eq!((tick.events, tick.attempted), (0, 0), "{tick:?}");
    assert_eq!(briefings().await, places);
    let got = got.lock().expect("lock").clone();
    let sends: Vec<&Got> = got
        .iter()
        .filter(|g| g.path == "/cgi-bin/webhook/send")
        .collect();
    let uploads: Vec<(usize, &Got)> = got
        .iter()
        .enumerate()
        .filter(|(_, g)| g.path == "/cgi-bin/webhook/upload_media")
        .collect();
    assert_eq!(
        (sends.len(), uploads.len(), got.len()),
        (2, 2, 4),
        "{got:?}"
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM channel_events WHERE kind = 'briefing_file'")
            .await,
        1
    );
    // Its headline is the briefing's own, with the link.
    let leader = t.token("golmud_leader").await;
    let b = t
        .get_ok("/api/v1/briefing?as_of=2020-03-19&place=632801", &leader)
        .await
        .json();
    let headline = b["sections"][0]["paragraphs"][0]
        .as_str()
        .expect("headline");
    let v: Value = serde_json::from_str(&sends[0].body).expect("json");
    let text = v["markdown"]["content"].as_str().expect("markdown");
    assert!(
        text.contains("每日简报")
            && text.contains(headline)
            && text.contains("/briefing?as_of=2020-03-19&place=632801"),
        "{text}"
    );
    // The upload: the robot's key and type=file, one part `media` with the file's name and
    // length, a Word document that opens and says what the briefing's download says.
    let (at, up) = uploads[1];
    assert_eq!(query_param(&up.query, "key"), key);
    assert_eq!(query_param(&up.query, "type"), "file");
    let content_type = up.headers["content-type"].to_str().expect("type");
    assert!(content_type.starts_with("multipart/form-data; boundary="));
    let (head, docx) = media_part(content_type, &up.raw);
    assert!(
        head.contains("name=\"media\"")
            && head.contains(&format!(
                "filename=\"{}简报2020-03-19.docx\"",
                b["place_name"].as_str().expect("name")
            ))
            && head.contains(&format!("filelength={}", docx.len())),
        "{head}"
    );
    let (status, download) = t
        .download(
            &leader,
            "/api/v1/briefing.docx?as_of=2020-03-19&place=632801",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(document_xml(&docx), document_xml(&download));
    // Then the file message names what the upload answered.
    let v: Value = serde_json::from_str(&sends[1].body).expect("json");
    assert_eq!(v["msgtype"], "file");
    assert_eq!(v["file"]["media_id"], format!("media-{}", at + 1));
    assert_eq!(query_param(&sends[1].query, "key"), key);
    // Never more than the channel's two requests in any minute.
    let times = sent_at(&t, hook).await;
    assert_eq!(times.len(), 4, "{times:?}");
    for (i, a) in times.iter().enumerate() {
        let within = times[i..]
            .iter()
            .filter(|b| **b - *a < Duration::seconds(60))
            .count();
        assert!(within <= 2, "{times:?}");
    }
    // The deliveries page shows the file's delivery and its state.
    let mut br = crate::common::Browser::new(&t);
    br.login("golmud_operator").await;
    let page = br.get(&format!("/whistle/webhooks/{hook}")).await;
    assert!(
        page.text.contains("每日简报（Word 文件）") && page.text.contains("已送达"),
        "{}",
        page.text
    );
    let mut br = crate::common::Browser::new(&t);
    br.login("golmud_leader").await;
    let page = br.get("/briefing?as_of=2020-03-19&place=632801").await;
    assert_eq!(page.status, StatusCode::OK);
}

/// When the requests to a channel were made (the application's clock), in order.
async fn sent_at(t: &TestApp, hook: i64) -> Vec<DateTime<Utc>> {
    match &t.db.db {
        dualtrack_store::Db::Sqlite(p) => sqlx::query_scalar(
            "SELECT sent_at FROM channel_sends WHERE webhook_id = $1 ORDER BY sent_at",
        )
        .bind(hook)
        .fetch_all(p)
        .await
        .expect("sends"),
        dualtrack_store::Db::Postgres(p) => sqlx::query_scalar(
            "SELECT sent_at FROM channel_sends WHERE webhook_id = $1 ORDER BY sent_at",
        )
        .bind(hook)
        .fetch_all(p)
        .await
        .expect("sends"),
    }
}

/// A round after which nothing happened reads nothing; what happens is found once, even
/// after the scheduler was down for days across a day boundary.
async fn a_round_reads_only_what_is_new(engine: Engine) {
    let t = TestApp::new(engine).await;
    let start = noon() - Duration::hours(3);
    t.app.clock.set(Some(start));
    let (base, got) = robot(0).await;
    channel(
        &t,
        json!({"name": "格尔木指挥部", "jurisdiction_code": "632801", "kind": "generic",
               "url": format!("{base}/hook"), "secret": "golmud-command-robot-secret",
               "events": "handover_overdue,fever", "per_minute": 600}),
    )
    .await;
    let scheduler = Scheduler::new(t.app.clone(), "one", std::time::Duration::from_secs(30));
    scheduler.tick().await.expect("tick");
    let at = |m: i64| start + Duration::minutes(m);
    t.app.clock.set(Some(at(1)));
    let tick = scheduler.tick().await.expect("tick");
    assert_eq!((tick.events, tick.examined), (0, 0), "{tick:?}");
    // A fever, handed over to the grid at once (due two hours on); then the scheduler is down
    // for three days.
    let (p, _) = passage(&t, 38.4, "observation").await;
    let handover = p["travellers"][0]["handover_id"]
        .as_i64()
        .expect("handover");
    let passage_id = p["id"].as_i64().expect("passage");
    t.app.clock.set(Some(at(2) + Duration::days(3)));
    let tick = scheduler.tick().await.expect("tick");
    assert!(tick.examined > 0 && tick.events >= 2, "{tick:?}");
    for key in [
        format!("handover_overdue:{handover}"),
        format!("fever:{passage_id}"),
    ] {
        let n = t
            .count(&format!(
                "SELECT COUNT(*) FROM channel_events WHERE event_key = '{key}'"
            ))
            .await;
        assert_eq!(n, 1, "{key}");
    }
    // Nothing new: the next rounds read nothing and send nothing.
    let sent = got.lock().expect("lock").len();
    for m in [3, 4] {
        t.app.clock.set(Some(at(m) + Duration::days(3)));
        let tick = scheduler.tick().await.expect("tick");
        assert_eq!(
            (tick.events, tick.examined, tick.attempted),
            (0, 0, 0),
            "{tick:?}"
        );
    }
    let got = got.lock().expect("lock").clone();
    assert_eq!(got.len(), sent);
    let all = items(&got);
    for (kind, path) in [
        ("handover_overdue", format!("/handovers/{handover}")),
        ("fever", "/checkpoints/".to_string()),
    ] {
        let n = all
            .iter()
            .filter(|i| {
                i["event"] == kind && i["path"].as_str().is_some_and(|p| p.starts_with(&path))
            })
            .count();
        assert_eq!(n, 1, "{kind}: {all:?}");
    }
    // The hand-overs come due are looked up on their index, not by reading the table.
    let sql = dualtrack_store::whistle::COME_DUE_SQL;
    match &t.db.db {
        dualtrack_store::Db::Sqlite(p) => {
            let plan: Vec<(i64, i64, i64, String)> =
                sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
                    .bind(start)
                    .bind(at(1))
                    .fetch_all(p)
                    .await
                    .expect("plan");
            let steps: Vec<&str> = plan.iter().map(|r| r.3.as_str()).collect();
            assert!(
                steps.iter().any(|s| s.contains("handovers_pending_due"))
                    && !steps.iter().any(|s| s.starts_with("SCAN")),
                "{steps:?}"
            );
        }
        dualtrack_store::Db::Postgres(p) => {
            let defs: Vec<String> = sqlx::query_scalar(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'handovers_pending_due'",
            )
            .fetch_all(p)
            .await
            .expect("indexes");
            assert!(
                defs.iter()
                    .any(|d| d.contains("(due_at)") && d.contains("pending")),
                "{defs:?}"
            );
        }
    }
}

/// A place that gains a leader after the day's briefings were pushed gets that day's briefing
/// at the next round, once; a round before that, and after it, writes none.
async fn a_leader_added_after_the_hour_gets_the_days_briefing(engine: Engine) {
    let t = TestApp::new(engine).await;
    let nine = Utc
        .with_ymd_and_hms(2020, 3, 20, 1, 0, 0)
        .single()
        .expect("time");
    t.app.clock.set(Some(nine));
    let actor = dualtrack_service::whistle::escalation::scheduler_actor("x", &t.app.clock);
    let wulan =
        "SELECT COUNT(*) FROM channel_events WHERE kind = 'briefing' AND place_code = '632821'";
    let first = t.app.raise_place_events(&actor).await.expect("round");
    assert!(first.written >= 1, "{first:?}");
    assert_eq!(t.count(wulan).await, 0, "乌兰 has no leader yet");
    let again = t.app.raise_place_events(&actor).await.expect("round");
    assert_eq!(again.written, 0, "{again:?}");
    // The security administrator gives 乌兰县 a leader at 10:00.
    t.app.clock.set(Some(nine + Duration::hours(1)));
    let sec = t.token("secadmin").await;
    let r = t
        .post(
            "/api/v1/users",
            &sec,
            json!({"username": "wulan_leader", "display_name": "乌兰县领导", "password": "Chaka#2020x",
                   "jurisdiction_code": "632821", "roles": ["leader"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let late = t.app.raise_place_events(&actor).await.expect("round");
    assert_eq!(late.written, 1, "{late:?}");
    assert_eq!(t.count(wulan).await, 1);
    let key = t
        .count(
            "SELECT COUNT(*) FROM channel_events WHERE kind = 'briefing' \
             AND event_key = 'briefing:632821:2020-03-19'",
        )
        .await;
    assert_eq!(key, 1, "yesterday's briefing of 乌兰");
    let after = t.app.raise_place_events(&actor).await.expect("round");
    assert_eq!(after.written, 0, "{after:?}");
    assert_eq!(t.count(wulan).await, 1);
}

on_both_engines!(
    a_leader_added_after_the_hour_gets_the_days_briefing,
    the_briefing_is_pushed_at_its_hour_once,
    a_round_reads_only_what_is_new,
    each_event_reaches_its_channel_once,
    a_robot_over_https_with_the_configured_ca
);
