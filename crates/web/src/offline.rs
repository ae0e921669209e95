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

/// The files a phone keeps for use with no signal, by their plain names: the shell, styles,
/// the phone forms' scripts and the icons (not the charts: no phone form draws one).
pub const SHELL: &[&str] = &[
    "app.css",
    "home.css",
    "checkpoints.css",
    "whistle.css",
    "vendor/htmx.min.js",
    "ui.js",
    "outbox.js",
    "picker.js",
    "passage.js",
    "attach.js",
    "favicon.svg",
    "icon-192.png",
];

/// The phone forms a service worker keeps, as patterns of their paths (a query is never
/// kept): pages that hold a form and no personal data of anyone else. Kept when opened, and
/// ahead of time when a page links to them.
pub const FORMS: &[&str] = &[r"^/checkpoints/\d+/passage$", r"^/tickets/new$"];

/// Phone forms kept only once opened (many pages link to them, a list to hundreds): an
/// enterprise's page, with its daily report form. A monitoring case's page (its follow-up
/// form) and a grid's page (its daily report form) are not kept at all: they show people's
/// names, ID numbers and telephones; their forms still go through the outbox when the
/// signal drops while they are open.
pub const FORMS_OPENED: &[&str] = &[r"^/enterprises/\d+$"];

/// Pages with live figures or someone's data whose form a phone still needs with no signal:
/// a store's page (receipts and issues) and a hand-over's (its acknowledgement). Opened from
/// the network while there is signal; the service worker keeps beside them a copy without
/// anyone's data (asked with [`KEPT_HEADER`]), shown when there is none. A hand-over's
/// person is shown there from the work list the phone holds (IndexedDB, see `outbox.js`).
pub const SHELLS: &[&str] = &[r"^/supplies/stores/\d+$", r"^/handovers/\d+$"];

/// The header a service worker asks a page's kept copy with.
pub const KEPT_HEADER: &str = "x-dualtrack-keep";

/// Whether the page is asked for as the copy a phone keeps (see [`SHELLS`]).
pub fn kept_copy(headers: &axum::http::HeaderMap) -> bool {
    headers.get(KEPT_HEADER).is_some_and(|v| v == "shell")
}

/// Hours a phone keeps personal data (work lists, lines of records sent) unless configured
/// otherwise: a day, a shift and the next.
pub const DEFAULT_KEEP_HOURS: u32 = 24;

/// The page a phone is shown when it asks with no signal for a page it has not kept.
pub const OFFLINE_PAGE: &str = "/offline";

/// `/sw.js`: the service worker, from the root so that its scope is the whole site, never
/// kept long (a browser checks it on each visit) and naming this build's files.
pub async fn service_worker() -> Response {
    let script = crate::assets::bytes("sw.js").unwrap_or_default();
    let shell: Vec<String> = SHELL
        .iter()
        .map(|n| crate::assets::url(n))
        .chain(std::iter::once(OFFLINE_PAGE.to_string()))
        .collect();
    let body = String::from_utf8_lossy(&script)
        .replace(
            "\"__VERSION__\"",
            &format!("\"{}\"", crate::assets::version()),
        )
        .replace("[\"__SHELL__\"]", &serde_json::json!(shell).to_string())
        .replace("[\"__FORMS__\"]", &serde_json::json!(FORMS).to_string())
        .replace(
            "[\"__FORMS_OPENED__\"]",
            &serde_json::json!(FORMS_OPENED).to_string(),
        )
        .replace("[\"__SHELLS__\"]", &serde_json::json!(SHELLS).to_string());
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// `/offline`: what a phone with no signal is shown for a page it has not kept: the outbox
/// and the work lists it holds (drawn by `outbox.js`). No one's data is in it.
pub async fn offline_page(
    axum::extract::State(st): axum::extract::State<crate::AppState>,
) -> Response {
    let hours = st.config.offline_keep_hours;
    let css = crate::assets::url("app.css");
    let js = crate::assets::url("outbox.js");
    let icon = crate::assets::url("favicon.svg");
    let body = format!(
        r#"<!doctype html>
<html lang="zh-CN" data-offline-hours="{hours}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>无网络 · 双线指挥平台</title>
<link rel="icon" href="{icon}" type="image/svg+xml">
<link rel="manifest" href="/manifest.webmanifest">
<link rel="stylesheet" href="{css}">
<script src="{js}" defer></script>
</head>
<body>
<header class="top"><a class="brand" href="/">双线指挥平台</a></header>
<main>
<h1>当前无网络</h1>
<p class="muted">此页面没有保存在手机上。已保存的登记表仍可打开；填写的记录存入“待发送”，有信号后自动发送。</p>
<div id="offline-forms"></div>
<div id="worklists"></div>
</main>
</body>
</html>"#
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// `/outbox/session`: who is logged in, the session's CSRF token (a page kept on the phone
/// may carry the token of an earlier session) and the server's time, asked by the outbox
/// before it sends. The outbox dates a record by how long ago the phone made it, counted
/// back from the server's time: a phone whose clock is wrong still dates it right.
pub async fn session(
    axum::extract::State(st): axum::extract::State<crate::AppState>,
    crate::extract::ApiUser(actor): crate::extract::ApiUser,
) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({
        "user": actor.username,
        "display_name": actor.display_name,
        "csrf": actor.csrf_token,
        "now": st.app.now().to_rfc3339(),
    }))
}
