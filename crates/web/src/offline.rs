//! The installable web app: its manifest (name, icons, colours), and the service worker
//! that keeps the shell and the phone forms for use with no signal (see `assets/sw.js`).

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The web app manifest: the platform's name, its icons (embedded, content-hashed), and the
/// home page as start.
pub async fn manifest() -> Response {
    let body = serde_json::json!({
        "name": "双线指挥平台",
        "short_name": "双线指挥",
        "lang": "zh-CN",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#b71c1c",
        "icons": [
            {"src": crate::assets::url("icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": crate::assets::url("icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": crate::assets::url("icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    });
    (
        [
            (
                header::CONTENT_TYPE,
                "application/manifest+json; charset=utf-8",
            ),
            (header::CACHE_CONTROL, crate::assets::PLAIN),
        ],
        body.to_string(),
    )
        .into_response()
}
