//! The JSON API under `/api/v1`. The route table below is also the source of the OpenAPI
//! document served at `/api/openapi.json`.

pub mod audit;
pub mod auth;
pub mod campaigns;
pub mod checkpoints;
pub mod command;
pub mod filings;
pub mod handovers;
pub mod mobilisation;
pub mod monitoring;
pub mod places;
pub mod prevention;
pub mod projects;
pub mod resumption;
pub mod resumption_io;
pub mod supplies;
pub mod tokens;
pub mod tree;
pub mod users;
pub mod whistle;
pub mod workgroups;

use crate::state::AppState;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(crate::ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::sessions))
        .routes(routes!(auth::end_session))
        .routes(routes!(tokens::my_tokens, tokens::create_token))
        .routes(routes!(tokens::revoke_my_token))
        .routes(routes!(tree::search))
        .routes(routes!(tree::node))
        .routes(routes!(tree::create_grid))
        .routes(routes!(tree::import_region))
        .routes(routes!(places::search_places))
        .routes(routes!(places::place_names))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::get))
        .routes(routes!(users::set_roles))
        .routes(routes!(users::lock))
        .routes(routes!(users::unlock))
        .routes(routes!(users::reset_second_factor))
        .routes(routes!(users::reset_password))
        .routes(routes!(tokens::user_tokens))
        .routes(routes!(tokens::revoke_user_token))
        .routes(routes!(audit::list))
        .routes(routes!(audit::chain))
        .routes(routes!(
            mobilisation::list_people,
            mobilisation::register_person
        ))
        .routes(routes!(mobilisation::get_person))
        .routes(routes!(mobilisation::unmask_person))
        .routes(routes!(mobilisation::list_orgs, mobilisation::create_org))
        .routes(routes!(mobilisation::get_org))
        .routes(routes!(mobilisation::add_member))
        .routes(routes!(
            mobilisation::list_deployments,
            mobilisation::deploy
        ))
        .routes(routes!(mobilisation::end_deployment))
        .routes(routes!(mobilisation::record_return))
        .routes(routes!(
            mobilisation::list_applications,
            mobilisation::submit_application
        ))
        .routes(routes!(mobilisation::decide_application))
        .routes(routes!(mobilisation::register_in_community))
        .routes(routes!(
            mobilisation::service_record,
            mobilisation::log_service
        ))
        .routes(routes!(mobilisation::figures))
        .routes(routes!(resumption::list, resumption::create))
        .routes(routes!(resumption::get))
        .routes(routes!(resumption::exclude))
        .routes(routes!(resumption::reports, resumption::file_report))
        .routes(routes!(resumption::rates))
        .routes(routes!(workgroups::list))
        .routes(routes!(workgroups::assignments, workgroups::assign))
        .routes(routes!(workgroups::visits, workgroups::record_visit))
        .routes(routes!(workgroups::get_visit))
        .routes(routes!(workgroups::problems, workgroups::raise))
        .routes(routes!(workgroups::counts))
        .routes(routes!(workgroups::get_problem))
        .routes(routes!(workgroups::resolve))
        .routes(routes!(filings::of_enterprise, filings::file))
        .routes(routes!(filings::list))
        .routes(routes!(filings::approve))
        .routes(routes!(filings::return_filing))
        .routes(routes!(filings::punctuality))
        .routes(routes!(projects::list, projects::create))
        .routes(routes!(projects::rates))
        .routes(routes!(projects::get))
        .routes(routes!(projects::start))
        .routes(routes!(projects::progress))
        .routes(routes!(projects::list_plants, projects::create_plant))
        .routes(routes!(projects::get_plant))
        .routes(routes!(projects::outputs, projects::file_output))
        .routes(routes!(projects::shipments, projects::record_shipment))
        .routes(routes!(projects::key_production))
        .routes(routes!(resumption::series))
        .routes(routes!(monitoring::list, monitoring::create))
        .routes(routes!(monitoring::get))
        .routes(routes!(monitoring::followups, monitoring::follow_up))
        .routes(routes!(monitoring::release))
        .routes(routes!(monitoring::alerts))
        .routes(routes!(monitoring::unmask))
        .routes(routes!(monitoring::figures))
        .routes(routes!(monitoring::overdue))
        .routes(routes!(supplies::items, supplies::create_item))
        .routes(routes!(supplies::stores, supplies::create_store))
        .routes(routes!(supplies::store))
        .routes(routes!(supplies::movements, supplies::record_movement))
        .routes(routes!(supplies::balances))
        .routes(routes!(supplies::low_stock))
        .routes(routes!(supplies::needs, supplies::declare_need))
        .routes(routes!(supplies::requests, supplies::create_request))
        .routes(routes!(supplies::decline_request))
        .routes(routes!(supplies::allocations, supplies::allocate))
        .routes(routes!(supplies::receive))
        .routes(routes!(supplies::shortfalls))
        .routes(routes!(supplies::farm_plans, supplies::set_farm_plan))
        .routes(routes!(supplies::report_progress))
        .routes(routes!(supplies::spring_farming))
        .routes(routes!(supplies::items_template))
        .routes(routes!(supplies::stock_count_template))
        .routes(routes!(supplies::needs_template))
        .routes(routes!(supplies::export_balances))
        .routes(routes!(checkpoints::list, checkpoints::create))
        .routes(routes!(checkpoints::counts))
        .routes(routes!(checkpoints::get))
        .routes(routes!(checkpoints::shifts, checkpoints::add_shift))
        .routes(routes!(checkpoints::passages, checkpoints::register))
        .routes(routes!(checkpoints::get_passage))
        .routes(routes!(checkpoints::unmask))
        .routes(routes!(command::indicators))
        .routes(routes!(command::dashboard))
        .routes(routes!(command::stats))
        .routes(routes!(command::briefing))
        .routes(routes!(command::briefing_markdown))
        .routes(routes!(command::briefing_docx))
        .routes(routes!(handovers::staff))
        .routes(routes!(handovers::list))
        .routes(routes!(handovers::figures))
        .routes(routes!(handovers::get))
        .routes(routes!(handovers::acknowledge))
        .routes(routes!(handovers::forward))
        .routes(routes!(handovers::unmask))
        .routes(routes!(handovers::outbound))
        .routes(routes!(handovers::export_outbound))
        .routes(routes!(handovers::resume))
        .routes(routes!(prevention::list_grids))
        .routes(routes!(prevention::get_grid))
        .routes(routes!(prevention::add_member))
        .routes(routes!(
            prevention::list_households,
            prevention::add_household
        ))
        .routes(routes!(prevention::visit_household))
        .routes(routes!(prevention::screen_person))
        .routes(routes!(prevention::list_screened))
        .routes(routes!(prevention::get_screened))
        .routes(routes!(prevention::unmask_screened))
        .routes(routes!(
            prevention::list_risk_areas,
            prevention::set_risk_area
        ))
        .routes(routes!(prevention::update_risk_area))
        .routes(routes!(prevention::list_rounds, prevention::create_round))
        .routes(routes!(prevention::round_coverage))
        .routes(routes!(
            prevention::list_publicity,
            prevention::record_publicity
        ))
        .routes(routes!(
            prevention::list_stability,
            prevention::record_stability
        ))
        .routes(routes!(
            prevention::grid_reports,
            prevention::file_grid_report
        ))
        .routes(routes!(prevention::grid_report_draft))
        .routes(routes!(prevention::rollup))
        .routes(routes!(campaigns::list, campaigns::create))
        .routes(routes!(campaigns::get))
        .routes(routes!(campaigns::send, campaigns::people))
        .routes(routes!(
            campaigns::list_documents,
            campaigns::create_document
        ))
        .routes(routes!(campaigns::get_document))
        .routes(routes!(mobilisation::cadre_file))
        .routes(routes!(mobilisation::registrations_of))
        .routes(routes!(mobilisation::record_cadre))
        .routes(routes!(mobilisation::people_template))
        .routes(routes!(mobilisation::export_people))
        .routes(routes!(mobilisation::organisations_template))
        .routes(routes!(mobilisation::export_organisations))
        .routes(routes!(mobilisation::export_deployments))
        .routes(routes!(mobilisation::deployments_template))
        .routes(routes!(resumption_io::enterprises_template))
        .routes(routes!(resumption_io::export_enterprises))
        .routes(routes!(resumption_io::reports_template))
        .routes(routes!(resumption_io::export_reports))
        .routes(routes!(resumption_io::export_rates))
        .routes(routes!(resumption_io::export_series))
        .routes(routes!(resumption_io::export_punctuality))
        .routes(routes!(resumption_io::export_filings))
        .routes(routes!(resumption_io::export_problems))
        .routes(routes!(resumption_io::export_projects))
        .routes(routes!(resumption_io::export_key_production))
        .routes(routes!(whistle::departments, whistle::create_department))
        .routes(routes!(whistle::department))
        .routes(routes!(whistle::add_member))
        .routes(routes!(whistle::rules, whistle::set_rule))
        .routes(routes!(whistle::route))
        .routes(routes!(whistle::tickets, whistle::raise))
        .routes(routes!(whistle::ticket))
        .routes(routes!(whistle::accept))
        .routes(routes!(whistle::resolve))
        .routes(routes!(whistle::confirm))
        .routes(routes!(whistle::reject))
        .routes(routes!(whistle::download))
        .routes(routes!(whistle::inbox))
        .routes(routes!(whistle::read_notice))
        .routes(routes!(whistle::webhooks, whistle::create_webhook))
        .routes(routes!(whistle::deliveries))
        .routes(routes!(whistle::test_webhook))
        .routes(routes!(whistle::figures))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(whistle::attachments, whistle::attach))
                .layer(axum::extract::DefaultBodyLimit::max(
                    whistle::ATTACHMENT_LIMIT,
                )),
        )
        .merge(
            OpenApiRouter::new()
                .routes(routes!(mobilisation::import_people))
                .routes(routes!(mobilisation::import_organisations))
                .routes(routes!(mobilisation::import_deployments))
                .routes(routes!(resumption_io::import_enterprises))
                .routes(routes!(resumption_io::import_reports))
                .routes(routes!(supplies::import_items))
                .routes(routes!(supplies::import_stock_counts))
                .routes(routes!(supplies::import_needs))
                .layer(axum::extract::DefaultBodyLimit::max(
                    mobilisation::IMPORT_LIMIT,
                )),
        )
}

