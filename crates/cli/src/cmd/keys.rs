//! `dualtrack keys …`: the data keys personal fields are sealed under.

use crate::cmd::open;
use crate::config::Settings;
use dualtrack_service::Actor;
use std::time::Duration;

/// Where the data keys come from, as said at start: `None` when none is configured and no
/// demo key lies beside the database file.
pub(crate) fn data_keys(
    settings: &Settings,
) -> anyhow::Result<Option<dualtrack_service::crypto::FieldCrypto>> {
    use dualtrack_service::crypto::FieldCrypto;
    if let Ok(text) = std::env::var("DUALTRACK_DATA_KEY") {
        if !text.trim().is_empty() {
            // The variable may hold the lines joined by ';' (one line in a unit file).
            let text = text.replace(';', "\n");
            return Ok(Some(FieldCrypto::from_text(&text)?));
        }
    }
    match &settings.crypto.key_file {
        Some(path) => Ok(Some(FieldCrypto::load(path, false)?)),
        // A key the demo made beside its SQLite file: the data under it is readable by
        // every command on that file, with or without `--demo`.
        None => match demo_key_file(settings).filter(|p| p.exists()) {
            Some(path) => Ok(Some(FieldCrypto::load(&path, false)?)),
            None => Ok(None),
        },
    }
}

/// Where `serve --demo` keeps the key it makes: beside a SQLite database file.
pub(crate) fn demo_key_file(settings: &Settings) -> Option<std::path::PathBuf> {
    let mut p = dualtrack_store::backup::sqlite_path(&settings.db)?.into_os_string();
    p.push(".data-key");
    Some(p.into())
}

/// `dualtrack keys status`: rows per table and key.
pub async fn status(settings: &Settings) -> anyhow::Result<()> {
    let app = open(settings).await?;
    match app.crypto.current_key() {
        Some(k) => println!(
            "加密：开启；新数据用密钥 {k}；已配置密钥 {}",
            app.crypto.key_ids().join("、")
        ),
        None => println!("加密：未开启（未配置 [crypto] key_file 或 DUALTRACK_DATA_KEY）"),
    }
    for c in app.key_status().await? {
        println!(
            "  {:<20} {:<8} {} 行",
            c.table,
            c.key.as_deref().unwrap_or("未加密"),
            c.rows
        );
    }
    app.db.close().await;
    Ok(())
}

/// `dualtrack keys rotate`: a new key, and every row sealed again under it.
pub async fn rotate(settings: &Settings, grace_seconds: u64) -> anyhow::Result<()> {
    let app = open(settings).await?;
    anyhow::ensure!(
        app.crypto.enabled(),
        "未配置数据密钥（[crypto] key_file），无法轮换"
    );
    println!("正在轮换：新密钥写入密钥文件；运行中的服务在几秒内读入新密钥");
    let r = app
        .rotate_keys(&Actor::cli(), Duration::from_secs(grace_seconds))
        .await?;
    println!(
        "已启用新密钥 {}，{} 行重新加密（{} 遍）。旧密钥仍在密钥文件中：备份中的数据需要它，确认不再需要后方可删除。",
        r.key, r.rows, r.passes
    );
    app.db.close().await;
    Ok(())
}
