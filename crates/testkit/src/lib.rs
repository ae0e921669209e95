//! Test support: a real database per test, on SQLite or PostgreSQL, holding the Haixi demo
//! (the tree of 6328, some grids, one account per role; password `Haixi@2020`).
//!
//! The demo is built once per test process into a template — a SQLite file, or a
//! PostgreSQL database — and each test gets its own copy, so tests stay independent and
//! fast. PostgreSQL tests need `DUALTRACK_TEST_PG`, the URL of a server where the tests may
//! create databases (`scripts/test.sh` sets it up); without it they fail, they are never
//! skipped.

use dualtrack_service::{App, Security};
use dualtrack_store::{on_db, Db};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::sync::OnceCell;

pub use dualtrack_service::demo::DEMO_PASSWORD;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A database of one test; the SQLite file lives as long as this value.
pub struct TestDb {
    pub db: Db,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL database made for this test, dropped with it.
    pg_name: Option<String>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // A runtime of its own on a thread of its own: the test's runtime may be ending.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let admin = Db::connect(&pg_admin_url()).await.ok()?;
                on_db!(&admin, p => {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(p).await;
                });
                admin.close().await;
                Some(())
            })
        });
        let _ = dropped.join();
    }
}

impl TestDb {
    /// An application on this database with default security settings, as a demo server
    /// runs it (accounts may be given the demo password).
    pub fn app(&self) -> App {
        App::new(self.db.clone(), demo_security())
    }
}

/// Security settings as a demo server runs with them: the demo's accounts have the demo
/// password, which they keep, and sign in without a second factor. The rules that differ
/// (second factor, passwords set by an administrator) are tested with their own settings.
pub fn demo_security() -> Security {
    let mut security = Security {
        second_factor: dualtrack_service::second_factor::Policy::Optional,
        ..Security::default()
    };
    security.password_policy.allow_demo_password = true;
    security.password_policy.change_when_set_by_admin = false;
    security
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

/// The URL of the PostgreSQL server for tests.
pub fn pg_admin_url() -> String {
    std::env::var("DUALTRACK_TEST_PG").unwrap_or_else(|_| {
        panic!(
            "DUALTRACK_TEST_PG is not set: PostgreSQL tests need a server where they may create databases, \
             e.g. DUALTRACK_TEST_PG=postgres://dualtrack:dualtrack@127.0.0.1:5432/postgres (scripts/test.sh sets it)"
        )
    })
}

fn pg_url_for(admin: &str, dbname: &str) -> String {
    // Replace the database name (the last path segment, before any query string).
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (admin, String::new()),
    };
    let cut = base.rfind('/').unwrap_or(base.len());
    format!("{}/{dbname}{query}", &base[..cut])
}

async fn load_demo(db: &Db) {
    db.migrate().await.expect("migrations run");
    let app = App::new(db.clone(), Security::default());
    app.load_demo().await.expect("demo loads");
}

static SQLITE_TEMPLATE: OnceCell<(PathBuf, PathBuf)> = OnceCell::const_new();
static PG_TEMPLATE: OnceCell<String> = OnceCell::const_new();

/// Where this process keeps its SQLite template. A static is never dropped, so the
/// directory outlives the process; the next process removes those of processes gone.
fn template_dir() -> PathBuf {
    let root = std::env::temp_dir();
    if let Ok(entries) = std::fs::read_dir(&root) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let Some(pid) = name.strip_prefix("dualtrack-template-") else {
                continue;
            };
            if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    root.join(format!("dualtrack-template-{}", std::process::id()))
}

/// Drops the PostgreSQL databases left by test processes that are gone (their names carry
/// the process id), so repeated runs do not fill the disk.
async fn drop_stale_pg(admin: &Db) {
    let names: Vec<String> = on_db!(admin, p => sqlx::query_scalar::<_, String>(
        "SELECT datname FROM pg_database WHERE datname LIKE 'dt\\_%'").fetch_all(p).await.unwrap_or_default());
    for name in names {
        let pid = name.split('_').nth(2).unwrap_or("");
        if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            on_db!(admin, p => {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(p).await;
            });
        }
    }
}

async fn sqlite_template() -> &'static PathBuf {
    let (_, path) = SQLITE_TEMPLATE
        .get_or_init(|| async {
            let dir = template_dir();
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("template dir");
            let build = dir.join("build.db");
            let db = Db::connect(&format!("sqlite://{}", build.display())).await.expect("sqlite opens");
            load_demo(&db).await;
            let template = dir.join("template.db");
            on_db!(&db, p => {
                sqlx::query("VACUUM INTO $1").bind(template.display().to_string()).execute(p).await.expect("vacuum into");
            });
            db.close().await;
            for f in ["build.db", "build.db-wal", "build.db-shm"] {
                let _ = std::fs::remove_file(dir.join(f));
            }
            (dir, template)
        })
        .await;
    path
}

