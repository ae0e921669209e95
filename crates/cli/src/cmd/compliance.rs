//! `dualtrack compliance`: the evaluator's document for 等级保护 level three, from the
//! configuration in force.

use crate::cmd::open;
use crate::config::Settings;
use anyhow::Context;
use dualtrack_service::compliance::Deployment;
use std::path::Path;

/// What the configuration says of the deployment.
fn deployment(settings: &Settings, engine: &str) -> Deployment {
    Deployment {
        engine: engine.to_string(),
        tls: settings.server.tls_on(),
        certificate: settings
            .server
            .tls_cert
            .as_deref()
            .filter(|_| settings.server.tls_on())
            .map(|c| dualtrack_web::tls::certificate_facts(c, std::time::SystemTime::now())),
        secure_cookies: settings.secure_cookies(false),
        archive_dir: crate::cmd::audit::archive_dir(settings).map(|p| p.display().to_string()),
        syslog: settings.audit.syslog.clone().filter(|s| !s.is_empty()),
        audit_key_file: crate::cmd::audit_key_file(settings).map(|p| p.display().to_string()),
    }
}

/// Writes the document to `out` (Word), or its text to standard output.
pub async fn run(settings: &Settings, out: Option<&Path>) -> anyhow::Result<()> {
    let app = open(settings).await?;
    let d = deployment(settings, app.db.engine().name());
    match out {
        None => {
            for s in app.compliance_sections(&d) {
                println!("{}", s.heading);
                for p in &s.paragraphs {
                    println!("  {p}");
                }
                println!();
            }
        }
        Some(path) => {
            let date = dualtrack_service::clock::wall()
                .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).context("时区")?)
                .format("%Y年%-m月%-d日")
                .to_string();
            let bytes = app.compliance_docx(&d, &date)?;
            std::fs::write(path, bytes).with_context(|| format!("无法写入 {}", path.display()))?;
            println!("已写入 {}", path.display());
        }
    }
    app.db.close().await;
    Ok(())
}
