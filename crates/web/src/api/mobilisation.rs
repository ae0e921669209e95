use crate::error::{ApiError, ErrorBody};
use crate::extract::{created_status, parse_id, ApiJson, ApiQuery, ApiUser, KeyHeader};
use crate::state::AppState;
use crate::views::{xlsx_export, xlsx_file};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use dualtrack_service::mobilisation::{
    ApplicationInput, ApplicationView, DecisionInput, DeploymentEndInput, DeploymentInput,
    DeploymentQuery, DeploymentView, MemberInput, MobilisationFigures, OrgDetail, OrgInput,
    OrgQuery, OrgView, Page, PeopleQuery, PersonInput, PersonView, Registered, RegistrationInput,
    ReturnInput, Unmasked,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// 人员列表（身份证号、电话脱敏），可按姓名、类别、政治面貌、区划筛选
#[utoipa::path(get, path = "/api/v1/people", tag = "mobilisation", security(("bearer" = [])), params(PeopleQuery),
    responses((status = 200, body = Page<PersonView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_people(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<PeopleQuery>,
) -> Result<Json<Page<PersonView>>, ApiError> {
    Ok(Json(st.app.list_people(&actor, &q).await?))
}

/// 登记人员；身份证号已登记时返回已有人员，不重复建档
#[utoipa::path(post, path = "/api/v1/people", tag = "mobilisation", security(("bearer" = [])), request_body = PersonInput,
    responses((status = 201, description = "新登记", body = Registered), (status = 200, description = "已登记过", body = Registered),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register_person(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(input): ApiJson<PersonInput>,
) -> Result<(StatusCode, Json<Registered>), ApiError> {
    let r = st.app.register_person(&actor, &input).await?;
    let status = if r.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(r)))
}

/// 一名人员（脱敏）
#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "mobilisation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "人员编号")),
    responses((status = 200, body = PersonView), (status = 404, body = ErrorBody)))]
pub async fn get_person(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<PersonView>, ApiError> {
    Ok(Json(st.app.get_person(&actor, parse_id(&id)?).await?))
}

/// 查看身份证号与电话明文（每次查看记入审计日志）
#[utoipa::path(post, path = "/api/v1/people/{id}/unmask", tag = "mobilisation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "人员编号")),
    responses((status = 200, body = Unmasked), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unmask_person(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Unmasked>, ApiError> {
    Ok(Json(st.app.unmask_person(&actor, parse_id(&id)?).await?))
}

/// 组织列表，可按类型、存续日期筛选
#[utoipa::path(get, path = "/api/v1/organisations", tag = "mobilisation", security(("bearer" = [])), params(OrgQuery),
    responses((status = 200, body = [OrgView]), (status = 422, body = ErrorBody)))]
pub async fn list_orgs(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<OrgQuery>,
) -> Result<Json<Vec<OrgView>>, ApiError> {
    Ok(Json(st.app.list_orgs(&actor, &q).await?))
}

/// 新建组织（临时党支部、党员突击队、志愿服务队、工作组……）
#[utoipa::path(post, path = "/api/v1/organisations", tag = "mobilisation", security(("bearer" = [])), request_body = OrgInput,
    responses((status = 201, body = OrgView), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_org(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(input): ApiJson<OrgInput>,
) -> Result<(StatusCode, Json<OrgView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(st.app.create_org(&actor, &input).await?),
    ))
}

/// 一个组织及其成员
#[utoipa::path(get, path = "/api/v1/organisations/{id}", tag = "mobilisation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "组织编号")),
    responses((status = 200, body = OrgDetail), (status = 404, body = ErrorBody)))]
pub async fn get_org(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<OrgDetail>, ApiError> {
    Ok(Json(st.app.get_org(&actor, parse_id(&id)?).await?))
}

/// 组织增加成员
#[utoipa::path(post, path = "/api/v1/organisations/{id}/members", tag = "mobilisation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "组织编号")), request_body = MemberInput,
    responses((status = 200, body = OrgDetail), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_member(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<MemberInput>,
) -> Result<Json<OrgDetail>, ApiError> {
    Ok(Json(
        st.app
            .add_org_member(&actor, parse_id(&id)?, &input)
            .await?,
    ))
}

/// 派驻记录：某人的，或某日在岗的
#[utoipa::path(get, path = "/api/v1/deployments", tag = "mobilisation", security(("bearer" = [])), params(DeploymentQuery),
    responses((status = 200, body = [DeploymentView]), (status = 422, body = ErrorBody)))]
