//! Input checks without gaps: ID numbers with an impossible birth date or province, control
//! characters in text, and values of the wrong type in a body, a query or a path are each a
//! Chinese 4xx naming the field, and nothing is stored.

use crate::common;
use common::id_number;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{Resp, TestApp};
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::{json, Value};

fn has_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// The error of a response: Chinese, without a library's English, naming `field`.
fn names(r: &Resp, field: &str) -> String {
    let e = r.json()["error"].clone();
    let message = e["message"].as_str().unwrap_or("").to_string();
    assert!(has_chinese(&message), "{}", r.text);
    for english in [
        "invalid type",
        "expected",
        "Failed",
        "deserialize",
        "EOCD",
        "missing field",
    ] {
        assert!(!message.contains(english), "{english}: {}", r.text);
    }
    let said = e["fields"][field].as_str().unwrap_or("").to_string();
    assert!(has_chinese(&said), "fields.{field}: {}", r.text);
    said
}

fn person(name: &str, id: &str) -> Value {
    json!({
        "name": name,
        "id_number": id,
        "political_status": "masses",
        "categories": ["volunteer"],
        "jurisdiction_code": "632801001001",
    })
}

async fn impossible_id_numbers_are_refused_naming_the_field(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let people = t.count("SELECT COUNT(*) FROM people").await;
    let cases = [
        ("63280120990101003", "晚于今天"),
        ("63280118991231003", "早于 1900"),
        ("99280119850312003", "前两位"),
        ("00280119850312003", "前两位"),
    ];
    for (first17, word) in cases {
        let r = t
            .post("/api/v1/people", &op, person("马建国", &id_number(first17)))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{first17}: {}",
            r.text
        );
        assert!(
            names(&r, "id_number").contains(word),
            "{first17}: {}",
            r.text
        );
    }
    assert_eq!(t.count("SELECT COUNT(*) FROM people").await, people);
    // A number of an old card, from a county code since abolished, is still a number.
    let r = t
        .post(
            "/api/v1/people",
            &op,
            person("马建国", &id_number("34140119750101003")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

async fn control_characters_are_refused_and_nothing_is_stored(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let people = t.count("SELECT COUNT(*) FROM people").await;
    let id = id_number("63280119750101003");
    for name in ["张\u{0}三", "张三\u{7}", "\u{1b}[31m张三"] {
        let r = t.post("/api/v1/people", &op, person(name, &id)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(names(&r, "name").contains("控制字符"), "{}", r.text);
    }
    // Deeper in a body, the path is named.
    let mut p = person("张三", &id);
    p["categories"] = json!(["volunteer", "x\u{0}"]);
    let r = t.post("/api/v1/people", &op, p).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    names(&r, "categories[1]");
    assert_eq!(t.count("SELECT COUNT(*) FROM people").await, people);
    // In a query string.
    let r = t.get("/api/v1/people?name=%00", &op).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    names(&r, "name");
    // Line breaks and tabs are text.
    let mut p = person("张三", &id);
    p["employer"] = json!("格尔木市\t第一中学\r\n");
    let r = t.post("/api/v1/people", &op, p).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // In a page form: a Chinese page, nothing stored.
    let mut b = t.browser("golmud_operator").await;
    let before = t.count("SELECT COUNT(*) FROM people").await;
    let r = b
        .post(
            "/people",
            &[
                ("name", "李\u{0}四"),
                ("id_number", &id_number("63280119800202004")),
                ("political_status", "masses"),
                ("jurisdiction_code", "632801001001"),
            ],
            true,
        )
        .await;
    assert!(r.status.is_client_error(), "{} {}", r.status, r.text);
    assert!(r.text.contains("控制字符"), "{}", r.text);
    assert_eq!(t.count("SELECT COUNT(*) FROM people").await, before);
}

async fn values_of_the_wrong_type_are_named_in_chinese(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    // A body.
    let r = t
        .post(
            "/api/v1/deployments",
            &op,
            json!({"person_id": "abc", "jurisdiction_code": "632801", "role": "网格员", "start_on": "2020-02-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(names(&r, "person_id").contains("整数"), "{}", r.text);
    let mut p = person("张三", &id_number("63280119750101003"));
    p["categories"] = json!("volunteer");
    let r = t.post("/api/v1/people", &op, p).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(names(&r, "categories").contains("数组"), "{}", r.text);
    let r = t.post("/api/v1/people", &op, json!({"name": "张三"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    names(&r, "id_number");
    // A query.
    let r = t.get("/api/v1/people?page=abc", &op).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(names(&r, "page").contains("整数"), "{}", r.text);
    // A path.
    let r = t.get("/api/v1/people/abc", &op).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    names(&r, "id");
    let r = t.get("/api/v1/people/%FF", &op).await;
    assert!(r.status.is_client_error(), "{}", r.text);
    assert!(has_chinese(&r.error_message()), "{}", r.text);
    // No content type, the wrong one, and a method the route does not take.
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/people")
        .header(header::AUTHORIZATION, format!("Bearer {op}"))
        .body(Body::from(
            person("张三", &id_number("63280119750101003")).to_string(),
        ))
        .expect("request");
    let r = t.send(req).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.text);
    assert!(has_chinese(&r.error_message()));
    let r = t.call("DELETE", "/api/v1/people", Some(&op), None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{}", r.text);
    assert!(has_chinese(&r.error_message()), "{}", r.text);
    // A page's path that cannot be read is a Chinese page.
    let mut b = t.browser("golmud_operator").await;
    let r = b.get("/supplies/stores/%FF").await;
    assert!(r.status.is_client_error(), "{} {}", r.status, r.text);
    assert!(
        has_chinese(&r.text) && !r.text.contains("Invalid URL"),
        "{}",
        r.text
    );
}

on_both_engines!(
    impossible_id_numbers_are_refused_naming_the_field,
    control_characters_are_refused_and_nothing_is_stored,
    values_of_the_wrong_type_are_named_in_chinese,
);
