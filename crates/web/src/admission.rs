//! Admission control: the server takes on only what it can finish in good time and refuses
//! the rest at once, instead of letting a queue grow until every client times out.
//!
//! Requests are of two kinds. Writes (every method but `GET`, `HEAD` and `OPTIONS`) go to a
//! single SQLite writer or a PostgreSQL pool, and get a tighter bound than reads. Each kind
//! has a number of requests in flight and a number allowed to wait for a turn; a request
//! beyond both, or one that has waited longer than its deadline, is answered 503 with
//! `Retry-After` and a Chinese message, and nothing of it is started. One client (one
//! session or token) holding too many requests at once is answered 429, so that a runaway
//! script cannot take everyone's turn. A request's body is received in full, within a time
//! limit, *before* it takes a turn: a slow upload holds no place that others need.
//! Probes (`/healthz`, `/livez`, `/readyz`), metrics and embedded assets are never held.

use crate::error::{ApiError, PageError};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Seconds a shed client is asked to wait before trying again.
pub const RETRY_AFTER_SECS: &str = "2";

/// The bounds of admission. Zero in a count means "chosen for the engine" (see
/// [`AdmissionConfig::for_engine`]).
#[derive(Debug, Clone)]
pub struct AdmissionConfig {
    /// Reads served at once, and reads that may wait for a turn.
    pub reads_in_flight: usize,
    pub reads_queued: usize,
    /// Writes served at once, and writes that may wait for a turn.
    pub writes_in_flight: usize,
    pub writes_queued: usize,
    /// The longest a request waits for its turn; past it, it is refused, not started.
    pub queue_wait: Duration,
    /// The longest a request may run once started; past it the client is told (503) and
    /// the work is dropped (a write's transaction rolls back).
    pub request_timeout: Duration,
    /// The longest a request's body may send nothing before it is given up (408).
    pub body_timeout: Duration,
    /// The largest body received, whatever the route (routes check their own limits after).
    pub max_body: usize,
    /// Requests one session or token may have in flight or waiting at once.
    pub per_client: usize,
}

impl Default for AdmissionConfig {
    fn default() -> Self {
        AdmissionConfig {
            reads_in_flight: 0,
            reads_queued: 0,
            writes_in_flight: 0,
            writes_queued: 0,
            queue_wait: Duration::from_millis(2_000),
            request_timeout: Duration::from_secs(120),
            body_timeout: Duration::from_secs(15),
            max_body: 64 * 1024 * 1024,
            per_client: 32,
        }
    }
}

impl AdmissionConfig {
    /// Fills the counts left at zero with what suits the engine: SQLite has one writer, so
    /// a few writes in flight keep it busy and more would only wait on its lock; PostgreSQL
    /// takes as many writes as its pool has connections.
    pub fn for_engine(mut self, engine: dualtrack_store::Engine) -> Self {
        let (ri, rq, wi, wq) = match engine {
            dualtrack_store::Engine::Sqlite => (16, 256, 4, 128),
            dualtrack_store::Engine::Postgres => (24, 256, 12, 192),
        };
        let fill = |v: &mut usize, d: usize| {
            if *v == 0 {
                *v = d
            }
        };
        fill(&mut self.reads_in_flight, ri);
        fill(&mut self.reads_queued, rq);
        fill(&mut self.writes_in_flight, wi);
        fill(&mut self.writes_queued, wq);
        self
    }
}

/// One kind of request: its turns and its waiting line.
struct Lane {
    turns: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
}

impl Lane {
    fn new(in_flight: usize, queued: usize) -> Lane {
        Lane {
            turns: Arc::new(Semaphore::new(in_flight.max(1))),
            waiting: AtomicUsize::new(0),
            max_waiting: queued,
        }
    }

    fn load(&self, turns: usize) -> (usize, usize) {
        (
            turns.max(1) - self.turns.available_permits(),
            self.waiting.load(Ordering::Acquire),
        )
    }

