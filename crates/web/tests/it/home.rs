//! Every role's home is its work of the day, read from the records on the demo's day, and no
//! page a role reaches from its home shows it a link it cannot use.

use crate::common;

use axum::http::StatusCode;
use common::{Browser, TestApp};
use dualtrack_domain::resident_id::check_char;
use dualtrack_service::demo::ACCOUNTS;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::json;
use std::collections::{HashSet, VecDeque};

/// What each demo account's home must show on the demo day: pieces of the page that are
/// there only when its records hold work of that kind.
fn expected(user: &str) -> &'static [&'static str] {
    match user {
        "sysadmin" => &["href=\"/tree/6328\"", "href=\"/whistle/departments\""],
        "secadmin" => &["href=\"/users\"", "账户管理"],
        "auditor" => &["id=\"task-audit\"", "href=\"/audit?action="],
        "haixi_leader" | "golmud_leader" => &[
            "id=\"dashboard-summary\"",
            "href=\"/dashboard\"",
            "href=\"/briefing\"",
            "class=\"figure\" href=\"/",
        ],
        "golmud_operator" | "delingha_operator" => &[
            "id=\"task-grid-reports\"",
            "id=\"task-handovers\"",
            "id=\"task-followups\"",
            "id=\"task-enterprise-reports\"",
        ],
        "grid_worker" => &[
            "id=\"task-grid-report\"",
            "href=\"/grids/632801001001001#report\"",
            "href=\"/my-grid\"",
        ],
        "liaison" => &["id=\"task-enterprise-reports\"", "href=\"/enterprises/"],
        "responder" | "golmud_health" | "golmud_transport" | "delingha_health" => &[
            "id=\"task-tickets\"",
            "href=\"/tickets\"",
            "href=\"/inbox\"",
        ],
        "haixi_org" => &[
            "id=\"task-applications\"",
            "href=\"/applications?status=submitted\"",
        ],
        "checkpoint_worker" => &["登记通行", "/passage\""],
        other => panic!("no expectation for the demo account {other}"),
    }
}

async fn every_role_opens_on_its_work_of_the_day(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.open_on_demo_day();
    for (user, ..) in ACCOUNTS {
        let mut b = Browser::new(&t);
        b.login(user).await;
        let home = b.get("/").await;
        assert_eq!(home.status, StatusCode::OK, "{user}");
        assert!(!home.text.contains("尚未启用"), "{user}: {}", home.text);
        assert!(home.text.contains("今日工作"), "{user}");
        for piece in expected(user) {
            assert!(
                home.text.contains(piece),
                "{user} lacks {piece}: {}",
                home.text
            );
        }
    }
    // A grid worker's lists are its records: on the demo's evening two travellers for
    // 博爱巷第一网格 wait to be acknowledged (see `demo_work`); a traveller registered at a
    // checkpoint for the grid is on the grid worker's home at once, with the link that
    // acknowledges it.
    let mut b = t.browser("grid_worker").await;
    let home = b.get("/").await;
    assert!(home.text.contains("id=\"task-handovers\""), "{}", home.text);
    // A grid has no places below it: a sentence, not an empty table.
    assert!(home.text.contains("之下没有再分的区划"), "{}", home.text);
    assert!(!home.text.contains("<th>层级</th>"), "{}", home.text);
    // Nothing of 组织动员 is recorded at a grid: a sentence, not a list of zeros.
    assert!(
        home.text.contains("本辖区没有组织动员记录"),
        "{}",
        home.text
    );
    assert!(!home.text.contains("当日在岗人数"), "{}", home.text);
    assert!(home.text.contains("报送 2020-02-26 日报") || home.text.contains("打开我的网格"));
    let worker = t.token("checkpoint_worker").await;
    let south = t.checkpoint("格尔木南出口").await;
    let first17 = "63280119800101003";
    let id_number = format!(
        "{first17}{}",
        check_char(first17.as_bytes()).expect("17 digits")
    );
    let r = t.register_passage(south, &worker, json!({
                "plate": "青H23456", "vehicle_class": "car", "origin": "青海省西宁市",
                "travel_history": "西宁市城东区", "destination": "632801001001001", "reason": "返岗复工",
                "travellers": [{"name": "韩建国", "id_number": id_number, "phone": "13897004321",
                    "temperature": 36.4, "outcome": "through"}]
            }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let handover = r.json()["travellers"][0]["handover_id"]
        .as_i64()
        .expect("a hand-over to the grid");
    let home = b.get("/").await;
    assert!(
        home.text
            .contains(&format!("href=\"/handovers/{handover}\"")),
        "{}",
        home.text
    );
    assert!(home.text.contains("韩建国"), "{}", home.text);
    let mut b = t.browser("checkpoint_worker").await;
    let home = b.get("/").await;
    let re = regex::Regex::new(r#"href="/checkpoints/(\d+)/passage""#).expect("regex");
    let id = re
        .captures(&home.text)
        .map(|c| c[1].to_string())
        .expect("a checkpoint to register at");
    assert_eq!(
        b.get(&format!("/checkpoints/{id}/passage")).await.status,
        StatusCode::OK
    );
    let mut b = t.browser("auditor").await;
    let home = b.get("/").await;
    assert!(
        home.text.contains("<li><a href=\"/audit?action="),
        "{}",
        home.text
    );
}

/// The same-site links of a page, as paths to GET: no log-out, no downloads, no API.
fn links(html: &str) -> Vec<String> {
    let re = regex::Regex::new(r#"href="([^"]*)""#).expect("regex");
    re.captures_iter(html)
        .filter_map(|c| {
            let raw = c[1].replace("&amp;", "&");
            let path = raw.split('#').next().unwrap_or("").to_string();
            let bare = path.split('?').next().unwrap_or("");
            let download = [".xlsx", ".docx", ".csv"].iter().any(|e| bare.ends_with(e))
                || ["format=xlsx", "format=docx", "format=csv"]
                    .iter()
                    .any(|f| path.contains(f));
            let keep = path.starts_with('/')
                && !path.starts_with("//")
                && bare != "/logout"
                && !bare.starts_with("/api/")
                && !bare.starts_with("/assets/")
                && !download;
            keep.then_some(path)
        })
        .collect()
}

async fn no_role_is_shown_a_link_it_cannot_use(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.open_on_demo_day();
    let mut bad = Vec::new();
    for (user, ..) in ACCOUNTS {
        let mut b = Browser::new(&t);
        b.login(user).await;
        let mut seen: HashSet<String> = HashSet::from(["/".to_string()]);
        let mut queue = VecDeque::from([("/".to_string(), 0usize, String::new())]);
        while let Some((path, depth, from)) = queue.pop_front() {
            let r = b.get(&path).await;
            if r.status.is_client_error() || r.status.is_server_error() {
                bad.push(format!(
                    "{user}: {path} answers {} (linked from {from})",
                    r.status
                ));
                continue;
            }
            let html = r
                .headers
                .get(axum::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|c| c.starts_with("text/html"));
            if depth >= 3 || !html {
                continue;
            }
            for link in links(&r.text) {
                if seen.insert(link.clone()) {
                    queue.push_back((link, depth + 1, path.clone()));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "links their viewers cannot use:\n{}",
        bad.join("\n")
    );
}

on_both_engines!(
    every_role_opens_on_its_work_of_the_day,
    no_role_is_shown_a_link_it_cannot_use,
);
