//! The API of the work groups stationed in enterprises: stationings, visits and production
//! problems.

use crate::error::{ApiError, ErrorBody};
use crate::extract::{created_status, parse_id, ApiJson, ApiQuery, ApiUser, KeyHeader};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use dualtrack_service::workgroups::{
    AssignmentInput, AssignmentView, ProblemCounts, ProblemInput, ProblemView, ProblemsQuery,
    ResolveInput, VisitInput, VisitView, WorkGroupsQuery, WorkGroupsView,
};

/// 驻企工作组：截至某日驻企的工作组数、干部人数（不重复）、所驻企业数，以及各组的走访与待解决难题
#[utoipa::path(get, path = "/api/v1/work-groups", tag = "workgroups", security(("bearer" = [])), params(WorkGroupsQuery),
    responses((status = 200, body = WorkGroupsView), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<WorkGroupsQuery>,
) -> Result<Json<WorkGroupsView>, ApiError> {
    Ok(Json(st.app.work_groups(&actor, &q).await?))
}

/// 工作组的派驻记录（所驻企业与起止日期）
#[utoipa::path(get, path = "/api/v1/work-groups/{id}/assignments", tag = "workgroups", security(("bearer" = [])),
    params(("id" = i64, Path, description = "工作组（组织）编号")),
    responses((status = 200, body = [AssignmentView]), (status = 404, body = ErrorBody)))]
pub async fn assignments(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<AssignmentView>>, ApiError> {
    Ok(Json(
        st.app
            .work_group_assignments(&actor, parse_id(&id)?)
            .await?,
    ))
}

/// 派驻工作组到企业（企业须在工作组所属辖区内），记入审计日志
#[utoipa::path(post, path = "/api/v1/work-groups/{id}/assignments", tag = "workgroups", security(("bearer" = [])),
    params(("id" = i64, Path, description = "工作组（组织）编号")), request_body = AssignmentInput,
    responses((status = 201, body = AssignmentView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn assign(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<AssignmentInput>,
) -> Result<(StatusCode, Json<AssignmentView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(
            st.app
                .assign_work_group(&actor, parse_id(&id)?, &input)
                .await?,
        ),
    ))
}

/// 企业的走访记录（新的在前）
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/visits", tag = "workgroups", security(("bearer" = [])),
    params(("id" = i64, Path, description = "企业编号")),
    responses((status = 200, body = [VisitView]), (status = 404, body = ErrorBody)))]
pub async fn visits(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<VisitView>>, ApiError> {
    Ok(Json(
        st.app.enterprise_visits(&actor, parse_id(&id)?).await?,
    ))
}

/// 记录驻企工作组的一次走访（五个到位检查、发现的情况，可同时提出生产难题），记入审计日志
/// 带幂等键（请求头 Idempotency-Key 或字段 idempotency_key）重复提交时返回首次记录（200），不重复写入；同一幂等键换了内容则拒绝（422）。
#[utoipa::path(post, path = "/api/v1/enterprises/{id}/visits", tag = "workgroups", security(("bearer" = [])),
    params(("id" = i64, Path, description = "企业编号"), ("Idempotency-Key" = Option<String>, Header, description = "客户端生成的幂等键")), request_body = VisitInput,
    responses((status = 201, body = VisitView, description = "已写入"), (status = 200, body = VisitView, description = "同一幂等键此前已提交，返回原记录"), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_visit(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    key: KeyHeader,
    ApiJson(mut input): ApiJson<VisitInput>,
) -> Result<(StatusCode, Json<VisitView>), ApiError> {
    key.into_field(&mut input.idempotency_key);
    let w = st.app.record_visit(&actor, parse_id(&id)?, &input).await?;
    Ok((created_status(w.created), Json(w.record)))
}

/// 一次走访
#[utoipa::path(get, path = "/api/v1/visits/{id}", tag = "workgroups", security(("bearer" = [])),
    params(("id" = i64, Path, description = "走访记录编号")),
    responses((status = 200, body = VisitView), (status = 404, body = ErrorBody)))]
pub async fn get_visit(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<VisitView>, ApiError> {
    Ok(Json(st.app.get_visit(&actor, parse_id(&id)?).await?))
}

/// 生产难题（管辖范围内，可按类别、状态、县、企业、工作组筛选；每页 100 条）
#[utoipa::path(get, path = "/api/v1/production-problems", tag = "workgroups", security(("bearer" = [])), params(ProblemsQuery),
    responses((status = 200, body = [ProblemView]), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn problems(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<ProblemsQuery>,
) -> Result<Json<Vec<ProblemView>>, ApiError> {
    Ok(Json(st.app.list_problems(&actor, &q).await?))
}

/// 提出生产难题（用工、原材料、物流运输、资金、订单、防疫物资、其他），记入审计日志
/// 带幂等键（请求头 Idempotency-Key 或字段 idempotency_key）重复提交时返回首次记录（200），不重复写入；同一幂等键换了内容则拒绝（422）。
#[utoipa::path(post, path = "/api/v1/production-problems", tag = "workgroups", security(("bearer" = [])), params(("Idempotency-Key" = Option<String>, Header, description = "客户端生成的幂等键")),
    request_body = ProblemInput,
    responses((status = 201, body = ProblemView, description = "已写入"), (status = 200, body = ProblemView, description = "同一幂等键此前已提交，返回原记录"), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn raise(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    key: KeyHeader,
    ApiJson(mut input): ApiJson<ProblemInput>,
) -> Result<(StatusCode, Json<ProblemView>), ApiError> {
    key.into_field(&mut input.idempotency_key);
    let w = st.app.raise_problem(&actor, &input).await?;
    Ok((created_status(w.created), Json(w.record)))
}

/// 生产难题按类别计数（待解决、已解决；筛选条件同列表）
#[utoipa::path(get, path = "/api/v1/production-problems/counts", tag = "workgroups", security(("bearer" = [])),
    params(ProblemsQuery),
    responses((status = 200, body = ProblemCounts), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn counts(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<ProblemsQuery>,
) -> Result<Json<ProblemCounts>, ApiError> {
    Ok(Json(st.app.problem_counts(&actor, &q).await?))
}

/// 一个生产难题
#[utoipa::path(get, path = "/api/v1/production-problems/{id}", tag = "workgroups", security(("bearer" = [])),
    params(("id" = i64, Path, description = "难题编号")),
    responses((status = 200, body = ProblemView), (status = 404, body = ErrorBody)))]
pub async fn get_problem(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<ProblemView>, ApiError> {
    Ok(Json(st.app.get_problem(&actor, parse_id(&id)?).await?))
}

/// 记录生产难题的解决情况（只能办结一次），记入审计日志
#[utoipa::path(post, path = "/api/v1/production-problems/{id}/resolve", tag = "workgroups", security(("bearer" = [])),
    params(("id" = i64, Path, description = "难题编号")), request_body = ResolveInput,
    responses((status = 200, body = ProblemView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn resolve(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ResolveInput>,
) -> Result<Json<ProblemView>, ApiError> {
    Ok(Json(
        st.app
            .resolve_problem(&actor, parse_id(&id)?, &input)
            .await?,
    ))
}
