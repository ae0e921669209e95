//! The SQLite and PostgreSQL migrations describe one schema: with the words each engine
//! spells its own way normalised, the two folders hold the same files and, file by file,
//! the same statements in the same order. The few places where the engines need different
//! SQL are listed in [`ALLOWED`] with the reason; triggers, whose bodies are written in each
//! engine's own language, are compared by what fires them (table, timing, event), and the
//! triggers dropped by what still fires after each file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Statements that may differ between the engines: (file, start of the normalised
/// statement, why).
const ALLOWED: &[(&str, &str, &str)] = &[
    (
        "0004_category_scope.sql",
        "UPDATE PERSON_CATEGORIES",
        "SQLite fills the column with a correlated subquery, PostgreSQL with UPDATE … FROM; \
         the same values",
    ),
    (
        "0018_command_rollups.sql",
        "INSERT INTO ON_DUTY_DAYS",
        "date arithmetic: SQLite's date(e, '+1 day') is PostgreSQL's e + 1 on a DATE",
    ),
    (
        "0019_stock_use.sql",
        "UPDATE STOCK_DAYS SET CUM_OUT",
        "PostgreSQL's SUM of BIGINT is NUMERIC, cast back to BIGINT; SQLite's is an integer",
    ),
    (
        "0062_last_plain_personal_data.sql",
        "UPDATE MONITORING_ALERTS",
        "where a text starts in another: SQLite's instr is PostgreSQL's strpos",
    ),
];

/// Functions are PostgreSQL's way to give a trigger its body (SQLite writes the body in
/// the trigger): they are left out, and the triggers compared by what fires them.
fn is_function(stmt: &str) -> bool {
    stmt.starts_with("CREATE FUNCTION")
        || stmt.starts_with("CREATE OR REPLACE FUNCTION")
        || stmt.starts_with("DROP FUNCTION")
}

/// Statements about triggers, compared by what fires them rather than one by one (one
/// PostgreSQL trigger may do the work of several SQLite ones).
fn is_trigger(stmt: &str) -> bool {
    stmt.starts_with("CREATE TRIGGER") || stmt.starts_with("DROP TRIGGER")
}

fn dir(engine: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(engine)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Punct(char),
    Dollar,
}

fn tokens(sql: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let cs: Vec<char> = sql.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && cs.get(i + 1) == Some(&'-') {
            while i < cs.len() && cs[i] != '\n' {
                i += 1;
            }
        } else if c == '\'' || c == '"' {
            let mut s = String::new();
            i += 1;
            while i < cs.len() {
                if cs[i] == c {
                    if cs.get(i + 1) == Some(&c) {
                        s.push(c);
                        i += 2;
                        continue;
                    }
                    break;
                }
                s.push(cs[i]);
                i += 1;
            }
            i += 1;
            out.push(if c == '\'' {
                Tok::Str(s)
            } else {
                // A quoted identifier or collation name: kept as written.
                Tok::Word(format!("\"{s}\""))
            });
        } else if c == '$' && cs.get(i + 1) == Some(&'$') {
            out.push(Tok::Dollar);
            i += 2;
        } else if c.is_alphanumeric() || c == '_' {
            let mut w = String::new();
            while i < cs.len() && (cs[i].is_alphanumeric() || cs[i] == '_' || cs[i] == '.') {
                w.push(cs[i].to_ascii_uppercase());
                i += 1;
            }
            out.push(Tok::Word(w));
        } else {
            out.push(Tok::Punct(c));
            i += 1;
        }
    }
    out
}

/// The statements of a file, each as tokens: split at `;` outside PostgreSQL `$$` bodies
/// and SQLite trigger bodies (`BEGIN … END`, with `CASE … END` inside).
fn statements(sql: &str) -> Vec<Vec<Tok>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let (mut dollar, mut depth, mut case) = (false, 0, 0);
    for t in tokens(sql) {
        match &t {
            Tok::Dollar => dollar = !dollar,
            Tok::Word(w) if !dollar && w == "CASE" => case += 1,
            Tok::Word(w) if !dollar && w == "BEGIN" => depth += 1,
            Tok::Word(w) if !dollar && w == "END" => {
                if case > 0 {
                    case -= 1;
                } else {
                    depth -= 1;
                }
            }
            Tok::Punct(';') if !dollar && depth == 0 => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                continue;
            }
            _ => {}
        }
        cur.push(t);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn is(t: Option<&Tok>, w: &str) -> bool {
    matches!(t, Some(Tok::Word(x)) if x == w)
}

