//! Supplies through the API on both engines: the catalogue kept by the administrator,
//! stock that moves only as movements with balances computed as of any day (the rollup
//! checked against the movements), refusals that name the field and write nothing, retries
//! recognised by their idempotency key, the last boxes issued by one clerk only when two
//! try at once, and needs, requests, allocations, arrivals, shortfalls, low-stock warnings
//! and spring-farming progress.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use dualtrack_domain::jurisdiction::{Code, Scope};
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::{json, Value};

pub(crate) struct Kit {
    /// 医用外科口罩: counted in 个, boxes of 50.
    pub mask: i64,
    /// 尿素: counted in 公斤, bags of 50.
    urea: i64,
    /// 格尔木 county store, a township station of 格尔木 and a 德令哈 store.
    county: i64,
    pub station: i64,
    delingha: i64,
}

async fn item(t: &TestApp, body: Value) -> i64 {
    let admin = t.token("sysadmin").await;
    t.created("/api/v1/supplies/items", &admin, body).await
}

async fn new_store(t: &TestApp, user: &str, body: Value) -> i64 {
    let tok = t.token(user).await;
    t.created("/api/v1/supplies/stores", &tok, body).await
}

pub(crate) async fn kit(t: &TestApp) -> Kit {
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
        json!({"name": "测试唐古拉站", "kind": "乡镇站点", "jurisdiction_code": "632801101"}),
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

pub(crate) async fn mv(t: &TestApp, user: &str, store: i64, body: Value) -> common::Resp {
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
        .get_ok(
            &format!("/api/v1/supplies/balances?as_of={as_of}&store_id={store}&item_id={item}"),
            &tok,
        )
        .await;
    r.json()["lines"]
        .as_array()
        .and_then(|l| l.first())
        .and_then(|l| l["balance"].as_i64())
        .unwrap_or(0)
}

/// The rollup agrees with the sum over the movements, for the whole tree, every day given.
async fn rollup_agrees(t: &TestApp, days: &[&str]) {
    let mut used = 0;
    for d in days {
        let day = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("date");
        let a = dualtrack_store::supplies::balances_as_of(&t.db.db, &Scope::All, day, None)
            .await
            .expect("rollup");
        let b = dualtrack_store::supplies::balances_from_movements(&t.db.db, &Scope::All, day)
            .await
            .expect("movements");
        assert_eq!(a, b, "balances as of {d}");
        // The use of the fortnight to the day, and of the day alone, from the cumulated use.
        for back in [14, 1] {
            let from = day - chrono::Duration::days(back);
            let a = dualtrack_store::supplies::use_between(&t.db.db, &Scope::All, from, day)
                .await
                .expect("cumulated use");
            let b = dualtrack_store::supplies::use_from_movements(&t.db.db, &Scope::All, from, day)
                .await
                .expect("use from movements");
            assert_eq!(a, b, "use over the {back} days to {d}");
            used += a.len();
        }
    }
    assert!(used > 0, "some stock was taken out over {days:?}");
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
    let list = t.get_ok("/api/v1/supplies/items", &op).await;
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
    assert_eq!(r.error_fields(), ["name"]);
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
        assert_eq!(r.error_fields(), [f], "{}", r.text);
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
    assert_eq!(r.error_fields(), ["quantity"]);
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
    assert_eq!(r.error_fields(), ["reason"]);
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
        .get_ok(
            &format!("/api/v1/supplies/stores/{}?as_of=2020-02-03", k.county),
            &tok,
        )
        .await;
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
    let theirs = all["lines"].as_array().map(|l| {
        l.iter()
            .filter(|x| x["store_id"] == k.county || x["store_id"] == k.station)
            .count()
    });
    assert_eq!(theirs, Some(0), "{all}");
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
            StatusCode::NOT_FOUND,
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
        assert_eq!(r.error_fields(), [f], "{body}: {}", r.text);
        let msg = r.error_message();
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
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM stock_movements WHERE to_store_id = {}",
            k.county
        ))
        .await,
        2
    );
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
            .filter(|r| r.status == StatusCode::CONFLICT && r.error_fields() == ["quantity"])
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
        t.count(&format!(
            "SELECT COUNT(*) FROM stock_movements WHERE kind = 'issue' AND from_store_id = {}",
            k.county
        ))
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

