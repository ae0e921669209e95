//! HTTPS: given a certificate and its key, the server speaks TLS itself; a client trusting
//! the certificate reads `/healthz` and logs in (the session cookie is `Secure`), a client
//! speaking plain HTTP gets nothing, and a client that never finishes its handshake is
//! closed within the header timeout without holding up the others.

use dualtrack_testkit::{demo_db, on_both_engines, Engine, DEMO_PASSWORD};
use dualtrack_web::server::ServerConfig;
use dualtrack_web::{AppState, WebConfig};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A self-signed certificate for localhost, written as PEM files into `dir`: the
/// certificate's PEM (for the client to trust) and the server's TLS settings read from the
/// files.
fn certificate(dir: &std::path::Path) -> (String, dualtrack_web::tls::TlsConfig) {
    let pair = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
        .expect("certificate");
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, pair.cert.pem()).expect("write cert");
    std::fs::write(&key, pair.key_pair.serialize_pem()).expect("write key");
    let tls = dualtrack_web::tls::load(&cert, &key).expect("loaded");
    (pair.cert.pem(), tls)
}

async fn the_server_speaks_https_when_given_a_certificate(engine: Engine) {
    let t = demo_db(engine).await;
    let dir = tempfile::tempdir().expect("dir");
    let (pem, tls) = certificate(dir.path());
    let mut app = t.app();
    app.security = dualtrack_testkit::demo_security();
    let config = WebConfig {
        server: ServerConfig {
            header_timeout: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(1),
            tls: Some(tls),
            ..ServerConfig::default()
        },
        secure_cookies: false,
        ..WebConfig::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(dualtrack_web::server::serve_until(
        listener,
        AppState::new(app, config),
        async move {
            let _ = stopped.await;
        },
    ));

    // A client that opens a connection and never says hello is closed within the header
    // timeout.
    let mut stalled = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");

    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).expect("pem"))
        .https_only(true)
        .build()
        .expect("client");
    let base = format!("https://localhost:{port}");
    let r = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("healthz over HTTPS");
    assert_eq!(r.status(), 200);
    let r = client
        .post(format!("{base}/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(
            serde_json::json!({"username": "haixi_leader", "password": DEMO_PASSWORD}).to_string(),
        )
        .send()
        .await
        .expect("login over HTTPS");
    assert_eq!(r.status(), 200);
    let body: serde_json::Value =
        serde_json::from_str(&r.text().await.expect("body")).expect("json");
    let token = body["token"].as_str().expect("token").to_string();
    let r = client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me");
    assert_eq!(r.status(), 200);
    // Cookies are Secure, though the configuration (as for a plain-HTTP intranet) says not.
    let r = client
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("login page");
    assert_eq!(r.status(), 200);
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    assert!(!cookies.is_empty(), "the login form's cookie");
    assert!(cookies.iter().all(|c| c.contains("Secure")), "{cookies:?}");

    // Plain HTTP on the same port is not answered as HTTP.
    let mut plain = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), plain.read_to_end(&mut buf)).await;
    assert!(!String::from_utf8_lossy(&buf).contains("200 OK"));

    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), stalled.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "a stalled handshake is closed");

    let _ = stop.send(());
    server.await.expect("joined").expect("served");
}

on_both_engines!(the_server_speaks_https_when_given_a_certificate);
