//! The layout the design promises: no source file of the service, the store or the web over
//! 800 lines (route tables and unit tests aside), no function over 150 lines (route tables
//! and demo data tables aside). Big areas are folders of smaller files.

use std::path::Path;

const MAX_FILE_LINES: usize = 800;
const MAX_FN_LINES: usize = 150;

/// Files and functions the limits do not apply to: the route tables (one line a route) and
/// the demo's data tables.
fn exempt_file(path: &str) -> bool {
    path.contains("/demo/")
        || path.ends_with("web/src/api/mod.rs")
        || path.ends_with("web/src/pages/mod.rs")
}

fn exempt_fn(path: &str, name: &str) -> bool {
    exempt_file(path) || name == "routes"
}

/// The lines of a file before its unit tests.
fn code_lines(text: &str) -> Vec<&str> {
    text.lines()
        .take_while(|l| !l.starts_with("#[cfg(test)]"))
        .collect()
}

/// Functions (name, first line, length in lines) of formatted source: from the `fn` line to
/// the closing brace at the same indentation.
fn functions(lines: &[&str]) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let indent = line.len() - t.len();
        let rest = [
            "pub ",
            "pub(crate) ",
            "pub(super) ",
            "async ",
            "const ",
            "unsafe ",
        ]
        .iter()
        .fold(t, |s, p| s.strip_prefix(p).unwrap_or(s));
        let rest = rest.strip_prefix("async ").unwrap_or(rest);
        let Some(sig) = rest.strip_prefix("fn ") else {
            continue;
        };
        let name: String = sig
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let close = format!("{}}}", " ".repeat(indent));
        if let Some(end) = lines[i..].iter().position(|l| *l == close) {
            out.push((name, i + 1, end + 1));
        }
    }
    out
}

#[test]
fn no_file_or_function_outgrows_its_room() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for krate in ["service", "store", "web"] {
        crate::common::rust_files(&root.join(krate).join("src"), &mut files);
    }
    assert!(files.len() > 50, "the sources were found");
    let mut over = Vec::new();
    for f in &files {
        let shown = f.strip_prefix(&root).unwrap_or(f).display().to_string();
        let text = std::fs::read_to_string(f).expect("readable source");
        let lines = code_lines(&text);
        if lines.len() > MAX_FILE_LINES && !exempt_file(&shown) {
            over.push(format!("{shown}: {} lines", lines.len()));
        }
        for (name, at, len) in functions(&lines) {
            if len > MAX_FN_LINES && !exempt_fn(&shown, &name) {
                over.push(format!("{shown}:{at} fn {name}: {len} lines"));
            }
        }
    }
    assert!(over.is_empty(), "too big:\n{}", over.join("\n"));
}

#[test]
fn the_check_measures_functions() {
    let src = "fn a() {\n    x();\n}\n    pub async fn b(\n        y: u8,\n    ) {\n        z();\n    }\n";
    let lines: Vec<&str> = src.lines().collect();
    let fns = functions(&lines);
    assert_eq!(fns, vec![("a".to_string(), 1, 3), ("b".to_string(), 4, 5)]);
}