async fn pg_template() -> &'static String {
    PG_TEMPLATE
        .get_or_init(|| async {
            let admin = Db::connect(&pg_admin_url())
                .await
                .expect("PostgreSQL at DUALTRACK_TEST_PG answers");
            drop_stale_pg(&admin).await;
            admin.close().await;
            let (db, _, name) = create_pg("dt_tpl", None).await;
            load_demo(&db).await;
            db.close().await;
            name
        })
        .await
}

/// Creates a PostgreSQL database (as a copy of `template`, if given) and connects to it.
async fn create_pg(prefix: &str, template: Option<&str>) -> (Db, String, String) {
    let admin = pg_admin_url();
    let name = unique(prefix);
    let admin_db = Db::connect(&admin)
        .await
        .expect("PostgreSQL at DUALTRACK_TEST_PG answers");
    let sql = match template {
        Some(t) => format!("CREATE DATABASE {name} TEMPLATE {t}"),
        None => format!("CREATE DATABASE {name}"),
    };
    on_db!(&admin_db, p => {
        sqlx::query(&sql).execute(p).await.expect("create database");
    });
    admin_db.close().await;
    let url = pg_url_for(&admin, &name);
    let db = Db::connect(&url).await.expect("new database opens");
    db.migrate().await.expect("migrations run");
    (db, url, name)
}

/// A migrated SQLite file of its own in a new temporary directory, a copy of `template`
/// if one is given.
async fn sqlite_db(file: &str, template: Option<&PathBuf>) -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(file);
    if let Some(template) = template {
        std::fs::copy(template, &path).expect("copy template");
    }
    let url = format!("sqlite://{}", path.display());
    let db = Db::connect(&url).await.expect("sqlite opens");
    db.migrate().await.expect("migrations run");
    TestDb {
        db,
        url,
        _dir: Some(dir),
        pg_name: None,
    }
}

/// A migrated PostgreSQL database of its own, dropped with the value, a copy of `template`
/// if one is given.
async fn pg_db(prefix: &str, template: Option<&str>) -> TestDb {
    let (db, url, name) = create_pg(prefix, template).await;
    TestDb {
        db,
        url,
        _dir: None,
        pg_name: Some(name),
    }
}

/// A fresh database holding the Haixi demo.
pub async fn demo_db(engine: Engine) -> TestDb {
    match engine {
        Engine::Sqlite => sqlite_db("test.db", Some(sqlite_template().await)).await,
        Engine::Postgres => pg_db("dt_test", Some(pg_template().await)).await,
    }
}

/// An empty, migrated database.
pub async fn empty_db(engine: Engine) -> TestDb {
    match engine {
        Engine::Sqlite => sqlite_db("empty.db", None).await,
        Engine::Postgres => pg_db("dt_empty", None).await,
    }
}

/// A real workbook (one sheet, column 姓名, one row) with some of its parts replaced or
/// added: the ground from which tests build hostile uploads.
pub fn craft_workbook(parts: &[(&str, Vec<u8>)]) -> Vec<u8> {
    use std::io::{Cursor, Write};
    let base = dualtrack_service::spreadsheet::write(
        "人员",
        &[("姓名", true)],
        &[vec!["张三".into()]],
        "",
    )
    .expect("xlsx");
    let mut from = zip::ZipArchive::new(Cursor::new(base)).expect("zip");
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..from.len() {
        let f = from.by_index_raw(i).expect("entry");
        let name = f.name().expect("name").to_string();
        if !parts.iter().any(|(n, _)| *n == name) {
            out.raw_copy_file(f).expect("copied");
        }
    }
    for (name, data) in parts {
        out.start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("started");
        out.write_all(data).expect("written");
    }
    out.finish().expect("finished").into_inner()
}

/// Runs each listed `async fn name(engine: Engine)` as two tests, one per engine:
/// `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Engine::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Engine::Postgres).await
                }
            )*
        }
    };
}

/// An API token of an account, read-only for 30 days, written straight to the store (its
/// making through the service has tests of its own); its id. Its secret is unknown.
pub async fn api_token(db: &Db, user_id: i64, name: &str) -> i64 {
    use dualtrack_store::api_tokens::{insert, NewToken};
    let now = dualtrack_service::clock::wall();
    let hash = format!("{user_id}:{name}");
    let mut tx = db.begin().await.expect("begin");
    let id = insert(
        &mut tx,
        &NewToken {
            user_id,
            name,
            token_hash: &hash,
            token_prefix: "dt_test",
            scope: "read",
            jurisdiction_code: None,
            created_at: now,
            expires_at: now + chrono::Duration::days(30),
        },
    )
    .await
    .expect("token");
    tx.commit().await.expect("commit");
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pg_urls_swap_the_database() {
        assert_eq!(
            pg_url_for("postgres://u:p@h:5432/postgres", "x"),
            "postgres://u:p@h:5432/x"
        );
        assert_eq!(
            pg_url_for("postgres://u@h/postgres?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
    }
}
