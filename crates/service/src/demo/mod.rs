//! The Haixi 2020 demo: the tree of 海西州 (6328), some grids, and one account per role.
//! Later parts of the product add their records to the same demo.

mod checkpoints;
mod evening;
mod filings;
mod gen;
mod mobilisation;
mod monitoring;
mod prevention;
mod projects;
mod resumption;
mod supplies;
mod whistle;
mod workgroups;

use crate::users::NewUserInput;
use crate::{Actor, App, ServiceError, ServiceResult};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_store::{jurisdiction, startup, user};

/// The password of every demo account (listed in the README).
pub use dualtrack_domain::password::DEMO_PASSWORD;

/// The prefecture the demo is built on.
pub const HAIXI: &str = "6328";

/// Villages and communities that get demo grids, with the grid names.
const GRIDS: &[(&str, &[&str])] = &[
    (
        "632801001001",
        &["博爱巷第一网格", "博爱巷第二网格", "博爱巷第三网格"],
    ),
    ("632801001002", &["育红巷第一网格", "育红巷第二网格"]),
    ("632801002001", &["铁西第一网格", "铁西第二网格"]),
    (
        "632802001001",
        &["德令哈河西第一网格", "德令哈河西第二网格"],
    ),
];

/// One demo account per role: (user name, name, jurisdiction, role).
pub const ACCOUNTS: &[(&str, &str, &str, &str)] = &[
    ("sysadmin", "海西州系统管理员", "6328", "sys_admin"),
    ("secadmin", "海西州安全管理员", "6328", "sec_admin"),
    ("auditor", "海西州审计员", "6328", "auditor"),
    ("haixi_leader", "海西州领导", "6328", "leader"),
    ("golmud_leader", "格尔木市领导", "632801", "leader"),
    ("golmud_operator", "格尔木市操作员", "632801", "operator"),
    ("delingha_operator", "德令哈市操作员", "632802", "operator"),
    (
        "grid_worker",
        "博爱巷第一网格网格员",
        "632801001001001",
        "grid_worker",
    ),
    (
        "liaison",
        "格尔木市企业联络员",
        "632801",
        "enterprise_liaison",
    ),
    (
        "responder",
        "海西州卫生健康委响应人",
        "6328",
        "dept_responder",
    ),
    ("haixi_org", "海西州委组织部", "6328", "org_dept"),
    (
        "golmud_health",
        "格尔木市卫健委响应人",
        "632801",
        "dept_responder",
    ),
    (
        "golmud_transport",
        "格尔木市交通运输局响应人",
        "632801",
        "dept_responder",
    ),
    (
        "delingha_health",
        "德令哈市卫健委响应人",
        "632802",
        "dept_responder",
    ),
    (
        "checkpoint_worker",
        "格尔木南出口卡口工作人员",
        "632801",
        "checkpoint_worker",
    ),
];

/// Where a database stands with the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoState {
    /// No accounts: the demo may be loaded.
    Empty,
    /// The demo was loaded whole.
    Loaded,
    /// A load was cut off (only demo accounts, no completion record): it is resumed.
    Interrupted,
    /// The database holds other accounts: it is not a demo and is left alone.
    OtherData,
}

impl App {
    /// Where this database stands with the demo.
    pub async fn demo_state(&self) -> ServiceResult<DemoState> {
        if user::count(&self.db).await? == 0 {
            return Ok(DemoState::Empty);
        }
        if startup::has_audit_action(&self.db, Action::DemoLoad.as_str()).await? {
            return Ok(DemoState::Loaded);
        }
        let names = startup::usernames(&self.db).await?;
        let only_demo = names.iter().all(|n| ACCOUNTS.iter().any(|(u, ..)| u == n));
        Ok(if only_demo {
            DemoState::Interrupted
        } else {
            DemoState::OtherData
        })
    }

