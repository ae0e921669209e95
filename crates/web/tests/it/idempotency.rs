//! Idempotency keys on every create a phone or a script may retry: the same key with the same
//! body answers with the first record (200) and writes nothing more; the same key with another
//! body is refused naming `idempotency_key` (422); eight requests at once with one key write
//! one record. The key comes in the `Idempotency-Key` header or the `idempotency_key` field.

use crate::common;
use common::{id_number, keyed_post};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{credit_code, TestApp};
use dualtrack_testkit::{on_both_engines, Engine};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

const GRID: &str = "632801001001001";

/// One keyed create: who sends it, where, the body, another body, and what to count.
struct Keyed {
    what: &'static str,
    user: &'static str,
    path: String,
    body: Value,
    /// The same request with one value changed.
    other: Value,
    /// Where eight requests at once with one fresh key go, and with what (a record of its
    /// own, not refused because of the first one).
    burst_path: String,
    burst: Value,
    /// Counts the records this create writes.
    count: String,
    /// Where the record's id is in the answer (a list there: the list the record is in).
    id_at: &'static [&'static str],
}

fn id_of(v: &Value, at: &[&str]) -> Option<i64> {
    let v = at.iter().try_fold(v, |v, k| v.get(k))?;
    match v.as_array() {
        // A list answered: the same list stands for the same record.
        Some(list) => i64::try_from(list.len()).ok(),
        None => v.as_i64(),
    }
}

async fn keys_of(t: &TestApp, user: &str, key: &str) -> i64 {
    t.count(&format!(
        "SELECT COUNT(*) FROM idempotency_keys WHERE account = '{user}' AND idem_key = '{key}'"
    ))
    .await
}

/// The same behaviour asked of every keyed create.
async fn check(t: &TestApp, c: Keyed) {
    let what = c.what;
    let tok = t.token(c.user).await;
    let before = t.count(&c.count).await;
    let key = format!("retry-{what}-0001");

    // The first submission, the key in the header.
    assert_eq!(keys_of(t, c.user, &key).await, 0, "{what}: a fresh key");
    let first = t.send(keyed_post(&c.path, &tok, Some(&key), &c.body)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{what}: {}", first.text);
    let id =
        id_of(&first.json(), c.id_at).unwrap_or_else(|| panic!("{what}: id in {}", first.text));
    assert_eq!(t.count(&c.count).await, before + 1, "{what}: one record");
    assert_eq!(keys_of(t, c.user, &key).await, 1, "{what}: its key kept");

    // The retry after a lost answer, the key in the body this time: the same record.
    let mut in_body = c.body.clone();
    in_body["idempotency_key"] = json!(key);
    let again = t.post(&c.path, &tok, in_body).await;
    assert_eq!(again.status, StatusCode::OK, "{what}: {}", again.text);
    assert_eq!(
        id_of(&again.json(), c.id_at),
        Some(id),
        "{what}: the same record"
    );
    assert_eq!(
        t.count(&c.count).await,
        before + 1,
        "{what}: nothing more written"
    );

    // The same key with another body: refused, naming the key.
    let r = t
        .send(keyed_post(&c.path, &tok, Some(&key), &c.other))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {}",
        r.text
    );
    let e = r.json();
    assert_eq!(e["error"]["code"], "idempotency_mismatch", "{what}");
    assert!(
        e["error"]["fields"]["idempotency_key"]
            .as_str()
            .is_some_and(|m| m.contains("幂等键")),
        "{what}: {e}"
    );
    assert_eq!(
        t.count(&c.count).await,
        before + 1,
        "{what}: nothing written"
    );

    // Eight at once with one fresh key: one record, every answer the same one.
    let burst_key = format!("burst-{what}-0001");
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let router = t.router.clone();
        let req = keyed_post(&c.burst_path, &tok, Some(&burst_key), &c.burst);
        set.spawn(async move {
            let resp = router.oneshot(req).await.expect("router answers");
            let status = resp.status();
            let bytes = resp.into_body().collect().await.expect("body").to_bytes();
            (status, String::from_utf8_lossy(&bytes).to_string())
        });
    }
    let mut created = 0;
    let mut ids = Vec::new();
    while let Some(done) = set.join_next().await {
        let (status, text) = done.expect("task");
        match status {
            StatusCode::CREATED => created += 1,
            StatusCode::OK => {}
            other => panic!("{what}: {other} {text}"),
        }
        let v: Value = serde_json::from_str(&text).expect("JSON");
        ids.push(id_of(&v, c.id_at));
    }
    assert_eq!(created, 1, "{what}: one of the eight wrote");
    ids.dedup();
    assert_eq!(ids.len(), 1, "{what}: every answer is the one record");
    assert_ne!(ids[0], None, "{what}");
    assert_eq!(
        t.count(&c.count).await,
        before + 2,
        "{what}: one more record"
    );
    assert_eq!(keys_of(t, c.user, &burst_key).await, 1, "{what}");
}

