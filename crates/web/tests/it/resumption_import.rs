//! Excel import and export of the resumption track: the enterprise registry and daily
//! reports filed in a batch (all or nothing, per-row errors, corrections keeping the earlier
//! version), and exports of the registry, a day's reports and the rates table.

use crate::common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{credit_code, strings, TestApp};
use dualtrack_domain::resumption::credit_check_char;
use dualtrack_service::import_resumption::{ENTERPRISE_COLUMNS, REPORT_COLUMNS};
use dualtrack_service::spreadsheet;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::Value;

/// The same code with a check character that does not match.
fn credit_failing(first17: &str) -> String {
    let good = credit_check_char(first17).expect("17 characters");
    format!("{first17}{}", if good == '0' { '1' } else { '0' })
}

fn enterprise_row(name: &str, code: &str, place: &str) -> Vec<String> {
    strings(&[
        name,
        code,
        place,
        "C",
        "26",
        "是",
        "否",
        "200",
        "1000",
        "吨/日",
        "李卫东",
        "13897005678",
    ])
}

fn report_row(code: &str, number: &str, date: &str, status: &str, on_duty: &str) -> Vec<String> {
    strings(&[
        code, number, date, status, on_duty, "3", "1", "0", "12", "15", "5", "640", "",
    ])
}

fn xlsx(columns: &[(&str, bool)], rows: &[Vec<String>]) -> Vec<u8> {
    spreadsheet::write("x", columns, rows, "").expect("xlsx")
}

/// A downloaded template filled in: its own headers kept, its example row replaced.
fn filled(template: &[u8], rows: &[Vec<String>]) -> Vec<u8> {
    let sheet = spreadsheet::read(template).expect("template reads");
    let headers: Vec<(&str, bool)> = sheet.headers.iter().map(|h| (h.as_str(), false)).collect();
    xlsx(&headers, rows)
}

/// The refusal names each field with words that say what is wrong with it.
fn fields_say(r: &crate::common::Resp, expected: &[(&str, &str)]) {
    for (field, says) in expected {
        assert!(r.field_error(field).contains(says), "{field}: {}", r.text);
    }
}

/// An enterprise of 格尔木 and a day it reported on, from the demo data.
async fn golmud_report(t: &TestApp) -> (i64, String, String) {
    let id = t
        .count(
            "SELECT MIN(e.id) FROM enterprises e JOIN daily_reports r ON r.enterprise_id = e.id \
             WHERE e.jurisdiction_code LIKE '632801%' AND r.report_date = '2020-02-27'",
        )
        .await;
    let code: String = dualtrack_store::on_db!(&t.db.db, p => sqlx::query_scalar::<_, String>(
        "SELECT credit_code FROM enterprises WHERE id = $1").bind(id).fetch_one(p).await.expect("code"));
    (id, code, "2020-02-27".to_string())
}

