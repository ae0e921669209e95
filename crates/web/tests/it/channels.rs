//! A unit's channels on both engines, against local receivers standing in for each robot: the
//! request each platform documents (URL, signature, body), the @s, the per-minute limit with
//! digests that never drop a notice, retries until a robot is back, and masking.

use crate::common::{self, Browser, TestApp};
use crate::whistle::{dept, field, raise, t0, GRID};
use axum::http::StatusCode;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use dualtrack_service::whistle::webhook::client;
use dualtrack_testkit::{on_both_engines, Engine};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

/// A request a robot received: path, query, headers, body (and its bytes, for a file).
#[derive(Clone, Debug)]
pub(crate) struct Got {
    pub path: String,
    pub query: String,
    pub headers: axum::http::HeaderMap,
    pub body: String,
    pub raw: Vec<u8>,
}

pub(crate) type Inbox = Arc<Mutex<Vec<Got>>>;

/// A robot on 127.0.0.1 that answers the first `fail` requests with an error (a 503, then a
/// 200 carrying WeCom's "freq out of limit" errcode, by turns) and the rest with errcode 0.
pub(crate) async fn robot(fail: usize) -> (String, Inbox) {
    let (app, got) = robot_app_with(fail, 0);
    let addr = common::serve_on_loopback(app).await;
    (format!("http://{addr}"), got)
}

/// A robot whose first `fail_uploads` uploads of a file are answered with a 503; the others
/// are answered as 企业微信 does, with a `media_id` (`media-{n}`, n counting the requests).
pub(crate) async fn robot_taking_files(fail_uploads: usize) -> (String, Inbox) {
    let (app, got) = robot_app_with(0, fail_uploads);
    let addr = common::serve_on_loopback(app).await;
    (format!("http://{addr}"), got)
}

/// The robot's routes, to serve over HTTP or HTTPS, and what it received.
pub(crate) fn robot_app(fail: usize) -> (axum::Router, Inbox) {
    robot_app_with(fail, 0)
}

fn robot_app_with(fail: usize, fail_uploads: usize) -> (axum::Router, Inbox) {
    let got: Inbox = Arc::default();
    let keep = got.clone();
    let app = axum::Router::new().fallback(axum::routing::any(
        move |uri: axum::http::Uri, headers: axum::http::HeaderMap, raw: axum::body::Bytes| {
            let keep = keep.clone();
            async move {
                let mut g = keep.lock().expect("lock");
                g.push(Got {
                    path: uri.path().to_string(),
                    query: uri.query().unwrap_or_default().to_string(),
                    headers,
                    body: String::from_utf8_lossy(&raw).into_owned(),
                    raw: raw.to_vec(),
                });
                let n = g.len();
                let uploads = g
                    .iter()
                    .filter(|x| x.path.ends_with("/upload_media"))
                    .count();
                if uri.path().ends_with("/upload_media") {
                    if uploads <= fail_uploads {
                        (StatusCode::SERVICE_UNAVAILABLE, String::new())
                    } else {
                        (
                            StatusCode::OK,
                            format!(
                                r#"{{"errcode":0,"errmsg":"ok","type":"file","media_id":"media-{n}","created_at":"1584662400"}}"#
                            ),
                        )
                    }
                } else if n <= fail && n % 2 == 1 {
                    (StatusCode::SERVICE_UNAVAILABLE, String::new())
                } else if n <= fail {
                    (
                        StatusCode::OK,
                        r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#.into(),
                    )
                } else {
                    (StatusCode::OK, r#"{"errcode":0,"errmsg":"ok"}"#.into())
                }
            }
        },
    ));
    (app, got)
}

fn hmac_b64(key: &[u8], msg: &[u8]) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("key");
    m.update(msg);
    base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes())
}

