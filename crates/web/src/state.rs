use dualtrack_service::App;
use metrics_exporter_prometheus::PrometheusHandle;

/// Settings of the web edge.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Mark cookies `Secure` (when served over HTTPS).
    pub secure_cookies: bool,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            body_limit: 1024 * 1024,
            secure_cookies: false,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub config: WebConfig,
    pub metrics: PrometheusHandle,
}

impl AppState {
    pub fn new(app: App, config: WebConfig) -> AppState {
        AppState {
            app,
            config,
            metrics: crate::metrics::handle(),
        }
    }
}