async fn new_household(t: &TestApp, address: &str) -> i64 {
    let tok = t.token("grid_worker").await;
    t.created(
        &format!("/api/v1/grids/{GRID}/households"),
        &tok,
        json!({"address": address, "head_name": "马海军"}),
    )
    .await
}

/// A new enterprise of 格尔木, without a filing.
async fn new_enterprise(t: &TestApp, n: u32) -> i64 {
    let token = t.token("golmud_operator").await;
    let first17 = format!("91632801MA7K{n:03}XY");
    let code = credit_code(&first17);
    t.created("/api/v1/enterprises", &token, json!({"name": format!("幂等测试企业{n}有限公司"), "credit_code": code, "jurisdiction_code": "632801",
                "industry_section": "C", "above_size": true, "normal_headcount": 200, "normal_output": 1000,
                "output_unit": "吨/日", "contact_name": "张联络", "contact_phone": format!("1389700{n:04}")})).await
}

/// Without a key the old behaviour stays: a second report is a second version. With one, a
/// retried report is filed once (before keys, a lost answer and a retry made two versions).
async fn a_retried_enterprise_report_is_filed_once(engine: Engine) {
    let t = TestApp::new(engine).await;
    let e = t.first_in("enterprises", "632801").await;
    let report = json!({"report_date": "2020-02-27", "status": "resumed", "confirm_implausible": true, "on_duty": 120,
        "checks_passed": 5, "output": 300, "idempotency_key": "liaison-phone-0227"});
    let liaison = t.token("liaison").await;
    let path = format!("/api/v1/enterprises/{e}/reports");
    let versions =
        format!("SELECT COUNT(*) FROM daily_reports WHERE enterprise_id = {e} AND report_date = '2020-02-27'");
    let before = t.count(&versions).await;
    let audits = t.audit_count("report.file").await;
    let first = t.post(&path, &liaison, report.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let second = t.post(&path, &liaison, report.clone()).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    assert_eq!(second.json(), first.json());
    assert_eq!(t.count(&versions).await, before + 1);
    assert_eq!(t.audit_count("report.file").await, audits + 1);
    // A correction is a new request: a new key files a new version, as before.
    let mut correction = report.clone();
    correction["on_duty"] = json!(118);
    correction["idempotency_key"] = json!("liaison-phone-0227-b");
    let r = t.post(&path, &liaison, correction).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        r.json()["version"].as_i64(),
        first.json()["version"].as_i64().map(|v| v + 1)
    );
    // The first key still answers with the first version, now no longer current.
    let third = t.post(&path, &liaison, report).await;
    assert_eq!(third.status, StatusCode::OK);
    assert_eq!(third.json()["id"], first.json()["id"]);
    assert_eq!(third.json()["is_current"], false);
    assert_eq!(t.count(&versions).await, before + 2);
    // Another account's key of the same text is its own.
    let op = t.token("golmud_operator").await;
    let theirs = json!({"report_date": "2020-02-26", "status": "resumed", "confirm_implausible": true, "on_duty": 3,
        "idempotency_key": "liaison-phone-0227"});
    let r = t.post(&path, &op, theirs).await;
    assert!(
        r.status == StatusCode::CREATED || r.status == StatusCode::FORBIDDEN,
        "{}",
        r.text
    );
    // A key too long is refused naming the field.
    let long = json!({"report_date": "2020-02-27", "status": "resumed", "confirm_implausible": true, "on_duty": 1,
        "idempotency_key": "k".repeat(101)});
    let r = t.post(&path, &liaison, long).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["error"]["fields"]["idempotency_key"].is_string());
}

