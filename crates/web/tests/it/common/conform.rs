//! Every answer of the API that a test receives is held against the OpenAPI document: its
//! status must be documented for the operation, and its body must match the declared content
//! (the JSON schema of that status, resolved against the document's components). A client
//! generated from the document can then read whatever the tests have seen the server say.

use jsonschema::Validator;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

struct Operation {
    method: String,
    template: String,
    pattern: regex::Regex,
    /// Characters of the template outside its variables: the more, the more specific.
    literal: usize,
}

struct Document {
    doc: Value,
    operations: Vec<Operation>,
    validators: Mutex<HashMap<String, Arc<Validator>>>,
}

fn document() -> &'static Document {
    static DOC: OnceLock<Document> = OnceLock::new();
    DOC.get_or_init(|| {
        let doc = serde_json::to_value(dualtrack_web::openapi()).expect("document serialises");
        let var = regex::Regex::new(r"\\\{[^}]+\\\}").expect("regex");
        let mut operations = vec![];
        for (template, item) in doc["paths"].as_object().expect("paths") {
            let escaped = regex::escape(template);
            let pattern = format!("^{}$", var.replace_all(&escaped, "[^/]+"));
            let literal = var.replace_all(&escaped, "").len();
            for method in item.as_object().expect("path item").keys() {
                operations.push(Operation {
                    method: method.to_uppercase(),
                    template: template.clone(),
                    pattern: regex::Regex::new(&pattern).expect("template pattern"),
                    literal,
                });
            }
        }
        Document {
            doc,
            operations,
            validators: Mutex::new(HashMap::new()),
        }
    })
}

impl Document {
    /// The documented operation a request reached: of the templates that match its path,
    /// the most specific (`/projects/rates` before `/projects/{id}`).
    fn operation(&self, method: &str, path: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .filter(|o| o.method == method && o.pattern.is_match(path))
            .max_by_key(|o| o.literal)
    }

    fn validator(&self, schema: &Value) -> Arc<Validator> {
        let key = schema.to_string();
        let mut cache = self.validators.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(key)
            .or_insert_with(|| {
                // The schema with the components beside it, so that `#/components/…` resolves.
                let root = serde_json::json!({
                    "$schema": "https://json-schema.org/draft/2020-12/schema",
                    "allOf": [schema],
                    "components": self.doc["components"],
                });
                Arc::new(
                    jsonschema::draft202012::options()
                        .should_validate_formats(true)
                        .build(&root)
                        .unwrap_or_else(|e| panic!("schema {schema} does not compile: {e}")),
                )
            })
            .clone()
    }
}

fn media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or("").trim()
}

/// Why an answer does not match the document, or `None` when it does. Only `/api/v1/`
/// is documented.
pub fn mismatch(
    method: &str,
    path: &str,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Option<String> {
    if !path.starts_with("/api/v1/") {
        return None;
    }
    let d = document();
    let Some(op) = d.operation(method, path) else {
        // An unknown path or method is answered 404/405 by the router; anything else
        // means an operation missing from the document.
        return (200..300)
            .contains(&status)
            .then(|| format!("{method} {path} answered {status} but is not in the document"));
    };
    let at = format!("{method} {path} (documented as {})", op.template);
    let responses = &d.doc["paths"][&op.template][op.method.to_lowercase()]["responses"];
    let Some(response) = responses
        .get(status.to_string())
        .or_else(|| responses.get("default"))
    else {
        let documented: Vec<&String> = responses
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        return Some(format!(
            "{at}: status {status} is not documented (documented: {documented:?}); body: {}",
            String::from_utf8_lossy(body)
        ));
    };
    let declared = response["content"].as_object();
    let sent = content_type.map(media_type).unwrap_or("");
    let Some(declared) = declared.filter(|c| !c.is_empty()) else {
        if status == 204 && !body.is_empty() {
            return Some(format!("{at}: 204 with a body"));
        }
        return None;
    };
    if body.is_empty() && status == 204 {
        return None;
    }
    let Some(content) = declared.get(sent) else {
        return Some(format!(
            "{at}: status {status} sent content type {sent:?}, documented {:?}",
            declared.keys().collect::<Vec<_>>()
        ));
    };
    if sent != "application/json" {
        return None;
    }
    let schema = content.get("schema")?;
    let instance: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return Some(format!("{at}: status {status} body is not JSON: {e}")),
    };
    let validator = d.validator(schema);
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .take(5)
        .map(|e| format!("at {}: {e}", e.instance_path()))
        .collect();
    if errors.is_empty() {
        None
    } else {
        let mut text = instance.to_string();
        if text.len() > 800 {
            let mut cut = 800;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
        }
        Some(format!(
            "{at}: status {status} body does not match its schema {schema}:\n{}\nbody: {text}",
            errors.join("\n")
        ))
    }
}

/// Fails the test when an answer does not match the document. With
/// `DUALTRACK_OPENAPI_MISMATCHES=<file>` set, mismatches are appended to that file instead,
/// to see them all in one run.
pub fn check(method: &str, path: &str, status: u16, content_type: Option<&str>, body: &[u8]) {
    if let Some(why) = mismatch(method, path, status, content_type, body) {
        if let Some(file) = std::env::var_os("DUALTRACK_OPENAPI_MISMATCHES") {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(file)
                .expect("mismatch log");
            writeln!(f, "{}", why.replace('\n', " | ")).expect("mismatch log");
            return;
        }
        panic!("the answer does not match the OpenAPI document: {why}");
    }
}
