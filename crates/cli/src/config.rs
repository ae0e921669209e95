//! Settings: defaults, then a TOML file (`--config`), then `DUALTRACK_*` environment
//! variables, then command-line flags. The database URL may hold a password: it is never
//! printed or logged (see the `Debug` impl).

use anyhow::Context;
use dualtrack_domain::password::PasswordPolicy;
use dualtrack_service::passwords::{self, PasswordScheme};
use dualtrack_service::Security;
use dualtrack_web::WebConfig;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub db: String,
    pub listen: String,
    pub log: String,
    pub body_limit_bytes: usize,
    /// Cookies with `Secure`. Unset: on, except for `serve --demo` listening on loopback.
    pub secure_cookies: Option<bool>,
    /// A bearer token for metrics scrapers on `/metrics` (unset: only the sessions of system
    /// administrators and auditors may read them). Never printed.
    pub metrics_token: Option<String>,
    /// The key file of the audit log's hash chain (unset: beside a SQLite database file,
    /// made on first start; none on PostgreSQL, where every instance needs the same file).
    pub audit_key_file: Option<std::path::PathBuf>,
    pub session_idle_minutes: i64,
    pub session_absolute_hours: i64,
    pub lockout_threshold: i64,
    pub lockout_minutes: i64,
    pub password_min_length: usize,
    pub password_min_classes: usize,
    /// How many previous passwords of an account may not be used again (0: none).
    pub password_history: usize,
    /// Days after which a password must be changed (0: never).
    pub password_max_age_days: u32,
    /// A password set by an administrator is changed at the next login.
    pub password_change_when_set_by_admin: bool,
    /// Who must log in with a second factor: "privileged" (the three administrators and the
    /// roles that may see personal data in full), "all" or "optional". Unset: "privileged",
    /// and "optional" on `serve --demo`.
    pub second_factor: Option<dualtrack_service::second_factor::Policy>,
    /// One session per account: a login ends the account's other sessions.
    pub single_session: bool,
    /// `[resumption]`: settings of the resumption track.
    pub resumption: ResumptionSettings,
    /// `[prevention]`: settings of the prevention track.
    pub prevention: PreventionSettings,
    /// `[whistle]`: deadlines of whistle tickets by kind, attachments, webhooks, scheduler.
    pub whistle: WhistleConfig,
    /// `[server]`: connections, admission bounds, deadlines and shutdown.
    pub server: ServerSettings,
    /// `[audit]`: retention and archive of the audit log, forwarding to syslog.
    pub audit: AuditSettings,
    /// `[offline]`: what a phone keeps with no signal, and for how long.
    pub offline: OfflineSettings,
    /// `[database]`: the standby that serves the reads which tolerate lag.
    pub database: DatabaseSettings,
    /// `[security]`: how passwords are hashed.
    pub security: SecuritySettings,
    /// `[crypto]`: the data keys personal fields are encrypted under.
    pub crypto: CryptoSettings,
}

/// Settings of phones used with no signal (`[offline]` in the file, `DUALTRACK_OFFLINE__*`
/// in the environment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OfflineSettings {
    /// Hours a phone keeps work lists and the lines of records sent before deleting them.
    pub keep_hours: u32,
}

impl Default for OfflineSettings {
    fn default() -> Self {
        OfflineSettings {
            keep_hours: dualtrack_web::offline::DEFAULT_KEEP_HOURS,
        }
    }
}

/// Settings of the database beyond its URL (`[database]` in the file, `DUALTRACK_DATABASE__*`
/// in the environment).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// A PostgreSQL hot standby for the reads that tolerate a second of lag (the command
    /// view, briefing, exports). Unset: every read goes to `db`. May hold a password: never
    /// printed.
    pub replica_url: Option<String>,
    /// Lag of the standby, in milliseconds, past which those reads go to the primary.
    pub replica_max_lag_ms: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        DatabaseSettings {
            replica_url: None,
            replica_max_lag_ms: dualtrack_store::replica::DEFAULT_MAX_LAG.as_millis() as u64,
        }
    }
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field(
                "replica_url",
                &self.replica_url.as_deref().map(dualtrack_store::redact_url),
            )
            .field("replica_max_lag_ms", &self.replica_max_lag_ms)
            .finish()
    }
}

impl DatabaseSettings {
    fn check(&self, db: &str) -> anyhow::Result<()> {
        let Some(url) = self.replica_url.as_deref().filter(|u| !u.trim().is_empty()) else {
            return Ok(());
        };
        use dualtrack_store::Engine;
        if Engine::from_url(db).ok() != Some(Engine::Postgres) {
            anyhow::bail!(
                "配置项 database.replica_url 仅用于 PostgreSQL：当前数据库 db 不是 PostgreSQL（SQLite 没有只读副本，请删去此项）"
            );
        }
        if Engine::from_url(url).ok() != Some(Engine::Postgres) {
            anyhow::bail!(
                "配置项 database.replica_url 应为 postgres://… 形式的备库地址，当前为“{}”",
                dualtrack_store::redact_url(url)
            );
        }
        if !(100..=600_000).contains(&self.replica_max_lag_ms) {
            anyhow::bail!(
                "配置项 database.replica_max_lag_ms 应为 100 到 600000（备库落后主库超过几毫秒即改读主库），当前为 {}",
                self.replica_max_lag_ms
            );
        }
        Ok(())
    }

    /// The standby's pool, if one is configured.
    pub fn replica(&self) -> anyhow::Result<Option<dualtrack_store::replica::Replica>> {
        let Some(url) = self.replica_url.as_deref().filter(|u| !u.trim().is_empty()) else {
            return Ok(None);
        };
        Ok(Some(dualtrack_store::replica::Replica::open(
            url,
            std::time::Duration::from_millis(self.replica_max_lag_ms),
        )?))
    }
}

/// Settings of password hashing (`[security]` in the file, `DUALTRACK_SECURITY__*` in the
/// environment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecuritySettings {
    /// "argon2id" or "pbkdf2-sm3" (PBKDF2-HMAC-SM3, where a policy asks for 国密).
    pub password_hash: String,
    /// Iterations of PBKDF2-HMAC-SM3.
    pub pbkdf2_iterations: u32,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        SecuritySettings {
            password_hash: "argon2id".into(),
            pbkdf2_iterations: passwords::DEFAULT_PBKDF2_ITERATIONS,
        }
    }
}

impl OfflineSettings {
    fn check(&self) -> anyhow::Result<()> {
        if !(1..=168).contains(&self.keep_hours) {
            anyhow::bail!(
                "配置项 offline.keep_hours 应为 1 到 168（手机上的工作清单与已发送记录保存几小时），当前为 {}",
                self.keep_hours
            );
        }
        Ok(())
    }
}

