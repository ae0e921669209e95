//! Supplies through the API on both engines: the catalogue kept by the administrator,
//! stock that moves only as movements with balances computed as of any day (the rollup
//! checked against the movements), refusals that name the field and write nothing, retries
//! recognised by their idempotency key, the last boxes issued by one clerk only when two
//! try at once, and needs, requests, allocations, arrivals, shortfalls, low-stock warnings
//! and spring-farming progress.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use dualtrack_domain::jurisdiction::{Code, Scope};
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::{json, Value};

struct Kit {
    /// 医用外科口罩: counted in 个, boxes of 50.
    mask: i64,
    /// 尿素: counted in 公斤, bags of 50.
    urea: i64,
    /// 格尔木 county store, a township station of 格尔木 and a 德令哈 store.
    county: i64,
    station: i64,
    delingha: i64,
}

async fn item(t: &TestApp, body: Value) -> i64 {
    let admin = t.token("sysadmin").await;
    let r = t.post("/api/v1/supplies/items", &admin, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json()["id"].as_i64().expect("item id")
}

async fn new_store(t: &TestApp, user: &str, body: Value) -> i64 {
    let tok = t.token(user).await;
    let r = t.post("/api/v1/supplies/stores", &tok, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json()["id"].as_i64().expect("store id")
}

async fn kit(t: &TestApp) -> Kit {
    let mask = item(
        t,
        json!({"name": "测试医用外科口罩", "kind": "口罩", "spec": "医用外科", "unit": "个", "pack_unit": "箱", "pack_size": 50}),
    )
    .await;
    let urea = item(
        t,
        json!({"name": "测试尿素", "kind": "fertiliser", "spec": "含氮 46%", "unit": "公斤", "pack_unit": "袋", "pack_size": 50}),
    )
    .await;
    let county = new_store(
        t,
        "golmud_operator",
        json!({"name": "测试县仓", "kind": "county", "jurisdiction_code": "632801", "keeper": "王保管"}),
    )
    .await;
    let station = new_store(
        t,
        "golmud_operator",
        json!({"name": "测试郭勒木德站", "kind": "乡镇站点", "jurisdiction_code": "632801100"}),
    )
    .await;
    let delingha = new_store(
        t,
        "delingha_operator",
        json!({"name": "测试德令哈仓", "kind": "county", "jurisdiction_code": "632802"}),
    )
    .await;
    Kit {
        mask,
        urea,
        county,
        station,
        delingha,
    }
}

async fn mv(t: &TestApp, user: &str, store: i64, body: Value) -> common::Resp {
    let tok = t.token(user).await;
    t.post(
        &format!("/api/v1/supplies/stores/{store}/movements"),
        &tok,
        body,
    )
    .await
}

async fn balance(t: &TestApp, user: &str, store: i64, item: i64, as_of: &str) -> i64 {
    let tok = t.token(user).await;
    let r = t
        .get(
            &format!("/api/v1/supplies/balances?as_of={as_of}&store_id={store}&item_id={item}"),
            &tok,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()["lines"]
        .as_array()
        .and_then(|l| l.first())
        .and_then(|l| l["balance"].as_i64())
        .unwrap_or(0)
}

/// The rollup agrees with the sum over the movements, for the whole tree, every day given.
async fn rollup_agrees(t: &TestApp, days: &[&str]) {
    for d in days {
        let day = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("date");
        let a = dualtrack_store::supplies::balances_as_of(&t.db.db, &Scope::All, day, None)
            .await
            .expect("rollup");
        let b = dualtrack_store::supplies::balances_from_movements(&t.db.db, &Scope::All, day)
            .await
            .expect("movements");
        assert_eq!(a, b, "balances as of {d}");
    }
}

fn field(r: &common::Resp) -> Vec<String> {
    r.json()["error"]["fields"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

async fn the_catalogue_is_kept_by_the_administrator(engine: Engine) {
    let t = TestApp::new(engine).await;
    let before = t.audit_count("supply_item.create").await;
    let id = item(
        &t,
        json!({"name": "测试枸杞苗", "kind": "种子", "crop": "枸杞", "unit": "株"}),
    )
    .await;
    assert_eq!(t.audit_count("supply_item.create").await, before + 1);
    let op = t.token("golmud_operator").await;
    let list = t.get("/api/v1/supplies/items", &op).await;
    assert_eq!(list.status, StatusCode::OK);
    let found = list.json().as_array().expect("list").iter().any(|i| {
        i["id"] == id && i["category"] == "farm" && i["crop_name"] == "枸杞" && i["unit"] == "株"
    });
    assert!(found, "{}", list.text);
    // An operator may not extend the catalogue; names are unique; a pack needs its size.
    let r = t
        .post(
            "/api/v1/supplies/items",
            &op,
            json!({"name": "x", "kind": "mask", "unit": "个"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let admin = t.token("sysadmin").await;
    let r = t
        .post(
            "/api/v1/supplies/items",
            &admin,
            json!({"name": "测试枸杞苗", "kind": "seed", "unit": "株"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(field(&r), ["name"]);
    for (body, f) in [
        (
            json!({"name": "a", "kind": "mask", "unit": "个", "pack_unit": "箱"}),
            "pack_size",
        ),
        (json!({"name": "b", "kind": "火箭", "unit": "个"}), "kind"),
        (
            json!({"name": "c", "kind": "mask", "unit": "个", "crop": "枸杞"}),
            "crop",
        ),
        (json!({"name": "d", "kind": "mask", "unit": ""}), "unit"),
    ] {
        let r = t.post("/api/v1/supplies/items", &admin, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(field(&r), [f], "{}", r.text);
    }
    assert_eq!(t.audit_count("supply_item.create").await, before + 1);
}

async fn stock_moves_only_as_movements(engine: Engine) {
    let t = TestApp::new(engine).await;
    let k = kit(&t).await;
    let op = "golmud_operator";
    // 20 boxes in on 02-01 (1000 masks), 300 out on 02-03, 200 transferred to the station
    // on 02-05, then a backdated issue of 600 on 02-02 would leave 02-05 short: refused.
    let r = mv(
        &t,
        op,
        k.county,
        json!({"kind": "receipt", "item_id": k.mask, "quantity": 20, "unit": "箱",
        "moved_on": "2020-02-01", "counterparty": "省卫健委调拨"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["balance"], 1000);
    assert_eq!(r.json()["movement"]["quantity"], 1000);
    assert_eq!(r.json()["movement"]["entered"], "20 箱");
    let r = mv(
        &t,
        op,
        k.county,
        json!({"kind": "issue", "item_id": k.mask, "quantity": 300,
        "moved_on": "2020-02-03", "counterparty": "格尔木南出口卡口"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = mv(
        &t,
        op,
        k.county,
        json!({"kind": "transfer", "item_id": k.mask, "quantity": 4, "unit": "箱",
        "to_store_id": k.station, "moved_on": "2020-02-05"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["balance"], 500);
    let r = mv(
        &t,
        op,
        k.county,
        json!({"kind": "issue", "item_id": k.mask, "quantity": 600,
        "moved_on": "2020-02-02", "counterparty": "补登"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(field(&r), ["quantity"]);
    // 500 would fit on 02-02 (700 left then) and after (500 on 02-05 → 0): allowed.
    let r = mv(
        &t,
        op,
        k.county,
        json!({"kind": "issue", "item_id": k.mask, "quantity": 500,
        "moved_on": "2020-02-02", "counterparty": "补登"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    for (day, county, station) in [
        ("2020-01-31", 0, 0),
        ("2020-02-01", 1000, 0),
        ("2020-02-02", 500, 0),
        ("2020-02-03", 200, 0),
        ("2020-02-04", 200, 0),
        ("2020-02-05", 0, 200),
        ("2020-03-01", 0, 200),
    ] {
        assert_eq!(
            balance(&t, op, k.county, k.mask, day).await,
            county,
            "county {day}"
        );
        assert_eq!(
            balance(&t, op, k.station, k.mask, day).await,
            station,
            "station {day}"
        );
    }
    // An adjustment needs a reason; with one it moves the balance like any movement.
    let r = mv(
        &t,
        op,
        k.station,
        json!({"kind": "adjust_out", "item_id": k.mask, "quantity": 10}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&r), ["reason"]);
    let r = mv(
        &t,
        op,
        k.station,
        json!({"kind": "盘亏调整", "item_id": k.mask, "quantity": 10,
        "moved_on": "2020-02-20", "reason": "盘点破损"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(balance(&t, op, k.station, k.mask, "2020-02-20").await, 190);
    rollup_agrees(
        &t,
        &[
            "2020-01-31",
            "2020-02-01",
            "2020-02-02",
            "2020-02-03",
            "2020-02-05",
            "2020-02-19",
            "2020-02-20",
            "2099-12-31",
        ],
    )
    .await;
    // The store page and the movement list; 德令哈 sees none of it.
    let tok = t.token(op).await;
    let r = t
        .get(
            &format!("/api/v1/supplies/stores/{}?as_of=2020-02-03", k.county),
            &tok,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["balances"][0]["balance"], 200);
    let r = t
        .get(
            &format!("/api/v1/supplies/stores/{}/movements", k.county),
            &tok,
        )
        .await;
    assert_eq!(r.json().as_array().map(|a| a.len()), Some(4));
    let dl = t.token("delingha_operator").await;
    let r = t
        .get(&format!("/api/v1/supplies/stores/{}", k.county), &dl)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let all = t
        .get("/api/v1/supplies/balances?as_of=2020-03-01", &dl)
        .await
        .json();
    assert!(
        all["lines"].as_array().is_some_and(|l| l.is_empty()),
        "{all}"
    );
    assert_eq!(t.audit_count("stock.move").await, 5);
}

async fn bad_input_is_refused_naming_the_field(engine: Engine) {
    let t = TestApp::new(engine).await;
    let k = kit(&t).await;
    let op = "golmud_operator";
    let r = mv(
        &t,
        op,
        k.county,
        json!({"kind": "receipt", "item_id": k.urea, "quantity": 10, "unit": "袋",
        "moved_on": "2020-02-10"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let movements = t.count("SELECT COUNT(*) FROM stock_movements").await;
    let audits = t.audit_count("stock.move").await;
    let denied = t.audit_count("auth.denied").await;
    let cases: Vec<(Value, StatusCode, &str, &str)> = vec![
        // More than the balance.
        (
            json!({"kind": "issue", "item_id": k.urea, "quantity": 11, "unit": "袋", "counterparty": "农户"}),
            StatusCode::CONFLICT,
            "quantity",
            "库存不足",
        ),
        // A unit the item is not counted in.
        (
            json!({"kind": "issue", "item_id": k.urea, "quantity": 1, "unit": "吨", "counterparty": "农户"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unit",
            "单位不符",
        ),
        // A transfer to a store outside the scope.
        (
            json!({"kind": "transfer", "item_id": k.urea, "quantity": 50, "to_store_id": k.delingha}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "to_store_id",
            "管辖范围",
        ),
        (
            json!({"kind": "issue", "item_id": 999999, "quantity": 1, "counterparty": "农户"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "item_id",
            "不存在",
        ),
        (
            json!({"kind": "issue", "item_id": k.urea, "quantity": 0, "counterparty": "农户"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "quantity",
            "数量",
        ),
        (
            json!({"kind": "issue", "item_id": k.urea, "quantity": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "counterparty",
            "领用",
        ),
        (
            json!({"kind": "receipt", "item_id": k.urea, "quantity": 1, "moved_on": "2999-01-01"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "moved_on",
            "晚于今天",
        ),
        (
            json!({"kind": "dispatch", "item_id": k.urea, "quantity": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "kind",
            "类型",
        ),
    ];
    for (body, status, f, words) in cases {
        let r = mv(&t, op, k.county, body.clone()).await;
        assert_eq!(r.status, status, "{body}: {}", r.text);
        assert_eq!(field(&r), [f], "{body}: {}", r.text);
        let msg = r.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .to_string();
        assert!(msg.contains(words), "{body}: {msg}");
    }
    // Nothing written; the attempt on 德令哈's store is in the audit log.
    assert_eq!(
        t.count("SELECT COUNT(*) FROM stock_movements").await,
        movements
    );
    assert_eq!(t.audit_count("stock.move").await, audits);
    assert_eq!(t.audit_count("auth.denied").await, denied + 1);
    assert_eq!(balance(&t, op, k.county, k.urea, "2020-03-01").await, 500);
    // A grid worker moves stock in its grid only; a leader reads but does not move.
    let gw_store = new_store(
        &t,
        "golmud_operator",
        json!({"name": "博爱巷网格物资点", "kind": "grid", "jurisdiction_code": "632801001001001"}),
    )
    .await;
    let r = mv(
        &t,
        "grid_worker",
        gw_store,
        json!({"kind": "receipt", "item_id": k.mask, "quantity": 100}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = mv(
        &t,
        "grid_worker",
        k.county,
        json!({"kind": "receipt", "item_id": k.mask, "quantity": 100}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = mv(
        &t,
        "golmud_leader",
        k.county,
        json!({"kind": "receipt", "item_id": k.mask, "quantity": 100}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
}

async fn a_retry_with_the_same_key_is_recognised(engine: Engine) {
    let t = TestApp::new(engine).await;
    let k = kit(&t).await;
    let tok = t.token("golmud_operator").await;
    let path = format!("/api/v1/supplies/stores/{}/movements", k.county);
    let body = json!({"kind": "receipt", "item_id": k.mask, "quantity": 3, "unit": "箱", "moved_on": "2020-02-01",
        "idempotency_key": "phone-7f3a-0001"});
    let first = t.post(&path, &tok, body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let again = t.post(&path, &tok, body.clone()).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(
        again.json()["movement"]["id"],
        first.json()["movement"]["id"]
    );
    assert_eq!(again.json()["created"], false);
    // The header works as well, and three at once still write one.
    let req = |key: &'static str| {
        axum::http::Request::builder()
            .method("POST")
            .uri(&path)
            .header("authorization", format!("Bearer {tok}"))
            .header("content-type", "application/json")
            .header("idempotency-key", key)
            .body(axum::body::Body::from(
                json!({"kind": "receipt", "item_id": k.mask, "quantity": 1, "moved_on": "2020-02-01"})
                    .to_string(),
            ))
            .expect("request")
    };
    let (a, b, c) = tokio::join!(
        t.send(req("phone-7f3a-0002")),
        t.send(req("phone-7f3a-0002")),
        t.send(req("phone-7f3a-0002"))
    );
    let mut statuses = [a.status, b.status, c.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::OK, StatusCode::CREATED],
        "{} {} {}",
        a.text,
        b.text,
        c.text
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM stock_movements").await, 2);
    assert_eq!(t.audit_count("stock.move").await, 2);
    assert_eq!(
        balance(&t, "golmud_operator", k.county, k.mask, "2020-02-01").await,
        151
    );
    // The same key from another account is another movement.
    let other = t.add_user("gm_clerk", "operator", "632801").await;
    assert!(other > 0);
    let r = mv(&t, "gm_clerk", k.county, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

async fn two_clerks_cannot_both_issue_the_last_boxes(engine: Engine) {
    let t = TestApp::new(engine).await;
    let k = kit(&t).await;
    t.add_user("gm_clerk", "operator", "632801").await;
    let r = mv(
        &t,
        "golmud_operator",
        k.county,
        json!({"kind": "receipt", "item_id": k.mask, "quantity": 2, "unit": "箱",
        "moved_on": "2020-02-01"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let a = t.token("golmud_operator").await;
    let b = t.token("gm_clerk").await;
    let path = format!("/api/v1/supplies/stores/{}/movements", k.county);
    let issue = |who: &str| json!({"kind": "issue", "item_id": k.mask, "quantity": 2, "unit": "箱", "counterparty": who, "moved_on": "2020-02-02"});
    for round in 0..3 {
        let (r1, r2, r3, r4) = tokio::join!(
            t.post(&path, &a, issue("卡口甲")),
            t.post(&path, &b, issue("卡口乙")),
            t.post(&path, &a, issue("卡口丙")),
            t.post(&path, &b, issue("卡口丁")),
        );
        let all = [&r1, &r2, &r3, &r4];
        let won = all
            .iter()
            .filter(|r| r.status == StatusCode::CREATED)
            .count();
        let refused = all
            .iter()
            .filter(|r| r.status == StatusCode::CONFLICT && field(r) == ["quantity"])
            .count();
        let texts: Vec<&str> = all.iter().map(|r| r.text.as_str()).collect();
        assert_eq!((won, refused), (1, 3), "round {round}: {texts:?}");
        assert_eq!(
            balance(&t, "golmud_operator", k.county, k.mask, "2020-03-01").await,
            0
        );
        // Refill for the next round.
        let r = mv(
            &t,
            "golmud_operator",
            k.county,
            json!({"kind": "receipt", "item_id": k.mask, "quantity": 2,
            "unit": "箱", "moved_on": "2020-02-01"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    assert_eq!(
        t.count("SELECT COUNT(*) FROM stock_movements WHERE kind = 'issue'")
            .await,
        3
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM stock_balances WHERE balance < 0")
            .await,
        0
    );
    rollup_agrees(&t, &["2020-02-01", "2020-02-02", "2020-03-01"]).await;
}

on_both_engines!(
    the_catalogue_is_kept_by_the_administrator,
    stock_moves_only_as_movements,
    bad_input_is_refused_naming_the_field,
    a_retry_with_the_same_key_is_recognised,
    two_clerks_cannot_both_issue_the_last_boxes,
);

#[allow(dead_code)]
fn code(s: &str) -> Code {
    Code::parse(s).expect("code")
}
