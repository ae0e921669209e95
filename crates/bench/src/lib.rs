//! Benchmarks that print figures, run on demand from the command line
//! (`dualtrack bench region-import`, `dualtrack bench dashboard`, …). Each module is one
//! benchmark; what they share — the database they start from, the small HTTP client, the
//! percentiles and a deterministic generator — lives here once. The data they generate in
//! bulk are written through the store (`dualtrack_store::bulk` and the tracks' bulk
//! inserts); the checks that the figures of the rollups equal those counted from the rows
//! are tests of the command-line crate (`crates/cli/tests/it/bench_data.rs`).

pub mod crypto;
pub mod dashboard;
pub mod drill;
pub mod engine;
pub mod http;
pub mod jobs;
pub mod load;
pub mod mobilisation;
pub mod monitoring;
pub mod passages;
pub mod region;
pub mod resumption;
pub mod stats;
pub mod supplies;

use dualtrack_service::{Actor, App, Security};
use dualtrack_store::Db;

/// A new, migrated SQLite database in a temporary directory (removed with the directory),
/// and an application on it with default security settings.
pub async fn fresh_sqlite(file: &str) -> anyhow::Result<(tempfile::TempDir, Db, App)> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join(file).display());
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    let app = App::new(db.clone(), crate::bench_security());
    Ok((dir, db, app))
}

/// A small deterministic generator.
pub struct Lcg(pub u64);

impl Lcg {
    /// The next number below `n` (below 1 when `n` is 0).
    pub fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

/// `n` at `scale`, at least 1: the size of a part of the data sets of the province.
pub fn scaled(n: u64, scale: f64) -> u64 {
    ((n as f64 * scale).round() as u64).max(1)
}

/// Makes the region of Qinghai, as imported; says what was made.
pub async fn make_region(app: &App) -> anyhow::Result<String> {
    let r = app
        .import_region(&Actor::cli(), Some("63"), &|_, _| {})
        .await?;
    Ok(format!("青海省区划 {} 个单位", r.total))
}

/// Makes the monitored persons of Qinghai at `scale` (a million at 1), each with
/// `followups` follow-ups; says what was made.
pub async fn make_monitoring(db: &Db, scale: f64, followups: usize) -> anyhow::Result<String> {
    let n = scaled(1_000_000, scale);
    let qinghai = dualtrack_domain::jurisdiction::Code::parse("63")?;
    let f = monitoring::populate(db, &qinghai, n, followups).await?;
    Ok(format!("{n} 个对象，{f} 次随访"))
}

/// Makes the supplies at `scale` (five million movements at 1); says what was made.
pub async fn make_supplies(db: &Db, scale: f64) -> anyhow::Result<String> {
    let n = scaled(5_000_000, scale);
    let r = supplies::populate(db, n).await?;
    Ok(format!(
        "{} 个仓库-物资组合，{n} 条出入库（{} 天）",
        r.pairs.len(),
        r.days
    ))
}

/// The security settings of a benchmark's application: its own accounts sign in with
/// their password alone and keep it (what is measured is the work, not the login).
pub fn bench_security() -> Security {
    let mut s = Security {
        second_factor: dualtrack_service::second_factor::Policy::Optional,
        ..Security::default()
    };
    s.password_policy.change_when_set_by_admin = false;
    s
}

/// Creates the account a benchmark signs in as, with one role at the province, unless it
/// is there already.
pub async fn ensure_user(
    db: &Db,
    app: &App,
    username: &str,
    display_name: &str,
    password: &str,
    role: &str,
) -> anyhow::Result<()> {
    if dualtrack_store::user::by_username(db, username)
        .await?
        .is_none()
    {
        let input = dualtrack_service::users::NewUserInput {
            username: username.into(),
            display_name: display_name.into(),
            password: password.into(),
            jurisdiction_code: "63".into(),
            roles: vec![role.into()],
        };
        app.create_user(&Actor::cli(), &input).await?;
    }
    Ok(())
}