async fn reports_and_follow_ups_take_a_key(engine: Engine) {
    let t = TestApp::new(engine).await;
    let e = t.first_in("enterprises", "632801").await;
    let report = |day: &str, on_duty: i64| json!({"report_date": day, "status": "resumed", "confirm_implausible": true, "on_duty": on_duty});
    check(
        &t,
        Keyed {
            what: "enterprise_report",
            user: "liaison",
            path: format!("/api/v1/enterprises/{e}/reports"),
            body: report("2020-02-27", 5),
            other: report("2020-02-27", 6),
            burst_path: format!("/api/v1/enterprises/{e}/reports"),
            burst: report("2020-02-26", 5),
            count: format!("SELECT COUNT(*) FROM daily_reports WHERE enterprise_id = {e}"),
            id_at: &["id"],
        },
    )
    .await;
    let case = t
        .count("SELECT MIN(id) FROM monitoring_cases WHERE jurisdiction_code LIKE '632801%' AND status = 'active'")
        .await;
    assert!(case > 0, "an active case in 格尔木");
    let followup = |temp: f64| json!({"temperature": temp, "symptoms": ["none"]});
    check(
        &t,
        Keyed {
            what: "followup",
            user: "golmud_operator",
            path: format!("/api/v1/monitoring/cases/{case}/followups"),
            body: followup(36.5),
            other: followup(36.6),
            burst_path: format!("/api/v1/monitoring/cases/{case}/followups"),
            burst: followup(36.7),
            count: format!("SELECT COUNT(*) FROM monitoring_followups WHERE case_id = {case}"),
            id_at: &["followup", "id"],
        },
    )
    .await;
}

async fn grid_work_takes_a_key(engine: Engine) {
    let t = TestApp::new(engine).await;
    let grid_report = |day: &str, remarks: &str| json!({"report_date": day, "remarks": remarks});
    check(
        &t,
        Keyed {
            what: "grid_report",
            user: "grid_worker",
            path: format!("/api/v1/grids/{GRID}/reports"),
            body: grid_report("2020-03-20", "已落实居家观察"),
            other: grid_report("2020-03-20", "无异常"),
            burst_path: format!("/api/v1/grids/{GRID}/reports"),
            burst: grid_report("2020-03-21", "无异常"),
            count: format!("SELECT COUNT(*) FROM grid_reports WHERE grid_code = '{GRID}'"),
            id_at: &["id"],
        },
    )
    .await;
    let household = |head: &str| json!({"address": "昆仑路 9 号 1 单元", "head_name": head});
    check(
        &t,
        Keyed {
            what: "household",
            user: "grid_worker",
            path: format!("/api/v1/grids/{GRID}/households"),
            body: household("马海军"),
            other: household("马海兵"),
            burst_path: format!("/api/v1/grids/{GRID}/households"),
            burst: household("韩梅"),
            count: format!("SELECT COUNT(*) FROM households WHERE grid_code = '{GRID}'"),
            id_at: &["id"],
        },
    )
    .await;
    let h = new_household(&t, "昆仑路 10 号").await;
    let person = |name: &str, id: &str| json!({"name": name, "id_number": id_number(id), "kind": "resident", "screened_on": "2020-02-05"});
    check(
        &t,
        Keyed {
            what: "screened_person",
            user: "grid_worker",
            path: format!("/api/v1/households/{h}/persons"),
            body: person("王建国", "63280119700101003"),
            other: person("王建军", "63280119700101003"),
            burst_path: format!("/api/v1/households/{h}/persons"),
            burst: person("王建华", "63280119700101011"),
            count: format!("SELECT COUNT(*) FROM screened_persons WHERE household_id = {h}"),
            id_at: &["id"],
        },
    )
    .await;
    let v = new_household(&t, "昆仑路 11 号").await;
    let visit = |day: &str| json!({"visited_on": day, "note": "无新增人员"});
    check(
        &t,
        Keyed {
            what: "household_visit",
            user: "grid_worker",
            path: format!("/api/v1/households/{v}/visits"),
            body: visit("2020-02-06"),
            other: visit("2020-02-07"),
            burst_path: format!("/api/v1/households/{v}/visits"),
            burst: visit("2020-02-08"),
            count: format!("SELECT COUNT(*) FROM household_visits WHERE household_id = {v}"),
            id_at: &["id"],
        },
    )
    .await;
    let ticket = |what: &str| json!({"kind": "routine", "category": "residents", "description": what, "jurisdiction_code": GRID});
    check(
        &t,
        Keyed {
            what: "ticket",
            user: "grid_worker",
            path: "/api/v1/tickets".into(),
            body: ticket("独居老人缺米面"),
            other: ticket("独居老人缺煤"),
            burst_path: "/api/v1/tickets".into(),
            burst: ticket("小区门岗无人值守"),
            count: "SELECT COUNT(*) FROM tickets".into(),
            id_at: &["ticket", "id"],
        },
    )
    .await;
}

