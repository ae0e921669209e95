//! The demo's evening has work waiting for every role, the departments' tickets among it,
//! and the day's records move with the day: moved on by the banner, the new day's tickets,
//! passages and reports are there, once however often the day is chosen.

use crate::common;

use chrono::{Duration, NaiveDate};
use common::TestApp;
use dualtrack_domain::time::reporting_day;
use dualtrack_domain::whistle::TicketStatus;
use dualtrack_service::home::DayWork;
use dualtrack_service::Actor;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::Value;

async fn actor(t: &TestApp, username: &str) -> Actor {
    let tok = t.token(username).await;
    t.app.authenticate(&tok, "test").await.expect("actor")
}

async fn work(t: &TestApp, username: &str) -> DayWork {
    let a = actor(t, username).await;
    t.app.day_work(&a).await.expect("day work")
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day")
}

async fn every_role_finds_work_waiting_on_the_demo_evening(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.open_on_demo_day();
    // The field report's figures are the same with the evening's work made; the whistle's
    // of the day count the evening's tickets.
    let tok = t.token("haixi_leader").await;
    let report = "/api/v1/stats?as_of=2020-02-27";
    let figures = |mut v: Value| {
        let open = v["whistle.open"]["numerator"].as_i64();
        v.as_object_mut()
            .expect("figures")
            .retain(|k, _| !k.starts_with("whistle."));
        (v, open)
    };
    let (stats, open) = figures(t.get_json(report, &tok).await);
    assert_eq!(open, Some(0));
    t.app.make_demo_day_work().await.expect("the day's work");
    let (again, open) = figures(t.get_json(report, &tok).await);
    assert_eq!(again, stats);
    assert_eq!(open, Some(6));
    let now = t.app.now();

    // The departments: tickets calling them, new, in hand, near the deadline, overdue.
    for dept in [
        "responder",
        "golmud_health",
        "golmud_transport",
        "delingha_health",
    ] {
        let w = work(&t, dept).await;
        let waiting = w.tickets_waiting.expect("a responder's tickets");
        assert!(waiting.total > 0, "{dept}: no ticket waiting");
        for k in &waiting.rows {
            assert!(k.raised_at <= now && reporting_day(k.raised_at) == t.app.today());
        }
    }
    let responder = work(&t, "responder")
        .await
        .tickets_waiting
        .expect("tickets");
    let rows = &responder.rows;
    assert!(rows
        .iter()
        .any(|k| k.status == TicketStatus::Open && !k.overdue));
    assert!(rows.iter().any(|k| k.status == TicketStatus::Working));
    assert!(
        rows.iter()
            .any(|k| !k.overdue && k.accept_due_at - now <= Duration::minutes(30)),
        "one near its deadline"
    );
    assert!(
        rows.iter().any(|k| k.overdue && k.escalations > 0),
        "one overdue and escalated"
    );
    let transport = work(&t, "golmud_transport").await.tickets_waiting;
    let transport = transport.expect("tickets").rows;
    assert!(transport.iter().any(|k| k.overdue && k.escalations >= 2));
    // The responder's inbox holds the calls, unread.
    let a = actor(&t, "responder").await;
    assert!(t.app.unread_notices(&a).await > 0);

    // The field roles.
    let g = work(&t, "grid_worker").await;
    assert!(g.followups.expect("follow-ups").total > 0);
    assert!(g.handovers.expect("hand-overs").total > 0);
    assert!(!g.grid.expect("the grid's day").today_filed);
    let c = work(&t, "checkpoint_worker").await;
    let today = c.checkpoints.expect("checkpoints");
    assert!(today.iter().any(|c| c.counts.passages > 0));
    let l = work(&t, "liaison").await;
    assert!(l.enterprise_reports.expect("reports").today_missing.total > 0);
    let leader = work(&t, "haixi_leader").await;
    let figures = leader.dashboard.expect("dashboard");
    assert!(figures
        .iter()
        .flat_map(|s| &s.figures)
        .any(|f| f.value.is_some_and(|v| v > 0.0)));
    let audit = work(&t, "auditor").await.audit.expect("audit");
    assert!(!audit.is_empty());
    let org = work(&t, "haixi_org").await;
    assert!(org.applications_pending.is_some());

    // The responder's home lists them.
    let mut b = t.browser("responder").await;
    let home = b.page("/").await;
    assert!(home.text.contains("发热人员需转运"), "{}", home.text);
    assert!(home.text.contains("待报到"), "{}", home.text);
}

async fn ticket_total(t: &TestApp) -> i64 {
    t.count("SELECT COUNT(*) FROM tickets").await
}

/// Moves the demo's day as `who` would on the banner.
async fn move_to(t: &TestApp, who: &Actor, to: &str) -> NaiveDate {
    t.app.move_demo_day(who, to).await.expect("moved")
}

