//! The API of the command view: the indicator catalogue, the dashboard of a place and day,
//! the indicators by id, and the daily briefing as JSON, Markdown and Word.

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiQuery, ApiUser};
use crate::state::AppState;
use crate::views::{download, encoded_name};
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use dualtrack_service::briefing::Briefing;
use dualtrack_service::command::{CommandQuery, Dashboard, FigureValue, IndicatorView};
use std::collections::BTreeMap;

/// 指标目录：每个指标的编号、名称、定义（分子、分母、不计入）、单位、可算的层级与日期
#[utoipa::path(get, path = "/api/v1/indicators", tag = "command", security(("bearer" = [])),
    responses((status = 200, body = [IndicatorView])))]
pub async fn indicators(ApiUser(_actor): ApiUser) -> Json<Vec<IndicatorView>> {
    Json(dualtrack_service::command::indicators())
}

/// 指挥视图：某地某日两条线与组织动员的指标（带前一日数与明细链接）、下一级地区并列、近四周逐日
#[utoipa::path(get, path = "/api/v1/dashboard", tag = "command", security(("bearer" = [])),
    params(CommandQuery),
    responses((status = 200, body = Dashboard), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn dashboard(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<CommandQuery>,
) -> Result<Json<Dashboard>, ApiError> {
    Ok(Json(st.app.dashboard(&actor, &q).await?))
}

/// 某地某日的全部指标（按指标编号）
#[utoipa::path(get, path = "/api/v1/stats", tag = "command", security(("bearer" = [])),
    params(CommandQuery),
    responses((status = 200, body = BTreeMap<String, FigureValue>), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn stats(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<CommandQuery>,
) -> Result<Json<BTreeMap<String, FigureValue>>, ApiError> {
    Ok(Json(st.app.stats(&actor, &q).await?))
}

/// 每日简报（JSON：标题、日期、各部分段落）
#[utoipa::path(get, path = "/api/v1/briefing", tag = "command", security(("bearer" = [])),
    params(CommandQuery),
    responses((status = 200, body = Briefing), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn briefing(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<CommandQuery>,
) -> Result<Json<Briefing>, ApiError> {
    Ok(Json(st.app.briefing(&actor, &q).await?))
}

fn attachment(bytes: Vec<u8>, content_type: &str, name: &str, ext: &str) -> Response {
    let encoded = encoded_name(name, b"-");
    let disposition =
        format!("attachment; filename=\"briefing.{ext}\"; filename*=UTF-8''{encoded}.{ext}");
    download(bytes, content_type.to_string(), disposition)
}

/// 每日简报（Markdown）
#[utoipa::path(get, path = "/api/v1/briefing.md", tag = "command", security(("bearer" = [])),
    params(CommandQuery),
    responses((status = 200, description = "Markdown", content_type = "text/markdown"), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn briefing_markdown(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<CommandQuery>,
) -> Result<Response, ApiError> {
    let b = st.app.briefing(&actor, &q).await?;
    let name = format!("{}简报{}", b.place_name, b.as_of);
    Ok(attachment(
        dualtrack_service::briefing::markdown(&b).into_bytes(),
        "text/markdown; charset=utf-8",
        &name,
        "md",
    ))
}

/// 每日简报（Word，DOCX）
#[utoipa::path(get, path = "/api/v1/briefing.docx", tag = "command", security(("bearer" = [])),
    params(CommandQuery),
    responses((status = 200, description = "Word 文件", content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn briefing_docx(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<CommandQuery>,
) -> Result<Response, ApiError> {
    let b = st.app.briefing(&actor, &q).await?;
    let name = format!("{}简报{}", b.place_name, b.as_of);
    Ok(attachment(
        dualtrack_service::briefing::docx(&b)?,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &name,
        "docx",
    ))
}
