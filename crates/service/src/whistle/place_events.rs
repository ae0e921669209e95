//! Events at places that reach the channels besides tickets: a hand-over overdue at a grid, a
//! grid's daily report missing at its deadline, a fever registered at a checkpoint, an item
//! running short in a store (the low-stock warning). The scheduler looks for them each round;
//! each is written once under a key naming the record (and the day), with its deliveries, in
//! one audited transaction — a second pass, or a second instance, writes nothing.
//!
//! A message names the place and the figure and links to the record; it never names a
//! traveller (the deliveries mask any number anyway). A channel taking every event takes
//! these too, fevers excepted: a channel takes fevers only when it names them.

use crate::actor::commit_audited;
use crate::{Actor, App, ServiceResult};
use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::filings::report_deadline;
use dualtrack_domain::jurisdiction::Scope;
use dualtrack_domain::time::{cst, reporting_day};
use dualtrack_domain::whistle::PlaceEvent;
use dualtrack_store::whistle::{self as store, NewPlaceEvent};
use std::collections::{HashMap, HashSet};

/// How far back a pass looks for hand-overs come due and fevers registered: what happened
/// before a server was down longer than this is not pushed any more.
const LOOK_BACK_DAYS: i64 = 2;

/// An event ready to write: what, where, the message and the record's page.
pub(crate) struct PlaceNote {
    pub kind: PlaceEvent,
    pub key: String,
    pub place_code: String,
    pub place_name: String,
    pub message: String,
    pub path: String,
}

