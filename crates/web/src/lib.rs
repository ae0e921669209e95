//! The web edge: pages (askama + htmx), the JSON API under `/api/v1` with its OpenAPI
//! document, embedded assets, health and metrics.
//!
//! Errors: handlers return [`error::ApiError`] (JSON) or [`error::PageError`] (HTML), both
//! made from the service layer's `ServiceError`.

pub mod admission;
pub mod api;
pub mod assets;
pub mod display;
pub mod error;
pub mod extract;
pub mod forms;
pub mod headers;
pub mod json_numbers;
pub mod metrics;
pub mod offline;
pub mod pages;
pub mod server;
pub mod session;
pub mod shell;
pub mod state;
pub mod tls;
pub mod views;

pub use state::{AppState, WebConfig};

use api::BearerAuth;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::Router;
use tokio::net::TcpListener;
use utoipa::OpenApi;

/// The whole application: pages, API, assets, health and metrics.
pub fn router(state: AppState) -> Router {
    let (api, mut openapi) = api::routes().split_for_parts();
    api::finish_document(&mut openapi);
    let openapi_json = std::sync::Arc::new(openapi);
    Router::new()
        .merge(api)
        .merge(pages::routes())
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let doc = openapi_json.clone();
                async move { axum::Json((*doc).clone()) }
            }),
        )
        .route("/assets/{*path}", axum::routing::get(assets::serve))
        .route(
            "/manifest.webmanifest",
            axum::routing::get(offline::manifest),
        )
        .route("/sw.js", axum::routing::get(offline::service_worker))
        .route(
            offline::OFFLINE_PAGE,
            axum::routing::get(offline::offline_page),
        )
        .route("/outbox/session", axum::routing::get(offline::session))
        .route(
            "/favicon.ico",
            axum::routing::get(|| async {
                axum::response::Redirect::permanent("/assets/favicon.svg")
            }),
        )
        .route("/healthz", axum::routing::get(metrics::healthz))
        .route("/livez", axum::routing::get(metrics::livez))
        .route("/readyz", axum::routing::get(metrics::readyz))
        .route("/metrics", axum::routing::get(metrics::render))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(error::not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            session::resolve,
        ))
        .layer(DefaultBodyLimit::max(state.config.body_limit))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            admission::admit,
        ))
        .layer(middleware::from_fn(metrics::track))
        .layer(middleware::from_fn(error::in_chinese))
        // gzip or brotli, as the browser accepts; images and tiny answers as they are.
        .layer(tower_http::compression::CompressionLayer::new())
        // Outermost, so that every answer carries them, those rewritten above included.
        .layer(middleware::from_fn(headers::security_headers))
        .with_state(state)
}

/// A known path asked with a method it does not have: 405 (with `Allow`) in the form the
/// caller reads, JSON under `/api/`, a page elsewhere.
async fn method_not_allowed(
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> axum::response::Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let message = format!("{} 不支持 {method} 请求", uri.path());
    if uri.path().starts_with("/api/") {
        error::ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            message,
        )
        .into_response()
    } else {
        error::PageError::new(StatusCode::METHOD_NOT_ALLOWED, message).into_response()
    }
}

/// The OpenAPI document of the JSON API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = api::routes().split_for_parts();
    api::finish_document(&mut doc);
    doc
}

/// Serves the application on a bound listener until `stop` (see
/// [`server::shutdown_signal`]: ctrl-c or SIGTERM), then drains (see [`server`]).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    stop: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    server::serve_until(listener, state, stop).await
}

pub use server::shutdown_signal;

#[derive(OpenApi)]
#[openapi(
    info(title = "Dualtrack 双线指挥平台 API", description = "疫情防控与复工复产双线指挥平台的 JSON 接口。除登录外，请在请求头带 `Authorization: Bearer <token>`。错误统一为 `{\"error\": {\"code\", \"message\", \"fields\"}}`。"),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "登录与会话"),
        (name = "command", description = "指挥视图：指标目录、领导驾驶舱、指标数值、每日简报（网页、Markdown、Word）"),
        (name = "jurisdictions", description = "辖区树与网格"),
        (name = "users", description = "账户与角色"),
        (name = "audit", description = "审计日志"),
        (name = "mobilisation", description = "组织动员：人员、组织、派驻、返岗、请战、报到"),
        (name = "workgroups", description = "驻企工作组：派驻、走访、生产难题"),
        (name = "resumption", description = "复工复产：企业台账、日报、开复工率"),
        (name = "prevention", description = "疫情防控：网格与五包职责、摸排、风险地区、摸排轮次、网格日报"),
        (name = "projects", description = "重大项目与重点生产：开工率、投资完成率、重点企业日产量与分省发运"),
        (name = "checkpoints", description = "卡口：卡口与排班、通行登记（体温、处置结果）、按卡口逐日与按县统计"),
        (name = "monitoring", description = "隔离与健康监测：居家隔离、集中隔离、健康监测，随访、转诊提醒、解除，在管人数与超时随访"),
        (name = "supplies", description = "物资保障：防疫物资与农资的目录、仓库、出入库、结存、需求、请领、调运与到货、缺口、低库存预警、春耕备耕进度")
    )
)]
pub struct ApiDoc;
