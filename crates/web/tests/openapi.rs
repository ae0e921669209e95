//! The OpenAPI document is generated from the route table; this snapshot keeps it honest:
//! a changed route or schema shows up as a diff to review.

#[test]
fn openapi_document_matches_snapshot() {
    let doc = serde_json::to_value(dualtrack_web::openapi()).expect("serialises");
    insta::assert_json_snapshot!("openapi", doc);
}

#[test]
fn every_operation_is_documented_in_chinese() {
    let doc = serde_json::to_value(dualtrack_web::openapi()).expect("serialises");
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for (method, op) in ops.as_object().expect("ops") {
            let summary = op["summary"].as_str().unwrap_or("");
            assert!(
                !summary.is_empty() && !summary.is_ascii(),
                "{method} {path} lacks a Chinese summary"
            );
            if path != "/api/v1/auth/login" {
                assert!(
                    op["security"].is_array(),
                    "{method} {path} must declare its bearer security"
                );
            }
        }
    }
}
