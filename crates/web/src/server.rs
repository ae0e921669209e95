//! The HTTP server: accepting connections with a cap, closing the ones that stall, and a
//! shutdown that drains within a bound.
//!
//! - **A cap on connections.** Past it a new connection is answered `503` with
//!   `Retry-After` and closed, so that the server keeps the file descriptors it needs for its
//!   database and never stops accepting (an accept error such as "too many open files" is
//!   waited out, not fatal).
//! - **Stalled clients are closed.** A connection that has not sent a whole request head
//!   within the header timeout — partial headers, or idle between two requests — is closed;
//!   a body is received whole within its own time by admission (see [`crate::admission`]).
//! - **HTTPS when configured.** With a certificate (see [`crate::tls`]) each connection's
//!   TLS handshake runs in its own task within the header timeout, so a client that stalls
//!   in it holds one slot for that long and never holds up the accepting loop.
//! - **Shutdown drains.** On the signal the listener closes, `/readyz` turns 503, requests in
//!   progress may finish for the grace period, and then the server returns whatever is left,
//!   so the caller can give up its scheduler lease and close the database.

use crate::state::AppState;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// Connection settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Connections served at once; 0: from the process's open-files limit.
    pub max_connections: usize,
    /// Time a client has to send a request's head, and the longest a kept-alive connection
    /// may stay idle.
    pub header_timeout: Duration,
    /// Time requests in progress have to finish once shutdown begins.
    pub shutdown_grace: Duration,
    /// HTTPS: the certificate and key (none: plain HTTP).
    pub tls: Option<crate::tls::TlsConfig>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_connections: 0,
            header_timeout: Duration::from_secs(20),
            shutdown_grace: Duration::from_secs(10),
            tls: None,
        }
    }
}

/// File descriptors kept back from connections: the database, its log, the listener,
/// outgoing webhooks, logs.
const RESERVED_FDS: u64 = 128;

/// The connection cap: the configured one, or what the open-files limit leaves after the
/// reserve (raised to the hard limit first where the system allows).
pub fn connection_cap(configured: usize) -> usize {
    let limit = open_files_limit();
    let from_limit = limit.saturating_sub(RESERVED_FDS).clamp(16, 65_536) as usize;
    if configured == 0 {
        from_limit
    } else {
        configured.min(from_limit)
    }
}

#[cfg(unix)]
fn open_files_limit() -> u64 {
    // Raise the soft limit to the hard one: 1,024 open files is the default of many systems
    // and too few for a busy server.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => n,
        Err(_) => rlimit::getrlimit(rlimit::Resource::NOFILE)
            .map(|(soft, _)| soft)
            .unwrap_or(1024),
    }
}

#[cfg(not(unix))]
fn open_files_limit() -> u64 {
    8192
}

/// The short answer given to a connection beyond the cap, made once.
fn full() -> &'static [u8] {
    static FULL: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    FULL.get_or_init(|| {
        let body = serde_json::json!({"error": {
            "code": "overloaded",
            "message": "服务器连接数已满，请稍后重试",
            "fields": {},
        }})
        .to_string();
        format!(
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\nRetry-After: {}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            crate::admission::RETRY_AFTER_SECS,
            body.len()
        )
        .into_bytes()
    })
}

/// Serves until the future `stop` completes, then drains (see the module's notes).
pub async fn serve_until(
    listener: TcpListener,
    state: AppState,
    stop: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let cfg = state.config.server.clone();
    let cap = connection_cap(cfg.max_connections);
    tracing::info!(max_connections = cap, "accepting connections");
    let slots = Arc::new(Semaphore::new(cap));
    // Refusals are themselves bounded: past this, an extra connection is simply closed.
    let refusals = Arc::new(Semaphore::new(64));
    let draining = state.draining.clone();
    let app = crate::router(state);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(cfg.header_timeout)
        .keep_alive(true);
    let http = Arc::new(http);
    let tls = cfg.tls.clone().map(tokio_rustls::TlsAcceptor::from);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let upkeep = crate::metrics::keep_up(crate::metrics::UPKEEP_EVERY);
    tokio::pin!(stop);
    loop {
        let (stream, remote) = tokio::select! {
            _ = &mut stop => break,
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // A connection reset before it was accepted is nothing; out of file
                    // descriptors (or memory) is waited out.
                    if !matches!(
                        e.kind(),
                        std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::ConnectionReset
                    ) {
                        tracing::warn!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            if let Ok(r) = refusals.clone().try_acquire_owned() {
                metrics::counter!("dualtrack_connections_refused_total").increment(1);
                tokio::spawn(async move {
                    refuse(stream).await;
                    drop(r);
                });
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(remote));
            app.clone().oneshot(req.map(axum::body::Body::new))
        });
        let watcher = graceful.watcher();
        let http = http.clone();
        let tls = tls.clone();
        let handshake_within = cfg.header_timeout;
        tokio::spawn(async move {
            let served = match tls {
                None => {
                    watcher
                        .watch(http.serve_connection(TokioIo::new(stream), svc))
                        .await
                }
                Some(tls) => match tokio::time::timeout(handshake_within, tls.accept(stream)).await
                {
                    Ok(Ok(stream)) => {
                        watcher
                            .watch(http.serve_connection(TokioIo::new(stream), svc))
                            .await
                    }
                    Ok(Err(e)) => {
                        tracing::debug!(error = %e, "TLS handshake failed");
                        Ok(())
                    }
                    Err(_) => {
                        tracing::debug!("TLS handshake not finished within the header timeout");
                        Ok(())
                    }
                },
            };
            if let Err(e) = served {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    draining.store(true, Ordering::SeqCst);
    drop(listener);
    upkeep.abort();
    tokio::select! {
        _ = graceful.shutdown() => tracing::info!("all connections closed"),
        _ = tokio::time::sleep(cfg.shutdown_grace) => {
            tracing::warn!(grace = ?cfg.shutdown_grace, "connections still open at the end of the grace period are dropped")
        }
    }
    Ok(())
}

/// Answers a connection beyond the cap and closes it, taking at most a second.
async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(full()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// Ctrl-C or SIGTERM. The handlers are installed when this is called, not when the future
/// is first awaited: a server calls it first thing, so that a stop asked for while it is
/// still starting (loading the demo, taking the scheduler's lease) is a graceful stop once it
/// serves, not the default action of the signal, which would end it on the spot.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let term = signal(SignalKind::terminate()).ok();
        let interrupt = signal(SignalKind::interrupt()).ok();
        async move {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = wait(term) => {},
                _ = wait(interrupt) => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_refusal_says_its_own_length() {
        let text = std::str::from_utf8(super::full()).expect("utf-8");
        let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
        let declared: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .and_then(|n| n.parse().ok())
            .expect("length");
        assert_eq!(declared, body.len());
        let v: serde_json::Value = serde_json::from_str(body).expect("json");
        assert_eq!(v["error"]["code"], "overloaded");
    }
}
