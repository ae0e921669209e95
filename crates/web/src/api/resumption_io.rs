//! Excel templates, imports and exports of the resumption track: the enterprise registry,
//! daily reports in a batch, the rates table and daily series, late and missing reports,
//! filings, production problems, major projects and key production.

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiQuery, ApiUser};
use crate::state::AppState;
use crate::views::{xlsx_export, xlsx_file};
use axum::extract::State;
use axum::Json;
use dualtrack_service::import_resumption::{EnterpriseImportOutcome, ReportImportOutcome};
use dualtrack_service::projects::{AsOfQuery, ProductionQuery};
use dualtrack_service::punctuality::PunctualityQuery;
use dualtrack_service::resumption::{RatesQuery, SeriesQuery};
use dualtrack_service::workgroups::ProblemsQuery;
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
    Ok(xlsx_export(
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
#[into_params(parameter_in = Query)]
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
    Ok(xlsx_export(
        st.app.export_reports(&actor, &q.date).await?,
        &name,
    ))
}

/// 导出开复工率、复岗率、产能恢复率（Excel；截至某日，可按地区与行业门类筛选，与复工率页面一致；各县、各乡镇、各行业门类分表并列并有合计，均给出分子与分母）
#[utoipa::path(get, path = "/api/v1/resumption/rates/export.xlsx", tag = "resumption", security(("bearer" = [])), params(RatesQuery),
    responses((status = 200, description = "Excel 文件", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn export_rates(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<RatesQuery>,
) -> Result<axum::response::Response, ApiError> {
    let name = format!("复工率{}", q.as_of.trim());
    Ok(xlsx_file(
        st.app.export_rates_filtered(&actor, &q).await?,
        &name,
    ))
}

/// 导出逐日开复工率、复岗率、产能恢复率（Excel；每日一行，给出分子、分母与百分比；by=county 时另有各县逐日表）
#[utoipa::path(get, path = "/api/v1/resumption/series/export.xlsx", tag = "resumption", security(("bearer" = [])), params(SeriesQuery),
    responses((status = 200, description = "Excel 文件", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn export_series(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<SeriesQuery>,
) -> Result<axum::response::Response, ApiError> {
    let name = format!("复工率逐日{}至{}", q.from.trim(), q.to.trim());
    Ok(xlsx_file(st.app.export_series(&actor, &q).await?, &name))
}

/// 导出某日日报的迟报漏报（Excel；各县应报、按时、迟报、漏报，未报与迟报企业名单，联系电话脱敏）
#[utoipa::path(get, path = "/api/v1/resumption/punctuality/export.xlsx", tag = "resumption", security(("bearer" = [])), params(PunctualityQuery),
    responses((status = 200, description = "Excel 文件", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 422, body = ErrorBody)))]
pub async fn export_punctuality(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<PunctualityQuery>,
) -> Result<axum::response::Response, ApiError> {
    let name = format!("日报迟报漏报{}", q.date.trim());
    Ok(xlsx_file(
        st.app.export_punctuality(&actor, &q.date).await?,
        &name,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FilingExportQuery {
    /// submitted（待审核）、approved（已同意）、returned（已退回）；不填为全部
    pub status: Option<String>,
}

/// 导出管辖范围内的复工备案（Excel；可按状态筛选，全部页）
#[utoipa::path(get, path = "/api/v1/filings/export.xlsx", tag = "resumption", security(("bearer" = [])), params(FilingExportQuery),
    responses((status = 200, description = "Excel 文件", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 422, body = ErrorBody)))]
pub async fn export_filings(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<FilingExportQuery>,
) -> Result<axum::response::Response, ApiError> {
    Ok(xlsx_file(
        st.app.export_filings(&actor, q.status.as_deref()).await?,
        "复工备案",
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProblemsExportQuery {
    /// 类别：labour、materials、logistics、funds、orders、supplies、other
    pub category: Option<String>,
    /// 状态：open、resolved
    pub status: Option<String>,
    /// 县级（或更下级）区划代码
    pub county: Option<String>,
    pub enterprise_id: Option<i64>,
    /// 提出的工作组
    pub org_id: Option<i64>,
}

/// 导出生产难题（Excel；与列表相同的筛选，全部页，另有按类别统计表）
#[utoipa::path(get, path = "/api/v1/production-problems/export.xlsx", tag = "workgroups", security(("bearer" = [])), params(ProblemsExportQuery),
    responses((status = 200, description = "Excel 文件", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn export_problems(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<ProblemsExportQuery>,
) -> Result<axum::response::Response, ApiError> {
    let q = ProblemsQuery {
        category: q.category,
        status: q.status,
        county: q.county,
        enterprise_id: q.enterprise_id,
        org_id: q.org_id,
        page: None,
    };
    Ok(xlsx_file(
        st.app.export_problems(&actor, &q).await?,
        "生产难题",
    ))
}

/// 导出重大项目（Excel；截至某日各县开工率与投资完成率并有合计，另有各项目表）
#[utoipa::path(get, path = "/api/v1/projects/export.xlsx", tag = "projects", security(("bearer" = [])), params(AsOfQuery),
    responses((status = 200, description = "Excel 文件", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 422, body = ErrorBody)))]
pub async fn export_projects(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<AsOfQuery>,
) -> Result<axum::response::Response, ApiError> {
    let name = format!("重大项目{}", q.as_of.trim());
    Ok(xlsx_file(
        st.app.export_projects(&actor, &q.as_of).await?,
        &name,
    ))
}

/// 导出重点生产（Excel；截至某日各厂产量与产能、各产品合计、按目的地省份的发运量）
#[utoipa::path(get, path = "/api/v1/key-production/export.xlsx", tag = "projects", security(("bearer" = [])), params(ProductionQuery),
    responses((status = 200, description = "Excel 文件", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 422, body = ErrorBody)))]
pub async fn export_key_production(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<ProductionQuery>,
) -> Result<axum::response::Response, ApiError> {
    let name = format!("重点生产{}", q.as_of.trim());
    Ok(xlsx_file(
        st.app.export_key_production(&actor, &q).await?,
        &name,
    ))
}
