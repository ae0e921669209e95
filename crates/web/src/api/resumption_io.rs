//! Excel templates, imports and exports of the resumption track: the enterprise registry,
//! daily reports in a batch, and the rates table.

use super::mobilisation::xlsx_file;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiQuery, ApiUser};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use dualtrack_service::import_resumption::{EnterpriseImportOutcome, ReportImportOutcome};
use dualtrack_service::resumption::RatesQuery;
use serde::Deserialize;
use utoipa::IntoParams;

/// 企业登记导入模板（Excel，中文表头与填写说明）
#[utoipa::path(get, path = "/api/v1/enterprises/template.xlsx", tag = "resumption", security(("bearer" = [])),
    responses((status = 200, description = "Excel 模板", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub async fn enterprises_template(
    State(st): State<AppState>,
    ApiUser(_actor): ApiUser,
) -> Result<axum::response::Response, ApiError> {
    Ok(xlsx_file(st.app.enterprises_template()?, "企业导入模板"))
}

/// 批量登记企业（请求体为 xlsx 文件）：逐行检查，任一行有误则整批不写入；校验位不符的代码照常登记并在 warnings 中提示
#[utoipa::path(post, path = "/api/v1/enterprises/import", tag = "resumption", security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 200, body = EnterpriseImportOutcome),
        (status = 403, body = ErrorBody),
        (status = 422, description = "有错误的行：fields 中逐行列出", body = ErrorBody)))]
pub async fn import_enterprises(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    body: axum::body::Bytes,
) -> Result<Json<EnterpriseImportOutcome>, ApiError> {
    Ok(Json(st.app.import_enterprises(&actor, &body).await?))
}

/// 导出企业台账（Excel；联系电话脱敏）
#[utoipa::path(get, path = "/api/v1/enterprises/export.xlsx", tag = "resumption", security(("bearer" = [])),
    responses((status = 200, description = "Excel 文件", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = ErrorBody)))]
pub async fn export_enterprises(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<axum::response::Response, ApiError> {
    Ok(xlsx_file(
        st.app.export_enterprises(&actor).await?,
        "企业台账",
    ))
}

/// 企业日报批量导入模板（Excel）
#[utoipa::path(get, path = "/api/v1/reports/template.xlsx", tag = "resumption", security(("bearer" = [])),
    responses((status = 200, description = "Excel 模板", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub async fn reports_template(
    State(st): State<AppState>,
    ApiUser(_actor): ApiUser,
) -> Result<axum::response::Response, ApiError> {
    Ok(xlsx_file(st.app.reports_template()?, "企业日报导入模板"))
}

/// 批量填报（或更正）企业日报（xlsx）：任一行有误则整批不写入；更正保留原版本
#[utoipa::path(post, path = "/api/v1/reports/import", tag = "resumption", security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 200, body = ReportImportOutcome),
        (status = 403, body = ErrorBody),
        (status = 422, description = "有错误的行：fields 中逐行列出", body = ErrorBody)))]
pub async fn import_reports(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    body: axum::body::Bytes,
) -> Result<Json<ReportImportOutcome>, ApiError> {
    Ok(Json(st.app.import_reports(&actor, &body).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct ReportDay {
    /// 报告日期，如 2020-02-27
    pub date: String,
}

/// 导出某日的企业日报（Excel；每家企业一行，为当前版本；列与导入模板一致，可改后重新导入作更正）
#[utoipa::path(get, path = "/api/v1/reports/export.xlsx", tag = "resumption", security(("bearer" = [])), params(ReportDay),
    responses((status = 200, description = "Excel 文件", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 422, body = ErrorBody)))]
pub async fn export_reports(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<ReportDay>,
) -> Result<axum::response::Response, ApiError> {
    let name = format!("企业日报{}", q.date.trim());
    Ok(xlsx_file(
        st.app.export_reports(&actor, &q.date).await?,
        &name,
    ))
}

/// 导出开复工率、复岗率、产能恢复率（Excel；截至某日，各县并列并有合计，均给出分子与分母）
#[utoipa::path(get, path = "/api/v1/resumption/rates/export.xlsx", tag = "resumption", security(("bearer" = [])), params(RatesQuery),
    responses((status = 200, description = "Excel 文件", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 422, body = ErrorBody)))]
pub async fn export_rates(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<RatesQuery>,
) -> Result<axum::response::Response, ApiError> {
    let name = format!("复工率{}", q.as_of.trim());
    Ok(xlsx_file(
        st.app.export_rates(&actor, &q.as_of).await?,
        &name,
    ))
}