async fn supplies_take_a_key(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mask = t
        .count("SELECT id FROM supply_items WHERE name = '一次性医用外科口罩'")
        .await;
    let store = t
        .count("SELECT MIN(id) FROM supply_stores WHERE jurisdiction_code = '632801'")
        .await;
    assert!(mask > 0 && store > 0, "the demo's masks and 格尔木's store");
    let movement = |q: i64| json!({"kind": "receipt", "item_id": mask, "quantity": q, "moved_on": "2020-02-01"});
    check(
        &t,
        Keyed {
            what: "stock_movement",
            user: "golmud_operator",
            path: format!("/api/v1/supplies/stores/{store}/movements"),
            body: movement(3),
            other: movement(4),
            burst_path: format!("/api/v1/supplies/stores/{store}/movements"),
            burst: movement(5),
            count: format!("SELECT COUNT(*) FROM stock_movements WHERE to_store_id = {store}"),
            id_at: &["movement", "id"],
        },
    )
    .await;
    let need = |q: i64| json!({"jurisdiction_code": "632801101", "item_id": mask, "basis": "daily", "quantity": q, "from_on": "2020-02-01"});
    check(
        &t,
        Keyed {
            what: "supply_need",
            user: "golmud_operator",
            path: "/api/v1/supplies/needs".into(),
            body: need(60),
            other: need(70),
            burst_path: "/api/v1/supplies/needs".into(),
            burst: need(80),
            count: "SELECT COUNT(*) FROM supply_needs".into(),
            id_at: &["id"],
        },
    )
    .await;
    let request = |q: i64| json!({"store_id": store, "item_id": mask, "quantity": q, "reason": "卡口口罩仅够 3 天"});
    check(
        &t,
        Keyed {
            what: "supply_request",
            user: "golmud_operator",
            path: "/api/v1/supplies/requests".into(),
            body: request(500),
            other: request(600),
            burst_path: "/api/v1/supplies/requests".into(),
            burst: request(700),
            count: format!("SELECT COUNT(*) FROM supply_requests WHERE store_id = {store}"),
            id_at: &["id"],
        },
    )
    .await;
}

async fn resumption_work_takes_a_key(engine: Engine) {
    let t = TestApp::new(engine).await;
    let assignment = t
        .count("SELECT MIN(id) FROM work_group_assignments WHERE jurisdiction_code LIKE '632801%' AND until_on IS NULL")
        .await;
    let org = t
        .count(&format!(
            "SELECT org_id FROM work_group_assignments WHERE id = {assignment}"
        ))
        .await;
    let e = t
        .count(&format!(
            "SELECT enterprise_id FROM work_group_assignments WHERE id = {assignment}"
        ))
        .await;
    let member = t
        .count(&format!(
            "SELECT MIN(person_id) FROM org_members WHERE org_id = {org}"
        ))
        .await;
    let visit = |findings: &str| json!({"org_id": org, "visited_on": "2020-03-01", "visitor_ids": [member], "findings": findings});
    check(
        &t,
        Keyed {
            what: "enterprise_visit",
            user: "golmud_operator",
            path: format!("/api/v1/enterprises/{e}/visits"),
            body: visit("正常"),
            other: visit("内部管理制度未上墙"),
            burst_path: format!("/api/v1/enterprises/{e}/visits"),
            burst: visit("消毒台账不全"),
            count: format!("SELECT COUNT(*) FROM enterprise_visits WHERE enterprise_id = {e}"),
            id_at: &["id"],
        },
    )
    .await;
    let problem = |what: &str| json!({"enterprise_id": e, "category": "labour", "description": what, "raised_on": "2020-03-01"});
    check(
        &t,
        Keyed {
            what: "production_problem",
            user: "liaison",
            path: "/api/v1/production-problems".into(),
            body: problem("缺工 30 人"),
            other: problem("缺工 40 人"),
            burst_path: "/api/v1/production-problems".into(),
            burst: problem("原料运不进来"),
            count: format!("SELECT COUNT(*) FROM production_problems WHERE enterprise_id = {e}"),
            id_at: &["id"],
        },
    )
    .await;
    // Filings: one waiting per enterprise, so the burst goes to a second one.
    let first = new_enterprise(&t, 1).await;
    let second = new_enterprise(&t, 2).await;
    let filing = |people: i64| {
        json!({"planned_on": "2020-02-20",
        "prevention_plan": "成立防控工作组，返岗员工逐人排查，储备口罩与消毒液，错峰就餐，每日测温消毒，开展防护培训。",
        "employees_planned": people, "check_mechanism": true, "check_screening": true,
        "check_supplies": true, "check_management": true, "check_publicity": true})
    };
    check(
        &t,
        Keyed {
            what: "filing",
            user: "liaison",
            path: format!("/api/v1/enterprises/{first}/filings"),
            body: filing(120),
            other: filing(121),
            burst_path: format!("/api/v1/enterprises/{second}/filings"),
            burst: filing(80),
            count: format!(
                "SELECT COUNT(*) FROM resumption_filings WHERE enterprise_id IN ({first}, {second})"
            ),
            id_at: &["id"],
        },
    )
    .await;
}