impl App {
    /// Writes the events at places due by now (the application's clock) that were not
    /// written before. Returns how many this call wrote.
    pub async fn raise_place_events(&self, actor: &Actor) -> ServiceResult<u32> {
        let now = self.now();
        let mut notes = self.handovers_overdue(now).await?;
        notes.extend(self.reports_missing(now).await?);
        notes.extend(self.fevers_registered(now).await?);
        notes.extend(self.stock_running_short(now).await?);
        let mut known: HashMap<PlaceEvent, HashSet<String>> = HashMap::new();
        let mut written = 0;
        for n in notes {
            let keys = match known.entry(n.kind) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let since = now - Duration::days(LOOK_BACK_DAYS + 2);
                    let rows = store::event_keys_since(&self.db, n.kind.as_str(), since).await?;
                    e.insert(rows.into_iter().collect())
                }
            };
            if keys.contains(&n.key) {
                continue;
            }
            if self.write_place_event(actor, &n, now).await? {
                written += 1;
            }
        }
        Ok(written + self.push_briefings(actor, now).await?)
    }

    /// At the configured hour (or later that day), the briefing of yesterday for each
    /// leader's place: once a place and day, its headline paragraph with the link.
    async fn push_briefings(&self, actor: &Actor, now: DateTime<Utc>) -> ServiceResult<u32> {
        let Some(hour) = self.whistle.briefing_hour else {
            return Ok(0);
        };
        let local = now.with_timezone(&cst());
        if local.hour() < hour {
            return Ok(0);
        }
        let day = reporting_day(now) - Duration::days(1);
        let known: HashSet<String> = store::event_keys_since(
            &self.db,
            PlaceEvent::Briefing.as_str(),
            now - Duration::days(2),
        )
        .await?
        .into_iter()
        .collect();
        let mut reader = Actor::cli();
        reader.username = actor.username.clone();
        reader.display_name = actor.display_name.clone();
        let mut written = 0;
        for code in store::leader_places(&self.db).await? {
            let key = format!("briefing:{code}:{day}");
            if known.contains(&key) {
                continue;
            }
            let q = crate::command::CommandQuery {
                as_of: Some(day.to_string()),
                place: Some(code.clone()),
            };
            let b = match self.briefing(&reader, &q).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(place = %code, error = %e, "the daily briefing was not written");
                    continue;
                }
            };
            let headline = b
                .sections
                .first()
                .and_then(|s| s.paragraphs.first())
                .cloned()
                .unwrap_or_default();
            let n = PlaceNote {
                kind: PlaceEvent::Briefing,
                key,
                message: format!("{}{}：{headline}", b.title, b.subtitle),
                path: format!("/briefing?as_of={day}&place={code}"),
                place_code: code,
                place_name: b.place_name,
            };
            if self.write_place_event(actor, &n, now).await? {
                written += 1;
            }
        }
        Ok(written)
    }

    /// Writes one event with its deliveries and its audit row; false when its key was
    /// written before.
    pub(crate) async fn write_place_event(
        &self,
        actor: &Actor,
        n: &PlaceNote,
        at: DateTime<Utc>,
    ) -> ServiceResult<bool> {
        let row = NewPlaceEvent {
            key: n.key.clone(),
            kind: n.kind.as_str().into(),
            place_code: n.place_code.clone(),
            message: n.message.clone(),
            path: n.path.clone(),
        };
        let body = |id: i64| {
            serde_json::json!({
                "event_id": id,
                "event": n.kind.as_str(),
                "event_name": n.kind.zh(),
                "message": n.message,
                "place": n.place_code,
                "place_name": n.place_name,
                "path": n.path,
                "at": at.to_rfc3339(),
            })
            .to_string()
        };
        let mut tx = self.db.begin().await?;
        let opt_in = n.kind == PlaceEvent::Fever;
        if store::insert_place_event(&mut tx, &row, opt_in, at, &body)
            .await?
            .is_none()
        {
            return Ok(false);
        }
        // The event's key without its kind, which the audit row names in Chinese already.
        let target = n
            .key
            .split_once(':')
            .map_or(n.key.as_str(), |(_, rest)| rest);
        let audit = actor.audit(
            Action::ChannelEvent,
            Outcome::Success,
            n.kind.zh(),
            target.to_string(),
            Some(n.place_code.clone()),
            n.message.clone(),
        );
        commit_audited(tx, &audit).await?;
        Ok(true)
    }

    async fn handovers_overdue(&self, now: DateTime<Utc>) -> ServiceResult<Vec<PlaceNote>> {
        let since = now - Duration::days(LOOK_BACK_DAYS);
        let rows = store::overdue_handovers(&self.db, since, now).await?;
        Ok(rows
            .into_iter()
            .map(|h| PlaceNote {
                kind: PlaceEvent::HandoverOverdue,
                key: format!("handover_overdue:{}", h.id),
                message: format!(
                    "{}的落地交接 {}（{}推送）超时 {} 分钟未接收",
                    h.to_name,
                    h.id,
                    h.checkpoint_name,
                    (now - h.due_at).num_minutes()
                ),
                place_code: h.to_code,
                place_name: h.to_name,
                path: format!("/handovers/{}", h.id),
            })
            .collect())
    }

    /// The grids without a report for the last day whose deadline has passed.
    async fn reports_missing(&self, now: DateTime<Utc>) -> ServiceResult<Vec<PlaceNote>> {
        let yesterday = reporting_day(now) - Duration::days(1);
        let day = if report_deadline(yesterday, self.grid_report_due_hour) <= now {
            yesterday
        } else {
            yesterday - Duration::days(1)
        };
        let deadline = report_deadline(day, self.grid_report_due_hour);
        let filed: HashSet<String> =
            dualtrack_store::prevention::reports_on(&self.db, &Scope::All, day)
                .await?
                .into_iter()
                .map(|r| r.grid_code)
                .collect();
        let grids = dualtrack_store::prevention::grid_names(&self.db, &Scope::All).await?;
        Ok(grids
            .into_iter()
            .filter(|(code, _)| !filed.contains(code))
            .map(|(code, name)| PlaceNote {
                kind: PlaceEvent::ReportMissing,
                key: format!("report_missing:{code}:{day}"),
                message: format!(
                    "{name} {} 的网格日报截至 {} 未报送",
                    short_day(day),
                    deadline.with_timezone(&cst()).format("%m-%d %H:%M")
                ),
                path: format!("/grids/{code}"),
                place_code: code,
                place_name: name,
            })
            .collect())
    }

    async fn fevers_registered(&self, now: DateTime<Utc>) -> ServiceResult<Vec<PlaceNote>> {
        let since = now - Duration::days(LOOK_BACK_DAYS);
        let rows = store::fever_passages(&self.db, since, now).await?;
        let mut out = Vec::new();
        for p in rows {
            let place_name = self
                .name_of(&p.jurisdiction_code)
                .await?
                .unwrap_or_else(|| p.jurisdiction_code.clone());
            out.push(PlaceNote {
                kind: PlaceEvent::Fever,
                key: format!("fever:{}", p.id),
                message: format!(
                    "{}（{place_name}）{} 登记发热 {} 人",
                    p.checkpoint_name,
                    p.passed_at.with_timezone(&cst()).format("%m-%d %H:%M"),
                    p.fevers
                ),
                path: format!("/checkpoints/{}", p.checkpoint_id),
                place_code: p.jurisdiction_code,
                place_name,
            });
        }
        Ok(out)
    }

    /// The low-stock warnings of today, one a store, item and day.
    async fn stock_running_short(&self, now: DateTime<Utc>) -> ServiceResult<Vec<PlaceNote>> {
        let day = reporting_day(now);
        let lines = self.low_stock_everywhere(day).await?;
        Ok(lines
            .into_iter()
            .map(|l| PlaceNote {
                kind: PlaceEvent::LowStock,
                key: format!("low_stock:{}:{}:{day}", l.store_id, l.item_id),
                message: format!(
                    "{}{} 余 {} {}，按近期用量可用 {} 天，低于预警的 {} 天",
                    l.store_name,
                    l.item_name,
                    l.balance,
                    l.unit,
                    l.days_of_cover.map(|d| d.to_string()).unwrap_or_default(),
                    l.warn_days
                ),
                path: format!("/supplies/stores/{}", l.store_id),
                place_code: l.jurisdiction_code,
                place_name: l.place_name,
            })
            .collect())
    }
}

fn short_day(day: NaiveDate) -> String {
    day.format("%m-%d").to_string()
}
