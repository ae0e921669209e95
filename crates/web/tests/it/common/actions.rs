//! Writes through the API that many areas make: one method a route, posting as a token.

use super::{Resp, TestApp};
use serde_json::Value;

impl TestApp {
    /// Registers a passage at a checkpoint as `token`.
    pub async fn register_passage(&self, checkpoint: i64, token: &str, body: Value) -> Resp {
        self.post(
            &format!("/api/v1/checkpoints/{checkpoint}/passages"),
            token,
            body,
        )
        .await
    }

    /// Files an enterprise's daily report as `token`.
    pub async fn report_daily(&self, enterprise: i64, token: &str, body: Value) -> Resp {
        self.post(
            &format!("/api/v1/enterprises/{enterprise}/reports"),
            token,
            body,
        )
        .await
    }

    /// Files an enterprise's resumption filing as `token`.
    pub async fn file_filing(&self, enterprise: i64, token: &str, body: Value) -> Resp {
        self.post(
            &format!("/api/v1/enterprises/{enterprise}/filings"),
            token,
            body,
        )
        .await
    }

    /// Approves a filing as `token`.
    pub async fn approve_filing(&self, filing: i64, token: &str, body: Value) -> Resp {
        self.post(&format!("/api/v1/filings/{filing}/approve"), token, body)
            .await
    }

    /// Files a grid's daily report as `token`.
    pub async fn report_grid(&self, grid: &str, token: &str, body: Value) -> Resp {
        self.post(&format!("/api/v1/grids/{grid}/reports"), token, body)
            .await
    }

    /// Records a follow-up of a monitoring case as `token`.
    pub async fn follow_up(&self, case: i64, token: &str, body: Value) -> Resp {
        self.post(
            &format!("/api/v1/monitoring/cases/{case}/followups"),
            token,
            body,
        )
        .await
    }

    /// Releases a monitoring case as `token`.
    pub async fn release_case(&self, case: i64, token: &str, body: Value) -> Resp {
        self.post(
            &format!("/api/v1/monitoring/cases/{case}/release"),
            token,
            body,
        )
        .await
    }

    /// Accepts a ticket as `token`.
    pub async fn accept_ticket(&self, ticket: i64, token: &str, body: Value) -> Resp {
        self.post(&format!("/api/v1/tickets/{ticket}/accept"), token, body)
            .await
    }

    /// Confirms a ticket's resolution as `token`.
    pub async fn confirm_ticket(&self, ticket: i64, token: &str, body: Value) -> Resp {
        self.post(&format!("/api/v1/tickets/{ticket}/confirm"), token, body)
            .await
    }

    /// Resolves a production problem as `token`.
    pub async fn resolve_problem(&self, problem: i64, token: &str, body: Value) -> Resp {
        self.post(
            &format!("/api/v1/production-problems/{problem}/resolve"),
            token,
            body,
        )
        .await
    }

    /// Assigns to a work group as `token`.
    pub async fn assign_to_group(&self, group: i64, token: &str, body: Value) -> Resp {
        self.post(
            &format!("/api/v1/work-groups/{group}/assignments"),
            token,
            body,
        )
        .await
    }

    /// Resets a user's second factor as `token`.
    pub async fn reset_second_factor(&self, user: i64, token: &str, body: Value) -> Resp {
        self.post(
            &format!("/api/v1/users/{user}/second-factor/reset"),
            token,
            body,
        )
        .await
    }

    /// Reports a project's progress as `token`.
    pub async fn report_progress(&self, project: i64, token: &str, body: Value) -> Resp {
        self.post(&format!("/api/v1/projects/{project}/progress"), token, body)
            .await
    }

    /// Starts a project as `token`.
    pub async fn start_project(&self, project: i64, token: &str, body: Value) -> Resp {
        self.post(&format!("/api/v1/projects/{project}/start"), token, body)
            .await
    }