async fn other_field_records_take_a_key(engine: Engine) {
    let t = TestApp::new(engine).await;
    let publicity = |copies: i64| json!({"delivered_on": "2020-03-20", "what": "防控明白纸", "place": "博爱巷", "copies": copies});
    check(
        &t,
        Keyed {
            what: "publicity",
            user: "grid_worker",
            path: format!("/api/v1/grids/{GRID}/publicity"),
            body: publicity(40),
            other: publicity(41),
            burst_path: format!("/api/v1/grids/{GRID}/publicity"),
            burst: publicity(42),
            count: format!("SELECT COUNT(*) FROM publicity_records WHERE grid_code = '{GRID}'"),
            id_at: &[],
        },
    )
    .await;
    let stability =
        |summary: &str| json!({"occurred_on": "2020-02-20", "kind": "dispute", "summary": summary});
    check(
        &t,
        Keyed {
            what: "stability",
            user: "grid_worker",
            path: format!("/api/v1/grids/{GRID}/stability"),
            body: stability("邻里纠纷已调解"),
            other: stability("邻里纠纷未调解"),
            burst_path: format!("/api/v1/grids/{GRID}/stability"),
            burst: stability("噪音扰民已劝导"),
            count: format!("SELECT COUNT(*) FROM stability_records WHERE grid_code = '{GRID}'"),
            id_at: &[],
        },
    )
    .await;
    let case = |name: &str, id: &str| {
        json!({"kind": "home", "name": name, "id_number": id_number(id), "phone": "13997001234",
        "jurisdiction_code": GRID, "place": "格尔木市博爱巷 12 号院 3 单元", "reason": "自湖北省武汉市返回",
        "last_exposure": "2020-02-07", "start_date": "2020-02-08"})
    };
    check(
        &t,
        Keyed {
            what: "monitoring_case",
            user: "golmud_operator",
            path: "/api/v1/monitoring/cases".into(),
            body: case("李海燕", "42010619850312004"),
            other: case("李海英", "42010619850312004"),
            burst_path: "/api/v1/monitoring/cases".into(),
            burst: case("张建华", "42010619850312012"),
            count: "SELECT COUNT(*) FROM monitoring_cases".into(),
            id_at: &["id"],
        },
    )
    .await;
    let plant = t
        .count("SELECT id FROM key_plants WHERE name = '察尔汗钾肥一厂'")
        .await;
    let shipment = |q: i64| json!({"ship_date": "2020-03-13", "province_code": "23", "quantity": q, "mode": "rail", "note": "春耕用肥"});
    check(
        &t,
        Keyed {
            what: "shipment",
            user: "liaison",
            path: format!("/api/v1/key-plants/{plant}/shipments"),
            body: shipment(1000),
            other: shipment(1001),
            burst_path: format!("/api/v1/key-plants/{plant}/shipments"),
            burst: shipment(500),
            count: format!("SELECT COUNT(*) FROM plant_shipments WHERE plant_id = {plant}"),
            id_at: &["id"],
        },
    )
    .await;
    let reg = t.first_in("registrations", "632801").await;
    let log = |hours: i64| json!({"served_on": "2020-02-14", "hours": hours, "description": "协助卡口测温登记"});
    check(
        &t,
        Keyed {
            what: "service_log",
            user: "haixi_org",
            path: format!("/api/v1/registrations/{reg}/service-logs"),
            body: log(3),
            other: log(2),
            burst_path: format!("/api/v1/registrations/{reg}/service-logs"),
            burst: log(4),
            count: format!("SELECT COUNT(*) FROM service_logs WHERE registration_id = {reg}"),
            id_at: &["logs"],
        },
    )
    .await;
}

