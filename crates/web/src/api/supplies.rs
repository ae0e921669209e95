//! The API of supplies (物资保障): the catalogue, stores and their movements, balances as of
//! a day, needs, requests to the level above, allocations and their arrival, shortfalls,
//! low-stock warnings and spring-farming progress.

use crate::error::{ApiError, ErrorBody};
use crate::extract::{created_status, parse_id, ApiJson, ApiQuery, ApiUser, KeyHeader};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use dualtrack_service::supplies::{
    AllocationInput, AllocationView, AllocationsQuery, Balances, BalancesQuery, DeclineInput,
    FarmPlanInput, FarmPlanView, FarmProgressInput, FarmQuery, ItemInput, ItemView, LowStock,
    LowStockQuery, MovementInput, MovementView, MovementsQuery, NeedInput, NeedView, NeedsQuery,
    ReceiveInput, RecordedMovement, RequestInput, RequestView, RequestsQuery, ShortfallQuery,
    Shortfalls, SpringFarming, StoreDetail, StoreInput, StoreView,
};
use serde::Deserialize;
use utoipa::IntoParams;

/// 物资目录（品名、类别、规格、计量单位与包装）
#[utoipa::path(get, path = "/api/v1/supplies/items", tag = "supplies", security(("bearer" = [])),
    responses((status = 200, body = [ItemView]), (status = 403, body = ErrorBody)))]
pub async fn items(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Vec<ItemView>>, ApiError> {
    Ok(Json(st.app.supply_items(&actor).await?))
}

/// 新增物资品目（系统管理员），记入审计日志
#[utoipa::path(post, path = "/api/v1/supplies/items", tag = "supplies", security(("bearer" = [])),
    request_body = ItemInput,
    responses((status = 201, body = ItemView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_item(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(input): ApiJson<ItemInput>,
) -> Result<(StatusCode, Json<ItemView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(st.app.create_supply_item(&actor, &input).await?),
    ))
}

/// 辖区内的物资仓库（县级仓库、乡镇站点、卡口物资箱等）
#[utoipa::path(get, path = "/api/v1/supplies/stores", tag = "supplies", security(("bearer" = [])),
    responses((status = 200, body = [StoreView]), (status = 403, body = ErrorBody)))]
