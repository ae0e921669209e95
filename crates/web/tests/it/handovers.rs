//! Hand-over through the API, on both engines, with the application's clock set by the test:
//! a traveller registered at a checkpoint with a destination inside the region arrives at
//! that grid (or village), which acknowledges it and opens a case; the case is followed up
//! twice and released; a village passes one down to a grid and the access moves with it; an
//! unacknowledged one turns overdue after the configured hours and shows up the chain;
//! destinations outside the region become outbound notices that export; a referred case
//! comes back under monitoring; personal data is erased after the retention period; and the
//! accounts that work at a checkpoint are set through the API.

use crate::common;
use common::id_number;

use axum::http::StatusCode;
use chrono::{DateTime, Duration, TimeZone, Utc};
use common::TestApp;
use dualtrack_service::spreadsheet;
use dualtrack_service::Actor;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::{json, Value};

/// 2020-03-14 10:00 China Standard Time: the morning after the demo's last day.
fn morning() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 3, 14, 2, 0, 0)
        .single()
        .expect("time")
}

fn one_traveller(destination: &str, outcome: &str, n: u32) -> Value {
    json!({
        "plate": "青H23456",
        "vehicle_class": "car",
        "origin": "青海省西宁市",
        "travel_history": "西宁市城东区",
        "destination": destination,
        "reason": "返岗复工",
        "travellers": [
            {"name": "韩建国", "id_number": id_number(&format!("632801198001{n:02}003")), "phone": "13897004321",
             "temperature": 36.4, "outcome": outcome}
        ]
    })
}

/// Registers a passage at 格尔木南出口 as the checkpoint worker; gives the hand-over id of
/// its traveller, if one was made.
async fn register(t: &TestApp, destination: &str, outcome: &str, n: u32) -> Option<i64> {
    let worker = t.token("checkpoint_worker").await;
    let south = t.checkpoint("格尔木南出口").await;
    let r = t
        .register_passage(south, &worker, one_traveller(destination, outcome, n))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json()["travellers"][0]["handover_id"].as_i64()
}

async fn figures(t: &TestApp, token: &str, place: &str) -> Value {
    let r = t
        .get_ok(
            &format!("/api/v1/handovers/figures?date=2020-03-14&place={place}"),
            token,
        )
        .await;
    r.json()
}

fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .expect("list")
        .iter()
        .filter_map(|h| h["id"].as_i64())
        .collect()
}

async fn under(t: &TestApp, token: &str) -> i64 {
    let r = t
        .get_ok(
            "/api/v1/monitoring/figures?as_of=2020-03-14&place=632801001001001",
            token,
        )
        .await;
    r.json()["under"].as_i64().expect("under")
}

