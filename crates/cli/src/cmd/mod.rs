//! One module per subcommand.

pub mod audit;
pub mod bench;
pub mod compliance;
pub(crate) mod drill;
pub mod keys;
pub mod region;
pub mod serve;
pub mod user;

use crate::config::Settings;
use anyhow::Context;
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_service::{Actor, App};
use dualtrack_store::backup::BackupOutcome;
use dualtrack_store::Db;
use std::path::Path;

/// Where the audit chain's key is kept: as configured, or beside a SQLite database file.
pub(crate) fn audit_key_file(settings: &Settings) -> Option<std::path::PathBuf> {
    if let Some(p) = &settings.audit_key_file {
        return Some(p.clone());
    }
    let mut p = dualtrack_store::backup::sqlite_path(&settings.db)?.into_os_string();
    p.push(".audit-key");
    Some(p.into())
}

/// Connects to the configured database and brings its schema up to date.
pub async fn open(settings: &Settings) -> anyhow::Result<App> {
    let db = Db::connect(&settings.db).await?;
    db.migrate().await?;
    let mut app = App::new(db, settings.security());
    if let Some(replica) = settings.database.replica()? {
        app = app.with_replica(replica);
    }
    if let Some(path) = audit_key_file(settings) {
        let key = dualtrack_service::audit_chain::AuditKey::load(&path, true)
            .map_err(anyhow::Error::msg)?;
        app = app.with_audit_key(key);
    }
    if let Some(crypto) = keys::data_keys(settings)? {
        app = app.with_crypto(crypto);
    }
    let app = app.with_audit_retention_days(settings.audit.retention_days);
    Ok(app
        .with_report_due_hour(settings.resumption.report_due_hour)
        .with_grid_report_due_hour(settings.prevention.grid_report_due_hour)
        .with_monitoring_days(settings.prevention.monitoring_days)
        .with_followup_interval_hours(settings.prevention.followup_interval_hours)
        .with_handover_overdue_hours(settings.prevention.handover_overdue_hours)
        .with_retention_days(settings.prevention.retention_days)
        .with_phone_time_max_hours(settings.prevention.phone_time_max_hours))
}

pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let app = open(settings).await?;
    println!("数据库迁移完成（{}）", app.db.engine().name());
    app.db.close().await;
    Ok(())
}

/// The daily briefing of a place as of a day: Markdown on standard output, or a Word or
/// Markdown file by the extension of `out`.
pub async fn brief(
    settings: &Settings,
    jurisdiction: &str,
    date: Option<String>,
    out: Option<&Path>,
) -> anyhow::Result<()> {
    let app = open(settings).await?;
    let q = dualtrack_service::command::CommandQuery {
        as_of: date,
        place: Some(jurisdiction.to_string()),
    };
    let b = app.briefing(&Actor::cli(), &q).await?;
    match out {
        None => print!("{}", dualtrack_service::briefing::markdown(&b)),
        Some(path) => {
            let docx = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("docx"));
            let bytes = if docx {
                dualtrack_service::briefing::docx(&b)?
            } else {
                dualtrack_service::briefing::markdown(&b).into_bytes()
            };
            std::fs::write(path, bytes).with_context(|| format!("无法写入 {}", path.display()))?;
            println!("已写入 {}", path.display());
        }
    }
    Ok(())
}

/// Every indicator of a place as of a day, as JSON or as lines of text.
pub async fn stats(
    settings: &Settings,
    jurisdiction: &str,
    date: Option<String>,
    json: bool,
) -> anyhow::Result<()> {
    let app = open(settings).await?;
    let q = dualtrack_service::command::CommandQuery {
        as_of: date,
        place: Some(jurisdiction.to_string()),
    };
    let values = app.stats(&Actor::cli(), &q).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&values)?);
    } else {
        for v in values.values() {
            println!("{}\t{}\t{}", v.id, v.name, v.text);
        }
    }
    Ok(())
}

/// Erases the personal data whose retention period has passed, and says how much.
pub async fn retention(settings: &Settings) -> anyhow::Result<()> {
    let app = open(settings).await?;
    let r = app.erase_expired(&Actor::cli()).await?;
    println!(
        "已删除个人信息：隔离监测对象 {} 人（{} 及以前解除），通行旅客 {} 人、摸排人员 {} 人（{} 及以前通行、摸排）",
        r.cases, r.released_by, r.travellers, r.screened, r.passed_by
    );
    app.db.close().await;
    Ok(())
}

/// An online backup. A SQLite database that does not exist, or is not a Dualtrack
/// database, is refused (a mistyped `--db` must not create an empty file and call it a
/// backup), as is a target file that exists already.
pub async fn backup(settings: &Settings, to: &Path) -> anyhow::Result<()> {
    let db = match dualtrack_store::backup::sqlite_path(&settings.db) {
        Some(path) => dualtrack_store::backup::open_existing_sqlite(&path).await?,
        None => Db::connect(&settings.db).await?,
    };
    let outcome = dualtrack_store::backup::backup(&db, to).await;
    let done = match outcome {
        Ok(BackupOutcome::Written) => {
            let actor = Actor::cli();
            let mut tx = db.begin().await?;
            let row = actor.audit(
                Action::Backup,
                Outcome::Success,
                "数据库",
                to.display().to_string(),
                None,
                String::new(),
            );
            dualtrack_store::audit::insert(&mut tx, &row).await?;
            tx.commit().await?;
            println!("已备份到 {}", to.display());
            Ok(())
        }
        Ok(BackupOutcome::UseEngineTool(how)) => {
            println!("{how}");
            Ok(())
        }
        Err(e) => Err(anyhow::anyhow!("备份失败：{e}")),
    };
    db.close().await;
    done
}

/// Puts a backup in place of the configured database (the server stopped), brings its
/// schema up to date and records the restore in its audit log.
pub async fn restore(settings: &Settings, from: &Path, force: bool) -> anyhow::Result<()> {
    match dualtrack_store::backup::restore(&settings.db, from, force)
        .await
        .map_err(|e| anyhow::anyhow!("恢复失败：{e}"))?
    {
        dualtrack_store::backup::RestoreOutcome::Restored => {
            // The chain's head recorded beside the key is further on than the restored log:
            // the restore starts it again from what the backup holds.
            if let Some(key) = audit_key_file(settings) {
                let mut head = key.into_os_string();
                head.push(".head");
                let _ = std::fs::remove_file(head);
            }
            let app = open(settings).await?;
            let actor = Actor::cli();
            let mut tx = app.db.begin().await?;
            let row = actor.audit(
                Action::Restore,
                Outcome::Success,
                "数据库",
                from.display().to_string(),
                None,
                String::new(),
            );
            dualtrack_store::audit::insert(&mut tx, &row).await?;
            tx.commit().await?;
            app.db.close().await;
            println!("已从 {} 恢复数据库", from.display());
        }
        dualtrack_store::backup::RestoreOutcome::UseEngineTool(how) => println!("{how}"),
    }
    Ok(())
}
