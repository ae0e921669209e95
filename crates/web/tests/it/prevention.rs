//! The prevention track through the API and pages: the demo's 815 grids, screening with a
//! risk class that follows the risk-area rules, masking and audited unmasking, grid daily
//! reports filled in from the records, zero reports, the roll-up of who has not reported,
//! and scope by grid and by county.

use crate::common;
use common::id_number;

use axum::http::StatusCode;
use common::{Browser, TestApp};
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::{json, Value};

const GRID: &str = "632801001001001";
const NEIGHBOUR: &str = "632801001001002";

async fn household(t: &TestApp, tok: &str, grid: &str) -> i64 {
    t.created(
        &format!("/api/v1/grids/{grid}/households"),
        tok,
        json!({"address": "昆仑路 8 号 2 单元", "head_name": "马海军"}),
    )
    .await
}

async fn screen(t: &TestApp, tok: &str, household: i64, body: Value) -> (StatusCode, Value) {
    let r = t
        .post(
            &format!("/api/v1/households/{household}/persons"),
            tok,
            body,
        )
        .await;
    (r.status, r.json())
}

async fn the_demo_has_815_grids_with_leaders_and_reports(engine: Engine) {
    let t = TestApp::new(engine).await;
    let grids = t
        .count("SELECT COUNT(*) FROM jurisdictions WHERE level = 6")
        .await;
    assert_eq!(grids, 815, "the field report's 815 grids");
    let led = t
        .count("SELECT COUNT(DISTINCT grid_code) FROM grid_members WHERE role = 'leader'")
        .await;
    assert_eq!(led, grids, "every grid has a leader from the registry");
    let persons = t.count("SELECT COUNT(*) FROM screened_persons").await;
    assert!((1000..=5000).contains(&persons), "{persons} screened");
    assert!(
        t.count("SELECT COUNT(*) FROM screened_persons WHERE risk_level = 'high'")
            .await
            > 0,
        "some back from Hubei"
    );
    // The roll-up for a day matches the records: every grid expected, those without a
    // report that day missing.
    let tok = t.token("haixi_leader").await;
    let r = t
        .get_ok("/api/v1/grid-reports/rollup?date=2020-02-20", &tok)
        .await;
    let v = r.json();
    assert_eq!(v["total"]["expected"], grids);
    let filed = t
        .count("SELECT COUNT(*) FROM grid_reports WHERE report_date = '2020-02-20'")
        .await;
    assert_eq!(v["total"]["missing"].as_i64(), Some(grids - filed));
    assert!(v["total"]["late"].as_i64() > Some(0), "some late");
    assert!(v["total"]["missing"].as_i64() > Some(0), "some missing");
    assert_eq!(
        v["missing"].as_array().map(|a| a.len() as i64),
        Some(grids - filed)
    );
    assert_eq!(v["places"].as_array().map(|a| a.len()), Some(7), "counties");
    // Grid list of a county agrees with the tree.
    let in_golmud = t
        .count("SELECT COUNT(*) FROM jurisdictions WHERE level = 6 AND code LIKE '632801%'")
        .await;
    let list = t.get("/api/v1/grids?code=632801&page=1", &tok).await.json();
    assert_eq!(
        list.as_array().map(|a| a.len() as i64),
        Some(in_golmud.min(100))
    );
    // Coverage of the first round per grid.
    let rounds = t.get("/api/v1/screening-rounds", &tok).await.json();
    let id = rounds[0]["id"].as_i64().expect("round");
    let c = t
        .get(&format!("/api/v1/screening-rounds/{id}/coverage"), &tok)
        .await
        .json();
    assert_eq!(c["grids"].as_array().map(|a| a.len() as i64), Some(grids));
    let households = t.count("SELECT COUNT(*) FROM households").await;
    assert_eq!(c["total"]["households"], households);
}

