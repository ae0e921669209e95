//! Online backup. SQLite: `VACUUM INTO`, a consistent copy taken while the server runs.
//! PostgreSQL is backed up with its own tool, `pg_dump`.

use crate::{Db, Result, StoreError};
use std::path::Path;

/// What a backup did.
pub enum BackupOutcome {
    /// A consistent copy was written to the file.
    Written,
    /// This engine is backed up with its own tools; the text says how.
    UseEngineTool(String),
}

pub async fn backup(db: &Db, to: &Path) -> Result<BackupOutcome> {
    match db {
        Db::Sqlite(p) => {
            if to.exists() {
                return Err(StoreError::BadUrl(format!("备份文件已存在：{}，请换一个文件名", to.display())));
            }
            let target = to.to_string_lossy().to_string();
            sqlx::query("VACUUM INTO $1").bind(target).execute(p).await?;
            Ok(BackupOutcome::Written)
        }
        Db::Postgres(_) => Ok(BackupOutcome::UseEngineTool(format!(
            "PostgreSQL 数据库请用 pg_dump 备份，例如：pg_dump --format=custom --file={} \"$DUALTRACK_DB\"",
            to.display()
        ))),
    }
}
