//! The phone's side of the platform: content-hashed static files with long caching,
//! compressed answers, the web app manifest, the service worker and the outbox's API.

use crate::common::*;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use dualtrack_testkit::{on_both_engines, Engine};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

fn head(r: &Resp, name: header::HeaderName) -> String {
    r.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// The raw answer to a GET with the given `Accept-Encoding`, its body as sent.
async fn raw(t: &TestApp, path: &str, encoding: &str) -> (axum::http::HeaderMap, Vec<u8>) {
    let req = Request::builder()
        .uri(path)
        .header(header::ACCEPT_ENCODING, encoding)
        .body(Body::empty())
        .expect("request");
    let resp = t.router.clone().oneshot(req).await.expect("answer");
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (headers, bytes.to_vec())
}

async fn pages_link_hashed_files_cached_for_a_year(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = Browser::new(&t);
    let home = b.login("haixi_leader").await;
    let css = dualtrack_web::assets::url("app.css");
    let re = regex::Regex::new(r"^/assets/app\.[0-9a-f]{10}\.css$").expect("regex");
    assert!(re.is_match(&css), "{css}");
    assert!(home.text.contains(&css), "{}", home.text);
    assert!(!home.text.contains("\"/assets/app.css\""));
    let hashed = t.call("GET", &css, None, None).await;
    assert_eq!(hashed.status, StatusCode::OK);
    assert_eq!(
        head(&hashed, header::CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert!(head(&hashed, header::CONTENT_TYPE).starts_with("text/css"));
    // The old name still answers, with the same bytes, for a short while.
    let plain = t.call("GET", "/assets/app.css", None, None).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert_eq!(plain.text, hashed.text);
    assert_eq!(head(&plain, header::CACHE_CONTROL), "public, max-age=3600");
    // A made-up hash is not a file.
    let wrong = t
        .call("GET", "/assets/app.0000000000.css", None, None)
        .await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    // Asked again with its tag: not modified.
    let req = Request::builder()
        .uri(&css)
        .header(header::IF_NONE_MATCH, head(&hashed, header::ETAG))
        .body(Body::empty())
        .expect("request");
    let again = t.send(req).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    // Pages themselves are never kept.
    let page = b.get("/tree").await;
    assert_eq!(head(&page, header::CACHE_CONTROL), "no-store");
}

async fn answers_are_compressed(engine: Engine) {
    let t = TestApp::new(engine).await;
    let js = dualtrack_web::assets::url("vendor/htmx.min.js");
    let (plain_h, plain) = raw(&t, &js, "identity").await;
    assert!(plain_h.get(header::CONTENT_ENCODING).is_none());
    let (gz_h, gz) = raw(&t, &js, "gzip").await;
    assert_eq!(gz_h[header::CONTENT_ENCODING], "gzip");
    assert!(
        gz.len() * 2 < plain.len(),
        "{} of {}",
        gz.len(),
        plain.len()
    );
    let (br_h, br) = raw(&t, &js, "br, gzip").await;
    assert_eq!(br_h[header::CONTENT_ENCODING], "br");
    assert!(
        br.len() * 2 < plain.len(),
        "{} of {}",
        br.len(),
        plain.len()
    );
    // Pages too.
    let (login_h, _) = raw(&t, "/login", "gzip").await;
    assert_eq!(login_h[header::CONTENT_ENCODING], "gzip");
}

async fn the_app_can_be_installed(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = Browser::new(&t);
    let home = b.login("checkpoint_worker").await;
    assert!(home
        .text
        .contains("<link rel=\"manifest\" href=\"/manifest.webmanifest\">"));
    let m = t.call("GET", "/manifest.webmanifest", None, None).await;
    assert_eq!(m.status, StatusCode::OK);
    assert!(head(&m, header::CONTENT_TYPE).starts_with("application/manifest+json"));
    let v = m.json();
    assert_eq!(v["name"], "双线指挥平台");
    assert_eq!(v["lang"], "zh-CN");
    assert_eq!(v["start_url"], "/");
    let icons = v["icons"].as_array().expect("icons");
    assert!(icons.iter().any(|i| i["sizes"] == "512x512"));
    for i in icons {
        let src = i["src"].as_str().expect("src");
        let r = t.call("GET", src, None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{src}");
        assert_eq!(
            head(&r, header::CONTENT_TYPE),
            i["type"].as_str().unwrap_or("")
        );
    }
}

async fn the_charts_script_only_where_charts_are(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = Browser::new(&t);
    let home = b.login("haixi_leader").await;
    let charts = dualtrack_web::assets::url("vendor/echarts.min.js");
    assert!(!home.text.contains(&charts));
    assert!(b.get("/dashboard").await.text.contains(&charts));
    let mut c = t.browser("checkpoint_worker").await;
    for page in ["/", "/checkpoints"] {
        let r = c.get(page).await;
        assert!(!r.text.contains("echarts"), "{page}");
    }
}

/// A JSON post as the outbox sends it: the page's session cookie, its CSRF token in the
/// header, and the record's own key.
pub(crate) async fn send_as_outbox(b: &Browser<'_>, path: &str, key: &str, body: &Value) -> Resp {
    let req = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::COOKIE, b.cookie_header())
        .header("X-CSRF-Token", &b.csrf)
        .header("Idempotency-Key", key)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    b.t.send(req).await
}

fn passage(passed_at: &str, id: &str) -> Value {
    json!({
        "passed_at": passed_at,
        "plate": "青H12345",
        "vehicle_class": "car",
        "origin": "青海省西宁市",
        "destination": "西藏自治区拉萨市",
        "reason": "运输物资",
        "travellers": [
            {"name": "马海军", "id_number": id, "temperature": "36.5", "outcome": "through"}
        ]
    })
}

/// The checkpoint worker's browser at 格尔木南出口: the browser, the checkpoint's passages
/// path, the server's now, a traveller's identity number and the passages written so far.
async fn at_the_south_exit(
    t: &TestApp,
) -> (
    Browser<'_>,
    String,
    chrono::DateTime<chrono::Utc>,
    String,
    i64,
) {
    let b = t.browser("checkpoint_worker").await;
    let cp = t.checkpoint("格尔木南出口").await;
    let path = format!("/api/v1/checkpoints/{cp}/passages");
    let now = t.app.clock.now();
    let id = id_number("63280119800101001");
    let before = t.count("SELECT COUNT(*) FROM passages").await;
    (b, path, now, id, before)
}

async fn a_replayed_outbox_record_is_written_once_at_the_phones_time(engine: Engine) {
    let t = TestApp::new(engine).await;
    let (b, path, now, id, before) = at_the_south_exit(&t).await;
    let audits = t.audit_count("passage.register").await;

    // Made two hours ago on the phone, sent now: the event is dated by the phone, the row
    // keeps the server's own time of writing beside it.
    let made = (now - chrono::Duration::hours(2)).to_rfc3339();
    let body = passage(&made, &id);
    let first = send_as_outbox(&b, &path, "5b0e8a4e-1d7c-4a57-9a43-0c1f2b3e4d5f", &body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let pid = first.json()["id"].as_i64().expect("id");
    let stored = t
        .count(&format!(
            "SELECT COUNT(*) FROM passages WHERE id = {pid} AND passed_at < created_at"
        ))
        .await;
    assert_eq!(stored, 1, "the phone's time and the server's are both kept");
    // The same record sent again (the answer was lost on the way back): nothing more.
    for _ in 0..3 {
        let again = send_as_outbox(&b, &path, "5b0e8a4e-1d7c-4a57-9a43-0c1f2b3e4d5f", &body).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.text);
        assert_eq!(again.json()["id"].as_i64(), Some(pid));
    }
    assert_eq!(t.count("SELECT COUNT(*) FROM passages").await, before + 1);
    assert_eq!(t.audit_count("passage.register").await, audits + 1);
    // The same key on another body is refused, naming the key.
    let mut other = body.clone();
    other["reason"] = json!("就医");
    let r = send_as_outbox(&b, &path, "5b0e8a4e-1d7c-4a57-9a43-0c1f2b3e4d5f", &other).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.json()["error"]["fields"]["idempotency_key"].is_string(),
        "{}",
        r.text
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM passages").await, before + 1);
}

async fn a_phone_time_out_of_bounds_is_refused(engine: Engine) {
    let t = TestApp::new(engine).await;
    let (b, path, now, id, before) = at_the_south_exit(&t).await;
    let cases = [
        (now - chrono::Duration::hours(73), "72 小时"),
        (now + chrono::Duration::hours(1), "不能晚于现在"),
    ];
    for (i, (at, says)) in cases.iter().enumerate() {
        let key = format!("0b9c1c52-7f0e-4a3b-8f65-00000000000{i}");
        let r = send_as_outbox(&b, &path, &key, &passage(&at.to_rfc3339(), &id)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let v = r.json();
        let msg = v["error"]["fields"]["passed_at"].as_str().unwrap_or("");
        assert!(msg.contains(says) && msg.contains("通行时间"), "{}", r.text);
    }
    // Inside the bounds by a little: accepted (a phone's clock may run a few minutes ahead).
    let r = send_as_outbox(
        &b,
        &path,
        "0b9c1c52-7f0e-4a3b-8f65-000000000009",
        &passage(&(now + chrono::Duration::minutes(5)).to_rfc3339(), &id),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(t.count("SELECT COUNT(*) FROM passages").await, before + 1);
    // The bound is configurable.
    let short = t.app.clone().with_phone_time_max_hours(1);
    assert_eq!(short.phone_time_max_hours, 1);
}

/// An open case of the grid worker's grid in the demo.
async fn open_case(t: &TestApp) -> i64 {
    t.count(
        "SELECT MIN(id) FROM monitoring_cases WHERE jurisdiction_code = '632801001001001' AND status = 'active'",
    )
    .await
}

fn followup(made_at: &str) -> Value {
    json!({"made_at": made_at, "temperature": 36.6, "symptoms": ["none"], "note": "入户随访"})
}

/// The liaison's enterprise in the demo, and a finished day to report on (China Standard Time).
async fn enterprise_and_day(t: &TestApp) -> (i64, String) {
    let e = t
        .count("SELECT MIN(id) FROM enterprises WHERE jurisdiction_code = '632801'")
        .await;
    let day = (t.app.clock.now() + chrono::Duration::hours(8) - chrono::Duration::days(1))
        .date_naive()
        .to_string();
    (e, day)
}

/// A record sent as the outbox sends it: where, with which key and body; the table it is
/// written to (with the phone's `made_at` and the server's `filed_at`) and its audit action.
struct Sent<'a> {
    path: &'a str,
    key: &'a str,
    body: &'a Value,
    table: &'a str,
    action: &'a str,
}

/// Sends a record as the outbox does, then again as a retry would: written and audited
/// once, with the phone's time kept beside (and before) the server's; answers each retry
/// with the record written.
async fn written_once_at_the_phones_time(t: &TestApp, b: &Browser<'_>, s: &Sent<'_>) {
    let all = format!("SELECT COUNT(*) FROM {}", s.table);
    let before = t.count(&all).await;
    let audits = t.audit_count(s.action).await;
    let first = send_as_outbox(b, s.path, s.key, s.body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let id = first.json()["id"].as_i64().expect("id");
    let stored = t
        .count(&format!(
            "SELECT COUNT(*) FROM {} WHERE id = {id} AND made_at IS NOT NULL AND made_at < filed_at",
            s.table
        ))
        .await;
    assert_eq!(stored, 1, "the phone's time and the server's are both kept");
    for _ in 0..3 {
        let again = send_as_outbox(b, s.path, s.key, s.body).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.text);
        assert_eq!(again.json()["id"].as_i64(), Some(id));
    }
    assert_eq!(t.count(&all).await, before + 1);
    assert_eq!(t.audit_count(s.action).await, audits + 1);
}

/// A key sent again with another body (to the path and key given): refused, naming the key;
/// `all` still counts `n`.
async fn another_body_is_refused(
    t: &TestApp,
    b: &Browser<'_>,
    (path, key): (&str, &str),
    other: &Value,
    all: &str,
    n: i64,
) {
    let r = send_as_outbox(b, path, key, other).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.json()["error"]["fields"]["idempotency_key"].is_string(),
        "{}",
        r.text
    );
    assert_eq!(t.count(all).await, n);
}

/// A day's report; its figures are confirmed, as they are not what is tried here.
fn report(made_at: &str, day: &str, on_duty: i64) -> Value {
    json!({"made_at": made_at, "report_date": day, "status": "resumed", "on_duty": on_duty,
        "checks_passed": 5, "output": 300, "problems": "", "confirm_implausible": true})
}

async fn a_replayed_followup_is_written_once_at_the_phones_time(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = Browser::new(&t);
    b.login("grid_worker").await;
    let case = open_case(&t).await;
    let path = format!("/api/v1/monitoring/cases/{case}/followups");
    let now = t.app.clock.now();
    let before = t.count("SELECT COUNT(*) FROM monitoring_followups").await;
    let audits = t.audit_count("monitoring.followup").await;
    let key = "7d3f9a10-2b4c-4e5f-8a6b-1c2d3e4f5a6b";
    let made = (now - chrono::Duration::hours(3)).to_rfc3339();
    let body = followup(&made);
    let first = send_as_outbox(&b, &path, key, &body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let fid = first.json()["followup"]["id"].as_i64().expect("id");
    // Dated by the phone; the server's time of writing kept beside it.
    let stored = t
        .count(&format!(
            "SELECT COUNT(*) FROM monitoring_followups WHERE id = {fid} AND followed_at < created_at"
        ))
        .await;
    assert_eq!(stored, 1, "the phone's time and the server's are both kept");
    for _ in 0..3 {
        let again = send_as_outbox(&b, &path, key, &body).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.text);
        assert_eq!(again.json()["followup"]["id"].as_i64(), Some(fid));
    }
    assert_eq!(
        t.count("SELECT COUNT(*) FROM monitoring_followups").await,
        before + 1
    );
    assert_eq!(t.audit_count("monitoring.followup").await, audits + 1);
    // The same key on another body: refused, naming the key.
    let mut other = body.clone();
    other["temperature"] = json!(36.9);
    let all = "SELECT COUNT(*) FROM monitoring_followups";
    another_body_is_refused(&t, &b, (&path, key), &other, all, before + 1).await;
}

async fn a_replayed_report_is_written_once_at_the_phones_time(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = Browser::new(&t);
    b.login("liaison").await;
    let (e, day) = enterprise_and_day(&t).await;
    let path = format!("/api/v1/enterprises/{e}/reports");
    let now = t.app.clock.now();
    let before = t.count("SELECT COUNT(*) FROM daily_reports").await;
    let key = "2a4c6e80-9b1d-4f3a-8c5e-7d9f1b3d5f70";
    let made = (now - chrono::Duration::hours(5)).to_rfc3339();
    let body = report(&made, &day, 120);
    let sent = Sent {
        path: &path,
        key,
        body: &body,
        table: "daily_reports",
        action: "report.file",
    };
    written_once_at_the_phones_time(&t, &b, &sent).await;
    // The same key on another body: refused, naming the key, no new version.
    let other = report(&made, &day, 121);
    let all = "SELECT COUNT(*) FROM daily_reports";
    another_body_is_refused(&t, &b, (&path, key), &other, all, before + 1).await;
}

async fn a_followup_or_report_phone_time_out_of_bounds_is_refused(engine: Engine) {
    let t = TestApp::new(engine).await;
    let now = t.app.clock.now();
    let cases = [
        (now - chrono::Duration::hours(73), "72 小时"),
        (now + chrono::Duration::hours(1), "不能晚于现在"),
    ];
    let mut gw = Browser::new(&t);
    gw.login("grid_worker").await;
    let case = open_case(&t).await;
    let path = format!("/api/v1/monitoring/cases/{case}/followups");
    let followups = t.count("SELECT COUNT(*) FROM monitoring_followups").await;
    for (i, (at, says)) in cases.iter().enumerate() {
        let key = format!("4e1f0c2a-6b3d-4c5e-9f70-00000000000{i}");
        let r = send_as_outbox(&gw, &path, &key, &followup(&at.to_rfc3339())).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let v = r.json();
        let msg = v["error"]["fields"]["made_at"].as_str().unwrap_or("");
        assert!(
            msg.contains(says) && msg.contains("随访记录时间"),
            "{}",
            r.text
        );
    }
    assert_eq!(
        t.count("SELECT COUNT(*) FROM monitoring_followups").await,
        followups
    );
    let mut li = Browser::new(&t);
    li.login("liaison").await;
    let (e, day) = enterprise_and_day(&t).await;
    let path = format!("/api/v1/enterprises/{e}/reports");
    let reports = t.count("SELECT COUNT(*) FROM daily_reports").await;
    for (i, (at, says)) in cases.iter().enumerate() {
        let key = format!("4e1f0c2a-6b3d-4c5e-9f70-00000000001{i}");
        let r = send_as_outbox(&li, &path, &key, &report(&at.to_rfc3339(), &day, 90)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let v = r.json();
        let msg = v["error"]["fields"]["made_at"].as_str().unwrap_or("");
        assert!(msg.contains(says) && msg.contains("填报时间"), "{}", r.text);
    }
    assert_eq!(t.count("SELECT COUNT(*) FROM daily_reports").await, reports);
    // Inside the bounds by a little (a phone's clock a few minutes ahead): accepted.
    let soon = (now + chrono::Duration::minutes(5)).to_rfc3339();
    let r = send_as_outbox(
        &li,
        &path,
        "4e1f0c2a-6b3d-4c5e-9f70-000000000029",
        &report(&soon, &day, 90),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = send_as_outbox(
        &gw,
        &format!("/api/v1/monitoring/cases/{case}/followups"),
        "4e1f0c2a-6b3d-4c5e-9f70-000000000039",
        &followup(&soon),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

/// A grid's daily report sent by the phone's outbox: dated by the phone beside the server's
/// time of receiving it, written once however often it is sent, and refused (naming the
/// field, nothing written) when the phone's time is out of bounds.
async fn a_grid_report_from_the_outbox_is_written_once_at_the_phones_time(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut gw = Browser::new(&t);
    gw.login("grid_worker").await;
    let grid = "632801001001001";
    let path = format!("/api/v1/grids/{grid}/reports");
    let now = t.app.clock.now();
    let day = (now + chrono::Duration::hours(8) - chrono::Duration::days(1))
        .date_naive()
        .to_string();
    let reports = t.count("SELECT COUNT(*) FROM grid_reports").await;
    let body = |at: chrono::DateTime<chrono::Utc>| json!({"made_at": at.to_rfc3339(), "report_date": day, "remarks": "离线报送"});
    for (i, (at, says)) in [
        (now - chrono::Duration::hours(73), "72 小时"),
        (now + chrono::Duration::hours(1), "不能晚于现在"),
    ]
    .iter()
    .enumerate()
    {
        let key = format!("5b2e1d3c-7a4f-4b6e-8d90-00000000000{i}");
        let r = send_as_outbox(&gw, &path, &key, &body(*at)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let msg = r.json()["error"]["fields"]["made_at"]
            .as_str()
            .unwrap_or("")
            .to_string();
        assert!(msg.contains(says) && msg.contains("报送时间"), "{}", r.text);
    }
    assert_eq!(t.count("SELECT COUNT(*) FROM grid_reports").await, reports);

    let made = body(now - chrono::Duration::hours(4));
    let sent = Sent {
        path: &path,
        key: "5b2e1d3c-7a4f-4b6e-8d90-000000000010",
        body: &made,
        table: "grid_reports",
        action: "grid_report.file",
    };
    written_once_at_the_phones_time(&t, &gw, &sent).await;
}

/// The hours a phone keeps work lists and lines of records sent come from the server's
/// configuration, on every page and on the page shown with no signal, where `outbox.js`
/// reads them.
async fn the_hours_a_phone_keeps_data_are_set_by_the_server(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = Browser::new(&t);
    let home = b.login("grid_worker").await;
    assert!(
        home.text
            .contains(r#"<html lang="zh-CN" data-offline-hours="24">"#),
        "the default"
    );
    let t = TestApp::with_config(
        engine,
        dualtrack_web::WebConfig {
            offline_keep_hours: 5,
            ..dualtrack_web::WebConfig::default()
        },
    )
    .await;
    let mut b = Browser::new(&t);
    for page in ["/", "/monitoring/due", "/handovers"] {
        let r = if page == "/" {
            b.login("grid_worker").await
        } else {
            b.get(page).await
        };
        assert!(
            r.text.contains(r#"data-offline-hours="5""#),
            "{page}: {}",
            r.text
        );
    }
    let off = t.call("GET", "/offline", None, None).await;
    assert!(
        off.text.contains(r#"data-offline-hours="5""#),
        "{}",
        off.text
    );
    // The lists a grid worker takes offline are marked on their pages.
    let due = b.get("/monitoring/due").await;
    assert!(due.text.contains(r#"data-worklist="followups-due""#));
    let waiting = b.get("/handovers?which=pending").await;
    assert!(waiting
        .text
        .contains(r#"data-worklist="handovers-pending""#));
    let done = b.get("/handovers?which=acknowledged").await;
    assert!(!done.text.contains("data-worklist"));
}

on_both_engines!(
    a_store_and_a_handover_are_kept_without_anyones_data,
    the_hours_a_phone_keeps_data_are_set_by_the_server,
    a_replayed_followup_is_written_once_at_the_phones_time,
    a_grid_report_from_the_outbox_is_written_once_at_the_phones_time,
    a_replayed_report_is_written_once_at_the_phones_time,
    a_followup_or_report_phone_time_out_of_bounds_is_refused,
    the_service_worker_keeps_only_the_shell_and_the_forms,
    the_outbox_asks_the_session_before_it_sends,
    a_replayed_outbox_record_is_written_once_at_the_phones_time,
    a_phone_time_out_of_bounds_is_refused,
    pages_link_hashed_files_cached_for_a_year,
    answers_are_compressed,
    the_app_can_be_installed,
    the_charts_script_only_where_charts_are,
);

async fn the_service_worker_keeps_only_the_shell_and_the_forms(engine: Engine) {
    let t = TestApp::new(engine).await;
    let sw = t.call("GET", "/sw.js", None, None).await;
    assert_eq!(sw.status, StatusCode::OK);
    assert!(head(&sw, header::CONTENT_TYPE).starts_with("text/javascript"));
    // Checked by the browser on every visit: never kept long.
    assert_eq!(head(&sw, header::CACHE_CONTROL), "no-cache");
    for name in ["app.css", "outbox.js", "passage.js", "vendor/htmx.min.js"] {
        assert!(
            sw.text.contains(&dualtrack_web::assets::url(name)),
            "{name}"
        );
    }
    assert!(!sw.text.contains("echarts"));
    assert!(!sw.text.contains("__SHELL__") && !sw.text.contains("__VERSION__"));
    assert!(sw.text.contains(dualtrack_web::assets::version()));
    // No API answer and no page but the listed forms is kept.
    assert!(
        sw.text
            .contains(r#"["^/checkpoints/\\d+/passage$","^/tickets/new$"]"#),
        "{}",
        sw.text
    );
    // The page shown with no signal holds no one's data and needs no login.
    let off = t.call("GET", "/offline", None, None).await;
    assert_eq!(off.status, StatusCode::OK);
    assert!(off.text.contains("当前无网络"));
    assert!(off.text.contains(&dualtrack_web::assets::url("outbox.js")));
    // Every page loads the outbox.
    let mut b = Browser::new(&t);
    let home = b.login("checkpoint_worker").await;
    assert!(home.text.contains(&dualtrack_web::assets::url("outbox.js")));
    let cp = t.checkpoint("格尔木南出口").await;
    let form = b.get(&format!("/checkpoints/{cp}/passage")).await;
    assert!(form.text.contains(&format!(
        r#"data-outbox="passage" data-api="/api/v1/checkpoints/{cp}/passages""#
    )));
    // The grid worker's follow-up form and the liaison's daily report form go through the
    // outbox too; the case's page (the person's name, ID number, telephone) is never kept.
    assert!(!sw.text.contains("monitoring"));
    // An enterprise's page (its daily report form) is kept once opened, not from the
    // hundreds of links of a list.
    assert!(
        sw.text.contains(r#"var OPENED = ["^/enterprises/\\d+$"]"#),
        "{}",
        sw.text
    );
    let mut gw = Browser::new(&t);
    gw.login("grid_worker").await;
    let case = open_case(&t).await;
    let page = gw.get(&format!("/monitoring/cases/{case}")).await;
    assert!(page.text.contains(&format!(
        r#"data-outbox="followup" data-api="/api/v1/monitoring/cases/{case}/followups""#
    )));
    let mut li = Browser::new(&t);
    li.login("liaison").await;
    let (e, _) = enterprise_and_day(&t).await;
    let page = li.get(&format!("/enterprises/{e}")).await;
    assert!(page.text.contains(&format!(
        r#"data-outbox="report" data-api="/api/v1/enterprises/{e}/reports""#
    )));
}

async fn the_outbox_asks_the_session_before_it_sends(engine: Engine) {
    let t = TestApp::new(engine).await;
    // Not logged in (or the session ended while offline): 401, so the phone asks for the
    // password again and keeps its records.
    let r = t.call("GET", "/outbox/session", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let mut b = t.browser("checkpoint_worker").await;
    let r = b.page("/outbox/session").await;
    assert_eq!(head(&r, header::CACHE_CONTROL), "no-store");
    let v = r.json();
    assert_eq!(v["user"], "checkpoint_worker");
    assert_eq!(v["csrf"], b.csrf.as_str());
    let now = v["now"].as_str().expect("now");
    let at = chrono::DateTime::parse_from_rfc3339(now).expect("time");
    assert_eq!(at.with_timezone(&chrono::Utc), t.app.now());
}

/// A page asked as the copy a phone keeps of it.
async fn kept_copy(t: &TestApp, b: &Browser<'_>, path: &str) -> Resp {
    let req = Request::builder()
        .uri(path)
        .header(header::COOKIE, b.cookie_header())
        .header(dualtrack_web::offline::KEPT_HEADER, "shell")
        .body(Body::empty())
        .expect("request");
    let r = t.send(req).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    r
}

async fn a_store_and_a_handover_are_kept_without_anyones_data(engine: Engine) {
    let t = TestApp::new(engine).await;
    let sw = t.call("GET", "/sw.js", None, None).await;
    assert!(
        sw.text
            .contains(r#"var SHELLS = ["^/supplies/stores/\\d+$","^/handovers/\\d+$"]"#),
        "{}",
        sw.text
    );
    // A hand-over waiting at the grid: its page names the person; its kept copy has the
    // acknowledgement form and not the person (shown from the list the phone holds).
    let id = t
        .count("SELECT MIN(id) FROM handovers WHERE status = 'pending' AND to_code = '632801001001001'")
        .await;
    let token = t.token("grid_worker").await;
    let h = t.get_json(&format!("/api/v1/handovers/{id}"), &token).await["handover"].clone();
    let name = h["name"].as_str().expect("a name").to_string();
    let masked = h["id_number"].as_str().expect("an ID number").to_string();
    let mut gw = Browser::new(&t);
    gw.login("grid_worker").await;
    let page = gw.page(&format!("/handovers/{id}")).await;
    assert!(page.text.contains(&name) && page.text.contains(&masked));
    let kept = kept_copy(&t, &gw, &format!("/handovers/{id}")).await;
    assert!(kept.text.contains(r#"data-outbox="ack""#), "{}", kept.text);
    assert!(kept.text.contains(&format!(r#"data-kept-handover="{id}""#)));
    for personal in [
        name.as_str(),
        masked.as_str(),
        "身份证号",
        "<dt>电话</dt>",
        "经过",
    ] {
        assert!(!kept.text.contains(personal), "{personal} in the kept copy");
    }
    // A store's page: its kept copy has the movement form, no movements (who took what).
    let store = t
        .count("SELECT MIN(id) FROM supply_stores WHERE kind = 'county' AND jurisdiction_code = '632801'")
        .await;
    let mut op = Browser::new(&t);
    op.login("golmud_operator").await;
    let page = op.page(&format!("/supplies/stores/{store}")).await;
    assert!(page.text.contains("最近出入库"));
    let kept = kept_copy(&t, &op, &format!("/supplies/stores/{store}")).await;
    assert!(kept.text.contains(r#"data-outbox="movement""#));
    assert!(kept.text.contains("data-phone-day="));
    assert!(!kept.text.contains("最近出入库") && !kept.text.contains("登记人"));
    // Outside one's subtree, no copy either.
    let other = t
        .count("SELECT MIN(id) FROM handovers WHERE to_code NOT LIKE '632801%'")
        .await;
    if other > 0 {
        let req = Request::builder()
            .uri(format!("/handovers/{other}"))
            .header(header::COOKIE, gw.cookie_header())
            .header(dualtrack_web::offline::KEPT_HEADER, "shell")
            .body(Body::empty())
            .expect("request");
        assert!(t.send(req).await.status.is_client_error());
    }
}
