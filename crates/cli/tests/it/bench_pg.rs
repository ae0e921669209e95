//! `dualtrack bench passages` on PostgreSQL at a tiny scale, as an operator runs it: it
//! prints the app's rate, the engine's (pgbench) and their ratio, each with a number, and
//! drops the database it made. (Only that the figures are there; how fast is not a test.)

use std::process::Command;

fn pg_url() -> String {
    std::env::var("DUALTRACK_TEST_PG")
        .expect("DUALTRACK_TEST_PG names the PostgreSQL server of the tests")
}

/// The number that follows `after` on the line that starts with `head`.
fn figure(out: &str, head: &str, after: &str) -> Option<f64> {
    let line = out.lines().find(|l| l.starts_with(head))?;
    let rest = &line[line.rfind(after)? + after.len()..];
    let n: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    n.parse().ok()
}

/// What `dualtrack --db url bench passages` printed with a tiny load, once it succeeded.
fn bench_passages(url: &str, requests: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_dualtrack"))
        .args(["--db", url, "bench", "passages"])
        .args([
            "--prefilled",
            "300",
            "--requests",
            requests,
            "--clients",
            "2",
        ])
        .env_remove("DUALTRACK_DB")
        .output()
        .expect("binary runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[test]
fn bench_passages_on_postgres_prints_app_engine_and_ratio_and_drops_its_database() {
    let url = pg_url();
    let text = bench_passages(&url, "40");
    let app = figure(&text, "应用：", "s，").expect("the app's rate is printed");
    let engine = figure(&text, "引擎：", "s，").expect("the engine's rate is printed");
    let ratio = figure(&text, "应用/引擎（PostgreSQL）", "：").expect("the ratio is printed");
    assert!(app > 0.0 && engine > 0.0 && ratio > 0.0, "{text}");
    assert!(text.contains("pgbench"), "{text}");

    // The database made for the run is gone.
    let made = text
        .lines()
        .find_map(|l| l.strip_prefix("PostgreSQL：新建数据库 "))
        .and_then(|l| l.split('（').next())
        .expect("the database made for the run is named")
        .to_string();
    let left = Command::new("psql")
        .args([&url, "-Atc"])
        .arg(format!(
            "SELECT COUNT(*) FROM pg_database WHERE datname = '{made}'"
        ))
        .output()
        .expect("psql runs");
    assert_eq!(String::from_utf8_lossy(&left.stdout).trim(), "0", "{made}");
}

#[test]
fn bench_passages_on_sqlite_prints_the_engine_through_one_connection() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("unused.db").display());
    let text = bench_passages(&url, "30");
    assert!(
        figure(&text, "应用：", "s，").is_some_and(|r| r > 0.0),
        "{text}"
    );
    assert!(text.contains("一个连接逐条执行"), "{text}");
    assert!(
        figure(&text, "应用/引擎（SQLite）", "：").is_some_and(|r| r > 0.0),
        "{text}"
    );
}