pub async fn list_deployments(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<DeploymentQuery>,
) -> Result<Json<Vec<DeploymentView>>, ApiError> {
    Ok(Json(st.app.list_deployments(&actor, &q).await?))
}

/// 派驻人员到单位、网格、企业或卡口
#[utoipa::path(post, path = "/api/v1/deployments", tag = "mobilisation", security(("bearer" = [])), request_body = DeploymentInput,
    responses((status = 201, body = DeploymentView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn deploy(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(input): ApiJson<DeploymentInput>,
) -> Result<(StatusCode, Json<DeploymentView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(st.app.deploy(&actor, &input).await?),
    ))
}

/// 结束派驻（轮换、任务完成、撤回）：填最后在岗日期与原因；在岗人数随之变化
#[utoipa::path(post, path = "/api/v1/deployments/{id}/end", tag = "mobilisation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "派驻编号")), request_body = DeploymentEndInput,
    responses((status = 200, body = DeploymentView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn end_deployment(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<DeploymentEndInput>,
) -> Result<Json<DeploymentView>, ApiError> {
    Ok(Json(
        st.app
            .end_deployment(&actor, parse_id(&id)?, &input)
            .await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

/// 登记返岗（第一书记、驻村工作队员）
#[utoipa::path(post, path = "/api/v1/returns", tag = "mobilisation", security(("bearer" = [])), request_body = ReturnInput,
    responses((status = 201, body = Created), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_return(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(input): ApiJson<ReturnInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(Created {
            id: st.app.record_return(&actor, &input).await?,
        }),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationQuery {
    /// submitted、approved、declined
    pub status: Option<String>,
    pub page: Option<i64>,
}

/// 请战书列表
#[utoipa::path(get, path = "/api/v1/applications", tag = "mobilisation", security(("bearer" = [])), params(ApplicationQuery),
    responses((status = 200, body = [ApplicationView]), (status = 422, body = ErrorBody)))]
pub async fn list_applications(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<ApplicationQuery>,
) -> Result<Json<Vec<ApplicationView>>, ApiError> {
    Ok(Json(
        st.app
            .list_applications(&actor, q.status.as_deref(), q.page)
            .await?,
    ))
}

/// 提交请战书
#[utoipa::path(post, path = "/api/v1/applications", tag = "mobilisation", security(("bearer" = [])), request_body = ApplicationInput,
    responses((status = 201, body = ApplicationView), (status = 422, body = ErrorBody)))]
pub async fn submit_application(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(input): ApiJson<ApplicationInput>,
) -> Result<(StatusCode, Json<ApplicationView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(st.app.submit_application(&actor, &input).await?),
    ))
}

/// 审批请战书；批准即派驻
#[utoipa::path(post, path = "/api/v1/applications/{id}/decision", tag = "mobilisation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "请战书编号")), request_body = DecisionInput,
    responses((status = 200, body = ApplicationView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn decide_application(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<DecisionInput>,
) -> Result<Json<ApplicationView>, ApiError> {
    Ok(Json(
        st.app
            .decide_application(&actor, parse_id(&id)?, &input)
            .await?,
    ))
}

/// 在职党员到社区报到
#[utoipa::path(post, path = "/api/v1/registrations", tag = "mobilisation", security(("bearer" = [])), request_body = RegistrationInput,
    responses((status = 201, body = Created), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register_in_community(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(input): ApiJson<RegistrationInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(Created {
            id: st.app.register_in_community(&actor, &input).await?,
        }),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiguresQuery {
    /// 截至日期（含当日），如 2020-02-28
    pub as_of: String,
}

/// 组织动员主要数字（截至某日，限本人管辖范围）
#[utoipa::path(get, path = "/api/v1/mobilisation/figures", tag = "mobilisation", security(("bearer" = [])), params(FiguresQuery),
    responses((status = 200, body = MobilisationFigures), (status = 422, body = ErrorBody)))]
pub async fn figures(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<FiguresQuery>,
) -> Result<Json<MobilisationFigures>, ApiError> {
    Ok(Json(st.app.mobilisation_figures(&actor, &q.as_of).await?))
}

/// The largest spreadsheet an import accepts.
pub const IMPORT_LIMIT: usize = 32 * 1024 * 1024;

/// 人员导入模板（Excel，中文表头与填写说明）
#[utoipa::path(get, path = "/api/v1/people/template.xlsx", tag = "mobilisation", security(("bearer" = [])),
    responses((status = 200, description = "Excel 模板", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub async fn people_template(
    State(st): State<AppState>,
    ApiUser(_actor): ApiUser,
) -> Result<axum::response::Response, ApiError> {
    Ok(xlsx_file(st.app.people_template()?, "人员导入模板"))
}

/// 批量导入人员（请求体为 xlsx 文件）：逐行检查，任一行有误则整批不写入，并列出每行的问题
#[utoipa::path(post, path = "/api/v1/people/import", tag = "mobilisation", security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 200, body = dualtrack_service::import::ImportOutcome),
        (status = 422, description = "有错误的行：fields 中逐行列出", body = ErrorBody)))]
pub async fn import_people(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    body: axum::body::Bytes,
) -> Result<Json<dualtrack_service::import::ImportOutcome>, ApiError> {
    Ok(Json(st.app.import_people(&actor, &body).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    pub name: Option<String>,
    pub category: Option<String>,
    pub political_status: Option<String>,
    pub jurisdiction: Option<String>,
    /// true：导出身份证号与电话明文（需相应权限，记入审计日志）
    pub unmask: Option<bool>,
}

/// 导出人员列表（Excel；默认脱敏）
#[utoipa::path(get, path = "/api/v1/people/export.xlsx", tag = "mobilisation", security(("bearer" = [])), params(ExportQuery),
    responses((status = 200, description = "Excel 文件", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = ErrorBody)))]
pub async fn export_people(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<axum::response::Response, ApiError> {
    let query = PeopleQuery {
        name: q.name,
        category: q.category,
        political_status: q.political_status,
        jurisdiction: q.jurisdiction,
        page: None,
    };
    let bytes = st
        .app
        .export_people(&actor, &query, q.unmask.unwrap_or(false))
        .await?;
    Ok(xlsx_export(bytes, "人员"))
}

/// 干部一线考察档案：派驻经历与考察记录（组织部门及其上级领导可读）
#[utoipa::path(get, path = "/api/v1/people/{id}/cadre-file", tag = "mobilisation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "人员编号")),
    responses((status = 200, body = dualtrack_service::mobilisation::CadreFile), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn cadre_file(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<dualtrack_service::mobilisation::CadreFile>, ApiError> {
    Ok(Json(st.app.cadre_file(&actor, parse_id(&id)?).await?))
}

/// 记录干部一线考察（观察、表扬嘉奖、考核评价；组织部门）
#[utoipa::path(post, path = "/api/v1/people/{id}/cadre-records", tag = "mobilisation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "人员编号")), request_body = dualtrack_service::mobilisation::CadreRecordInput,
    responses((status = 201, body = dualtrack_service::mobilisation::CadreFile), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_cadre(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<dualtrack_service::mobilisation::CadreRecordInput>,
) -> Result<(StatusCode, Json<dualtrack_service::mobilisation::CadreFile>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(st.app.record_cadre(&actor, parse_id(&id)?, &input).await?),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct Imported {
    /// 写入的行数
    pub imported: usize,
}

/// 组织导入模板（Excel）
#[utoipa::path(get, path = "/api/v1/organisations/template.xlsx", tag = "mobilisation", security(("bearer" = [])),
    responses((status = 200, description = "Excel 模板", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub async fn organisations_template(
    State(st): State<AppState>,
    ApiUser(_actor): ApiUser,
) -> Result<axum::response::Response, ApiError> {
    Ok(xlsx_file(st.app.organisations_template()?, "组织导入模板"))
}

/// 批量导入组织（xlsx）：任一行有误则整批不写入
#[utoipa::path(post, path = "/api/v1/organisations/import", tag = "mobilisation", security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 200, body = Imported), (status = 422, description = "有错误的行", body = ErrorBody)))]
pub async fn import_organisations(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    body: axum::body::Bytes,
) -> Result<Json<Imported>, ApiError> {
    Ok(Json(Imported {
        imported: st.app.import_organisations(&actor, &body).await?,
    }))
}

/// 派驻导入模板（Excel）
#[utoipa::path(get, path = "/api/v1/deployments/template.xlsx", tag = "mobilisation", security(("bearer" = [])),
    responses((status = 200, description = "Excel 模板", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub async fn deployments_template(
    State(st): State<AppState>,
    ApiUser(_actor): ApiUser,
) -> Result<axum::response::Response, ApiError> {
    Ok(xlsx_file(st.app.deployments_template()?, "派驻导入模板"))
}

/// 批量导入派驻（xlsx）：任一行有误则整批不写入
#[utoipa::path(post, path = "/api/v1/deployments/import", tag = "mobilisation", security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 200, body = Imported), (status = 422, description = "有错误的行", body = ErrorBody)))]
pub async fn import_deployments(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    body: axum::body::Bytes,
) -> Result<Json<Imported>, ApiError> {
    Ok(Json(Imported {
        imported: st.app.import_deployments(&actor, &body).await?,
    }))
}

/// 在职党员报到后的服务记录与累计时长
#[utoipa::path(get, path = "/api/v1/registrations/{id}/service-logs", tag = "mobilisation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "报到记录编号")),
    responses((status = 200, body = dualtrack_service::mobilisation::ServiceRecord), (status = 404, body = ErrorBody)))]
pub async fn service_record(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<dualtrack_service::mobilisation::ServiceRecord>, ApiError> {
    Ok(Json(st.app.service_record(&actor, parse_id(&id)?).await?))
}

/// 记录一次党员服务（日期、时长、内容）
/// 带幂等键（请求头 Idempotency-Key 或字段 idempotency_key）重复提交时返回首次记录（200），不重复写入；同一幂等键换了内容则拒绝（422）。
#[utoipa::path(post, path = "/api/v1/registrations/{id}/service-logs", tag = "mobilisation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "报到记录编号"), ("Idempotency-Key" = Option<String>, Header, description = "客户端生成的幂等键")), request_body = dualtrack_service::mobilisation::ServiceLogInput,
    responses((status = 201, body = dualtrack_service::mobilisation::ServiceRecord, description = "已写入"), (status = 200, body = dualtrack_service::mobilisation::ServiceRecord, description = "同一幂等键此前已提交，返回原记录"), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn log_service(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    key: KeyHeader,
    ApiJson(mut input): ApiJson<dualtrack_service::mobilisation::ServiceLogInput>,
) -> Result<
    (
        StatusCode,
        Json<dualtrack_service::mobilisation::ServiceRecord>,
    ),
    ApiError,
> {
    key.into_field(&mut input.idempotency_key);
    let w = st.app.log_service(&actor, parse_id(&id)?, &input).await?;
    Ok((created_status(w.created), Json(w.record)))
}

/// 导出组织列表（Excel，按类型、存续日期筛选）
#[utoipa::path(get, path = "/api/v1/organisations/export.xlsx", tag = "mobilisation", security(("bearer" = [])), params(OrgQuery),
    responses((status = 200, description = "Excel 文件", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 422, body = ErrorBody)))]
pub async fn export_organisations(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<OrgQuery>,
) -> Result<axum::response::Response, ApiError> {
    Ok(xlsx_export(
        st.app.export_organisations(&actor, &q).await?,
        "组织",
    ))
}

/// 导出派驻列表（Excel：某人的，或某日在岗的）
#[utoipa::path(get, path = "/api/v1/deployments/export.xlsx", tag = "mobilisation", security(("bearer" = [])), params(DeploymentQuery),
    responses((status = 200, description = "Excel 文件", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 422, body = ErrorBody)))]
pub async fn export_deployments(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<DeploymentQuery>,
) -> Result<axum::response::Response, ApiError> {
    Ok(xlsx_export(
        st.app.export_deployments(&actor, &q).await?,
        "派驻",
    ))
}

/// 某人的社区报到记录及其服务记录
#[utoipa::path(get, path = "/api/v1/people/{id}/registrations", tag = "mobilisation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "人员编号")),
    responses((status = 200, body = [dualtrack_service::mobilisation::ServiceRecord]), (status = 404, body = ErrorBody)))]
pub async fn registrations_of(
    State(st): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<dualtrack_service::mobilisation::ServiceRecord>>, ApiError> {
    Ok(Json(st.app.registrations_of(&actor, parse_id(&id)?).await?))
}
