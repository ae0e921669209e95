//! Figures of tickets: response and resolution by department and by place.

use super::views::opt;
use super::*;
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use dualtrack_domain::jurisdiction::Level;
use dualtrack_domain::role::Permission;
use dualtrack_domain::time::{cst, reporting_day};
use dualtrack_domain::whistle::{percentiles, satisfied};
use dualtrack_store::whistle::{self as store};
use std::collections::{BTreeMap, BTreeSet};

/// Sums over the called departments of some tickets.
#[derive(Default)]
struct Acc {
    calls: i64,
    accepted: i64,
    resolved: i64,
    response: Vec<i64>,
    resolution: Vec<i64>,
    overdue: i64,
    ratings: Vec<i32>,
}

impl Acc {
    fn add(&mut self, r: &store::FigureRow, now: DateTime<Utc>) {
        self.calls += 1;
        if let Some(a) = r.accepted_at {
            self.accepted += 1;
            self.response.push((a - r.called_at).num_minutes());
        }
        if let Some(x) = r.resolved_at {
            self.resolved += 1;
            self.resolution.push((x - r.called_at).num_minutes());
        }
        let accept_late = match r.accepted_at {
            Some(a) => a > r.accept_due_at,
            None => now > r.accept_due_at,
        };
        let resolve_late = match r.resolved_at {
            Some(x) => x > r.resolve_due_at,
            None => r.ticket_status != "closed" && now > r.resolve_due_at,
        };
        if accept_late || resolve_late {
            self.overdue += 1;
        }
    }

    fn rate(&mut self, x: i32) {
        self.ratings.push(x);
    }

    fn figure(self) -> Figure {
        let (rm, rp) = percentiles(self.response);
        let (sm, sp) = percentiles(self.resolution);
        let rated = self.ratings.len() as i64;
        let pct = |n: i64, d: i64| (d > 0).then(|| (n as f64 * 1000.0 / d as f64).round() / 10.0);
        Figure {
            calls: self.calls,
            accepted: self.accepted,
            resolved: self.resolved,
            response_median_minutes: rm,
            response_p90_minutes: rp,
            resolution_median_minutes: sm,
            resolution_p90_minutes: sp,
            overdue: self.overdue,
            overdue_rate: pct(self.overdue, self.calls),
            rated,
            rating_average: (rated > 0).then(|| {
                (self.ratings.iter().map(|x| f64::from(*x)).sum::<f64>() / rated as f64 * 10.0)
                    .round()
                    / 10.0
            }),
            satisfaction_rate: pct(
                self.ratings.iter().filter(|x| satisfied(**x)).count() as i64,
                rated,
            ),
        }
    }
}

