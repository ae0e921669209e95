//! Online backup and restore. SQLite: `VACUUM INTO`, a consistent copy taken while the
//! server runs; a restore puts such a copy in place of the database file while the server is
//! stopped. PostgreSQL is backed up and restored with its own tools, `pg_dump` and
//! `pg_restore`.

use crate::{on_db, Db, Engine, StoreError};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// What a backup did.
pub enum BackupOutcome {
    /// A consistent copy was written to the file.
    Written,
    /// This engine is backed up with its own tools; the text says how.
    UseEngineTool(String),
}

/// Why a backup or a restore was refused, said to the person at the command line.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("数据库文件不存在：{0}（请检查 --db 或环境变量 DUALTRACK_DB；备份不会新建数据库）")]
    NoDatabase(PathBuf),
    #[error("{0} 不是双线指挥平台的数据库（缺少数据表 {1}）")]
    NotDualtrack(PathBuf, &'static str),
    #[error("{0} 无法作为 SQLite 数据库打开：{1}")]
    Unreadable(PathBuf, String),
    #[error("备份文件已存在：{0}。备份不会覆盖已有文件，请换一个文件名，或先移走该文件")]
    TargetExists(PathBuf),
    #[error("备份文件所在目录不存在：{0}")]
    NoDirectory(PathBuf),
    #[error("数据库文件已存在：{0}。恢复会整个替换它：请先停止服务，确认后加 --force")]
    WouldReplace(PathBuf),
    #[error("备份文件损坏（完整性检查未通过）：{0}")]
    Corrupt(String),
    #[error("{0}")]
    Io(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The file a `sqlite:` URL names (`sqlite://a.db`, `sqlite:a.db`, with or without
/// `?options`); `None` for an in-memory database or another engine.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Some(PathBuf::from(path))
}

/// Tables every Dualtrack database has, whatever its version.
const OWN_TABLES: [&str; 3] = ["_sqlx_migrations", "users", "audit_log"];

/// Opens an existing SQLite database file without creating one, and checks that it is a
/// Dualtrack database.
pub async fn open_existing_sqlite(path: &Path) -> std::result::Result<Db, BackupError> {
    if !path.is_file() {
        return Err(BackupError::NoDatabase(path.to_path_buf()));
    }
    let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .map_err(|e| BackupError::Unreadable(path.to_path_buf(), e.to_string()))?
        .create_if_missing(false);
    let pool = SqlitePoolOptions::new()
        .max_connections(2)
        .connect_with(opts)
        .await
        .map_err(|e| BackupError::Unreadable(path.to_path_buf(), e.to_string()))?;
    for table in OWN_TABLES {
        let found: Option<(String,)> =
            sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' AND name = $1")
                .bind(table)
                .fetch_optional(&pool)
                .await
                .map_err(|e| BackupError::Unreadable(path.to_path_buf(), e.to_string()))?;
        if found.is_none() {
            pool.close().await;
            return Err(BackupError::NotDualtrack(path.to_path_buf(), table));
        }
    }
    Ok(Db::Sqlite(pool))
}

/// A consistent copy of a running database into a new file.
pub async fn backup(db: &Db, to: &Path) -> std::result::Result<BackupOutcome, BackupError> {
    match db {
        Db::Sqlite(p) => {
            check_target(to)?;
            let target = to.to_string_lossy().to_string();
            sqlx::query("VACUUM INTO $1")
                .bind(target)
                .execute(p)
                .await
                .map_err(StoreError::from)?;
            Ok(BackupOutcome::Written)
        }
        Db::Postgres(_) => Ok(BackupOutcome::UseEngineTool(format!(
            "PostgreSQL 数据库请用 pg_dump 备份，例如：pg_dump --format=custom --file={} \"$DUALTRACK_DB\"",
            to.display()
        ))),
    }
}

fn check_target(to: &Path) -> std::result::Result<(), BackupError> {
    if to.exists() {
        return Err(BackupError::TargetExists(to.to_path_buf()));
    }
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.is_dir() {
            return Err(BackupError::NoDirectory(dir.to_path_buf()));
        }
    }
    Ok(())
}

/// What a restore did.
pub enum RestoreOutcome {
    /// The backup now is the database file.
    Restored,
    /// This engine is restored with its own tools; the text says how.
    UseEngineTool(String),
}

/// Puts a backup in place of the database the URL names. The backup is checked first (a
/// Dualtrack database that passes SQLite's integrity check), copied beside the target and
/// renamed over it, so the target is either the old database or the whole backup, never a
/// half-copied file; the old database's write-ahead log is removed with it. The server must
/// be stopped; an existing database is replaced only when `force` says so.
pub async fn restore(
    url: &str,
    from: &Path,
    force: bool,
) -> std::result::Result<RestoreOutcome, BackupError> {
    if Engine::from_url(url)? == Engine::Postgres {
        return Ok(RestoreOutcome::UseEngineTool(format!(
            "PostgreSQL 数据库请用 pg_restore 恢复，例如：pg_restore --clean --if-exists --dbname=\"$DUALTRACK_DB\" {}",
            from.display()
        )));
    }
    let Some(target) = sqlite_path(url) else {
        return Err(StoreError::BadUrl(crate::redact_url(url)).into());
    };
    if target.exists() && !force {
        return Err(BackupError::WouldReplace(target));
    }
    let backup = open_existing_sqlite(from).await?;
    let check: std::result::Result<(String,), _> = on_db!(&backup, p => {
        sqlx::query_as("PRAGMA integrity_check").fetch_one(p).await
    });
    backup.close().await;
    match check {
        Ok((s,)) if s == "ok" => {}
        Ok((s,)) => return Err(BackupError::Corrupt(s)),
        Err(e) => return Err(BackupError::Corrupt(e.to_string())),
    }
    let io = |e: std::io::Error| BackupError::Io(format!("恢复失败：{e}"));
    let mut staging = target.clone().into_os_string();
    staging.push(".restoring");
    let staging = PathBuf::from(staging);
    std::fs::copy(from, &staging).map_err(io)?;
    std::fs::File::open(&staging)
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    for suffix in ["-wal", "-shm"] {
        let mut side = target.clone().into_os_string();
        side.push(suffix);
        match std::fs::remove_file(PathBuf::from(side)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
    }
    std::fs::rename(&staging, &target).map_err(io)?;
    Ok(RestoreOutcome::Restored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(sqlite_path("sqlite://dt.db"), Some(PathBuf::from("dt.db")));
        assert_eq!(
            sqlite_path("sqlite:///var/lib/dt.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/dt.db"))
        );
        assert_eq!(sqlite_path("sqlite:dt.db"), Some(PathBuf::from("dt.db")));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://h/db"), None);
    }
}