impl SecuritySettings {
    /// The scheme new passwords are hashed with.
    pub fn scheme(&self) -> anyhow::Result<PasswordScheme> {
        let min = passwords::MIN_PBKDF2_ITERATIONS;
        if !(min..=10_000_000).contains(&self.pbkdf2_iterations) {
            anyhow::bail!(
                "配置项 security.pbkdf2_iterations 应为 {min} 到 10000000，当前为 {}",
                self.pbkdf2_iterations
            );
        }
        PasswordScheme::parse(&self.password_hash, self.pbkdf2_iterations).ok_or_else(|| {
            anyhow::anyhow!(
                "配置项 security.password_hash 应为 argon2id 或 pbkdf2-sm3，当前为“{}”",
                self.password_hash
            )
        })
    }
}

/// Settings of the encryption of personal data (`[crypto]` in the file). The keys may come
/// instead from `DUALTRACK_DATA_KEY` (the key file's text), which wins over the file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CryptoSettings {
    /// The key file (`bidx:<hex>` and `k1:<hex>` lines; the last key encrypts). Unset and
    /// no `DUALTRACK_DATA_KEY`: personal data is stored unencrypted (a warning at every
    /// start and on the auditor's page), except on `serve --demo`, which makes a key file
    /// beside its database.
    pub key_file: Option<std::path::PathBuf>,
}

/// Settings of the audit log (`[audit]` in the file, `DUALTRACK_AUDIT__*` in the
/// environment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditSettings {
    /// Days audit rows stay in the database before they are archived (at least 180).
    pub retention_days: u32,
    /// Where archive files are written (unset: beside a SQLite database file; on
    /// PostgreSQL nothing is archived unless it is set).
    pub archive_dir: Option<std::path::PathBuf>,
    /// A syslog server ("host:port") sealed audit rows are forwarded to over TCP.
    pub syslog: Option<String>,
}

impl Default for AuditSettings {
    fn default() -> Self {
        AuditSettings {
            retention_days: dualtrack_service::audit_archive::MIN_RETENTION_DAYS,
            archive_dir: None,
            syslog: None,
        }
    }
}

impl AuditSettings {
    fn check(&self) -> anyhow::Result<()> {
        let min = dualtrack_service::audit_archive::MIN_RETENTION_DAYS;
        if !(min..=36_500).contains(&self.retention_days) {
            anyhow::bail!(
                "配置项 audit.retention_days 应为 {min} 到 36500（审计记录在库中至少保存 {min} 天），当前为 {}",
                self.retention_days
            );
        }
        if let Some(s) = self.syslog.as_deref().filter(|s| !s.is_empty()) {
            let ok = s
                .rsplit_once(':')
                .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0));
            if !ok {
                anyhow::bail!("配置项 audit.syslog 应为 主机:端口，如 10.0.0.5:514，当前为“{s}”");
            }
        }
        Ok(())
    }
}

/// Settings of the server under load (`[server]` in the file, `DUALTRACK_SERVER__*` in the
/// environment). A count of 0 is chosen for the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Connections served at once (0: from the open-files limit).
    pub max_connections: usize,
    /// Seconds a client has to send a request's head; also the longest idle keep-alive.
    pub header_timeout_seconds: u64,
    /// Seconds a request's body may send nothing before it is given up.
    pub body_timeout_seconds: u64,
    /// Seconds a request may run once started.
    pub request_timeout_seconds: u64,
    /// Milliseconds a request may wait for its turn before it is refused (503).
    pub queue_wait_ms: u64,
    pub reads_in_flight: usize,
    pub reads_queued: usize,
    pub writes_in_flight: usize,
    pub writes_queued: usize,
    /// Requests one session or token may have at once (beyond: 429).
    pub per_client_in_flight: usize,
    /// Seconds requests in progress have to finish when the server stops.
    pub shutdown_grace_seconds: u64,
    /// HTTPS: the certificate chain (PEM); with `tls_key`, the server speaks TLS itself.
    pub tls_cert: Option<std::path::PathBuf>,
    /// HTTPS: the certificate's private key (PEM).
    pub tls_key: Option<std::path::PathBuf>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        let a = dualtrack_web::admission::AdmissionConfig::default();
        let c = dualtrack_web::server::ServerConfig::default();
        ServerSettings {
            max_connections: c.max_connections,
            header_timeout_seconds: c.header_timeout.as_secs(),
            body_timeout_seconds: a.body_timeout.as_secs(),
            request_timeout_seconds: a.request_timeout.as_secs(),
            queue_wait_ms: a.queue_wait.as_millis() as u64,
            reads_in_flight: a.reads_in_flight,
            reads_queued: a.reads_queued,
            writes_in_flight: a.writes_in_flight,
            writes_queued: a.writes_queued,
            per_client_in_flight: a.per_client,
            shutdown_grace_seconds: c.shutdown_grace.as_secs(),
            tls_cert: None,
            tls_key: None,
        }
    }
}

impl ServerSettings {
    /// Whether the server speaks HTTPS itself.
    pub fn tls_on(&self) -> bool {
        self.tls_cert.is_some() && self.tls_key.is_some()
    }

    /// The certificate and key read from their files (none: plain HTTP); an error names the
    /// setting at fault.
    pub fn tls(&self) -> anyhow::Result<Option<dualtrack_web::tls::TlsConfig>> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => dualtrack_web::tls::load(cert, key)
                .map(Some)
                .map_err(anyhow::Error::msg),
            _ => Ok(None),
        }
    }

    fn check(&self) -> anyhow::Result<()> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(_), None) => anyhow::bail!(
                "配置项 server.tls_key 未设置：设了证书 server.tls_cert 也须设其私钥文件"
            ),
            (None, Some(_)) => anyhow::bail!(
                "配置项 server.tls_cert 未设置：设了私钥 server.tls_key 也须设证书文件"
            ),
            _ => {}
        }
        for (name, v, lo, hi) in [
            (
                "header_timeout_seconds",
                self.header_timeout_seconds,
                1,
                600,
            ),
            ("body_timeout_seconds", self.body_timeout_seconds, 1, 3600),
            (
                "request_timeout_seconds",
                self.request_timeout_seconds,
                1,
                3600,
            ),
            ("queue_wait_ms", self.queue_wait_ms, 1, 60_000),
            (
                "shutdown_grace_seconds",
                self.shutdown_grace_seconds,
                0,
                600,
            ),
        ] {
            if !(lo..=hi).contains(&v) {
                anyhow::bail!("配置项 server.{name} 应为 {lo} 到 {hi}，当前为 {v}");
            }
        }
        if self.per_client_in_flight == 0 {
            anyhow::bail!("配置项 server.per_client_in_flight 必须大于 0");
        }
        Ok(())
    }
}

