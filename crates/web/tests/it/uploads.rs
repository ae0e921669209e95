//! Crafted uploads through every import endpoint: a workbook that declares huge counts, one
//! with far cells, a zip bomb, a file that is not a zip and a truncated one are each refused
//! with a Chinese 4xx naming the problem, and nothing is written.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use dualtrack_service::import::PEOPLE_COLUMNS;
use dualtrack_service::spreadsheet;
use dualtrack_testkit::{craft_workbook, on_both_engines, Engine};

/// Every import endpoint and an account that may use it.
const IMPORTS: &[(&str, &str)] = &[
    ("/api/v1/people/import", "golmud_operator"),
    ("/api/v1/organisations/import", "golmud_operator"),
    ("/api/v1/deployments/import", "golmud_operator"),
    ("/api/v1/enterprises/import", "golmud_operator"),
    ("/api/v1/reports/import", "golmud_operator"),
    ("/api/v1/supplies/items/import", "sysadmin"),
    ("/api/v1/supplies/stock-counts/import", "golmud_operator"),
    ("/api/v1/supplies/needs/import", "golmud_operator"),
];

fn sheet_with(cells: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{cells}</sheetData></worksheet>"#
    )
    .into_bytes()
}

/// The crafted files, each with a word its refusal must contain.
fn crafted() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let huge_count = craft_workbook(&[(
        "xl/sharedStrings.xml",
        br#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1000000000000"><si><t>x</t></si></sst>"#.to_vec(),
    )]);
    let far = craft_workbook(&[(
        "xl/worksheets/sheet1.xml",
        sheet_with(
            r#"<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#,
        ),
    )]);
    let mut zeros = br#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>"#.to_vec();
    zeros.resize(zeros.len() + 300 * 1024 * 1024, b'0');
    zeros.extend_from_slice(b"</t></is></c></row></sheetData></worksheet>");
    let bomb = craft_workbook(&[("xl/worksheets/sheet1.xml", zeros)]);
    assert!(bomb.len() < 2 * 1024 * 1024, "a bomb compresses small");
    let whole = craft_workbook(&[]);
    let truncated = whole[..whole.len() * 2 / 3].to_vec();
    vec![
        ("huge declared count", huge_count, "文字超过"),
        ("far cells", far, "工作表超过"),
        ("zip bomb", bomb, "解压后超过"),
        (
            "not a zip",
            b"\xd0\xcf\x11\xe0name,id\n".to_vec(),
            "不是 .xlsx",
        ),
        ("truncated", truncated, "损坏"),
    ]
}

fn has_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

const TABLES: &[&str] = &[
    "people",
    "organisations",
    "deployments",
    "enterprises",
    "daily_reports",
    "supply_items",
    "stock_movements",
    "supply_needs",
];

async fn rows(t: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for table in TABLES {
        out.push(t.count(&format!("SELECT COUNT(*) FROM {table}")).await);
    }
    out
}

async fn crafted_workbooks_are_refused_in_chinese_by_every_import(engine: Engine) {
    let t = TestApp::new(engine).await;
    let files = crafted();
    let before = rows(&t).await;
    for (path, user) in IMPORTS {
        let token = t.token(user).await;
        for (what, bytes, word) in &files {
            let r = t.upload(&token, path, bytes.clone()).await;
            assert!(
                r.status == StatusCode::UNPROCESSABLE_ENTITY
                    || r.status == StatusCode::PAYLOAD_TOO_LARGE,
                "{path} {what}: {} {}",
                r.status,
                r.text
            );
            let e = r.json()["error"].clone();
            let message = e["message"].as_str().unwrap_or("");
            assert!(
                has_chinese(message) && message.contains(word),
                "{path} {what}: {e}"
            );
            assert!(
                e["fields"]["file"].as_str().is_some_and(has_chinese),
                "{path} {what}: the file is named: {e}"
            );
            for english in ["EOCD", "allocation", "invalid", "Zip", "Xml", "error"] {
                assert!(!message.contains(english), "{path} {what}: {message}");
            }
        }
    }
    assert_eq!(rows(&t).await, before, "nothing is written");
    // The server still answers, and a good file still goes in.
    let op = t.token("golmud_operator").await;
    let first17 = "63280119750101003";
    let id = common::id_number(first17);
    let row: Vec<String> = [
        "马建国",
        id.as_str(),
        "13897005678",
        "中共党员",
        "在职党员",
        "632801001001",
        "",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let good = spreadsheet::write("人员", PEOPLE_COLUMNS, &[row], "").expect("xlsx");
    let r = t.upload(&op, "/api/v1/people/import", good).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

/// A body over the upload limit is a Chinese 413, not the framework's English text.
async fn an_upload_over_the_limit_is_a_chinese_413(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let r = t
        .upload(&op, "/api/v1/people/import", vec![b'P'; 33 * 1024 * 1024])
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    let e = r.json()["error"].clone();
    assert!(e["message"].as_str().is_some_and(has_chinese), "{}", r.text);
}

on_both_engines!(
    crafted_workbooks_are_refused_in_chinese_by_every_import,
    an_upload_over_the_limit_is_a_chinese_413,
);
