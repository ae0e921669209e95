//! The jurisdiction tree through the API: nodes, paths, counts, search, grids, import.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::json;

async fn a_node_shows_children_path_and_counts(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "haixi_leader").await;
    let r = t.get_ok("/api/v1/jurisdictions/6328", &tok).await;
    let v = r.json();
    assert_eq!(v["node"]["name"], "海西蒙古族藏族自治州");
    assert_eq!(v["node"]["level"], "prefecture");
    let children = common::each_str(&v["children"], "name");
    assert_eq!(
        children,
        [
            "格尔木市",
            "德令哈市",
            "茫崖市",
            "乌兰县",
            "都兰县",
            "天峻县",
            "大柴旦行政委员会"
        ]
    );
    let path = common::each_str(&v["path"], "name");
    assert_eq!(path, ["青海省", "海西蒙古族藏族自治州"]);
    assert_eq!(
        v["path"][0]["in_scope"], false,
        "the province is above the leader's scope"
    );
    let counts: Vec<(String, i64)> = v["counts"]
        .as_array()
        .expect("counts")
        .iter()
        .map(|c| {
            (
                c["level_name"].as_str().unwrap_or("").to_string(),
                c["count"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    let grids = t
        .count("SELECT COUNT(*) FROM jurisdictions WHERE level = 6")
        .await;
    assert_eq!(
        counts,
        vec![
            ("县级".into(), 7),
            ("乡级".into(), 46),
            ("村级".into(), 389),
            ("网格".into(), grids)
        ]
    );
    // Malformed and unknown codes.
    let r = t.get("/api/v1/jurisdictions/63a8", &tok).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field_error("code").contains("数字"));
    let r = t.get("/api/v1/jurisdictions/632899", &tok).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn search_by_name_or_code(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "haixi_leader").await;
    let r = t.get("/api/v1/jurisdictions?q=诺木洪", &tok).await.json();
    assert!(
        r.as_array()
            .expect("list")
            .iter()
            .any(|n| n["name"] == "诺木洪农场"
                || n["name"].as_str().unwrap_or("").contains("诺木洪")),
        "{r}"
    );
    let r = t.get("/api/v1/jurisdictions?q=632823", &tok).await.json();
    assert_eq!(r[0]["name"], "天峻县");
    let r = t.get("/api/v1/jurisdictions?q=", &tok).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["error"]["fields"]["q"].is_string());
}

async fn grids_are_numbered_under_their_village(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "golmud_operator").await;
    let before = t.audit_count("grid.create").await;
    let r = t
        .post(
            "/api/v1/jurisdictions/632801001002/grids",
            &tok,
            json!({"name": "育红巷第三网格"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // The demo drew two grids here, so this is the third.
    assert_eq!(r.json()["code"], "632801001002003");
    assert_eq!(r.json()["level"], "grid");
    assert_eq!(t.audit_count("grid.create").await, before + 1);
    // Same name again: conflict, nothing written.
    let r = t
        .post(
            "/api/v1/jurisdictions/632801001002/grids",
            &tok,
            json!({"name": "育红巷第三网格"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.json()["error"]["fields"]["name"].is_string());
    // Not a village; empty name; unknown village.
    let r = t
        .post(
            "/api/v1/jurisdictions/632801001/grids",
            &tok,
            json!({"name": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.error_message().contains("村（社区）"));
    let r = t
        .post(
            "/api/v1/jurisdictions/632801001002/grids",
            &tok,
            json!({"name": "  "}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = t
        .post(
            "/api/v1/jurisdictions/632801001999/grids",
            &tok,
            json!({"name": "无此村"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(t.audit_count("grid.create").await, before + 1);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM jurisdictions WHERE parent_code = '632801001002'")
            .await,
        3
    );
}

async fn import_is_idempotent_and_checks_codes(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "sysadmin").await;
    let total = t.count("SELECT COUNT(*) FROM jurisdictions").await;
    let r = t
        .post("/api/v1/regions/import", &tok, json!({"code": "6328"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["inserted"], 0);
    assert_eq!(r.json()["total"], 2 + 7 + 46 + 389);
    assert_eq!(t.count("SELECT COUNT(*) FROM jurisdictions").await, total);
    let r = t
        .post("/api/v1/regions/import", &tok, json!({"code": "632899"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.error_message().contains("没有"));
    let r = t
        .post("/api/v1/regions/import", &tok, json!({"code": "abc"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Outside the administrator's prefecture.
    let r = t
        .post("/api/v1/regions/import", &tok, json!({"code": "6301"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(t.count("SELECT COUNT(*) FROM jurisdictions").await, total);
}

on_both_engines!(
    a_node_shows_children_path_and_counts,
    search_by_name_or_code,
    grids_are_numbered_under_their_village,
    import_is_idempotent_and_checks_codes,
);
