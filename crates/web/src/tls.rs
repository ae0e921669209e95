//! HTTPS: the server speaks TLS itself (rustls, TLS 1.2 and 1.3) when given a certificate
//! and its key as PEM files (`[server] tls_cert`, `tls_key`). TLCP (国密 TLS, GB/T 38636)
//! is left to a gateway in front of the server (see the README).

use std::path::Path;
use std::sync::Arc;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The server's TLS settings, ready for its connections.
pub type TlsConfig = Arc<rustls::ServerConfig>;

/// Reads the certificate chain and the private key; an error names the setting at fault, in
/// words for the operator.
pub fn load(cert: &Path, key: &Path) -> Result<TlsConfig, String> {
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            format!(
                "配置项 server.tls_cert：无法读取证书文件 {}（应为 PEM 格式的证书链）：{e}",
                cert.display()
            )
        })?;
    if certs.is_empty() {
        return Err(format!(
            "配置项 server.tls_cert：证书文件 {} 中没有 PEM 格式的证书（-----BEGIN CERTIFICATE-----）",
            cert.display()
        ));
    }
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        format!(
            "配置项 server.tls_key：无法读取私钥文件 {}（应为 PEM 格式的私钥）：{e}",
            key.display()
        )
    })?;
    // *ring* builds with a C compiler alone (no cmake, no assembler); its lack of
    // post-quantum key exchange is why rustls marks it deprecated.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS 设置失败：{e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, private)
        .map_err(|e| {
            format!(
                "配置项 server.tls_cert 与 server.tls_key：证书与私钥不匹配或不受支持（{}、{}）：{e}",
                cert.display(),
                key.display()
            )
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// What the certificate file shows the evaluator: the server certificate's subject and
/// expiry, in words; an error says why the file cannot serve (unreadable, not PEM, not yet
/// valid or expired at `now`).
pub fn certificate_facts(cert: &Path, now: std::time::SystemTime) -> Result<String, String> {
    let pem =
        std::fs::read(cert).map_err(|e| format!("证书文件 {} 无法读取：{e}", cert.display()))?;
    let chain = x509_cert::Certificate::load_pem_chain(&pem)
        .map_err(|e| format!("证书文件 {} 不是有效的 PEM 证书：{e}", cert.display()))?;
    let first = chain
        .first()
        .ok_or_else(|| format!("证书文件 {} 中没有证书", cert.display()))?;
    let tbs = &first.tbs_certificate;
    let secs = |t: &x509_cert::time::Time| t.to_unix_duration().as_secs() as i64;
    let (from, until) = (
        secs(&tbs.validity.not_before),
        secs(&tbs.validity.not_after),
    );
    let now = now
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    let day = |s: i64| {
        chrono::DateTime::from_timestamp(s, 0)
            .map(dualtrack_domain::time::display)
            .unwrap_or_default()
    };
    let subject = tbs.subject.to_string();
    if now < from {
        return Err(format!("证书（{subject}）{} 起才生效", day(from)));
    }
    if now > until {
        return Err(format!("证书（{subject}）已于 {} 过期", day(until)));
    }
    Ok(format!(
        "证书 {subject}，有效期至 {}（还有 {} 天）",
        day(until),
        (until - now) / 86_400
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_bad_file_is_named() {
        let dir = std::env::temp_dir().join(format!("dt-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        let e = load(&cert, &key).expect_err("no files");
        assert!(
            e.contains("server.tls_cert") && e.contains("无法读取"),
            "{e}"
        );
        std::fs::write(&cert, "not a certificate").expect("write");
        let e = load(&cert, &key).expect_err("no certificate");
        assert!(e.contains("server.tls_cert") && e.contains("没有"), "{e}");
        let pair = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("cert");
        std::fs::write(&cert, pair.cert.pem()).expect("write");
        let e = load(&cert, &key).expect_err("no key");
        assert!(e.contains("server.tls_key"), "{e}");
        let other = rcgen::KeyPair::generate().expect("key");
        std::fs::write(&key, other.serialize_pem()).expect("write");
        let e = load(&cert, &key).expect_err("another key");
        assert!(e.contains("不匹配"), "{e}");
        std::fs::write(&key, pair.key_pair.serialize_pem()).expect("write");
        assert!(load(&cert, &key).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_certificate_shows_its_subject_and_expiry_or_why_it_cannot_serve() {
        let dir = tempfile::tempdir().expect("dir");
        let cert = dir.path().join("cert.pem");
        let now = std::time::SystemTime::now();
        let e = certificate_facts(&cert, now).expect_err("no file");
        assert!(e.contains("无法读取"), "{e}");
        std::fs::write(
            &cert,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .expect("write");
        let e = certificate_facts(&cert, now).expect_err("not a certificate");
        assert!(e.contains("不是有效的 PEM 证书"), "{e}");
        let mut params =
            rcgen::CertificateParams::new(vec!["dualtrack.example".into()]).expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "dualtrack.example");
        params.not_before = rcgen::date_time_ymd(2025, 1, 1);
        params.not_after = rcgen::date_time_ymd(2030, 6, 30);
        let key = rcgen::KeyPair::generate().expect("key");
        let c = params.self_signed(&key).expect("cert");
        std::fs::write(&cert, c.pem()).expect("write");
        let at = |y: i32, m: u32, d: u32| {
            let t = chrono::NaiveDate::from_ymd_opt(y, m, d)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .expect("day")
                .and_utc();
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(t.timestamp() as u64)
        };
        let ok = certificate_facts(&cert, at(2030, 6, 20)).expect("valid");
        assert!(ok.contains("CN=dualtrack.example"), "{ok}");
        assert!(
            ok.contains("2030-06-30") && ok.contains("还有 10 天"),
            "{ok}"
        );
        let e = certificate_facts(&cert, at(2030, 7, 1)).expect_err("expired");
        assert!(e.contains("已于") && e.contains("过期"), "{e}");
        let e = certificate_facts(&cert, at(2024, 12, 1)).expect_err("not yet");
        assert!(e.contains("起才生效"), "{e}");
    }
}
