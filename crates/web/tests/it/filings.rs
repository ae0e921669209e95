//! 复工备案 and late or missing daily reports, through the API and the pages: a filing
//! approved only with the five checks in place, returned with a reason and filed again, decided
//! once; reports counted on time, late or missing against the due hour.

use crate::common;

use axum::http::StatusCode;
use chrono::{DateTime, TimeZone, Utc};
use common::{credit_code, TestApp};
use dualtrack_testkit::{on_both_engines, Engine};
use dualtrack_web::{AppState, WebConfig};
use serde_json::{json, Value};

/// Registers an above-size enterprise in a county (as that county's operator); its id.
async fn new_enterprise(t: &TestApp, operator: &str, county: &str, n: u32, phone: &str) -> i64 {
    let token = t.token(operator).await;
    let first17 = format!("91{county}MA7Q{n:03}XY");
    let code = credit_code(&first17);
    t.created("/api/v1/enterprises", &token, json!({"name": format!("备案测试企业{n}有限公司"), "credit_code": code, "jurisdiction_code": county,
                "industry_section": "C", "above_size": true, "normal_headcount": 200, "normal_output": 1000,
                "output_unit": "吨/日", "contact_name": "张联络", "contact_phone": phone})).await
}

fn filing(all_checks: bool) -> Value {
    json!({
        "planned_on": "2020-02-20",
        "prevention_plan": "成立防控工作组，返岗员工逐人排查，储备口罩与消毒液，错峰就餐，每日测温消毒，开展防护培训。",
        "employees_planned": 120,
        "check_mechanism": true,
        "check_screening": all_checks,
        "check_screening_note": if all_checks { "台账已建立" } else { "外地员工尚在排查" },
        "check_supplies": true,
        "check_management": true,
        "check_publicity": true,
    })
}

