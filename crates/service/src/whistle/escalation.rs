//! The whistle scheduler: escalates tickets that are not accepted or not resolved in time,
//! one level up per period (grid → village → township → county → prefecture), writes the
//! events at places the channels carry (`place_events`), and delivers the webhook outbox.
//!
//! Its state is the database: the due time of each step is computed from the ticket's
//! deadlines and its last step, so a restarted instance picks up where any instance left
//! off. Several instances sharing a PostgreSQL database run it once: the instance holding
//! the lease row (`scheduler_leases`, renewed every tick) does the work, and even two
//! instances at work at once cannot record a step twice, because each step is a row keyed
//! (ticket, step) inserted with `ON CONFLICT DO NOTHING` in the transaction that moves the
//! ticket, writes its notices and audits it — the second insert does nothing and its
//! transaction is dropped.

use super::{write_notices, Note};
use crate::actor::commit_audited;
use crate::{Actor, App, ServiceResult};
use chrono::Duration;
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::jurisdiction::{Code, Scope};
use dualtrack_domain::time::cst;
use dualtrack_domain::whistle::{next_level, next_step_due, Overdue, TicketEvent, TicketKind};
use dualtrack_store::decode;
use dualtrack_store::whistle::{self as store, NewStep};
use std::sync::Arc;
use tokio::sync::Notify;

/// The lease the scheduler instances share.
pub const LEASE: &str = "whistle";

/// The actor the scheduler's changes are recorded under.
pub fn scheduler_actor(holder: &str, clock: &crate::clock::Clock) -> Actor {
    Actor {
        user_id: None,
        username: format!("system:scheduler:{holder}"),
        display_name: "督办调度".into(),
        roles: vec![],
        scope: Scope::All,
        source_addr: "scheduler".into(),
        session_id: None,
        csrf_token: String::new(),
        is_cli: false,
        must_enrol: false,
        must_change_password: false,
        token: None,
        clock: clock.clone(),
    }
}

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tick {
    /// Whether this instance held the lease and so did the work.
    pub ran: bool,
    /// Escalation steps recorded by this instance.
    pub escalated: u32,
    /// Events at places written by this instance (hand-overs overdue, reports missing …).
    pub events: u32,
    /// Rows the search for events at places looked at (none when nothing changed).
    pub examined: u32,
    /// Webhook deliveries attempted and delivered.
    pub attempted: u32,
    pub delivered: u32,
}

impl App {
    /// Records every escalation step that is due by now, for every live ticket. Returns the
    /// steps this call recorded (a step another instance recorded first is not counted).
    pub async fn escalate_due(&self, holder: &str) -> ServiceResult<u32> {
        let actor = scheduler_actor(holder, &self.clock);
        let mut recorded = 0;
        for id in store::live_ticket_ids(&self.db).await? {
            recorded += self.escalate_ticket(&actor, id).await?;
        }
        Ok(recorded)
    }

