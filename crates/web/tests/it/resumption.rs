//! The resumption track through the API: the demo's 163 enterprises and 73.1% as of
//! 2020-02-27, reports that move the rate, corrections that keep earlier versions.

use crate::common;

use axum::http::StatusCode;
use common::{credit_code, TestApp};
use dualtrack_domain::resumption::credit_check_char;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::json;

async fn the_report_rate_comes_out_of_the_records(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "haixi_leader").await;
    let r = t
        .get_ok("/api/v1/resumption/rates?as_of=2020-02-27", &tok)
        .await;
    let total = r.json()["total"].clone();
    assert_eq!(total["registered"], 163);
    assert_eq!(total["excluded"], 3);
    assert_eq!(total["resumption"]["denominator"], 160);
    assert_eq!(total["resumption"]["numerator"], 117);
    assert_eq!(total["resumption"]["percent"], 73.1);
    let counties = r.json()["counties"]
        .as_array()
        .map(|c| c.len())
        .unwrap_or(0);
    assert_eq!(counties, 7, "counties side by side");
    // Earlier fewer, later more.
    let early = t
        .get("/api/v1/resumption/rates?as_of=2020-02-10", &tok)
        .await
        .json();
    assert!(early["total"]["resumption"]["numerator"].as_i64() < Some(117));
    let late = t
        .get("/api/v1/resumption/rates?as_of=2020-03-13", &tok)
        .await
        .json();
    assert!(late["total"]["resumption"]["numerator"].as_i64() > Some(117));
    // A county leader sees its county only.
    let gm = t.token("golmud_leader").await;
    let g = t
        .get("/api/v1/resumption/rates?as_of=2020-02-27", &gm)
        .await
        .json();
    assert_eq!(g["counties"].as_array().map(|c| c.len()), Some(1));
    assert_eq!(g["counties"][0]["code"], "632801");
    let bad = t
        .get("/api/v1/resumption/rates?as_of=2020-02-30", &tok)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn a_filed_report_moves_the_rate_and_a_correction_keeps_the_first(engine: Engine) {
    let (t, liaison) = TestApp::as_user(engine, "liaison").await;
    // An enterprise of 格尔木 not yet resumed on 2020-02-27.
    let id = t
        .count(
            "SELECT MIN(e.id) FROM enterprises e JOIN daily_reports r ON r.enterprise_id = e.id \
             WHERE e.jurisdiction_code = '632801' AND r.report_date = '2020-02-27' AND r.status = 'not_resumed' \
             AND NOT EXISTS (SELECT 1 FROM enterprise_exclusions x WHERE x.enterprise_id = e.id)",
        )
        .await;
    assert!(id > 0, "a Golmud enterprise not resumed on 02-27");
    let leader = t.token("golmud_leader").await;
    let before = t
        .get("/api/v1/resumption/rates?as_of=2020-02-27", &leader)
        .await
        .json()["total"]["resumption"]
        .clone();
    let report = |status: &str| json!({"report_date": "2020-02-27", "status": status, "confirm_implausible": true, "on_duty": 120, "checks_passed": 5, "output": 300});
    let r = t.report_daily(id, &liaison, report("resumed")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        r.json()["version"],
        2,
        "the demo's report was the first version"
    );
    let after = t
        .get("/api/v1/resumption/rates?as_of=2020-02-27", &leader)
        .await
        .json()["total"]["resumption"]
        .clone();
    assert_eq!(
        after["numerator"].as_i64(),
        before["numerator"].as_i64().map(|n| n + 1)
    );
    assert_eq!(after["denominator"], before["denominator"]);
    // A correction back: the rate returns, every version is kept.
    t.report_daily(id, &liaison, report("not_resumed")).await;
    let again = t
        .get("/api/v1/resumption/rates?as_of=2020-02-27", &leader)
        .await
        .json()["total"]["resumption"]
        .clone();
    assert_eq!(again["numerator"], before["numerator"]);
    let versions = t
        .get(&format!("/api/v1/enterprises/{id}/reports"), &liaison)
        .await
        .json();
    let of_day: Vec<_> = versions
        .as_array()
        .expect("list")
        .iter()
        .filter(|r| r["report_date"] == "2020-02-27")
        .collect();
    assert_eq!(of_day.len(), 3);
    assert_eq!(of_day.iter().filter(|r| r["is_current"] == true).count(), 1);
    // Bad reports are named.
    let r = t
        .report_daily(
            id,
            &liaison,
            json!({"report_date": "2020-02-27", "status": "open", "confirm_implausible": true, "on_duty": 1}),
        )
        .await;
    assert!(r.json()["error"]["fields"]["status"].is_string());
    let r = t
        .report_daily(
            id,
            &liaison,
            json!({"report_date": "2020-02-27", "status": "resumed", "confirm_implausible": true, "on_duty": -1}),
        )
        .await;
    assert!(r.json()["error"]["fields"]["on_duty"].is_string());
    assert!(t.audit_count("report.file").await >= 2);
}

