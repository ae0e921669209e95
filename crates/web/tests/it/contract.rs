//! The API keeps to its OpenAPI document. Every answer a test receives through
//! `common::TestApp` is checked against the document (see `common::conform`); the tests here
//! reach every operation of the document, as several roles and without a login, so that no
//! operation goes unchecked, and read numbers as the document declares them.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::{json, Value};

/// A value for a path variable: a record of the demo where there is one, so that answers
/// other than 404 are seen too.
fn fill(template: &str, ids: &Value) -> String {
    let re = regex::Regex::new(r"\{([^}]+)\}").expect("regex");
    re.replace_all(template, |c: &regex::Captures| match &c[1] {
        "code" if template.contains("/grids/") => "632801001001001".to_string(),
        "code" => "632801".to_string(),
        "year" => "2020".to_string(),
        _ => ids
            .get(template)
            .and_then(Value::as_i64)
            .unwrap_or(1)
            .to_string(),
    })
    .to_string()
}

async fn every_operation_answers_as_documented(engine: Engine) {
    let t = TestApp::new(engine).await;
    let doc = serde_json::to_value(dualtrack_web::openapi()).expect("document");
    // The first record of a few kinds, by the template that names it.
    let mut ids = serde_json::Map::new();
    for (template, table) in [
        ("/api/v1/people/{id}", "people"),
        ("/api/v1/organisations/{id}", "organisations"),
        ("/api/v1/enterprises/{id}", "enterprises"),
        ("/api/v1/projects/{id}", "major_projects"),
        ("/api/v1/monitoring/cases/{id}", "monitoring_cases"),
        ("/api/v1/tickets/{id}", "tickets"),
        ("/api/v1/checkpoints/{id}", "checkpoints"),
    ] {
        let id = t.count(&format!("SELECT MIN(id) FROM {table}")).await;
        ids.insert(template.to_string(), json!(id));
    }
    let ids = Value::Object(ids);
    let mut tokens = vec![None];
    for user in ["golmud_operator", "grid_worker", "haixi_org"] {
        tokens.push(Some(t.token(user).await));
    }
    let mut reached = 0;
    for (template, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if template == "/api/v1/auth/logout" || template == "/api/v1/me/password" {
                continue;
            }
            let path = fill(template, &ids);
            let json_body = op["requestBody"]["content"]
                .as_object()
                .is_some_and(|c| c.contains_key("application/json"));
            for token in &tokens {
                // Every answer is checked against the document by `send`.
                let r = t
                    .call(
                        &method.to_uppercase(),
                        &path,
                        token.as_deref(),
                        json_body.then(|| json!({})),
                    )
                    .await;
                if token.is_none() && template != "/api/v1/auth/login" {
                    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{method} {path}");
                }
                assert!(
                    !r.status.is_server_error(),
                    "{method} {path}: {} {}",
                    r.status,
                    r.text
                );
                reached += 1;
            }
        }
    }
    assert!(reached > 600, "{reached} calls");
}

/// The document declares whole numbers as `integer`, which JSON Schema takes to include
/// `2.0`: a client may send that, and it is read as 2. A fraction is still refused, naming
/// the field.
async fn whole_valued_numbers_are_integers(engine: Engine) {
    let (t, org) = TestApp::as_user(engine, "haixi_org").await;
    let reg = t.first_in("registrations", "632801").await;
    let path = format!("/api/v1/registrations/{reg}/service-logs");
    let before = t
        .get_ok(&format!("/api/v1/registrations/{reg}/service-logs"), &org)
        .await;
    let total = before.json()["total_hours"].as_i64().expect("total");
    let r = t
        .post(
            &path,
            &org,
            json!({"served_on": "2020-02-14", "hours": 2.0, "description": "协助卡口测温登记"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["total_hours"], total + 2);
    let r = t
        .post(
            &path,
            &org,
            json!({"served_on": "2020-02-15", "hours": 2.5, "description": "协助卡口测温登记"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("hours"), "the field is named: {}", r.text);

    // An id in a body, sent as a whole-valued float, is the same id.
    let op = t.token("golmud_operator").await;
    let person = t.first_in("people", "632801").await;
    let returns = t.count("SELECT COUNT(*) FROM returns_to_post").await;
    let id = t
        .created(
            "/api/v1/returns",
            &op,
            json!({"person_id": person as f64, "jurisdiction_code": "632801", "post": "第一书记",
                "returned_on": "2020-02-10", "expected_on": "2020-02-12"}),
        )
        .await;
    assert_eq!(
        t.count(&format!(
            "SELECT person_id FROM returns_to_post WHERE id = {id}"
        ))
        .await,
        person
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM returns_to_post").await,
        returns + 1
    );
}

/// A page number is any integer the document allows: the first page for 0 and below, an
/// empty page far beyond the end, never an overflow or a database error.
async fn any_page_number_is_answered(engine: Engine) {
    let t = TestApp::new(engine).await;
    let doc = serde_json::to_value(dualtrack_web::openapi()).expect("document");
    let tokens = [
        t.token("golmud_operator").await,
        t.token("haixi_org").await,
        t.token("auditor").await,
        t.token("secadmin").await,
    ];
    let mut paged = 0;
    for (template, item) in doc["paths"].as_object().expect("paths") {
        let Some(op) = item.get("get") else { continue };
        let has_page = op["parameters"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["name"] == "page" && p["in"] == "query"));
        if !has_page {
            continue;
        }
        paged += 1;
        let path = fill(template, &Value::Null);
        for page in [i64::MAX, i64::MAX - 1, 0, -1, i64::MIN] {
            for token in &tokens {
                let r = t.get(&format!("{path}?page={page}"), token).await;
                assert!(
                    !r.status.is_server_error(),
                    "{path}?page={page}: {} {}",
                    r.status,
                    r.text
                );
            }
        }
    }
    assert!(paged >= 10, "{paged} paged lists");
    // The pages' own lists too.
    let mut b = t.browser("haixi_org").await;
    for list in ["/people", "/organisations", "/applications", "/deployments"] {
        for page in [i64::MAX, 1_000_000_000, 0] {
            let r = b.get(&format!("{list}?page={page}")).await;
            assert!(
                !r.status.is_server_error(),
                "{list}?page={page}: {}",
                r.status
            );
        }
    }
}

/// A method a path does not have is 405 with `Allow` and a Chinese error body, not an empty
/// answer.
async fn a_method_not_allowed_is_explained(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "golmud_operator").await;
    for (method, path) in [
        ("DELETE", "/api/v1/people"),
        ("PUT", "/api/v1/monitoring/cases/1"),
        ("TRACE", "/api/v1/audit"),
        ("PATCH", "/api/v1/auth/login"),
    ] {
        let r = t.call(method, path, Some(&tok), None).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert!(r.headers.contains_key("allow"), "{method} {path}");
        let message = r.error_message();
        assert!(message.contains("不支持"), "{method} {path}: {}", r.text);
    }
}

on_both_engines!(
    every_operation_answers_as_documented,
    whole_valued_numbers_are_integers,
    any_page_number_is_answered,
    a_method_not_allowed_is_explained
);
