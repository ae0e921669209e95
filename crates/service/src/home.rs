//! The work of the day on the home page: for each part of the work the caller may do, what
//! is waiting for it today, read from the records with the app's clock and within the
//! caller's jurisdiction. Nothing is counted here: each part comes from the use case of its
//! own page (follow-ups due, hand-overs pending, the grid's reports, the checkpoints' counts,
//! the enterprises' reports, the tickets, the dashboard, the audit log), so a figure on the
//! home page is the figure its link opens.

use crate::audit::{AuditEntry, AuditQuery};
use crate::checkpoints::{CheckpointView, CountsView};
use crate::command::{CommandQuery, SectionValues};
use crate::handovers::{HandoverView, HandoversQuery};
use crate::monitoring::CaseView;
use crate::punctuality::ReportDueEntry;
use crate::whistle::{TicketView, TicketsQuery};
use crate::{Actor, App, ServiceResult};
use chrono::{Duration, NaiveDate};
use dualtrack_domain::jurisdiction::Level;
use dualtrack_domain::role::{Permission, Role};
use dualtrack_domain::time::deadline_text;

/// How many rows of a list the home page shows; the link opens the whole list.
pub const HOME_ROWS: usize = 5;

/// A list cut to the rows the home page shows, with how many there are in all.
#[derive(Debug, Clone)]
pub struct Listed<T> {
    pub total: usize,
    pub rows: Vec<T>,
}

impl<T> Listed<T> {
    fn of(mut all: Vec<T>) -> Listed<T> {
        let total = all.len();
        all.truncate(HOME_ROWS);
        Listed { total, rows: all }
    }
}

/// A grid worker's own grid: whether yesterday's and today's reports are in.
#[derive(Debug, Clone)]
pub struct GridDay {
    pub code: String,
    pub name: String,
    pub yesterday: NaiveDate,
    pub yesterday_filed: bool,
    pub today_filed: bool,
}

/// A wider place's grid reports for yesterday (due today).
#[derive(Debug, Clone)]
pub struct GridReportsDue {
    pub date: NaiveDate,
    pub expected: i64,
    pub missing: i64,
    pub late: i64,
    /// When they are due, as said today: `今天 12:00 前`.
    pub deadline: String,
}

/// A checkpoint the caller registers passages at, with today's counts.
#[derive(Debug, Clone)]
pub struct CheckpointToday {
    pub checkpoint: CheckpointView,
    pub counts: CountsView,
}

/// The enterprises' daily operating reports: today's still to come and yesterday's missing.
#[derive(Debug, Clone)]
pub struct EnterpriseReportsDue {
    pub today: NaiveDate,
    /// When today's are due, as said today: `今天 17:00 前`.
    pub today_deadline: String,
    pub today_expected: i64,
    pub today_missing: Listed<ReportDueEntry>,
    pub yesterday: NaiveDate,
    pub yesterday_missing: Listed<ReportDueEntry>,
}

/// What waits for the caller today; a part is `None` when the caller does not do that work.
#[derive(Debug, Clone, Default)]
pub struct DayWork {
    pub grid: Option<GridDay>,
    pub grid_reports: Option<GridReportsDue>,
    pub followups: Option<Listed<CaseView>>,
    pub handovers: Option<Listed<HandoverView>>,
    pub checkpoints: Option<Vec<CheckpointToday>>,
    pub enterprise_reports: Option<EnterpriseReportsDue>,
    /// Tickets calling the caller's department, not yet accepted or not yet resolved.
    pub tickets_waiting: Option<Listed<TicketView>>,
    /// Tickets the caller raised, resolved and waiting for its confirmation.
    pub tickets_to_confirm: Option<Listed<TicketView>>,
    /// 请战书 waiting for a decision.
    pub applications_pending: Option<usize>,
    /// The headline figures of the dashboard, today.
    pub dashboard: Option<Vec<SectionValues>>,
    pub audit: Option<Vec<AuditEntry>>,
}