/// Settings of the prevention track (`[prevention]` in the file,
/// `DUALTRACK_PREVENTION__*` in the environment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PreventionSettings {
    /// A grid's daily report is due the next day by this hour, China Standard Time.
    pub grid_report_due_hour: u32,
    /// A monitoring case is planned to end this many days after the last exposure.
    pub monitoring_days: u32,
    /// A monitoring case's next follow-up is due this many hours after the last one.
    pub followup_interval_hours: u32,
    /// A hand-over from a checkpoint unacknowledged this many hours after it was made is
    /// overdue.
    pub handover_overdue_hours: u32,
    /// Personal data of a released case is erased this many days after its release.
    pub retention_days: u32,
    /// A record sent from a phone's outbox may be dated by the phone this many hours back.
    pub phone_time_max_hours: u32,
}

impl Default for PreventionSettings {
    fn default() -> Self {
        PreventionSettings {
            grid_report_due_hour: dualtrack_service::prevention::DEFAULT_GRID_REPORT_DUE_HOUR,
            monitoring_days: dualtrack_domain::monitoring::DEFAULT_MONITORING_DAYS,
            followup_interval_hours: dualtrack_domain::monitoring::DEFAULT_FOLLOWUP_INTERVAL_HOURS,
            handover_overdue_hours: dualtrack_domain::checkpoints::DEFAULT_HANDOVER_OVERDUE_HOURS,
            retention_days: dualtrack_domain::checkpoints::DEFAULT_RETENTION_DAYS,
            phone_time_max_hours: dualtrack_service::input::DEFAULT_PHONE_TIME_MAX_HOURS,
        }
    }
}

/// Settings of whistle and report-back (`[whistle]` in the file, `DUALTRACK_WHISTLE__*` in
/// the environment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WhistleConfig {
    /// Minutes a called department has to report on an emergency (紧急) ticket.
    pub emergency_accept_minutes: u32,
    /// … on a tough case (疑难).
    pub tough_accept_minutes: u32,
    /// … on a routine one (常规).
    pub routine_accept_minutes: u32,
    /// Hours the departments have to resolve an emergency ticket.
    pub emergency_resolve_hours: u32,
    pub tough_resolve_hours: u32,
    pub routine_resolve_hours: u32,
    /// The largest attachment accepted, in bytes.
    pub max_attachment_bytes: usize,
    /// Attempts at delivering a notice to a webhook before giving up.
    pub webhook_max_attempts: u32,
    /// Seconds between two rounds of the escalation scheduler.
    pub scheduler_interval_seconds: u64,
    /// The platform's address as cadres open it: links in messages to robots start with it.
    pub public_url: String,
    /// A PEM file of CA certificates trusted, besides the system's, for robots and gateways
    /// reached over HTTPS (an intranet CA).
    pub ca_file: Option<std::path::PathBuf>,
    /// The hour (China Standard Time, 0–23) the daily briefing is pushed to the channels of
    /// each leader's place; -1: not pushed.
    pub briefing_hour: i32,
}

impl Default for WhistleConfig {
    fn default() -> Self {
        let d = dualtrack_domain::whistle::Deadlines::default();
        let w = dualtrack_service::whistle::WhistleSettings::default();
        WhistleConfig {
            emergency_accept_minutes: d.emergency_accept_minutes,
            tough_accept_minutes: d.tough_accept_minutes,
            routine_accept_minutes: d.routine_accept_minutes,
            emergency_resolve_hours: d.emergency_resolve_hours,
            tough_resolve_hours: d.tough_resolve_hours,
            routine_resolve_hours: d.routine_resolve_hours,
            max_attachment_bytes: w.max_attachment_bytes,
            webhook_max_attempts: w.webhook_max_attempts,
            scheduler_interval_seconds: 30,
            public_url: String::new(),
            ca_file: None,
            briefing_hour: dualtrack_service::whistle::DEFAULT_BRIEFING_HOUR as i32,
        }
    }
}

impl WhistleConfig {
    fn check(&self) -> anyhow::Result<()> {
        for (name, v) in [
            ("emergency_accept_minutes", self.emergency_accept_minutes),
            ("tough_accept_minutes", self.tough_accept_minutes),
            ("routine_accept_minutes", self.routine_accept_minutes),
        ] {
            if !(1..=10_080).contains(&v) {
                anyhow::bail!("配置项 whistle.{name} 应为 1 到 10080（分钟内报到），当前为 {v}");
            }
        }
        for (name, v) in [
            ("emergency_resolve_hours", self.emergency_resolve_hours),
            ("tough_resolve_hours", self.tough_resolve_hours),
            ("routine_resolve_hours", self.routine_resolve_hours),
        ] {
            if !(1..=2_160).contains(&v) {
                anyhow::bail!("配置项 whistle.{name} 应为 1 到 2160（小时内办结），当前为 {v}");
            }
        }
        let ceiling = dualtrack_service::whistle::ATTACHMENT_CEILING;
        if !(1024..=ceiling).contains(&self.max_attachment_bytes) {
            anyhow::bail!(
                "配置项 whistle.max_attachment_bytes 应为 1024 到 {ceiling}（附件字节数上限），当前为 {}",
                self.max_attachment_bytes
            );
        }
        if let Some(path) = self
            .ca_file
            .as_deref()
            .filter(|p| !p.as_os_str().is_empty())
        {
            dualtrack_service::whistle::webhook::client_trusting(Some(path))
                .map_err(anyhow::Error::msg)?;
        }
        if !(-1..=23).contains(&self.briefing_hour) {
            anyhow::bail!(
                "配置项 whistle.briefing_hour 应为 0 到 23（北京时间几时推送每日简报），-1 为不推送，当前为 {}",
                self.briefing_hour
            );
        }
        if !(1..=50).contains(&self.webhook_max_attempts) {
            anyhow::bail!(
                "配置项 whistle.webhook_max_attempts 应为 1 到 50，当前为 {}",
                self.webhook_max_attempts
            );
        }
        if !(1..=3600).contains(&self.scheduler_interval_seconds) {
            anyhow::bail!(
                "配置项 whistle.scheduler_interval_seconds 应为 1 到 3600，当前为 {}",
                self.scheduler_interval_seconds
            );
        }
        let url = self.public_url.trim().to_lowercase();
        if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
            anyhow::bail!(
                "配置项 whistle.public_url 应以 http:// 或 https:// 开头，当前为 {}",
                self.public_url
            );
        }
        Ok(())
    }

    /// The settings the use cases take.
    pub fn settings(&self) -> dualtrack_service::whistle::WhistleSettings {
        dualtrack_service::whistle::WhistleSettings {
            deadlines: dualtrack_domain::whistle::Deadlines {
                emergency_accept_minutes: self.emergency_accept_minutes,
                tough_accept_minutes: self.tough_accept_minutes,
                routine_accept_minutes: self.routine_accept_minutes,
                emergency_resolve_hours: self.emergency_resolve_hours,
                tough_resolve_hours: self.tough_resolve_hours,
                routine_resolve_hours: self.routine_resolve_hours,
            },
            max_attachment_bytes: self.max_attachment_bytes,
            webhook_max_attempts: self.webhook_max_attempts,
            public_url: self.public_url.trim().trim_end_matches('/').to_string(),
            ca_file: self.ca_file.clone().filter(|p| !p.as_os_str().is_empty()),
            briefing_hour: u32::try_from(self.briefing_hour).ok(),
        }
    }
}

