use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiQuery, ApiUser};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use dualtrack_service::audit::{AuditEntry, AuditQuery};
use dualtrack_service::audit_chain::ChainCheck;

/// 审计日志（审计员），新的在前，每页 100 条
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = [AuditEntry]), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    Ok(Json(st.app.list_audit(&actor, &q).await?))
}

/// 审计链校验（审计员）：逐条核对 HMAC-SM3 封存，给出第一处断裂
#[utoipa::path(get, path = "/api/v1/audit/chain", tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = ChainCheck), (status = 403, body = ErrorBody)))]
pub async fn chain(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<ChainCheck>, ApiError> {
    Ok(Json(st.app.audit_chain_for(&actor).await?))
}