/// A photo uploaded again on a bad network is kept once; another file under the key is refused.
async fn a_reuploaded_attachment_is_kept_once(engine: Engine) {
    let (t, gw) = TestApp::as_user(engine, "grid_worker").await;
    let r = t
        .post(
            "/api/v1/tickets",
            &gw,
            json!({"kind": "routine", "category": "residents", "description": "独居老人缺米面", "jurisdiction_code": GRID}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json()["ticket"]["id"].as_i64().expect("ticket");
    let upload = |key: &str, bytes: Vec<u8>| {
        Request::builder()
            .method("POST")
            .uri(format!("/api/v1/tickets/{id}/attachments?name=photo.png"))
            .header(header::AUTHORIZATION, format!("Bearer {gw}"))
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .header("Idempotency-Key", key)
            .body(Body::from(bytes))
            .expect("request")
    };
    let png = |n: u8| vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, n];
    let kept = format!("SELECT COUNT(*) FROM ticket_attachments WHERE ticket_id = {id}");
    let first = t.send(upload("photo-0001", png(13))).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let again = t.send(upload("photo-0001", png(13))).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.json()["id"], first.json()["id"]);
    assert_eq!(t.count(&kept).await, 1);
    let other = t.send(upload("photo-0001", png(14))).await;
    assert_eq!(
        other.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        other.text
    );
    assert_eq!(other.json()["error"]["code"], "idempotency_mismatch");
    assert_eq!(t.count(&kept).await, 1);
    let (a, b, c) = tokio::join!(
        t.send(upload("photo-0002", png(15))),
        t.send(upload("photo-0002", png(15))),
        t.send(upload("photo-0002", png(15)))
    );
    let mut statuses = [a.status, b.status, c.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::OK, StatusCode::CREATED]
    );
    assert_eq!(t.count(&kept).await, 2);
}