/// Settings of the resumption track (`[resumption]` in the file,
/// `DUALTRACK_RESUMPTION__*` in the environment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResumptionSettings {
    /// A day's operating report is due the next day by this hour, China Standard Time.
    pub report_due_hour: u32,
}

impl Default for ResumptionSettings {
    fn default() -> Self {
        ResumptionSettings {
            report_due_hour: dualtrack_service::DEFAULT_REPORT_DUE_HOUR,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            db: "sqlite://dualtrack.db".into(),
            listen: "127.0.0.1:8080".into(),
            log: "info".into(),
            body_limit_bytes: 1024 * 1024,
            secure_cookies: None,
            metrics_token: None,
            audit_key_file: None,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            lockout_threshold: 5,
            lockout_minutes: 30,
            password_min_length: 10,
            password_min_classes: 3,
            password_history: 5,
            password_max_age_days: 0,
            password_change_when_set_by_admin: true,
            second_factor: None,
            single_session: false,
            resumption: ResumptionSettings::default(),
            prevention: PreventionSettings::default(),
            whistle: WhistleConfig::default(),
            server: ServerSettings::default(),
            audit: AuditSettings::default(),
            offline: OfflineSettings::default(),
            database: DatabaseSettings::default(),
            security: SecuritySettings::default(),
            crypto: CryptoSettings::default(),
        }
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("db", &dualtrack_store::redact_url(&self.db))
            .field("listen", &self.listen)
            .field("log", &self.log)
            .field("body_limit_bytes", &self.body_limit_bytes)
            .field("secure_cookies", &self.secure_cookies)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "(set)"),
            )
            .field("audit_key_file", &self.audit_key_file)
            .field("session_idle_minutes", &self.session_idle_minutes)
            .field("session_absolute_hours", &self.session_absolute_hours)
            .field("lockout_threshold", &self.lockout_threshold)
            .field("lockout_minutes", &self.lockout_minutes)
            .field("password_min_length", &self.password_min_length)
            .field("password_min_classes", &self.password_min_classes)
            .field("password_history", &self.password_history)
            .field("password_max_age_days", &self.password_max_age_days)
            .field(
                "password_change_when_set_by_admin",
                &self.password_change_when_set_by_admin,
            )
            .field("second_factor", &self.second_factor)
            .field("single_session", &self.single_session)
            .field("resumption", &self.resumption)
            .field("prevention", &self.prevention)
            .field("whistle", &self.whistle)
            .field("server", &self.server)
            .field("audit", &self.audit)
            .field("database", &self.database)
            .field("security", &self.security)
            .field("crypto", &self.crypto)
            .finish()
    }
}

/// Values given as flags, which win over everything else.
#[derive(Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub db: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
}

/// The settings that `DUALTRACK_*` variables may set; other variables with the prefix
/// (such as `DUALTRACK_PASSWORD`, read by `user add`) are not settings. A key in a table
/// is written with `__`: `DUALTRACK_RESUMPTION__REPORT_DUE_HOUR` sets
/// `resumption.report_due_hour`.
const KEYS: &[&str] = &[
    "db",
    "listen",
    "log",
    "body_limit_bytes",
    "secure_cookies",
    "metrics_token",
    "audit_key_file",
    "session_idle_minutes",
    "session_absolute_hours",
    "lockout_threshold",
    "lockout_minutes",
    "password_min_length",
    "password_min_classes",
    "password_history",
    "password_max_age_days",
    "password_change_when_set_by_admin",
    "second_factor",
    "single_session",
    "resumption.report_due_hour",
    "prevention.grid_report_due_hour",
    "prevention.monitoring_days",
    "prevention.followup_interval_hours",
    "prevention.handover_overdue_hours",
    "prevention.retention_days",
    "prevention.phone_time_max_hours",
    "whistle.emergency_accept_minutes",
    "whistle.tough_accept_minutes",
    "whistle.routine_accept_minutes",
    "whistle.emergency_resolve_hours",
    "whistle.tough_resolve_hours",
    "whistle.routine_resolve_hours",
    "whistle.max_attachment_bytes",
    "whistle.webhook_max_attempts",
    "whistle.scheduler_interval_seconds",
    "whistle.public_url",
    "server.max_connections",
    "server.header_timeout_seconds",
    "server.body_timeout_seconds",
    "server.request_timeout_seconds",
    "server.queue_wait_ms",
    "server.reads_in_flight",
    "server.reads_queued",
    "server.writes_in_flight",
    "server.writes_queued",
    "server.per_client_in_flight",
    "server.shutdown_grace_seconds",
    "server.tls_cert",
    "server.tls_key",
    "audit.retention_days",
    "audit.archive_dir",
    "audit.syslog",
    "offline.keep_hours",
    "database.replica_url",
    "database.replica_max_lag_ms",
    "security.password_hash",
    "security.pbkdf2_iterations",
    "crypto.key_file",
];

