//! Whistle and report-back (吹哨报到) through the API, on both engines: raising with routing
//! rules, report-back within deadlines set by kind, the whistler's confirmation and
//! rejection, the refusals, escalation by the scheduler (two instances on one database),
//! attachments, the inbox, webhook delivery with retries to a local receiver, and figures.

use crate::common;

use axum::http::StatusCode;
use chrono::{DateTime, Duration, TimeZone, Utc};
use common::TestApp;
use dualtrack_service::whistle::escalation::Scheduler;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

pub(crate) const GRID: &str = "632801001001001";

pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 3, 20, 2, 0, 0)
        .single()
        .expect("valid")
}

pub(crate) async fn dept(t: &TestApp, name: &str) -> i64 {
    let tok = t.token("haixi_leader").await;
    let r = t.get_ok("/api/v1/departments", &tok).await;
    r.json()
        .as_array()
        .and_then(|a| a.iter().find(|d| d["name"] == name))
        .and_then(|d| d["id"].as_i64())
        .unwrap_or_else(|| panic!("department {name}"))
}

pub(crate) async fn raise(t: &TestApp, tok: &str, body: Value) -> Value {
    let r = t.post("/api/v1/tickets", tok, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json()
}

pub(crate) fn field(r: &common::Resp) -> String {
    r.error_fields().join(",")
}

async fn a_ticket_goes_round_the_whole_cycle(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(t0()));
    let gw = t.token("grid_worker").await;
    let health = dept(&t, "格尔木市卫健委").await;
    let raises = t.audit_count("ticket.raise").await;
    let d = raise(
        &t,
        &gw,
        json!({"kind": "emergency", "category": "epidemic", "title": "发热人员需转运",
               "description": "入户摸排发现发热人员一名，需转运", "jurisdiction_code": GRID, "address": "博爱巷 12 号"}),
    )
    .await;
    let id = d["ticket"]["id"].as_i64().expect("id");
    assert_eq!(d["ticket"]["status"], "open");
    assert_eq!(d["ticket"]["raiser_kind"], "grid");
    assert_eq!(d["ticket"]["level_code"], GRID);
    // Routed by rule to the county's health commission; accept within 30 minutes.
    let calls = d["calls"].as_array().expect("calls");
    assert_eq!(calls.len(), 1, "{d}");
    assert_eq!(calls[0]["department_id"], health);
    assert_eq!(calls[0]["routed"], true);
    let due: DateTime<Utc> =
        serde_json::from_value(d["ticket"]["accept_due_at"].clone()).expect("due");
    assert_eq!(due - t0(), Duration::minutes(30));
    assert_eq!(t.audit_count("ticket.raise").await, raises + 1);
    // The department's responder finds it in the inbox.
    let h = t.token("golmud_health").await;
    let inbox = t.get("/api/v1/inbox?unread=true", &h).await.json();
    assert!(inbox["unread"].as_i64() >= Some(1), "{inbox}");
    assert_eq!(inbox["notices"][0]["ticket_id"], id);
    assert_eq!(inbox["notices"][0]["to"], "department");
    // Its own list holds it; another department's responder does not see it.
    let mine = t.get("/api/v1/tickets?status=open", &h).await.json();
    assert!(mine
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x["id"] == id)));
    let tr = t.token("golmud_transport").await;
    assert_eq!(
        t.get(&format!("/api/v1/tickets/{id}"), &tr).await.status,
        StatusCode::NOT_FOUND
    );
    // A resolution by someone not called: refused, naming the department.
    let r = t
        .resolve_ticket(id, &tr, json!({"resolution": "越权办结"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(field(&r), "department_id");
    assert!(r.text.contains("未呼叫"), "{}", r.text);
    // Accept, 12 minutes on.
    t.app.clock.set(Some(t0() + Duration::minutes(12)));
    let accepts = t.audit_count("ticket.accept").await;
    let r = t
        .accept_ticket(id, &h, json!({"note": "已派员赶赴现场"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let d = r.json();
    assert_eq!(d["ticket"]["status"], "working");
    assert_eq!(d["calls"][0]["status"], "accepted");
    assert_eq!(d["calls"][0]["response_minutes"], 12);
    // Acknowledged means written: the acceptance, its audit row and the whistler's notice.
    assert_eq!(t.audit_count("ticket.accept").await, accepts + 1);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM notices WHERE ticket_id = {id} AND event = 'accepted'"
        ))
        .await,
        1
    );
    // A double acceptance is a conflict naming the department.
    let r = t.accept_ticket(id, &h, json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(field(&r), "department_id");
    assert!(r.text.contains("重复报到"), "{}", r.text);
    // Confirming before the departments resolve is refused.
    let r = t.confirm_ticket(id, &gw, json!({"rating": 5})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    // Resolve; the whistler rejects; resolve again; confirm with a rating.
    t.app.clock.set(Some(t0() + Duration::minutes(90)));
    let r = t
        .resolve_ticket(id, &h, json!({"resolution": "已转运至定点医院发热门诊"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["ticket"]["status"], "resolved");
    let r = t
        .post(
            &format!("/api/v1/tickets/{id}/reject"),
            &gw,
            json!({"reason": "家属尚未安排隔离", "rating": 2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let d = r.json();
    assert_eq!(d["ticket"]["status"], "working");
    assert_eq!(d["ticket"]["reopened"], 1);
    assert_eq!(d["calls"][0]["status"], "accepted");
    let r = t
        .resolve_ticket(id, &h, json!({"resolution": "家属已集中隔离"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = t.confirm_ticket(id, &gw, json!({"rating": 9})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&r), "rating");
    let r = t
        .confirm_ticket(id, &gw, json!({"rating": 5, "feedback": "处置及时"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let d = r.json();
    assert_eq!(d["ticket"]["status"], "closed");
    assert_eq!(d["ticket"]["rating"], 5);
    let events = common::each_str(&d["events"], "event");
    assert_eq!(
        events,
        [
            "raised",
            "accepted",
            "resolved",
            "all_resolved",
            "rejected",
            "resolved",
            "all_resolved",
            "confirmed"
        ]
    );
    for a in ["ticket.resolve", "ticket.reject", "ticket.confirm"] {
        assert!(t.audit_count(a).await >= 1, "{a}");
    }
    // The figures count it: response 12 minutes, satisfaction 5 stars.
    let lead = t.token("golmud_leader").await;
    let f = t
        .get(
            "/api/v1/whistle/figures?from=2020-03-20&to=2020-03-20",
            &lead,
        )
        .await
        .json();
    assert_eq!(f["tickets"], 1, "{f}");
    assert_eq!(f["closed"], 1);
    assert_eq!(f["total"]["response_median_minutes"], 12);
    assert_eq!(f["total"]["rating_average"], 5.0);
    assert_eq!(f["total"]["overdue"], 0);
    assert_eq!(f["grid_tickets"], 1);
    let dept_row = f["departments"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["department_id"] == health))
        .cloned()
        .expect("department row");
    assert_eq!(dept_row["calls"], 1);
    assert_eq!(dept_row["satisfaction_rate"], 100.0);
}

async fn bad_input_is_refused_naming_the_field(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(t0()));
    let gw = t.token("grid_worker").await;
    let police_delingha = dept(&t, "德令哈市公安局").await;
    let before = t.count("SELECT COUNT(*) FROM tickets").await;
    let base = json!({"kind": "routine", "category": "residents", "description": "独居老人缺米面", "jurisdiction_code": GRID});
    for (patch, want) in [
        (json!({"deadline": "2020-03-19 08:00"}), "deadline"),
        (
            json!({"department_ids": [police_delingha]}),
            "department_ids",
        ),
        (json!({"category": "天气"}), "category"),
        (json!({"kind": "urgent"}), "kind"),
        (json!({"description": ""}), "description"),
        (json!({"source": "grid_report"}), "source_id"),
    ] {
        let mut body = base.clone();
        for (k, v) in patch.as_object().expect("object") {
            body[k] = v.clone();
        }
        let r = t.post("/api/v1/tickets", &gw, body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{want}: {}",
            r.text
        );
        assert_eq!(field(&r), want, "{}", r.text);
        let msg = r.error_message();
        assert!(
            msg.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "Chinese: {msg}"
        );
    }
    assert_eq!(
        t.count("SELECT COUNT(*) FROM tickets").await,
        before,
        "nothing written"
    );
    // A leader reads but does not blow the whistle; a responder cannot raise.
    let lead = t.token("golmud_leader").await;
    assert_eq!(
        t.post("/api/v1/tickets", &lead, base.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    // Attachments: too big, of a forbidden type, and a good one.
    let d = raise(&t, &gw, base.clone()).await;
    let id = d["ticket"]["id"].as_i64().expect("id");
    let send = |name: &str, bytes: Vec<u8>| {
        axum::http::Request::builder()
            .method("POST")
            .uri(format!("/api/v1/tickets/{id}/attachments?name={name}"))
            .header("authorization", format!("Bearer {gw}"))
            .header("content-type", "application/octet-stream")
            .body(axum::body::Body::from(bytes))
            .expect("request")
    };
    let mut big = vec![0xFF, 0xD8, 0xFF, 0xE0];
    big.resize(6 * 1024 * 1024, 0);
    let r = t.send(send("big.jpg", big)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(field(&r), "file");
    assert!(r.text.contains("超过上限"), "{}", r.text);
    let r = t
        .send(send("photo.jpg", b"MZ\x90\x00this is a program".to_vec()))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(field(&r), "file");
    assert!(r.text.contains("文件类型"), "{}", r.text);
    let png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
    let r = t.send(send("现场.png", png.clone())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let aid = r.json()["id"].as_i64().expect("attachment id");
    let r = t.get_ok(&format!("/api/v1/attachments/{aid}"), &gw).await;
    assert_eq!(r.headers["content-type"], "image/png");
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    assert_eq!(t.audit_count("ticket.attach").await, 1);
    // Another county's operator cannot fetch it.
    let other = t.token("delingha_operator").await;
    assert_eq!(
        t.get(&format!("/api/v1/attachments/{aid}"), &other)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn one_click_from_a_production_problem_links_back(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(t0()));
    let op = t.token("golmud_operator").await;
    let problem = t
        .count("SELECT MIN(id) FROM production_problems WHERE jurisdiction_code LIKE '632801%' AND ticket_id IS NULL")
        .await;
    let d = raise(
        &t,
        &op,
        json!({"source": "production_problem", "source_id": problem, "kind": "tough"}),
    )
    .await;
    let id = d["ticket"]["id"].as_i64().expect("id");
    assert_eq!(d["ticket"]["source"], "production_problem");
    assert!(
        matches!(
            d["ticket"]["raiser_kind"].as_str(),
            Some("work_group" | "enterprise")
        ),
        "{d}"
    );
    assert!(!d["calls"].as_array().expect("calls").is_empty());
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM production_problems WHERE id = {problem} AND ticket_id = {id}"
        ))
        .await,
        1
    );
    // The problem shows its ticket; raising again is a conflict.
    let p = t
        .get(&format!("/api/v1/production-problems/{problem}"), &op)
        .await
        .json();
    assert_eq!(p["ticket_id"], id);
    let r = t
        .post(
            "/api/v1/tickets",
            &op,
            json!({"source": "production_problem", "source_id": problem}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    // From a grid report, the grid worker's own.
    let gw = t.token("grid_worker").await;
    let report = t
        .count(&format!(
            "SELECT MIN(id) FROM grid_reports WHERE grid_code = '{GRID}'"
        ))
        .await;
    let d = raise(
        &t,
        &gw,
        json!({"source": "grid_report", "source_id": report, "kind": "routine"}),
    )
    .await;
    assert_eq!(d["ticket"]["jurisdiction_code"], GRID);
    assert_eq!(d["ticket"]["category"], "epidemic");
    let listed = t
        .get(
            &format!("/api/v1/tickets?source=grid_report&source_id={report}"),
            &gw,
        )
        .await
        .json();
    assert_eq!(listed.as_array().map(|a| a.len()), Some(1));
    // From an enterprise's daily report, by its liaison.
    let li = t.token("liaison").await;
    let report = t
        .count("SELECT MIN(r.id) FROM daily_reports r JOIN enterprises e ON e.id = r.enterprise_id WHERE e.jurisdiction_code LIKE '632801%' AND r.is_current")
        .await;
    let d = raise(
        &t,
        &li,
        json!({"source": "enterprise_report", "source_id": report, "category": "logistics"}),
    )
    .await;
    assert_eq!(d["ticket"]["raiser_kind"], "enterprise");
    assert_eq!(d["ticket"]["source"], "enterprise_report");
    assert!(d["ticket"]["enterprise_id"].is_i64());
    // Another grid's report is not the grid worker's to raise from.
    let other = t
        .count(&format!(
            "SELECT MIN(id) FROM grid_reports WHERE grid_code <> '{GRID}'"
        ))
        .await;
    let r = t
        .post(
            "/api/v1/tickets",
            &gw,
            json!({"source": "grid_report", "source_id": other}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
}

async fn late_tickets_climb_the_tree_once_whatever_the_instances(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(t0()));
    let gw = t.token("grid_worker").await;
    let d = raise(
        &t,
        &gw,
        json!({"kind": "emergency", "category": "emergency", "description": "隔离点供暖中断", "jurisdiction_code": GRID}),
    )
    .await;
    let id = d["ticket"]["id"].as_i64().expect("id");
    let called = d["calls"].as_array().map(|a| a.len()).unwrap_or(0) as i64;
    assert_eq!(called, 3, "emergency: 应急管理局, 卫健委, 公安局");
    // A second instance on the same database, sharing the test's clock.
    let db2 = dualtrack_store::Db::connect(&t.db.url)
        .await
        .expect("second pool");
    let mut app2 = dualtrack_service::App::new(db2, dualtrack_testkit::demo_security());
    app2.clock = t.app.clock.clone();
    // Not yet due.
    assert_eq!(t.app.escalate_due("a").await.expect("tick"), 0);
    // 29 minutes past the accept deadline: one step, to the village.
    t.app.clock.set(Some(t0() + Duration::minutes(59)));
    let (a, b) = tokio::join!(t.app.escalate_due("a"), app2.escalate_due("b"));
    assert_eq!(a.expect("a") + b.expect("b"), 1);
    let lvl = t.get(&format!("/api/v1/tickets/{id}"), &gw).await.json();
    assert_eq!(lvl["ticket"]["level_code"], "632801001001");
    // Far later: the village, township, county and prefecture, each once, raced by two.
    t.app.clock.set(Some(t0() + Duration::hours(5)));
    let (a, b) = tokio::join!(t.app.escalate_due("a"), app2.escalate_due("b"));
    assert_eq!(a.expect("a") + b.expect("b"), 3);
    let (a, b) = tokio::join!(t.app.escalate_due("a"), app2.escalate_due("b"));
    assert_eq!(
        a.expect("a") + b.expect("b"),
        0,
        "nothing above the prefecture"
    );
    let d = t.get(&format!("/api/v1/tickets/{id}"), &gw).await.json();
    assert_eq!(d["ticket"]["level_code"], "6328");
    assert_eq!(d["ticket"]["escalations"], 4);
    let steps: Vec<(i64, String)> = d["escalations"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            (
                s["step"].as_i64().unwrap_or(0),
                s["to_code"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (1, "632801001001".into()),
            (2, "632801001".into()),
            (3, "632801".into()),
            (4, "6328".into())
        ]
    );
    assert_eq!(d["escalations"][0]["reason"], "not_accepted");
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM ticket_escalations WHERE ticket_id = {id}"
        ))
        .await,
        4
    );
    assert_eq!(t.audit_count("ticket.escalate").await, 4);
    // Each step told the level it reached, the three departments and the whistler: no more.
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM notices WHERE ticket_id = {id} AND event = 'escalated'"
        ))
        .await,
        4 * (1 + called + 1)
    );
    // The township sees it among the tickets it supervises.
    t.add_user("boai_leader", "leader", "632801001").await;
    let tl = t.token("boai_leader").await;
    let sup = t.get("/api/v1/tickets?supervised=true", &tl).await.json();
    assert!(
        sup.as_array().is_some_and(|a| a
            .iter()
            .all(|x| x["id"] != id && x["level_code"] == "632801001")),
        "moved on up to the prefecture: {sup}"
    );
    let lead = t.token("haixi_leader").await;
    let sup = t.get("/api/v1/tickets?supervised=true", &lead).await.json();
    assert!(
        sup.as_array()
            .is_some_and(|a| a.iter().any(|x| x["id"] == id)),
        "{sup}"
    );
    // The lease: while one instance holds it, the other's tick does nothing.
    let s1 = Scheduler::new(t.app.clone(), "one", std::time::Duration::from_secs(30));
    let s2 = Scheduler::new(app2.clone(), "two", std::time::Duration::from_secs(30));
    assert!(s1.tick().await.expect("tick").ran);
    assert!(!s2.tick().await.expect("tick").ran);
    s1.stop().await;
    assert!(
        s2.tick().await.expect("tick").ran,
        "taken over once released"
    );
    // Accepted and resolved late, the figures count it overdue and escalated.
    let h = t.token("golmud_health").await;
    let r = t.accept_ticket(id, &h, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.json()["calls"]
            .as_array()
            .map(|c| c.iter().any(|x| x["accepted_at"].is_string())),
        Some(true)
    );
    let f = t
        .get(
            "/api/v1/whistle/figures?from=2020-03-20&to=2020-03-20",
            &lead,
        )
        .await
        .json();
    assert_eq!(f["escalated"], 1, "{f}");
    assert_eq!(f["total"]["overdue"], 3);
}

/// A receiver that fails the first `fail` requests, then answers 200; it keeps what came.
async fn receiver(fail: usize) -> (String, Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>>) {
    let got: Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>> = Arc::default();
    let keep = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let keep = keep.clone();
            async move {
                let mut g = keep.lock().expect("lock");
                g.push((headers, body));
                if g.len() <= fail {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let addr = common::serve_on_loopback(app).await;
    (format!("http://{addr}/hook"), got)
}

async fn webhooks_deliver_signed_with_retries(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(t0()));
    let (url, got) = receiver(2).await;
    let op = t.token("golmud_operator").await;
    let health = dept(&t, "格尔木市卫健委").await;
    let secret = "golmud-health-robot-secret";
    let r = t
        .post("/api/v1/webhooks", &op, json!({"name": "卫健委值班群", "jurisdiction_code": "632801", "department_id": health, "url": url, "secret": secret}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let hook = r.json()["id"].as_i64().expect("hook");
    assert!(!r.text.contains(secret), "the secret is not shown");
    // Bad ones: https (no TLS here), short secret.
    for (patch, want) in [
        (json!({"url": "ftp://x/y"}), "url"),
        (json!({"secret": "short"}), "secret"),
    ] {
        let mut body =
            json!({"name": "x", "jurisdiction_code": "632801", "url": url, "secret": secret});
        for (k, v) in patch.as_object().expect("object") {
            body[k] = v.clone();
        }
        let r = t.post("/api/v1/webhooks", &op, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(field(&r), want);
    }
    // Raising writes the notice and, in the same transaction, its delivery.
    let gw = t.token("grid_worker").await;
    let d = raise(
        &t,
        &gw,
        json!({"kind": "emergency", "category": "epidemic", "description": "发热人员需转运", "jurisdiction_code": GRID}),
    )
    .await;
    let id = d["ticket"]["id"].as_i64().expect("id");
    assert_eq!(
        t.count("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'")
            .await,
        1
    );
    let client = dualtrack_service::whistle::webhook::client();
    // Attempt 1 fails (503); not due again until the backoff has passed.
    assert_eq!(t.app.deliver_due(&client).await.expect("deliver"), (1, 0));
    assert_eq!(t.app.deliver_due(&client).await.expect("deliver"), (0, 0));
    t.app.clock.set(Some(t0() + Duration::seconds(31)));
    assert_eq!(t.app.deliver_due(&client).await.expect("deliver"), (1, 0));
    t.app.clock.set(Some(t0() + Duration::seconds(31 + 61)));
    assert_eq!(t.app.deliver_due(&client).await.expect("deliver"), (1, 1));
    let rows = t
        .get(&format!("/api/v1/webhooks/{hook}/deliveries"), &op)
        .await
        .json();
    assert_eq!(rows[0]["status"], "delivered", "{rows}");
    assert_eq!(rows[0]["attempts"], 3);
    assert_eq!(rows[0]["last_status"], 200);
    let got = got.lock().expect("lock").clone();
    assert_eq!(got.len(), 3);
    let (headers, body) = &got[2];
    let v: Value = serde_json::from_str(body).expect("JSON body");
    assert_eq!(v["event"], "raised");
    assert_eq!(v["ticket"]["id"], id);
    let ts: i64 = headers["x-dualtrack-timestamp"]
        .to_str()
        .expect("ts")
        .parse()
        .expect("number");
    assert_eq!(
        headers["x-dualtrack-signature"].to_str().expect("sig"),
        dualtrack_service::whistle::webhook::signature(secret, ts, body)
    );
    assert_ne!(
        headers["x-dualtrack-signature"].to_str().expect("sig"),
        dualtrack_service::whistle::webhook::signature("another-secret-entirely", ts, body)
    );
    // The same delivery each time: one id for the receiver to drop repeats.
    let ids: std::collections::BTreeSet<String> = got
        .iter()
        .map(|(h, _)| h["x-dualtrack-delivery"].to_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(ids.len(), 1);
    // Another county's operator neither sees nor reads it.
    let other = t.token("delingha_operator").await;
    assert_eq!(
        t.get(&format!("/api/v1/webhooks/{hook}/deliveries"), &other)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn the_demo_has_departments_tickets_and_escalations(engine: Engine) {
    let t = TestApp::new(engine).await;
    let n = t.count("SELECT COUNT(*) FROM tickets").await;
    assert!(n >= 100, "{n} demo tickets");
    assert!(
        t.count("SELECT COUNT(*) FROM tickets WHERE escalations > 0")
            .await
            >= 5
    );
    assert!(
        t.count("SELECT COUNT(*) FROM tickets WHERE raiser_kind = 'work_group'")
            .await
            >= 1
    );
    assert!(
        t.count("SELECT COUNT(*) FROM production_problems WHERE ticket_id IS NOT NULL")
            .await
            >= 5
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM tickets WHERE status IN ('open', 'working')")
            .await,
        0
    );
    let lead = t.token("haixi_leader").await;
    let f = t
        .get(
            "/api/v1/whistle/figures?from=2020-02-01&to=2020-03-13",
            &lead,
        )
        .await
        .json();
    assert_eq!(f["tickets"].as_i64(), Some(n), "{f}");
    assert!(f["total"]["response_median_minutes"].as_i64() > Some(0));
    assert!(
        f["total"]["response_p90_minutes"].as_i64()
            >= f["total"]["response_median_minutes"].as_i64()
    );
    assert_eq!(
        f["places"].as_array().map(|p| p.len()),
        Some(7),
        "seven counties"
    );
    assert!(f["whistle_rate"].as_f64() > Some(0.0));
    // The scheduler finds nothing to do in the demo.
    assert_eq!(t.app.escalate_due("demo").await.expect("tick"), 0);
}

async fn pages_work_on_a_phone(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(t0()));
    let mut b = t.browser("grid_worker").await;
    let r = b.page("/tickets/new").await;
    assert!(r.text.contains("吹哨"), "{}", r.text);
    let r = b
        .submit(
            "/tickets",
            &[
                ("kind", "emergency"),
                ("category", "epidemic"),
                ("description", "发热人员需转运"),
                ("jurisdiction_code", GRID),
            ],
        )
        .await;
    let loc = r.location();
    assert!(loc.starts_with("/tickets/"), "{loc}");
    let page = b.page(&loc).await;
    assert!(
        page.text.contains("格尔木市卫健委") && page.text.contains("待报到"),
        "{}",
        page.text
    );
    let r = b
        .post(
            "/tickets",
            &[
                ("kind", "emergency"),
                ("category", "epidemic"),
                ("description", ""),
                ("jurisdiction_code", GRID),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("情况描述"), "{}", r.text);
    for path in ["/tickets", "/inbox"] {
        assert_eq!(b.get(path).await.status, StatusCode::OK, "{path}");
    }
    // One click from a production problem: the button raises the ticket and links back.
    let mut op = t.browser("golmud_operator").await;
    let list = op.page("/production-problems?status=open").await;
    let problem = t
        .count("SELECT MIN(id) FROM production_problems WHERE jurisdiction_code LIKE '632801%' AND status = 'open' AND ticket_id IS NULL")
        .await;
    assert!(
        list.text
            .contains(&format!("name=\"source_id\" value=\"{problem}\"")),
        "the button is there"
    );
    let r = op
        .submit(
            "/tickets",
            &[
                ("source", "production_problem"),
                ("source_id", &problem.to_string()),
                ("kind", "tough"),
            ],
        )
        .await;
    let ticket = r
        .location()
        .trim_start_matches("/tickets/")
        .split('?')
        .next()
        .unwrap_or("")
        .to_string();
    let list = op.get("/production-problems?status=open").await;
    assert!(
        list.text.contains(&format!("已吹哨：工单 {ticket}")),
        "linked back"
    );
    let mut l = t.browser("haixi_leader").await;
    for path in [
        "/whistle/figures?from=2020-02-01&to=2020-03-13",
        "/tickets?supervised=1",
        "/whistle/departments",
    ] {
        let r = l.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    }
}

/// A failure inside the acceptance's transaction (here a trigger refusing its notice, as a
/// crash would cut it short) leaves nothing half-written: no acceptance, no event, no audit
/// row; and the caller is not told it was accepted.
async fn an_acceptance_is_all_or_nothing(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(t0()));
    let gw = t.token("grid_worker").await;
    let d = raise(
        &t,
        &gw,
        json!({"kind": "emergency", "category": "epidemic", "description": "发热人员需转运", "jurisdiction_code": GRID}),
    )
    .await;
    let id = d["ticket"]["id"].as_i64().expect("id");
    let (create, drop) = match engine {
        Engine::Sqlite => (
            vec!["CREATE TRIGGER cut_short BEFORE INSERT ON notices WHEN NEW.event = 'accepted' \
                  BEGIN SELECT RAISE(ABORT, 'cut short'); END"],
            vec!["DROP TRIGGER cut_short"],
        ),
        Engine::Postgres => (
            vec![
                "CREATE FUNCTION cut_short() RETURNS trigger AS $$ BEGIN \
                 IF NEW.event = 'accepted' THEN RAISE EXCEPTION 'cut short'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER cut_short BEFORE INSERT ON notices FOR EACH ROW EXECUTE FUNCTION cut_short()",
            ],
            vec!["DROP TRIGGER cut_short ON notices", "DROP FUNCTION cut_short()"],
        ),
    };
    let exec = |sql: &'static str| {
        let db = t.db.db.clone();
        async move {
            dualtrack_store::on_db!(&db, p => sqlx::query(sql).execute(p).await.map(|_| ()).expect("ddl"))
        }
    };
    for sql in create {
        exec(sql).await;
    }
    let h = t.token("golmud_health").await;
    let audits = t.audit_count("ticket.accept").await;
    let r = t.accept_ticket(id, &h, json!({})).await;
    assert!(!r.status.is_success(), "not acknowledged: {}", r.text);
    assert!(
        !r.text.contains("cut short"),
        "inner failures are not shown: {}",
        r.text
    );
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM ticket_calls WHERE ticket_id = {id} AND status = 'called'"
        ))
        .await,
        1
    );
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM ticket_events WHERE ticket_id = {id} AND event = 'accepted'"
        ))
        .await,
        0
    );
    assert_eq!(t.audit_count("ticket.accept").await, audits);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM tickets WHERE id = {id} AND status = 'open'"
        ))
        .await,
        1
    );
    // Once the fault is gone the same call goes through, whole.
    for sql in drop {
        exec(sql).await;
    }
    let r = t.accept_ticket(id, &h, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(t.audit_count("ticket.accept").await, audits + 1);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM notices WHERE ticket_id = {id} AND event = 'accepted'"
        ))
        .await,
        1
    );
}

on_both_engines!(
    an_acceptance_is_all_or_nothing,
    a_ticket_goes_round_the_whole_cycle,
    bad_input_is_refused_naming_the_field,
    one_click_from_a_production_problem_links_back,
    late_tickets_climb_the_tree_once_whatever_the_instances,
    webhooks_deliver_signed_with_retries,
    the_demo_has_departments_tickets_and_escalations,
    pages_work_on_a_phone,
);
