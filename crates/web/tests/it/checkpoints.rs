//! Checkpoints through the API: a passage with its travellers written in one transaction with
//! one audit row and the fever flag from 37.3 ℃; a retried submission recognised by its
//! idempotency key; bad input refused naming the field, nothing written; lists masked and
//! unmasking audited; the checkpoint worker kept to its own checkpoint, 格尔木 to its county.

use crate::common;
use common::id_number;

use axum::http::StatusCode;
use common::TestApp;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::{json, Value};

/// What a passage writes, counted straight from the tables.
async fn written(t: &TestApp) -> (i64, i64, i64) {
    (
        t.count("SELECT COUNT(*) FROM passages").await,
        t.count("SELECT COUNT(*) FROM passage_travellers").await,
        t.audit_count("passage.register").await,
    )
}

fn two_travellers() -> Value {
    json!({
        "plate": "青H12345",
        "vehicle_class": "car",
        "origin": "青海省西宁市",
        "travel_history": ["西宁市城中区", "共和县"],
        "destination": "632801100",
        "reason": "返岗复工",
        "travellers": [
            {"name": "马海军", "id_number": id_number("63280119800101001"), "phone": "13897001234",
             "temperature": 36.5, "outcome": "through"},
            {"name": "才让卓玛", "id_number": id_number("63280219900215002"), "phone": "13997005678",
             "temperature": "37.3", "outcome": "留观", "destination": "西藏自治区拉萨市"}
        ]
    })
}

async fn post_with_key(
    t: &TestApp,
    path: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> common::Resp {
    t.send(common::keyed_post(path, token, Some(key), body))
        .await
}

async fn a_passage_is_written_whole_once(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "golmud_operator").await;
    let south = t.checkpoint("格尔木南出口").await;
    let path = format!("/api/v1/checkpoints/{south}/passages");
    let (p0, t0, a0) = written(&t).await;
    let body = two_travellers();
    let r = post_with_key(&t, &path, &tok, "phone-7f3a-0001", &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let v = r.json();
    assert_eq!(v["plate"], "青H·12345");
    assert_eq!(v["vehicle_class_name"], "小客车");
    assert_eq!(v["persons"], 2);
    assert_eq!(v["fevers"], 1);
    assert_eq!(v["travel_history"], "西宁市城中区；共和县");
    let tr = v["travellers"].as_array().expect("travellers");
    assert_eq!(tr.len(), 2);
    assert_eq!(tr[0]["is_driver"], true);
    assert_eq!(tr[0]["fever"], false);
    assert_eq!(tr[1]["fever"], true, "37.3 is a fever");
    assert_eq!(tr[1]["temperature"], 37.3);
    assert_eq!(tr[1]["outcome"], "observation");
    assert_eq!(tr[0]["destination_code"], "632801100");
    assert_eq!(tr[0]["destination_text"], "郭勒木德镇");
    assert_eq!(tr[1]["destination_code"], Value::Null);
    assert_eq!(tr[1]["destination_text"], "西藏自治区拉萨市");
    assert_eq!(tr[1]["handover_id"], Value::Null);
    // Masked in the answer already.
    assert!(!r.text.contains("13897001234") && !r.text.contains("6328011980010100"));
    assert_eq!(written(&t).await, (p0 + 1, t0 + 2, a0 + 1));
    let id = v["id"].as_i64().expect("id");

    // The retry after a lost answer: same passage, nothing more written.
    let again = post_with_key(&t, &path, &tok, "phone-7f3a-0001", &body).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.json()["id"].as_i64(), Some(id));
    assert_eq!(written(&t).await, (p0 + 1, t0 + 2, a0 + 1));
    // The first answer (made from what was written) is the passage as stored.
    assert_eq!(again.json(), v);
    assert_eq!(
        t.get(&format!("/api/v1/passages/{id}"), &tok).await.json(),
        v
    );
    // The key in the body works the same way.
    let mut keyed = two_travellers();
    keyed["idempotency_key"] = json!("phone-7f3a-0002");
    let first = t.post(&path, &tok, keyed.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let second = t.post(&path, &tok, keyed).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(first.json()["id"], second.json()["id"]);
    assert_eq!(written(&t).await, (p0 + 2, t0 + 4, a0 + 2));

    // The day's counts follow.
    let day = v["pass_date"].as_str().expect("date").to_string();
    let c = t
        .get(&format!("/api/v1/checkpoints/{south}?date={day}"), &tok)
        .await
        .json();
    let sql = |col: &str| {
        format!("SELECT COALESCE(SUM({col}), 0) FROM passages WHERE checkpoint_id = {south} AND pass_date = '{day}'")
    };
    assert_eq!(
        c["counts"]["persons"].as_i64(),
        Some(t.count(&sql("persons")).await)
    );
    assert_eq!(
        c["counts"]["fevers"].as_i64(),
        Some(t.count(&sql("fevers")).await)
    );
    assert_eq!(
        c["counts"]["observed"].as_i64(),
        Some(t.count(&sql("observed")).await)
    );
    assert!(c["counts"]["fevers"].as_i64() >= Some(2));
}

/// A change to a good passage that makes it bad.
type Change = Box<dyn Fn(&mut Value)>;

async fn bad_input_writes_nothing(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "golmud_operator").await;
    let south = t.checkpoint("格尔木南出口").await;
    let path = format!("/api/v1/checkpoints/{south}/passages");
    let before = written(&t).await;
    let cases: Vec<(&str, Change, &str)> = vec![
        (
            "plate",
            Box::new(|b| b["plate"] = json!("青H1234")),
            "车牌号",
        ),
        (
            "vehicle_class",
            Box::new(|b| b["vehicle_class"] = json!("tank")),
            "车辆类型",
        ),
        (
            "travellers[1].id_number",
            Box::new(|b| b["travellers"][1]["id_number"] = json!("632802199002150021")),
            "第 2 位",
        ),
        (
            "travellers[0].temperature",
            Box::new(|b| b["travellers"][0]["temperature"] = json!(34.2)),
            "体温",
        ),
        (
            "travellers[1].temperature",
            Box::new(|b| b["travellers"][1]["temperature"] = json!("高")),
            "第 2 位",
        ),
        (
            "travellers[1].outcome",
            Box::new(|b| b["travellers"][1]["outcome"] = json!("扣留")),
            "处置结果",
        ),
        (
            "travellers[0].phone",
            Box::new(|b| b["travellers"][0]["phone"] = json!("abc")),
            "电话",
        ),
        (
            "destination",
            Box::new(|b| b["destination"] = json!("999999")),
            "目的地",
        ),
        (
            "travellers",
            Box::new(|b| b["travellers"] = json!([])),
            "至少",
        ),
    ];
    for (field, change, words) in cases {
        let mut body = two_travellers();
        change(&mut body);
        let r = t.post(&path, &tok, body).await;
        assert!(
            r.status.is_client_error(),
            "{field}: {} {}",
            r.status,
            r.text
        );
        let v = r.json();
        let msg = v["error"]["fields"][field].as_str().unwrap_or_default();
        assert!(msg.contains(words), "{field}: {}", r.text);
    }
    assert_eq!(written(&t).await, before);
}

