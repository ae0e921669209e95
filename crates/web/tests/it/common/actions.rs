//! Writes through the API that many areas make: one method a route, each posting a JSON
//! body as the given token to the route's path, with the record's id (or grid code) in it.

use super::{Resp, TestApp};
use serde_json::Value;

macro_rules! writes {
    ($($(#[$doc:meta])* $name:ident($arg:ident: $ty:ty) => $path:tt;)*) => {
        impl TestApp {
            $(
                $(#[$doc])*
                pub async fn $name(&self, $arg: $ty, token: &str, body: Value) -> Resp {
                    self.post(&format!($path), token, body).await
                }
            )*
        }
    };
}

writes! {
    /// Registers a passage at a checkpoint as `token`.
    register_passage(checkpoint: i64) => "/api/v1/checkpoints/{checkpoint}/passages";
    /// Files an enterprise's daily report as `token`.
    report_daily(enterprise: i64) => "/api/v1/enterprises/{enterprise}/reports";
    /// Files an enterprise's resumption filing as `token`.
    file_filing(enterprise: i64) => "/api/v1/enterprises/{enterprise}/filings";
    /// Approves a filing as `token`.
    approve_filing(filing: i64) => "/api/v1/filings/{filing}/approve";
    /// Files a grid's daily report as `token`.
    report_grid(grid: &str) => "/api/v1/grids/{grid}/reports";
    /// Records a follow-up of a monitoring case as `token`.
    follow_up(case: i64) => "/api/v1/monitoring/cases/{case}/followups";
    /// Releases a monitoring case as `token`.
    release_case(case: i64) => "/api/v1/monitoring/cases/{case}/release";
    /// Accepts a ticket as `token`.
    accept_ticket(ticket: i64) => "/api/v1/tickets/{ticket}/accept";
    /// Confirms a ticket's resolution as `token`.
    confirm_ticket(ticket: i64) => "/api/v1/tickets/{ticket}/confirm";
    /// Resolves a production problem as `token`.
    resolve_problem(problem: i64) => "/api/v1/production-problems/{problem}/resolve";
    /// Assigns to a work group as `token`.
    assign_to_group(group: i64) => "/api/v1/work-groups/{group}/assignments";
    /// Resets a user's second factor as `token`.
    reset_second_factor(user: i64) => "/api/v1/users/{user}/second-factor/reset";
    /// Reports a project's progress as `token`.
    report_progress(project: i64) => "/api/v1/projects/{project}/progress";
    /// Starts a project as `token`.
    start_project(project: i64) => "/api/v1/projects/{project}/start";
    /// Acknowledges a hand-over as `token`.
    acknowledge_handover(handover: i64) => "/api/v1/handovers/{handover}/acknowledge";
    /// Records a visit to an enterprise as `token`.
    record_visit(enterprise: i64) => "/api/v1/enterprises/{enterprise}/visits";
    /// Unmasks a screened person's particulars as `token`.
    unmask_screened(person: i64) => "/api/v1/screened-persons/{person}/unmask";
    /// Confirms the arrival of an allocation as `token`.
    receive_allocation(allocation: i64) => "/api/v1/supplies/allocations/{allocation}/receive";
    /// Unmasks a person's particulars as `token`.
    unmask_person(person: i64) => "/api/v1/people/{person}/unmask";
    /// Decides an application as `token`.
    decide_application(application: i64) => "/api/v1/applications/{application}/decision";
    /// Logs a registered member's service as `token`.
    log_service(registration: i64) => "/api/v1/registrations/{registration}/service-logs";
    /// Adds to a cadre's record as `token`.
    add_cadre_record(person: i64) => "/api/v1/people/{person}/cadre-records";
    /// Enlists a person in a campaign as `token`.
    enlist_in_campaign(campaign: i64) => "/api/v1/campaigns/{campaign}/people";
    /// Locks an account as `token`.
    lock_user(user: i64) => "/api/v1/users/{user}/lock";
    /// Resets an account's password as `token`.
    reset_password(user: i64) => "/api/v1/users/{user}/password";
    /// Reports a key plant's output as `token`.
    report_output(plant: i64) => "/api/v1/key-plants/{plant}/output";
    /// Resolves a ticket as `token`.
    resolve_ticket(ticket: i64) => "/api/v1/tickets/{ticket}/resolve";
    /// Resumes a monitoring case as `token`.
    resume_case(case: i64) => "/api/v1/monitoring/cases/{case}/resume";
    /// Puts staff on a checkpoint as `token`.
    staff_checkpoint(checkpoint: i64) => "/api/v1/checkpoints/{checkpoint}/staff";
    /// Returns a filing as `token`.
    return_filing(filing: i64) => "/api/v1/filings/{filing}/return";
}