/// Declares the bearer-token scheme of the API.
pub struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Finishes the document generated from the route table: unique operation ids, and the
/// errors every operation can answer with.
pub fn finish_document(doc: &mut utoipa::openapi::OpenApi) {
    unique_operation_ids(doc);
    document_common_errors(doc);
}

/// An operation id is the handler's name, which several modules share (`list`, `get`…); a
/// client generated from the document needs each to be unique, so a shared one is prefixed
/// with the fixed part of its path (`monitoring_cases_list`).
fn unique_operation_ids(doc: &mut utoipa::openapi::OpenApi) {
    use std::collections::HashMap;
    let mut uses: HashMap<String, usize> = HashMap::new();
    for item in doc.paths.paths.values() {
        for op in operations(item).into_iter().flatten() {
            if let Some(id) = &op.operation_id {
                *uses.entry(id.clone()).or_default() += 1;
            }
        }
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        let place: Vec<String> = path
            .trim_start_matches("/api/v1/")
            .split('/')
            .filter(|s| !s.is_empty() && !s.starts_with('{'))
            .map(|s| {
                s.chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .collect()
            })
            .collect();
        for op in operations_mut(item).into_iter().flatten() {
            let Some(id) = op.operation_id.as_ref() else {
                continue;
            };
            if uses.get(id).copied().unwrap_or(0) > 1 {
                op.operation_id = Some(format!("{}_{id}", place.join("_")));
            }
        }
    }
}

