//! The `dualtrack` command line, run as a user runs it, on a real SQLite file and a real
//! PostgreSQL database.

use crate::common;

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

/// `dualtrack user add` of one account: its name, role and jurisdiction.
fn user_add(
    db: &str,
    [name, role, place]: [&str; 3],
    env: &[(&str, &str)],
    stdin: Option<&str>,
) -> Output {
    let args = [
        "user",
        "add",
        "--username",
        name,
        "--role",
        role,
        "--jurisdiction",
        place,
    ];
    dualtrack(db, &args, env, stdin)
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

    let o = user_add(
        db,
        ["dlh_leader", "leader", "632802"],
        &[("DUALTRACK_PASSWORD", "Bayin#2020x")],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        !text(&o).contains("Bayin#2020x"),
        "the password is never printed"
    );
    // From standard input.
    let o = user_add(
        db,
        ["dlh_op", "operator", "632802001"],
        &[],
        Some("Bayin#2020y\n"),
    );
    assert!(o.status.success(), "{}", text(&o));
    let dup = user_add(
        db,
        ["dlh_op", "operator", "632802"],
        &[("DUALTRACK_PASSWORD", "Bayin#2020y")],
        None,
    );
    assert!(!dup.status.success());
    assert!(text(&dup).contains("已被使用"), "{}", text(&dup));
    let weak = user_add(
        db,
        ["weak", "leader", "632802"],
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

    // API tokens: listed, never their secret, and revoked.
    let uid: i64 = dualtrack_store::on_db!(&t.db, p => sqlx::query_scalar("SELECT id FROM users WHERE username = 'dlh_op'")
        .fetch_one(p).await.expect("account"));
    let token = dualtrack_testkit::api_token(&t.db, uid, "数据同步").await;
    let list = text(&dualtrack(db, &["user", "tokens", "dlh_op"], &[], None));
    assert!(
        list.contains("数据同步") && list.contains("只读") && list.contains("共 1 个"),
        "{list}"
    );
    let o = dualtrack(
        db,
        &["user", "revoke-token", "dlh_op", &token.to_string()],
        &[],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    let list = text(&dualtrack(db, &["user", "tokens", "dlh_op"], &[], None));
    assert!(list.contains("共 0 个"), "{list}");
}

/// Imports 大柴旦 into the database and backs it up (successfully) to `file` in a new
/// directory: the directory, the backup's path and what the command said.
fn import_and_back_up(url: &str, file: &str) -> (tempfile::TempDir, std::path::PathBuf, Output) {
    dualtrack(url, &["region", "import", "632857"], &[], None);
    let dir = tempfile::tempdir().expect("dir");
    let to = dir.path().join(file);
    let o = dualtrack(
        url,
        &["backup", "--to", &to.display().to_string()],
        &[],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    (dir, to, o)
}

async fn backup_is_a_consistent_copy_or_says_how(engine: Engine) {
    let t = empty_db(engine).await;
    let (_dir, to, o) = import_and_back_up(&t.url, "copy.db");
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

/// The three administrators' accounts are made and changed on the command line, each change
/// audited; one account never holds two of the three, nor one with a business role.
async fn administrator_roles_are_granted_on_the_command_line(engine: Engine) {
    let t = empty_db(engine).await;
    let db = t.url.as_str();
    let o = dualtrack(db, &["region", "import", "632802"], &[], None);
    assert!(o.status.success(), "{}", text(&o));
    let add = |name: &str, role: &str| {
        dualtrack(
            db,
            &[
                "user",
                "add",
                "--username",
                name,
                "--role",
                role,
                "--jurisdiction",
                "632802",
            ],
            &[("DUALTRACK_PASSWORD", "Bayin#2020x")],
            None,
        )
    };
    let o = add("dlh_audit", "auditor");
    assert!(o.status.success(), "{}", text(&o));
    let o = add("dlh_clerk", "operator");
    assert!(o.status.success(), "{}", text(&o));
    let o = dualtrack(
        db,
        &["user", "roles", "dlh_clerk", "--role", "sec_admin"],
        &[],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("安全管理员"), "{}", text(&o));
    for roles in [
        &["--role", "sec_admin", "--role", "auditor"][..],
        &["--role", "auditor", "--role", "leader"][..],
    ] {
        let mut args = vec!["user", "roles", "dlh_audit"];
        args.extend_from_slice(roles);
        let o = dualtrack(db, &args, &[], None);
        assert!(!o.status.success(), "{roles:?}: {}", text(&o));
        assert!(text(&o).contains("兼任"), "{}", text(&o));
    }
    let audited = dualtrack_store::on_db!(&t.db, p => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'user.roles' AND username LIKE 'cli:%'"
    ).fetch_one(p).await.expect("count"));
    assert_eq!(audited, 1, "the one change made is audited");
    let list = text(&dualtrack(db, &["user", "list"], &[], None));
    assert!(
        list.contains("安全管理员") && list.contains("审计员"),
        "{list}"
    );
}

/// `audit seal` and `audit verify` with a key file from the settings: an untouched log
/// passes, a row changed in the database is named, and the exit status says which.
async fn audit_verify_names_a_row_changed_after_its_seal(engine: Engine) {
    let t = empty_db(engine).await;
    let db = t.url.as_str();
    let dir = tempfile::tempdir().expect("dir");
    let key = dir.path().join("audit.key");
    let key_s = key.display().to_string();
    let env = [("DUALTRACK_AUDIT_KEY_FILE", key_s.as_str())];
    let o = dualtrack(db, &["region", "import", "632802"], &env, None);
    assert!(o.status.success(), "{}", text(&o));
    let o = dualtrack(db, &["audit", "seal"], &env, None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("已封存"), "{}", text(&o));
    assert!(key.exists(), "the key file was made");
    let o = dualtrack(db, &["audit", "verify"], &env, None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("审计链完整"), "{}", text(&o));
    let id: i64 = dualtrack_store::on_db!(&t.db, p => sqlx::query_scalar("SELECT MIN(id) FROM audit_log").fetch_one(p).await.expect("id"));
    let lift: &[&str] = match engine {
        Engine::Sqlite => &["DROP TRIGGER audit_log_no_update"],
        Engine::Postgres => &["ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"],
    };
    for sql in lift
        .iter()
        .copied()
        .chain([format!("UPDATE audit_log SET username = 'x' WHERE id = {id}").as_str()])
    {
        dualtrack_store::on_db!(&t.db, p => sqlx::query(sql).execute(p).await.map(|_| ()))
            .expect("tamper");
    }
    let o = dualtrack(db, &["audit", "verify"], &env, None);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("审计记录 #{id}")),
        "{}",
        text(&o)
    );
}

/// `audit archive` moves sealed rows past their retention to a signed file, which
/// `audit verify-archive` checks; the chain still verifies; a changed line is named; a
/// retention below 180 days is refused.
async fn audit_archive_and_verify_archive(engine: Engine) {
    use std::io::Read;
    let t = empty_db(engine).await;
    let db = t.url.as_str();
    let dir = tempfile::tempdir().expect("dir");
    let key = dir.path().join("audit.key").display().to_string();
    let archives = dir.path().join("archives");
    let archives_s = archives.display().to_string();
    let env = [
        ("DUALTRACK_AUDIT_KEY_FILE", key.as_str()),
        ("DUALTRACK_AUDIT__ARCHIVE_DIR", archives_s.as_str()),
    ];
    // Three rows from long ago, then today's.
    let mut tx = t.db.begin().await.expect("tx");
    for day in 1..=3 {
        let at = chrono::DateTime::parse_from_rfc3339(&format!("2020-01-0{day}T08:00:00Z"))
            .expect("time")
            .to_utc();
        let row = dualtrack_store::audit::NewAudit {
            at,
            user_id: None,
            username: "cli:old".into(),
            roles: String::new(),
            action: "system.backup".into(),
            target_kind: "数据库".into(),
            target_id: format!("old-{day}"),
            jurisdiction_code: None,
            source_addr: "local".into(),
            outcome: "success".into(),
            detail: String::new(),
        };
        dualtrack_store::audit::insert(&mut tx, &row)
            .await
            .expect("row");
    }
    tx.commit().await.expect("commit");
    let o = dualtrack(db, &["region", "import", "632802"], &env, None);
    assert!(o.status.success(), "{}", text(&o));
    let o = dualtrack(db, &["audit", "archive"], &env, None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("已归档 3 条审计记录"), "{}", text(&o));
    let files: Vec<_> = std::fs::read_dir(&archives)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let file = files[0].display().to_string();
    let o = dualtrack(db, &["audit", "verify-archive", &file], &env, None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("归档文件完整：3 条"), "{}", text(&o));
    let o = dualtrack(db, &["audit", "verify"], &env, None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("已归档 1 个文件"), "{}", text(&o));
    let left: i64 = dualtrack_store::on_db!(&t.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE target_id LIKE 'old-%'").fetch_one(p).await.expect("count"));
    assert_eq!(left, 0, "the archived rows left the database");

    // The second row of the archive (line 3) changed.
    let mut content = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&files[0]).expect("open"))
        .read_to_string(&mut content)
        .expect("gzip");
    let changed = content.replacen("old-2", "old-X", 1);
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&files[0]).expect("create"),
        Default::default(),
    );
    gz.write_all(changed.as_bytes()).expect("write");
    gz.finish().expect("gzip");
    let o = dualtrack(db, &["audit", "verify-archive", &file], &env, None);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("第 3 行"), "{}", text(&o));

    let short = [env[0], env[1], ("DUALTRACK_AUDIT__RETENTION_DAYS", "90")];
    let o = dualtrack(db, &["audit", "archive"], &short, None);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("audit.retention_days"), "{}", text(&o));
}