impl Settings {
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Settings> {
        let mut fig = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            if !path.exists() {
                anyhow::bail!("配置文件不存在：{}", path.display());
            }
            fig = fig.merge(Toml::file_exact(path));
        }
        fig = fig
            .merge(Env::prefixed("DUALTRACK_").split("__").only(KEYS))
            .merge(Serialized::defaults(overrides));
        let s: Settings = fig
            .extract()
            .map_err(|e| anyhow::anyhow!("配置有误：{e}"))?;
        s.check()?;
        Ok(s)
    }

    fn check(&self) -> anyhow::Result<()> {
        self.whistle.check()?;
        self.server.check()?;
        self.audit.check()?;
        self.offline.check()?;
        self.database.check(&self.db)?;
        self.security.scheme()?;
        let positive = [
            ("session_idle_minutes", self.session_idle_minutes),
            ("session_absolute_hours", self.session_absolute_hours),
            ("lockout_threshold", self.lockout_threshold),
            ("lockout_minutes", self.lockout_minutes),
        ];
        for (name, v) in positive {
            if v <= 0 {
                anyhow::bail!("配置项 {name} 必须大于 0，当前为 {v}");
            }
        }
        if self.password_min_length < 8 {
            anyhow::bail!("配置项 password_min_length 不能小于 8");
        }
        if !(1..=4).contains(&self.password_min_classes) {
            anyhow::bail!("配置项 password_min_classes 应为 1 到 4");
        }
        if self.resumption.report_due_hour > 23 {
            anyhow::bail!(
                "配置项 resumption.report_due_hour 应为 0 到 23（次日几时前报送），当前为 {}",
                self.resumption.report_due_hour
            );
        }
        if self.prevention.grid_report_due_hour > 23 {
            anyhow::bail!(
                "配置项 prevention.grid_report_due_hour 应为 0 到 23（次日几时前报送），当前为 {}",
                self.prevention.grid_report_due_hour
            );
        }
        if !(1..=60).contains(&self.prevention.monitoring_days) {
            anyhow::bail!(
                "配置项 prevention.monitoring_days 应为 1 到 60（末次暴露后监测几天），当前为 {}",
                self.prevention.monitoring_days
            );
        }
        if !(1..=24).contains(&self.prevention.followup_interval_hours) {
            anyhow::bail!(
                "配置项 prevention.followup_interval_hours 应为 1 到 24（两次随访间隔几小时），当前为 {}",
                self.prevention.followup_interval_hours
            );
        }
        if !(1..=720).contains(&self.prevention.phone_time_max_hours) {
            anyhow::bail!(
                "配置项 prevention.phone_time_max_hours 应为 1 到 720（离线登记最多补报几小时前的记录），当前为 {}",
                self.prevention.phone_time_max_hours
            );
        }
        if !(1..=72).contains(&self.prevention.handover_overdue_hours) {
            anyhow::bail!(
                "配置项 prevention.handover_overdue_hours 应为 1 到 72（落地交接几小时内接收），当前为 {}",
                self.prevention.handover_overdue_hours
            );
        }
        if !(1..=3650).contains(&self.prevention.retention_days) {
            anyhow::bail!(
                "配置项 prevention.retention_days 应为 1 到 3650（解除后个人信息保存几天），当前为 {}",
                self.prevention.retention_days
            );
        }
        if self.body_limit_bytes < 1024 {
            anyhow::bail!("配置项 body_limit_bytes 不能小于 1024");
        }
        self.listen
            .parse::<std::net::SocketAddr>()
            .with_context(|| {
                format!(
                    "配置项 listen 应为 地址:端口，如 127.0.0.1:8080，当前为“{}”",
                    self.listen
                )
            })?;
        Ok(())
    }

    pub fn security(&self) -> Security {
        Security {
            session_idle: chrono::Duration::minutes(self.session_idle_minutes),
            session_absolute: chrono::Duration::hours(self.session_absolute_hours),
            lockout_threshold: self.lockout_threshold,
            lockout_duration: chrono::Duration::minutes(self.lockout_minutes),
            login_delay_step: std::time::Duration::from_millis(500),
            password_policy: PasswordPolicy {
                min_length: self.password_min_length,
                min_classes: self.password_min_classes,
                // Only `serve --demo` allows the published demo password.
                allow_demo_password: false,
                history: self.password_history,
                max_age_days: self.password_max_age_days,
                change_when_set_by_admin: self.password_change_when_set_by_admin,
            },
            second_factor: self.second_factor.unwrap_or_default(),
            single_session: self.single_session,
            password_scheme: self.security.scheme().unwrap_or_default(),
        }
    }

    /// Whether cookies go with `Secure`: as configured; unset, on unless this is the demo
    /// served on a loopback address (plain HTTP on the presenter's own machine).
    pub fn secure_cookies(&self, demo: bool) -> bool {
        let loopback = self
            .listen
            .parse::<std::net::SocketAddr>()
            .is_ok_and(|a| a.ip().is_loopback());
        // Served over HTTPS, cookies are always `Secure`.
        self.server.tls_on() || self.secure_cookies.unwrap_or(!(demo && loopback))
    }

    pub fn web(&self, demo: bool) -> WebConfig {
        use std::time::Duration;
        let v = &self.server;
        WebConfig {
            body_limit: self.body_limit_bytes,
            secure_cookies: self.secure_cookies(demo),
            metrics_token: self.metrics_token.clone().filter(|t| !t.is_empty()),
            admission: dualtrack_web::admission::AdmissionConfig {
                reads_in_flight: v.reads_in_flight,
                reads_queued: v.reads_queued,
                writes_in_flight: v.writes_in_flight,
                writes_queued: v.writes_queued,
                queue_wait: Duration::from_millis(v.queue_wait_ms),
                request_timeout: Duration::from_secs(v.request_timeout_seconds),
                body_timeout: Duration::from_secs(v.body_timeout_seconds),
                per_client: v.per_client_in_flight,
                ..Default::default()
            },
            server: dualtrack_web::server::ServerConfig {
                max_connections: v.max_connections,
                header_timeout: Duration::from_secs(v.header_timeout_seconds),
                shutdown_grace: Duration::from_secs(v.shutdown_grace_seconds),
                // Read from their files when the server starts (`ServerSettings::tls`).
                tls: None,
            },
            offline_keep_hours: self.offline.keep_hours,
        }
    }
}

/// The commented example printed by `dualtrack default-config`.
pub const EXAMPLE: &str = r#"# 双线指挥平台 配置文件示例（dualtrack --config dualtrack.toml …）
# 优先级：默认值 < 本文件 < 环境变量 DUALTRACK_*（如 DUALTRACK_DB）< 命令行参数。

# 数据库地址。默认内嵌 SQLite；多实例共用时用 PostgreSQL：
#   db = "postgres://dualtrack:密码@127.0.0.1:5432/dualtrack"
# 含密码的地址不会被打印或写入日志。
db = "sqlite://dualtrack.db"

# 监听地址。内网部署对外服务时改为 "0.0.0.0:8080"。
listen = "127.0.0.1:8080"

# 日志级别：error、warn、info、debug。
log = "info"

# 请求体上限（字节）。
body_limit_bytes = 1048576

# 会话 Cookie 默认带 Secure 标志（只经 HTTPS 发送）：应经 HTTPS 或终结 TLS 的反向代理提供服务
# （代理带 X-Forwarded-Proto: https 时也总带 Secure）。只在纯 HTTP 的内网里才设为 false；
# 不设置时，仅 serve --demo 且监听回环地址（本机演示）不带 Secure。
# secure_cookies = false

# 指标抓取令牌：Prometheus 等以 Authorization: Bearer <令牌> 读取 /metrics。不设置时，
# 只有系统管理员、审计员登录后可以读取。
# metrics_token = "一串足够长的随机字符"

