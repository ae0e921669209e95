//! Major projects and key production through the API: the Golmud–Lao Mangya road's start
//! moving the start rate between 2020-02-27 and 2020-02-28, starts, investment, output and
//! shipments moving the figures, bad input named, scope kept.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const ROAD: &str = "格尔木至老茫崖公路";

async fn id_of(t: &TestApp, table: &str, name: &str) -> i64 {
    t.count(&format!("SELECT id FROM {table} WHERE name = '{name}'"))
        .await
}

fn started(v: &Value) -> BTreeSet<i64> {
    v["projects"]
        .as_array()
        .expect("projects")
        .iter()
        .filter(|p| !p["started_on"].is_null())
        .filter_map(|p| p["id"].as_i64())
        .collect()
}

fn county<'a>(v: &'a Value, code: &str) -> &'a Value {
    v["counties"]
        .as_array()
        .expect("counties")
        .iter()
        .find(|c| c["code"] == code)
        .unwrap_or(&Value::Null)
}

fn n(v: &Value) -> i64 {
    v.as_i64().unwrap_or(i64::MIN)
}

async fn the_roads_start_moves_the_start_rate(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "haixi_leader").await;
    let road = id_of(&t, "major_projects", ROAD).await;
    assert!(road > 0);
    let before = t
        .get_ok("/api/v1/projects/rates?as_of=2020-02-27", &tok)
        .await;
    let before = before.json();
    let after = t
        .get("/api/v1/projects/rates?as_of=2020-02-28", &tok)
        .await
        .json();
    // The projects started by each day differ by the road alone.
    let (b, a) = (started(&before), started(&after));
    assert!(!b.contains(&road) && a.contains(&road));
    assert_eq!(a.difference(&b).copied().collect::<Vec<_>>(), vec![road]);
    assert!(b.is_subset(&a));
    // Against all projects: one more started, the same denominator.
    let (tb, ta) = (&before["total"], &after["total"]);
    assert_eq!(
        n(&ta["start_rate_all"]["numerator"]),
        n(&tb["start_rate_all"]["numerator"]) + 1
    );
    assert_eq!(
        ta["start_rate_all"]["denominator"],
        tb["start_rate_all"]["denominator"]
    );
    // Against the plan: the road was planned for 02-28 itself, so both parts move by one.
    let detail = t
        .get(&format!("/api/v1/projects/{road}"), &tok)
        .await
        .json();
    let planned = detail["project"]["planned_start"].as_str().unwrap_or("");
    let moved = i64::from(planned == "2020-02-28");
    assert_eq!(
        n(&ta["start_rate"]["numerator"]),
        n(&tb["start_rate"]["numerator"]) + moved
    );
    assert_eq!(
        n(&ta["start_rate"]["denominator"]),
        n(&tb["start_rate"]["denominator"]) + moved
    );
    // Only 格尔木's row moves among the counties side by side.
    assert!(before["counties"].as_array().map(|c| c.len()).unwrap_or(0) >= 7);
    for c in before["counties"].as_array().expect("counties") {
        let code = c["code"].as_str().unwrap_or("");
        let later = county(&after, code);
        let step = i64::from(code == "632801");
        assert_eq!(
            n(&later["start_rate_all"]["numerator"]),
            n(&c["start_rate_all"]["numerator"]) + step,
            "{code}"
        );
    }
    // The figures are the records': numerators from the project list, investment from lines.
    let all = t.get("/api/v1/projects?year=2020", &tok).await.json();
    let all = all.as_array().expect("list");
    assert_eq!(n(&ta["start_rate_all"]["denominator"]), all.len() as i64);
    let by_day = all
        .iter()
        .filter(|p| {
            p["actual_start"]
                .as_str()
                .is_some_and(|d| d <= "2020-02-28")
        })
        .count() as i64;
    assert_eq!(n(&ta["start_rate_all"]["numerator"]), by_day);
    let lines = after["projects"].as_array().expect("lines");
    let completed: i64 = lines.iter().map(|l| n(&l["completed"])).sum();
    let plan: i64 = all.iter().map(|p| n(&p["annual_plan"])).sum();
    assert_eq!(n(&ta["investment_rate"]["numerator"]), completed);
    assert_eq!(n(&ta["investment_rate"]["denominator"]), plan);
    // Investment grows through March.
    let march = t
        .get("/api/v1/projects/rates?as_of=2020-03-31", &tok)
        .await
        .json();
    assert!(
        n(&march["total"]["investment_rate"]["numerator"]) > n(&ta["investment_rate"]["numerator"])
    );
    let bad = t.get("/api/v1/projects/rates?as_of=2020-02-30", &tok).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.json()["error"]["fields"]["as_of"].is_string());
}

