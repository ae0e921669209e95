//! Balances as of a day, days of cover, low stock, shortfalls and the closing of days (日结).

use super::context::{round1, under, Lookup};
use super::*;
use crate::input::non_empty as opt_text;
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::{Duration, NaiveDate};
use dualtrack_domain::jurisdiction::Scope;
use dualtrack_domain::role::Permission;
use dualtrack_domain::supplies::{
    days_of_cover, shortfall, ItemCategory, NeedBasis, DEFAULT_NEED_HORIZON_DAYS, USE_WINDOW_DAYS,
};
use dualtrack_store::supplies::{self as store, BalanceRow, NeedRow};
use std::collections::{BTreeMap, HashMap};

/// The reads the supplies figures of a scope as of a day are computed from.
pub(super) struct SupplyState {
    pub(super) as_of: NaiveDate,
    pub(super) look: Lookup,
    pub(super) needs: Vec<NeedRow>,
    pub(super) balances: Vec<BalanceRow>,
    pub(super) transit: Vec<store::TransitRow>,
}

impl SupplyState {
    /// Need less stock less deliveries in transit, by place (or store) and item. A daily
    /// need counts for `horizon` days.
    pub(super) fn shortfalls(&self, horizon: i64) -> Shortfalls {
        let (look, balances, transit) = (&self.look, &self.balances, &self.transit);
        // (place, store, item) → (name, need)
        let mut groups: BTreeMap<(String, Option<i64>, i64), (String, i64)> = BTreeMap::new();
        for n in &self.needs {
            let amount = if n.basis == NeedBasis::Daily.as_str() {
                n.quantity.saturating_mul(horizon)
            } else {
                n.quantity
            };
            let e = groups
                .entry((n.jurisdiction_code.clone(), n.store_id, n.item_id))
                .or_insert((n.place_name.clone(), 0));
            e.1 += amount;
        }
        let store_code = |sid: i64| look.stores.get(&sid).map(|s| s.jurisdiction_code.as_str());
        // Stock and deliveries by item, so that each need looks at its item's stores only.
        let mut stock_of: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
        for b in balances {
            stock_of
                .entry(b.item_id)
                .or_default()
                .push((b.store_id, b.balance));
        }
        let mut transit_of: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
        for t in transit {
            transit_of
                .entry(t.item_id)
                .or_default()
                .push((t.store_id, t.in_transit));
        }
        let sum_within = |rows: Option<&Vec<(i64, i64)>>, within: &dyn Fn(i64) -> bool| -> i64 {
            rows.map(|r| r.iter().filter(|(s, _)| within(*s)).map(|(_, q)| q).sum())
                .unwrap_or(0)
        };
        let mut lines = Vec::new();
        for ((place, sid, item_id), (place_name, need)) in groups {
            let within = |s: i64| match sid {
                Some(only) => s == only,
                None => store_code(s).is_some_and(|c| under(c, &place)),
            };
            let stock = sum_within(stock_of.get(&item_id), &within);
            let in_transit = sum_within(transit_of.get(&item_id), &within);
            lines.push(ShortfallLine {
                place_code: place,
                place_name,
                store_name: sid.map(|s| look.store_name(s)),
                store_id: sid,
                item_name: look.item_name(item_id),
                unit: look.unit(item_id),
                item_id,
                need,
                stock,
                in_transit,
                shortfall: shortfall(need, stock, in_transit),
            });
        }
        lines.sort_by(|a, b| {
            (b.shortfall > 0)
                .cmp(&(a.shortfall > 0))
                .then(a.place_code.cmp(&b.place_code))
                .then(a.item_id.cmp(&b.item_id))
        });
        Shortfalls {
            as_of: self.as_of,
            horizon_days: horizon,
            lines,
        }
    }
}

/// What a run of closing the days of stock did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Closed {
    /// Days closed.
    pub days: u64,
    /// Transactions written.
    pub batches: u64,
}

impl App {
    /// Closes the days of stock (日结) through yesterday by the application's clock: the
    /// server does it hourly. The closings are derived from the movements, like the per-day
    /// rollup, so closing writes no record of its own. Returns the number of days closed.
    pub async fn close_stock_days(&self) -> ServiceResult<u64> {
        Ok(self.close_stock_days_in_batches().await?.days)
    }