# 审计链密钥文件：每条审计记录写入后几秒内以 HMAC-SM3 封存，链接成链，密钥放在数据库之外。
# 不设置时：SQLite 数据库文件旁的“<数据库文件>.audit-key”（首次启动自动生成）；PostgreSQL
# 不设置则不封存——多个实例须使用同一个密钥文件。密钥丢失则无法再校验已封存的记录，请备份。
# audit_key_file = "/etc/dualtrack/audit.key"

# 会话闲置超时（分钟）与绝对超时（小时）。
session_idle_minutes = 30
session_absolute_hours = 12

# 登录失败的限制（不会锁定账户）：同一用户名从同一地址失败多少次后，该地址对该用户名暂停登录
# （先 1 分钟，之后每次失败加倍），最长暂停多少分钟；同一用户名各处失败累计超过该次数后，
# 每次尝试都会延迟几秒（曾成功登录的地址除外）。
lockout_threshold = 5
lockout_minutes = 30

# 密码策略：最短长度；至少包含小写、大写、数字、其他符号中的几类。
password_min_length = 10
password_min_classes = 3
# 不得与最近几个用过的密码相同（0 表示不限）。
password_history = 5
# 密码使用期限（天）：超过后登录须先修改（0 表示不限；等级保护常要求 90）。
password_max_age_days = 0
# 管理员设置的密码（新建账户、重置密码）在下次登录时须由本人修改。
password_change_when_set_by_admin = true

# 双因素认证（验证器上的 6 位动态口令）：privileged——系统管理员、安全管理员、审计员和可查看明文的角色
# 必须启用（未启用者登录后只能先设置）；all——所有账户必须启用；optional——都可自愿启用。
# 不设置时为 privileged；serve --demo 不设置时为 optional。
# second_factor = "privileged"

# 一个账户只保留一个会话：新的登录结束该账户此前的全部会话（网页、接口都算）。
single_session = false

[resumption]
# 企业日报截至当日 24 时，次日几时（北京时间，0–23）前报送；晚于此为迟报。
# 环境变量：DUALTRACK_RESUMPTION__REPORT_DUE_HOUR。
report_due_hour = 12

[prevention]
# 网格日报截至当日 24 时，次日几时（北京时间，0–23）前报送；晚于此为迟报。
# 环境变量：DUALTRACK_PREVENTION__GRID_REPORT_DUE_HOUR。
grid_report_due_hour = 12
# 隔离与健康监测：末次暴露后监测几天（计划解除日期），两次随访间隔几小时（超过即超时）。
# 环境变量：DUALTRACK_PREVENTION__MONITORING_DAYS、DUALTRACK_PREVENTION__FOLLOWUP_INTERVAL_HOURS。
monitoring_days = 14
followup_interval_hours = 12
# 卡口推送的落地交接几小时内未接收即超时（1–72）。
# 环境变量：DUALTRACK_PREVENTION__HANDOVER_OVERDUE_HOURS。
handover_overdue_hours = 2
# 隔离或监测解除几天后删除其姓名、身份证号与电话（1–3650）。
# 环境变量：DUALTRACK_PREVENTION__RETENTION_DAYS。
retention_days = 30
# 手机离线时登记、联网后补报的记录，以手机上的登记时间为准，最多可早于现在几小时（1–720）。
# 环境变量：DUALTRACK_PREVENTION__PHONE_TIME_MAX_HOURS。
phone_time_max_hours = 72

[whistle]
# 吹哨报到：被呼叫的部门须在几分钟内报到（紧急默认 30 分钟），几小时内办结；超时自动逐级升级督办。
# 环境变量：DUALTRACK_WHISTLE__EMERGENCY_ACCEPT_MINUTES 等。
emergency_accept_minutes = 30
tough_accept_minutes = 120
routine_accept_minutes = 240
emergency_resolve_hours = 6
tough_resolve_hours = 72
routine_resolve_hours = 48
# 附件（照片、PDF、Word、Excel）大小上限（字节），按内容判断类型；附件存于数据库，随数据库一并备份。
max_attachment_bytes = 5242880
# 消息推送（Webhook）失败后重试，至多尝试几次（间隔 30 秒起翻倍，至多 1 小时）。
webhook_max_attempts = 8
# 升级督办与消息推送的调度间隔（秒）。多个实例共用 PostgreSQL 时只有持有租约的一个执行。
scheduler_interval_seconds = 30
# 平台的访问地址（如 https://dualtrack.example.gov.cn）：推送到企业微信、钉钉、飞书、短信的消息里的链接以它开头，
# 点开登录后直达工单。空：链接只有路径。
public_url = ""

[server]
# 负载与故障：服务器只接它能及时办完的请求，其余立即以 503（附 Retry-After）婉拒，不排长队。
# 同时服务的连接数（0：按进程可打开文件数上限自动确定）；超出的连接立即得到 503 并关闭。
max_connections = 0
# 客户端须在几秒内发完请求头（空闲的长连接也在此后关闭）；请求体几秒收不到数据即放弃（慢而不断的上传照收，至多 10 分钟）。
header_timeout_seconds = 20
body_timeout_seconds = 15
# 请求开始处理后至多几秒；超时答 503，未提交的写入回滚。
request_timeout_seconds = 120
# 请求排队等候至多几毫秒；过时即 503，不再开始处理。
queue_wait_ms = 2000
# 同时处理与排队的读、写请求数（0：按数据库自动：SQLite 读 16/256、写 4/128；PostgreSQL 读 24/256、写 12/192）。
reads_in_flight = 0
reads_queued = 0
writes_in_flight = 0
writes_queued = 0
# 同一会话或令牌同时至多几个请求（超出答 429）。
per_client_in_flight = 32
# 停止服务时，给进行中的请求几秒办完。
shutdown_grace_seconds = 10
# HTTPS：同时设证书链与私钥（PEM 文件）时，服务器自己以 TLS（1.2、1.3）提供服务，会话 Cookie 总带 Secure。
# 国密 TLCP 须在前面部署支持国密的网关（见 README“传输加密”一节）。
# 环境变量：DUALTRACK_SERVER__TLS_CERT、DUALTRACK_SERVER__TLS_KEY。
# tls_cert = "/etc/dualtrack/tls/fullchain.pem"
# tls_key = "/etc/dualtrack/tls/privkey.pem"