    /// Fills an empty database with the demo; a database that has other accounts is left
    /// alone. Whole or nothing, whoever else is starting: instances starting at once on one
    /// PostgreSQL database take turns (the later one finds the demo loaded); a load cut off
    /// half-way (the process killed) is resumed by the next start, because every step
    /// before the records is idempotent and the records, with the completion row of the
    /// audit log, are one transaction. Returns whether anything was loaded.
    pub async fn load_demo(&self) -> ServiceResult<bool> {
        let _turn = startup::startup_lock(&self.db).await?;
        match self.demo_state().await? {
            DemoState::Loaded | DemoState::OtherData => return Ok(false),
            DemoState::Interrupted => {
                tracing::warn!("an earlier load of the demo was cut off; it is resumed")
            }
            DemoState::Empty => {}
        }
        let cli = Actor::cli();
        // The demo accounts have the published password, which no other account may have.
        let mut with_demo_password = self.clone();
        with_demo_password
            .security
            .password_policy
            .allow_demo_password = true;
        // Its accounts share the published password; nobody is made to change it.
        with_demo_password
            .security
            .password_policy
            .change_when_set_by_admin = false;
        self.import_region(&cli, Some(HAIXI), &|_, _| {}).await?;
        for (village, names) in GRIDS {
            for name in *names {
                match self.create_grid(&cli, village, name).await {
                    Ok(_) | Err(ServiceError::Conflict { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        for (username, display_name, code, role) in ACCOUNTS {
            let made = with_demo_password
                .create_user(
                    &cli,
                    &NewUserInput {
                        username: username.to_string(),
                        display_name: display_name.to_string(),
                        password: DEMO_PASSWORD.into(),
                        jurisdiction_code: code.to_string(),
                        roles: vec![role.to_string()],
                    },
                )
                .await;
            match made {
                Ok(_) | Err(ServiceError::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        let haixi = dualtrack_domain::jurisdiction::Code::parse(HAIXI)
            .map_err(|e| crate::ServiceError::Internal(e.to_string()))?;
        let villages = jurisdiction::codes_at_level(&self.db, &haixi, 5).await?;
        let grids = jurisdiction::codes_at_level(&self.db, &haixi, 6).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        // Checked again under the write lock: another process may have finished meanwhile.
        if startup::has_audit_action_in(&mut tx, Action::DemoLoad.as_str()).await? {
            return Ok(false);
        }
        let people = mobilisation::load(&mut tx, villages, grids, now).await?;
        let enterprises = resumption::load(&mut tx, now).await?;
        filings::load(&mut tx).await?;
        workgroups::load(&mut tx, now).await?;
        projects::load(&mut tx, now).await?;
        checkpoints::load(&mut tx, now).await?;
        prevention::load(&mut tx, now).await?;
        monitoring::load(&mut tx).await?;
        supplies::load(&mut tx, now).await?;
        whistle::load(&mut tx).await?;
        let nodes = jurisdiction::count_all(&self.db).await?;
        let row = cli.audit(
            Action::DemoLoad,
            Outcome::Success,
            "演示数据",
            HAIXI,
            Some(HAIXI.into()),
            format!(
                "{nodes} 个区划节点，{} 个账户，{people} 名人员，{enterprises} 家企业",
                ACCOUNTS.len()
            ),
        );
        crate::actor::commit_audited(tx, &row).await?;
        // The demo's people, travellers and cases were written plain, in bulk: sealed now
        // (with encryption off, given their blind indexes).
        self.reseal_pass(&cli).await?;
        Ok(true)
    }
}

/// The days of the demo's story: its records run from the first cases at the checkpoints to
/// the middle of March.
pub fn story_days() -> std::ops::RangeInclusive<chrono::NaiveDate> {
    gen::day(1, 25)..=gen::day(3, 13)
}

/// The hour (China Standard Time) a demo server's day is set to: the evening, when the
/// day's reports are in and the next morning's work is waiting.
const DEMO_HOUR: u32 = 20;

/// The day a demo server opens on: the day of the field report's figures.
pub fn demo_day() -> chrono::NaiveDate {
    gen::day(2, 27)
}

/// The evening of a day of the story, as the moment the demo's clock runs on from.
pub fn evening_of(day: chrono::NaiveDate) -> chrono::DateTime<chrono::Utc> {
    day.and_hms_opt(DEMO_HOUR, 0, 0)
        .and_then(|t| t.and_local_timezone(dualtrack_domain::time::cst()).single())
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(|| day.and_time(chrono::NaiveTime::MIN).and_utc())
}

impl App {
    /// Sets a demo server's clock to the evening of the day its story opens on.
    pub fn open_on_demo_day(&self) {
        self.clock.run_from(evening_of(demo_day()));
    }

    /// Makes the work waiting on the evening of a demo server's day (the tickets calling the
    /// demo's departments), once per day; a day outside the story has none.
    pub async fn make_demo_day_work(&self) -> ServiceResult<()> {
        let day = self.today();
        if story_days().contains(&day) {
            self.demo_evening(day).await?;
        }
        Ok(())
    }

    /// Moves a demo server's clock to the evening of `raw` (a day of the story), for every
    /// user of the server, with the work waiting that evening; audited. Only a demo server's clock moves.
    pub async fn move_demo_day(
        &self,
        actor: &Actor,
        raw: &str,
    ) -> ServiceResult<chrono::NaiveDate> {
        if !self.clock.runs_from_a_chosen_moment() {
            return Err(ServiceError::Forbidden("只有演示服务器可以调整日期".into()));
        }
        let day = crate::input::parse_date("日期", raw)?;
        let story = story_days();
        if !story.contains(&day) {
            return Err(ServiceError::invalid(
                "日期",
                format!(
                    "演示数据的日期在 {} 至 {} 之间，收到“{raw}”",
                    story.start(),
                    story.end()
                ),
            ));
        }
        // The day's work is made on clocks of its own before this one moves.
        self.demo_evening(day).await?;
        let tx = self.db.begin().await?;
        let audit = actor.audit(
            Action::DemoClock,
            Outcome::Success,
            "演示日期",
            day.to_string(),
            None,
            format!("演示日期调到 {day} {DEMO_HOUR}:00"),
        );
        crate::actor::commit_audited(tx, &audit).await?;
        self.clock.run_from(evening_of(day));
        Ok(day)
    }
}