/// Keys given before the mechanism was general (passages, movements) are now compared too.
async fn passages_compare_the_replayed_body(engine: Engine) {
    let t = TestApp::new(engine).await;
    let south = t.checkpoint("格尔木南出口").await;
    let passage = |reason: &str, plate: &str| {
        json!({"plate": plate, "vehicle_class": "car", "origin": "青海省西宁市",
        "travel_history": ["西宁市城中区"], "destination": "632801100", "reason": reason,
        "travellers": [{"name": "马海军", "id_number": id_number("63280119800101001"),
            "temperature": 36.5, "outcome": "through"}]})
    };
    check(
        &t,
        Keyed {
            what: "passage",
            user: "golmud_operator",
            path: format!("/api/v1/checkpoints/{south}/passages"),
            body: passage("返岗复工", "青H12345"),
            other: passage("探亲", "青H12345"),
            burst_path: format!("/api/v1/checkpoints/{south}/passages"),
            burst: passage("返岗复工", "青H54321"),
            count: format!("SELECT COUNT(*) FROM passages WHERE checkpoint_id = {south}"),
            id_at: &["id"],
        },
    )
    .await;
    // The same key at another checkpoint is another request.
    let east = t.checkpoint("格尔木东出口").await;
    let tok = t.token("golmud_operator").await;
    let r = t
        .send(keyed_post(
            &format!("/api/v1/checkpoints/{east}/passages"),
            &tok,
            Some("retry-passage-0001"),
            &passage("返岗复工", "青H12345"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.json()["error"]["code"], "idempotency_mismatch");
}

/// Keys sent before the table existed (a passage's, a movement's) are carried over by the
/// migration, with no fingerprint: a retry under one is answered with its record unchecked.
async fn keys_from_before_the_table_are_carried_over(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "golmud_operator").await;
    let south = t.checkpoint("格尔木南出口").await;
    let passage = |reason: &str| {
        json!({"plate": "青H12345", "vehicle_class": "car", "origin": "青海省西宁市",
        "travel_history": ["西宁市城中区"], "destination": "632801100", "reason": reason,
        "travellers": [{"name": "马海军", "id_number": id_number("63280119800101001"),
            "temperature": 36.5, "outcome": "through"}]})
    };
    let path = format!("/api/v1/checkpoints/{south}/passages");
    let r = t
        .send(keyed_post(
            &path,
            &tok,
            Some("old-0001"),
            &passage("返岗复工"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let pid = r.json()["id"].as_i64().expect("passage");
    let store = t
        .count("SELECT MIN(id) FROM supply_stores WHERE jurisdiction_code = '632801'")
        .await;
    let mask = t
        .count("SELECT id FROM supply_items WHERE name = '一次性医用外科口罩'")
        .await;
    let moves = format!("/api/v1/supplies/stores/{store}/movements");
    let receipt =
        json!({"kind": "receipt", "item_id": mask, "quantity": 3, "moved_on": "2020-02-01"});
    let r = t
        .send(keyed_post(&moves, &tok, Some("old-0002"), &receipt))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let mid = r.json()["movement"]["id"].as_i64().expect("movement");
    // As before migration 0020: the keys only in the records' own columns.
    dualtrack_store::on_db!(&t.db.db, p => sqlx::query("DELETE FROM idempotency_keys WHERE account = 'golmud_operator'")
        .execute(p).await.expect("delete").rows_affected());
    let migration = match engine {
        Engine::Sqlite => include_str!("../../../store/migrations/sqlite/0020_idempotency.sql"),
        Engine::Postgres => include_str!("../../../store/migrations/postgres/0020_idempotency.sql"),
    };
    let copies: Vec<&str> = migration
        .split(';')
        .filter(|s| s.contains("INSERT INTO idempotency_keys"))
        .collect();
    assert_eq!(copies.len(), 2);
    for sql in copies {
        dualtrack_store::on_db!(&t.db.db, p => sqlx::query(sql).execute(p).await.expect("carry over").rows_affected());
    }
    let row = |key: &str| {
        format!("SELECT record_id FROM idempotency_keys WHERE account = 'golmud_operator' AND idem_key = '{key}' AND fingerprint = ''")
    };
    assert_eq!(
        t.count(&format!("{} AND kind = 'passage'", row("old-0001")))
            .await,
        pid
    );
    assert_eq!(
        t.count(&format!("{} AND kind = 'stock_movement'", row("old-0002")))
            .await,
        mid
    );
    // Nothing to compare with: the first record, whatever the body.
    let r = t
        .send(keyed_post(&path, &tok, Some("old-0001"), &passage("探亲")))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["id"].as_i64(), Some(pid));
    // Another kind of request under it is still refused.
    let r = t
        .send(keyed_post(&moves, &tok, Some("old-0001"), &receipt))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = t
        .send(keyed_post(&moves, &tok, Some("old-0002"), &receipt))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["movement"]["id"].as_i64(), Some(mid));
}

/// The page form carries a key made when it is rendered: a double tap files one report.
async fn a_double_tapped_report_form_files_once(engine: Engine) {
    let t = TestApp::new(engine).await;
    let e = t.first_in("enterprises", "632801").await;
    let mut b = t.browser("liaison").await;
    let page = b.page(&format!("/enterprises/{e}")).await;
    let key = regex::Regex::new(r#"name="idempotency_key" value="([^"]+)""#)
        .expect("regex")
        .captures(&page.text)
        .map(|c| c[1].to_string())
        .expect("the report form carries a key");
    let versions = format!("SELECT COUNT(*) FROM daily_reports WHERE enterprise_id = {e}");
    let before = t.count(&versions).await;
    let fields = [
        ("idempotency_key", key.as_str()),
        ("report_date", "2020-02-27"),
        ("status", "resumed"),
        ("on_duty", "40"),
        ("confirm_implausible", "1"),
    ];
    for _ in 0..2 {
        b.submit(&format!("/enterprises/{e}/reports"), &fields)
            .await;
    }
    assert_eq!(t.count(&versions).await, before + 1);
    // A fresh form comes with a fresh key.
    let again = b.get(&format!("/enterprises/{e}")).await;
    assert!(!again.text.contains(&key));
}

on_both_engines!(
    a_retried_enterprise_report_is_filed_once,
    reports_and_follow_ups_take_a_key,
    grid_work_takes_a_key,
    supplies_take_a_key,
    resumption_work_takes_a_key,
    other_field_records_take_a_key,
    a_reuploaded_attachment_is_kept_once,
    passages_compare_the_replayed_body,
    keys_from_before_the_table_are_carried_over,
    a_double_tapped_report_form_files_once,
);