    async fn escalate_ticket(&self, actor: &Actor, id: i64) -> ServiceResult<u32> {
        let now = self.now();
        let mut recorded = 0;
        loop {
            let Some(t) = store::ticket(&self.db, id).await? else {
                return Ok(recorded);
            };
            if !matches!(t.status.as_str(), "open" | "working") {
                return Ok(recorded);
            }
            let calls = store::calls(&self.db, id).await?;
            let steps = store::steps(&self.db, id).await?;
            let kind = decode("tickets", "kind", &t.kind, TicketKind::parse)?;
            let o = Overdue {
                accept_due: calls
                    .iter()
                    .filter(|c| c.status == "called")
                    .map(|c| c.accept_due_at)
                    .min(),
                resolve_due: Some(t.resolve_due_at),
            };
            let last = steps.last().map(|s| s.due_at);
            let Some((due, reason)) = next_step_due(o, last, self.whistle.deadlines.step(kind))
            else {
                return Ok(recorded);
            };
            if due > now {
                return Ok(recorded);
            }
            let Ok(level) = Code::parse(&t.level_code) else {
                return Ok(recorded);
            };
            let Some(up) = next_level(&level) else {
                return Ok(recorded);
            };
            let step = t.escalations + 1;
            let up_name = self.name_of(up.as_str()).await?.unwrap_or_default();
            let mut tx = self.db.begin().await?;
            let s = NewStep {
                ticket_id: id,
                step,
                from_code: level.to_string(),
                to_code: up.to_string(),
                reason: reason.as_str().into(),
                due_at: due,
                created_by: actor.username.clone(),
            };
            if !store::insert_step(&mut tx, &s, now).await? {
                // Another instance recorded this step first; its transaction holds the
                // notices and the audit row. Drop ours.
                return Ok(recorded);
            }
            let when = due.with_timezone(&cst()).format("%m-%d %H:%M");
            let note = format!("{}（时限 {when}），升级至{up_name}督办", reason.zh());
            store::insert_event(
                &mut tx,
                id,
                now,
                TicketEvent::Escalated.as_str(),
                None,
                &actor.username,
                &note,
            )
            .await?;
            let mut notes = vec![Note {
                event: TicketEvent::Escalated,
                message: format!(
                    "【督办】工单 {}“{}”（{}）{}，已升级至{}",
                    id,
                    t.title,
                    t.place_name,
                    reason.zh(),
                    up_name
                ),
                user_id: None,
                department_id: None,
                place: Some(up.to_string()),
            }];
            for c in calls.iter().filter(|c| c.status != "resolved") {
                notes.push(Note {
                    event: TicketEvent::Escalated,
                    message: format!(
                        "【督办】工单 {}“{}”{}，已升级至{}，请立即处置",
                        id,
                        t.title,
                        reason.zh(),
                        up_name
                    ),
                    user_id: None,
                    department_id: Some(c.department_id),
                    place: None,
                });
            }
            notes.push(Note {
                event: TicketEvent::Escalated,
                message: format!(
                    "您吹哨的工单 {}“{}”{}，已升级至{}督办",
                    id,
                    t.title,
                    reason.zh(),
                    up_name
                ),
                user_id: t.raised_by_user,
                department_id: None,
                place: if t.raised_by_user.is_none() {
                    Some(t.jurisdiction_code.clone())
                } else {
                    None
                },
            });
            let mut moved = t.clone();
            moved.level_code = up.to_string();
            moved.level_name = up_name.clone();
            write_notices(&mut tx, &moved, notes, now).await?;
            let row = actor.audit(
                Action::TicketEscalate,
                Outcome::Success,
                "工单",
                id.to_string(),
                Some(t.jurisdiction_code.clone()),
                format!("第 {step} 级：{} → {}，{}", level, up, reason.zh()),
            );
            commit_audited(tx, &row).await?;
            recorded += 1;
        }
    }
}

/// Runs the scheduler of one instance: ticks every `interval` and whenever woken (the drill
/// clock moving, say).
#[derive(Clone)]
pub struct Scheduler {
    app: App,
    holder: String,
    interval: std::time::Duration,
    wake: Arc<Notify>,
    client: reqwest::Client,
}

impl Scheduler {
    pub fn new(app: App, holder: impl Into<String>, interval: std::time::Duration) -> Scheduler {
        Scheduler {
            client: app.channel_client(),
            app,
            holder: holder.into(),
            interval,
            wake: Arc::new(Notify::new()),
        }
    }

    /// A handle that wakes the scheduler for an immediate tick.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// One round: take (or renew) the lease; if held, escalate what is due and deliver the
    /// outbox.
    pub async fn tick(&self) -> ServiceResult<Tick> {
        let wall = crate::clock::wall();
        let lease = Duration::seconds((self.interval.as_secs() as i64 * 3).max(30));
        if !store::take_lease(&self.app.db, LEASE, &self.holder, wall, wall + lease).await? {
            return Ok(Tick::default());
        }
        let escalated = self.app.escalate_due(&self.holder).await?;
        let pass = self
            .app
            .raise_place_events(&scheduler_actor(&self.holder, &self.app.clock))
            .await?;
        let (attempted, delivered) = self.app.deliver_due(&self.client).await?;
        Ok(Tick {
            ran: true,
            escalated,
            events: pass.written,
            examined: pass.examined,
            attempted,
            delivered,
        })
    }

    /// Gives the lease up so that another instance takes over at once.
    /// Gives the lease up, so that another instance takes the work over at once. Retried
    /// a few times: a stop often comes while the database is busy.
    pub async fn stop(&self) {
        for attempt in 1..=5 {
            match store::release_lease(&self.app.db, LEASE, &self.holder).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(error = %e, attempt, "giving up the scheduler's lease failed");
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
            }
        }
    }

    /// Ticks until the process ends.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                match self.tick().await {
                    Ok(t) if t.escalated > 0 || t.events > 0 || t.attempted > 0 => {
                        tracing::info!(
                            escalated = t.escalated,
                            events = t.events,
                            attempted = t.attempted,
                            delivered = t.delivered,
                            "whistle scheduler"
                        );
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "whistle scheduler tick failed"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(self.interval) => {}
                    _ = self.wake.notified() => {}
                }
            }
        })
    }
}
