//! The use cases that the web pages, the JSON API and the command line all call.
//!
//! Each one goes the same way: authorise (role, then jurisdiction scope) → validate →
//! write, with its audit row, in one transaction → return typed results. Permission checks
//! live here as well as in the web extractors, so no entry point can go round them.

pub mod actor;
pub mod api_tokens;
pub mod audit;
pub mod audit_archive;
pub mod audit_chain;
pub mod auth;
pub mod briefing;
pub mod campaigns;
pub mod checkpoints;
pub mod clock;
pub mod command;
pub mod compliance;
pub mod crypto;
pub mod demo;
pub mod error;
pub mod export_file;
pub mod export_resumption;
pub mod filings;
pub mod handovers;
pub mod home;
pub mod idempotency;
mod links;
pub use mobilisation::import;
pub mod import_resumption;
pub mod input;
pub mod login_throttle;
pub mod mobilisation;
pub mod monitoring;
pub mod passwords;
pub mod places;
pub mod prevention;
pub mod projects;
pub mod punctuality;
mod reading;
pub mod report_checks;
pub mod resumption;
pub mod second_factor;
pub mod spreadsheet;
pub mod supplies;
pub mod syslog;
pub mod tree;
pub mod users;
pub mod whistle;
pub mod workgroups;

pub use actor::Actor;
pub use error::{ServiceError, ServiceResult};

use dualtrack_domain::password::PasswordPolicy;
use dualtrack_store::Db;

/// The security settings the use cases need.
#[derive(Debug, Clone)]
pub struct Security {
    pub session_idle: chrono::Duration,
    pub session_absolute: chrono::Duration,
    /// Failed logins for one user name from one address before that address is refused
    /// for the name for a while (and before attempts on the name from elsewhere are slowed).
    pub lockout_threshold: i64,
    /// The longest such refusal; failures older than this are forgotten.
    pub lockout_duration: chrono::Duration,
    /// The wait added to each attempt on a much-tried name, per failure beyond the threshold
    /// (at most 5 seconds).
    pub login_delay_step: std::time::Duration,
    pub password_policy: PasswordPolicy,
    /// Which accounts must log in with a second factor.
    pub second_factor: second_factor::Policy,
    /// One session per account: a login ends the account's other sessions.
    pub single_session: bool,
    /// How new passwords are hashed (hashes of either scheme are accepted at login).
    pub password_scheme: passwords::PasswordScheme,
}

impl Default for Security {
    fn default() -> Self {
        Security {
            session_idle: chrono::Duration::minutes(30),
            session_absolute: chrono::Duration::hours(12),
            lockout_threshold: 5,
            lockout_duration: chrono::Duration::minutes(30),
            login_delay_step: std::time::Duration::from_millis(500),
            password_policy: PasswordPolicy::default(),
            second_factor: second_factor::Policy::default(),
            single_session: false,
            password_scheme: passwords::PasswordScheme::default(),
        }
    }
}

/// The hour (China Standard Time) of the day after a reporting day by which its daily
/// report is due, unless set otherwise.
pub const DEFAULT_REPORT_DUE_HOUR: u32 = 12;

/// The database and settings every use case runs against.
#[derive(Clone, Debug)]
pub struct App {
    /// The primary: every write, and every read but those of [`App::on_reader`] (in a copy
    /// made by it for reading, the standby's pool; see [`App::writer`]).
    pub db: Db,
    /// The standby for reads that tolerate lag (none: they go to the primary too).
    pub replica: Option<dualtrack_store::replica::Replica>,
    /// In a copy made for reading on the standby, the primary, where its writes go.
    primary: Option<Db>,
    pub security: Security,
    /// A day's operating report is due the next day at this hour, China Standard Time (0–23).
    pub report_due_hour: u32,
    /// A grid's daily report is due the next day at this hour, China Standard Time (0–23).
    pub grid_report_due_hour: u32,
    /// A monitoring case is planned to end this many days after the last exposure.
    pub monitoring_days: u32,
    /// A monitoring case's next follow-up is due this many hours after the last one.
    pub followup_interval_hours: u32,
    /// A hand-over unacknowledged this many hours after it was made is overdue.
    pub handover_overdue_hours: u32,
    /// Personal data of a released case is erased this many days after its release.
    pub retention_days: u32,
    /// Where the time-dependent use cases read "now" from (settable in tests).
    pub clock: clock::Clock,
    /// Whistle and report-back: deadlines by kind, attachment size, webhook attempts.
    pub whistle: whistle::WhistleSettings,
    /// Rows (or pairs of stock) a background job writes per transaction.
    pub job_batch: usize,
    /// Rows an export reads from the database per batch.
    pub export_batch: usize,
    /// A record made on a phone with no signal (its outbox) may carry its phone's time as
    /// its event time at most this many hours back.
    pub phone_time_max_hours: u32,
    /// Failed logins counted by name and address (shared by the clones of one server).
    pub login_throttle: std::sync::Arc<login_throttle::LoginThrottle>,
    /// The key of the audit log's hash chain (none: the log is not sealed).
    pub audit_key: Option<std::sync::Arc<audit_chain::AuditKey>>,
    /// Days audit rows stay in the database before they are archived (at least 180).
    pub audit_retention_days: u32,
    /// Where sealed audit rows are forwarded (none: not forwarded).
    pub syslog: Option<std::sync::Arc<syslog::Forwarder>>,
    /// The index of place names for search (shared by the clones of one server).
    pub places: std::sync::Arc<places::PlaceCache>,
    /// The encryption of personal fields (shared by the clones of one server; off unless
    /// keys are configured).
    pub crypto: std::sync::Arc<crypto::FieldCrypto>,
}

