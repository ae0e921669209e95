//! The OpenAPI document is generated from the route table; this snapshot keeps it honest:
//! a changed route or schema shows up as a diff to review. The tests below walk the document
//! and fail on what would break a client generated from it.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

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

fn document() -> Value {
    serde_json::to_value(dualtrack_web::openapi()).expect("serialises")
}

/// Every operation of the document: (method, path template, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = vec![];
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if matches!(
                method.as_str(),
                "get" | "put" | "post" | "delete" | "patch" | "head" | "options" | "trace"
            ) {
                out.push((method.clone(), path.clone(), op.clone()));
            }
        }
    }
    out
}

fn template_variables(path: &str) -> BTreeSet<String> {
    let re = regex::Regex::new(r"\{([^}]+)\}").expect("regex");
    re.captures_iter(path).map(|c| c[1].to_string()).collect()
}

/// A query parameter declared `in: path` is sent by a generated client inside the URL
/// template, where there is no place for it: every path parameter must be a variable of the
/// template, and every variable must have its path parameter.
#[test]
fn path_parameters_are_exactly_the_template_variables() {
    let doc = document();
    let mut problems = vec![];
    for (method, path, op) in operations(&doc) {
        let vars = template_variables(&path);
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        let mut declared = BTreeSet::new();
        let mut seen = BTreeSet::new();
        for p in &params {
            let name = p["name"].as_str().unwrap_or("").to_string();
            let place = p["in"].as_str().unwrap_or("").to_string();
            if !seen.insert((name.clone(), place.clone())) {
                problems.push(format!(
                    "{method} {path}: parameter {name} in {place} twice"
                ));
            }
            if place == "path" {
                if !vars.contains(&name) {
                    problems.push(format!(
                        "{method} {path}: parameter {name} is declared in: path but is not in the template"
                    ));
                }
                if p["required"] != Value::Bool(true) {
                    problems.push(format!(
                        "{method} {path}: path parameter {name} must be required"
                    ));
                }
                declared.insert(name);
            }
        }
        for v in vars.difference(&declared) {
            problems.push(format!(
                "{method} {path}: template variable {{{v}}} has no path parameter"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Every `$ref` anywhere in the document names a component that exists.
#[test]
fn every_reference_resolves() {
    fn walk(v: &Value, doc: &Value, at: &str, problems: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    let found = r
                        .strip_prefix('#')
                        .and_then(|ptr| doc.pointer(ptr))
                        .is_some();
                    if !found {
                        problems.push(format!("{at}: dangling $ref {r}"));
                    }
                }
                for (k, x) in m {
                    walk(x, doc, &format!("{at}/{k}"), problems);
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(x, doc, &format!("{at}/{i}"), problems);
                }
            }
            _ => {}
        }
    }
    let doc = document();
    let mut problems = vec![];
    walk(&doc, &doc, "", &mut problems);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The name under which a type deriving `ToSchema` appears among the components: its own
/// name, or the one given with `#[schema(as = …)]` (a path is joined with dots).
fn schema_types_in(source: &str) -> Vec<String> {
    let lines: Vec<&str> = source.lines().collect();
    let item = regex::Regex::new(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:struct|enum)\s+([A-Za-z_]\w*)")
        .expect("regex");
    let rename = regex::Regex::new(r"#\[schema\([^\]]*\bas\s*=\s*([\w:]+)").expect("regex");
    let mut out = vec![];
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_start();
        if line.starts_with("#[derive(") && line.contains("ToSchema") {
            let mut alias = None;
            let mut j = i + 1;
            while j < lines.len() {
                let l = lines[j].trim_start();
                if let Some(c) = rename.captures(l) {
                    alias = Some(c[1].replace("::", "."));
                }
                if l.starts_with("#[") || l.starts_with("///") || l.starts_with("//") {
                    j += 1;
                    continue;
                }
                if let Some(c) = item.captures(l) {
                    if !c[1].starts_with('$') {
                        out.push(alias.take().unwrap_or_else(|| c[1].to_string()));
                    }
                }
                break;
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// Two types with the same schema name overwrite each other among the components, so one of
/// them is documented with the other's fields (a request refused by its own schema, a
/// response that fails it). Every schema of the document must come from one type only.
#[test]
fn schema_names_are_unique() {
    let doc = document();
    let names: BTreeSet<String> = doc["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .keys()
        .cloned()
        .collect();
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = vec![];
    for krate in ["domain", "store", "service", "web"] {
        crate::common::rust_files(&crates.join(krate).join("src"), &mut files);
    }
    assert!(files.len() > 20, "sources found: {}", files.len());
    let mut defined: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("source");
        for name in schema_types_in(&text) {
            defined
                .entry(name)
                .or_default()
                .push(f.display().to_string());
        }
    }
    let clashes: Vec<String> = defined
        .iter()
        .filter(|(name, at)| at.len() > 1 && names.contains(*name))
        .map(|(name, at)| format!("{name}: {}", at.join(", ")))
        .collect();
    assert!(
        clashes.is_empty(),
        "schema names defined more than once:\n{}",
        clashes.join("\n")
    );
}

/// Each operation documents the errors it really answers with, each with the error body:
/// 401 when it needs a login, 404 when a path names a record, 400 for a malformed query or
/// JSON body, 415/422 for a JSON body of the wrong type or content, 413 and 408 for a
/// write's body, 429 for too many requests of one account, 503 when the server sheds load,
/// 500 for a failure of the server itself.
#[test]
fn every_operation_documents_its_errors() {
    let doc = document();
    let mut problems = vec![];
    for (method, path, op) in operations(&doc) {
        let responses = op["responses"].as_object().cloned().unwrap_or_default();
        let has = |s: &str| responses.contains_key(s);
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        let in_ = |place: &str| params.iter().any(|p| p["in"] == place);
        let json_body = op["requestBody"]["content"]
            .as_object()
            .is_some_and(|c| c.contains_key("application/json"));
        let secured = op["security"].is_array();
        let write = method != "get";
        let mut expected = vec!["500", "503"];
        if secured {
            expected.extend(["401", "429"]);
        }
        if in_("path") {
            expected.push("404");
        }
        if in_("query") || json_body {
            expected.push("400");
        }
        if json_body {
            expected.extend(["415", "422"]);
        }
        if write {
            expected.extend(["408", "413"]);
        }
        for s in expected {
            if !has(s) {
                problems.push(format!("{method} {path}: status {s} not documented"));
            }
        }
        for (status, r) in &responses {
            if status.starts_with('4') || status.starts_with('5') {
                let schema = &r["content"]["application/json"]["schema"]["$ref"];
                if schema != "#/components/schemas/ErrorBody" {
                    problems.push(format!(
                        "{method} {path}: error {status} does not declare the error body"
                    ));
                }
            }
        }
        if !responses.keys().any(|s| s.starts_with('2')) {
            problems.push(format!("{method} {path}: no success status"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// A client generated from the document names each method after its operation id: two
/// operations with the same id cannot both be called.
#[test]
fn operation_ids_are_unique() {
    let doc = document();
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap_or("").to_string();
        assert!(!id.is_empty(), "{method} {path} has no operation id");
        seen.entry(id).or_default().push(format!("{method} {path}"));
    }
    let shared: Vec<String> = seen
        .iter()
        .filter(|(_, ops)| ops.len() > 1)
        .map(|(id, ops)| format!("{id}: {}", ops.join(", ")))
        .collect();
    assert!(
        shared.is_empty(),
        "shared operation ids:\n{}",
        shared.join("\n")
    );
}
