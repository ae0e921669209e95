//! Forwarding of the audit log to the unit's log collection: each audit row, once sealed
//! (a few seconds after its commit), is sent to a syslog server as an RFC 5424 message over
//! TCP with octet-counting framing (RFC 6587).
//!
//! Forwarding is best effort; the database stays the record. Messages wait in a bounded
//! queue for one connection kept open, reconnected with growing pauses when the collector
//! is away; what does not fit in the queue is dropped and counted (in the server's log and
//! on the auditor's chain page). Nothing a request does waits for the collector.
//!
//! The message carries the action, the actor's user name, the target, the place and the
//! outcome, never the row's free-text detail, so no personal data goes out.

use chrono::SecondsFormat;
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_store::audit::AuditRow;
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use utoipa::ToSchema;

/// Messages waiting for the collector at most.
const QUEUE: usize = 10_000;
/// The structured data's identifier: the project has no enterprise number of its own, so
/// the one set aside for examples (RFC 5612) is used.
const SD_ID: &str = "dualtrack@32473";
/// Facility local0.
const FACILITY: u8 = 16;

/// The state of forwarding, for the chain page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ForwardingState {
    /// 日志服务器（主机:端口）
    pub target: String,
    /// 已发送条数
    pub sent: u64,
    /// 因队列已满而丢弃的条数（数据库中的审计记录不受影响）
    pub dropped: u64,
    /// 当前是否已连接
    pub connected: bool,
}

#[derive(Debug, Default)]
struct Counts {
    sent: AtomicU64,
    dropped: AtomicU64,
    connected: std::sync::atomic::AtomicBool,
}

/// The forwarder of one server: a queue and the task that empties it.
#[derive(Debug)]
pub struct Forwarder {
    target: String,
    host: String,
    queue: mpsc::Sender<String>,
    counts: Arc<Counts>,
}

impl Forwarder {
    /// Starts forwarding to `target` ("host:port"); the task runs on the current runtime
    /// until the forwarder is dropped.
    pub fn start(target: &str) -> Arc<Forwarder> {
        let (queue, rx) = mpsc::channel(QUEUE);
        let counts = Arc::new(Counts::default());
        tokio::spawn(run(target.to_string(), rx, counts.clone()));
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty() && h.len() <= 255 && h.bytes().all(|b| b.is_ascii_graphic()))
            .unwrap_or_else(|| "-".into());
        Arc::new(Forwarder {
            target: target.to_string(),
            host,
            queue,
            counts,
        })
    }

    /// Queues the message of a sealed row; never waits.
    pub fn offer(&self, seq: i64, row: &AuditRow) {
        if self.queue.try_send(message(&self.host, seq, row)).is_err() {
            let n = self.counts.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if n == 1 || n.is_multiple_of(1000) {
                tracing::warn!(dropped = n, target = %self.target, "syslog queue full: audit messages dropped (the database keeps every row)");
            }
        }
    }

    pub fn state(&self) -> ForwardingState {
        ForwardingState {
            target: self.target.clone(),
            sent: self.counts.sent.load(Ordering::Relaxed),
            dropped: self.counts.dropped.load(Ordering::Relaxed),
            connected: self.counts.connected.load(Ordering::Relaxed),
        }
    }
}

/// A PARAM-VALUE with `"`, `\` and `]` escaped (RFC 5424 §6.3.3).
fn value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The RFC 5424 message of a row (without its frame).
pub fn message(host: &str, seq: i64, row: &AuditRow) -> String {
    let e = &row.entry;
    let action = Action::parse(&e.action);
    let outcome = Outcome::parse(&e.outcome);
    // Security actions and anything that did not succeed are notices; the rest information.
    let notice =
        outcome != Some(Outcome::Success) || action.is_some_and(|a| a.area() == "账户与安全");
    let pri = FACILITY * 8 + if notice { 5 } else { 6 };
    let msgid: String = e
        .action
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(32)
        .collect();
    let msgid = if msgid.is_empty() { "-".into() } else { msgid };
    let params = [
        ("seq", seq.to_string()),
        ("id", row.id.to_string()),
        ("action", e.action.clone()),
        ("actor", e.username.clone()),
        ("roles", e.roles.clone()),
        ("target", format!("{}:{}", e.target_kind, e.target_id)),
        ("place", e.jurisdiction_code.clone().unwrap_or_default()),
        ("src", e.source_addr.clone()),
        ("outcome", e.outcome.clone()),
    ];
    let sd: String = params
        .iter()
        .map(|(k, v)| format!(" {k}=\"{}\"", value(v)))
        .collect();
    let text = format!(
        "{}：{}",
        action.map_or(e.action.as_str(), |a| a.zh()),
        outcome.map_or(e.outcome.as_str(), |o| o.zh())
    );
    format!(
        "<{pri}>1 {} {host} dualtrack {} {msgid} [{SD_ID}{sd}] \u{feff}{text}",
        e.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        std::process::id(),
    )
}

/// Connects, sends, and reconnects with growing pauses (up to a minute) when the collector
/// is away; a message that could not be sent is sent again on the next connection.
async fn run(target: String, mut rx: mpsc::Receiver<String>, counts: Arc<Counts>) {
    let mut pause = Duration::from_millis(500);
    let mut pending: Option<String> = None;
    let mut failures = 0u64;
    loop {
        let connect = tokio::time::timeout(
            Duration::from_secs(5),
            tokio::net::TcpStream::connect(&target),
        )
        .await;
        let mut conn = match connect {
            Ok(Ok(c)) => c,
            _ => {
                failures += 1;
                if failures == 1 || failures.is_multiple_of(20) {
                    tracing::warn!(target = %target, dropped = counts.dropped.load(Ordering::Relaxed), "the syslog server cannot be reached; retrying");
                }
                if rx.is_closed() && rx.is_empty() {
                    return;
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(60));
                continue;
            }
        };
        failures = 0;
        pause = Duration::from_millis(500);
        counts.connected.store(true, Ordering::Relaxed);
        loop {
            let msg = match pending.take() {
                Some(m) => m,
                None => match rx.recv().await {
                    Some(m) => m,
                    None => return,
                },
            };
            let frame = format!("{} {msg}", msg.len());
            let sent =
                tokio::time::timeout(Duration::from_secs(5), conn.write_all(frame.as_bytes()))
                    .await;
            if matches!(sent, Ok(Ok(()))) {
                counts.sent.fetch_add(1, Ordering::Relaxed);
            } else {
                pending = Some(msg);
                counts.connected.store(false, Ordering::Relaxed);
                break;
            }
        }
    }
}

impl crate::App {
    /// Forwards each audit row, once sealed, to a syslog server.
    pub fn with_syslog(mut self, forwarder: Arc<Forwarder>) -> crate::App {
        self.syslog = Some(forwarder);
        self
    }
}
