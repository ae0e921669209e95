//! Places chosen by name: the search behind the place picker, and the list of names a phone
//! keeps to search with no signal.

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiQuery, ApiUser};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use dualtrack_service::places::{PlaceHit, PlaceList, PlaceQuery};
use serde::Deserialize;
use std::hash::{Hash, Hasher};
use utoipa::IntoParams;

/// How long a phone may keep the list of names without asking again: a week. Within it the
/// server's search is still asked first while there is signal, so a new grid is found there.
pub const NAMES_MAX_AGE: u32 = 7 * 24 * 3600;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlaceSearchQuery {
    /// 输入的内容：地名（武汉 / 武汉市）、拼音或首字母（wuhan / wh）、代码的开头（4201）
    pub q: Option<String>,
    /// 查找范围：mine（本辖区）、region（本平台区域，默认）、china（本平台区域与全国县级以上区划）
    pub within: Option<String>,
    /// 只要这些层级，逗号分隔：province、prefecture、county、township、village、grid
    pub levels: Option<String>,
    /// 上下文地点代码（如卡口所在县）：其下的地点排在前面
    pub context: Option<String>,
    /// 最近选过的代码，逗号分隔、最近的在前：排在最前
    pub recent: Option<String>,
    /// 最多返回几条（1–50，默认 12）
    pub limit: Option<usize>,
}

/// 按名称、简称、拼音或首字母查找地点（区域内到村和网格，区域外到县级），返回代码、名称、全称与层级
#[utoipa::path(get, path = "/api/v1/places/search", tag = "jurisdictions", security(("bearer" = [])),
    params(PlaceSearchQuery),
    responses((status = 200, body = [PlaceHit]), (status = 422, description = "查找内容过长，或范围、层级、上下文无效", body = ErrorBody)))]
pub async fn search_places(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<PlaceSearchQuery>,
) -> Result<Json<Vec<PlaceHit>>, ApiError> {
    let query = PlaceQuery {
        q: q.q,
        within: q.within,
        levels: q.levels,
        context: q.context,
        recent: q.recent,
        limit: q.limit,
    };
    Ok(Json(st.app.search_places(&actor, &query).await?))
}

/// 地点选择器离线查找用的全部名称（全国县级以上与本平台区域，网格仅限本辖区），可长期缓存
#[utoipa::path(get, path = "/api/v1/places/names", tag = "jurisdictions", security(("bearer" = [])),
    responses((status = 200, body = PlaceList), (status = 304, description = "与手机上保存的相同")))]
pub async fn place_names(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let list = st.app.place_names(&actor).await?;
    let body = serde_json::to_vec(&list)
        .map_err(|e| ApiError::from(dualtrack_service::ServiceError::Internal(e.to_string())))?;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut h);
    let etag = format!("\"p{:016x}\"", h.finish());
    let cache = format!("private, max-age={NAMES_MAX_AGE}");
    let same = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let common = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, cache),
        (header::VARY, "Cookie, Authorization".to_string()),
    ];
    if same {
        return Ok((StatusCode::NOT_MODIFIED, common).into_response());
    }
    Ok((
        common,
        [(header::CONTENT_TYPE, "application/json".to_string())],
        body,
    )
        .into_response())
}