/// The statement with each engine's own words put one way.
fn normalise(toks: &[Tok]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    let at = |i: usize, ws: &[&str]| ws.iter().enumerate().all(|(k, w)| is(toks.get(i + k), w));
    while i < toks.len() {
        // Auto-increment keys: AUTOINCREMENT, identity columns, BIGSERIAL.
        if at(i, &["INTEGER", "PRIMARY", "KEY", "AUTOINCREMENT"]) {
            out.push("SERIAL_KEY".into());
            i += 4;
            continue;
        }
        if at(
            i,
            &[
                "BIGINT",
                "GENERATED",
                "BY",
                "DEFAULT",
                "AS",
                "IDENTITY",
                "PRIMARY",
                "KEY",
            ],
        ) {
            out.push("SERIAL_KEY".into());
            i += 8;
            continue;
        }
        if at(
            i,
            &[
                "BIGINT",
                "GENERATED",
                "ALWAYS",
                "AS",
                "IDENTITY",
                "PRIMARY",
                "KEY",
            ],
        ) {
            out.push("SERIAL_KEY".into());
            i += 7;
            continue;
        }
        if at(i, &["BIGSERIAL", "PRIMARY", "KEY"]) {
            out.push("SERIAL_KEY".into());
            i += 3;
            continue;
        }
        // Byte-order collation on PostgreSQL (SQLite compares bytes already).
        if at(i, &["COLLATE", "\"C\""]) {
            i += 2;
            continue;
        }
        if at(i, &["WITHOUT", "ROWID"]) {
            i += 2;
            continue;
        }
        if at(i, &["IF", "NOT", "EXISTS"]) {
            i += 3;
            continue;
        }
        if at(i, &["DOUBLE", "PRECISION"]) {
            out.push("REAL".into());
            i += 2;
            continue;
        }
        // A typed date literal (DATE '9999-12-31') is the string on SQLite.
        if is(toks.get(i), "DATE") && matches!(toks.get(i + 1), Some(Tok::Str(_))) {
            i += 1;
            continue;
        }
        let t = match &toks[i] {
            Tok::Word(w) => match w.as_str() {
                "INTEGER" | "BIGINT" | "INT" | "SMALLINT" | "INT8" | "INT4" => "INT".to_string(),
                // Dates and instants are ISO text on SQLite.
                "TIMESTAMPTZ" | "TIMESTAMP" | "DATE" | "VARCHAR" => "TEXT".to_string(),
                "BYTEA" => "BLOB".to_string(),
                "FALSE" => "0".to_string(),
                "TRUE" => "1".to_string(),
                w => w.to_string(),
            },
            Tok::Str(s) => format!("'{s}'"),
            Tok::Punct(c) => c.to_string(),
            Tok::Dollar => "$$".to_string(),
        };
        out.push(t);
        i += 1;
    }
    out.join(" ")
}

type Event = (String, String, String);

/// What fires the triggers created by a file: (table, BEFORE/AFTER, event).
fn trigger_events(stmts: &[String]) -> BTreeSet<Event> {
    stmts
        .iter()
        .filter(|s| s.starts_with("CREATE TRIGGER"))
        .flat_map(|s| events_of(s))
        .collect()
}

/// The name a `CREATE TRIGGER` or `DROP TRIGGER` statement gives.
fn trigger_name(stmt: &str) -> String {
    let words: Vec<&str> = stmt.split(' ').collect();
    let at = if words.get(2) == Some(&"IF") { 4 } else { 2 };
    words.get(at).expect("trigger name").to_string()
}

/// The triggers in place after the statements of a file, by name, from those before; the
/// names dropped that were not in place.
fn apply_triggers(live: &mut BTreeMap<String, BTreeSet<Event>>, stmts: &[String]) -> Vec<String> {
    let mut unknown = Vec::new();
    for s in stmts {
        if s.starts_with("CREATE TRIGGER") {
            live.insert(trigger_name(s), events_of(s));
        } else if s.starts_with("DROP TRIGGER") && live.remove(&trigger_name(s)).is_none() {
            unknown.push(trigger_name(s));
        }
    }
    unknown
}

/// What fires the triggers in place.
fn live_events(live: &BTreeMap<String, BTreeSet<Event>>) -> BTreeSet<Event> {
    live.values().flatten().cloned().collect()
}