[audit]
# 审计记录在库中保存几天（不少于 180，等级保护要求至少六个月）。到期且已封存的记录每日归档：
# 连同封存写入一个签名的归档文件（JSON Lines，gzip 压缩，末行为 HMAC-SM3 签名），文件落盘后
# 才从库中移除。dualtrack audit archive 立即归档；dualtrack audit verify-archive 文件 校验。
# 环境变量：DUALTRACK_AUDIT__RETENTION_DAYS。
retention_days = 180
# 归档文件目录。不设置时：SQLite 数据库文件旁的“<数据库文件>.audit-archive”；PostgreSQL
# 不设置则不归档（记录一直留在库中）。
# archive_dir = "/var/lib/dualtrack/audit-archive"
# 转发到单位的日志服务器（syslog，RFC 5424 经 TCP，local0）：每条审计记录封存后发送。
# 尽力而为：日志服务器不可达时不影响业务，队列满则丢弃并计数；以数据库中的审计记录为准。
# syslog = "10.0.0.5:514"

[offline]
# 手机离线使用：随身工作清单（今天要随访、待接收的交接、卡口班次，按屏幕上的脱敏样式）与已发送记录的
# 摘要在手机上保存几小时（1–168），到时自动删除；退出登录时立即删除。未发送的记录不在此列。
# 环境变量：DUALTRACK_OFFLINE__KEEP_HOURS。
keep_hours = 24
[security]
# 密码哈希算法：argon2id（默认）；pbkdf2-sm3——PBKDF2-HMAC-SM3，用于要求全部采用国密算法的场合。
# 两种哈希都能登录：改换算法后，原有密码照常登录，并在登录成功时改存为新算法的哈希。
# 环境变量：DUALTRACK_SECURITY__PASSWORD_HASH、DUALTRACK_SECURITY__PBKDF2_ITERATIONS。
password_hash = "argon2id"
# PBKDF2-HMAC-SM3 的迭代次数（10000–10000000）。
pbkdf2_iterations = 100000
[crypto]
# 个人信息（身份证号、电话、被监测人员姓名等）以 SM4-GCM 加密存储的数据密钥文件：每行“标识:十六进制”，
# bidx 行为盲索引密钥，最后一个 k 行加密新数据。密钥不入库；丢失密钥即丢失相应数据，务必离线备份。
# 也可用环境变量 DUALTRACK_DATA_KEY 给出密钥文件的内容。都不设置时个人信息不加密（启动时告警）；
# serve --demo 在演示数据库旁自动生成密钥文件。dualtrack keys rotate 轮换，keys status 查看。
# key_file = "/etc/dualtrack/data.key"
[database]
# PostgreSQL 只读备库（热备，流复制）：指挥视图、统计、简报与导出读它，减轻主库负担；表单、
# 写入后的列表、会话、权限等仍读写主库。备库不可达或落后主库超过 replica_max_lag_ms 毫秒时，
# 这些读取自动改走主库（/healthz 中可见）。仅用于 PostgreSQL。环境变量：DUALTRACK_DATABASE__REPLICA_URL。
# replica_url = "postgres://dualtrack:密码@备库:5432/dualtrack"
replica_max_lag_ms = 5000
"#;

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment::Error
mod tests {
    use super::*;

