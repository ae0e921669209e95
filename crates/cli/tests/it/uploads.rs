//! The real server, sent crafted workbooks over HTTP: each is a Chinese 4xx, the server keeps
//! running, and its peak memory (read from /proc) stays bounded.
#![cfg(target_os = "linux")]

use crate::common;

use dualtrack_testkit::{craft_workbook, demo_db, on_both_engines, Engine, DEMO_PASSWORD};
use std::process::Child;

/// Peak resident memory the server may reach while refusing the uploads.
const BOUND_KB: u64 = 300 * 1024;

/// A server of the built binary on a free port; killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server as a demo's accounts use it: the operator signs in with the password alone
/// (what is tried here is the upload, not the login).
fn serve(db: &str) -> Server {
    let (child, addr) = common::spawn_server(db, &[("DUALTRACK_SECOND_FACTOR", "optional")]);
    Server {
        child,
        base: format!("http://{addr}"),
    }
}

/// A field of the server's /proc status, in kB.
fn status_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} for the server (has it stopped?)"))
}

const SHEET: &str = r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;

fn crafted() -> Vec<(&'static str, Vec<u8>)> {
    // 600 MB of zeros in one cell: under a megabyte on the wire.
    let mut zeros = format!(r#"{SHEET}<row r="1"><c r="A1" t="inlineStr"><is><t>"#).into_bytes();
    zeros.resize(zeros.len() + 600 * 1024 * 1024, b'0');
    zeros.extend_from_slice(b"</t></is></c></row></sheetData></worksheet>");
    let bomb = craft_workbook(&[("xl/worksheets/sheet1.xml", zeros)]);
    assert!(bomb.len() < 2 * 1024 * 1024, "{}", bomb.len());
    // Parts each within their bound, together over the total.
    let part = |n: usize| {
        let mut x = format!(r#"{SHEET}<row r="1"><c r="A1"><v>{n}</v></c></row>"#).into_bytes();
        x.resize(x.len() + 90 * 1024 * 1024, b' ');
        x.extend_from_slice(b"</sheetData></worksheet>");
        x
    };
    let spread = craft_workbook(&[
        ("xl/worksheets/sheet2.xml", part(2)),
        ("xl/worksheets/sheet3.xml", part(3)),
    ]);
    let huge_count = craft_workbook(&[(
        "xl/sharedStrings.xml",
        br#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1000000000000"><si><t>x</t></si></sst>"#.to_vec(),
    )]);
    let far = craft_workbook(&[(
        "xl/worksheets/sheet1.xml",
        format!(r#"{SHEET}<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>"#).into_bytes(),
    )]);
    let truncated = far[..far.len() / 2].to_vec();
    vec![
        ("zip bomb", bomb),
        ("many parts", spread),
        ("huge declared count", huge_count),
        ("far cells", far),
        ("not a zip", b"name,id\n".to_vec()),
        ("truncated", truncated),
    ]
}

async fn the_server_refuses_crafted_workbooks_within_bounded_memory(engine: Engine) {
    let files = crafted();
    let t = demo_db(engine).await;
    let server = serve(&t.url);
    let pid = server.child.id();
    let http = reqwest::Client::new();
    let login = http
        .post(format!("{}/api/v1/auth/login", server.base))
        .header("content-type", "application/json")
        .body(
            serde_json::json!({"username": "golmud_operator", "password": DEMO_PASSWORD})
                .to_string(),
        )
        .send()
        .await
        .expect("login answered");
    let body: serde_json::Value =
        serde_json::from_str(&login.text().await.expect("body")).expect("json");
    let token = body["token"].as_str().expect("token").to_string();
    for (what, bytes) in files {
        for path in ["/api/v1/people/import", "/api/v1/enterprises/import"] {
            let r = http
                .post(format!("{}{path}", server.base))
                .bearer_auth(&token)
                .header(
                    "content-type",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                )
                .body(bytes.clone())
                .send()
                .await
                .unwrap_or_else(|e| panic!("{what} {path}: the server did not answer: {e}"));
            let status = r.status().as_u16();
            let text = r.text().await.expect("body");
            assert!(
                status == 422 || status == 413,
                "{what} {path}: {status} {text}"
            );
            let e: serde_json::Value = serde_json::from_str(&text).expect("json");
            let message = e["error"]["message"].as_str().unwrap_or("");
            assert!(
                message
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{what} {path}: {text}"
            );
            assert!(
                e["error"]["fields"]["file"].is_string(),
                "{what} {path}: {text}"
            );
            let peak = status_kb(pid, "VmHWM:");
            assert!(
                peak < BOUND_KB,
                "{what} {path}: the server's peak memory reached {} MB",
                peak / 1024
            );
        }
    }
    let live = http
        .get(format!("{}/livez", server.base))
        .send()
        .await
        .expect("still answers");
    assert!(live.status().is_success());
    drop(server);
}

on_both_engines!(the_server_refuses_crafted_workbooks_within_bounded_memory);
