//! Counts of passages by day and by county.

use super::*;

impl App {
    /// Counts per checkpoint and day, per county and in all, over a period.
    pub async fn checkpoint_counts(
        &self,
        actor: &Actor,
        q: &CountsQuery,
    ) -> ServiceResult<CheckpointCounts> {
        self.require(actor, Permission::ReadCheckpoints, "卡口", "counts")
            .await?;
        let from = match q.from.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(d) => parse_date("from", d)?,
            None => self.today(),
        };
        let to = match q.to.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(d) => parse_date("to", d)?,
            None => from,
        };
        if to < from {
            return Err(ServiceError::invalid("to", "截止日期不能早于起始日期"));
        }
        if to - from > Duration::days(366) {
            return Err(ServiceError::invalid("to", "一次最多统计 366 天"));
        }
        let staff = restricted_to(actor);
        let names: HashMap<i64, String> = store::checkpoints(&self.db, &actor.scope, staff)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect();
        let mut total = CountsView::default();
        let by_day: Vec<DayCountView> =
            store::counts_by_day(&self.db, &actor.scope, staff, from, to, self.now())
                .await?
                .into_iter()
                .map(|r| {
                    let counts: CountsView = r.counts.into();
                    total.add(&counts);
                    DayCountView {
                        checkpoint_name: names.get(&r.checkpoint_id).cloned().unwrap_or_default(),
                        checkpoint_id: r.checkpoint_id,
                        date: r.pass_date,
                        counts,
                    }
                })
                .collect();
        let rows =
            store::counts_by_county(&self.db, &actor.scope, staff, from, to, self.now()).await?;
        let counties: Vec<&str> = rows.iter().map(|r| r.county.as_str()).collect();
        let names = jurisdiction::names_of(&self.db, &counties).await?;
        let mut by_county = Vec::new();
        for r in rows {
            let county_name = names
                .get(&r.county)
                .cloned()
                .unwrap_or_else(|| r.county.clone());
            by_county.push(CountyCountView {
                county_code: r.county,
                county_name,
                counts: r.counts.into(),
            });
        }
        Ok(CheckpointCounts {
            from,
            to,
            total,
            by_day,
            by_county,
        })
    }
}
