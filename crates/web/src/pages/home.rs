//! The home page: the caller's work of the day first (what waits for it today, each with
//! the link that does it), then the tracks it may open and its jurisdiction at a glance.

use crate::display::today;
use crate::error::PageError;
use crate::extract::PageUser;
use crate::shell::{render, Nav};
use crate::state::AppState;
use crate::views::{KindRow, OrgTable};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use dualtrack_domain::role::Permission;
use dualtrack_domain::time::cst;
use dualtrack_service::home::DayWork;
use dualtrack_service::mobilisation::MobilisationFigures;
use dualtrack_service::tree::LevelCount;

/// The links of a track the caller may open: (path, name).
type Links = Vec<(&'static str, &'static str)>;

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    nav: Nav,
    today: String,
    work: DayWork,
    /// 疫情防控 and 复工复产: the pages the caller may open.
    prevention_links: Links,
    resumption_links: Links,
    /// Administration pages the caller runs: (path, what is done there).
    admin_links: Vec<(String, &'static str)>,
    counts: Vec<LevelCount>,
    /// 组织动员 as of today, for those who may read it.
    mobilisation: Option<MobilisationFigures>,
    /// The kinds of organisation standing today, with their totals.
    org_kinds: Vec<KindRow>,
}

impl Home {
    /// A time as the day's lists show it: `02-27 18:05`.
    fn at(&self, t: &DateTime<Utc>) -> String {
        t.with_timezone(&cst()).format("%m-%d %H:%M").to_string()
    }

    /// Whether nothing of 组织动员 is recorded in the caller's place (a grid has none of its
    /// own): the card then says so instead of listing zeros.
    fn mobilisation_empty(&self) -> bool {
        self.mobilisation.as_ref().is_some_and(|f| {
            self.org_kinds.is_empty()
                && f.on_duty == 0
                && f.returned == 0
                && f.applications == 0
                && f.registrations == 0
        })
    }

    /// Whether the work of the day has anything to show.
    fn has_work(&self) -> bool {
        let w = &self.work;
        w.grid.is_some()
            || w.grid_reports.is_some()
            || w.followups.is_some()
            || w.handovers.is_some()
            || w.checkpoints.is_some()
            || w.enterprise_reports.is_some()
            || w.tickets_waiting.is_some()
            || w.tickets_to_confirm.is_some()
            || w.applications_pending.is_some()
            || w.dashboard.is_some()
            || w.audit.is_some()
            || !self.admin_links.is_empty()
    }
}

fn prevention_links(nav: &Nav, can: impl Fn(Permission) -> bool) -> Links {
    let mut l = Links::new();
    if nav.show_my_grid {
        l.push(("/my-grid", "我的网格"));
    }
    if can(Permission::ReadGridWork) {
        l.push(("/prevention", "网格与摸排"));
        l.push(("/handovers", "落地交接"));
    }
    if can(Permission::ReadCheckpoints) {
        l.push(("/checkpoints", "卡口通行"));
    }
    if can(Permission::ReadMonitoring) {
        l.push(("/monitoring", "隔离与健康监测"));
    }
    if can(Permission::ManageMonitoring) {
        l.push(("/monitoring/due", "我的随访"));
    }
    l
}

fn resumption_links(can: impl Fn(Permission) -> bool) -> Links {
    let mut l = Links::new();
    if can(Permission::ReadResumption) {
        l.push(("/resumption", "开复工率"));
        l.push(("/enterprises", "企业台账"));
        l.push(("/resumption/punctuality", "日报报送情况"));
        l.push(("/projects", "重大项目"));
    }
    l
}

fn admin_links(can: impl Fn(Permission) -> bool, home: &str) -> Vec<(String, &'static str)> {
    let mut l = Vec::new();
    if can(Permission::ManageUsers) {
        l.push((
            "/users".to_string(),
            "账户管理：建账户、授角色、重置密码、解锁",
        ));
    }
    if can(Permission::ManageGrids) && !can(Permission::WriteGridWork) {
        l.push((format!("/tree/{home}"), "辖区与网格：逐级查看、新建网格"));
    }
    if can(Permission::ManageWhistle) && !can(Permission::RaiseTickets) {
        l.push((
            "/whistle/departments".to_string(),
            "吹哨部门、成员与派单规则",
        ));
    }
    l
}

pub async fn page(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
) -> Result<Response, PageError> {
    let nav = Nav::of(&st, &actor).await;
    let mut work = st.app.day_work(&actor).await?;
    // The audit entries name people by their names, not the names they log in with.
    if let Some(entries) = work.audit.as_mut() {
        let names = st
            .app
            .people_names(entries.iter().map(|e| e.username.as_str()))
            .await?;
        for e in entries.iter_mut() {
            e.username = names.name(&e.username);
        }
    }
    let counts = match actor.home_code() {
        Some(code) => st
            .app
            .node(&actor, &code)
            .await
            .map(|v| v.counts)
            .unwrap_or_default(),
        None => vec![],
    };
    let mobilisation = if actor.can(Permission::ReadMobilisation) {
        st.app
            .mobilisation_figures(&actor, &today(&st.app))
            .await
            .ok()
    } else {
        None
    };
    let org_kinds = match &mobilisation {
        Some(f) => OrgTable::of(&st, f)
            .await
            .rows
            .into_iter()
            .filter(|r| r.total > 0)
            .collect(),
        None => vec![],
    };
    let can = |p| actor.can(p);
    Ok(render(&Home {
        prevention_links: prevention_links(&nav, can),
        resumption_links: resumption_links(can),
        admin_links: admin_links(can, &nav.home_code),
        today: today(&st.app),
        work,
        nav,
        counts,
        mobilisation,
        org_kinds,
    }))
}