    /// Acknowledges a hand-over as `token`.
    pub async fn acknowledge_handover(&self, handover: i64, token: &str, body: Value) -> Resp {
        self.post(
            &format!("/api/v1/handovers/{handover}/acknowledge"),
            token,
            body,
        )
        .await
    }
    /// Records a visit to an enterprise as `token`.
    pub async fn record_visit(&self, enterprise: i64, token: &str, body: Value) -> Resp {
        self.post(
            &format!("/api/v1/enterprises/{enterprise}/visits"),
            token,
            body,
        )
        .await
    }

    /// Unmasks a screened person's particulars as `token`.
    pub async fn unmask_screened(&self, person: i64, token: &str, body: Value) -> Resp {
        self.post(
            &format!("/api/v1/screened-persons/{person}/unmask"),
            token,
            body,
        )
        .await
    }

    /// Confirms the arrival of an allocation as `token`.
    pub async fn receive_allocation(&self, allocation: i64, token: &str, body: Value) -> Resp {
        self.post(
            &format!("/api/v1/supplies/allocations/{allocation}/receive"),
            token,
            body,
        )
        .await
    }

    /// Unmasks a person's particulars as `token`.
    pub async fn unmask_person(&self, person: i64, token: &str, body: Value) -> Resp {
        self.post(&format!("/api/v1/people/{person}/unmask"), token, body)
            .await
    }

    /// Decides an application as `token`.
    pub async fn decide_application(&self, application: i64, token: &str, body: Value) -> Resp {
        self.post(
            &format!("/api/v1/applications/{application}/decision"),
            token,
            body,
        )
        .await
    }

    /// Logs a registered member's service as `token`.
    pub async fn log_service(&self, registration: i64, token: &str, body: Value) -> Resp {
        self.post(
            &format!("/api/v1/registrations/{registration}/service-logs"),
            token,
            body,
        )
        .await
    }

    /// Adds to a cadre's record as `token`.
    pub async fn add_cadre_record(&self, person: i64, token: &str, body: Value) -> Resp {
        self.post(
            &format!("/api/v1/people/{person}/cadre-records"),
            token,
            body,
        )
        .await
    }

    /// Enlists a person in a campaign as `token`.
    pub async fn enlist_in_campaign(&self, campaign: i64, token: &str, body: Value) -> Resp {
        self.post(&format!("/api/v1/campaigns/{campaign}/people"), token, body)
            .await
    }

    /// Locks an account as `token`.
    pub async fn lock_user(&self, user: i64, token: &str, body: Value) -> Resp {
        self.post(&format!("/api/v1/users/{user}/lock"), token, body)
            .await
    }

    /// Resets an account's password as `token`.
    pub async fn reset_password(&self, user: i64, token: &str, body: Value) -> Resp {
        self.post(&format!("/api/v1/users/{user}/password"), token, body)
            .await
    }

    /// Reports a key plant's output as `token`.
    pub async fn report_output(&self, plant: i64, token: &str, body: Value) -> Resp {
        self.post(&format!("/api/v1/key-plants/{plant}/output"), token, body)
            .await
    }

    /// Resolves a ticket as `token`.
    pub async fn resolve_ticket(&self, ticket: i64, token: &str, body: Value) -> Resp {
        self.post(&format!("/api/v1/tickets/{ticket}/resolve"), token, body)
            .await
    }

    /// Resumes a monitoring case as `token`.
    pub async fn resume_case(&self, case: i64, token: &str, body: Value) -> Resp {
        self.post(
            &format!("/api/v1/monitoring/cases/{case}/resume"),
            token,
            body,
        )
        .await
    }

    /// Puts staff on a checkpoint as `token`.
    pub async fn staff_checkpoint(&self, checkpoint: i64, token: &str, body: Value) -> Resp {
        self.post(
            &format!("/api/v1/checkpoints/{checkpoint}/staff"),
            token,
            body,
        )
        .await
    }

    /// Returns a filing as `token`.
    pub async fn return_filing(&self, filing: i64, token: &str, body: Value) -> Resp {
        self.post(&format!("/api/v1/filings/{filing}/return"), token, body)
            .await
    }
}