async fn template_round_trip_imports(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let (status, template) = t.download(&op, "/api/v1/enterprises/template.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    let headers = spreadsheet::read(&template).expect("reads").headers;
    assert_eq!(headers[1], "统一社会信用代码*");
    let good = credit_code("91632801MA7K10001");
    let warned = credit_failing("91632801MA7K10002");
    let rows = vec![
        enterprise_row("格尔木新材料有限公司", &good, "632801"),
        enterprise_row("格尔木盐化有限公司", &warned, "632801001"),
    ];
    let before = t.count("SELECT COUNT(*) FROM enterprises").await;
    let created = t.audit_count("enterprise.create").await;
    let r = t
        .upload(&op, "/api/v1/enterprises/import", filled(&template, &rows))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["imported"], 2);
    let warnings = r.json()["warnings"].clone();
    assert_eq!(warnings.as_array().map(Vec::len), Some(1), "{warnings}");
    assert_eq!(warnings[0]["row"], 3);
    assert_eq!(warnings[0]["column"], "统一社会信用代码");
    assert_eq!(
        t.count("SELECT COUNT(*) FROM enterprises").await,
        before + 2
    );
    assert_eq!(t.audit_count("enterprise.create").await, created + 2);
    assert_eq!(t.audit_count("import").await, 1);
    // The registry shows them as the API registers them: the warned one flagged.
    let id = t
        .count(&format!(
            "SELECT id FROM enterprises WHERE credit_code = '{warned}'"
        ))
        .await;
    let e = t
        .get(&format!("/api/v1/enterprises/{id}"), &op)
        .await
        .json();
    assert!(e["credit_warning"].is_string(), "{e}");
    assert_eq!(e["jurisdiction_code"], "632801001");
    assert_eq!(e["contact_phone"], "138****5678");

    // Their first reports through the report template: one named by code, one by number.
    let (status, template) = t.download(&op, "/api/v1/reports/template.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    let rows = vec![
        report_row(&good, "", "2020-03-02", "已复工", "180"),
        report_row("", &id.to_string(), "2020-03-02", "partly", "90"),
    ];
    let r = t
        .upload(&op, "/api/v1/reports/import", filled(&template, &rows))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["imported"], 2);
    assert_eq!(r.json()["corrected"], 0);
    let reports = t
        .get(&format!("/api/v1/enterprises/{id}/reports"), &op)
        .await
        .json();
    assert_eq!(reports[0]["status"], "partly");
    assert_eq!(reports[0]["on_duty"], 90);
    assert_eq!(reports[0]["filed_by"], "golmud_operator");
    assert_eq!(t.audit_count("import").await, 2);
}