    /// A turn, at once or after waiting at most `wait`; `None` when the line is full or the
    /// wait ran out.
    async fn turn(&self, wait: Duration) -> Option<OwnedSemaphorePermit> {
        if let Ok(p) = self.turns.clone().try_acquire_owned() {
            return Some(p);
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        struct Leave<'a>(&'a AtomicUsize);
        impl Drop for Leave<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::AcqRel);
            }
        }
        let _leave = Leave(&self.waiting);
        match tokio::time::timeout(wait, self.turns.clone().acquire_owned()).await {
            Ok(Ok(p)) => Some(p),
            _ => None,
        }
    }
}

/// What admission counts, for `/metrics` and the load benchmark.
#[derive(Debug, Default)]
pub struct AdmissionCounts {
    pub shed: AtomicU64,
    pub throttled: AtomicU64,
    pub timed_out: AtomicU64,
}

/// The admission state of one server.
pub struct Admission {
    config: AdmissionConfig,
    reads: Lane,
    writes: Lane,
    clients: Mutex<HashMap<String, usize>>,
    pub counts: AdmissionCounts,
}

impl Admission {
    pub fn new(config: AdmissionConfig) -> Admission {
        Admission {
            reads: Lane::new(config.reads_in_flight, config.reads_queued),
            writes: Lane::new(config.writes_in_flight, config.writes_queued),
            clients: Mutex::new(HashMap::new()),
            counts: AdmissionCounts::default(),
            config,
        }
    }

    pub fn config(&self) -> &AdmissionConfig {
        &self.config
    }

    /// Writes being served now, and writes waiting for a turn.
    pub fn writes(&self) -> (usize, usize) {
        self.writes.load(self.config.writes_in_flight)
    }

    /// Reads being served now, and reads waiting for a turn.
    pub fn reads(&self) -> (usize, usize) {
        self.reads.load(self.config.reads_in_flight)
    }

    /// Counts one more request of a client; `None` when it already has its fill.
    fn enter(self: &Arc<Self>, client: String) -> Option<ClientSlot> {
        let mut m = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        let n = m.entry(client.clone()).or_insert(0);
        if *n >= self.config.per_client {
            return None;
        }
        *n += 1;
        Some(ClientSlot {
            admission: self.clone(),
            client,
        })
    }
}

/// One request of a client, counted until it ends.
struct ClientSlot {
    admission: Arc<Admission>,
    client: String,
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut m = self
            .admission
            .clients
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(n) = m.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                m.remove(&self.client);
            }
        }
    }
}

/// Paths that are never held back: probes, metrics and static files.
fn exempt(path: &str) -> bool {
    matches!(path, "/healthz" | "/livez" | "/readyz" | "/metrics")
        || path.starts_with("/assets/")
        || path == "/favicon.ico"
}

/// Who is asking, as far as can be told without the database: the bearer token or the
/// session cookie. Anonymous requests are not counted per client.
fn client_key(req: &Request) -> Option<String> {
    if let Some(v) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        return Some(v.to_string());
    }
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .find(|c| c.starts_with(crate::session::SESSION_COOKIE) && c.contains('='))
        .map(str::to_string)
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A refusal in the form the caller reads: JSON under `/api/`, a page elsewhere.
fn refuse(api: bool, status: StatusCode, code: &'static str, message: &str) -> Response {
    let mut resp = if api {
        ApiError::new(status, code, message).into_response()
    } else {
        PageError::new(status, message).into_response()
    };
    if status == StatusCode::TOO_MANY_REQUESTS {
        resp.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_static(RETRY_AFTER_SECS),
        );
    }
    resp
}

/// The longest a body may take in all, however steadily it arrives.
const BODY_CEILING: Duration = Duration::from_secs(600);

enum Received {
    Whole(axum::body::Bytes),
    TooLarge,
    Stalled,
}

