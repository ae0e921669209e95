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
        "HTTPS：开启，但证书不可用：证书文件 /etc/dualtrack/tls/fullchain.pem 无法读取",
        "审计密钥：已配置",
        "个人信息加密：已启用（SM4-GCM，当前密钥 k1）",
        "摸排人员（screened_persons）的姓名、身份证号、电话",
        "住户（households）的住址、户主姓名",
        "随访记录（monitoring_followups）的症状、健康情况备注",
        "企业联系人（enterprises）的联系电话",
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

/// The HTTPS line reads the certificate file in force: its subject and expiry, or that it
/// has expired (it used to say "on" whatever the file held).
async fn the_https_line_reads_the_certificate(engine: Engine) {
    let t = empty_db(engine).await;
    let dir = tempfile::tempdir().expect("dir");
    let listed = |not_after: (i32, u8, u8)| {
        let mut params =
            rcgen::CertificateParams::new(vec!["dualtrack.example".into()]).expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "双线指挥平台测试");
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(not_after.0, not_after.1, not_after.2);
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("cert");
        let (cert_file, key_file) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        std::fs::write(&cert_file, cert.pem()).expect("cert");
        std::fs::write(&key_file, key.serialize_pem()).expect("key");
        let config = dir.path().join("dt.toml");
        let toml = format!(
            "[server]\ntls_cert = {:?}\ntls_key = {:?}\n",
            cert_file.display().to_string(),
            key_file.display().to_string()
        );
        std::fs::write(&config, toml).expect("config");
        let o = Command::new(env!("CARGO_BIN_EXE_dualtrack"))
            .arg("--config")
            .arg(&config)
            .args(["--db", t.url.as_str(), "compliance"])
            .env_remove("DUALTRACK_DB")
            .output()
            .expect("runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    let valid = listed((2099, 12, 31));
    assert!(
        valid.contains("HTTPS：开启（证书 CN=双线指挥平台测试，有效期至 2099-12-31"),
        "{valid}"
    );
    let expired = listed((2021, 6, 30));
    assert!(
        expired.contains("HTTPS：开启，但证书不可用：证书（CN=双线指挥平台测试）已于 2021-06-30"),
        "{expired}"
    );
}

on_both_engines!(
    the_compliance_document_has_every_control_and_the_values_in_force,
    the_https_line_reads_the_certificate
);
