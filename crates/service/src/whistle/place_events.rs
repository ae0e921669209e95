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
use dualtrack_domain::jurisdiction::{Code, Scope};
use dualtrack_domain::time::{cst, reporting_day};
use dualtrack_domain::whistle::PlaceEvent;
use dualtrack_store::whistle::{self as store, Followed, Mark, NewPlaceEvent};
use std::collections::{BTreeSet, HashSet};

/// How far back the first pass (with no mark yet) looks for hand-overs come due and fevers
/// registered; every later pass goes on from where the one before stopped, however long ago.
const LOOK_BACK_DAYS: i64 = 2;

/// How many missed days of reports a pass after a long stop still checks.
const REPORT_DAYS_BACK: i64 = 7;

/// The names of the scheduler's marks, one a search.
const MARK_HANDOVERS: &str = "handover_overdue";
const MARK_FEVERS: &str = "fever";
const MARK_REPORTS: &str = "report_missing";
const MARK_STOCK: &str = "low_stock";
const MARK_BRIEFING: &str = "briefing";

/// An event ready to write: what, where, the message and the record's page; and the file
/// sent with it to the robots that take files (its name and bytes).
pub(crate) struct PlaceNote {
    pub kind: PlaceEvent,
    pub key: String,
    pub place_code: String,
    pub place_name: String,
    pub message: String,
    pub path: String,
    pub file: Option<(String, Vec<u8>)>,
}

/// What a pass over the places did: the events it wrote, and how many rows its searches
/// looked at (new hand-overs and passages by their ids, hand-overs come due, grids and
/// reports of a day checked, stock lines moved) — none when nothing changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlacePass {
    pub written: u32,
    pub examined: u32,
}

/// What one search found, and where it stopped (to mark once its events are written).
#[derive(Default)]
struct Found {
    notes: Vec<PlaceNote>,
    examined: u32,
    mark: Option<(&'static str, Mark)>,
}

fn count(n: impl TryInto<u32>) -> u32 {
    n.try_into().unwrap_or(u32::MAX)
}

impl App {
    /// Writes the events at places due by now (the application's clock) that were not
    /// written before: each search reads only what is new since it last stopped.
    pub async fn raise_place_events(&self, actor: &Actor) -> ServiceResult<PlacePass> {
        let now = self.now();
        let mut pass = PlacePass::default();
        for found in [
            self.handovers_overdue(now).await?,
            self.reports_missing(now).await?,
            self.fevers_registered(now).await?,
            self.stock_running_short(now).await?,
        ] {
            pass.examined = pass.examined.saturating_add(found.examined);
            for n in &found.notes {
                if self.write_place_event(actor, n, now).await? {
                    pass.written += 1;
                }
            }
            if let Some((name, m)) = found.mark {
                store::set_mark(&self.db, name, &m).await?;
            }
        }
        pass.written += self.push_briefings(actor, now).await?;
        Ok(pass)
    }