    #[test]
    fn whistle_deadlines_come_from_their_table_or_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "dt.toml",
                "[whistle]\nemergency_accept_minutes = 15\nroutine_resolve_hours = 24\n",
            )?;
            jail.set_env("DUALTRACK_WHISTLE__TOUGH_ACCEPT_MINUTES", "90");
            let s = Settings::load(Some(Path::new("dt.toml")), &Overrides::default())
                .map_err(|e| figment::Error::from(e.to_string()))?;
            let w = s.whistle.settings();
            assert_eq!(w.deadlines.emergency_accept_minutes, 15);
            assert_eq!(w.deadlines.tough_accept_minutes, 90);
            assert_eq!(w.deadlines.routine_resolve_hours, 24);
            assert_eq!(w.deadlines.tough_resolve_hours, 72, "default kept");
            jail.create_file("bad.toml", "[whistle]\nemergency_accept_minutes = 0\n")?;
            let e = Settings::load(Some(Path::new("bad.toml")), &Overrides::default())
                .expect_err("refused");
            assert!(e.to_string().contains("emergency_accept_minutes"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn example_is_the_defaults() {
        let parsed: Settings = toml::from_str(EXAMPLE).expect("example parses");
        assert_eq!(parsed, Settings::default());
    }

    #[test]
    fn layers_apply_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "dt.toml",
                "lockout_threshold = 7\nlisten = \"0.0.0.0:9000\"\n",
            )?;
            jail.set_env("DUALTRACK_LOCKOUT_THRESHOLD", "9");
            jail.set_env("DUALTRACK_DB", "postgres://dt:geheim@localhost/dt");
            jail.set_env("DUALTRACK_PASSWORD", "not-a-setting");
            let s = Settings::load(
                Some(Path::new("dt.toml")),
                &Overrides {
                    listen: Some("127.0.0.1:9001".into()),
                    ..Default::default()
                },
            )
            .map_err(|e| e.to_string())?;
            assert_eq!(s.lockout_threshold, 9, "environment beats file");
            assert_eq!(s.listen, "127.0.0.1:9001", "flag beats file");
            assert_eq!(s.session_idle_minutes, 30, "default kept");
            let shown = format!("{s:?}");
            assert!(!shown.contains("geheim"), "password redacted: {shown}");
            Ok(())
        });
    }

    #[test]
    fn the_report_due_hour_comes_from_a_table_or_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("dt.toml", "[resumption]\nreport_due_hour = 10\n")?;
            let s = Settings::load(Some(Path::new("dt.toml")), &Overrides::default())
                .map_err(|e| e.to_string())?;
            assert_eq!(s.resumption.report_due_hour, 10, "from the file");
            jail.set_env("DUALTRACK_RESUMPTION__REPORT_DUE_HOUR", "9");
            let s = Settings::load(Some(Path::new("dt.toml")), &Overrides::default())
                .map_err(|e| e.to_string())?;
            assert_eq!(s.resumption.report_due_hour, 9, "environment beats file");
            jail.set_env("DUALTRACK_RESUMPTION__REPORT_DUE_HOUR", "24");
            let e = Settings::load(None, &Overrides::default()).expect_err("refused");
            assert!(e.to_string().contains("report_due_hour"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn monitoring_days_and_interval_come_from_the_prevention_table() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "dt.toml",
                "[prevention]\nmonitoring_days = 21\nfollowup_interval_hours = 8\n",
            )?;
            let s = Settings::load(Some(Path::new("dt.toml")), &Overrides::default())
                .map_err(|e| e.to_string())?;
            assert_eq!(s.prevention.monitoring_days, 21);
            assert_eq!(s.prevention.followup_interval_hours, 8);
            assert_eq!(s.prevention.grid_report_due_hour, 12, "default kept");
            jail.set_env("DUALTRACK_PREVENTION__MONITORING_DAYS", "0");
            let e = Settings::load(None, &Overrides::default()).expect_err("refused");
            assert!(e.to_string().contains("monitoring_days"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn the_grid_report_due_hour_comes_from_a_table_or_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("dt.toml", "[prevention]\ngrid_report_due_hour = 10\n")?;
            let s = Settings::load(Some(Path::new("dt.toml")), &Overrides::default())
                .map_err(|e| e.to_string())?;
            assert_eq!(s.prevention.grid_report_due_hour, 10, "from the file");
            jail.set_env("DUALTRACK_PREVENTION__GRID_REPORT_DUE_HOUR", "9");
            let s = Settings::load(Some(Path::new("dt.toml")), &Overrides::default())
                .map_err(|e| e.to_string())?;
            assert_eq!(
                s.prevention.grid_report_due_hour, 9,
                "environment beats file"
            );
            jail.set_env("DUALTRACK_PREVENTION__GRID_REPORT_DUE_HOUR", "24");
            let e = Settings::load(None, &Overrides::default()).expect_err("refused");
            assert!(e.to_string().contains("grid_report_due_hour"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn audit_retention_below_180_days_is_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("dt.toml", "[audit]\nretention_days = 365\n")?;
            let s = Settings::load(Some(Path::new("dt.toml")), &Overrides::default())
                .map_err(|e| e.to_string())?;
            assert_eq!(s.audit.retention_days, 365, "upward is fine");
            jail.create_file("bad.toml", "[audit]\nretention_days = 90\n")?;
            let e = Settings::load(Some(Path::new("bad.toml")), &Overrides::default())
                .expect_err("refused");
            assert!(e.to_string().contains("audit.retention_days"), "{e}");
            assert!(e.to_string().contains("180"), "{e}");
            jail.set_env("DUALTRACK_AUDIT__RETENTION_DAYS", "179");
            let e = Settings::load(None, &Overrides::default()).expect_err("refused");
            assert!(e.to_string().contains("audit.retention_days"), "{e}");
            jail.set_env("DUALTRACK_AUDIT__RETENTION_DAYS", "180");
            jail.set_env("DUALTRACK_AUDIT__SYSLOG", "no-port");
            let e = Settings::load(None, &Overrides::default()).expect_err("refused");
            assert!(e.to_string().contains("audit.syslog"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn the_hours_a_phone_keeps_data_come_from_the_file_or_the_environment() {
        figment::Jail::expect_with(|jail| {
            let s = Settings::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(s.web(false).offline_keep_hours, 24);
            jail.create_file("dt.toml", "[offline]\nkeep_hours = 8\n")?;
            let s = Settings::load(Some(Path::new("dt.toml")), &Overrides::default())
                .map_err(|e| e.to_string())?;
            assert_eq!(s.web(false).offline_keep_hours, 8);
            jail.set_env("DUALTRACK_OFFLINE__KEEP_HOURS", "0");
            let e = Settings::load(None, &Overrides::default()).expect_err("refused");
            assert!(e.to_string().contains("offline.keep_hours"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn a_replica_is_for_postgresql_only() {
        figment::Jail::expect_with(|jail| {
            let s = Settings::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
            assert!(s.database.replica().map_err(|e| e.to_string())?.is_none());
            jail.create_file(
                "dt.toml",
                "[database]\nreplica_url = \"postgres://dt:secret@standby:5432/dt\"\n",
            )?;
            let e = Settings::load(Some(Path::new("dt.toml")), &Overrides::default())
                .expect_err("refused on SQLite");
            assert!(e.to_string().contains("database.replica_url"), "{e}");
            assert!(e.to_string().contains("SQLite"), "{e}");
            jail.set_env("DUALTRACK_DB", "postgres://dt:secret@primary:5432/dt");
            let s = Settings::load(Some(Path::new("dt.toml")), &Overrides::default())
                .map_err(|e| e.to_string())?;
            assert_eq!(s.database.replica_max_lag_ms, 5000);
            assert!(
                !format!("{s:?}").contains("secret"),
                "the password is never printed"
            );
            jail.set_env("DUALTRACK_DATABASE__REPLICA_URL", "sqlite://standby.db");
            let e = Settings::load(Some(Path::new("dt.toml")), &Overrides::default())
                .expect_err("a SQLite standby is refused");
            assert!(e.to_string().contains("postgres://"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn the_password_scheme_comes_from_the_security_table() {
        figment::Jail::expect_with(|jail| {
            assert_eq!(
                Settings::default().security().password_scheme,
                PasswordScheme::Argon2id
            );
            jail.create_file(
                "dt.toml",
                "[security]\npassword_hash = \"pbkdf2-sm3\"\npbkdf2_iterations = 200000\n",
            )?;
            let s = Settings::load(Some(Path::new("dt.toml")), &Overrides::default())
                .map_err(|e| e.to_string())?;
            assert_eq!(
                s.security().password_scheme,
                PasswordScheme::Pbkdf2Sm3 {
                    iterations: 200_000
                }
            );
            jail.set_env("DUALTRACK_SECURITY__PASSWORD_HASH", "md5");
            let e = Settings::load(None, &Overrides::default()).expect_err("refused");
            assert!(e.to_string().contains("security.password_hash"), "{e}");
            jail.set_env("DUALTRACK_SECURITY__PASSWORD_HASH", "pbkdf2-sm3");
            jail.set_env("DUALTRACK_SECURITY__PBKDF2_ITERATIONS", "1000");
            let e = Settings::load(None, &Overrides::default()).expect_err("refused");
            assert!(e.to_string().contains("security.pbkdf2_iterations"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn tls_needs_both_files_and_makes_cookies_secure() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("dt.toml", "[server]\ntls_cert = \"cert.pem\"\n")?;
            let e = Settings::load(Some(Path::new("dt.toml")), &Overrides::default())
                .expect_err("refused");
            assert!(e.to_string().contains("server.tls_key"), "{e}");
            jail.create_file(
                "dt.toml",
                "secure_cookies = false\nlisten = \"127.0.0.1:8443\"\n[server]\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n",
            )?;
            let s = Settings::load(Some(Path::new("dt.toml")), &Overrides::default())
                .map_err(|e| e.to_string())?;
            assert!(s.server.tls_on());
            assert!(s.web(true).secure_cookies, "over HTTPS cookies are Secure");
            let e = s.server.tls().expect_err("no such files");
            assert!(e.to_string().contains("server.tls_cert"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn bad_values_are_named() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("DUALTRACK_LOCKOUT_MINUTES", "0");
            let e = Settings::load(None, &Overrides::default()).expect_err("refused");
            assert!(e.to_string().contains("lockout_minutes"), "{e}");
            Ok(())
        });
    }
}