impl App {
    /// The caller's work of the day (see the module).
    pub async fn day_work(&self, actor: &Actor) -> ServiceResult<DayWork> {
        let today = self.today();
        let yesterday = today - Duration::days(1);
        let mut w = DayWork::default();
        let on_a_grid = actor.scope.code().is_some_and(|c| c.level() == Level::Grid);
        if actor.can(Permission::WriteGridWork) && on_a_grid {
            w.grid = Some(self.grid_day(actor, today, yesterday).await?);
        } else if actor.can(Permission::WriteGridWork) {
            w.grid_reports = Some(self.grid_reports_due(actor, yesterday).await?);
        }
        if actor.can(Permission::ManageMonitoring) {
            w.followups = Some(Listed::of(self.due_cases(actor, 100).await?));
        }
        if actor.can(Permission::WriteGridWork) {
            let q = HandoversQuery {
                which: Some("pending".into()),
                place: None,
                limit: Some(100),
                offset: None,
            };
            w.handovers = Some(Listed::of(self.handovers(actor, &q).await?));
        }
        if actor.can(Permission::RegisterPassages) {
            w.checkpoints = Some(self.checkpoints_today(actor, today).await?);
        }
        if actor.can(Permission::FileReports) {
            w.enterprise_reports = Some(self.enterprise_reports_due(actor, today).await?);
        }
        if actor.can(Permission::RespondTickets) {
            w.tickets_waiting = Some(self.tickets_waiting(actor).await?);
        }
        if actor.can(Permission::RaiseTickets) {
            let q = TicketsQuery {
                status: Some("resolved".into()),
                mine: Some(true),
                ..Default::default()
            };
            w.tickets_to_confirm = Some(Listed::of(self.tickets(actor, &q).await?));
        }
        if actor.can(Permission::ManageMobilisation) {
            let pending = self
                .list_applications(actor, Some("submitted"), None)
                .await?;
            w.applications_pending = Some(pending.len());
        }
        if actor.has(Role::Leader) {
            let d = self.dashboard(actor, &CommandQuery::default()).await?;
            w.dashboard = Some(d.sections);
        }
        if actor.can(Permission::ReadAudit) {
            let mut entries = self.list_audit(actor, &AuditQuery::default()).await?;
            entries.truncate(8);
            w.audit = Some(entries);
        }
        Ok(w)
    }

    async fn grid_day(
        &self,
        actor: &Actor,
        today: NaiveDate,
        yesterday: NaiveDate,
    ) -> ServiceResult<GridDay> {
        let code = actor.home_code().unwrap_or_default();
        let g = self.get_grid(actor, &code).await?;
        let y = self
            .grid_report_draft(actor, &code, &yesterday.to_string())
            .await?;
        let t = self
            .grid_report_draft(actor, &code, &today.to_string())
            .await?;
        Ok(GridDay {
            code: g.grid.code,
            name: g.grid.name,
            yesterday,
            // A report counts from when it was filed (a demo holds its whole story).
            yesterday_filed: y.filed.is_some_and(|f| f.filed_at <= self.now()),
            today_filed: t.filed.is_some_and(|f| f.filed_at <= self.now()),
        })
    }

    async fn grid_reports_due(
        &self,
        actor: &Actor,
        yesterday: NaiveDate,
    ) -> ServiceResult<GridReportsDue> {
        let q = crate::prevention::RollupQuery {
            date: yesterday.to_string(),
            code: None,
        };
        let r = self.grid_report_rollup(actor, &q).await?;
        Ok(GridReportsDue {
            date: r.date,
            expected: r.total.expected,
            missing: r.total.missing,
            late: r.total.late,
            deadline: deadline_text(r.deadline, self.today()),
        })
    }

    async fn checkpoints_today(
        &self,
        actor: &Actor,
        today: NaiveDate,
    ) -> ServiceResult<Vec<CheckpointToday>> {
        let q = crate::checkpoints::CountsQuery {
            from: Some(today.to_string()),
            to: Some(today.to_string()),
        };
        let counts = self.checkpoint_counts(actor, &q).await?;
        Ok(self
            .checkpoints(actor)
            .await?
            .into_iter()
            .filter(|c| c.active_from <= today && c.active_until.is_none_or(|u| u >= today))
            .map(|c| CheckpointToday {
                counts: counts
                    .by_day
                    .iter()
                    .find(|d| d.checkpoint_id == c.id)
                    .map(|d| d.counts.clone())
                    .unwrap_or_default(),
                checkpoint: c,
            })
            .collect())
    }

    async fn enterprise_reports_due(
        &self,
        actor: &Actor,
        today: NaiveDate,
    ) -> ServiceResult<EnterpriseReportsDue> {
        let yesterday = today - Duration::days(1);
        let t = self.report_punctuality(actor, &today.to_string()).await?;
        let y = self
            .report_punctuality(actor, &yesterday.to_string())
            .await?;
        Ok(EnterpriseReportsDue {
            today,
            today_deadline: deadline_text(t.deadline, today),
            today_expected: t.total.expected,
            today_missing: Listed::of(t.missing),
            yesterday,
            yesterday_missing: Listed::of(y.missing),
        })
    }

    async fn tickets_waiting(&self, actor: &Actor) -> ServiceResult<Listed<TicketView>> {
        let mut all = Vec::new();
        for status in ["open", "working"] {
            let q = TicketsQuery {
                status: Some(status.into()),
                ..Default::default()
            };
            all.extend(self.tickets(actor, &q).await?);
        }
        all.sort_by_key(|t| (!t.overdue, t.accept_due_at));
        Ok(Listed::of(all))
    }
}