async fn from_checkpoint_to_grid_to_release(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(morning()));
    let grid = t.token("grid_worker").await;
    let before = figures(&t, &grid, "632801001001001").await;
    let under0 = under(&t, &grid).await;

    let id = register(&t, "632801001001001", "through", 1)
        .await
        .expect("a hand-over is made for a destination inside the region");
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM handovers WHERE id = {id} AND to_code = '632801001001001' AND status = 'pending'"
        ))
        .await,
        1
    );

    // It arrives at the grid: in its list, counted, masked.
    let list = t.get("/api/v1/handovers?which=pending", &grid).await.json();
    assert!(ids(&list).contains(&id), "{list}");
    let mine = list
        .as_array()
        .and_then(|l| l.iter().find(|h| h["id"] == id))
        .expect("listed")
        .clone();
    assert!(mine["id_number"].as_str().unwrap_or("").contains("****"));
    let after = figures(&t, &grid, "632801001001001").await;
    assert_eq!(
        after["total"]["pending"].as_i64(),
        before["total"]["pending"].as_i64().map(|n| n + 1)
    );
    assert_eq!(
        after["total"]["made"].as_i64(),
        before["total"]["made"].as_i64().map(|n| n + 1)
    );
    // Up the chain: 格尔木's leader sees it under 昆仑路街道.
    let leader = t.token("golmud_leader").await;
    let county = figures(&t, &leader, "632801").await;
    let town = county["places"]
        .as_array()
        .and_then(|p| p.iter().find(|x| x["code"] == "632801001"))
        .expect("the township is listed")
        .clone();
    assert!(town["pending"].as_i64().unwrap_or(0) >= 1, "{county}");

    // Neither 德令哈 nor the checkpoint's own worker reads the person now.
    let delingha = t.token("delingha_operator").await;
    assert_eq!(
        t.get(&format!("/api/v1/handovers/{id}"), &delingha)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(!ids(&t.get("/api/v1/handovers", &delingha).await.json()).contains(&id));
    let worker = t.token("checkpoint_worker").await;
    assert_eq!(
        t.get(&format!("/api/v1/handovers/{id}"), &worker)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The sending side sees how it stands, without the phone.
    let sent = t.get("/api/v1/handovers?which=sent", &worker).await.json();
    let s = sent
        .as_array()
        .and_then(|l| l.iter().find(|h| h["id"] == id))
        .expect("in the sent list")
        .clone();
    assert_eq!(s["status"], "pending");
    assert!(s["phone"].is_null());

    // Acknowledged with home quarantine: a case in the grid, linked to the traveller.
    let a0 = t.audit_count("handover.acknowledge").await;
    let r = t
        .acknowledge_handover(
            id,
            &grid,
            json!({"measure": "home", "place": "博爱巷 12 号", "note": "已电话联系"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let d = r.json();
    assert_eq!(d["handover"]["status"], "acknowledged");
    let case = d["handover"]["case_id"].as_i64().expect("a case is opened");
    assert_eq!(t.audit_count("handover.acknowledge").await, a0 + 1);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM monitoring_cases m JOIN handovers h ON h.traveller_id = m.traveller_id \
             WHERE m.id = {case} AND h.id = {id} AND m.jurisdiction_code = '632801001001001' AND m.kind = 'home'"
        ))
        .await,
        1
    );
    assert_eq!(under(&t, &grid).await, under0 + 1);
    let after_ack = figures(&t, &grid, "632801001001001").await;
    assert_eq!(
        after_ack["total"]["pending"].as_i64(),
        before["total"]["pending"].as_i64()
    );
    // A second acknowledgement is refused and writes nothing.
    let again = t.acknowledge_handover(id, &grid, json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(t.audit_count("handover.acknowledge").await, a0 + 1);

    // Two follow-ups, then release before the planned end with a reason.
    for (h, temp) in [(1, 36.5), (13, 36.7)] {
        t.app.clock.set(Some(morning() + Duration::hours(h)));
        let r = t
            .follow_up(
                case,
                &grid,
                json!({"temperature": temp, "symptoms": ["none"]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM monitoring_followups WHERE case_id = {case}"
        ))
        .await,
        2
    );
    let r = t
        .release_case(case, &grid, json!({"reason": "经医生评估提前解除"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(under(&t, &grid).await, under0);
}

async fn a_village_passes_it_down_and_access_follows(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(morning()));
    // 博爱巷社区 has three grids: the village receives it.
    let id = register(&t, "632801001001", "observation", 2)
        .await
        .expect("hand-over");
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM handovers WHERE id = {id} AND to_code = '632801001001'"
        ))
        .await,
        1
    );
    let op = t.token("golmud_operator").await;
    let grid = t.token("grid_worker").await;
    // The grid below does not hold it yet.
    assert_eq!(
        t.get(&format!("/api/v1/handovers/{id}"), &grid)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let d = t.get(&format!("/api/v1/handovers/{id}"), &op).await.json();
    let below = common::each_str(&d["places_below"], "code");
    assert!(below.contains(&"632801001001002"), "{d}");
    // Not outside the village, nor to itself.
    for to in ["632801001002001", "632801001001", "632802001001001"] {
        let r = t
            .post(
                &format!("/api/v1/handovers/{id}/forward"),
                &op,
                json!({"to": to}),
            )
            .await;
        assert!(
            r.status == StatusCode::UNPROCESSABLE_ENTITY || r.status == StatusCode::NOT_FOUND,
            "{to}: {} {}",
            r.status,
            r.text
        );
        if r.status == StatusCode::UNPROCESSABLE_ENTITY {
            assert!(r.json()["error"]["fields"]["to"].is_string(), "{}", r.text);
        }
    }
    // To the second grid: the first grid's worker still cannot read it.
    let r = t
        .post(
            &format!("/api/v1/handovers/{id}/forward"),
            &op,
            json!({"to": "632801001001002", "note": "住博爱巷第二网格"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["to_code"], "632801001001002");
    assert_eq!(
        t.get(&format!("/api/v1/handovers/{id}"), &grid)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Its history shows the forward; the due time started again.
    let d = t.get(&format!("/api/v1/handovers/{id}"), &op).await.json();
    let kinds = common::each_str(&d["history"], "kind");
    assert_eq!(kinds, vec!["made", "forward"]);
    assert_eq!(t.audit_count("handover.forward").await, 1);
    // The checkpoint registered a traveller turned back: no hand-over for them.
    assert!(register(&t, "632801001001001", "turned_back", 3)
        .await
        .is_none());
}

async fn unacknowledged_turns_overdue_up_the_chain(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(morning()));
    let leader = t.token("golmud_leader").await;
    let base = figures(&t, &leader, "632801").await["total"]["overdue"]
        .as_i64()
        .expect("overdue");
    let id = register(&t, "632801001001001", "through", 4)
        .await
        .expect("hand-over");
    let grid = t.token("grid_worker").await;
    let overdue = |v: Value| ids(&v).contains(&id);
    assert!(!overdue(
        t.get("/api/v1/handovers?which=overdue", &grid).await.json()
    ));
    // The configured two hours pass.
    t.app
        .clock
        .set(Some(morning() + Duration::hours(2) + Duration::minutes(1)));
    assert!(overdue(
        t.get("/api/v1/handovers?which=overdue", &grid).await.json()
    ));
    let f = figures(&t, &leader, "632801").await;
    assert_eq!(f["total"]["overdue"].as_i64(), Some(base + 1));
    // The prefecture's leader sees it in 格尔木's row.
    let top = t.token("haixi_leader").await;
    let f = figures(&t, &top, "6328").await;
    let golmud = f["places"]
        .as_array()
        .and_then(|p| p.iter().find(|x| x["code"] == "632801"))
        .expect("格尔木 listed")
        .clone();
    assert!(golmud["overdue"].as_i64().unwrap_or(0) >= 1);
    // Acknowledged late: no longer overdue, counted as late.
    let late0 = figures(&t, &leader, "632801").await["total"]["acknowledged_late"]
        .as_i64()
        .expect("late");
    let r = t.acknowledge_handover(id, &grid, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let f = figures(&t, &leader, "632801").await;
    assert_eq!(f["total"]["overdue"].as_i64(), Some(base));
    assert_eq!(f["total"]["acknowledged_late"].as_i64(), Some(late0 + 1));
}

async fn outbound_notices_list_and_export(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(morning()));
    assert!(register(&t, "西藏自治区拉萨市", "through", 5)
        .await
        .is_none());
    let op = t.token("golmud_operator").await;
    let list = t
        .get("/api/v1/outbound-notices?from=2020-03-14", &op)
        .await
        .json();
    let rows = list.as_array().expect("list");
    let mine: Vec<&Value> = rows
        .iter()
        .filter(|r| r["destination"] == "西藏自治区拉萨市" && r["name"] == "韩建国")
        .collect();
    assert_eq!(mine.len(), 1, "{list}");
    assert!(mine[0]["id_number"].as_str().unwrap_or("").contains("****"));
    // 德令哈 does not see 格尔木's checkpoint travellers.
    let delingha = t.token("delingha_operator").await;
    let theirs = t
        .get("/api/v1/outbound-notices?from=2020-03-14", &delingha)
        .await
        .json();
    assert!(!theirs.to_string().contains("韩建国"));
    // The export has the same rows, masked, and is audited; unmasked only with the right.
    let e0 = t.audit_count("export").await;
    let (status, bytes) = t
        .download(&op, "/api/v1/outbound-notices/export.xlsx?from=2020-03-14")
        .await;
    assert_eq!(status, StatusCode::OK);
    let sheet = spreadsheet::read(&bytes).expect("reads");
    assert_eq!(sheet.rows.len(), rows.len());
    let row = sheet
        .rows
        .iter()
        .find(|(_, c)| c[3] == "韩建国")
        .expect("the traveller is in the export");
    assert!(row.1[4].contains("****"), "{:?}", row.1);
    assert_eq!(row.1[9], "西藏自治区拉萨市");
    assert_eq!(t.audit_count("export").await, e0 + 1);
    let (status, bytes) = t
        .download(
            &op,
            "/api/v1/outbound-notices/export.xlsx?from=2020-03-14&unmask=true",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let sheet = spreadsheet::read(&bytes).expect("reads");
    let full = sheet
        .rows
        .iter()
        .find(|(_, c)| c[3] == "韩建国")
        .expect("row");
    assert_eq!(full.1[4], id_number("63280119800105003"));
    let worker = t.token("checkpoint_worker").await;
    let (status, _) = t
        .download(
            &worker,
            "/api/v1/outbound-notices/export.xlsx?from=2020-03-14&unmask=true",
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Bad dates name the field.
    let r = t
        .get(
            "/api/v1/outbound-notices?from=2020-03-14&to=2020-03-01",
            &op,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["error"]["fields"]["to"].is_string());
}

async fn referred_comes_back_and_personal_data_is_erased(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(morning()));
    let grid = t.token("grid_worker").await;
    let id = register(&t, "632801001001001", "through", 6)
        .await
        .expect("hand-over");
    let d = t
        .acknowledge_handover(
            id,
            &grid,
            json!({"measure": "health", "place": "博爱巷 3 号"}),
        )
        .await
        .json();
    let case = d["handover"]["case_id"].as_i64().expect("case");
    // A fever refers the person; the clinic rules them out and they come back.
    t.app.clock.set(Some(morning() + Duration::hours(1)));
    let r = t
        .follow_up(
            case,
            &grid,
            json!({"temperature": 37.8, "symptoms": ["fever"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["case"]["status"], "referred");
    let blank = t.resume_case(case, &grid, json!({"finding": " "})).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(blank.json()["error"]["fields"]["finding"].is_string());
    let r = t
        .resume_case(case, &grid, json!({"finding": "核酸阴性，排除"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["status"], "active");
    assert_eq!(t.audit_count("monitoring.resume").await, 1);
    let again = t
        .resume_case(case, &grid, json!({"finding": "核酸阴性"}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    // Released on 2020-03-14; kept for the retention period, then erased.
    let r = t
        .release_case(case, &grid, json!({"reason": "经医生评估提前解除"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let cases = t.count("SELECT COUNT(*) FROM monitoring_cases").await;
    let erased_name = |table: &str, id: i64| {
        format!("SELECT COUNT(*) FROM {table} WHERE id = {id} AND id_number = '' AND erased_on IS NOT NULL")
    };
    let traveller = t
        .count(&format!(
            "SELECT traveller_id FROM handovers WHERE id = {id}"
        ))
        .await;
    // Found by the ID number until erased; not after.
    let op = t.token("golmud_operator").await;
    let number = id_number("63280119800106003");
    let south = t.checkpoint("格尔木南出口").await;
    let by_number = [
        format!("/api/v1/checkpoints/{south}/passages?id_number={number}"),
        format!("/api/v1/monitoring/cases?id_number={number}"),
    ];
    for path in &by_number {
        let found = t.get_json(path, &op).await;
        assert_eq!(found.as_array().map(Vec::len), Some(1), "{path}: {found}");
    }
    let days = i64::from(t.app.retention_days);
    t.app.clock.set(Some(morning() + Duration::days(days - 1)));
    t.app.erase_expired(&Actor::cli()).await.expect("runs");
    assert_eq!(t.count(&erased_name("monitoring_cases", case)).await, 0);
    t.app.clock.set(Some(morning() + Duration::days(days + 1)));
    let report = t.app.erase_expired(&Actor::cli()).await.expect("runs");
    assert!(report.cases >= 1);
    assert_eq!(t.count(&erased_name("monitoring_cases", case)).await, 1);
    assert_eq!(
        t.count(&erased_name("passage_travellers", traveller)).await,
        1
    );
    for path in &by_number {
        let found = t.get_json(path, &op).await;
        assert_eq!(found.as_array().map(Vec::len), Some(0), "{path}: {found}");
    }
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM passage_travellers WHERE id = {traveller} AND id_bidx = ''"
        ))
        .await,
        1
    );
    // Counts stay: the case is still there, only the person's data is gone.
    assert_eq!(
        t.count("SELECT COUNT(*) FROM monitoring_cases").await,
        cases
    );
    assert_eq!(t.audit_count("retention.erase").await, 2);
    // Only the system runs it.
    let grid_actor = t
        .app
        .authenticate(&grid, "127.0.0.1")
        .await
        .expect("the grid worker's session");
    assert!(t.app.erase_expired(&grid_actor).await.is_err());
}

async fn checkpoint_staff_through_the_api(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let worker = t.token("checkpoint_worker").await;
    let station = t.checkpoint("格尔木东出口").await;
    assert_eq!(
        t.get(&format!("/api/v1/checkpoints/{station}"), &worker)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = t
        .staff_checkpoint(station, &op, json!({"username": "checkpoint_worker"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("checkpoint_worker"));
    assert_eq!(
        t.get(&format!("/api/v1/checkpoints/{station}"), &worker)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(t.audit_count("checkpoint.staff").await, 1);
    // An account that is not a checkpoint worker, one that does not exist, one outside scope.
    for who in ["grid_worker", "nobody", "delingha_operator"] {
        let r = t
            .staff_checkpoint(station, &op, json!({"username": who}))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{who}: {}",
            r.text
        );
        assert!(r.json()["error"]["fields"]["username"].is_string());
    }
    let r = t
        .staff_checkpoint(
            station,
            &op,
            json!({"username": "checkpoint_worker", "remove": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        t.get(&format!("/api/v1/checkpoints/{station}"), &worker)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

on_both_engines!(
    from_checkpoint_to_grid_to_release,
    a_village_passes_it_down_and_access_follows,
    unacknowledged_turns_overdue_up_the_chain,
    outbound_notices_list_and_export,
    referred_comes_back_and_personal_data_is_erased,
    checkpoint_staff_through_the_api,
);