pub async fn stores(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Vec<StoreView>>, ApiError> {
    Ok(Json(st.app.supply_stores(&actor).await?))
}

/// 设立物资仓库（站点），记入审计日志
#[utoipa::path(post, path = "/api/v1/supplies/stores", tag = "supplies", security(("bearer" = [])),
    request_body = StoreInput,
    responses((status = 201, body = StoreView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_store(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(input): ApiJson<StoreInput>,
) -> Result<(StatusCode, Json<StoreView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(st.app.create_supply_store(&actor, &input).await?),
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOf {
    /// 截至日期（含，默认今天）
    pub as_of: Option<String>,
}

/// 一个仓库：截至某日各物资结存与可用天数、最近的出入库、待确认到货的调运
#[utoipa::path(get, path = "/api/v1/supplies/stores/{id}", tag = "supplies", security(("bearer" = [])),
    params(("id" = i64, Path, description = "仓库编号"), AsOf),
    responses((status = 200, body = StoreDetail), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn store(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<AsOf>,
) -> Result<Json<StoreDetail>, ApiError> {
    Ok(Json(
        st.app
            .supply_store(&actor, parse_id(&id)?, &q.as_of)
            .await?,
    ))
}

/// 仓库的出入库记录，新的在前（每页 50 条）
#[utoipa::path(get, path = "/api/v1/supplies/stores/{id}/movements", tag = "supplies", security(("bearer" = [])),
    params(("id" = i64, Path, description = "仓库编号"), MovementsQuery),
    responses((status = 200, body = [MovementView]), (status = 404, body = ErrorBody)))]
pub async fn movements(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<MovementsQuery>,
) -> Result<Json<Vec<MovementView>>, ApiError> {
    Ok(Json(
        st.app.store_movements(&actor, parse_id(&id)?, &q).await?,
    ))
}

/// 登记入库、发放、调拨或盘点调整（结存不能为负），与审计在同一事务中写入。
/// 带幂等键（请求头 Idempotency-Key 或字段 idempotency_key）重复提交时返回首次登记（200），不重复写入；
/// 同一幂等键换了内容则拒绝（422）。
#[utoipa::path(post, path = "/api/v1/supplies/stores/{id}/movements", tag = "supplies", security(("bearer" = [])),
    params(("id" = i64, Path, description = "仓库编号"),
        ("Idempotency-Key" = Option<String>, Header, description = "客户端生成的幂等键")),
    request_body = MovementInput,
    responses((status = 201, body = RecordedMovement, description = "已登记"),
        (status = 200, body = RecordedMovement, description = "同一幂等键此前已登记，返回原记录"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "库存不足"), (status = 422, body = ErrorBody)))]
pub async fn record_movement(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    key: KeyHeader,
    ApiJson(mut input): ApiJson<MovementInput>,
) -> Result<(StatusCode, Json<RecordedMovement>), ApiError> {
    key.into_field(&mut input.idempotency_key);
    let r = st
        .app
        .record_movement(&actor, parse_id(&id)?, &input)
        .await?;
    Ok((created_status(r.created), Json(r)))
}

/// 截至某日各仓库各物资结存（由出入库记录算出，按日汇总）及各物资合计
#[utoipa::path(get, path = "/api/v1/supplies/balances", tag = "supplies", security(("bearer" = [])),
    params(BalancesQuery),
    responses((status = 200, body = Balances), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn balances(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<BalancesQuery>,
) -> Result<Json<Balances>, ApiError> {
    Ok(Json(st.app.supply_balances(&actor, &q).await?))
}

/// 低库存预警：按近 14 天用量可用天数低于预警天数的仓库与物资
#[utoipa::path(get, path = "/api/v1/supplies/low-stock", tag = "supplies", security(("bearer" = [])),
    params(LowStockQuery),
    responses((status = 200, body = LowStock), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn low_stock(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<LowStockQuery>,
) -> Result<Json<LowStock>, ApiError> {
    Ok(Json(st.app.low_stock(&actor, &q).await?))
}

/// 辖区内各地申报的物资需求
#[utoipa::path(get, path = "/api/v1/supplies/needs", tag = "supplies", security(("bearer" = [])),
    params(NeedsQuery),
    responses((status = 200, body = [NeedView]), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn needs(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<NeedsQuery>,
) -> Result<Json<Vec<NeedView>>, ApiError> {
    Ok(Json(st.app.supply_needs(&actor, &q).await?))
}

/// 申报物资需求（如乡镇春耕用肥、卡口每日口罩），记入审计日志
/// 带幂等键（请求头 Idempotency-Key 或字段 idempotency_key）重复提交时返回首次记录（200），不重复写入；同一幂等键换了内容则拒绝（422）。
#[utoipa::path(post, path = "/api/v1/supplies/needs", tag = "supplies", security(("bearer" = [])), params(("Idempotency-Key" = Option<String>, Header, description = "客户端生成的幂等键")),
    request_body = NeedInput,
    responses((status = 201, body = NeedView, description = "已写入"), (status = 200, body = NeedView, description = "同一幂等键此前已提交，返回原记录"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn declare_need(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    key: KeyHeader,
    ApiJson(mut input): ApiJson<NeedInput>,
) -> Result<(StatusCode, Json<NeedView>), ApiError> {
    key.into_field(&mut input.idempotency_key);
    let w = st.app.declare_need(&actor, &input).await?;
    Ok((created_status(w.created), Json(w.record)))
}

/// 物资请领（本级及下级向上一级），新的在前
#[utoipa::path(get, path = "/api/v1/supplies/requests", tag = "supplies", security(("bearer" = [])),
    params(RequestsQuery),
    responses((status = 200, body = [RequestView]), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn requests(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<RequestsQuery>,
) -> Result<Json<Vec<RequestView>>, ApiError> {
    Ok(Json(st.app.supply_requests(&actor, &q).await?))
}

/// 向上一级请领物资，发往本级仓库，记入审计日志
/// 带幂等键（请求头 Idempotency-Key 或字段 idempotency_key）重复提交时返回首次记录（200），不重复写入；同一幂等键换了内容则拒绝（422）。
#[utoipa::path(post, path = "/api/v1/supplies/requests", tag = "supplies", security(("bearer" = [])), params(("Idempotency-Key" = Option<String>, Header, description = "客户端生成的幂等键")),
    request_body = RequestInput,
    responses((status = 201, body = RequestView, description = "已写入"), (status = 200, body = RequestView, description = "同一幂等键此前已提交，返回原记录"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_request(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    key: KeyHeader,
    ApiJson(mut input): ApiJson<RequestInput>,
) -> Result<(StatusCode, Json<RequestView>), ApiError> {
    key.into_field(&mut input.idempotency_key);
    let w = st.app.request_supplies(&actor, &input).await?;
    Ok((created_status(w.created), Json(w.record)))
}

/// 上一级对请领（余量）不予分配并说明理由，记入审计日志
#[utoipa::path(post, path = "/api/v1/supplies/requests/{id}/decline", tag = "supplies", security(("bearer" = [])),
    params(("id" = i64, Path, description = "请领编号")),
    request_body = DeclineInput,
    responses((status = 200, body = RequestView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decline_request(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<DeclineInput>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(
        st.app
            .decline_request(&actor, parse_id(&id)?, &input)
            .await?,
    ))
}

/// 调运（分配）：发往或发自辖区仓库的，新的在前
#[utoipa::path(get, path = "/api/v1/supplies/allocations", tag = "supplies", security(("bearer" = [])),
    params(AllocationsQuery),
    responses((status = 200, body = [AllocationView]), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn allocations(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<AllocationsQuery>,
) -> Result<Json<Vec<AllocationView>>, ApiError> {
    Ok(Json(st.app.supply_allocations(&actor, &q).await?))
}

/// 上一级从本级仓库分配调运（按请领或直接调运）：即时出库，到货确认前计为在途；记入审计日志。
/// 带幂等键（请求头 Idempotency-Key 或字段 idempotency_key）重发时返回已作出的调运（200），不再出库；
/// 同一幂等键换了内容则拒绝（422）
#[utoipa::path(post, path = "/api/v1/supplies/allocations", tag = "supplies", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "客户端生成的幂等键")),
    request_body = AllocationInput,
    responses((status = 201, body = AllocationView), (status = 200, description = "同一幂等键已调运过：返回原调运", body = AllocationView),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn allocate(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    key: KeyHeader,
    ApiJson(mut input): ApiJson<AllocationInput>,
) -> Result<(StatusCode, Json<AllocationView>), ApiError> {
    key.into_field(&mut input.idempotency_key);
    let (a, created) = st.app.allocate_supplies(&actor, &input).await?;
    Ok((created_status(created), Json(a)))
}

/// 收货单位确认到货（实收数量入库），记入审计日志
#[utoipa::path(post, path = "/api/v1/supplies/allocations/{id}/receive", tag = "supplies", security(("bearer" = [])),
    params(("id" = i64, Path, description = "调运编号")),
    request_body = ReceiveInput,
    responses((status = 200, body = AllocationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn receive(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ReceiveInput>,
) -> Result<Json<AllocationView>, ApiError> {
    Ok(Json(
        st.app
            .receive_allocation(&actor, parse_id(&id)?, &input)
            .await?,
    ))
}

/// 物资缺口：截至某日各地各物资的需求、库存、在途与缺口
#[utoipa::path(get, path = "/api/v1/supplies/shortfalls", tag = "supplies", security(("bearer" = [])),
    params(ShortfallQuery),
    responses((status = 200, body = Shortfalls), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn shortfalls(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<ShortfallQuery>,
) -> Result<Json<Shortfalls>, ApiError> {
    Ok(Json(st.app.shortfalls(&actor, &q).await?))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Year {
    /// 年度（默认今年）
    pub year: Option<i32>,
}

/// 辖区内的春耕计划（乡镇、作物、计划面积）
#[utoipa::path(get, path = "/api/v1/supplies/farm-plans", tag = "supplies", security(("bearer" = [])),
    params(Year),
    responses((status = 200, body = [FarmPlanView]), (status = 403, body = ErrorBody)))]
pub async fn farm_plans(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<Year>,
) -> Result<Json<Vec<FarmPlanView>>, ApiError> {
    use chrono::Datelike;
    let year = q
        .year
        .unwrap_or_else(|| dualtrack_domain::time::reporting_day(st.app.now()).year());
    Ok(Json(st.app.farm_plans(&actor, year).await?))
}

/// 设定乡镇某作物的年度计划面积（亩），记入审计日志
#[utoipa::path(post, path = "/api/v1/supplies/farm-plans", tag = "supplies", security(("bearer" = [])),
    request_body = FarmPlanInput,
    responses((status = 200, body = FarmPlanView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_farm_plan(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(input): ApiJson<FarmPlanInput>,
) -> Result<Json<FarmPlanView>, ApiError> {
    Ok(Json(st.app.set_farm_plan(&actor, &input).await?))
}

/// 填报春耕备耕进度（截至某日累计已备耕、已播种面积），记入审计日志
#[utoipa::path(post, path = "/api/v1/supplies/farm-plans/{id}/progress", tag = "supplies", security(("bearer" = [])),
    params(("id" = i64, Path, description = "春耕计划编号")),
    request_body = FarmProgressInput,
    responses((status = 200, body = FarmPlanView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn report_progress(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<FarmProgressInput>,
) -> Result<Json<FarmPlanView>, ApiError> {
    Ok(Json(
        st.app
            .report_farm_progress(&actor, parse_id(&id)?, &input)
            .await?,
    ))
}

/// 春耕备耕进度：截至某日各乡镇各作物计划、已备耕、已播种面积，农资需求、库存、已到货与在途
#[utoipa::path(get, path = "/api/v1/supplies/spring-farming", tag = "supplies", security(("bearer" = [])),
    params(FarmQuery),
    responses((status = 200, body = SpringFarming), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn spring_farming(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<FarmQuery>,
) -> Result<Json<SpringFarming>, ApiError> {
    Ok(Json(st.app.spring_farming(&actor, &q).await?))
}

// ---- Excel ----

use crate::views::xlsx_file;
use dualtrack_service::supplies::import::SuppliesImportOutcome;

/// 物资目录导入模板（Excel，中文表头与填写说明）
#[utoipa::path(get, path = "/api/v1/supplies/items/template.xlsx", tag = "supplies", security(("bearer" = [])),
    responses((status = 200, description = "Excel 模板", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub async fn items_template(
    State(st): State<AppState>,
    ApiUser(_actor): ApiUser,
) -> Result<axum::response::Response, ApiError> {
    Ok(xlsx_file(
        st.app.supply_items_template()?,
        "物资目录导入模板",
    ))
}

/// 批量新增物资品目（系统管理员；请求体为 xlsx 文件）：逐行检查，任一行有误则整批不写入
#[utoipa::path(post, path = "/api/v1/supplies/items/import", tag = "supplies", security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 200, body = SuppliesImportOutcome), (status = 403, body = ErrorBody),
        (status = 422, description = "有错误的行：fields 中逐行列出", body = ErrorBody)))]
pub async fn import_items(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    body: axum::body::Bytes,
) -> Result<Json<SuppliesImportOutcome>, ApiError> {
    Ok(Json(st.app.import_supply_items(&actor, &body).await?))
}

/// 盘点导入模板（Excel）
#[utoipa::path(get, path = "/api/v1/supplies/stock-counts/template.xlsx", tag = "supplies", security(("bearer" = [])),
    responses((status = 200, description = "Excel 模板", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub async fn stock_count_template(
    State(st): State<AppState>,
    ApiUser(_actor): ApiUser,
) -> Result<axum::response::Response, ApiError> {
    Ok(xlsx_file(st.app.stock_count_template()?, "盘点导入模板"))
}

/// 导入盘点（请求体为 xlsx 文件）：实盘与账面之差登记为盘盈、盘亏调整；任一行有误则整批不写入
#[utoipa::path(post, path = "/api/v1/supplies/stock-counts/import", tag = "supplies", security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 200, body = SuppliesImportOutcome), (status = 403, body = ErrorBody),
        (status = 422, description = "有错误的行：fields 中逐行列出", body = ErrorBody)))]
pub async fn import_stock_counts(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    body: axum::body::Bytes,
) -> Result<Json<SuppliesImportOutcome>, ApiError> {
    Ok(Json(st.app.import_stock_counts(&actor, &body).await?))
}

/// 物资需求导入模板（Excel）
#[utoipa::path(get, path = "/api/v1/supplies/needs/template.xlsx", tag = "supplies", security(("bearer" = [])),
    responses((status = 200, description = "Excel 模板", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub async fn needs_template(
    State(st): State<AppState>,
    ApiUser(_actor): ApiUser,
) -> Result<axum::response::Response, ApiError> {
    Ok(xlsx_file(st.app.needs_template()?, "物资需求导入模板"))
}

/// 批量申报物资需求（请求体为 xlsx 文件）：逐行检查，任一行有误则整批不写入
#[utoipa::path(post, path = "/api/v1/supplies/needs/import", tag = "supplies", security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 200, body = SuppliesImportOutcome), (status = 403, body = ErrorBody),
        (status = 422, description = "有错误的行：fields 中逐行列出", body = ErrorBody)))]
pub async fn import_needs(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    body: axum::body::Bytes,
) -> Result<Json<SuppliesImportOutcome>, ApiError> {
    Ok(Json(st.app.import_needs(&actor, &body).await?))
}

/// 导出截至某日各仓库各物资结存（Excel）
#[utoipa::path(get, path = "/api/v1/supplies/balances/export.xlsx", tag = "supplies", security(("bearer" = [])),
    params(AsOf),
    responses((status = 200, description = "Excel 文件", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_balances(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<AsOf>,
) -> Result<axum::response::Response, ApiError> {
    Ok(xlsx_file(
        st.app.export_balances(&actor, &q.as_of).await?,
        "物资结存",
    ))
}