async fn needs_requests_allocations_and_arrivals(engine: Engine) {
    let t = TestApp::new(engine).await;
    let k = kit(&t).await;
    let op = t.token("golmud_operator").await;
    // The county store holds 40 bags of urea; the station of 郭勒木德镇 needs 30 bags for
    // its wolfberry and declares a checkpoint-style daily need of masks too.
    let r = mv(
        &t,
        "golmud_operator",
        k.county,
        json!({"kind": "receipt", "item_id": k.urea, "quantity": 40, "unit": "袋",
        "moved_on": "2020-02-10", "counterparty": "察尔汗钾肥厂"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = t
        .post("/api/v1/supplies/needs", &op, json!({"jurisdiction_code": "632801101", "item_id": k.urea, "basis": "total",
            "quantity": 30, "unit": "袋", "crop": "枸杞", "area_mu": 3000, "from_on": "2020-02-01", "until_on": "2020-04-30"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["quantity"], 1500);
    let r = t
        .post(
            "/api/v1/supplies/needs",
            &op,
            json!({"jurisdiction_code": "632801101", "store_id": k.station, "item_id": k.mask,
            "basis": "daily", "quantity": 60, "from_on": "2020-02-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // A crop on a mask need, or a store outside the place, is refused naming the field.
    let r = t
        .post(
            "/api/v1/supplies/needs",
            &op,
            json!({"jurisdiction_code": "632801101", "item_id": k.mask, "basis": "daily",
            "quantity": 1, "crop": "青稞", "from_on": "2020-02-01"}),
        )
        .await;
    assert_eq!(r.error_fields(), ["crop"], "{}", r.text);
    let r = t
        .post(
            "/api/v1/supplies/needs",
            &op,
            json!({"jurisdiction_code": "632801101", "store_id": k.county, "item_id": k.mask,
            "basis": "daily", "quantity": 1, "from_on": "2020-02-01"}),
        )
        .await;
    assert_eq!(r.error_fields(), ["store_id"], "{}", r.text);
    // Shortfalls as of 02-11: urea 1500 needed, none there; masks 60 × 7 = 420 needed.
    let sf = t
        .get_ok("/api/v1/supplies/shortfalls?as_of=2020-02-11", &op)
        .await;
    let line = |v: &Value, item: i64| -> Value {
        v["lines"]
            .as_array()
            .and_then(|l| l.iter().find(|x| x["item_id"] == item).cloned())
            .unwrap_or(Value::Null)
    };
    let u = line(&sf.json(), k.urea);
    assert_eq!(
        (
            u["need"].as_i64(),
            u["stock"].as_i64(),
            u["shortfall"].as_i64()
        ),
        (Some(1500), Some(0), Some(1500)),
        "{u}"
    );
    let m = line(&sf.json(), k.mask);
    assert_eq!(m["need"], 420, "{m}");
    // The township asks the county for 30 bags; the county allocates 20 on 02-12 (the
    // rest later), which leaves the county store at once and is in transit.
    let station_user = t.add_user("glmd_station", "operator", "632801101").await;
    assert!(station_user > 0);
    let st = t.token("glmd_station").await;
    let r = t
        .post(
            "/api/v1/supplies/requests",
            &st,
            json!({"store_id": k.station, "item_id": k.urea, "quantity": 30, "unit": "袋",
            "reason": "枸杞春季追肥", "needed_by": "2020-03-10", "requested_on": "2020-02-11"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["to_code"], "632801");
    let req = r.json()["id"].as_i64().expect("request");
    // The township cannot allocate to its own request, nor see the county store.
    let r = t
        .post(
            "/api/v1/supplies/allocations",
            &st,
            json!({"request_id": req, "from_store_id": k.station, "quantity": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let dispatch = json!({"request_id": req, "from_store_id": k.county, "quantity": 20,
    "unit": "袋", "allocated_on": "2020-02-12", "idempotency_key": "phone-alloc-0001"});
    let (allocations, audits) = (
        t.count("SELECT COUNT(*) FROM supply_allocations").await,
        t.audit_count("supply_allocation.create").await,
    );
    let r = t
        .post("/api/v1/supplies/allocations", &op, dispatch.clone())
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let alloc = r.json()["id"].as_i64().expect("allocation");
    assert_eq!(r.json()["status"], "in_transit");
    // The answer was lost and the phone sends it again: the same allocation, dispatched once.
    let again = t
        .post("/api/v1/supplies/allocations", &op, dispatch.clone())
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.json(), r.json());
    assert_eq!(
        (
            t.count("SELECT COUNT(*) FROM supply_allocations").await,
            t.audit_count("supply_allocation.create").await,
        ),
        (allocations + 1, audits + 1)
    );
    // A key already used for a plain movement is not taken for an allocation.
    let r = mv(
        &t,
        "golmud_operator",
        k.county,
        json!({"kind": "receipt", "item_id": k.mask, "quantity": 5, "moved_on": "2020-02-12",
        "idempotency_key": "phone-receipt-0001"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let mut reused = dispatch.clone();
    reused["idempotency_key"] = json!("phone-receipt-0001");
    let r = t.post("/api/v1/supplies/allocations", &op, reused).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.json()["error"]["code"], "idempotency_mismatch");
    assert_eq!(r.error_fields(), ["idempotency_key"]);
    // More than the rest of the request, or than the store holds, is refused.
    let r = t
        .post(
            "/api/v1/supplies/allocations",
            &op,
            json!({"request_id": req, "from_store_id": k.county, "quantity": 11,
            "unit": "袋"}),
        )
        .await;
    assert_eq!(r.error_fields(), ["quantity"], "{}", r.text);
    let reqs = t
        .get("/api/v1/supplies/requests?status=partly", &st)
        .await
        .json();
    assert_eq!(reqs[0]["allocated"], 1000, "{reqs}");
    assert_eq!(
        balance(&t, "golmud_operator", k.county, k.urea, "2020-02-12").await,
        1000
    );
    let u = line(
        &t.get("/api/v1/supplies/shortfalls?as_of=2020-02-12", &op)
            .await
            .json(),
        k.urea,
    );
    assert_eq!(
        (
            u["stock"].as_i64(),
            u["in_transit"].as_i64(),
            u["shortfall"].as_i64()
        ),
        (Some(0), Some(1000), Some(500)),
        "{u}"
    );
    // Arrival on 02-14, two bags short with the reason; confirmed once only.
    let r = t
        .receive_allocation(
            alloc,
            &st,
            json!({"received_on": "2020-02-14", "quantity": 900}),
        )
        .await;
    assert_eq!(r.error_fields(), ["note"], "{}", r.text);
    let r = t
        .receive_allocation(
            alloc,
            &st,
            json!({"received_on": "2020-02-14", "quantity": 900, "note": "途中破损 2 袋"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["status"], "received");
    let r = t.receive_allocation(alloc, &st, json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(
        balance(&t, "glmd_station", k.station, k.urea, "2020-02-13").await,
        0
    );
    assert_eq!(
        balance(&t, "glmd_station", k.station, k.urea, "2020-02-14").await,
        900
    );
    let u = line(
        &t.get("/api/v1/supplies/shortfalls?as_of=2020-02-14", &op)
            .await
            .json(),
        k.urea,
    );
    assert_eq!(
        (
            u["stock"].as_i64(),
            u["in_transit"].as_i64(),
            u["shortfall"].as_i64()
        ),
        (Some(900), Some(0), Some(600)),
        "{u}"
    );
    // The county declines the rest.
    let r = t
        .post(
            &format!("/api/v1/supplies/requests/{req}/decline"),
            &op,
            json!({"note": "县库已无尿素，请改用磷酸二铵"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["status"], "declined");
    // Spring farming of 郭勒木德镇: planned and prepared wolfberry, the urea needed,
    // stocked and delivered as of a day.
    let r = t
        .post(
            "/api/v1/supplies/farm-plans",
            &op,
            json!({"jurisdiction_code": "632801101", "year": 2020, "crop": "wolfberry",
            "planned_mu": 3000}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let plan = r.json()["id"].as_i64().expect("plan");
    for (day, prepared) in [("2020-02-20", 600), ("2020-03-05", 1800)] {
        let r = t
            .post(
                &format!("/api/v1/supplies/farm-plans/{plan}/progress"),
                &st,
                json!({"reported_on": day, "prepared_mu": prepared}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let r = t
        .post(
            &format!("/api/v1/supplies/farm-plans/{plan}/progress"),
            &st,
            json!({"prepared_mu": 10, "sown_mu": 20}),
        )
        .await;
    assert_eq!(r.error_fields(), ["sown_mu"], "{}", r.text);
    let f = t
        .get_ok("/api/v1/supplies/spring-farming?as_of=2020-03-01", &op)
        .await;
    let town = f.json()["townships"]
        .as_array()
        .and_then(|l| l.iter().find(|x| x["code"] == "632801101").cloned())
        .unwrap_or(Value::Null);
    assert_eq!(town["code"], "632801101", "{town}");
    assert_eq!(town["crops"][0]["prepared_mu"], 600);
    assert_eq!(town["crops"][0]["prepared_pct"], 20.0);
    let urea = town["inputs"]
        .as_array()
        .and_then(|l| l.iter().find(|x| x["item_id"] == k.urea).cloned())
        .unwrap_or(Value::Null);
    assert_eq!(
        (
            urea["needed"].as_i64(),
            urea["stocked"].as_i64(),
            urea["delivered"].as_i64()
        ),
        (Some(1500), Some(900), Some(900)),
        "{urea}"
    );
    let later = t
        .get("/api/v1/supplies/spring-farming?as_of=2020-03-13", &op)
        .await
        .json();
    let town = later["townships"]
        .as_array()
        .and_then(|l| l.iter().find(|x| x["code"] == "632801101").cloned())
        .unwrap_or(Value::Null);
    assert_eq!(town["crops"][0]["prepared_mu"], 1800);
    // Each write is in the audit log.
    for (action, n) in [
        ("supply_need.declare", 2),
        ("supply_request.submit", 1),
        ("supply_allocation.create", 1),
        ("supply_delivery.receive", 1),
        ("supply_request.decline", 1),
        ("farm_plan.set", 1),
        ("farm_progress.report", 2),
    ] {
        assert_eq!(t.audit_count(action).await, n, "{action}");
    }
    rollup_agrees(
        &t,
        &[
            "2020-02-11",
            "2020-02-12",
            "2020-02-13",
            "2020-02-14",
            "2020-03-13",
        ],
    )
    .await;
}

async fn low_stock_is_warned_by_days_of_cover(engine: Engine) {
    let t = TestApp::new(engine).await;
    let k = kit(&t).await;
    // 1400 masks in on 02-01, 100 a day issued from 02-02 to 02-11: 400 left, 100 a day
    // over the last 14 days is 1000/14 ≈ 71.4 a day, about 5.6 days of cover (< 7).
    let r = mv(
        &t,
        "golmud_operator",
        k.station,
        json!({"kind": "receipt", "item_id": k.mask, "quantity": 1400,
        "moved_on": "2020-02-01"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    for d in 2..=11 {
        let r = mv(
            &t,
            "golmud_operator",
            k.station,
            json!({"kind": "issue", "item_id": k.mask, "quantity": 100,
            "moved_on": format!("2020-02-{d:02}"), "counterparty": "卡口值守"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let op = t.token("golmud_operator").await;
    let low = t
        .get_ok("/api/v1/supplies/low-stock?as_of=2020-02-11", &op)
        .await;
    let ours = |v: &Value| -> Vec<Value> {
        v["lines"]
            .as_array()
            .map(|l| {
                l.iter()
                    .filter(|x| x["store_id"] == k.station)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    };
    let l = ours(&low.json()).first().cloned().unwrap_or(Value::Null);
    assert_eq!(
        (l["store_id"].as_i64(), l["balance"].as_i64()),
        (Some(k.station), Some(400)),
        "{l}"
    );
    assert_eq!(l["days_of_cover"], 5.6);
    // Early on, with stock for weeks, no warning; the place itself and the level above see
    // it, 德令哈 does not.
    let early = t
        .get("/api/v1/supplies/low-stock?as_of=2020-02-03", &op)
        .await
        .json();
    assert!(ours(&early).is_empty(), "{early}");
    t.add_user("glmd_station", "operator", "632801101").await;
    for who in ["glmd_station", "haixi_leader"] {
        let tok = t.token(who).await;
        let r = t
            .get("/api/v1/supplies/low-stock?as_of=2020-02-11", &tok)
            .await
            .json();
        assert_eq!(ours(&r).len(), 1, "{who}: {r}");
    }
    let dl = t.token("delingha_operator").await;
    let r = t
        .get("/api/v1/supplies/low-stock?as_of=2020-02-11", &dl)
        .await
        .json();
    assert_eq!(ours(&r).len(), 0, "{r}");
}

async fn the_demo_holds_supplies_across_haixi(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "haixi_leader").await;
    // A store in each county, the prefecture's reserve, stations and checkpoint boxes.
    let stores = t.get("/api/v1/supplies/stores", &tok).await.json();
    let stores = stores.as_array().cloned().unwrap_or_default();
    for kind in ["prefecture", "county", "township", "checkpoint", "grid"] {
        assert!(
            stores.iter().any(|s| s["kind"] == kind),
            "a {kind} store in the demo"
        );
    }
    assert_eq!(stores.iter().filter(|s| s["kind"] == "county").count(), 7);
    // Each at the level its kind goes with, as a store set up on the page must be.
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM supply_stores WHERE (kind = 'prefecture' AND LENGTH(jurisdiction_code) > 4) \
             OR (kind = 'county' AND LENGTH(jurisdiction_code) <> 6) \
             OR (kind = 'township' AND LENGTH(jurisdiction_code) <> 9) \
             OR (kind = 'grid' AND LENGTH(jurisdiction_code) < 12) \
             OR (kind = 'checkpoint' AND checkpoint_id IS NULL)"
        )
        .await,
        0
    );
    // The rollup agrees with the movements on every Monday of the demo and at its end.
    rollup_agrees(
        &t,
        &[
            "2020-01-27",
            "2020-02-03",
            "2020-02-10",
            "2020-02-17",
            "2020-02-24",
            "2020-03-02",
            "2020-03-09",
            "2020-03-13",
        ],
    )
    .await;
    assert_eq!(
        t.count("SELECT COUNT(*) FROM stock_days WHERE closing < 0")
            .await,
        0
    );
    // By mid-March some checkpoint boxes run low; deliveries are still on their way; the
    // townships' fertiliser is short in places.
    let low = t
        .get("/api/v1/supplies/low-stock?as_of=2020-03-13", &tok)
        .await
        .json();
    assert!(
        low["lines"].as_array().is_some_and(|l| !l.is_empty()),
        "{low}"
    );
    let short = t
        .get("/api/v1/supplies/shortfalls?as_of=2020-03-13", &tok)
        .await
        .json();
    assert!(
        short["lines"]
            .as_array()
            .is_some_and(|l| l.iter().any(|x| x["shortfall"].as_i64() > Some(0))),
        "{short}"
    );
    // Spring farming: the wolfberry of 诺木洪 (宗加镇) and 怀头他拉 with their inputs.
    let f = t
        .get("/api/v1/supplies/spring-farming?as_of=2020-03-13", &tok)
        .await
        .json();
    for code in ["632822103", "632802101"] {
        let town = f["townships"]
            .as_array()
            .and_then(|l| l.iter().find(|x| x["code"] == code).cloned())
            .unwrap_or(Value::Null);
        assert!(
            town["crops"]
                .as_array()
                .is_some_and(|c| c.iter().any(|x| x["crop"] == "wolfberry")),
            "{town}"
        );
        assert!(town["prepared_pct"].as_f64() > Some(30.0), "{town}");
        let delivered: i64 = town["inputs"]
            .as_array()
            .map(|l| l.iter().filter_map(|x| x["delivered"].as_i64()).sum())
            .unwrap_or(0);
        assert!(delivered > 0, "{town}");
    }
    let early = t
        .get("/api/v1/supplies/spring-farming?as_of=2020-02-21", &tok)
        .await
        .json();
    assert!(
        early["crops"][0]["prepared_mu"].as_i64() < f["crops"][0]["prepared_mu"].as_i64(),
        "{early}"
    );
    // A county sees its own stores only.
    let gm = t.token("golmud_leader").await;
    let mine = t.get("/api/v1/supplies/stores", &gm).await.json();
    assert!(mine.as_array().is_some_and(|l| !l.is_empty()
        && l.iter().all(|s| s["jurisdiction_code"]
            .as_str()
            .is_some_and(|c| c.starts_with("632801")))));
}

async fn the_pages_show_stock_and_the_phone_form_records(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = t.browser("golmud_operator").await;
    let r = b.page("/supplies?as_of=2020-03-13").await;
    for words in [
        "格尔木市应急物资储备库",
        "低库存预警",
        "物资缺口",
        "在途调运",
    ] {
        assert!(r.text.contains(words), "{words}");
    }
    let r = b.page("/supplies/spring-farming?as_of=2020-03-13").await;
    assert!(r.text.contains("郭勒木德镇") && r.text.contains("枸杞"));
    let store = t
        .count("SELECT MIN(id) FROM supply_stores WHERE kind = 'checkpoint' AND jurisdiction_code LIKE '632801%'")
        .await;
    let item = t
        .count("SELECT id FROM supply_items WHERE name = '一次性医用外科口罩'")
        .await;
    let page = b.page(&format!("/supplies/stores/{store}")).await;
    assert!(page.text.contains("登记出入库") && page.text.contains("结存"));
    let key = regex::Regex::new(r#"name="idempotency_key" value="([^"]+)""#)
        .expect("regex")
        .captures(&page.text)
        .map(|c| c[1].to_string())
        .expect("a key in the form");
    let before = t.count("SELECT COUNT(*) FROM stock_movements").await;
    let item_s = item.to_string();
    let form = [
        ("idempotency_key", key.as_str()),
        ("kind", "issue"),
        ("item_id", item_s.as_str()),
        ("quantity", "1"),
        ("unit", ""),
        ("counterparty", "夜班值守"),
        ("moved_on", "2020-03-13"),
        ("to_store_id", ""),
        ("reason", ""),
    ];
    let path = format!("/supplies/stores/{store}/movements");
    let r = b.submit(&path, &form).await;
    assert!(r.location().ends_with("done=moved"), "{}", r.location());
    // A double tap: recognised, nothing written twice.
    let r = b.submit(&path, &form).await;
    assert!(r.location().ends_with("done=repeat"), "{}", r.location());
    assert_eq!(
        t.count("SELECT COUNT(*) FROM stock_movements").await,
        before + 1
    );
    // More than the box holds: the form again with the reason, nothing written.
    let mut big = form;
    big[0] = ("idempotency_key", "form-big");
    big[3] = ("quantity", "999999");
    let r = b.post(&path, &big, true).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(
        r.text.contains("库存不足") && r.text.contains("999999"),
        "{}",
        r.text
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM stock_movements").await,
        before + 1
    );
    // The checkpoint declares its daily need of masks on the same page; it counts in the
    // shortfalls of its place. A quantity that is not a number is refused, naming it.
    assert!(page.text.contains("申报需求"));
    let needs = t.count("SELECT COUNT(*) FROM supply_needs").await;
    let need = [
        ("need_item_id", item_s.as_str()),
        ("basis", "daily"),
        ("need_quantity", "三百"),
        ("need_unit", ""),
        ("crop", ""),
        ("area_mu", ""),
        ("from_on", "2020-03-10"),
        ("until_on", ""),
        ("need_note", "夜班加岗"),
    ];
    let need_path = format!("/supplies/stores/{store}/needs");
    let r = b.post(&need_path, &need, true).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.text.contains("数量应为整数") && r.text.contains("三百"),
        "{}",
        r.text
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM supply_needs").await, needs);
    let mut good = need;
    good[2] = ("need_quantity", "300");
    let r = b.submit(&need_path, &good).await;
    assert!(r.location().ends_with("done=need"), "{}", r.location());
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM supply_needs WHERE store_id = {store} AND item_id = {item} \
             AND basis = 'daily' AND quantity = 300 AND note = '夜班加岗'"
        ))
        .await,
        1
    );
    assert!(t.audit_count("supply_need.declare").await > 0);
    // A liaison has no supplies; a grid worker reads them.
    let mut l = t.browser("liaison").await;
    assert_eq!(l.get("/supplies").await.status, StatusCode::FORBIDDEN);
    let mut g = t.browser("grid_worker").await;
    assert_eq!(g.get("/supplies").await.status, StatusCode::OK);
}

/// A store is set up from the overview page: a missing name or a name its place already
/// has is refused naming the field, and nothing is written.
async fn a_store_is_set_up_on_the_page(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = t.browser("golmud_operator").await;
    let page = b.page("/supplies").await;
    assert!(page.text.contains("设立仓库（站点）"));
    let stores = || async { t.count("SELECT COUNT(*) FROM supply_stores").await };
    let before = stores().await;
    let audited = t.audit_count("supply_store.create").await;
    let form = |name: &'static str, code: &'static str| {
        vec![
            ("name", name),
            (
                "kind",
                if code.len() == 6 {
                    "county"
                } else {
                    "township"
                },
            ),
            ("jurisdiction_code", code),
            ("checkpoint_id", ""),
            ("address", "郭勒木德镇政府院内"),
            ("keeper", "马建国"),
        ]
    };
    let r = b
        .post("/supplies/stores", &form("", "632801100"), true)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("仓库名称"), "{}", r.text);
    // The refused form comes back open, with what was typed.
    assert!(r.text.contains("郭勒木德镇政府院内"));
    let existing = t
        .count("SELECT COUNT(*) FROM supply_stores WHERE jurisdiction_code = '632801' AND name = '格尔木市应急物资储备库'")
        .await;
    assert_eq!(existing, 1);
    let r = b
        .post(
            "/supplies/stores",
            &form("格尔木市应急物资储备库", "632801"),
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("已有名为"), "{}", r.text);
    // A store's kind goes with its place's level; a checkpoint box names its checkpoint.
    let tok = t.token("golmud_operator").await;
    for (kind, code, f, words) in [
        (
            "prefecture",
            "632801100",
            "kind",
            "州级储备库应设在州（市）或省一级",
        ),
        ("county", "632801100", "kind", "县级仓库应设在县（市）一级"),
        ("township", "632801", "kind", "乡镇站点应设在乡镇一级"),
        ("checkpoint", "632801100", "checkpoint_id", "须选所在卡口"),
    ] {
        let r = t
            .post(
                "/api/v1/supplies/stores",
                &tok,
                json!({"name": "级别不符的仓库", "kind": kind, "jurisdiction_code": code}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind}: {}",
            r.text
        );
        assert_eq!(r.error_fields(), vec![f.to_string()], "{kind}");
        assert!(r.text.contains(words), "{kind}: {}", r.text);
    }
    assert_eq!(stores().await, before);
    let r = b
        .submit("/supplies/stores", &form("郭勒木德镇物资站", "632801100"))
        .await;
    assert!(r.location().ends_with("?done=created"), "{}", r.location());
    assert_eq!(stores().await, before + 1);
    assert_eq!(t.audit_count("supply_store.create").await, audited + 1);
    let page = b.page(&r.location()).await;
    assert!(page.text.contains("仓库已设立") && page.text.contains("郭勒木德镇物资站"));
    assert_eq!(
        t.count("SELECT COUNT(*) FROM supply_stores WHERE name = '郭勒木德镇物资站' AND kind = 'township' \
                 AND jurisdiction_code = '632801100' AND keeper = '马建国' AND created_by = 'golmud_operator'")
            .await,
        1
    );
    // A leader reads the overview but sets up nothing.
    let mut l = t.browser("golmud_leader").await;
    let page = l.page("/supplies").await;
    assert!(!page.text.contains("设立仓库（站点）"));
    let r = l
        .post("/supplies/stores", &form("领导的仓库", "632801100"), true)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(stores().await, before + 1);
}

/// A township's spring-farming plan is set, and its progress reported, on the page; bad
/// figures are refused naming the field, and nothing is written; a grid worker sees no form.
async fn spring_farming_is_planned_and_reported_on_the_page(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = t.browser("golmud_operator").await;
    let page = b.page("/supplies/spring-farming?as_of=2020-03-13").await;
    assert!(page.text.contains("设定春耕计划") && page.text.contains("填报进度"));
    let plan = t
        .count("SELECT MIN(id) FROM farm_plans WHERE jurisdiction_code = '632801100' AND crop = 'wolfberry'")
        .await;
    assert!(page
        .text
        .contains(&format!("/supplies/spring-farming/plans/{plan}/progress")));
    let reports = || async { t.count("SELECT COUNT(*) FROM farm_progress").await };
    let before = reports().await;
    let audited = t.audit_count("farm_progress.report").await;
    let path = format!("/supplies/spring-farming/plans/{plan}/progress");
    let form = |prepared: &'static str, sown: &'static str| {
        vec![
            ("as_of", "2020-03-13"),
            ("prepared_mu", prepared),
            ("sown_mu", sown),
            ("reported_on", "2020-03-12"),
            ("note", "翻地完成过半"),
        ]
    };
    for (prepared, sown, words) in [
        ("很多", "0", "已备耕面积应为整数"),
        ("6000", "7000", "已播种面积应为 0 到已备耕面积"),
        ("99999999", "0", "已备耕面积应为 0 到"),
    ] {
        let r = b.post(&path, &form(prepared, sown), true).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{prepared}");
        assert!(r.text.contains(words), "{words}: {}", r.text);
        // The refused form comes back open, with what was typed.
        assert!(
            r.text.contains(&format!("value=\"{prepared}\"")),
            "{prepared}"
        );
    }
    assert_eq!(reports().await, before);
    let r = b.submit(&path, &form("6000", "1500")).await;
    assert!(
        r.location().contains("done=progress") && r.location().ends_with("#t632801100"),
        "{}",
        r.location()
    );
    assert_eq!(t.audit_count("farm_progress.report").await, audited + 1);
    let after = reports().await;
    let tok = t.token("golmud_operator").await;
    let f = t
        .get("/api/v1/supplies/spring-farming?as_of=2020-03-13", &tok)
        .await
        .json();
    let line = f["townships"]
        .as_array()
        .expect("townships")
        .iter()
        .flat_map(|t| t["crops"].as_array().cloned().unwrap_or_default())
        .find(|c| c["plan_id"].as_i64() == Some(plan))
        .expect("the plan's line");
    assert_eq!(line["prepared_mu"], 6000);
    assert_eq!(line["sown_mu"], 1500);
    assert_eq!(line["reported_on"], "2020-03-12");
    // A new plan: rape in 郭勒木德镇, then a bad area refused.
    let plans = || async {
        t.count("SELECT COUNT(*) FROM farm_plans WHERE jurisdiction_code = '632801100' AND crop = 'rape'")
            .await
    };
    assert_eq!(plans().await, 0);
    let plan_form = |area: &'static str| {
        vec![
            ("as_of", "2020-03-13"),
            ("jurisdiction_code", "632801100"),
            ("crop", "rape"),
            ("year", "2020"),
            ("planned_mu", area),
        ]
    };
    let r = b
        .post("/supplies/spring-farming/plans", &plan_form("-5"), true)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("计划面积应为 0 到"), "{}", r.text);
    assert_eq!(plans().await, 0);
    let r = b
        .submit("/supplies/spring-farming/plans", &plan_form("1200"))
        .await;
    assert!(r.location().contains("done=plan"), "{}", r.location());
    assert_eq!(
        t.count("SELECT COUNT(*) FROM farm_plans WHERE jurisdiction_code = '632801100' AND crop = 'rape' AND planned_mu = 1200")
            .await,
        1
    );
    let page = b.get(&r.location()).await;
    assert!(page.text.contains("已保存春耕计划") && page.text.contains("油菜"));
    // A grid worker reads the page but has no form, and may not report.
    let mut g = t.browser("grid_worker").await;
    let page = g.page("/supplies/spring-farming?as_of=2020-03-13").await;
    assert!(!page.text.contains("填报进度") && !page.text.contains("设定春耕计划"));
    let r = g.post(&path, &form("7000", "0"), true).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(reports().await, after);
    assert_eq!(t.audit_count("farm_progress.report").await, audited + 1);
}

async fn upload(
    t: &TestApp,
    user: &str,
    path: &str,
    columns: &[(&str, bool)],
    rows: &[Vec<&str>],
) -> common::Resp {
    let token = t.token(user).await;
    let rows: Vec<Vec<String>> = rows.iter().map(|r| common::strings(r)).collect();
    let bytes = dualtrack_service::spreadsheet::write("x", columns, &rows, "").expect("xlsx");
    t.upload(&token, path, bytes).await
}

async fn excel_imports_are_all_or_nothing(engine: Engine) {
    use dualtrack_service::supplies::import::{COUNT_COLUMNS, ITEM_COLUMNS, NEED_COLUMNS};
    let (t, admin) = TestApp::as_user(engine, "sysadmin").await;
    for path in [
        "/api/v1/supplies/items/template.xlsx",
        "/api/v1/supplies/stock-counts/template.xlsx",
        "/api/v1/supplies/needs/template.xlsx",
    ] {
        let r = t.get(path, &admin).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
    }
    // The catalogue: a bad row rejects the file, listing every problem.
    let items = t.count("SELECT COUNT(*) FROM supply_items").await;
    let good = vec![
        "导入测试手消毒凝胶",
        "消毒用品",
        "500 毫升",
        "",
        "瓶",
        "箱",
        "24",
        "7",
    ];
    let r = upload(
        &t,
        "sysadmin",
        "/api/v1/supplies/items/import",
        ITEM_COLUMNS,
        &[
            good.clone(),
            vec!["导入测试青稞", "种子", "", "玉米", "公斤", "", "", ""],
            vec!["一次性医用外科口罩", "口罩", "", "", "个", "", "", ""],
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let fields = r.error_fields();
    assert!(
        fields.iter().any(|f| f == "第 3 行 作物") && fields.iter().any(|f| f == "第 4 行 品名"),
        "{fields:?}"
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM supply_items").await, items);
    let r = upload(
        &t,
        "sysadmin",
        "/api/v1/supplies/items/import",
        ITEM_COLUMNS,
        &[good],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["imported"], 1);
    let r = upload(
        &t,
        "golmud_operator",
        "/api/v1/supplies/items/import",
        ITEM_COLUMNS,
        &[vec!["越权", "口罩", "", "", "个", "", "", ""]],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A stock count: the differences become adjustments; equal counts change nothing.
    let store = t
        .count("SELECT MIN(id) FROM supply_stores WHERE kind = 'county' AND jurisdiction_code = '632801'")
        .await;
    let book = balance(&t, "golmud_operator", store, 1, "2020-03-01").await;
    let book2 = balance(&t, "golmud_operator", store, 4, "2020-03-01").await;
    assert!(book > 10 && book2 > 0, "the demo stocks the county store");
    let s = store.to_string();
    let less = (book - 10).to_string();
    let same = book2.to_string();
    let before = t.count("SELECT COUNT(*) FROM stock_movements").await;
    let r = upload(
        &t,
        "golmud_operator",
        "/api/v1/supplies/stock-counts/import",
        COUNT_COLUMNS,
        &[
            vec![&s, "1", "2020-03-01", &less, "", "月度盘点"],
            vec![&s, "84 消毒液", "2020-03-01", &same, "", ""],
            vec![&s, "不存在的物资", "2020-03-01", "1", "", ""],
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.error_fields(), ["第 4 行 物资"]);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM stock_movements").await,
        before
    );
    let r = upload(
        &t,
        "golmud_operator",
        "/api/v1/supplies/stock-counts/import",
        COUNT_COLUMNS,
        &[
            vec![&s, "1", "2020-03-01", &less, "", "月度盘点"],
            vec![&s, "84 消毒液", "2020-03-01", &same, "", ""],
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (
            r.json()["imported"].as_i64(),
            r.json()["unchanged"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(
        balance(&t, "golmud_operator", store, 1, "2020-03-01").await,
        book - 10
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM stock_movements WHERE kind = 'adjust_out' AND reason LIKE '盘点%'").await,
        1
    );
    rollup_agrees(&t, &["2020-02-29", "2020-03-01", "2020-03-13"]).await;
    // Needs: a place outside the scope rejects the file.
    let needs = t.count("SELECT COUNT(*) FROM supply_needs").await;
    let r = upload(
        &t,
        "golmud_operator",
        "/api/v1/supplies/needs/import",
        NEED_COLUMNS,
        &[
            vec![
                "632801101",
                "",
                "尿素",
                "总需求",
                "40",
                "袋",
                "青稞",
                "2000",
                "2020-02-10",
                "2020-04-30",
                "",
            ],
            vec![
                "632802",
                "",
                "尿素",
                "总需求",
                "40",
                "袋",
                "青稞",
                "2000",
                "2020-02-10",
                "",
                "",
            ],
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("管辖范围"), "{}", r.text);
    assert_eq!(t.count("SELECT COUNT(*) FROM supply_needs").await, needs);
    let r = upload(
        &t,
        "golmud_operator",
        "/api/v1/supplies/needs/import",
        NEED_COLUMNS,
        &[vec![
            "632801101",
            "",
            "尿素",
            "总需求",
            "40",
            "袋",
            "青稞",
            "2000",
            "2020-02-10",
            "2020-04-30",
            "",
        ]],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM supply_needs WHERE jurisdiction_code = '632801101' AND quantity = 2000").await,
        1
    );
    // The balances as a sheet.
    let op = t.token("golmud_operator").await;
    let sheet = t
        .sheet(
            &op,
            "/api/v1/supplies/balances/export.xlsx?as_of=2020-03-13",
        )
        .await;
    assert!(sheet.rows.len() > 10, "{}", sheet.rows.len());
    assert!(sheet.rows.iter().all(|(_, c)| c[2].starts_with("632801")));
}

/// The days of stock are closed (日结) from the demo on; reads of closed days, of days not
/// closed yet and of days after the last movement all agree with the movements, before and
/// after back-dated movements (on an existing pair and on a pair first moved on a closed
/// day) and after the next days are closed.
async fn the_days_of_stock_are_closed(engine: Engine) {
    let t = TestApp::new(engine).await;
    let k = kit(&t).await;
    let op = "golmud_operator";
    let last_closed = || async {
        t.count("SELECT COUNT(DISTINCT day) FROM stock_closings")
            .await
    };
    let demo_days = last_closed().await;
    assert!(demo_days > 30, "{demo_days} days closed by the demo");
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM stock_closings WHERE day = (SELECT MAX(day) FROM stock_days)"
        )
        .await,
        t.count("SELECT COUNT(*) FROM stock_balances b WHERE EXISTS (SELECT 1 FROM stock_days d WHERE d.store_id = b.store_id AND d.item_id = b.item_id)")
            .await,
        "every pair that ever moved has a closing on the last day"
    );
    // A week after the demo: a receipt three days after its last day, not closed yet.
    t.app.clock.set(Some(
        chrono::DateTime::parse_from_rfc3339("2020-03-20T02:00:00Z")
            .expect("time")
            .to_utc(),
    ));
    let r = mv(
        &t,
        op,
        k.county,
        json!({"kind": "receipt", "item_id": k.mask, "quantity": 800, "moved_on": "2020-03-16"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let after = [
        "2020-03-12",
        "2020-03-13",
        "2020-03-14",
        "2020-03-15",
        "2020-03-16",
        "2020-03-19",
    ];
    rollup_agrees(&t, &after).await;
    assert_eq!(balance(&t, op, k.county, k.mask, "2020-03-15").await, 0);
    assert_eq!(balance(&t, op, k.county, k.mask, "2020-03-16").await, 800);
    // Closing runs through yesterday but no further than the last movement.
    let closed = t.app.close_stock_days().await.expect("close");
    assert_eq!(closed, 3, "2020-03-14 through 2020-03-16");
    assert_eq!(last_closed().await, demo_days + 3);
    assert_eq!(t.app.close_stock_days().await.expect("close again"), 0);
    rollup_agrees(&t, &after).await;
    // Back-dated movements on closed days: an issue from the county store, and a transfer
    // to a station that never held urea before.
    let r = mv(
        &t,
        op,
        k.county,
        json!({"kind": "receipt", "item_id": k.urea, "quantity": 900, "moved_on": "2020-02-10"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = mv(
        &t,
        op,
        k.county,
        json!({"kind": "transfer", "item_id": k.urea, "quantity": 300, "to_store_id": k.station,
        "moved_on": "2020-02-20"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = mv(
        &t,
        op,
        k.county,
        json!({"kind": "issue", "item_id": k.mask, "quantity": 200, "moved_on": "2020-03-16",
        "counterparty": "补登"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    for (day, county, station) in [
        ("2020-02-09", 0, 0),
        ("2020-02-10", 900, 0),
        ("2020-02-19", 900, 0),
        ("2020-02-20", 600, 300),
        ("2020-03-16", 600, 300),
    ] {
        assert_eq!(
            balance(&t, op, k.county, k.urea, day).await,
            county,
            "{day}"
        );
        assert_eq!(
            balance(&t, op, k.station, k.urea, day).await,
            station,
            "{day}"
        );
    }
    assert_eq!(balance(&t, op, k.county, k.mask, "2020-03-16").await, 600);
    let mut day = chrono::NaiveDate::from_ymd_opt(2020, 1, 20).expect("day");
    let mut days = Vec::new();
    while day <= chrono::NaiveDate::from_ymd_opt(2020, 3, 20).expect("day") {
        days.push(day.to_string());
        day += chrono::Duration::days(1);
    }
    let days: Vec<&str> = days.iter().map(String::as_str).collect();
    rollup_agrees(&t, &days).await;
    assert_eq!(
        t.count("SELECT COUNT(*) FROM stock_closings WHERE closing < 0")
            .await,
        0
    );
}

on_both_engines!(
    the_catalogue_is_kept_by_the_administrator,
    stock_moves_only_as_movements,
    bad_input_is_refused_naming_the_field,
    a_retry_with_the_same_key_is_recognised,
    two_clerks_cannot_both_issue_the_last_boxes,
    needs_requests_allocations_and_arrivals,
    low_stock_is_warned_by_days_of_cover,
    the_demo_holds_supplies_across_haixi,
    the_pages_show_stock_and_the_phone_form_records,
    spring_farming_is_planned_and_reported_on_the_page,
    a_store_is_set_up_on_the_page,
    excel_imports_are_all_or_nothing,
    the_days_of_stock_are_closed,
);

#[allow(dead_code)]
fn code(s: &str) -> Code {
    Code::parse(s).expect("code")
}