async fn the_day_moved_on_brings_its_records_once(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.open_on_demo_day();
    t.app.make_demo_day_work().await.expect("the day's work");
    let sys = actor(&t, "haixi_leader").await;
    let before = ticket_total(&t).await;
    let leader_then = work(&t, "haixi_leader").await.dashboard.expect("figures");
    let cw_then = work(&t, "checkpoint_worker").await.checkpoints.expect("cp");
    let first_evening: Vec<i64> = work(&t, "responder")
        .await
        .tickets_waiting
        .expect("tickets")
        .rows
        .iter()
        .map(|k| k.id)
        .collect();

    let moved = move_to(&t, &sys, "2020-03-05").await;
    assert_eq!(moved, day("2020-03-05"));
    assert_eq!(t.app.today(), day("2020-03-05"));
    let after = ticket_total(&t).await;
    assert!(after > before, "the new evening's tickets");
    // The new evening's tickets wait; the first evening's were played out the next morning.
    let waiting = work(&t, "responder")
        .await
        .tickets_waiting
        .expect("tickets");
    assert!(waiting.total > 0);
    for k in &waiting.rows {
        assert_eq!(reporting_day(k.raised_at), day("2020-03-05"), "{}", k.title);
        assert!(!first_evening.contains(&k.id));
    }
    for id in &first_evening {
        let status: String = t
            .app
            .ticket_detail(&sys, *id)
            .await
            .expect("ticket")
            .ticket
            .status_name;
        assert_eq!(status, "已办结");
    }
    // The day's passages and figures are the new day's.
    let cw_now = work(&t, "checkpoint_worker").await.checkpoints.expect("cp");
    let passages = |v: &[dualtrack_service::home::CheckpointToday]| -> i64 {
        v.iter().map(|c| c.counts.passages).sum()
    };
    assert!(passages(&cw_now) > 0);
    assert_ne!(passages(&cw_now), passages(&cw_then));
    let leader_now = work(&t, "haixi_leader").await.dashboard.expect("figures");
    let texts = |s: &[dualtrack_service::command::SectionValues]| -> Vec<String> {
        s.iter()
            .flat_map(|s| s.figures.iter().map(|f| f.text.clone()))
            .collect()
    };
    assert_ne!(texts(&leader_now), texts(&leader_then));
    let l = work(&t, "liaison")
        .await
        .enterprise_reports
        .expect("reports");
    assert_eq!(l.today, day("2020-03-05"));

    // Chosen again, and back and forth: nothing is added.
    move_to(&t, &sys, "2020-03-05").await;
    assert_eq!(ticket_total(&t).await, after);
    move_to(&t, &sys, "2020-02-27").await;
    move_to(&t, &sys, "2020-03-05").await;
    assert_eq!(ticket_total(&t).await, after);
    assert_eq!(t.audit_count("system.demo_clock").await, 4);
}

/// A day gone back to stands as it did that evening: its tickets open again, though played
/// out on a later morning, and hand-overs acknowledged later still waiting.
async fn a_day_gone_back_to_stands_as_it_did_that_evening(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.open_on_demo_day();
    t.app.make_demo_day_work().await.expect("the day's work");
    let sys = actor(&t, "haixi_leader").await;
    move_to(&t, &sys, "2020-03-05").await;
    move_to(&t, &sys, "2020-02-27").await;
    let grid = actor(&t, "grid_worker").await;
    let mine = dualtrack_service::whistle::TicketsQuery {
        mine: Some(true),
        ..Default::default()
    };
    let tickets = t.app.tickets(&grid, &mine).await.expect("tickets");
    let transfer = tickets
        .iter()
        .find(|k| k.title == "发热人员需转运")
        .expect("the evening's ticket");
    assert_eq!(reporting_day(transfer.raised_at), day("2020-02-27"));
    assert_eq!(
        transfer.status,
        TicketStatus::Open,
        "{}",
        transfer.status_name
    );
    for k in &tickets {
        assert!(
            matches!(k.status, TicketStatus::Open | TicketStatus::Working),
            "{}: {}",
            k.title,
            k.status_name
        );
    }
    let waiting = work(&t, "responder")
        .await
        .tickets_waiting
        .expect("tickets");
    assert!(waiting.total > 0);
    assert_eq!(t.audit_count("system.demo_rewind").await, 1);
    // Forward again: the same evening's tickets, played out once more; nothing piles up.
    let total = ticket_total(&t).await;
    move_to(&t, &sys, "2020-03-05").await;
    move_to(&t, &sys, "2020-02-27").await;
    assert_eq!(ticket_total(&t).await, total);

    // Hand-overs of the story acknowledged after the day's evening wait on it.
    move_to(&t, &sys, "2020-02-10").await;
    let op = actor(&t, "golmud_operator").await;
    let q = dualtrack_service::handovers::HandoversQuery {
        limit: Some(500),
        ..Default::default()
    };
    let pending = t.app.handovers(&op, &q).await.expect("pending");
    let later: Vec<i64> = pending.iter().map(|h| h.id).collect();
    let acknowledged_since = t
        .count(&format!(
            "SELECT COUNT(*) FROM handovers WHERE status = 'acknowledged' AND id IN ({})",
            later
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",")
        ))
        .await;
    assert!(acknowledged_since > 0, "{} waiting", later.len());
    let now = t.app.now();
    for h in &pending {
        assert!(h.made_at <= now && h.acknowledged_at.is_none(), "{}", h.id);
    }
    let first = t.app.handover(&op, later[0]).await.expect("one");
    assert!(first
        .history
        .iter()
        .all(|s| s.at <= now && s.kind != "acknowledge"));
}

on_both_engines!(
    every_role_finds_work_waiting_on_the_demo_evening,
    the_day_moved_on_brings_its_records_once,
    a_day_gone_back_to_stands_as_it_did_that_evening,
);
