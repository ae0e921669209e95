//! No page module uses another page module: what pages share lives in the shell, the form
//! helpers and the display helpers outside `src/pages`, so the pages stay independent of one
//! another. A page area may be a folder (`pages/supplies/…`) whose files use each other.

use regex::Regex;
use std::path::Path;

/// The page areas: every file and folder directly under `src/pages` but `mod.rs`.
fn areas(pages: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(pages).expect("src/pages is readable") {
        let path = entry.expect("an entry of src/pages").path();
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("a UTF-8 file name")
            .to_string();
        if path.is_dir() || (name != "mod" && path.extension().is_some_and(|e| e == "rs")) {
            names.push(name);
        }
    }
    names.sort();
    names
}

/// The module path of a file under `src/pages`, without `pages`: `supplies.rs` and
/// `supplies/mod.rs` are `[supplies]`, `supplies/stores.rs` is `[supplies, stores]`.
fn module_path(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs").to_string();
        if stem != "mod" {
            parts.push(stem);
        }
    }
    parts
}

/// The names a path continues with after a prefix: `x` in `prefix::x`, or `a`, `b` in
/// `prefix::{a, b::c}`.
fn names_after(rest: &str) -> Vec<String> {
    let rest = rest.trim_start();
    if let Some(group) = rest.strip_prefix('{') {
        let mut depth = 1;
        let mut end = group.len();
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let mut names = Vec::new();
        let mut depth = 0;
        let mut start = true;
        let mut current = String::new();
        for c in group[..end].chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    start = true;
                    continue;
                }
                _ => {}
            }
            if depth == 0 && start {
                if c.is_alphanumeric() || c == '_' {
                    current.push(c);
                } else if !current.is_empty() {
                    names.push(std::mem::take(&mut current));
                    start = false;
                }
            }
        }
        if !current.is_empty() {
            names.push(current);
        }
        names
    } else {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            vec![]
        } else {
            vec![name]
        }
    }
}

/// The other page areas a file's source reaches, through `crate::pages::…` or `super::…`.
fn other_pages_used(module: &[String], source: &str, areas: &[String]) -> Vec<String> {
    let own = module.first().cloned().unwrap_or_default();
    let code: String = source
        .lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let absolute = Regex::new(r"(?:\bcrate|\$crate|\bdualtrack_web)\s*::\s*pages\s*::").unwrap();
    let relative = Regex::new(r"\b((?:super\s*::\s*)+)").unwrap();
    let mut found = Vec::new();
    for m in absolute.find_iter(&code) {
        found.extend(names_after(&code[m.end()..]));
    }
    for c in relative.captures_iter(&code) {
        let whole = c.get(0).expect("the match");
        let ups = c[1].matches("super").count();
        // Reaches `pages` itself when it climbs as high as the file's module path is deep;
        // otherwise it stays inside the file's own area.
        if ups >= module.len() {
            found.extend(names_after(&code[whole.end()..]));
        }
    }
    let mut used: Vec<String> = found
        .into_iter()
        .filter(|n| *n != own && areas.contains(n))
        .collect();
    used.sort();
    used.dedup();
    used
}

#[test]
fn no_page_module_uses_another_page_module() {
    let pages = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/pages");
    let areas = areas(&pages);
    assert!(areas.len() > 10, "the page areas were not found: {areas:?}");
    let mut files = Vec::new();
    crate::common::rust_files(&pages, &mut files);
    files.sort();
    let mut crossings = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&pages).expect("a file under src/pages");
        if relative == Path::new("mod.rs") {
            // The route table names every page.
            continue;
        }
        let source = std::fs::read_to_string(&file).expect("a readable source file");
        let used = other_pages_used(&module_path(relative), &source, &areas);
        if !used.is_empty() {
            crossings.push(format!("pages/{} uses {used:?}", relative.display()));
        }
    }
    assert!(
        crossings.is_empty(),
        "page modules use other page modules (move what they share to the shell, forms, \
         display or views):\n{}",
        crossings.join("\n")
    );
}

#[test]
fn the_check_sees_a_page_using_another() {
    let areas: Vec<String> = ["home", "mobilisation", "supplies", "whistle"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let home = vec!["home".to_string()];
    let stores = vec!["supplies".to_string(), "stores".to_string()];
    let uses = |module: &[String], src: &str| other_pages_used(module, src, &areas);

    assert_eq!(
        uses(&home, "use super::mobilisation::{today, OrgTable};"),
        ["mobilisation"]
    );
    assert_eq!(
        uses(&home, "use super::{mobilisation::today, whistle, render};"),
        ["mobilisation", "whistle"]
    );
    assert_eq!(
        uses(&home, "let x = crate::pages::whistle::script_json(&v);"),
        ["whistle"]
    );
    assert_eq!(
        uses(&stores, "use super::super::mobilisation::today;"),
        ["mobilisation"]
    );
    assert_eq!(
        uses(&home, "use crate::pages::{home::x, supplies};"),
        ["supplies"]
    );

    let none: [&str; 0] = [];
    assert_eq!(uses(&stores, "use super::{shared, whistle};"), none);
    assert_eq!(uses(&stores, "use super::super::supplies::x;"), none);
    assert_eq!(uses(&home, "use crate::shell::{render, Nav};"), none);
    assert_eq!(uses(&home, "// use super::mobilisation::today;"), none);
    assert_eq!(uses(&home, "mod tests { use super::*; }"), none);
}