fn operations(item: &utoipa::openapi::PathItem) -> [Option<&utoipa::openapi::path::Operation>; 6] {
    [
        item.get.as_ref(),
        item.head.as_ref(),
        item.post.as_ref(),
        item.put.as_ref(),
        item.patch.as_ref(),
        item.delete.as_ref(),
    ]
}

fn operations_mut(
    item: &mut utoipa::openapi::PathItem,
) -> [Option<&mut utoipa::openapi::path::Operation>; 6] {
    [
        item.get.as_mut(),
        item.head.as_mut(),
        item.post.as_mut(),
        item.put.as_mut(),
        item.patch.as_mut(),
        item.delete.as_mut(),
    ]
}

/// Completes the document with the errors every operation can answer with, whatever its
/// handler: they come from the layers around it (login, the admission of requests, the
/// extractors of path, query and body). Each error response gets the error body. Statuses
/// an operation declares itself (with their own description) are kept.
fn document_common_errors(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{Operation, ParameterIn};
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

    fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build(),
        )
    }

    fn complete(op: &mut Operation, path: &str, write: bool) {
        let params = op.parameters.as_deref().unwrap_or_default();
        let in_path = params
            .iter()
            .any(|p| matches!(p.parameter_in, ParameterIn::Path));
        let in_query = params
            .iter()
            .any(|p| matches!(p.parameter_in, ParameterIn::Query));
        let body = op.request_body.is_some();
        let json_body = op
            .request_body
            .as_ref()
            .is_some_and(|b| b.content.contains_key("application/json"));
        let secured = op.security.is_some();
        // Only these two need nothing but a login.
        let own_session = matches!(
            (path, write),
            ("/api/v1/me", false) | ("/api/v1/auth/logout", true)
        );
        let mut add: Vec<(&str, &str)> = vec![];
        if in_path || in_query || json_body {
            add.push((
                "400",
                "请求有误：地址中的参数、查询参数或 JSON 请求体无法解析",
            ));
        }
        if secured {
            add.push(("401", "未登录、令牌无效或已过期"));
        }
        if secured && !own_session {
            add.push((
                "403",
                "您的角色无权执行此操作（网页会话的写操作还须带 CSRF 令牌）",
            ));
        }
        if secured && (in_path || in_query || body) {
            add.push((
                "404",
                "路径、查询参数或请求体中的记录不存在、不在您的管辖范围内，或编号无效",
            ));
        }
        if write {
            add.push(("408", "请求体接收超时"));
        }
        if write && body {
            add.push(("409", "与现有记录或同时进行的操作冲突"));
        }
        if write {
            add.push(("413", "请求体过大"));
        }
        if json_body {
            add.push(("415", "请求头 Content-Type 应为 application/json"));
        }
        if in_path || in_query || body {
            add.push(("422", "请求内容不符合要求：fields 中列出出错的字段"));
        }
        if secured {
            add.push(("429", "同一账户同时发出的请求过多，请稍后重试"));
        }
        add.push(("500", "服务器内部错误（详情只记入服务器日志）"));
        add.push(("503", "服务器繁忙、处理超时或数据库暂不可用，请稍后重试"));
        let responses = &mut op.responses.responses;
        for (status, description) in add {
            responses
                .entry(status.to_string())
                .or_insert_with(|| error_response(description));
        }
        // An error declared without a body gets the error body.
        for (status, r) in responses.iter_mut() {
            if !(status.starts_with('4') || status.starts_with('5')) {
                continue;
            }
            if let RefOr::T(resp) = r {
                if resp.content.is_empty() {
                    let description = if resp.description.is_empty() {
                        "请求有误".to_string()
                    } else {
                        resp.description.clone()
                    };
                    *r = error_response(&description);
                }
            }
        }
    }

    for (path, item) in doc.paths.paths.iter_mut() {
        for (op, write) in [
            (&mut item.get, false),
            (&mut item.head, false),
            (&mut item.post, true),
            (&mut item.put, true),
            (&mut item.patch, true),
            (&mut item.delete, true),
        ] {
            if let Some(op) = op {
                complete(op, path, write);
            }
        }
    }
}