async fn starts_progress_output_and_shipments_move_the_figures(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    // A 格尔木 project not started yet.
    let project = t
        .count(
            "SELECT MIN(id) FROM major_projects WHERE jurisdiction_code LIKE '632801%' AND actual_start IS NULL",
        )
        .await;
    assert!(project > 0);
    let rates = |d: &'static str| {
        let t = &t;
        let op = op.clone();
        async move {
            t.get(&format!("/api/v1/projects/rates?as_of={d}"), &op)
                .await
                .json()["total"]
                .clone()
        }
    };
    let before = rates("2020-03-10").await;
    let starts = t.audit_count("project.start").await;
    let r = t
        .start_project(project, &op, json!({"actual_start": "2020-03-01"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["project"]["actual_start"], "2020-03-01");
    assert_eq!(r.json()["project"]["status"], "under_way");
    assert_eq!(t.audit_count("project.start").await, starts + 1);
    let after = rates("2020-03-10").await;
    assert_eq!(
        n(&after["start_rate_all"]["numerator"]),
        n(&before["start_rate_all"]["numerator"]) + 1
    );
    // Started twice: refused, named.
    let r = t
        .start_project(project, &op, json!({"actual_start": "2020-03-02"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.json()["error"]["fields"]["actual_start"].is_string());
    // Investment to date moves the completion rate by the amount entered.
    let nine_before = rates("2020-03-09").await;
    let progress = t.audit_count("project.progress").await;
    let r = t
        .report_progress(
            project,
            &op,
            json!({"as_of": "2020-03-10", "completed": 1234, "note": "首批设备进场"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["completed"], 1234);
    let later = rates("2020-03-10").await;
    assert_eq!(
        n(&later["investment_rate"]["numerator"]),
        n(&after["investment_rate"]["numerator"]) + 1234
    );
    assert_eq!(
        later["investment_rate"]["denominator"],
        after["investment_rate"]["denominator"]
    );
    // Not counted before its day.
    assert_eq!(
        rates("2020-03-09").await["investment_rate"],
        nine_before["investment_rate"]
    );
    // A correction of the day replaces the figure; a later figure may not be smaller.
    let r = t
        .report_progress(
            project,
            &op,
            json!({"as_of": "2020-03-10", "completed": 1500}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let corrected = rates("2020-03-10").await;
    assert_eq!(
        n(&corrected["investment_rate"]["numerator"]),
        n(&after["investment_rate"]["numerator"]) + 1500
    );
    let r = t
        .report_progress(
            project,
            &op,
            json!({"as_of": "2020-03-20", "completed": 1000}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field_error("completed").contains("累计"));
    assert_eq!(t.audit_count("project.progress").await, progress + 2);
    let audit = t
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'project.progress' AND detail LIKE '%原 1234%'")
        .await;
    assert_eq!(audit, 1, "the replaced figure is in the audit log");

    // Output of a Qarhan plant on a day, against its capacity.
    let plant = id_of(&t, "key_plants", "察尔汗钾肥一厂").await;
    let prod = |from: &'static str| {
        let t = &t;
        let op = op.clone();
        async move {
            let v = t
                .get(
                    &format!("/api/v1/key-production?as_of=2020-03-13&from={from}"),
                    &op,
                )
                .await
                .json();
            v
        }
    };
    let before = prod("2020-03-01").await;
    let line = |v: &Value| {
        v["plants"]
            .as_array()
            .expect("plants")
            .iter()
            .find(|p| p["id"] == plant)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let old = line(&before);
    let capacity = n(&old["design_capacity"]);
    assert!(
        n(&old["utilisation"]["numerator"]) >= capacity * 95 / 100,
        "Qarhan at full capacity: {old}"
    );
    let liaison = t.token("liaison").await;
    let outputs = t.audit_count("plant.output").await;
    let new_output = capacity - 100;
    let r = t
        .report_output(
            plant,
            &liaison,
            json!({"output_date": "2020-03-13", "output": new_output}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["replaced"], old["day_output"]);
    let after = prod("2020-03-01").await;
    let new = line(&after);
    assert_eq!(n(&new["day_output"]), new_output);
    assert_eq!(n(&new["utilisation"]["numerator"]), new_output);
    assert_eq!(n(&new["utilisation"]["denominator"]), capacity);
    assert_eq!(
        n(&new["period_output"]),
        n(&old["period_output"]) - n(&old["day_output"]) + new_output
    );
    assert_eq!(t.audit_count("plant.output").await, outputs + 1);
    let listed = t
        .get(
            &format!("/api/v1/key-plants/{plant}/output?from=2020-03-13&to=2020-03-13"),
            &liaison,
        )
        .await
        .json();
    assert_eq!(listed.as_array().map(|a| a.len()), Some(1));
    assert_eq!(n(&listed[0]["output"]), new_output);

    // A shipment to 黑龙江 by rail.
    let province = |v: &Value| {
        v["provinces"]
            .as_array()
            .expect("provinces")
            .iter()
            .find(|p| p["province_code"] == "23" && p["product"] == "氯化钾")
            .cloned()
            .unwrap_or(json!({"quantity": 0, "rail": 0}))
    };
    let shipments = t.audit_count("plant.shipment").await;
    let r = t
        .post(
            &format!("/api/v1/key-plants/{plant}/shipments"),
            &liaison,
            json!({"ship_date": "2020-03-13", "province_code": "23", "quantity": 1000, "mode": "rail", "note": "春耕用肥"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["province_name"], "黑龙江省");
    let shipped = prod("2020-03-01").await;
    assert_eq!(
        n(&province(&shipped)["quantity"]),
        n(&province(&after)["quantity"]) + 1000
    );
    assert_eq!(
        n(&province(&shipped)["rail"]),
        n(&province(&after)["rail"]) + 1000
    );
    assert_eq!(
        n(&line(&shipped)["shipped"]),
        n(&line(&after)["shipped"]) + 1000
    );
    assert_eq!(t.audit_count("plant.shipment").await, shipments + 1);
    let list = t
        .get(
            &format!("/api/v1/key-plants/{plant}/shipments?from=2020-03-13"),
            &liaison,
        )
        .await
        .json();
    assert!(list
        .as_array()
        .expect("list")
        .iter()
        .any(|s| s["note"] == "春耕用肥"));
    // The demo's shipments reach the provinces of the report.
    let feb = t
        .get(
            "/api/v1/key-production?as_of=2020-02-29&from=2020-02-01",
            &op,
        )
        .await
        .json();
    let reached: BTreeSet<&str> = feb["provinces"]
        .as_array()
        .expect("provinces")
        .iter()
        .filter_map(|p| p["province_code"].as_str())
        .collect();
    for p in ["23", "22", "41", "37", "45", "53", "65"] {
        assert!(reached.contains(p), "potash to {p}");
    }
    // A leader reads but does not file.
    let leader = t.token("golmud_leader").await;
    let r = t
        .report_output(
            plant,
            &leader,
            json!({"output_date": "2020-03-12", "output": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .report_progress(
            project,
            &liaison,
            json!({"as_of": "2020-03-11", "completed": 1600}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "progress is ledger work");
}

async fn bad_input_is_named_and_nothing_is_written(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let fingerprint = || async {
        vec![
            t.count("SELECT COUNT(*) FROM major_projects").await,
            t.count("SELECT COUNT(*) FROM major_projects WHERE actual_start IS NOT NULL")
                .await,
            t.count("SELECT COUNT(*) FROM project_progress").await,
            t.count("SELECT COUNT(*) FROM key_plants").await,
            t.count("SELECT COUNT(*) FROM plant_output").await,
            t.count("SELECT CAST(SUM(output) AS BIGINT) FROM plant_output")
                .await,
            t.count("SELECT COUNT(*) FROM plant_shipments").await,
            t.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'project.%' OR action LIKE 'plant.%'")
                .await,
        ]
    };
    let before = fingerprint().await;
    let project = |over: Value| {
        let mut v = json!({"name": "格尔木测试公路", "jurisdiction_code": "632801", "category": "transport",
            "total_investment": 10000, "annual_plan": 5000, "planned_start": "2020-04-01"});
        if let (Some(o), Some(m)) = (v.as_object_mut(), over.as_object()) {
            for (k, x) in m {
                o.insert(k.clone(), x.clone());
            }
        }
        v
    };
    let field_of = |r: &common::Resp, field: &str| -> String {
        assert!(
            r.status.is_client_error(),
            "{field}: {} {}",
            r.status,
            r.text
        );
        r.json()["error"]["fields"][field]
            .as_str()
            .unwrap_or_else(|| panic!("no message for {field}: {}", r.text))
            .to_string()
    };
    for (over, field, words) in [
        (json!({"total_investment": -5}), "total_investment", "负数"),
        (json!({"annual_plan": -1}), "annual_plan", "负数"),
        (json!({"annual_plan": 20000}), "annual_plan", "总投资"),
        (
            json!({"planned_start": "2020-02-30"}),
            "planned_start",
            "日期",
        ),
        (json!({"category": "航天"}), "category", "类别"),
        (json!({"name": " "}), "name", "项目名称"),
        (
            json!({"jurisdiction_code": "63280x"}),
            "jurisdiction_code",
            "",
        ),
    ] {
        let r = t.post("/api/v1/projects", &op, project(over)).await;
        let msg = field_of(&r, field);
        assert!(msg.contains(words), "{field}: {msg}");
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
    }
    let road = id_of(&t, "major_projects", ROAD).await;
    let unstarted = t
        .count("SELECT MIN(id) FROM major_projects WHERE jurisdiction_code = '632801' AND actual_start IS NULL")
        .await;
    for (id, body, field, words) in [
        (
            unstarted,
            json!({"actual_start": "2019-12-31"}),
            "actual_start",
            "计划年度",
        ),
        (
            unstarted,
            json!({"actual_start": "2999-01-01"}),
            "actual_start",
            "今天",
        ),
        (
            unstarted,
            json!({"actual_start": "2020/03/01"}),
            "actual_start",
            "日期",
        ),
    ] {
        let r = t.start_project(id, &op, body).await;
        assert!(field_of(&r, field).contains(words), "{}", r.text);
    }
    let r = t
        .start_project(road, &op, json!({"actual_start": "2020-03-01"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(field_of(&r, "actual_start").contains("2020-02-28"));
    for (id, body, field, words) in [
        (
            road,
            json!({"as_of": "2020-02-27", "completed": 10}),
            "as_of",
            "早于实际开工日期",
        ),
        (
            road,
            json!({"as_of": "2020-03-05", "completed": -10}),
            "completed",
            "负数",
        ),
        (
            road,
            json!({"as_of": "2021-01-05", "completed": 10}),
            "as_of",
            "计划年度",
        ),
        (
            road,
            json!({"as_of": "2020-03-05", "completed": 999_999_999}),
            "completed",
            "",
        ),
        (
            unstarted,
            json!({"as_of": "2020-03-05", "completed": 10}),
            "as_of",
            "尚未",
        ),
    ] {
        let r = t.report_progress(id, &op, body).await;
        assert!(field_of(&r, field).contains(words), "{}", r.text);
    }
    let plant = id_of(&t, "key_plants", "察尔汗钾肥二厂").await;
    for (body, field, words) in [
        (
            json!({"output_date": "2020-03-01", "output": -3}),
            "output",
            "负数",
        ),
        (
            json!({"output_date": "2020-03-01", "output": 1_000_000}),
            "output",
            "设计日产能",
        ),
        (
            json!({"output_date": "2020-02-30", "output": 3}),
            "output_date",
            "日期",
        ),
        (
            json!({"output_date": "2999-03-01", "output": 3}),
            "output_date",
            "今天",
        ),
    ] {
        let r = t.report_output(plant, &op, body).await;
        assert!(field_of(&r, field).contains(words), "{}", r.text);
    }
    let ship = |over: Value| {
        let mut v = json!({"ship_date": "2020-03-01", "province_code": "23", "quantity": 100, "mode": "rail"});
        if let (Some(o), Some(m)) = (v.as_object_mut(), over.as_object()) {
            for (k, x) in m {
                o.insert(k.clone(), x.clone());
            }
        }
        v
    };
    for (over, field, words) in [
        (json!({"province_code": "99"}), "province_code", "不存在"),
        (json!({"province_code": "632801"}), "province_code", "两位"),
        (json!({"province_code": "火星"}), "province_code", "省份"),
        (json!({"quantity": -100}), "quantity", "负数"),
        (json!({"quantity": 0}), "quantity", "发运量"),
        (json!({"mode": "air"}), "mode", "运输方式"),
        (json!({"ship_date": "2020-13-01"}), "ship_date", "日期"),
    ] {
        let r = t
            .post(
                &format!("/api/v1/key-plants/{plant}/shipments"),
                &op,
                ship(over),
            )
            .await;
        assert!(field_of(&r, field).contains(words), "{}", r.text);
    }
    let r = t
        .post(
            "/api/v1/key-plants",
            &op,
            json!({"name": "格尔木测试厂", "jurisdiction_code": "632801", "product": "氯化钾", "unit": "吨", "design_capacity": -1}),
        )
        .await;
    assert!(field_of(&r, "design_capacity").contains("负数"));
    let r = t
        .get(
            "/api/v1/key-production?as_of=2020-03-13&from=2020-03-20",
            &op,
        )
        .await;
    assert!(field_of(&r, "from").contains("起始"));
    assert_eq!(fingerprint().await, before, "nothing written");
    // Good input goes through, for contrast.
    let r = t.post("/api/v1/projects", &op, project(json!({}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["project"]["plan_year"], 2020);
    assert_eq!(t.audit_count("project.create").await, 1);
}

async fn a_golmud_user_cannot_reach_delingha(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let dlh_project = t.first_in("major_projects", "632802").await;
    let dlh_plant = t.first_in("key_plants", "632802").await;
    assert!(dlh_project > 0 && dlh_plant > 0);
    let before = (
        t.count("SELECT COUNT(*) FROM project_progress").await,
        t.count("SELECT COUNT(*) FROM plant_output").await,
        t.count("SELECT COUNT(*) FROM plant_shipments").await,
        t.count(&format!(
            "SELECT COUNT(*) FROM major_projects WHERE id = {dlh_project} AND actual_start IS NOT NULL"
        ))
        .await,
    );
    let list = t.get("/api/v1/projects?year=2020", &op).await.json();
    assert!(!list.as_array().expect("list").is_empty());
    assert!(common::all_within(&list, "632801"));
    let plants = t.get("/api/v1/key-plants", &op).await.json();
    assert!(plants
        .as_array()
        .expect("plants")
        .iter()
        .all(|p| p["jurisdiction_code"] == "632801"));
    let rates = t
        .get("/api/v1/projects/rates?as_of=2020-03-13", &op)
        .await
        .json();
    assert_eq!(rates["counties"].as_array().map(|c| c.len()), Some(1));
    assert!(!rates.to_string().contains("632802"));
    let prod = t.get("/api/v1/key-production?as_of=2020-03-13", &op).await;
    assert!(!prod.text.contains("632802") && !prod.text.contains("纯碱"));
    for (method, path, body) in [
        ("GET", format!("/api/v1/projects/{dlh_project}"), None),
        (
            "POST",
            format!("/api/v1/projects/{dlh_project}/start"),
            Some(json!({"actual_start": "2020-03-01"})),
        ),
        (
            "POST",
            format!("/api/v1/projects/{dlh_project}/progress"),
            Some(json!({"as_of": "2020-03-30", "completed": 99999})),
        ),
        ("GET", format!("/api/v1/key-plants/{dlh_plant}"), None),
        (
            "GET",
            format!("/api/v1/key-plants/{dlh_plant}/output"),
            None,
        ),
        (
            "POST",
            format!("/api/v1/key-plants/{dlh_plant}/output"),
            Some(json!({"output_date": "2020-03-13", "output": 1})),
        ),
        (
            "GET",
            format!("/api/v1/key-plants/{dlh_plant}/shipments"),
            None,
        ),
        (
            "POST",
            format!("/api/v1/key-plants/{dlh_plant}/shipments"),
            Some(
                json!({"ship_date": "2020-03-13", "province_code": "23", "quantity": 1, "mode": "rail"}),
            ),
        ),
        (
            "POST",
            "/api/v1/projects".to_string(),
            Some(
                json!({"name": "越权项目", "jurisdiction_code": "632802", "category": "energy",
                "total_investment": 1, "annual_plan": 1, "planned_start": "2020-04-01"}),
            ),
        ),
        (
            "POST",
            "/api/v1/key-plants".to_string(),
            Some(
                json!({"name": "越权厂", "jurisdiction_code": "632802", "product": "纯碱", "unit": "吨", "design_capacity": 1}),
            ),
        ),
    ] {
        let r = t.call(method, &path, Some(&op), body).await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            r.text
        );
        assert!(!r.text.contains("德令哈"), "{}", r.text);
    }
    let after = (
        t.count("SELECT COUNT(*) FROM project_progress").await,
        t.count("SELECT COUNT(*) FROM plant_output").await,
        t.count("SELECT COUNT(*) FROM plant_shipments").await,
        t.count(&format!(
            "SELECT COUNT(*) FROM major_projects WHERE id = {dlh_project} AND actual_start IS NOT NULL"
        ))
        .await,
    );
    assert_eq!(after, before);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM major_projects WHERE name = '越权项目'")
            .await,
        0
    );
}

async fn the_pages_show_the_rates_and_take_the_forms(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "haixi_leader").await;
    let mut leader = t.browser("haixi_leader").await;
    let res = leader.get("/resumption?as_of=2020-02-27").await;
    assert!(
        res.text.contains(r#"href="/projects""#) && res.text.contains(r#"href="/key-production""#)
    );
    for day in ["2020-02-27", "2020-02-28"] {
        let api = t
            .get(&format!("/api/v1/projects/rates?as_of={day}"), &tok)
            .await
            .json();
        let all = &api["total"]["start_rate_all"];
        let parts = format!("{}/{}", all["numerator"], all["denominator"]);
        let page = leader.page(&format!("/projects?as_of={day}")).await;
        assert!(
            page.text
                .contains(&format!(r#"id="start-all-parts">{parts}<"#)),
            "{day}: {parts}"
        );
        assert!(page.text.contains(ROAD));
    }
    assert_eq!(
        leader.get("/projects?as_of=2020-02-31").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let prod = leader
        .page("/key-production?as_of=2020-02-27&from=2020-02-01")
        .await;
    for word in [
        "察尔汗钾肥一厂",
        "黑龙江省",
        "云南省",
        "纯碱",
        "按目的地省份发运",
    ] {
        assert!(prod.text.contains(word), "{word}");
    }

    // The operator of 格尔木 starts a project and enters its investment on the page.
    let id = t
        .count("SELECT MIN(id) FROM major_projects WHERE jurisdiction_code = '632801' AND actual_start IS NULL")
        .await;
    let mut op = t.browser("golmud_operator").await;
    let page = op.get(&format!("/projects/{id}")).await;
    assert!(page.text.contains("登记开工") || page.text.contains("登记复工"));
    let r = op
        .post(
            &format!("/projects/{id}/start"),
            &[("actual_start", "2019-06-01")],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("计划年度"));
    let r = op
        .post(
            &format!("/projects/{id}/start"),
            &[("actual_start", "2020-03-02")],
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no CSRF token");
    let r = op
        .submit(
            &format!("/projects/{id}/start"),
            &[("actual_start", "2020-03-02")],
        )
        .await;
    let page = op.get(&r.location()).await;
    assert!(page.text.contains("已登记开工") && page.text.contains("2020-03-02"));
    assert!(page.text.contains("填报投资进度"));
    let r = op
        .post(
            &format!("/projects/{id}/progress"),
            &[("as_of", "2020-03-12"), ("completed", "-5")],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("负数"));
    let r = op
        .submit(
            &format!("/projects/{id}/progress"),
            &[
                ("as_of", "2020-03-12"),
                ("completed", "800"),
                ("note", "路基施工"),
            ],
        )
        .await;
    assert!(op.get(&r.location()).await.text.contains("路基施工"));

    // The liaison files a plant's output and a shipment from a phone.
    let plant = id_of(&t, "key_plants", "察尔汗钾肥三厂").await;
    let mut liaison = t.browser("liaison").await;
    let page = liaison.get(&format!("/key-plants/{plant}")).await;
    assert!(page.text.contains("填报日产量") && page.text.contains("登记发运"));
    let r = liaison
        .post(
            &format!("/key-plants/{plant}/shipments"),
            &[
                ("ship_date", "2020-03-13"),
                ("province_code", "99"),
                ("quantity", "300"),
                ("mode", "rail"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("省级区划代码"));
    let before = t.count("SELECT COUNT(*) FROM plant_shipments").await;
    liaison
        .submit(
            &format!("/key-plants/{plant}/shipments"),
            &[
                ("ship_date", "2020-03-13"),
                ("province_code", "45"),
                ("quantity", "300"),
                ("mode", "rail"),
            ],
        )
        .await;
    assert_eq!(
        t.count("SELECT COUNT(*) FROM plant_shipments").await,
        before + 1
    );
    let r = liaison
        .submit(
            &format!("/key-plants/{plant}/output"),
            &[("output_date", "2020-03-13"), ("output", "4400")],
        )
        .await;
    assert!(liaison
        .get(&r.location())
        .await
        .text
        .contains("日产量已填报"));

    // Another county's records are not found; a leader has no forms.
    let dlh = t.first_in("major_projects", "632802").await;
    assert_eq!(
        op.get(&format!("/projects/{dlh}")).await.status,
        StatusCode::NOT_FOUND
    );
    let mut gm = t.browser("golmud_leader").await;
    assert!(!gm
        .get(&format!("/key-plants/{plant}"))
        .await
        .text
        .contains("填报日产量"));
}

on_both_engines!(
    the_roads_start_moves_the_start_rate,
    starts_progress_output_and_shipments_move_the_figures,
    bad_input_is_named_and_nothing_is_written,
    a_golmud_user_cannot_reach_delingha,
    the_pages_show_the_rates_and_take_the_forms,
);