impl App {
    /// Response and resolution times (median, 90th percentile), overdue rate and
    /// satisfaction by department and by county (or township) over a period, and the
    /// whistle rate per grid — computed from the tickets.
    pub async fn whistle_figures(
        &self,
        actor: &Actor,
        q: &WhistleFiguresQuery,
    ) -> ServiceResult<WhistleFigures> {
        self.require(actor, Permission::ReadWhistleFigures, "吹哨统计", "figures")
            .await?;
        let now = self.now();
        let today = reporting_day(now);
        let (from, to) = period_of(q, today)?;
        let scope = self.narrowed(actor, &q.place).await?;
        let start = |d: NaiveDate| {
            cst()
                .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
                .single()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| self.clock.now())
        };
        let (a, b) = (start(from), start(to + Duration::days(1)));
        let rows = store::figure_rows(&self.db, &scope, a, b).await?;
        let grid_counts = store::grid_tickets(&self.db, &scope, a, b).await?;
        let grids = store::grid_codes(&self.db, &scope).await?;
        // Group places one level below the scope (county under a prefecture, township under
        // a county), at most township.
        let group_len = match scope.code().map(|c| c.level()) {
            None | Some(Level::Province) => 4,
            Some(Level::Prefecture) => 6,
            _ => 9,
        };
        let group = |code: &str| code[..group_len.min(code.len())].to_string();
        let mut total = Acc::default();
        let mut by_dept: BTreeMap<(String, String, i64), Acc> = BTreeMap::new();
        let mut by_place: BTreeMap<String, Acc> = BTreeMap::new();
        let mut tickets: BTreeMap<i64, (String, bool, bool, Option<i32>)> = BTreeMap::new();
        for r in &rows {
            total.add(r, now);
            by_dept
                .entry((
                    r.department_code.clone(),
                    r.department_name.clone(),
                    r.department_id,
                ))
                .or_default()
                .add(r, now);
            by_place
                .entry(group(&r.jurisdiction_code))
                .or_default()
                .add(r, now);
            tickets.insert(
                r.ticket_id,
                (
                    r.jurisdiction_code.clone(),
                    r.ticket_status == "closed",
                    r.escalations > 0,
                    r.rating,
                ),
            );
        }
        for (_, (code, _, _, rating)) in tickets.iter() {
            if let Some(x) = rating {
                total.rate(*x);
                by_place.entry(group(code)).or_default().rate(*x);
            }
        }
        // Ratings by department: every department called on a rated ticket.
        let mut seen: BTreeSet<(i64, i64)> = BTreeSet::new();
        for r in &rows {
            if let Some(x) = r.rating {
                if seen.insert((r.ticket_id, r.department_id)) {
                    if let Some(acc) = by_dept.get_mut(&(
                        r.department_code.clone(),
                        r.department_name.clone(),
                        r.department_id,
                    )) {
                        acc.rate(x);
                    }
                }
            }
        }
        let mut place_grids: BTreeMap<String, i64> = BTreeMap::new();
        for g in &grids {
            *place_grids.entry(group(g)).or_default() += 1;
        }
        let mut place_grid_tickets: BTreeMap<String, i64> = BTreeMap::new();
        for (code, n) in &grid_counts {
            *place_grid_tickets.entry(group(code)).or_default() += n;
        }
        let mut codes: BTreeSet<String> = by_place.keys().cloned().collect();
        codes.extend(place_grids.keys().cloned());
        let names = dualtrack_store::jurisdiction::names_of(
            &self.db,
            &codes.iter().map(String::as_str).collect::<Vec<_>>(),
        )
        .await?;
        let rate = |n: i64, d: i64| (d > 0).then(|| (n as f64 / d as f64 * 100.0).round() / 100.0);
        let places = codes
            .into_iter()
            .map(|c| {
                let acc = by_place.remove(&c).unwrap_or_default();
                let mine: Vec<_> = tickets.values().filter(|t| group(&t.0) == c).collect();
                let g = place_grids.get(&c).copied().unwrap_or(0);
                let gt = place_grid_tickets.get(&c).copied().unwrap_or(0);
                PlaceFigure {
                    name: names.get(&c).cloned().unwrap_or_else(|| c.clone()),
                    code: c,
                    tickets: mine.len() as i64,
                    escalated: mine.iter().filter(|t| t.2).count() as i64,
                    grid_tickets: gt,
                    grids: g,
                    whistle_rate: rate(gt, g),
                    figure: acc.figure(),
                }
            })
            .collect();
        let grid_total: i64 = grid_counts.iter().map(|(_, n)| n).sum();
        Ok(WhistleFigures {
            from,
            to,
            scope: scope.code().map(|c| c.to_string()).unwrap_or_default(),
            tickets: tickets.len() as i64,
            closed: tickets.values().filter(|t| t.1).count() as i64,
            escalated: tickets.values().filter(|t| t.2).count() as i64,
            grid_tickets: grid_total,
            grids: grids.len() as i64,
            whistle_rate: rate(grid_total, grids.len() as i64),
            total: total.figure(),
            departments: by_dept
                .into_iter()
                .map(|((code, name, id), acc)| DepartmentFigure {
                    department_id: id,
                    department_name: name,
                    jurisdiction_code: code,
                    figure: acc.figure(),
                })
                .collect(),
            places,
        })
    }
}

/// The days a query asks for: up to today by default, the 30 days before the last; at most
/// ten years.
fn period_of(q: &WhistleFiguresQuery, today: NaiveDate) -> ServiceResult<(NaiveDate, NaiveDate)> {
    let to = match opt(&q.to) {
        None => today,
        Some(s) => crate::input::parse_date("to", s)?,
    };
    let from = match opt(&q.from) {
        None => to - Duration::days(29),
        Some(s) => crate::input::parse_date("from", s)?,
    };
    if from > to {
        return Err(ServiceError::invalid("from", "起始日期不能晚于截止日期"));
    }
    if (to - from).num_days() > 3660 {
        return Err(ServiceError::invalid("from", "统计期间至多十年"));
    }
    Ok((from, to))
}
