//! The page shell every page shares: what the layout shows of the logged-in user, the
//! rendering of a template as a page, the keys that make a form's second submission harmless,
//! and the path of the login page.

use crate::error::PageError;
use crate::state::AppState;
use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use dualtrack_domain::role::Permission;
use dualtrack_service::actor::role_names;
use dualtrack_service::Actor;
use std::sync::atomic::{AtomicU64, Ordering};

pub const LOGIN_PATH: &str = "/login";

/// What the layout shows of the logged-in user.
pub struct Nav {
    pub display_name: String,
    pub role_names: String,
    pub csrf: String,
    pub home_code: String,
    pub home_name: String,
    pub show_users: bool,
    pub show_audit: bool,
    pub show_mobilisation: bool,
    pub show_resumption: bool,
    pub show_prevention: bool,
    /// A grid worker on its own grid reaches it (我的网格) from the menu.
    pub show_my_grid: bool,
    /// Stores, stock, needs and deliveries of prevention materials and farm inputs.
    pub show_supplies: bool,
    /// Checkpoint staff, who see no grid work, reach their checkpoints from the menu.
    pub show_checkpoints: bool,
    /// Whether the checkpoints (卡口通行) may be read at all, for links within pages.
    pub read_checkpoints: bool,
    pub notice: Option<String>,
    /// Whistle tickets (吹哨报到), with the caller's unread notices.
    pub show_whistle: bool,
    pub show_whistle_figures: bool,
    pub whistle_unread: i64,
    /// On a demo server, the demo's own day and time (its clock runs on from a day of
    /// 2020), shown in a banner with a form to move it.
    pub demo_now: Option<DemoNow>,
    /// Hours the phone keeps work lists and lines of records sent (see `outbox.js`).
    pub offline_hours: u32,
}

/// The demo's "now", as the banner shows it.
pub struct DemoNow {
    /// `2020-02-27`, the value of the banner's date field.
    pub day: String,
    /// `2020年2月27日 星期四 20:05`.
    pub shown: String,
    /// The first and last day of the story, the bounds of the date field.
    pub first: String,
    pub last: String,
}

impl DemoNow {
    fn of(st: &AppState) -> Option<DemoNow> {
        if !st.app.clock.runs_from_a_chosen_moment() {
            return None;
        }
        let now = st.app.now().with_timezone(&dualtrack_domain::time::cst());
        let weekday = ["一", "二", "三", "四", "五", "六", "日"]
            [chrono::Datelike::weekday(&now).num_days_from_monday() as usize];
        let story = dualtrack_service::demo::story_days();
        Some(DemoNow {
            day: now.format("%Y-%m-%d").to_string(),
            shown: format!(
                "{} 星期{weekday} {}",
                now.format("%Y年%-m月%-d日"),
                now.format("%H:%M")
            ),
            first: story.start().to_string(),
            last: story.end().to_string(),
        })
    }
}

impl Nav {
    pub async fn of(st: &AppState, actor: &Actor) -> Nav {
        let home_code = actor.home_code().unwrap_or_default();
        let home_name = st
            .app
            .name_of(&home_code)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| home_code.clone());
        Nav {
            display_name: actor.display_name.clone(),
            role_names: role_names(&actor.roles),
            csrf: actor.csrf_token.clone(),
            home_code,
            home_name,
            show_users: actor.can(Permission::ManageUsers),
            show_audit: actor.can(Permission::ReadAudit),
            show_mobilisation: actor.can(Permission::ReadMobilisation),
            show_resumption: actor.can(Permission::ReadResumption),
            show_prevention: actor.can(Permission::ReadGridWork),
            show_my_grid: actor.can(Permission::WriteGridWork)
                && actor
                    .scope
                    .code()
                    .is_some_and(|c| c.level() == dualtrack_domain::jurisdiction::Level::Grid),
            show_supplies: actor.can(Permission::ReadSupplies),
            show_checkpoints: actor.can(Permission::ReadCheckpoints)
                && !actor.can(Permission::ReadGridWork),
            read_checkpoints: actor.can(Permission::ReadCheckpoints),
            notice: None,
            show_whistle: actor.can(Permission::ReadTickets),
            show_whistle_figures: actor.can(Permission::ReadWhistleFigures),
            whistle_unread: st.app.unread_notices(actor).await,
            demo_now: DemoNow::of(st),
            offline_hours: st.config.offline_keep_hours,
        }
    }

    pub fn with_notice(mut self, notice: Option<String>) -> Nav {
        self.notice = notice;
        self
    }

    /// A fresh idempotency key for a form of the page, made when the form is rendered
    /// (`<input type="hidden" name="idempotency_key" value="{{ nav.form_key() }}">`).
    pub fn form_key(&self) -> String {
        new_key()
    }
}

/// A key for one filling-in of a form: a second submission of the same form (a double tap,
/// a retry on a bad network) is recognised by it and writes nothing more.
pub fn new_key() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "form-{nanos:x}-{:x}",
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Renders a template as a page.
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => PageError::from(dualtrack_service::ServiceError::Internal(e.to_string()))
            .into_response(),
    }
}
