//! `GET /healthz` for probes and `GET /metrics` in Prometheus text format.

use crate::session::Caller;
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use dualtrack_domain::role::Role;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

/// The process-wide recorder, installed once.
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (several apps in one test process);
            // this handle then still renders what it recorded.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// How often the durations recorded since the last time are folded into their summaries.
pub const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Folds the recorded durations into their summaries every `every`, until the task is
/// aborted. The recorder keeps each request's duration as a sample until it is folded, which
/// otherwise happens only when `/metrics` is read: a server nobody scrapes (most counties run
/// none) would hold every request's duration for as long as it runs, about 10 MB after a
/// minute's surge, and more with every day.
pub fn keep_up(every: std::time::Duration) -> tokio::task::JoinHandle<()> {
    let handle = handle();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            handle.run_upkeep();
        }
    })
}

/// Counts requests and their durations by route and status.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let start = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    metrics::counter!("dualtrack_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("dualtrack_http_request_duration_seconds", "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
    resp
}

#[derive(serde::Serialize)]
struct Health {
    status: &'static str,
    /// The process answers.
    live: bool,
    /// It can serve: the database answered in time and the server is not shutting down.
    ready: bool,
    database: &'static str,
    /// `ok`, `unavailable` (no answer within the probe's time), or `draining`.
    database_state: &'static str,
    /// The standby for the reads that tolerate lag, when one is configured. Its loss never
    /// makes the server unready: those reads go to the primary meanwhile.
    #[serde(skip_serializing_if = "Option::is_none")]
    replica: Option<ReplicaHealth>,
}

#[derive(serde::Serialize)]
struct ReplicaHealth {
    /// `ok` (reads that tolerate lag go to it), `lagging` or `unavailable` (they go to the
    /// primary).
    state: dualtrack_store::replica::ReplicaState,
    /// What that means, in Chinese.
    detail: &'static str,
    /// Its lag when last measured, in milliseconds.
    lag_ms: u64,
    /// The bound past which reads go to the primary.
    max_lag_ms: u64,
}

/// How long a probe waits for the database: a probe answers within a second either way.
const PROBE_WAIT: std::time::Duration = std::time::Duration::from_millis(800);

async fn health(st: &AppState) -> Health {
    let draining = st.draining.load(std::sync::atomic::Ordering::SeqCst);
    let replica = async {
        let r = st.app.replica.as_ref()?;
        let state = r.check().await;
        Some(ReplicaHealth {
            state,
            detail: state.zh(),
            lag_ms: r.lag().as_millis() as u64,
            max_lag_ms: r.max_lag().as_millis() as u64,
        })
    };
    let (db_ok, replica) = tokio::join!(
        async {
            tokio::time::timeout(PROBE_WAIT, st.app.db.ping())
                .await
                .unwrap_or(false)
        },
        replica
    );
    let ready = db_ok && !draining;
    Health {
        status: if ready { "ok" } else { "degraded" },
        live: true,
        ready,
        database: st.app.db.engine().name(),
        database_state: if draining {
            "draining"
        } else if db_ok {
            "ok"
        } else {
            "unavailable"
        },
        replica,
    }
}

/// Live and ready: 200 when the server can serve, 503 (with what is wrong) when not.
pub async fn healthz(State(st): State<AppState>) -> Response {
    let h = health(&st).await;
    let code = if h.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(h)).into_response()
}

/// Liveness: the process answers (a restart would not help a database that is down).
pub async fn livez() -> Response {
    Json(serde_json::json!({"status": "ok", "live": true})).into_response()
}

/// Readiness: the same as `/healthz`, for load balancers.
pub async fn readyz(state: State<AppState>) -> Response {
    healthz(state).await
}

/// Whether the caller may read the metrics: a system administrator's or an auditor's
/// session, or the configured scraper token.
fn may_read_metrics(
    st: &AppState,
    req_headers: &axum::http::HeaderMap,
    caller: Option<&Caller>,
) -> bool {
    if let Some(Caller::User(a, _)) = caller {
        if a.has(Role::SysAdmin) || a.has(Role::Auditor) {
            return true;
        }
    }
    let Some(expected) = st.config.metrics_token.as_deref().filter(|t| !t.is_empty()) else {
        return false;
    };
    let sent = req_headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .unwrap_or("");
    sent.len() == expected.len()
        && sent
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Prometheus text: for system administrators, auditors and the configured scraper token.
pub async fn render(
    State(st): State<AppState>,
    req_headers: axum::http::HeaderMap,
    caller: Option<axum::Extension<Caller>>,
) -> Response {
    let caller = caller.map(|c| c.0);
    if !may_read_metrics(&st, &req_headers, caller.as_ref()) {
        if let Some(Caller::User(..)) = caller {
            return crate::error::ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "运行指标只有系统管理员和审计员可以读取",
            )
            .into_response();
        }
        return crate::error::ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "读取运行指标需要系统管理员或审计员登录，或带上配置的 metrics_token（Authorization: Bearer <token>）",
        )
        .into_response();
    }
    metrics::gauge!("dualtrack_up").set(1.0);
    let (reads, reads_waiting) = st.admission.reads();
    let (writes, writes_waiting) = st.admission.writes();
    metrics::gauge!("dualtrack_requests_in_flight", "kind" => "read").set(reads as f64);
    metrics::gauge!("dualtrack_requests_in_flight", "kind" => "write").set(writes as f64);
    metrics::gauge!("dualtrack_requests_waiting", "kind" => "read").set(reads_waiting as f64);
    metrics::gauge!("dualtrack_requests_waiting", "kind" => "write").set(writes_waiting as f64);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        st.metrics.render(),
    )
        .into_response()
}
