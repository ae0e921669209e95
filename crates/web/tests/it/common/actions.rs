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
}
