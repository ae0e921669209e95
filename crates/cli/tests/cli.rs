//! The `dualtrack` command line, run as a user runs it, on a real SQLite file and a real
//! PostgreSQL database.

use dualtrack_testkit::{empty_db, on_both_engines, Engine};
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn dualtrack(db: &str, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dualtrack"));
    cmd.arg("--db")
        .arg(db)
        .args(args)
        .env_remove("DUALTRACK_PASSWORD")
        .env_remove("DUALTRACK_DB");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("binary runs");
    if let Some(mut s) = child.stdin.take() {
        s.write_all(stdin.unwrap_or("").as_bytes()).expect("stdin");
    }
    child.wait_with_output().expect("binary ends")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn regions_and_accounts_from_the_command_line(engine: Engine) {
    let t = empty_db(engine).await;
    let db = t.url.as_str();
    let o = dualtrack(db, &["region", "import", "632802"], &[], None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("新增 "), "{}", text(&o));
    let again = dualtrack(db, &["region", "import", "632802"], &[], None);
    assert!(
        text(&again).contains("新增 0"),
        "importing again changes nothing: {}",
        text(&again)
    );
    let bad = dualtrack(db, &["region", "import", "632899"], &[], None);
    assert!(!bad.status.success());
    assert!(text(&bad).contains("没有“632899”"), "{}", text(&bad));

    let o = dualtrack(
        db,
        &[
            "user",
            "add",
            "--username",
            "dlh_leader",
            "--role",
            "leader",
            "--jurisdiction",
            "632802",
        ],
        &[("DUALTRACK_PASSWORD", "Bayin#2020x")],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        !text(&o).contains("Bayin#2020x"),
        "the password is never printed"
    );
    // From standard input.
    let o = dualtrack(
        db,
        &[
            "user",
            "add",
            "--username",
            "dlh_op",
            "--role",
            "operator",
            "--jurisdiction",
            "632802001",
        ],
        &[],
        Some("Bayin#2020y\n"),
    );
    assert!(o.status.success(), "{}", text(&o));
    let dup = dualtrack(
        db,
        &[
            "user",
            "add",
            "--username",
            "dlh_op",
            "--role",
            "operator",
            "--jurisdiction",
            "632802",
        ],
        &[("DUALTRACK_PASSWORD", "Bayin#2020y")],
        None,
    );
    assert!(!dup.status.success());
    assert!(text(&dup).contains("已被使用"), "{}", text(&dup));
    let weak = dualtrack(
        db,
        &[
            "user",
            "add",
            "--username",
            "weak",
            "--role",
            "leader",
            "--jurisdiction",
            "632802",
        ],
        &[("DUALTRACK_PASSWORD", "123")],
        None,
    );
    assert!(text(&weak).contains("密码至少"), "{}", text(&weak));

    let list = dualtrack(
        db,
        &["user", "list", "--jurisdiction", "632802001"],
        &[],
        None,
    );
    let out = text(&list);
    assert!(
        out.contains("dlh_op") && !out.contains("dlh_leader"),
        "scoped list: {out}"
    );
    let o = dualtrack(db, &["user", "lock", "dlh_op"], &[], None);
    assert!(o.status.success());
    let list = text(&dualtrack(db, &["user", "list"], &[], None));
    assert!(list.contains("已锁定"), "{list}");
    let o = dualtrack(
        db,
        &["user", "passwd", "dlh_leader"],
        &[("DUALTRACK_PASSWORD", "Bayin#2021z")],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = dualtrack(db, &["user", "unlock", "nobody"], &[], None);
    assert!(!o.status.success() && text(&o).contains("未找到用户"));
}

async fn backup_is_a_consistent_copy_or_says_how(engine: Engine) {
    let t = empty_db(engine).await;
    dualtrack(&t.url, &["region", "import", "632857"], &[], None);
    let dir = tempfile::tempdir().expect("dir");
    let to = dir.path().join("copy.db");
    let o = dualtrack(
        &t.url,
        &["backup", "--to", &to.display().to_string()],
        &[],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    match engine {
        Engine::Sqlite => {
            assert!(to.exists());
            let copy = format!("sqlite://{}", to.display());
            let shown = text(&dualtrack(&copy, &["region", "show", "632857"], &[], None));
            assert!(shown.contains("大柴旦行政委员会"), "{shown}");
        }
        Engine::Postgres => assert!(text(&o).contains("pg_dump"), "{}", text(&o)),
    }
}

on_both_engines!(
    regions_and_accounts_from_the_command_line,
    backup_is_a_consistent_copy_or_says_how
);

#[test]
fn default_config_is_commented_toml() {
    let o = Command::new(env!("CARGO_BIN_EXE_dualtrack"))
        .arg("default-config")
        .output()
        .expect("runs");
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("# 数据库地址") && s.contains("session_idle_minutes = 30"));
}

#[test]
fn an_unreachable_database_is_one_clear_line() {
    let o = Command::new(env!("CARGO_BIN_EXE_dualtrack"))
        .args([
            "--db",
            "postgres://dt:secret-pw@127.0.0.1:1/none",
            "migrate",
        ])
        .output()
        .expect("runs");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("无法连接数据库") && !err.contains("secret-pw") && !err.contains("panicked"),
        "{err}"
    );
    let o = Command::new(env!("CARGO_BIN_EXE_dualtrack"))
        .args(["--db", "mysql://x", "migrate"])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&o.stderr).contains("数据库地址无效"));
}

#[test]
fn a_bad_setting_is_named() {
    let o = Command::new(env!("CARGO_BIN_EXE_dualtrack"))
        .args(["migrate"])
        .env("DUALTRACK_SESSION_IDLE_MINUTES", "-5")
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("session_idle_minutes"));
}