async fn one_bad_row_writes_nothing(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let (_, known, _) = golmud_report(&t).await;
    let a = credit_code("91632801MA7K20001");
    let mut bad_section = enterprise_row("门类有误", &credit_code("91632801MA7K20002"), "632801");
    bad_section[3] = "Z".into();
    let mut bad_headcount = enterprise_row("用工有误", &credit_code("91632801MA7K20003"), "632801");
    bad_headcount[7] = "三百".into();
    let rows = vec![
        enterprise_row("格尔木甲公司", &a, "632801"),
        bad_section,
        enterprise_row("重复", &a, "632801"),
        enterprise_row("已登记", &known, "632801"),
        enterprise_row("越界", &credit_code("91632802MA7K20004"), "632802"),
        bad_headcount,
        enterprise_row("格尔木乙公司", &credit_code("91632801MA7K20005"), "632801"),
    ];
    let before = t.count("SELECT COUNT(*) FROM enterprises").await;
    let r = t
        .upload(
            &op,
            "/api/v1/enterprises/import",
            xlsx(ENTERPRISE_COLUMNS, &rows),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.json()["error"]["code"], "import_rejected");
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("第 3 行"));
    fields_say(
        &r,
        &[
            ("第 3 行 行业门类", "无效"),
            ("第 4 行 统一社会信用代码", "第 2 行"),
            ("第 5 行 统一社会信用代码", "已登记"),
            ("第 6 行 所在区划代码", "管辖范围"),
            ("第 7 行 正常用工", "整数"),
        ],
    );
    assert!(
        r.field_error("第 2 行 企业名称").is_empty()
            && r.field_error("第 8 行 企业名称").is_empty()
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM enterprises").await,
        before,
        "nothing written"
    );
    assert_eq!(t.audit_count("import").await, 0);

    // Reports: one bad status among good rows, the same enterprise and day twice.
    let (id, code, day) = golmud_report(&t).await;
    let reports = t.count("SELECT COUNT(*) FROM daily_reports").await;
    let rows = vec![
        report_row(&code, "", &day, "已复工", "100"),
        report_row("", &id.to_string(), "2020-03-01", "开工了", "100"),
        report_row("", &id.to_string(), &day, "停产", "0"),
        report_row(&code, "", "2020/03/02", "已复工", ""),
    ];
    let r = t
        .upload(&op, "/api/v1/reports/import", xlsx(REPORT_COLUMNS, &rows))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    fields_say(
        &r,
        &[
            ("第 3 行 经营状态", "未复工"),
            ("第 4 行 报告日期", "第 2 行"),
            ("第 5 行 报告日期", "2020-02-28"),
            ("第 5 行 在岗人数", "请填写"),
        ],
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM daily_reports").await, reports);
    // Not a spreadsheet; a leader may not import.
    let r = t
        .upload(&op, "/api/v1/reports/import", b"hello".to_vec())
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field_error("file").contains("xlsx"), "{}", r.text);
    let leader = t.token("golmud_leader").await;
    let r = t
        .upload(
            &leader,
            "/api/v1/reports/import",
            xlsx(REPORT_COLUMNS, &rows[..1]),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .upload(
            &leader,
            "/api/v1/enterprises/import",
            xlsx(ENTERPRISE_COLUMNS, &[enterprise_row("x", &a, "632801")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(t.count("SELECT COUNT(*) FROM daily_reports").await, reports);
}

async fn a_correction_by_import_keeps_the_earlier_version(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let (id, code, day) = golmud_report(&t).await;
    let path = format!("/api/v1/enterprises/{id}/reports");
    let before = t.get(&path, &op).await.json();
    let old = before
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|r| r["report_date"] == day.as_str() && r["is_current"] == true)
        })
        .cloned()
        .expect("a current report that day");
    let on_duty = old["on_duty"].as_i64().unwrap_or(0) + 7;
    let rows = vec![report_row(
        &code,
        &id.to_string(),
        &day,
        "部分复工",
        &on_duty.to_string(),
    )];
    let r = t
        .upload(&op, "/api/v1/reports/import", xlsx(REPORT_COLUMNS, &rows))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["imported"], 1);
    assert_eq!(r.json()["corrected"], 1);
    let after = t.get(&path, &op).await.json();
    let of_day: Vec<&Value> = after
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|r| r["report_date"] == day.as_str())
                .collect()
        })
        .unwrap_or_default();
    let version = old["version"].as_i64().unwrap_or(0);
    let current: Vec<&&Value> = of_day.iter().filter(|r| r["is_current"] == true).collect();
    assert_eq!(current.len(), 1, "{after}");
    assert_eq!(current[0]["version"], version + 1);
    assert_eq!(current[0]["on_duty"], on_duty);
    assert_eq!(current[0]["status"], "partly");
    let kept = of_day
        .iter()
        .find(|r| r["version"] == version)
        .expect("earlier version kept");
    assert_eq!(kept["is_current"], false);
    assert_eq!(kept["on_duty"], old["on_duty"]);
    assert_eq!(kept["status"], old["status"]);
    assert_eq!(t.audit_count("report.file").await, 1);
}

async fn a_sibling_countys_enterprise_is_refused_per_row(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let (mine, _, day) = golmud_report(&t).await;
    let theirs = t.first_in("enterprises", "632802").await;
    let their_code: String = dualtrack_store::on_db!(&t.db.db, p => sqlx::query_scalar::<_, String>(
        "SELECT credit_code FROM enterprises WHERE id = $1").bind(theirs).fetch_one(p).await.expect("code"));
    let rows = vec![
        report_row("", &mine.to_string(), &day, "已复工", "50"),
        report_row("", &theirs.to_string(), &day, "已复工", "50"),
        report_row(&their_code, "", &day, "已复工", "50"),
    ];
    let reports = t.count("SELECT COUNT(*) FROM daily_reports").await;
    let r = t
        .upload(&op, "/api/v1/reports/import", xlsx(REPORT_COLUMNS, &rows))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    fields_say(
        &r,
        &[
            ("第 3 行 企业编号", "管辖范围"),
            ("第 4 行 统一社会信用代码", "管辖范围"),
        ],
    );
    assert!(r.field_error("第 2 行 企业编号").is_empty(), "{}", r.text);
    assert!(!r.text.contains("德令哈"), "{}", r.text);
    assert_eq!(t.count("SELECT COUNT(*) FROM daily_reports").await, reports);
    assert_eq!(t.audit_count("report.file").await, 0);
}