/// What fires a `CREATE TRIGGER` statement: (table, BEFORE/AFTER, event).
fn events_of(s: &str) -> BTreeSet<Event> {
    let words: Vec<&str> = s.split(' ').collect();
    let timing = words
        .iter()
        .position(|w| *w == "BEFORE" || *w == "AFTER")
        .expect("trigger timing");
    let on = words
        .iter()
        .position(|w| *w == "ON")
        .expect("trigger table");
    let table = words[on + 1].to_string();
    let events = words[timing + 1..on].join(" ");
    events
        .split(" OR ")
        .map(|e| {
            (
                table.clone(),
                words[timing].to_string(),
                e.trim().to_string(),
            )
        })
        .collect()
}

fn files(engine: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir(engine))
        .expect("migrations folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    v.sort();
    v
}

/// The differences between the two folders that no entry of [`ALLOWED`] explains.
fn drift() -> Vec<String> {
    let mut problems = Vec::new();
    let (sqlite, postgres) = (files("sqlite"), files("postgres"));
    let (mut live_s, mut live_p) = (BTreeMap::new(), BTreeMap::new());
    if sqlite != postgres {
        problems.push(format!(
            "the folders hold different files: sqlite {sqlite:?}, postgres {postgres:?}"
        ));
    }
    for f in sqlite.iter().filter(|f| postgres.contains(f)) {
        let read = |engine: &str| -> Vec<String> {
            let sql = std::fs::read_to_string(dir(engine).join(f)).expect("migration");
            statements(&sql).iter().map(|s| normalise(s)).collect()
        };
        let (s, p) = (read("sqlite"), read("postgres"));
        let (ts, tp) = (trigger_events(&s), trigger_events(&p));
        if ts != tp {
            problems.push(format!(
                "{f}: triggers differ: sqlite {ts:?}, postgres {tp:?}"
            ));
        }
        for (engine, live, stmts) in [("sqlite", &mut live_s, &s), ("postgres", &mut live_p, &p)] {
            for name in apply_triggers(live, stmts) {
                problems.push(format!("{f}: {engine} drops a trigger {name} not created"));
            }
        }
        let (ls, lp) = (live_events(&live_s), live_events(&live_p));
        if ls != lp {
            problems.push(format!(
                "{f}: after it, different triggers fire: sqlite {ls:?}, postgres {lp:?}"
            ));
        }
        let plain = |v: &[String]| -> Vec<String> {
            v.iter()
                .filter(|x| !is_trigger(x) && !is_function(x))
                .cloned()
                .collect()
        };
        let (s, p) = (plain(&s), plain(&p));
        if s.len() != p.len() {
            problems.push(format!(
                "{f}: {} statements on SQLite, {} on PostgreSQL",
                s.len(),
                p.len()
            ));
        }
        for (a, b) in s.iter().zip(&p) {
            if a == b {
                continue;
            }
            let allowed = ALLOWED
                .iter()
                .any(|(file, start, _)| file == f && a.starts_with(start) && b.starts_with(start));
            if !allowed {
                problems.push(format!("{f}:\n  sqlite:   {a}\n  postgres: {b}"));
            }
        }
    }
    problems
}

#[test]
fn the_two_migration_folders_describe_one_schema() {
    let problems = drift();
    assert!(
        problems.is_empty(),
        "the migrations drift:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_allowed_difference_is_still_needed() {
    for (file, start, why) in ALLOWED {
        let read = |engine: &str| -> Option<String> {
            let sql = std::fs::read_to_string(dir(engine).join(file)).ok()?;
            statements(&sql)
                .iter()
                .map(|s| normalise(s))
                .find(|s| s.starts_with(start))
        };
        let (a, b) = (read("sqlite"), read("postgres"));
        assert!(a.is_some() && b.is_some(), "{file}: no statement {start}");
        assert_ne!(
            a, b,
            "{file}: {start} no longer differs ({why}): drop it from ALLOWED"
        );
    }
}

#[test]
fn normalising_puts_each_engines_words_one_way() {
    let s =
        "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, \
             on_ DATE, ok BOOLEAN NOT NULL DEFAULT 0, b BLOB) WITHOUT ROWID;";
    let p = "create table t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, \
             at TIMESTAMPTZ NOT NULL, on_ DATE, ok BOOLEAN NOT NULL DEFAULT FALSE, b BYTEA); -- note";
    let n = |sql: &str| {
        statements(sql)
            .iter()
            .map(|s| normalise(s))
            .collect::<Vec<_>>()
    };
    assert_eq!(n(s), n(p));
    let trig = "CREATE TRIGGER x AFTER INSERT ON t BEGIN UPDATE u SET a = CASE WHEN 1 THEN 2 END; END; SELECT 1;";
    assert_eq!(n(trig).len(), 2, "a trigger body is one statement");
}