/// Rows a background job writes per transaction unless set otherwise: a few milliseconds of
/// the write lock on SQLite.
pub const DEFAULT_JOB_BATCH: usize = 256;

impl App {
    pub fn new(db: Db, security: Security) -> App {
        App {
            db,
            replica: None,
            primary: None,
            security,
            report_due_hour: DEFAULT_REPORT_DUE_HOUR,
            grid_report_due_hour: prevention::DEFAULT_GRID_REPORT_DUE_HOUR,
            monitoring_days: dualtrack_domain::monitoring::DEFAULT_MONITORING_DAYS,
            followup_interval_hours: dualtrack_domain::monitoring::DEFAULT_FOLLOWUP_INTERVAL_HOURS,
            handover_overdue_hours: dualtrack_domain::checkpoints::DEFAULT_HANDOVER_OVERDUE_HOURS,
            retention_days: dualtrack_domain::checkpoints::DEFAULT_RETENTION_DAYS,
            clock: clock::Clock::default(),
            whistle: whistle::WhistleSettings::default(),
            job_batch: DEFAULT_JOB_BATCH,
            export_batch: export_file::DEFAULT_EXPORT_BATCH,
            phone_time_max_hours: input::DEFAULT_PHONE_TIME_MAX_HOURS,
            login_throttle: Default::default(),
            audit_key: None,
            audit_retention_days: audit_archive::MIN_RETENTION_DAYS,
            syslog: None,
            places: Default::default(),
            crypto: Default::default(),
        }
    }

    /// Encrypts personal fields under these keys.
    pub fn with_crypto(mut self, crypto: crypto::FieldCrypto) -> App {
        self.crypto = std::sync::Arc::new(crypto);
        self
    }

    /// Sets the rows a background job writes per transaction (at least one).
    pub fn with_job_batch(mut self, rows: usize) -> App {
        self.job_batch = rows.max(1);
        self
    }

    /// Sets how many hours back a phone's time may date a record sent from its outbox (1–720).
    pub fn with_phone_time_max_hours(mut self, hours: u32) -> App {
        self.phone_time_max_hours = hours.clamp(1, 720);
        self
    }

    /// Sets the hours a receiving place has to acknowledge a hand-over (1–72).
    pub fn with_handover_overdue_hours(mut self, hours: u32) -> App {
        self.handover_overdue_hours = hours.clamp(1, 72);
        self
    }

    /// Sets the days personal data of a released case is kept (1–3650).
    pub fn with_retention_days(mut self, days: u32) -> App {
        self.retention_days = days.clamp(1, 3650);
        self
    }

    /// Sets the hour of the next day by which a day's report is due (capped at 23).
    pub fn with_report_due_hour(mut self, hour: u32) -> App {
        self.report_due_hour = hour.min(23);
        self
    }

    /// Sets the hour of the next day by which a grid's daily report is due (capped at 23).
    pub fn with_grid_report_due_hour(mut self, hour: u32) -> App {
        self.grid_report_due_hour = hour.min(23);
        self
    }

    /// Sets the days of monitoring after the last exposure (1–60).
    pub fn with_monitoring_days(mut self, days: u32) -> App {
        self.monitoring_days = days.clamp(1, 60);
        self
    }

    /// Sets the whistle's deadlines, attachment size (capped) and webhook attempts.
    pub fn with_whistle(mut self, mut w: whistle::WhistleSettings) -> App {
        w.max_attachment_bytes = w
            .max_attachment_bytes
            .clamp(1024, whistle::ATTACHMENT_CEILING);
        w.webhook_max_attempts = w.webhook_max_attempts.clamp(1, 50);
        self.whistle = w;
        self
    }

    /// Sets the hours between follow-ups of a monitoring case (1–24).
    pub fn with_followup_interval_hours(mut self, hours: u32) -> App {
        self.followup_interval_hours = hours.clamp(1, 24);
        self
    }
}

/// The offset of a page of `size` rows: pages count from 1 (0 and below are the first), and
/// a page far beyond the end is an offset past every row, not an overflow.
pub fn page_offset(page: i64, size: i64) -> i64 {
    page.max(1).saturating_sub(1).saturating_mul(size.max(0))
}

#[cfg(test)]
mod page_tests {
    #[test]
    fn any_page_number_is_an_offset() {
        assert_eq!(super::page_offset(1, 50), 0);
        assert_eq!(super::page_offset(3, 50), 100);
        assert_eq!(super::page_offset(0, 50), 0);
        assert_eq!(super::page_offset(i64::MIN, 50), 0);
        assert_eq!(super::page_offset(i64::MAX, 50), i64::MAX);
    }
}
