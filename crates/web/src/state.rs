use crate::admission::{Admission, AdmissionConfig};
use crate::server::ServerConfig;
use dualtrack_service::App;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Settings of the web edge.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Mark cookies `Secure` (on by default: off only for plain-HTTP intranets and the demo
    /// on loopback). A request that a proxy says came over HTTPS gets `Secure` either way.
    pub secure_cookies: bool,
    /// A bearer token a metrics scraper may use for `/metrics` (besides the sessions of
    /// system administrators and auditors). None: no scraper token.
    pub metrics_token: Option<String>,
    /// Bounds on requests in flight and waiting, deadlines.
    pub admission: AdmissionConfig,
    /// Connections: how many, how long a client may take, how long shutdown may drain.
    pub server: ServerConfig,
    /// Hours a phone keeps the work lists and the lines of records sent (personal data as
    /// shown on screen) before it deletes them; given to each page, used by `outbox.js`.
    pub offline_keep_hours: u32,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            body_limit: 1024 * 1024,
            secure_cookies: true,
            metrics_token: None,
            admission: AdmissionConfig::default(),
            server: ServerConfig::default(),
            offline_keep_hours: crate::offline::DEFAULT_KEEP_HOURS,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub config: WebConfig,
    pub metrics: PrometheusHandle,
    pub admission: Arc<Admission>,
    /// Set when the server has been asked to stop: `/readyz` then answers 503, so that a
    /// load balancer sends new work elsewhere while the requests in progress finish.
    pub draining: Arc<AtomicBool>,
}

impl AppState {
    pub fn new(app: App, config: WebConfig) -> AppState {
        let admission = Arc::new(Admission::new(
            config.admission.clone().for_engine(app.db.engine()),
        ));
        AppState {
            app,
            config,
            metrics: crate::metrics::handle(),
            admission,
            draining: Arc::new(AtomicBool::new(false)),
        }
    }
}