pub(crate) fn query_param(q: &str, name: &str) -> String {
    form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

pub(crate) async fn channel(t: &TestApp, body: Value) -> i64 {
    let op = t.token("golmud_operator").await;
    let r = t.post("/api/v1/webhooks", &op, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json()["id"].as_i64().expect("id")
}

/// A ticket to the county's health commission (routed by rule), its title carrying an ID
/// number and a mobile as a grid worker might type them.
pub(crate) async fn ticket(t: &TestApp, n: usize) -> i64 {
    let gw = t.token("grid_worker").await;
    let d = raise(
        t,
        &gw,
        json!({"kind": "emergency", "category": "epidemic", "jurisdiction_code": GRID,
               "title": format!("第{n}户发热 身份证632801199001011234 电话13912345678"),
               "description": "入户摸排发现发热人员，需转运"}),
    )
    .await;
    d["ticket"]["id"].as_i64().expect("id")
}

const ID_NUMBER: &str = "632801199001011234";
const MOBILE: &str = "13912345678";

async fn each_robot_gets_its_platforms_request(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(t0()));
    let (base, got) = robot(0).await;
    let health = dept(&t, "格尔木市卫健委").await;
    let on = |kind: &str, url: String, secret: &str, extra: Value| {
        let mut b = json!({"name": format!("{kind} 值班群"), "jurisdiction_code": "632801",
            "department_id": health, "kind": kind, "url": url, "secret": secret});
        for (k, v) in extra.as_object().expect("object") {
            b[k] = v.clone();
        }
        b
    };
    let wecom_key = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa";
    let ding_secret = "SEC0123456789abcdef0123456789abcdef";
    let feishu_secret = "feishu-signing-secret-1";
    let generic_secret = "golmud-health-robot-secret";
    channel(
        &t,
        on(
            "wecom",
            format!("{base}/"),
            wecom_key,
            json!({"mentions": "13897001234, wangwei"}),
        ),
    )
    .await;
    channel(
        &t,
        on(
            "dingtalk",
            format!("{base}/robot/send?access_token=abc123"),
            ding_secret,
            json!({"mentions": "13897001234", "events": "raised", "keyword": "防控"}),
        ),
    )
    .await;
    channel(
        &t,
        on(
            "feishu",
            format!("{base}/open-apis/bot/v2/hook/f00d"),
            feishu_secret,
            json!({"keyword": "双线指挥"}),
        ),
    )
    .await;
    channel(
        &t,
        on("generic", format!("{base}/hook"), generic_secret, json!({})),
    )
    .await;
    channel(
        &t,
        on("sms", format!("{base}/sms"), generic_secret,
           json!({"mentions": "13897001234", "sms_signature": "海西州防控办", "sms_templates": "raised=SMS_100,default=SMS_0"})),
    )
    .await;
    // A channel taking only escalations gets nothing from a raise.
    channel(
        &t,
        on(
            "wecom",
            format!("{base}/escalations"),
            wecom_key,
            json!({"events": "escalated"}),
        ),
    )
    .await;
    let id = ticket(&t, 1).await;
    let (attempted, delivered) = t.app.deliver_due(&client()).await.expect("deliver");
    assert_eq!((attempted, delivered), (5, 5));
    let got = got.lock().expect("lock").clone();
    assert_eq!(got.len(), 5, "{got:?}");
    let link = format!("/tickets/{id}");
    let by = |p: &str| {
        got.iter()
            .find(|g| g.path == p)
            .cloned()
            .unwrap_or_else(|| panic!("no request to {p}: {got:?}"))
    };
    // 企业微信: the key in the query, text with the @s.
    let w = by("/cgi-bin/webhook/send");
    assert_eq!(query_param(&w.query, "key"), wecom_key);
    assert_eq!(w.headers["content-type"], "application/json; charset=utf-8");
    let v: Value = serde_json::from_str(&w.body).expect("json");
    assert_eq!(v["msgtype"], "text");
    assert_eq!(v["text"]["mentioned_mobile_list"], json!(["13897001234"]));
    assert_eq!(v["text"]["mentioned_list"], json!(["wangwei"]));
    let content = v["text"]["content"].as_str().expect("content");
    assert!(
        content.contains(&link) && content.contains("吹哨"),
        "{content}"
    );
    // 钉钉: timestamp and sign in the query, signed as its documentation says; an actionCard.
    let d = by("/robot/send");
    assert_eq!(query_param(&d.query, "access_token"), "abc123");
    let ts = query_param(&d.query, "timestamp");
    let ms: i64 = ts.parse().expect("ms");
    assert!((ms - dualtrack_service::clock::wall().timestamp_millis()).abs() < 60_000);
    assert_eq!(
        query_param(&d.query, "sign"),
        hmac_b64(
            ding_secret.as_bytes(),
            format!("{ts}\n{ding_secret}").as_bytes()
        )
    );
    let v: Value = serde_json::from_str(&d.body).expect("json");
    assert_eq!(v["msgtype"], "actionCard");
    assert!(v["actionCard"]["singleURL"]
        .as_str()
        .is_some_and(|u| u.ends_with(&link)));
    assert_eq!(v["at"]["atMobiles"], json!(["13897001234"]));
    assert!(v["actionCard"]["text"]
        .as_str()
        .is_some_and(|s| s.starts_with("**【防控】双线指挥平台")));
    // The robot's keyword (自定义关键词) in the title and the text.
    assert!(v["actionCard"]["title"]
        .as_str()
        .is_some_and(|s| s.starts_with("【防控】双线指挥平台")));
    // 飞书: timestamp and sign in the body; a post with the link.
    let f = by("/open-apis/bot/v2/hook/f00d");
    let v: Value = serde_json::from_str(&f.body).expect("json");
    let ts = v["timestamp"].as_str().expect("timestamp");
    assert_eq!(
        v["sign"],
        hmac_b64(format!("{ts}\n{feishu_secret}").as_bytes(), b"")
    );
    assert_eq!(v["msg_type"], "post");
    let post = &v["content"]["post"]["zh_cn"];
    // A keyword the title already carries is not added again.
    assert!(post["title"]
        .as_str()
        .is_some_and(|s| s.starts_with("双线指挥平台") && s.contains("吹哨")));
    assert!(post["content"][0][1]["href"]
        .as_str()
        .is_some_and(|h| h.ends_with(&link)));
    // The generic webhook: the notice's JSON, signed.
    let g = by("/hook");
    let ts = g.headers["x-dualtrack-timestamp"].to_str().expect("ts");
    let mut m = Hmac::<Sha256>::new_from_slice(generic_secret.as_bytes()).expect("key");
    m.update(format!("{ts}.{}", g.body).as_bytes());
    assert_eq!(
        g.headers["x-dualtrack-signature"].to_str().expect("sig"),
        format!("sha256={}", hex::encode(m.finalize().into_bytes()))
    );
    let v: Value = serde_json::from_str(&g.body).expect("json");
    assert_eq!(v["ticket"]["id"], id);
    // SMS: signature, the event's template, the numbers, the template's variables.
    let s = by("/sms");
    let v: Value = serde_json::from_str(&s.body).expect("json");
    assert_eq!(v["sign_name"], "海西州防控办");
    assert_eq!(v["template_id"], "SMS_100");
    assert_eq!(v["phone_numbers"], json!(["13897001234"]));
    assert!(v["template_param"]["title"]
        .as_str()
        .is_some_and(|s| s.contains("632801********1234") && s.contains("139****5678")));
    // No message carries the typed ID number or mobile unmasked.
    for g in &got {
        assert!(
            !g.body.contains(ID_NUMBER) && !g.body.contains(MOBILE),
            "{}",
            g.body
        );
    }
    // The link opens the record after login.
    let gw = t.token("grid_worker").await;
    assert_eq!(
        t.get(&format!("/api/v1{link}"), &gw).await.status,
        StatusCode::OK
    );
    // What each channel refuses, naming the field.
    let op = t.token("golmud_operator").await;
    for (patch, want) in [
        (json!({"kind": "qq"}), "kind"),
        (
            json!({"kind": "wecom", "url": format!("{base}/cgi-bin/webhook/send?key=x")}),
            "url",
        ),
        (json!({"kind": "wecom", "per_minute": 21}), "per_minute"),
        (json!({"events": "raised,nope"}), "events"),
        (json!({"mentions": "a b c; drop"}), "mentions"),
        (json!({"kind": "wecom", "keyword": "防控"}), "keyword"),
        (
            json!({"kind": "dingtalk", "keyword": "防控防控防控防控防控防控防控防控防控防控防控"}),
            "keyword",
        ),
        (
            json!({"kind": "sms", "mentions": "13897001234", "sms_templates": "default=SMS_0"}),
            "sms_signature",
        ),
        (
            json!({"kind": "sms", "mentions": "13897001234", "sms_signature": "海西"}),
            "sms_templates",
        ),
        (
            json!({"kind": "sms", "sms_signature": "海西", "sms_templates": "default=SMS_0"}),
            "mentions",
        ),
    ] {
        let mut body = json!({"name": "x", "jurisdiction_code": "632801", "url": format!("{base}/x"), "secret": generic_secret});
        for (k, v) in patch.as_object().expect("object") {
            body[k] = v.clone();
        }
        let r = t.post("/api/v1/webhooks", &op, body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{patch}: {}",
            r.text
        );
        assert_eq!(field(&r), want, "{patch}");
    }
    assert_eq!(t.count("SELECT COUNT(*) FROM webhooks").await, 6);
}

/// The ticket ids a received body links to.
fn linked(body: &str) -> Vec<i64> {
    body.split("/tickets/")
        .skip(1)
        .filter_map(|s| {
            let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect()
}

/// How many events the burst to one robot carries.
const BURST: i64 = 100;

async fn a_burst_stays_within_the_robots_limit_and_names_every_event(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(t0()));
    let (base, got) = robot(0).await;
    let health = dept(&t, "格尔木市卫健委").await;
    let hook = channel(
        &t,
        json!({"name": "卫健委值班群", "jurisdiction_code": "632801", "department_id": health,
               "kind": "wecom", "url": base, "secret": "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"}),
    )
    .await;
    let c = client();
    // 100 events in 100 seconds, the scheduler running after each; then its rounds go on.
    let mut sent_at: Vec<DateTime<Utc>> = Vec::new();
    let mut ids = BTreeSet::new();
    let round = |at: DateTime<Utc>, before: usize, sent_at: &mut Vec<DateTime<Utc>>| {
        let now = got.lock().expect("lock").len();
        sent_at.extend(std::iter::repeat_n(at, now - before));
        now
    };
    let mut seen = 0;
    for i in 0..BURST {
        let at = t0() + Duration::seconds(i);
        t.app.clock.set(Some(at));
        ids.insert(ticket(&t, i as usize).await);
        t.app.deliver_due(&c).await.expect("deliver");
        seen = round(at, seen, &mut sent_at);
    }
    for k in 1..=4 {
        let at = t0() + Duration::seconds(BURST + 61 * k);
        t.app.clock.set(Some(at));
        t.app.deliver_due(&c).await.expect("deliver");
        seen = round(at, seen, &mut sent_at);
    }
    // Never more than 20 requests in any minute.
    for (i, a) in sent_at.iter().enumerate() {
        let in_window = sent_at[i..]
            .iter()
            .filter(|b| **b - *a < Duration::seconds(60))
            .count();
        assert!(
            in_window <= 20,
            "{in_window} requests within a minute of {a}"
        );
    }
    // Every event is named, none twice.
    let got = got.lock().expect("lock").clone();
    let mut named: Vec<i64> = got.iter().flat_map(|g| linked(&g.body)).collect();
    named.sort_unstable();
    assert_eq!(named, ids.iter().copied().collect::<Vec<_>>());
    for g in &got {
        let v: Value = serde_json::from_str(&g.body).expect("json");
        let content = v["markdown"]["content"].as_str().expect("markdown");
        assert!(content.len() <= 4096, "{}", content.len());
        assert!(!g.body.contains(ID_NUMBER) && !g.body.contains(MOBILE));
    }
    let items: Vec<i64> = {
        let rows = t
            .count("SELECT COUNT(*) FROM channel_sends WHERE items = 1")
            .await;
        let digests = t
            .count("SELECT COUNT(*) FROM channel_sends WHERE items > 1")
            .await;
        let in_digests = t
            .count("SELECT COALESCE(SUM(items), 0) FROM channel_sends WHERE items > 1")
            .await;
        vec![rows, digests, in_digests]
    };
    println!(
        "burst of {BURST} to one robot: {} requests ({} alone, {} digests carrying {})",
        got.len(),
        items[0],
        items[1],
        items[2]
    );
    let first_alone = t
        .count("SELECT COUNT(*) FROM (SELECT items FROM channel_sends ORDER BY id LIMIT 20) f WHERE items = 1")
        .await;
    assert_eq!(first_alone, 20, "the first 20 go one by one");
    assert!(items[1] >= 1 && items[0] + items[2] == BURST, "{items:?}");
    // The deliveries' states are on the API with the digest each went in.
    let op = t.token("golmud_operator").await;
    let rows = t
        .get(&format!("/api/v1/webhooks/{hook}/deliveries"), &op)
        .await
        .json();
    let rows = rows.as_array().expect("rows");
    assert_eq!(rows.len() as i64, BURST);
    assert!(rows.iter().all(|r| r["status"] == "delivered"));
    assert!(rows.iter().any(|r| r["send_items"].as_i64() > Some(1)));
    // And on the channel's page.
    let mut b = Browser::new(&t);
    b.login("golmud_operator").await;
    let page = b.get(&format!("/whistle/webhooks/{hook}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("已送达") && page.text.contains("汇总 "),
        "{}",
        page.text
    );
}

async fn a_test_message_from_the_settings(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(t0()));
    let (base, got) = robot(0).await;
    let hook = channel(
        &t,
        json!({"name": "格尔木防控办值班群", "jurisdiction_code": "632801", "kind": "feishu",
               "url": format!("{base}/open-apis/bot/v2/hook/t"), "secret": "feishu-signing-secret-1",
               "per_minute": 1}),
    )
    .await;
    let op = t.token("golmud_operator").await;
    let audits = t.audit_count("webhook.test").await;
    let r = t
        .post(&format!("/api/v1/webhooks/{hook}/test"), &op, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["delivered"], true);
    assert_eq!(t.audit_count("webhook.test").await, audits + 1);
    {
        let got = got.lock().expect("lock");
        assert_eq!(got.len(), 1);
        let v: Value = serde_json::from_str(&got[0].body).expect("json");
        assert_eq!(v["msg_type"], "post");
        assert!(got[0].body.contains("测试消息"), "{}", got[0].body);
    }
    // The test counts in the channel's minute: a second is refused, naming the limit.
    let r = t
        .post(&format!("/api/v1/webhooks/{hook}/test"), &op, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(field(&r), "per_minute");
    // From the page, a minute on.
    t.app.clock.set(Some(t0() + Duration::seconds(61)));
    let mut b = Browser::new(&t);
    b.login("golmud_operator").await;
    let page = b.get(&format!("/whistle/webhooks/{hook}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("发送测试消息") && page.text.contains("飞书"));
    assert!(
        page.text.contains("格尔木市（<code>632801</code>）"),
        "the place is named, not only coded"
    );
    let r = b
        .post(&format!("/whistle/webhooks/{hook}/test"), &[], true)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("测试消息已送达"), "{}", r.text);
    assert_eq!(got.lock().expect("lock").len(), 2);
    // A robot no one answers for: why, without its key.
    let key = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa";
    let dead = channel(
        &t,
        json!({"name": "未接通的群", "jurisdiction_code": "632801", "kind": "wecom",
               "url": "http://127.0.0.1:9", "secret": key}),
    )
    .await;
    let r = t
        .post(&format!("/api/v1/webhooks/{dead}/test"), &op, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["delivered"], false);
    assert!(
        r.text.contains("连接不上接收方") && !r.text.contains(key),
        "{}",
        r.text
    );
}

async fn a_robot_down_for_a_while_gets_everything_once_back(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(t0()));
    let (base, got) = robot(3).await;
    let health = dept(&t, "格尔木市卫健委").await;
    channel(
        &t,
        json!({"name": "卫健委值班群", "jurisdiction_code": "632801", "department_id": health,
               "kind": "dingtalk", "url": format!("{base}/robot/send?access_token=x"),
               "secret": "SEC0123456789abcdef0123456789abcdef"}),
    )
    .await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(ticket(&t, i).await);
    }
    let c = client();
    // Down: a 503, then "freq out of limit" in a 200, then a 503; each round backs off.
    let mut at = t0();
    for (wait, want) in [(0, (5, 0)), (31, (5, 0)), (61, (5, 0)), (121, (5, 5))] {
        at += Duration::seconds(wait);
        t.app.clock.set(Some(at));
        assert_eq!(t.app.deliver_due(&c).await.expect("deliver"), want, "{at}");
    }
    t.app.clock.set(Some(at + Duration::hours(2)));
    assert_eq!(t.app.deliver_due(&c).await.expect("deliver"), (0, 0));
    let got = got.lock().expect("lock").clone();
    assert_eq!(got.len(), 4);
    let mut named = linked(&got[3].body);
    named.sort_unstable();
    assert_eq!(
        named, ids,
        "the digest after the outage names all five, once"
    );
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'delivered' AND attempts = 4"
        )
        .await,
        5
    );
    let v: Value = serde_json::from_str(&got[3].body).expect("json");
    assert_eq!(v["msgtype"], "markdown");
    assert!(v["markdown"]["title"]
        .as_str()
        .is_some_and(|s| s.contains("5 条")));
}

on_both_engines!(
    each_robot_gets_its_platforms_request,
    a_burst_stays_within_the_robots_limit_and_names_every_event,
    a_robot_down_for_a_while_gets_everything_once_back,
    a_test_message_from_the_settings,
);