    /// Closes the days of stock as [`App::close_stock_days`] does, a day at a time and each
    /// day [`App::job_batch`] pairs per transaction, so that movements wait for a batch at
    /// most; a day is recorded as closed in the transaction of its last batch.
    pub async fn close_stock_days_in_batches(&self) -> ServiceResult<Closed> {
        let yesterday = self.supplies_today().pred_opt().unwrap_or(NaiveDate::MIN);
        let mut closed = Closed::default();
        let Some((first, last)) = store::days_to_close(&self.db, yesterday).await? else {
            return Ok(closed);
        };
        let n = i64::try_from(self.job_batch.max(1)).unwrap_or(i64::MAX);
        for day in first.iter_days().take_while(|d| *d <= last) {
            let mut after = store::FIRST_PAIR;
            loop {
                // The last batch of the day runs to the end, pairs set up meanwhile with it.
                let upto = store::pairs_after(&self.db, after, n).await?;
                let mut tx = self.db.begin_job().await?;
                store::close_pairs(&mut tx, day, after, upto.unwrap_or(store::LAST_PAIR)).await?;
                if upto.is_none() {
                    store::mark_closed(&mut tx, day).await?;
                }
                tx.commit().await?;
                closed.batches += 1;
                match upto {
                    Some(u) => after = u,
                    None => break,
                }
            }
            closed.days += 1;
        }
        Ok(closed)
    }

    /// Balances of every store and item of the scope (or a place within it) as of a day,
    /// from the rollup kept with every movement.
    pub async fn supply_balances(
        &self,
        actor: &Actor,
        q: &BalancesQuery,
    ) -> ServiceResult<Balances> {
        self.require(actor, Permission::ReadSupplies, "物资结存", "list")
            .await?;
        let scope = self.narrowed(actor, &q.place).await?;
        let as_of = self.as_of(&q.as_of)?;
        let category = match opt_text(&q.category) {
            None => None,
            Some(c) => Some(ItemCategory::parse(&c).ok_or_else(|| {
                ServiceError::invalid("category", "类别应为 prevention 防疫物资 或 farm 农资")
            })?),
        };
        let look = self.lookup(&scope).await?;
        let rows = store::balances_as_of(&self.db, &scope, as_of, q.store_id).await?;
        let mut lines = Vec::new();
        let mut totals: BTreeMap<i64, i64> = BTreeMap::new();
        for r in rows {
            if q.item_id.is_some_and(|i| i != r.item_id) {
                continue;
            }
            let Some(item) = look.items.get(&r.item_id) else {
                continue;
            };
            if category.is_some_and(|c| c.as_str() != item.category) {
                continue;
            }
            let Some(s) = look.stores.get(&r.store_id) else {
                continue;
            };
            *totals.entry(r.item_id).or_default() += r.balance;
            lines.push(BalanceLine {
                store_id: r.store_id,
                store_name: s.name.clone(),
                jurisdiction_code: s.jurisdiction_code.clone(),
                place_name: s.place_name.clone(),
                item_id: r.item_id,
                item_name: item.name.clone(),
                unit: item.unit.clone(),
                balance: r.balance,
            });
        }
        let totals = totals
            .into_iter()
            .filter_map(|(id, balance)| {
                look.items.get(&id).map(|i| {
                    Ok(ItemTotal {
                        item_id: id,
                        item_name: i.name.clone(),
                        category: item_view(i)?.category,
                        unit: i.unit.clone(),
                        balance,
                    })
                })
            })
            .collect::<ServiceResult<_>>()?;
        Ok(Balances {
            as_of,
            lines,
            totals,
        })
    }

    /// Balances with days of cover at the use of the last fourteen days.
    pub(super) async fn cover_lines(
        &self,
        scope: &Scope,
        as_of: NaiveDate,
        look: &Lookup,
        balances: &[BalanceRow],
    ) -> ServiceResult<Vec<LowStockLine>> {
        let used: HashMap<(i64, i64), i64> = store::use_between(
            &self.db,
            scope,
            as_of - Duration::days(USE_WINDOW_DAYS),
            as_of,
        )
        .await?
        .into_iter()
        .map(|r| ((r.store_id, r.item_id), r.balance))
        .collect();
        let mut out = Vec::new();
        for &BalanceRow {
            store_id,
            item_id,
            balance,
        } in balances
        {
            let (Some(s), Some(item)) = (look.stores.get(&store_id), look.items.get(&item_id))
            else {
                continue;
            };
            let use_ = used.get(&(store_id, item_id)).copied().unwrap_or(0);
            let cover = days_of_cover(balance, use_, USE_WINDOW_DAYS);
            out.push(LowStockLine {
                store_id,
                store_name: s.name.clone(),
                jurisdiction_code: s.jurisdiction_code.clone(),
                place_name: s.place_name.clone(),
                item_id,
                item_name: item.name.clone(),
                unit: item.unit.clone(),
                balance,
                daily_use: round1(use_ as f64 / USE_WINDOW_DAYS as f64),
                days_of_cover: cover.map(round1),
                warn_days: item.warn_days,
                low: cover.is_some_and(|c| c < item.warn_days as f64),
            });
        }
        Ok(out)
    }

