//! Benchmarks that print figures, run on demand from the command line
//! (`dualtrack bench region-import`, `dualtrack bench dashboard`, …). Each module is one
//! benchmark; what they share — the database they start from, the small HTTP client, the
//! percentiles and a deterministic generator — lives here once. The data they generate in
//! bulk are written through the store (`dualtrack_store::bulk` and the tracks' bulk
//! inserts); the checks that the figures of the rollups equal those counted from the rows
//! are tests of the command-line crate (`crates/cli/tests/it/bench_data.rs`).

pub mod dashboard;
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

use dualtrack_service::{App, Security};
use dualtrack_store::Db;

/// A new, migrated SQLite database in a temporary directory (removed with the directory),
/// and an application on it with default security settings.
pub async fn fresh_sqlite(file: &str) -> anyhow::Result<(tempfile::TempDir, Db, App)> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join(file).display());
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    let app = App::new(db.clone(), Security::default());
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