async fn the_risk_class_follows_the_rules(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let h = household(&t, &op, NEIGHBOUR).await;
    let (status, wuhan) = screen(
        &t,
        &op,
        h,
        json!({"name": "李春花", "id_number": id_number("63280119850101002"), "phone": "13909790001",
               "kind": "returned", "came_from": "420100", "arrived_on": "2020-02-03",
               "travel": [{"code": "420100", "date": "2020-02-01"}], "screened_on": "2020-02-05"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{wuhan}");
    assert_eq!(wuhan["risk_level"], "high", "Hubei since 2020-01-23");
    let (status, chengdu) = screen(
        &t,
        &op,
        h,
        json!({"name": "李海龙", "id_number": id_number("63280119870202001"),
               "kind": "back_to_work", "came_from": "510100", "arrived_on": "2020-02-04",
               "travel": [{"code": "510100", "date": "2020-02-02"}], "screened_on": "2020-02-05"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{chengdu}");
    assert_eq!(chengdu["risk_level"], "low");
    let id = chengdu["id"].as_i64().expect("id");
    let before = t.audit_count("risk_area.set").await;
    // Sichuan becomes a medium-risk area for 格尔木.
    let r = t
        .post(
            "/api/v1/risk-areas",
            &op,
            json!({"jurisdiction_code": "632801", "region_code": "51", "from_on": "2020-01-25", "level": "medium"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["region_name"], "四川省");
    assert!(r.json()["reclassified"].as_i64() >= Some(1));
    let rule = r.json()["id"].as_i64().expect("rule");
    let now = t
        .get(&format!("/api/v1/screened-persons/{id}"), &op)
        .await
        .json();
    assert_eq!(now["risk_level"], "medium");
    // Raised to high, then ended before the trip: the class follows each change.
    let r = t
        .call(
            "PUT",
            &format!("/api/v1/risk-areas/{rule}"),
            Some(&op),
            Some(json!({"jurisdiction_code": "632801", "region_code": "51", "from_on": "2020-01-25", "level": "high"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let now = t
        .get(&format!("/api/v1/screened-persons/{id}"), &op)
        .await
        .json();
    assert_eq!(now["risk_level"], "high");
    let r = t
        .call(
            "PUT",
            &format!("/api/v1/risk-areas/{rule}"),
            Some(&op),
            Some(json!({"jurisdiction_code": "632801", "region_code": "51", "from_on": "2020-01-25", "until_on": "2020-01-31", "level": "high"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let now = t
        .get(&format!("/api/v1/screened-persons/{id}"), &op)
        .await
        .json();
    assert_eq!(now["risk_level"], "low");
    assert_eq!(t.audit_count("risk_area.set").await, before + 3);
    // The prefecture's rule is not 格尔木's to change; a grid worker sets none.
    let prefecture_rule = t
        .count("SELECT MIN(id) FROM risk_areas WHERE jurisdiction_code = '6328'")
        .await;
    let r = t
        .call(
            "PUT",
            &format!("/api/v1/risk-areas/{prefecture_rule}"),
            Some(&op),
            Some(json!({"jurisdiction_code": "6328", "region_code": "42", "from_on": "2020-01-23", "level": "low"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let gw = t.token("grid_worker").await;
    let r = t
        .post(
            "/api/v1/risk-areas",
            &gw,
            json!({"jurisdiction_code": GRID, "region_code": "51", "from_on": "2020-01-25", "level": "high"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn bad_input_names_the_field_and_writes_nothing(engine: Engine) {
    let (t, gw) = TestApp::as_user(engine, "grid_worker").await;
    let h = household(&t, &gw, GRID).await;
    let before = t.count("SELECT COUNT(*) FROM screened_persons").await;
    let visits = t.count("SELECT COUNT(*) FROM household_visits").await;
    let good = json!({"name": "王建国", "id_number": id_number("63280119700101003"), "kind": "resident",
                      "screened_on": "2020-02-05"});
    let mut wrong_check = good.clone();
    let valid = id_number("63280119700101003");
    let last = if valid.ends_with('1') { '2' } else { '1' };
    wrong_check["id_number"] = json!(format!("{}{last}", &valid[..17]));
    let mut bad_date = good.clone();
    bad_date["screened_on"] = json!("2020-02-30");
    let mut bad_code = good.clone();
    bad_code["kind"] = json!("returned");
    bad_code["came_from"] = json!("990100");
    let mut bad_travel = good.clone();
    bad_travel["travel"] = json!([{"code": "420100", "date": "2020-01-01"}]);
    let mut bad_phone = good.clone();
    bad_phone["phone"] = json!("12345");
    for (body, field, words) in [
        (wrong_check, "id_number", "校验位"),
        (bad_date, "screened_on", "日期"),
        (bad_code, "came_from", "来源地"),
        (bad_travel, "travel", "14 天"),
        (bad_phone, "phone", ""),
    ] {
        let (status, v) = screen(&t, &gw, h, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {v}");
        let text = v.to_string();
        assert!(
            text.contains(field) && text.contains(words),
            "{field}: {text}"
        );
    }
    assert_eq!(
        t.count("SELECT COUNT(*) FROM screened_persons").await,
        before
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM household_visits").await,
        visits
    );
    let (status, v) = screen(&t, &gw, h, good).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let r = t
        .report_grid(GRID, &gw, json!({"report_date": "2020/03/01"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("report_date"), "{}", r.text);
}

async fn lists_are_masked_and_unmasking_is_audited(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let h = household(&t, &op, GRID).await;
    let number = id_number("63280119900505002");
    let (status, v) = screen(
        &t,
        &op,
        h,
        json!({"name": "祁玉梅", "id_number": number, "phone": "13897001234", "kind": "resident", "screened_on": "2020-02-06"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().expect("id");
    let list = t
        .get_ok(&format!("/api/v1/screened-persons?code={GRID}"), &op)
        .await;
    assert!(!list.text.contains(&number) && !list.text.contains("13897001234"));
    let mine = list
        .json()
        .as_array()
        .and_then(|a| a.iter().find(|p| p["id"] == id).cloned())
        .expect("listed");
    assert!(mine["id_number"].as_str().is_some_and(|s| s.contains('*')));
    let before = t.audit_count("personal.unmask").await;
    let r = t.unmask_screened(id, &op, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["id_number"], number);
    assert_eq!(r.json()["phone"], "13897001234");
    assert_eq!(t.audit_count("personal.unmask").await, before + 1);
    // The grid worker reads the masked list but may not unmask.
    let gw = t.token("grid_worker").await;
    let r = t.unmask_screened(id, &gw, json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(t.audit_count("personal.unmask").await, before + 1);
}

async fn the_grid_report_comes_from_the_records(engine: Engine) {
    let (t, gw) = TestApp::as_user(engine, "grid_worker").await;
    let op = t.token("golmud_operator").await;
    let day = "2020-03-20";
    let before = rollup_on(&t, &op, day).await;
    let missing_before = before["total"]["missing"].as_i64().expect("missing");
    assert!(before["missing"]
        .as_array()
        .expect("list")
        .iter()
        .any(|g| g["code"] == GRID));
    let h = household(&t, &gw, GRID).await;
    for (first17, kind, from) in [
        ("63280119800101001", "resident", None),
        ("63280119810101002", "returned", Some("421000")),
    ] {
        let mut body = json!({"name": "韩文军", "id_number": id_number(first17), "kind": kind, "screened_on": day});
        if let Some(f) = from {
            body["came_from"] = json!(f);
            body["arrived_on"] = json!(day);
        }
        let (status, v) = screen(&t, &gw, h, body).await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
    }
    let r = t
        .post(
            &format!("/api/v1/grids/{GRID}/publicity"),
            &gw,
            json!({"delivered_on": day, "what": "防控明白纸", "place": "博爱巷", "copies": 40}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let draft = t
        .get(
            &format!("/api/v1/grids/{GRID}/reports/draft?date={day}"),
            &gw,
        )
        .await
        .json();
    assert_eq!(draft["figures"]["screened"], 2);
    assert_eq!(draft["figures"]["arrivals"], 1);
    assert_eq!(draft["figures"]["high_risk"], 1, "back from 孝感");
    assert_eq!(draft["figures"]["publicity"], 1);
    assert_eq!(draft["nothing_happened"], false);
    // Not a zero report: there are records.
    let r = t
        .report_grid(GRID, &gw, json!({"report_date": day, "zero_report": true}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("零报告"));
    let r = t
        .report_grid(
            GRID,
            &gw,
            json!({"report_date": day, "remarks": "已落实居家观察"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["figures"], draft["figures"]);
    assert_eq!(r.json()["zero_report"], false);
    assert_eq!(r.json()["punctuality"], "late", "filed years after the day");
    let r = t.report_grid(GRID, &gw, json!({"report_date": day})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let after = rollup_on(&t, &op, day).await;
    assert_eq!(after["total"]["missing"].as_i64(), Some(missing_before - 1));
    assert!(!after["missing"]
        .as_array()
        .expect("list")
        .iter()
        .any(|g| g["code"] == GRID));
    assert_eq!(after["total"]["figures"]["screened"], 2);
    // A zero report on a quiet day.
    let r = t
        .report_grid(
            GRID,
            &gw,
            json!({"report_date": "2020-03-21", "zero_report": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["zero_report"], true);
    let quiet = rollup_on(&t, &op, "2020-03-21").await;
    assert_eq!(quiet["total"]["zero_reports"], 1);
    // A day not yet over is refused.
    let r = t
        .report_grid(GRID, &gw, json!({"report_date": "2099-01-01"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(t.audit_count("grid_report.file").await >= 2);
}

async fn rollup_on(t: &TestApp, tok: &str, day: &str) -> Value {
    t.get(&format!("/api/v1/grid-reports/rollup?date={day}"), tok)
        .await
        .json()
}

async fn a_grid_worker_sees_only_their_grid(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let h = household(&t, &op, NEIGHBOUR).await;
    let (status, v) = screen(
        &t,
        &op,
        h,
        json!({"name": "邻格人员", "id_number": id_number("63280119750707004"), "kind": "resident", "screened_on": "2020-02-07"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().expect("id");
    let gw = t.token("grid_worker").await;
    assert_eq!(
        t.get(&format!("/api/v1/screened-persons/{id}"), &gw)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let mine = t.get_ok("/api/v1/screened-persons", &gw).await;
    assert!(mine
        .json()
        .as_array()
        .expect("list")
        .iter()
        .all(|p| p["grid_code"] == GRID));
    t.each_answers(
        &[
            format!("/api/v1/screened-persons?code={NEIGHBOUR}"),
            format!("/api/v1/grids/{NEIGHBOUR}"),
            format!("/api/v1/grids/{NEIGHBOUR}/households"),
        ],
        &gw,
        StatusCode::NOT_FOUND,
    )
    .await;
    let r = t
        .post(
            &format!("/api/v1/households/{h}/persons"),
            &gw,
            json!({"name": "x", "id_number": id_number("63280119750707012"), "kind": "resident", "screened_on": "2020-02-07"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let grids = t.get("/api/v1/grids", &gw).await.json();
    assert_eq!(grids.as_array().map(|a| a.len()), Some(1));
    assert_eq!(grids[0]["code"], GRID);
}

async fn golmud_gets_nothing_of_delingha(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let theirs = t
        .count("SELECT MIN(id) FROM screened_persons WHERE grid_code LIKE '632802%'")
        .await;
    assert!(theirs > 0);
    t.each_answers(
        &[
            format!("/api/v1/screened-persons/{theirs}"),
            "/api/v1/grids/632802001001001".to_string(),
            "/api/v1/grid-reports/rollup?date=2020-02-20&code=632802".to_string(),
            "/api/v1/screened-persons?code=632802".to_string(),
        ],
        &op,
        StatusCode::NOT_FOUND,
    )
    .await;
    let r = t.unmask_screened(theirs, &op, json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    for path in [
        "/api/v1/screened-persons?risk=high",
        "/api/v1/grids",
        "/api/v1/grid-reports/rollup?date=2020-02-20",
    ] {
        let r = t.get(path, &op).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(!r.text.contains("632802"), "{path}");
    }
    let dl = t.token("delingha_operator").await;
    let r = t.get_ok("/api/v1/screened-persons?code=632802", &dl).await;
    assert!(r.json().as_array().is_some_and(|a| !a.is_empty()));
}

async fn the_pages_serve_the_grid_worker_and_the_command(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = t.browser("grid_worker").await;
    let r = b.get("/my-grid").await;
    assert_eq!(r.location(), format!("/grids/{GRID}"));
    let r = b.page(&format!("/grids/{GRID}?date=2020-03-22")).await;
    assert!(r.text.contains("零报告") && r.text.contains("摸排登记") && r.text.contains("包排查"));
    b.submit(
        &format!("/grids/{GRID}/report"),
        &[
            ("report_date", "2020-03-22"),
            ("zero_report", "on"),
            ("remarks", ""),
        ],
    )
    .await;
    assert_eq!(
        t.count(&format!("SELECT COUNT(*) FROM grid_reports WHERE grid_code = '{GRID}' AND report_date = '2020-03-22' AND zero_report"))
            .await,
        1
    );
    let h = t
        .count(&format!(
            "SELECT MIN(id) FROM households WHERE grid_code = '{GRID}'"
        ))
        .await;
    let hs = h.to_string();
    let good = id_number("63280119800101001");
    let bad = format!(
        "{}{}",
        &good[..17],
        if good.ends_with('3') { '4' } else { '3' }
    );
    let r = b
        .post(
            &format!("/grids/{GRID}/screen"),
            &[
                ("household_id", hs.as_str()),
                ("name", "王五"),
                ("id_number", bad.as_str()),
                ("kind", "resident"),
                ("screened_on", "2020-03-22"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("身份证号"), "{}", r.text);
    let mut l = t.browser("haixi_leader").await;
    let r = l.page("/prevention?date=2020-02-20").await;
    assert!(
        r.text.contains("未报网格") && r.text.contains("格尔木市") && r.text.contains("摸排覆盖")
    );
    assert!(r.text.contains("疫情防控"), "nav entry");
}

/// A grid's report shows in its list and on its page at once, even filed within a second
/// whose end the app's now (to the second) has not reached: nothing filed is "of a later time".
async fn a_grid_report_shows_at_once_when_filed_within_a_second(engine: Engine) {
    use chrono::TimeZone;
    let t = TestApp::new(engine).await;
    let at = chrono::Utc
        .with_ymd_and_hms(2020, 3, 25, 2, 30, 15)
        .single()
        .expect("valid")
        + chrono::Duration::milliseconds(640);
    t.app.clock.set(Some(at));
    let gw = t.token("grid_worker").await;
    let r = t
        .post(
            &format!("/api/v1/grids/{GRID}/reports"),
            &gw,
            json!({"report_date": "2020-03-22", "zero_report": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let listed = t
        .get(&format!("/api/v1/grids/{GRID}/reports"), &gw)
        .await
        .json();
    assert!(
        listed
            .as_array()
            .is_some_and(|l| l.iter().any(|x| x["report_date"] == "2020-03-22")),
        "{listed}"
    );
    let mut b = Browser::new(&t);
    b.login("grid_worker").await;
    let page = b.get(&format!("/grids/{GRID}?date=2020-03-22")).await;
    assert!(page.text.contains("id=\"filed\""), "{}", page.text);
}

on_both_engines!(
    a_grid_report_shows_at_once_when_filed_within_a_second,
    the_demo_has_815_grids_with_leaders_and_reports,
    the_risk_class_follows_the_rules,
    bad_input_names_the_field_and_writes_nothing,
    lists_are_masked_and_unmasking_is_audited,
    the_grid_report_comes_from_the_records,
    a_grid_worker_sees_only_their_grid,
    golmud_gets_nothing_of_delingha,
    the_pages_serve_the_grid_worker_and_the_command,
);