on_both_engines!(
    audit_archive_and_verify_archive,
    audit_verify_names_a_row_changed_after_its_seal,
    regions_and_accounts_from_the_command_line,
    backup_is_a_consistent_copy_or_says_how,
    administrator_roles_are_granted_on_the_command_line
);

/// Counts the rows of a table in a SQLite file, opened read-only (nothing is created).
async fn rows_in(path: &std::path::Path, table: &str) -> i64 {
    count_in(path, &format!("SELECT COUNT(*) FROM {table}")).await
}

/// A count asked of a SQLite file opened read-only.
async fn count_in(path: &std::path::Path, sql: &str) -> i64 {
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{ConnectOptions, Connection};
    let mut c = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .expect("the file opens");
    let n: i64 = sqlx::query_scalar(sql)
        .fetch_one(&mut c)
        .await
        .expect("count");
    c.close().await.expect("close");
    n
}

#[tokio::test]
async fn backup_refuses_a_missing_or_foreign_database_and_an_existing_target() {
    let dir = tempfile::tempdir().expect("dir");
    // A mistyped --db: refused, and no empty file left behind.
    let missing = dir.path().join("dualtrak.db");
    let to = dir.path().join("copy.db");
    let o = dualtrack(
        &format!("sqlite://{}", missing.display()),
        &["backup", "--to", &to.display().to_string()],
        &[],
        None,
    );
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("数据库文件不存在"), "{}", text(&o));
    assert!(!missing.exists(), "no database was created");
    assert!(!to.exists(), "no backup was written");

    // A SQLite file of something else.
    let foreign = dir.path().join("other.db");
    {
        use sqlx::sqlite::SqliteConnectOptions;
        use sqlx::{ConnectOptions, Connection};
        let mut c = SqliteConnectOptions::new()
            .filename(&foreign)
            .create_if_missing(true)
            .connect()
            .await
            .expect("create");
        sqlx::query("CREATE TABLE notes (body TEXT)")
            .execute(&mut c)
            .await
            .expect("table");
        c.close().await.expect("close");
    }
    let o = dualtrack(
        &format!("sqlite://{}", foreign.display()),
        &["backup", "--to", &to.display().to_string()],
        &[],
        None,
    );
    assert!(!o.status.success());
    assert!(
        text(&o).contains("不是双线指挥平台的数据库"),
        "{}",
        text(&o)
    );
    assert!(!to.exists());

    // A real database, to a file that exists: refused for that reason.
    let t = empty_db(Engine::Sqlite).await;
    std::fs::write(&to, b"keep me").expect("write");
    let o = dualtrack(
        &t.url,
        &["backup", "--to", &to.display().to_string()],
        &[],
        None,
    );
    assert!(!o.status.success());
    assert!(
        text(&o).contains("备份文件已存在") && !text(&o).contains("数据库地址无效"),
        "{}",
        text(&o)
    );
    assert_eq!(std::fs::read(&to).expect("read"), b"keep me");
}