    /// Stores whose stock of an item lasts fewer days than the item's warning at the use of
    /// the last fourteen days: shown to the store's place and every level above it.
    pub async fn low_stock(&self, actor: &Actor, q: &LowStockQuery) -> ServiceResult<LowStock> {
        self.require(actor, Permission::ReadSupplies, "物资预警", "list")
            .await?;
        let scope = self.narrowed(actor, &q.place).await?;
        let as_of = self.as_of(&q.as_of)?;
        self.low_stock_in(&scope, as_of).await
    }

    /// The stores' items within a scope that last fewer days than their warning, as of a day
    /// (the page's warning, and what the channels carry as shortfalls: the whole region once
    /// a day, the places where stock moved in between).
    pub(crate) async fn low_stock_in(
        &self,
        scope: &Scope,
        as_of: NaiveDate,
    ) -> ServiceResult<LowStock> {
        let look = self.lookup(scope).await?;
        let balances = store::balances_as_of(&self.db, scope, as_of, None).await?;
        self.low_stock_of(scope, as_of, &look, &balances).await
    }

    async fn low_stock_of(
        &self,
        scope: &Scope,
        as_of: NaiveDate,
        look: &Lookup,
        balances: &[BalanceRow],
    ) -> ServiceResult<LowStock> {
        let mut lines: Vec<LowStockLine> = self
            .cover_lines(scope, as_of, look, balances)
            .await?
            .into_iter()
            .filter(|l| l.low)
            .collect();
        lines.sort_by(|a, b| {
            a.days_of_cover
                .unwrap_or(f64::MAX)
                .total_cmp(&b.days_of_cover.unwrap_or(f64::MAX))
                .then(a.store_id.cmp(&b.store_id))
        });
        Ok(LowStock {
            as_of,
            window_days: USE_WINDOW_DAYS,
            lines,
        })
    }

    /// What the supplies figures of a scope as of a day are computed from, read once.
    pub(super) async fn supply_state(
        &self,
        scope: &Scope,
        as_of: NaiveDate,
    ) -> ServiceResult<SupplyState> {
        Ok(SupplyState {
            as_of,
            look: self.lookup(scope).await?,
            needs: store::needs(&self.db, scope, Some(as_of)).await?,
            balances: store::balances_as_of(&self.db, scope, as_of, None).await?,
            transit: store::transit_as_of(&self.db, scope, as_of).await?,
        })
    }

    /// The three supplies figures of the command view (shortfalls at the default horizon,
    /// low stock and spring farming) for the caller's scope as of a day, from one read of
    /// the balances, needs and deliveries.
    pub(crate) async fn supply_figures(
        &self,
        actor: &Actor,
        as_of: NaiveDate,
    ) -> ServiceResult<(Shortfalls, LowStock, SpringFarming)> {
        self.require(actor, Permission::ReadSupplies, "物资保障", "figures")
            .await?;
        let scope = actor.scope.clone();
        let st = self.supply_state(&scope, as_of).await?;
        let low = self
            .low_stock_of(&scope, as_of, &st.look, &st.balances)
            .await?;
        let farm = self.spring_farming_of(&scope, &st).await?;
        Ok((st.shortfalls(DEFAULT_NEED_HORIZON_DAYS), low, farm))
    }

    /// Need less stock less deliveries in transit, by place (or store) and item, as of a
    /// day. A daily need counts for `horizon_days` days (a week by default).
    pub async fn shortfalls(&self, actor: &Actor, q: &ShortfallQuery) -> ServiceResult<Shortfalls> {
        self.require(actor, Permission::ReadSupplies, "物资缺口", "list")
            .await?;
        let scope = self.narrowed(actor, &q.place).await?;
        let as_of = self.as_of(&q.as_of)?;
        let horizon = q.horizon_days.unwrap_or(DEFAULT_NEED_HORIZON_DAYS);
        if !(1..=366).contains(&horizon) {
            return Err(ServiceError::invalid("horizon_days", "天数应为 1 到 366"));
        }
        Ok(self.supply_state(&scope, as_of).await?.shortfalls(horizon))
    }
}