    /// At the configured hour (or later that day), the briefing of yesterday for each
    /// leader's place: once a place and day, its headline paragraph with the link, and its Word
    /// document to the robots that take files. Once all places are written the day is marked
    /// with the places it covered; later rounds of the day read only the leaders' places (a
    /// few rows), and a place that gained a leader since gets that day's briefing then.
    async fn push_briefings(&self, actor: &Actor, now: DateTime<Utc>) -> ServiceResult<u32> {
        let Some(hour) = self.whistle.briefing_hour else {
            return Ok(0);
        };
        let local = now.with_timezone(&cst());
        if local.hour() < hour {
            return Ok(0);
        }
        let day = reporting_day(now) - Duration::days(1);
        let places = store::leader_places(&self.db).await?;
        let covering = places_fingerprint(&places);
        let mark = store::mark(&self.db, MARK_BRIEFING).await?;
        if mark
            .as_ref()
            .is_some_and(|m| m.day == Some(day) && m.last_id == covering)
        {
            return Ok(0);
        }
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
        let mut all_done = true;
        for code in places {
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
                    all_done = false;
                    continue;
                }
            };
            let headline = b
                .sections
                .first()
                .and_then(|s| s.paragraphs.first())
                .cloned()
                .unwrap_or_default();
            // The Word document as the briefing's download makes it, named alike.
            let file = crate::briefing::docx(&b)
                .map_err(|e| tracing::warn!(place = %code, error = %e, "the briefing's Word file was not made"))
                .ok()
                .map(|bytes| (format!("{}简报{}.docx", b.place_name, b.as_of), bytes));
            let n = PlaceNote {
                kind: PlaceEvent::Briefing,
                key,
                message: format!("{}{}：{headline}", b.title, b.subtitle),
                path: format!("/briefing?as_of={day}&place={code}"),
                place_code: code,
                place_name: b.place_name,
                file,
            };
            if self.write_place_event(actor, &n, now).await? {
                written += 1;
            }
        }
        if all_done {
            let m = Mark {
                day: Some(day),
                last_id: covering,
                ..Mark::default()
            };
            store::set_mark(&self.db, MARK_BRIEFING, &m).await?;
        }
        Ok(written)
    }

    /// Writes one event with its deliveries (and its file's, to the robots that take files)
    /// and its audit row; false when its key was written before.
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
        let body = |event: &str, name: &str, message: &str, file: Option<&str>| {
            let event = event.to_string();
            let name = name.to_string();
            let message = message.to_string();
            let file = file.map(str::to_string);
            move |id: i64| {
                let mut v = serde_json::json!({
                    "event_id": id,
                    "event": event,
                    "event_name": name,
                    "message": message,
                    "place": n.place_code,
                    "place_name": n.place_name,
                    "path": n.path,
                    "at": at.to_rfc3339(),
                });
                if let Some(f) = &file {
                    v["file_name"] = serde_json::Value::String(f.clone());
                }
                v.to_string()
            }
        };
        let mut tx = self.db.begin().await?;
        let opt_in = n.kind == PlaceEvent::Fever;
        let message = body(n.kind.as_str(), n.kind.zh(), &n.message, None);
        if store::insert_place_event(&mut tx, &row, opt_in, at, &message)
            .await?
            .is_none()
        {
            return Ok(false);
        }
        let mut detail = n.message.clone();
        if let Some((name, bytes)) = &n.file {
            let file_row = NewPlaceEvent {
                key: format!(
                    "{}_file{}",
                    n.kind.as_str(),
                    &n.key[n.kind.as_str().len()..]
                ),
                kind: store::FILE_KIND.into(),
                message: format!("{}（Word 文件）", n.kind.zh()),
                ..row.clone()
            };
            let file_body = body(
                store::FILE_KIND,
                &format!("{}（Word 文件）", n.kind.zh()),
                &format!(
                    "{}（Word 文件，{} KB）",
                    name.trim_end_matches(".docx"),
                    bytes.len().div_ceil(1024)
                ),
                Some(name),
            );
            let sent = store::insert_file_event(
                &mut tx,
                &file_row,
                n.kind.as_str(),
                name,
                bytes,
                at,
                &file_body,
            )
            .await?;
            if sent.is_some() {
                detail.push_str(&format!("；附 Word 文件 {name}"));
            }
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
            detail,
        );
        commit_audited(tx, &audit).await?;
        Ok(true)
    }

    /// The hand-overs still pending that came due since the last pass, and those written
    /// since then already due (a hand-over recorded late, from a phone's outbox).
    async fn handovers_overdue(&self, now: DateTime<Utc>) -> ServiceResult<Found> {
        let Some(upto) = store::last_id(&self.db, Followed::Handovers).await? else {
            // A writer of the table is still at it: looked for in the next round.
            return Ok(Found::default());
        };
        let (since, after) = match store::mark(&self.db, MARK_HANDOVERS).await? {
            Some(Mark {
                at: Some(at),
                last_id,
                ..
            }) => (at.min(now), last_id),
            _ => (now - Duration::days(LOOK_BACK_DAYS), upto),
        };
        let rows = if since < now || upto > after {
            store::overdue_handovers_since(&self.db, since, now, after, upto).await?
        } else {
            Vec::new()
        };
        let examined = count(rows.len()) + count((upto - after).max(0));
        let notes = rows
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
                file: None,
            })
            .collect();
        let mark = Mark {
            at: Some(now),
            last_id: upto.max(after),
            day: None,
        };
        Ok(Found {
            notes,
            examined,
            mark: Some((MARK_HANDOVERS, mark)),
        })
    }

    /// The grids without a report for a day whose deadline has passed: checked once a day
    /// (the days missed while the scheduler was down too, a week at most).
    async fn reports_missing(&self, now: DateTime<Utc>) -> ServiceResult<Found> {
        let yesterday = reporting_day(now) - Duration::days(1);
        let latest = if report_deadline(yesterday, self.grid_report_due_hour) <= now {
            yesterday
        } else {
            yesterday - Duration::days(1)
        };
        let first = match store::mark(&self.db, MARK_REPORTS)
            .await?
            .and_then(|m| m.day)
        {
            Some(d) if d >= latest => return Ok(Found::default()),
            Some(d) => (d + Duration::days(1)).max(latest - Duration::days(REPORT_DAYS_BACK - 1)),
            None => latest,
        };
        let grids = dualtrack_store::prevention::grid_names(&self.db, &Scope::All).await?;
        let mut found = Found::default();
        let mut day = first;
        while day <= latest {
            let deadline = report_deadline(day, self.grid_report_due_hour);
            let reports =
                dualtrack_store::prevention::reports_on(&self.db, &Scope::All, day).await?;
            found.examined += count(grids.len()) + count(reports.len());
            let filed: HashSet<String> = reports.into_iter().map(|r| r.grid_code).collect();
            found
                .notes
                .extend(grids.iter().filter(|(code, _)| !filed.contains(code)).map(
                    |(code, name)| PlaceNote {
                        kind: PlaceEvent::ReportMissing,
                        key: format!("report_missing:{code}:{day}"),
                        message: format!(
                            "{name} {} 的网格日报截至 {} 未报送",
                            short_day(day),
                            deadline.with_timezone(&cst()).format("%m-%d %H:%M")
                        ),
                        path: format!("/grids/{code}"),
                        place_code: code.clone(),
                        place_name: name.clone(),
                        file: None,
                    },
                ));
            day += Duration::days(1);
        }
        let mark = Mark {
            day: Some(latest),
            ..Mark::default()
        };
        found.mark = Some((MARK_REPORTS, mark));
        Ok(found)
    }

    /// The passages with fevers written since the last pass (the first pass: of the last
    /// two days), whatever time their phones gave them.
    async fn fevers_registered(&self, now: DateTime<Utc>) -> ServiceResult<Found> {
        let Some(upto) = store::last_id(&self.db, Followed::Passages).await? else {
            // A writer of the table is still at it: looked for in the next round.
            return Ok(Found::default());
        };
        let (rows, after) = match store::mark(&self.db, MARK_FEVERS).await? {
            Some(m) if upto > m.last_id => (
                store::fever_passages_after(&self.db, m.last_id, upto).await?,
                m.last_id,
            ),
            Some(m) => (Vec::new(), m.last_id),
            None => {
                let since = now - Duration::days(LOOK_BACK_DAYS);
                (store::fever_passages(&self.db, since, now).await?, upto)
            }
        };
        let mut found = Found {
            examined: count(rows.len()) + count((upto - after).max(0)),
            mark: Some((
                MARK_FEVERS,
                Mark {
                    last_id: upto.max(after),
                    ..Mark::default()
                },
            )),
            ..Found::default()
        };
        for p in rows {
            let place_name = self
                .name_of(&p.jurisdiction_code)
                .await?
                .unwrap_or_else(|| p.jurisdiction_code.clone());
            found.notes.push(PlaceNote {
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
                file: None,
            });
        }
        Ok(found)
    }

    /// The low-stock warnings of today, one a store, item and day: every store once a day,
    /// then only the lines whose stock moved since the last pass.
    async fn stock_running_short(&self, now: DateTime<Utc>) -> ServiceResult<Found> {
        let day = reporting_day(now);
        let Some(upto) = store::last_id(&self.db, Followed::StockMovements).await? else {
            // A writer of the table is still at it: looked for in the next round.
            return Ok(Found::default());
        };
        let lines = match store::mark(&self.db, MARK_STOCK).await? {
            Some(m) if m.day == Some(day) && upto <= m.last_id => return Ok(Found::default()),
            Some(m) if m.day == Some(day) => {
                let moved = store::moved_lines_after(&self.db, m.last_id, upto).await?;
                let pairs: HashSet<(i64, i64)> = moved.iter().map(|(s, i, _)| (*s, *i)).collect();
                let places: BTreeSet<&String> = moved.iter().map(|(_, _, c)| c).collect();
                let mut lines = Vec::new();
                for code in places {
                    let Ok(code) = Code::parse(code) else {
                        continue;
                    };
                    lines.extend(
                        self.low_stock_in(&Scope::Under(code), day)
                            .await?
                            .lines
                            .into_iter()
                            .filter(|l| pairs.contains(&(l.store_id, l.item_id))),
                    );
                }
                lines
            }
            _ => self.low_stock_in(&Scope::All, day).await?.lines,
        };
        let notes = lines
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
                file: None,
            })
            .collect::<Vec<_>>();
        let mark = Mark {
            day: Some(day),
            last_id: upto,
            at: None,
        };
        Ok(Found {
            examined: count(notes.len()),
            notes,
            mark: Some((MARK_STOCK, mark)),
        })
    }
}

fn short_day(day: NaiveDate) -> String {
    day.format("%m-%d").to_string()
}

/// A number that changes when the set of leaders' places (sorted) changes: the briefing's
/// mark keeps it, so that a place given a leader after the day's briefings is not passed by.
fn places_fingerprint(places: &[String]) -> i64 {
    places.iter().fold(places.len() as i64, |h, code| {
        h.wrapping_mul(1_000_003)
            .wrapping_add(code.parse::<i64>().unwrap_or(0))
    })
}