#[tokio::test]
async fn a_backup_is_restored_in_place_of_the_database() {
    let t = empty_db(Engine::Sqlite).await;
    let (dir, to, _) = import_and_back_up(&t.url, "before.db");
    let before = rows_in(&to, "jurisdictions").await;
    // Work after the backup, then a restore into a new file and over the old one.
    dualtrack(&t.url, &["region", "import", "632802"], &[], None);
    let target = dir.path().join("restored.db");
    let restored = format!("sqlite://{}", target.display());
    let o = dualtrack(
        &restored,
        &["restore", "--from", &to.display().to_string()],
        &[],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(rows_in(&target, "jurisdictions").await, before);
    let shown = text(&dualtrack(
        &restored,
        &["region", "show", "632802"],
        &[],
        None,
    ));
    assert!(
        shown.contains("未找到") || shown.contains("不存在"),
        "not in the backup: {shown}"
    );
    // Over an existing database only when told so.
    let o = dualtrack(
        &t.url,
        &["restore", "--from", &to.display().to_string()],
        &[],
        None,
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("--force"), "{}", text(&o));
    let o = dualtrack(
        &t.url,
        &["restore", "--from", &to.display().to_string(), "--force"],
        &[],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    let path = dualtrack_store::backup::sqlite_path(&t.url).expect("path");
    assert_eq!(rows_in(&path, "jurisdictions").await, before);
    // The restore is in the restored database's audit log.
    let restores = count_in(
        &path,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'system.restore'",
    )
    .await;
    assert_eq!(restores, 1);
    // A file that is not a backup is refused, and the database is left as it was.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all").expect("write");
    let o = dualtrack(
        &t.url,
        &["restore", "--from", &junk.display().to_string(), "--force"],
        &[],
        None,
    );
    assert!(!o.status.success(), "{}", text(&o));
    assert_eq!(rows_in(&path, "jurisdictions").await, before);
}

#[tokio::test]
async fn after_a_clean_stop_the_database_file_alone_holds_every_record() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("demo.db");
    let o = dualtrack(
        &format!("sqlite://{}", file.display()),
        &["demo"],
        &[],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    let wal = dir.path().join("demo.db-wal");
    let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(wal_len, 0, "the log was copied into the file at the stop");
    // The main file copied alone is the whole database.
    let copy_dir = tempfile::tempdir().expect("dir");
    let copy = copy_dir.path().join("copy.db");
    std::fs::copy(&file, &copy).expect("copy");
    assert_eq!(rows_in(&copy, "users").await, 15);
    assert!(rows_in(&copy, "passages").await > 1_000);
}

/// The exit status of a server sent SIGTERM, waited for at most `tenths` tenths of a second:
/// a hang guard, not a timing (the server must end on its own).
#[cfg(unix)]
async fn stopped(child: &mut std::process::Child, tenths: u32) -> std::process::ExitStatus {
    for _ in 0..tenths {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    panic!("the server did not stop on SIGTERM");
}

/// A server stopped with SIGTERM while a client holds a connection half-sent: it stops
/// within its grace period, gives up the scheduler's lease and leaves the log copied back.
#[cfg(unix)]
#[tokio::test]
async fn sigterm_stops_the_server_while_a_slow_client_holds_a_connection() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("serve.db");
    let url = format!("sqlite://{}", file.display());
    let o = dualtrack(&url, &["demo"], &[], None);
    assert!(o.status.success(), "{}", text(&o));
    let (mut child, addr) = common::spawn_server(
        &url,
        &[
            ("DUALTRACK_SERVER__SHUTDOWN_GRACE_SECONDS", "2"),
            ("DUALTRACK_WHISTLE__SCHEDULER_INTERVAL_SECONDS", "1"),
        ],
    );
    // The scheduler takes its lease.
    let mut leased = 0;
    for _ in 0..100 {
        leased = rows_in(&file, "scheduler_leases").await;
        if leased > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(leased, 1, "the scheduler holds its lease");
    // A client that sends half a request head and stalls.
    let mut slow = std::net::TcpStream::connect(&addr).expect("connect");
    std::io::Write::write_all(&mut slow, b"GET /livez HTTP/1.1\r\nHost: x\r\n").expect("send");
    let pid = child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = stopped(&mut child, 300).await;
    assert!(status.success(), "{status:?}");
    assert_eq!(
        rows_in(&file, "scheduler_leases").await,
        0,
        "the lease was given up"
    );
    let wal = dir.path().join("serve.db-wal");
    assert_eq!(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0), 0);
    drop(slow);
}

/// A stop asked for while the server is still starting (here: loading the demo) is not
/// lost to the signal's default action: the server starts, then stops as asked, cleanly.
#[cfg(unix)]
#[tokio::test]
async fn sigterm_while_starting_is_a_clean_stop() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("starting.db");
    let url = format!("sqlite://{}", file.display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_dualtrack"))
        .args(["--db", &url, "serve", "--demo", "--listen", "127.0.0.1:0"])
        .env_remove("DUALTRACK_DB")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    // The database exists once the server has opened it: it is starting.
    for _ in 0..600 {
        if file.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(file.exists(), "the server opened its database");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = stopped(&mut child, 1200).await;
    assert!(
        status.success(),
        "a clean stop, not the signal's: {status:?}"
    );
}

/// `serve --demo` opens on the demo's own day: "today" is 2020-02-27 for every use case,
/// so the day's figures are the field report's and a later day is still to come.
#[tokio::test]
async fn serve_demo_opens_on_the_day_of_the_story() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_dualtrack"))
        .args(["--db", &url, "serve", "--demo", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut said = Vec::new();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server says where it listens")
            .expect("line");
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.split('/').next().unwrap_or_default().to_string();
        }
        said.push(line);
    };
    assert!(
        said.iter()
            .any(|l| l.contains("演示时钟") && l.contains("2020-02-27")),
        "{said:?}"
    );
    let http = reqwest::Client::new();
    let login = http
        .post(format!("http://{addr}/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(r#"{"username": "haixi_leader", "password": "Haixi@2020"}"#)
        .send()
        .await
        .expect("login")
        .text()
        .await
        .expect("body");
    let login: serde_json::Value = serde_json::from_str(&login).expect("json");
    let token = login["token"].as_str().expect("token").to_string();
    let groups = http
        .get(format!("http://{addr}/api/v1/work-groups"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("work groups")
        .text()
        .await
        .expect("body");
    let groups: serde_json::Value = serde_json::from_str(&groups).expect("json");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(groups["as_of"], "2020-02-27", "{groups}");
    assert!(groups["groups_stationed"].as_i64() > Some(0), "{groups}");
}

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

/// The help speaks Chinese: clap's English headings, flags and default notes are replaced.
#[test]
fn the_help_is_in_chinese() {
    for args in [
        &["--help"][..],
        &["brief", "--help"],
        &["bench", "-h"],
        &["bench", "supplies", "--help"],
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_dualtrack"))
            .args(args)
            .output()
            .expect("binary runs");
        assert!(o.status.success(), "{args:?}: {}", text(&o));
        let help = text(&o);
        for english in [
            "Usage",
            "Options",
            "Commands",
            "Arguments",
            "Print help",
            "Print version",
            "[default:",
        ] {
            assert!(!help.contains(english), "{args:?} says {english}: {help}");
        }
        assert!(
            help.contains("用法：") && help.contains("打印帮助"),
            "{help}"
        );
    }
    let top = Command::new(env!("CARGO_BIN_EXE_dualtrack"))
        .arg("--help")
        .output()
        .expect("binary runs");
    let top = text(&top);
    assert!(top.contains("命令") && top.contains("打印版本号"), "{top}");
    let supplies = Command::new(env!("CARGO_BIN_EXE_dualtrack"))
        .args(["bench", "supplies", "--help"])
        .output()
        .expect("binary runs");
    assert!(
        text(&supplies).contains("（默认 50）"),
        "{}",
        text(&supplies)
    );
    let version = Command::new(env!("CARGO_BIN_EXE_dualtrack"))
        .arg("--version")
        .output()
        .expect("binary runs");
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("dualtrack "));
}

/// The demo seals its personal fields under a key it makes beside its database file; every
/// later command on that file reads them with it, without `--demo` and without a key
/// configured (before, such a command found no key and could not open the demo's rows).
#[tokio::test]
async fn a_demo_key_beside_the_file_is_used_by_later_commands() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    let o = dualtrack(&url, &["demo"], &[("DUALTRACK_DATA_KEY", "")], None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(dir.path().join("demo.db.data-key").exists());
    let o = dualtrack(
        &url,
        &["keys", "status"],
        &[("DUALTRACK_DATA_KEY", "")],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("加密：开启；新数据用密钥 k1"), "{out}");
    assert!(
        !out.contains("未加密"),
        "every sealed row is under k1: {out}"
    );
}