async fn exports_mask_phones_and_match_the_api(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    // The registry: every enterprise of the scope, phones masked.
    let (status, bytes) = t.download(&op, "/api/v1/enterprises/export.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    let sheet = spreadsheet::read(&bytes).expect("reads");
    let phone = sheet
        .headers
        .iter()
        .position(|h| h == "联系电话")
        .expect("phone column");
    let in_scope = t
        .count("SELECT COUNT(*) FROM enterprises WHERE jurisdiction_code LIKE '632801%'")
        .await;
    assert_eq!(sheet.rows.len() as i64, in_scope);
    for (_, cells) in &sheet.rows {
        assert!(cells[3].starts_with("632801"), "{cells:?}");
        assert!(
            cells[phone].is_empty() || cells[phone].contains("****"),
            "masked: {cells:?}"
        );
    }
    assert!(sheet.rows.iter().any(|(_, c)| !c[phone].is_empty()));

    // The rates as of a day: the API's figures, county by county and in total.
    let leader = t.token("haixi_leader").await;
    let day = "2020-02-27";
    let (status, bytes) = t
        .download(
            &leader,
            &format!("/api/v1/resumption/rates/export.xlsx?as_of={day}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let sheet = spreadsheet::read(&bytes).expect("reads");
    let api = t
        .get(&format!("/api/v1/resumption/rates?as_of={day}"), &leader)
        .await
        .json();
    let mut places: Vec<Value> = api["counties"].as_array().cloned().unwrap_or_default();
    places.push(api["total"].clone());
    assert_eq!(sheet.rows.len(), places.len());
    assert!(places.len() > 2, "counties side by side: {api}");
    let col = |name: &str| {
        sheet
            .headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("column {name}"))
    };
    for ((_, cells), p) in sheet.rows.iter().zip(&places) {
        let num = |c: &str| cells[col(c)].parse::<i64>().expect("a number");
        assert_eq!(
            cells[col("区划代码")],
            p["code"].as_str().unwrap_or_default()
        );
        assert_eq!(num("规上企业登记数"), p["registered"]);
        assert_eq!(num("不计入"), p["excluded"]);
        assert_eq!(num("已复工（含部分复工）"), p["resumption"]["numerator"]);
        assert_eq!(num("计入企业数"), p["resumption"]["denominator"]);
        assert_eq!(num("在岗人数"), p["return_to_work"]["numerator"]);
        assert_eq!(num("正常用工"), p["return_to_work"]["denominator"]);
        assert_eq!(num("产量（用电量）"), p["capacity"]["numerator"]);
        assert_eq!(num("正常基数"), p["capacity"]["denominator"]);
        let pct = p["resumption"]["percent"]
            .as_f64()
            .map(|v| format!("{v:.1}"))
            .unwrap_or_default();
        assert_eq!(cells[col("开复工率（%）")], pct);
    }
    let (status, _) = t
        .download(
            &leader,
            "/api/v1/resumption/rates/export.xlsx?as_of=2020-02-30",
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // A day's reports: one row per enterprise of the scope that reported, the current
    // version; the file goes back in as corrections of the same figures.
    let (status, bytes) = t
        .download(&op, &format!("/api/v1/reports/export.xlsx?date={day}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let sheet = spreadsheet::read(&bytes).expect("reads");
    let reported = t
        .count(&format!(
            "SELECT COUNT(*) FROM daily_reports r JOIN enterprises e ON e.id = r.enterprise_id \
             WHERE r.is_current AND r.report_date = '{day}' AND e.jurisdiction_code LIKE '632801%'"
        ))
        .await;
    assert!(reported > 0);
    assert_eq!(sheet.rows.len() as i64, reported);
    let duty_col = sheet
        .headers
        .iter()
        .position(|h| h == "在岗人数*")
        .expect("在岗人数");
    let on_duty: i64 = sheet
        .rows
        .iter()
        .map(|(_, c)| c[duty_col].parse::<i64>().unwrap_or(-1_000_000))
        .sum();
    let in_db = t
        .count(&format!(
            "SELECT CAST(SUM(r.on_duty) AS BIGINT) FROM daily_reports r JOIN enterprises e ON e.id = r.enterprise_id \
             WHERE r.is_current AND r.report_date = '{day}' AND e.jurisdiction_code LIKE '632801%'"
        ))
        .await;
    assert_eq!(on_duty, in_db);
    let rates_before = t
        .get(&format!("/api/v1/resumption/rates?as_of={day}"), &op)
        .await
        .json();
    let r = t.upload(&op, "/api/v1/reports/import", bytes).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["imported"], reported);
    assert_eq!(r.json()["corrected"], reported);
    let rates_after = t
        .get(&format!("/api/v1/resumption/rates?as_of={day}"), &op)
        .await
        .json();
    assert_eq!(rates_before, rates_after, "the same figures filed again");
    assert_eq!(t.audit_count("export").await, 3);
}

async fn pages_offer_imports_to_those_who_may_and_exports_to_all(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut op = t.browser("golmud_operator").await;
    let page = op.page("/enterprises").await;
    for marker in [
        "/api/v1/enterprises/export.xlsx",
        "/api/v1/reports/export.xlsx",
        r#"data-import="/api/v1/enterprises/import""#,
        r#"data-import="/api/v1/reports/import""#,
        "/api/v1/reports/template.xlsx",
        &dualtrack_web::assets::url("import.js"),
    ] {
        assert!(page.text.contains(marker), "{marker}");
    }
    // The page's own session reaches the exports, and the form's CSRF token the imports.
    let _r = op.page("/api/v1/enterprises/export.xlsx").await;
    let csrf = regex::Regex::new(r#"data-csrf="([0-9a-f]+)""#)
        .expect("regex")
        .captures(&page.text)
        .map(|c| c[1].to_string())
        .expect("the form carries the CSRF token");
    let cookies = op
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let (id, _, day) = golmud_report(&t).await;
    let file = xlsx(
        REPORT_COLUMNS,
        &[report_row("", &id.to_string(), &day, "已复工", "66")],
    );
    for token in [None, Some(csrf)] {
        let mut req = Request::builder()
            .method("POST")
            .uri("/api/v1/reports/import")
            .header(header::COOKIE, cookies.clone())
            .header(header::CONTENT_TYPE, spreadsheet::XLSX);
        if let Some(token) = &token {
            req = req.header("x-csrf-token", token.as_str());
        }
        let r = t
            .send(req.body(Body::from(file.clone())).expect("request"))
            .await;
        let expected = if token.is_some() {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(r.status, expected, "{}", r.text);
    }
    assert_eq!(t.audit_count("report.file").await, 1);
    let rates = op.get("/resumption?as_of=2020-02-27").await;
    assert!(
        rates
            .text
            .contains("/api/v1/resumption/rates/export.xlsx?as_of=2020-02-27"),
        "export link next to the date"
    );
    assert_eq!(op.get("/assets/import.js").await.status, StatusCode::OK);
    let mut leader = t.browser("golmud_leader").await;
    let page = leader.get("/enterprises").await;
    assert!(page.text.contains("/api/v1/enterprises/export.xlsx"));
    assert!(
        !page.text.contains("data-import="),
        "no import form for a leader"
    );
}

on_both_engines!(
    template_round_trip_imports,
    one_bad_row_writes_nothing,
    a_correction_by_import_keeps_the_earlier_version,
    a_sibling_countys_enterprise_is_refused_per_row,
    exports_mask_phones_and_match_the_api,
    pages_offer_imports_to_those_who_may_and_exports_to_all
);