async fn the_registry_checks_codes_and_audits_exclusions(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let first17 = "91632801MA7Q2X0A1";
    let check = credit_check_char(first17).expect("check");
    let wrong = if check == '0' { '1' } else { '0' };
    let body = |code: String| {
        json!({"name": "格尔木测试钾肥有限公司", "credit_code": code, "jurisdiction_code": "632801", "industry_section": "B",
            "industry_division": "10", "above_size": true, "normal_headcount": 300, "normal_output": 800, "output_unit": "吨/日",
            "contact_phone": "13897001234"})
    };
    let r = t
        .post(
            "/api/v1/enterprises",
            &op,
            body(format!("{first17}{wrong}")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(
        r.json()["credit_warning"].is_string(),
        "a failing check is accepted with a warning"
    );
    assert_eq!(r.json()["contact_phone"], "138****1234");
    let r = t
        .post(
            "/api/v1/enterprises",
            &op,
            body(format!("{first17}{wrong}")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = t
        .post("/api/v1/enterprises", &op, body("9163280".into()))
        .await;
    assert!(r.field_error("credit_code").contains("18 位"));
    let r = t
        .post(
            "/api/v1/enterprises",
            &op,
            body(format!("{first17}{check}")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(r.json()["credit_warning"].is_null());
    let id = r.json()["id"].as_i64().expect("id");
    let leader = t.token("golmud_leader").await;
    let before = t
        .get("/api/v1/resumption/rates?as_of=2020-02-27", &leader)
        .await
        .json()["total"]
        .clone();
    let r = t
        .post(
            &format!("/api/v1/enterprises/{id}/exclusions"),
            &op,
            json!({"reason": "seasonal", "from_on": "2020-01-01", "note": "冬季停产"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let after = t
        .get("/api/v1/resumption/rates?as_of=2020-02-27", &leader)
        .await
        .json()["total"]
        .clone();
    assert_eq!(
        after["excluded"].as_i64(),
        before["excluded"].as_i64().map(|n| n + 1)
    );
    assert_eq!(
        after["resumption"]["denominator"].as_i64(),
        before["resumption"]["denominator"].as_i64().map(|n| n - 1),
        "an excluded enterprise leaves the denominator"
    );
    assert_eq!(t.audit_count("enterprise.exclude").await, 1);
    // Leaders read, they do not register.
    assert_eq!(
        t.post("/api/v1/enterprises", &leader, body("x".into()))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

async fn the_pages_show_the_rate_and_take_the_liaisons_report(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut leader = t.browser("haixi_leader").await;
    let page = leader.page("/resumption?as_of=2020-02-27").await;
    assert!(
        page.text.contains("73.1%") && page.text.contains("117/160"),
        "the report's rate on the page"
    );
    assert!(page.text.contains("不计入 3 家"));
    let bad = leader.get("/resumption?as_of=2020-13-01").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let id = t
        .count("SELECT MIN(id) FROM enterprises WHERE jurisdiction_code = '632801'")
        .await;
    let mut liaison = t.browser("liaison").await;
    let page = liaison.get(&format!("/enterprises/{id}")).await;
    assert!(page.text.contains("填报日报"));
    let fields = [
        ("report_date", "2020-02-27"),
        ("status", "resumed"),
        ("on_duty", "-1"),
    ];
    let r = liaison
        .post(&format!("/enterprises/{id}/reports"), &fields, true)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("在岗人数"));
    let fields = [
        ("report_date", "2020-02-27"),
        ("status", "resumed"),
        ("on_duty", "90"),
        ("confirm_implausible", "1"),
    ];
    let r = liaison
        .post(&format!("/enterprises/{id}/reports"), &fields, false)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = liaison
        .submit(&format!("/enterprises/{id}/reports"), &fields)
        .await;
    assert!(liaison.get(&r.location()).await.text.contains("日报已提交"));
    // A leader reads but has no form; another county's enterprise is not found.
    let mut gm = t.browser("golmud_leader").await;
    assert!(!gm
        .get(&format!("/enterprises/{id}"))
        .await
        .text
        .contains("填报日报"));
    let dlh = t.first_in("enterprises", "632802").await;
    assert_eq!(
        gm.get(&format!("/enterprises/{dlh}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        liaison
            .post(&format!("/enterprises/{dlh}/reports"), &fields, true)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// An enterprise read through the API and sent back as it came is accepted (under a new
/// credit code and name, since those are unique, and without the phone, which comes
/// masked): what the API writes, it reads.
async fn an_enterprise_read_through_the_api_is_accepted_back(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let id = t
        .count("SELECT MIN(id) FROM enterprises WHERE jurisdiction_code = '632801'")
        .await;
    let r = t.get_ok(&format!("/api/v1/enterprises/{id}"), &op).await;
    let read = r.json();
    let mut back = read.clone();
    let first17 = "91632801MA7R3T0B2";
    back["credit_code"] = json!(credit_code(first17));
    back["name"] = json!("格尔木往返测试有限公司");
    back["contact_phone"] = serde_json::Value::Null;
    let r = t.post("/api/v1/enterprises", &op, back).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["industry_section"], read["industry_section"]);
    assert_eq!(r.json()["industry_division"], read["industry_division"]);
}

/// Reports of one enterprise and day filed at the same moment (a retry racing the request
/// it retries, two liaisons) are all taken, each as the next version.
async fn reports_filed_at_once_each_become_the_next_version(engine: Engine) {
    let (t, liaison) = TestApp::as_user(engine, "liaison").await;
    let id = t
        .count("SELECT MIN(id) FROM enterprises WHERE jurisdiction_code = '632801'")
        .await;
    let before = t
        .count(&format!(
            "SELECT COALESCE(MAX(version), 0) FROM daily_reports WHERE enterprise_id = {id} AND report_date = '2020-02-27'"
        ))
        .await;
    let path = format!("/api/v1/enterprises/{id}/reports");
    let filings: Vec<_> = (0..8)
        .map(|n| {
            let body = json!({"report_date": "2020-02-27", "status": "resumed", "confirm_implausible": true, "on_duty": 100 + n, "checks_passed": 5, "output": 300});
            let req = axum::http::Request::builder()
                .method("POST")
                .uri(&path)
                .header("authorization", format!("Bearer {liaison}"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body.to_string()))
                .expect("request");
            tokio::spawn(tower::ServiceExt::oneshot(t.router.clone(), req))
        })
        .collect();
    for f in filings {
        let r = f.await.expect("joined").expect("answered");
        assert!(r.status().is_success(), "a filing refused: {}", r.status());
    }
    let versions = t
        .count(&format!(
            "SELECT COUNT(DISTINCT version) FROM daily_reports WHERE enterprise_id = {id} AND report_date = '2020-02-27' AND version > {before}"
        ))
        .await;
    assert_eq!(versions, 8, "eight filings, eight versions");
    let current = t
        .count(&format!(
            "SELECT COUNT(*) FROM daily_reports WHERE enterprise_id = {id} AND report_date = '2020-02-27' AND is_current"
        ))
        .await;
    assert_eq!(current, 1, "one current version");
}

on_both_engines!(
    reports_filed_at_once_each_become_the_next_version,
    the_pages_show_the_rate_and_take_the_liaisons_report,
    the_report_rate_comes_out_of_the_records,
    a_filed_report_moves_the_rate_and_a_correction_keeps_the_first,
    the_registry_checks_codes_and_audits_exclusions,
    an_enterprise_read_through_the_api_is_accepted_back,
);