async fn a_filing_is_approved_once_with_its_audit_rows(engine: Engine) {
    let t = TestApp::new(engine).await;
    let id = new_enterprise(&t, "golmud_operator", "632801", 1, "13897001111").await;
    let liaison = t.token("liaison").await;
    let operator = t.token("golmud_operator").await;
    let submitted = t.audit_count("filing.submit").await;
    let approved = t.audit_count("filing.approve").await;
    let returned = t.audit_count("filing.return").await;

    let r = t.file_filing(id, &liaison, filing(true)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let f = r.json();
    let fid = f["id"].as_i64().expect("id");
    assert_eq!(f["status"], "submitted");
    assert_eq!(f["round"], 1);
    assert_eq!(f["all_checks_done"], true);
    assert_eq!(f["checks"].as_array().map(|c| c.len()), Some(5));
    assert_eq!(f["created_by"], "liaison");
    assert_eq!(t.audit_count("filing.submit").await, submitted + 1);

    // Waiting: in the county's queue, counted.
    let q = t
        .get("/api/v1/filings?status=submitted", &operator)
        .await
        .json();
    assert!(q["filings"]
        .as_array()
        .expect("list")
        .iter()
        .any(|x| x["id"] == fid));
    let waiting_before = q["counts"]["submitted"].as_i64().expect("count");

    // Filing again while one waits is a clash.
    let again = t.file_filing(id, &liaison, filing(true)).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);

    // The liaison files but does not decide.
    let r = t.approve_filing(fid, &liaison, json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

    let r = t
        .approve_filing(fid, &operator, json!({"note": "同意"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let f = r.json();
    assert_eq!(f["status"], "approved");
    assert_eq!(f["decided_by"], "golmud_operator");
    assert!(f["decided_at"].is_string());
    assert_eq!(t.audit_count("filing.approve").await, approved + 1);
    let rows = t
        .count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'filing.approve' AND target_id = '{fid}' \
             AND username = 'golmud_operator' AND jurisdiction_code = '632801' AND outcome = 'success'"
        ))
        .await;
    assert_eq!(rows, 1);

    // Decided once: a second decision, either way, is a clash and changes nothing.
    for (path, body) in [
        (format!("/api/v1/filings/{fid}/approve"), json!({})),
        (
            format!("/api/v1/filings/{fid}/return"),
            json!({"reason": "再退回"}),
        ),
    ] {
        let r = t.post(&path, &operator, body).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{path}: {}", r.text);
        assert_eq!(r.json()["error"]["code"], "conflict");
    }
    assert_eq!(t.audit_count("filing.approve").await, approved + 1);
    assert_eq!(t.audit_count("filing.return").await, returned);
    let q = t
        .get("/api/v1/filings?status=submitted", &operator)
        .await
        .json();
    assert_eq!(q["counts"]["submitted"].as_i64(), Some(waiting_before - 1));
    // Approved: no new filing while it stands.
    let again = t.file_filing(id, &liaison, filing(true)).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    let bad = t.get("/api/v1/filings?status=pending", &operator).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn a_missing_check_blocks_approval_and_a_return_needs_a_reason(engine: Engine) {
    let t = TestApp::new(engine).await;
    let id = new_enterprise(&t, "golmud_operator", "632801", 2, "13897002222").await;
    let liaison = t.token("liaison").await;
    let operator = t.token("golmud_operator").await;
    let r = t.file_filing(id, &liaison, filing(false)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let first = r.json()["id"].as_i64().expect("id");
    assert_eq!(r.json()["all_checks_done"], false);

    let approved = t.audit_count("filing.approve").await;
    let r = t.approve_filing(first, &operator, json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let err = r.json()["error"].clone();
    assert!(
        err["fields"]["check_screening"].is_string(),
        "names the field: {err}"
    );
    assert!(
        err["message"]
            .as_str()
            .unwrap_or("")
            .contains("员工排查到位"),
        "{err}"
    );
    assert_eq!(t.audit_count("filing.approve").await, approved);

    // A return without a reason is refused.
    let returned = t.audit_count("filing.return").await;
    for body in [json!({}), json!({"reason": "   "})] {
        let r = t.return_filing(first, &operator, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.json()["error"]["fields"]["reason"].is_string());
    }
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM resumption_filings WHERE id = {first} AND status = 'submitted'"
        ))
        .await,
        1
    );
    let r = t
        .return_filing(first, &operator, json!({"reason": "员工排查台账不全"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["status"], "returned");
    assert_eq!(r.json()["decision_note"], "员工排查台账不全");
    assert_eq!(t.audit_count("filing.return").await, returned + 1);

    // Filed again: a new round, the returned one kept.
    let r = t.file_filing(id, &liaison, filing(true)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let second = r.json();
    assert_eq!(second["round"], 2);
    assert_eq!(second["previous_id"].as_i64(), Some(first));
    let rounds = t
        .get(&format!("/api/v1/enterprises/{id}/filings"), &liaison)
        .await
        .json();
    let statuses = common::each_str(&rounds, "status");
    assert_eq!(statuses, vec!["submitted", "returned"]);
    let sid = second["id"].as_i64().expect("id");
    let r = t.approve_filing(sid, &operator, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(t.audit_count("filing.approve").await, approved + 1);

    // Bad input is named.
    let other = new_enterprise(&t, "golmud_operator", "632801", 3, "13897003333").await;
    for (field, body) in [
        (
            "planned_on",
            json!({"planned_on": "2020-02-30", "prevention_plan": "防控方案写得足够长的一段文字", "employees_planned": 5}),
        ),
        (
            "prevention_plan",
            json!({"planned_on": "2020-02-20", "prevention_plan": "太短", "employees_planned": 5}),
        ),
        (
            "employees_planned",
            json!({"planned_on": "2020-02-20", "prevention_plan": "防控方案写得足够长的一段文字", "employees_planned": 0}),
        ),
    ] {
        let r = t.file_filing(other, &liaison, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.json()["error"]["fields"][field].is_string(), "{}", r.text);
    }
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM resumption_filings WHERE enterprise_id = {other}"
        ))
        .await,
        0
    );
}

async fn a_golmud_user_cannot_reach_delingha_filings(engine: Engine) {
    let t = TestApp::new(engine).await;
    let dl = new_enterprise(&t, "delingha_operator", "632802", 4, "13897004444").await;
    let dl_token = t.token("delingha_operator").await;
    let fid = t
        .created(
            &format!("/api/v1/enterprises/{dl}/filings"),
            &dl_token,
            filing(true),
        )
        .await;

    let gm = t.token("golmud_operator").await;
    let denied = t.audit_count("auth.denied").await;
    let r = t
        .get(&format!("/api/v1/enterprises/{dl}/filings"), &gm)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    for (path, body) in [
        (format!("/api/v1/filings/{fid}/approve"), json!({})),
        (
            format!("/api/v1/filings/{fid}/return"),
            json!({"reason": "越权"}),
        ),
        (format!("/api/v1/enterprises/{dl}/filings"), filing(true)),
    ] {
        let r = t.post(&path, &gm, body).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
        assert!(!r.text.contains("备案测试企业4"), "{}", r.text);
    }
    assert!(t.audit_count("auth.denied").await >= denied + 4);
    for status in ["", "submitted", "approved", "returned"] {
        let list = t
            .get_ok(&format!("/api/v1/filings?status={status}"), &gm)
            .await;
        for f in list.json()["filings"].as_array().expect("list") {
            assert!(
                f["jurisdiction_code"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("632801"),
                "{f}"
            );
        }
    }
    let list = t.get("/api/v1/filings", &gm).await.json();
    let all: i64 = ["submitted", "approved", "returned"]
        .iter()
        .map(|s| list["counts"][s].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(
        all,
        t.count("SELECT COUNT(*) FROM resumption_filings WHERE jurisdiction_code LIKE '632801%'")
            .await,
        "counts are of the county only"
    );
    // Nothing changed; 德令哈 decides its own.
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM resumption_filings WHERE id = {fid} AND status = 'submitted'"
        ))
        .await,
        1
    );
    let r = t.approve_filing(fid, &dl_token, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

/// The day-D report filed at an instant, set directly (the API files at the present time).
async fn set_filed_at(t: &TestApp, enterprise: i64, day: &str, at: DateTime<Utc>) {
    let day = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").expect("date");
    dualtrack_store::on_db!(&t.db.db, p => sqlx::query(
        "UPDATE daily_reports SET filed_at = $1 WHERE enterprise_id = $2 AND report_date = $3")
        .bind(at).bind(enterprise).bind(day).execute(p).await.expect("update").rows_affected());
}

fn in_list(v: &Value, list: &str, id: i64) -> bool {
    v[list]
        .as_array()
        .expect("list")
        .iter()
        .any(|e| e["enterprise_id"] == id)
}

async fn late_and_missing_reports_are_counted(engine: Engine) {
    let t = TestApp::new(engine).await;
    // A day after the demo's reports: every counted enterprise is missing.
    let day = "2020-03-20";
    let expected_gm = t
        .count(
            "SELECT COUNT(*) FROM enterprises e WHERE e.above_size AND e.jurisdiction_code LIKE '632801%' \
             AND NOT EXISTS (SELECT 1 FROM enterprise_exclusions x WHERE x.enterprise_id = e.id \
               AND x.from_on <= '2020-03-20' AND (x.until_on IS NULL OR x.until_on >= '2020-03-20'))",
        )
        .await;
    let id = new_enterprise(&t, "golmud_operator", "632801", 5, "13897005555").await;
    let expected_gm = expected_gm + 1;
    let leader = t.token("golmud_leader").await;
    let url = format!("/api/v1/resumption/punctuality?date={day}");
    let r = t.get_ok(&url, &leader).await;
    let v = r.json();
    assert_eq!(v["due_hour"], 12);
    assert_eq!(v["deadline_local"], "2020-03-21 12:00");
    assert_eq!(v["deadline_passed"], true);
    assert_eq!(v["total"]["expected"].as_i64(), Some(expected_gm));
    assert_eq!(v["total"]["missing"].as_i64(), Some(expected_gm));
    assert_eq!(v["total"]["late"], 0);
    assert_eq!(v["counties"].as_array().map(|c| c.len()), Some(1));
    assert!(in_list(&v, "missing", id));
    let mine = v["missing"]
        .as_array()
        .expect("list")
        .iter()
        .find(|e| e["enterprise_id"] == id)
        .cloned()
        .expect("listed");
    assert_eq!(mine["contact_name"], "张联络");
    assert_eq!(mine["contact_phone"], "138****5555", "phone masked");
    assert!(!r.text.contains("13897005555"));

    // Filed now, long after the deadline: late, and off the missing list.
    let liaison = t.token("liaison").await;
    let r = t
        .report_daily(
            id,
            &liaison,
            json!({"report_date": day, "status": "resumed", "on_duty": 150, "checks_passed": 5}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let v = t.get(&url, &leader).await.json();
    assert_eq!(v["total"]["late"], 1);
    assert_eq!(v["total"]["missing"].as_i64(), Some(expected_gm - 1));
    assert!(!in_list(&v, "missing", id));
    assert!(in_list(&v, "late", id));
    assert!(v["late"][0]["minutes_late"].as_i64() > Some(0));

    // Filed at 11:00 China time the next day: on time by noon, late by ten.
    set_filed_at(
        &t,
        id,
        day,
        Utc.with_ymd_and_hms(2020, 3, 21, 3, 0, 0)
            .single()
            .expect("valid"),
    )
    .await;
    let v = t.get(&url, &leader).await.json();
    assert_eq!(v["total"]["on_time"], 1);
    assert_eq!(v["total"]["late"], 0);
    let early = TestApp {
        router: dualtrack_web::router(AppState::new(
            t.app.clone().with_report_due_hour(10),
            WebConfig::default(),
        )),
        app: t.app.clone().with_report_due_hour(10),
        db: t.db,
    };
    let leader = early.token("golmud_leader").await;
    let v = early.get(&url, &leader).await.json();
    assert_eq!(v["due_hour"], 10);
    assert_eq!(v["deadline_local"], "2020-03-21 10:00");
    assert_eq!(v["total"]["on_time"], 0);
    assert_eq!(v["total"]["late"], 1);
    assert!(in_list(&v, "late", id));

    // The prefecture sees every county, and who is missing in it.
    let haixi = early.token("haixi_leader").await;
    let v = early
        .get("/api/v1/resumption/punctuality?date=2020-02-27", &haixi)
        .await
        .json();
    let counted = early
        .count(
            "SELECT COUNT(*) FROM enterprises e WHERE e.above_size AND NOT EXISTS (SELECT 1 FROM enterprise_exclusions x \
             WHERE x.enterprise_id = e.id AND x.from_on <= '2020-02-27' AND (x.until_on IS NULL OR x.until_on >= '2020-02-27'))",
        )
        .await;
    assert_eq!(v["total"]["expected"].as_i64(), Some(counted));
    // Some of the demo's liaisons missed that day; the one registered above did too.
    let silent = early
        .count(
            "SELECT COUNT(*) FROM enterprises e WHERE e.above_size AND NOT EXISTS (SELECT 1 FROM daily_reports r              WHERE r.enterprise_id = e.id AND r.report_date = '2020-02-27') AND NOT EXISTS (SELECT 1 FROM enterprise_exclusions x              WHERE x.enterprise_id = e.id AND x.from_on <= '2020-02-27' AND (x.until_on IS NULL OR x.until_on >= '2020-02-27'))",
        )
        .await;
    assert!(silent >= 1);
    assert_eq!(v["total"]["missing"].as_i64(), Some(silent));
    assert!(in_list(&v, "missing", id));
    assert!(v["counties"].as_array().map(|c| c.len()) > Some(1));
    let bad = early
        .get("/api/v1/resumption/punctuality?date=2020-02-30", &haixi)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.json()["error"]["fields"]["date"].is_string());
}

async fn the_pages_file_decide_and_show_the_late(engine: Engine) {
    let t = TestApp::new(engine).await;
    let id = new_enterprise(&t, "golmud_operator", "632801", 6, "13897006666").await;
    let mut liaison = t.browser("liaison").await;
    let e = liaison.get(&format!("/enterprises/{id}")).await;
    assert!(e
        .text
        .contains(&format!("href=\"/enterprises/{id}/filing\"")));
    let page = liaison.page(&format!("/enterprises/{id}/filing")).await;
    assert!(page.text.contains("五个到位") && page.text.contains("员工排查到位"));
    // One check left unticked.
    liaison
        .submit(
            &format!("/enterprises/{id}/filing"),
            &[
                ("planned_on", "2020-02-20"),
                ("employees_planned", "80"),
                (
                    "prevention_plan",
                    "成立防控工作组，返岗员工逐人排查，储备口罩与消毒液。",
                ),
                ("check_mechanism", "on"),
                ("check_screening", "on"),
                ("check_supplies", "on"),
                ("check_management", "on"),
                ("check_publicity_note", "培训下周进行"),
            ],
        )
        .await;
    let fid = t
        .count(&format!(
            "SELECT MAX(id) FROM resumption_filings WHERE enterprise_id = {id}"
        ))
        .await;
    let mut op = t.browser("golmud_operator").await;
    let queue = op.page("/filings").await;
    assert!(queue.text.contains(&format!("filing-{fid}")), "waiting");
    let r = op.post(&format!("/filings/{fid}/approve"), &[], true).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("宣传教育到位"), "{}", r.text);
    op.submit(
        &format!("/filings/{fid}/return"),
        &[("reason", "宣传教育未到位")],
    )
    .await;
    // The liaison sees the reason and the form refilled to send again.
    let page = liaison.get(&format!("/enterprises/{id}/filing")).await;
    assert!(page.text.contains("宣传教育未到位") && page.text.contains("重新提交"));
    assert!(page.text.contains("培训下周进行"), "refilled");

    let resumption = op.get("/resumption").await;
    assert!(
        resumption.text.contains("href=\"/filings\"")
            && resumption.text.contains("href=\"/resumption/punctuality\"")
    );
    let p = op.page("/resumption/punctuality?date=2020-03-20").await;
    assert!(p.text.contains("备案测试企业6有限公司") && p.text.contains("138****6666"));
    assert!(!p.text.contains("13897006666"));
    let p = op.get("/resumption/punctuality?date=bad").await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
}

on_both_engines!(
    a_filing_is_approved_once_with_its_audit_rows,
    a_missing_check_blocks_approval_and_a_return_needs_a_reason,
    a_golmud_user_cannot_reach_delingha_filings,
    late_and_missing_reports_are_counted,
    the_pages_file_decide_and_show_the_late,
);
