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
}
