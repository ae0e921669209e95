//! Server-rendered pages in Chinese. Every form carries the session's CSRF token; every
//! page goes through the same service calls, and so the same role and scope checks, as the
//! API.

mod applications;
mod audit;
pub(crate) mod auth;
mod cadres;
mod campaigns;
mod checkpoints;
mod command;
mod demo;
mod documents;
mod filings;
mod handovers;
mod home;
mod mobilisation;
mod monitoring;
mod organisations;
mod people;
mod prevention;
mod projects;
mod resumption;
mod supplies;
mod tree;
mod users;
mod whistle;
mod workgroups;

use crate::state::AppState;
use axum::routing::{get, post};
use axum::Router;

/// The login page's path, which the session layer and the page extractor send people to.
pub use crate::shell::LOGIN_PATH;

/// Every page, by path. The pages share the shell (`crate::shell`), the form helpers
/// (`crate::forms`) and the display helpers (`crate::display`, `crate::views`); no page uses
/// another page.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::page))
        .route(LOGIN_PATH, get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/me", get(auth::me))
        .route(auth::SECOND_FACTOR_PATH, get(auth::second_factor))
        .route("/me/second-factor/begin", post(auth::second_factor_begin))
        .route("/me/sessions/{id}/end", post(auth::end_session))
        .route("/me/tokens", post(auth::create_token))
        .route("/me/tokens/{id}/revoke", post(auth::revoke_token))
        .route(
            "/me/second-factor/confirm",
            post(auth::second_factor_confirm),
        )
        .route("/me/password", post(auth::change_password))
        .route("/demo/day", post(demo::move_day))
        .route("/tree", get(tree::home))
        .route("/checkpoints", get(checkpoints::list))
        .route("/checkpoints/{id}", get(checkpoints::page))
        .route(
            "/checkpoints/{id}/passage",
            get(checkpoints::passage_form).post(checkpoints::register),
        )
        .route("/tree/search", get(tree::search))
        .route("/tree/{code}", get(tree::page))
        .route("/tree/{code}/grids", post(tree::create_grid))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{id}", get(users::page))
        .route("/users/{id}/roles", post(users::set_roles))
        .route("/users/{id}/lock", post(users::lock))
        .route("/users/{id}/unlock", post(users::unlock))
        .route(
            "/users/{id}/second-factor/reset",
            post(users::reset_second_factor),
        )
        .route("/users/{id}/password", post(users::reset_password))
        .route("/audit", get(audit::page))
        .route("/audit/chain", get(audit::chain))
        .route("/monitoring", get(monitoring::command))
        .route("/monitoring/due", get(monitoring::due))
        .route(
            "/monitoring/cases",
            get(monitoring::list).post(monitoring::create),
        )
        .route("/monitoring/cases/{id}", get(monitoring::page))
        .route(
            "/monitoring/cases/{id}/followups",
            post(monitoring::follow_up),
        )
        .route("/monitoring/cases/{id}/release", post(monitoring::release))
        .route("/monitoring/cases/{id}/resume", post(monitoring::resume))
        .route("/dashboard", get(command::dashboard))
        .route("/briefing", get(command::briefing))
        .route("/indicators", get(command::indicators))
        .route("/handovers", get(handovers::list))
        .route("/handovers/{id}", get(handovers::page))
        .route("/handovers/{id}/acknowledge", post(handovers::acknowledge))
        .route("/handovers/{id}/forward", post(handovers::forward))
        .route("/outbound", get(handovers::outbound))
        .route("/checkpoints/{id}/staff", post(checkpoints::staff))
        .route("/my-grid", get(prevention::my_grid))
        .route("/prevention", get(prevention::command))
        .route("/grids/{code}", get(prevention::grid_page))
        .route("/grids/{code}/households", post(prevention::add_household))
        .route("/grids/{code}/screen", post(prevention::screen))
        .route("/grids/{code}/report", post(prevention::file_report))
        .route("/resumption", get(resumption::rates))
        .route("/supplies", get(supplies::page))
        .route("/supplies/spring-farming", get(supplies::farming))
        .route("/supplies/spring-farming/plans", post(supplies::farm_plan))
        .route(
            "/supplies/spring-farming/plans/{id}/progress",
            post(supplies::farm_progress),
        )
        .route("/supplies/stores", post(supplies::new_store))
        .route("/supplies/stores/{id}", get(supplies::store))
        .route("/supplies/stores/{id}/movements", post(supplies::record))
        .route("/supplies/stores/{id}/requests", post(supplies::request))
        .route("/supplies/stores/{id}/needs", post(supplies::need))
        .route("/supplies/requests/{id}/allocate", post(supplies::allocate))
        .route(
            "/supplies/allocations/{id}/receive",
            post(supplies::receive),
        )
        .route("/enterprises", get(resumption::list))
        .route("/enterprises/{id}", get(resumption::page))
        .route("/enterprises/{id}/reports", post(resumption::file_report))
        .route(
            "/enterprises/{id}/visit",
            get(workgroups::visit_form).post(workgroups::record_visit),
        )
        .route("/work-groups", get(workgroups::groups))
        .route("/production-problems", get(workgroups::problems))
        .route(
            "/production-problems/{id}/resolve",
            post(workgroups::resolve),
        )
        .route("/projects", get(projects::rates))
        .route("/projects/{id}", get(projects::project))
        .route("/projects/{id}/start", post(projects::start))
        .route("/projects/{id}/progress", post(projects::progress))
        .route("/key-production", get(projects::production))
        .route("/key-plants/{id}", get(projects::plant))
        .route("/key-plants/{id}/output", post(projects::file_output))
        .route(
            "/key-plants/{id}/shipments",
            post(projects::record_shipment),
        )
        .route(
            "/enterprises/{id}/filing",
            get(filings::page).post(filings::file),
        )
        .route("/filings", get(filings::queue))
        .route("/filings/{id}/approve", post(filings::approve))
        .route("/filings/{id}/return", post(filings::return_filing))
        .route("/resumption/punctuality", get(filings::punctuality))
        .route("/mobilisation", get(mobilisation::figures))
        .route("/deployments", get(mobilisation::deployments))
        .route("/people", get(people::list).post(people::register))
        .route("/people/new", get(people::new_form))
        .route("/people/{id}", get(people::page))
        .route("/people/{id}/unmask", post(people::unmask))
        .route(
            "/people/{id}/registrations/{registration}/service",
            post(people::log_service),
        )
        .route("/people/{id}/deployments", post(people::deploy))
        .route("/deployments/{id}/end", post(people::end_deployment))
        .route("/people/{id}/return", post(people::record_return))
        .route(
            "/people/{id}/community",
            post(people::register_in_community),
        )
        .route("/people/{id}/application", post(people::submit_application))
        .route("/people/{id}/cadre", get(cadres::page).post(cadres::record))
        .route("/campaigns", get(campaigns::list).post(campaigns::create))
        .route("/campaigns/new", get(campaigns::new_form))
        .route("/campaigns/{id}", get(campaigns::page))
        .route("/campaigns/{id}/people", post(campaigns::send))
        .route("/documents", get(documents::list).post(documents::create))
        .route("/documents/new", get(documents::new_form))
        .route("/documents/{id}", get(documents::page))
        .route(
            "/organisations",
            get(organisations::list).post(organisations::create),
        )
        .route("/organisations/new", get(organisations::new_form))
        .route("/organisations/{id}", get(organisations::page))
        .route(
            "/organisations/{id}/members",
            post(organisations::add_member),
        )
        .route("/tickets", get(whistle::list).post(whistle::create))
        .route("/tickets/new", get(whistle::new_form))
        .route("/tickets/{id}", get(whistle::page))
        .route("/tickets/{id}/accept", post(whistle::accept))
        .route("/tickets/{id}/resolve", post(whistle::resolve))
        .route("/tickets/{id}/confirm", post(whistle::confirm))
        .route("/tickets/{id}/reject", post(whistle::reject))
        .route("/attachments/{id}", get(whistle::attachment))
        .route("/inbox", get(whistle::inbox))
        .route("/inbox/{id}/read", post(whistle::read))
        .route("/whistle/figures", get(whistle::figures))
        .route(
            "/whistle/departments",
            get(whistle::setup).post(whistle::create_department),
        )
        .route("/whistle/members", post(whistle::add_member))
        .route("/whistle/rules", post(whistle::set_rule))
        .route("/whistle/webhooks", post(whistle::create_webhook))
        .route("/whistle/webhooks/{id}", get(whistle::channel))
        .route("/whistle/webhooks/{id}/test", post(whistle::send_test))
        .route("/applications", get(applications::list))
        .route("/applications/{id}/approve", post(applications::approve))
        .route("/applications/{id}/decline", post(applications::decline))
}