async fn lists_are_masked_and_unmasking_is_audited(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let worker = t.token("checkpoint_worker").await;
    let south = t.checkpoint("格尔木南出口").await;
    let body = two_travellers();
    let id = t
        .created(
            &format!("/api/v1/checkpoints/{south}/passages"),
            &worker,
            body.clone(),
        )
        .await;
    let full = body["travellers"][0]["id_number"]
        .as_str()
        .expect("id")
        .to_string();
    let list = t
        .get_ok(&format!("/api/v1/checkpoints/{south}/passages"), &op)
        .await;
    assert!(list.text.contains("马海军"));
    assert!(!list.text.contains(&full) && !list.text.contains("13897001234"));
    assert!(list.text.contains("138****1234"));
    let one = t.get(&format!("/api/v1/passages/{id}"), &op).await;
    assert!(!one.text.contains(&full));

    let unmask = format!("/api/v1/passages/{id}/travellers/1/unmask");
    let before = t.audit_count("personal.unmask").await;
    // The checkpoint worker registers but does not unmask.
    let r = t.post(&unmask, &worker, json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = t.post(&unmask, &op, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["id_number"], full.as_str());
    assert_eq!(r.json()["phone"], "13897001234");
    assert_eq!(t.audit_count("personal.unmask").await, before + 1);
    let r = t
        .post(
            &format!("/api/v1/passages/{id}/travellers/9/unmask"),
            &op,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(t.audit_count("personal.unmask").await, before + 1);
}

async fn the_checkpoint_worker_keeps_to_its_checkpoint(engine: Engine) {
    let (t, worker) = TestApp::as_user(engine, "checkpoint_worker").await;
    let south = t.checkpoint("格尔木南出口").await;
    let east = t.checkpoint("格尔木东出口").await;
    // Its list: its own checkpoint only, though its account is bound to 格尔木.
    let list = t.get("/api/v1/checkpoints", &worker).await.json();
    let ids = common::each_i64(&list, "id");
    assert_eq!(ids, vec![south]);
    t.each_answers(
        &[
            format!("/api/v1/checkpoints/{east}"),
            format!("/api/v1/checkpoints/{east}/passages"),
            format!("/api/v1/checkpoints/{east}/shifts"),
        ],
        &worker,
        StatusCode::NOT_FOUND,
    )
    .await;
    let east_passage = t
        .count(&format!(
            "SELECT MIN(id) FROM passages WHERE checkpoint_id = {east}"
        ))
        .await;
    assert_eq!(
        t.get(&format!("/api/v1/passages/{east_passage}"), &worker)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let before = written(&t).await;
    let r = t.register_passage(east, &worker, two_travellers()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(written(&t).await, before);
    // Its counts: its checkpoint's only.
    let c = t
        .get(
            "/api/v1/checkpoints/counts?from=2020-01-25&to=2020-03-13",
            &worker,
        )
        .await
        .json();
    let days = c["by_day"].as_array().expect("by_day");
    assert!(!days.is_empty());
    assert!(days
        .iter()
        .all(|d| d["checkpoint_id"].as_i64() == Some(south)));
    assert_eq!(
        c["total"]["persons"].as_i64(),
        Some(
            t.count(&format!("SELECT SUM(persons) FROM passages WHERE checkpoint_id = {south} AND pass_date <= '2020-03-13'"))
                .await
        )
    );
    // Its own: registered and readable.
    let r = t.register_passage(south, &worker, two_travellers()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let shifts = t
        .get_ok(
            &format!("/api/v1/checkpoints/{south}/shifts?from=2020-03-01"),
            &worker,
        )
        .await;
    assert!(shifts.json()[0]["on_duty"]
        .as_array()
        .is_some_and(|a| !a.is_empty()));
}

async fn golmud_and_delingha_keep_apart(engine: Engine) {
    let (t, gm) = TestApp::as_user(engine, "golmud_operator").await;
    let dl = t.checkpoint("德令哈东出口").await;
    t.each_answers(
        &[
            format!("/api/v1/checkpoints/{dl}"),
            format!("/api/v1/checkpoints/{dl}/passages"),
        ],
        &gm,
        StatusCode::NOT_FOUND,
    )
    .await;
    let r = t.register_passage(dl, &gm, two_travellers()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let list = t.get("/api/v1/checkpoints", &gm).await.json();
    let list = list.as_array().expect("list");
    assert!(!list.is_empty());
    assert!(list.iter().all(|c| c["jurisdiction_code"]
        .as_str()
        .is_some_and(|j| j.starts_with("632801"))));
    assert!(!list.iter().any(|c| c["name"] == "德令哈东出口"));
    let c = t
        .get(
            "/api/v1/checkpoints/counts?from=2020-01-25&to=2020-03-13",
            &gm,
        )
        .await
        .json();
    let counties = common::each_str(&c["by_county"], "county_code");
    assert_eq!(counties, vec!["632801"]);
    // The prefecture sees every county, and the figures add up to the tables'.
    let leader = t.token("haixi_leader").await;
    let c = t
        .get(
            "/api/v1/checkpoints/counts?from=2020-01-25&to=2020-03-13",
            &leader,
        )
        .await
        .json();
    let rows = c["by_county"].as_array().expect("by_county");
    assert!(rows.len() >= 6, "{c}");
    for col in ["persons", "fevers", "turned_back", "quarantined"] {
        let sum: i64 = rows.iter().filter_map(|r| r[col].as_i64()).sum();
        let sql = format!(
            "SELECT COALESCE(SUM({col}), 0) FROM passages WHERE pass_date >= '2020-01-25' AND pass_date <= '2020-03-13'"
        );
        assert_eq!(sum, t.count(&sql).await, "{col}");
        assert_eq!(c["total"][col].as_i64(), Some(sum));
    }
    let travellers = t.count("SELECT COUNT(*) FROM passage_travellers").await;
    assert!(travellers <= 20_000, "demo volume kept small: {travellers}");
    let r = t
        .get(
            "/api/v1/checkpoints/counts?from=2020-03-13&to=2020-01-25",
            &leader,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn the_passage_form_on_a_phone(engine: Engine) {
    let t = TestApp::new(engine).await;
    let south = t.checkpoint("格尔木南出口").await;
    let mut b = t.browser("checkpoint_worker").await;
    let list = b.page("/checkpoints?from=2020-03-01&to=2020-03-13").await;
    assert!(list.text.contains("格尔木南出口") && !list.text.contains("格尔木东出口"));
    let form = b.page(&format!("/checkpoints/{south}/passage")).await;
    assert!(
        form.text
            .contains(&dualtrack_web::assets::url("passage.js"))
            && form.text.contains("outcome_1")
    );
    let key = form
        .text
        .split("name=\"idempotency_key\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("key")
        .to_string();
    let driver = id_number("63280119800101001");
    let passenger = id_number("63280219900215002");
    let fields = [
        ("idempotency_key", key.as_str()),
        ("plate", "青h 12345"),
        ("vehicle_class", "truck"),
        ("origin", "甘肃省敦煌市"),
        ("travel_history", "敦煌；柳园"),
        ("destination", "632801100"),
        ("reason", "运输物资"),
        ("name", "马海军"),
        ("id_number", driver.as_str()),
        ("phone", "13897001234"),
        ("temperature", "36.6"),
        ("outcome_0", "through"),
        ("name", "才让卓玛"),
        ("id_number", passenger.as_str()),
        ("phone", ""),
        ("temperature", "38.1"),
        ("outcome_1", "quarantine"),
        // A third line of the form left empty.
        ("name", ""),
        ("id_number", ""),
        ("phone", ""),
        ("temperature", ""),
        ("outcome_2", "through"),
    ];
    let before = written(&t).await;
    b.submit(&format!("/checkpoints/{south}/passage"), &fields)
        .await;
    assert_eq!(
        written(&t).await,
        (before.0 + 1, before.1 + 2, before.2 + 1)
    );
    // A double tap: the same form again writes nothing.
    let r = b
        .submit(&format!("/checkpoints/{south}/passage"), &fields)
        .await;
    assert_eq!(
        written(&t).await,
        (before.0 + 1, before.1 + 2, before.2 + 1)
    );
    let done = b.get(&r.location()).await;
    assert!(
        done.text.contains("已登记：青H·12345，2 人，发热 1 人"),
        "{}",
        done.text
    );
    let page = b.get(&format!("/checkpoints/{south}")).await;
    assert!(page.text.contains("才让卓玛") && page.text.contains("发热"));
    assert!(!page.text.contains(&passenger) && !page.text.contains("13897001234"));
    // A bad temperature comes back on the form, naming the traveller, nothing written.
    let mut bad = fields.to_vec();
    bad[0] = ("idempotency_key", "another-filling");
    bad[15] = ("temperature", "45");
    let r = b
        .post(&format!("/checkpoints/{south}/passage"), &bad, true)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.text.contains("第 2 位") && r.text.contains("才让卓玛"),
        "{}",
        r.text
    );
    assert_eq!(
        written(&t).await,
        (before.0 + 1, before.1 + 2, before.2 + 1)
    );
}

/// Registrations sent at the same time, each with a key of its own, are each written once
/// with their travellers and their audit row (what `dualtrack bench passages` times).
async fn concurrent_registrations_are_each_written_once(engine: Engine) {
    let t = std::sync::Arc::new(TestApp::new(engine).await);
    let tok = t.token("golmud_operator").await;
    let south = t.checkpoint("格尔木南出口").await;
    let path = format!("/api/v1/checkpoints/{south}/passages");
    let (p0, t0, a0) = written(&t).await;
    let mut clients = Vec::new();
    for k in 0..4 {
        let (t, tok, path) = (t.clone(), tok.clone(), path.clone());
        clients.push(tokio::spawn(async move {
            for j in 0..5 {
                let r = post_with_key(
                    &t,
                    &path,
                    &tok,
                    &format!("bench-{k}-{j}"),
                    &two_travellers(),
                )
                .await;
                assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            }
        }));
    }
    for c in clients {
        c.await.expect("client");
    }
    assert_eq!(written(&t).await, (p0 + 20, t0 + 40, a0 + 20));
}

on_both_engines!(
    the_passage_form_on_a_phone,
    a_passage_is_written_whole_once,
    concurrent_registrations_are_each_written_once,
    bad_input_writes_nothing,
    lists_are_masked_and_unmasking_is_audited,
    the_checkpoint_worker_keeps_to_its_checkpoint,
    golmud_and_delingha_keep_apart,
);