/// Receives a whole body. A slow but steady upload (a photo over a weak signal) is
/// received, up to [`BODY_CEILING`]; one that sends nothing for `idle` is given up. Either
/// way it holds no turn while it arrives.
async fn receive(body: Body, max: usize, idle: Duration) -> Received {
    use http_body_util::BodyExt;
    let mut body = body;
    let mut buf: Vec<u8> = Vec::new();
    let deadline = tokio::time::Instant::now() + BODY_CEILING;
    loop {
        let wait = idle.min(deadline.saturating_duration_since(tokio::time::Instant::now()));
        match tokio::time::timeout(wait, body.frame()).await {
            Err(_) => return Received::Stalled,
            Ok(None) => return Received::Whole(buf.into()),
            Ok(Some(Err(_))) => return Received::TooLarge,
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    if buf.len() + data.len() > max {
                        return Received::TooLarge;
                    }
                    buf.extend_from_slice(&data);
                }
            }
        }
    }
}

/// The middleware: receive the body, take a turn (or refuse), run within the deadline.
pub async fn admit(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if exempt(path) {
        return next.run(req).await;
    }
    let api = path.starts_with("/api/");
    let adm = st.admission.clone();
    let cfg = adm.config();
    let write = is_write(req.method());

    let _slot = match client_key(&req) {
        Some(k) => match adm.enter(k) {
            Some(s) => Some(s),
            None => {
                adm.counts.throttled.fetch_add(1, Ordering::Relaxed);
                return refuse(
                    api,
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_requests",
                    "同一账户同时发出的请求过多，请稍后重试",
                );
            }
        },
        None => None,
    };

    // The body first, whole, within its time: only then does the request take a turn.
    let req = if write {
        let (parts, body) = req.into_parts();
        match receive(body, cfg.max_body, cfg.body_timeout).await {
            Received::Whole(bytes) => Request::from_parts(parts, Body::from(bytes)),
            Received::TooLarge => {
                return refuse(
                    api,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "请求体过大或未能完整接收",
                )
            }
            Received::Stalled => {
                let mut r = refuse(
                    api,
                    StatusCode::REQUEST_TIMEOUT,
                    "body_timeout",
                    "请求体接收超时，请检查网络后重试",
                );
                r.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
                return r;
            }
        }
    } else {
        req
    };

    let lane = if write { &adm.writes } else { &adm.reads };
    let Some(_turn) = lane.turn(cfg.queue_wait).await else {
        adm.counts.shed.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("dualtrack_http_shed_total", "kind" => if write { "write" } else { "read" })
            .increment(1);
        return refuse(
            api,
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "服务器繁忙，请稍后重试",
        );
    };
    match tokio::time::timeout(cfg.request_timeout, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => {
            adm.counts.timed_out.fetch_add(1, Ordering::Relaxed);
            refuse(
                api,
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                "请求处理超时，请稍后重试（如为提交，请先确认是否已保存）",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_line_refuses_at_once_and_a_freed_turn_is_taken() {
        let lane = Lane::new(1, 1);
        let first = lane
            .turn(Duration::from_secs(5))
            .await
            .expect("a free turn");
        // One may wait; a third finds the line full and is refused without waiting.
        let lane = Arc::new(lane);
        let waiter = {
            let lane = lane.clone();
            tokio::spawn(async move { lane.turn(Duration::from_secs(5)).await.is_some() })
        };
        while lane.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        assert!(lane.turn(Duration::from_secs(5)).await.is_none());
        drop(first);
        assert!(
            waiter.await.expect("waiter"),
            "the waiter gets the freed turn"
        );
        assert_eq!(lane.waiting.load(Ordering::Acquire), 0);
    }

    #[tokio::test]
    async fn a_wait_past_its_deadline_is_refused() {
        let lane = Lane::new(1, 8);
        let _held = lane.turn(Duration::from_secs(1)).await.expect("turn");
        assert!(lane.turn(Duration::from_millis(20)).await.is_none());
        assert_eq!(lane.waiting.load(Ordering::Acquire), 0, "it left the line");
    }
}
