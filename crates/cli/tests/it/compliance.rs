//! `dualtrack compliance` writes the evaluator's Word document from the configuration in
//! force: a section for each level-three application control and the unit's own duties,
//! with the values configured (read back from the document's XML).

use dualtrack_testkit::{empty_db, on_both_engines, Engine};
use std::io::Read;
use std::process::Command;

const CONFIG: &str = r#"
session_idle_minutes = 20
password_min_length = 12
[audit]
retention_days = 365
[prevention]
retention_days = 45
[security]
password_hash = "pbkdf2-sm3"
pbkdf2_iterations = 120000
[server]
tls_cert = "/etc/dualtrack/tls/fullchain.pem"
tls_key = "/etc/dualtrack/tls/privkey.pem"
"#;

/// The text of a Word file's body, its tags dropped.
fn document_text(path: &std::path::Path) -> String {
    let file = std::fs::File::open(path).expect("docx written");
    let mut zip = zip::ZipArchive::new(file).expect("a zip");
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .expect("document.xml")
        .read_to_string(&mut xml)
        .expect("read");
    let mut text = String::new();
    let mut in_tag = false;
    for c in xml.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

async fn the_compliance_document_has_every_control_and_the_values_in_force(engine: Engine) {
    let t = empty_db(engine).await;
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("dt.toml");
    std::fs::write(&config, CONFIG).expect("config");
    let key = dir.path().join("audit.key");
    let data_key = dir.path().join("data.key");
    dualtrack_service::crypto::FieldCrypto::load(&data_key, true).expect("a data key made");
    let out = dir.path().join("等保说明.docx");
    let o = Command::new(env!("CARGO_BIN_EXE_dualtrack"))
        .arg("--config")
        .arg(&config)
        .args(["--db", t.url.as_str(), "compliance", "--out"])
        .arg(&out)
        .env("DUALTRACK_AUDIT_KEY_FILE", &key)
        .env("DUALTRACK_CRYPTO__KEY_FILE", &data_key)
        .env_remove("DUALTRACK_DB")
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = document_text(&out);
    for heading in dualtrack_service::compliance::HEADINGS {
        assert!(text.contains(heading), "{heading} in the document");
    }
    assert!(text.contains("部署单位须自行落实的事项"));
    for value in [
        "审计保存 365 天",
        "口令最短 12 位",
        "会话闲置 20 分钟",
        "PBKDF2-HMAC-SM3（120000 次迭代",
        "解除后个人信息保存 45 天",
        "HTTPS：开启",
        "审计密钥：已配置",
        "个人信息加密：已启用（SM4-GCM，当前密钥 k1）",
    ] {
        assert!(text.contains(value), "{value} in: {text}");
    }
    // The defaults read otherwise; without --out the same text is listed on the screen.
    let o = Command::new(env!("CARGO_BIN_EXE_dualtrack"))
        .args(["--db", t.url.as_str(), "compliance"])
        .env_remove("DUALTRACK_DB")
        .env_remove("DUALTRACK_AUDIT_KEY_FILE")
        .env_remove("DUALTRACK_CRYPTO__KEY_FILE")
        .env_remove("DUALTRACK_DATA_KEY")
        .output()
        .expect("runs");
    let listed = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(listed.contains("审计保存 180 天"), "{listed}");
    assert!(listed.contains("HTTPS：关闭"), "{listed}");
    assert!(listed.contains("argon2id"), "{listed}");
    assert!(listed.contains("个人信息加密：未启用"), "{listed}");
}

on_both_engines!(the_compliance_document_has_every_control_and_the_values_in_force);
