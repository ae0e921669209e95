//! `dualtrack audit …`: the audit log's chain, its archives.

use crate::cmd::{audit_key_file, open};
use crate::config::Settings;
use dualtrack_service::audit_archive::verify_file;
use dualtrack_service::audit_chain::AuditKey;
use dualtrack_service::Actor;
use std::path::{Path, PathBuf};

/// Where archive files go: as configured, or beside a SQLite database file; none on
/// PostgreSQL unless configured.
pub(crate) fn archive_dir(settings: &Settings) -> Option<PathBuf> {
    if let Some(p) = &settings.audit.archive_dir {
        return Some(p.clone());
    }
    let mut p = dualtrack_store::backup::sqlite_path(&settings.db)?.into_os_string();
    p.push(".audit-archive");
    Some(p.into())
}

/// `dualtrack audit seal`: seals what is not sealed yet.
pub async fn seal(settings: &Settings) -> anyhow::Result<()> {
    let app = open(settings).await?;
    anyhow::ensure!(
        app.audit_key.is_some(),
        "未配置审计密钥文件（audit_key_file），无法封存审计记录"
    );
    let n = app.seal_audit().await?;
    println!("已封存 {n} 条审计记录");
    app.db.close().await;
    Ok(())
}

/// `dualtrack audit verify`: walks the chain; a break is an error naming its place.
pub async fn verify(settings: &Settings) -> anyhow::Result<()> {
    let app = open(settings).await?;
    let check = app.check_audit_chain().await?;
    app.db.close().await;
    if let Some(id) = &check.key_id {
        println!("密钥标识 {id}；审计记录 {} 条", check.rows);
    }
    if check.archives.count > 0 {
        println!(
            "已归档 {} 个文件、{} 条记录（封存第 {} 到第 {} 个），链从归档处接续",
            check.archives.count,
            check.archives.rows,
            check.archives.first_seq.unwrap_or_default(),
            check.archives.last_seq.unwrap_or_default()
        );
    }
    if check.broken.is_some() || !check.keyed {
        anyhow::bail!(check.summary());
    }
    println!("{}", check.summary());
    Ok(())
}

/// `dualtrack audit archive`: seals, then archives the rows past their retention.
pub async fn archive(settings: &Settings) -> anyhow::Result<()> {
    let Some(dir) = archive_dir(settings) else {
        anyhow::bail!("未配置归档目录（[audit] archive_dir）：PostgreSQL 上须设置后才归档审计记录");
    };
    let app = open(settings).await?;
    app.seal_audit().await?;
    let r = app.archive_audit(&Actor::cli(), &dir).await;
    app.db.close().await;
    let r = r?;
    match &r.file {
        Some(f) => println!(
            "已归档 {} 条审计记录（#{} 至 #{}，封存第 {} 到第 {} 个，{} 以前）至 {}；已从库中移除 {} 条",
            r.rows,
            r.first_audit_id,
            r.last_audit_id,
            r.first_seq,
            r.last_seq,
            r.cutoff.format("%Y-%m-%d %H:%M UTC"),
            f.display(),
            r.removed
        ),
        None => println!(
            "没有超过保存期（{} 以前）的已封存审计记录，未生成归档文件",
            r.cutoff.format("%Y-%m-%d %H:%M UTC")
        ),
    }
    Ok(())
}

/// `dualtrack audit verify-archive FILE`: the file's inner chain and signature.
pub fn verify_archive(settings: &Settings, file: &Path) -> anyhow::Result<()> {
    let Some(key_file) = audit_key_file(settings) else {
        anyhow::bail!("未配置审计密钥文件（audit_key_file），无法校验归档文件");
    };
    let key = AuditKey::load(&key_file, false).map_err(anyhow::Error::msg)?;
    let c = verify_file(&key, file).map_err(|e| anyhow::anyhow!("归档文件校验失败：{e}"))?;
    println!(
        "归档文件完整：{} 条审计记录（#{} 至 #{}，封存第 {} 到第 {} 个），签名与封存链均校验通过；末个封存 {}",
        c.rows, c.first_audit_id, c.last_audit_id, c.first_seq, c.last_seq, c.last_mac
    );
    Ok(())
}
