//! Cases overdue and due, and the figures of a place and day.

use super::*;

impl App {
    /// Active cases of the scope whose follow-up is overdue now, the longest first.
    pub async fn overdue_cases(
        &self,
        actor: &Actor,
        q: &OverdueQuery,
    ) -> ServiceResult<OverdueList> {
        self.require(actor, Permission::ReadMonitoring, "隔离监测对象", "overdue")
            .await?;
        let now = self.now();
        let scope = self.narrowed(actor, &q.place).await?;
        let count = store::count_due(&self.db, &scope, now).await?;
        let rows = store::due(&self.db, &scope, now, q.limit.unwrap_or(50).clamp(1, 500)).await?;
        let rows = self.crypto.opened_all(rows)?;
        Ok(OverdueList {
            at: now,
            count,
            cases: rows
                .into_iter()
                .map(|r| case_view(r, now))
                .collect::<ServiceResult<_>>()?,
        })
    }

    /// The day's work list: active cases of the scope overdue or due before the end of
    /// today (China Standard Time), the longest overdue first.
    pub async fn due_cases(&self, actor: &Actor, limit: i64) -> ServiceResult<Vec<CaseView>> {
        self.require(actor, Permission::ReadMonitoring, "隔离监测对象", "due")
            .await?;
        let now = self.now();
        let tomorrow = dualtrack_domain::time::reporting_day(now) + Duration::days(1);
        let end_of_today = tomorrow
            .and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(dualtrack_domain::time::cst()).single())
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or(now);
        let rows = store::due(&self.db, &actor.scope, end_of_today, limit.clamp(1, 500)).await?;
        let rows = self.crypto.opened_all(rows)?;
        rows.into_iter().map(|r| case_view(r, now)).collect()
    }

    /// People under monitoring as of a day by place and kind, with those started and
    /// released that day: by county for a prefecture or wider, by township within a county
    /// (both from the rollup), by village within a township and the place itself below
    /// (counted from the cases).
    pub async fn monitoring_figures(
        &self,
        actor: &Actor,
        q: &FiguresQuery,
    ) -> ServiceResult<MonitoringFigures> {
        self.require(actor, Permission::ReadMonitoring, "隔离监测对象", "figures")
            .await?;
        let as_of = match q.as_of.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => reporting_day(self.now()),
            Some(s) => parse_date("as_of", s)?,
        };
        let scope = self.narrowed(actor, &q.place).await?;
        let len = scope.code().map(|c| c.as_str().len()).unwrap_or(0);
        let (by, rows) = match len {
            0..=4 => (
                "county",
                store::figures_from_rollup(&self.db, &scope, 6, as_of).await?,
            ),
            6 => (
                "township",
                store::figures_from_rollup(&self.db, &scope, 9, as_of).await?,
            ),
            9 => (
                "village",
                store::figures_from_cases(&self.db, &scope, 12, as_of).await?,
            ),
            n => (
                "place",
                store::figures_from_cases(&self.db, &scope, n as i32, as_of).await?,
            ),
        };
        let mut grouped: BTreeMap<String, Vec<&PlaceKindFigure>> = BTreeMap::new();
        for r in &rows {
            grouped.entry(r.place.clone()).or_default().push(r);
        }
        let codes: Vec<String> = grouped.keys().cloned().collect();
        let names = dualtrack_store::jurisdiction::names_of(&self.db, &codes).await?;
        let places: Vec<PlaceFigures> = grouped
            .iter()
            .map(|(code, rs)| {
                let kinds = kind_figures(rs);
                PlaceFigures {
                    code: code.clone(),
                    name: names.get(code).cloned().unwrap_or_else(|| code.clone()),
                    under: kinds.iter().map(|k| k.under).sum(),
                    started: kinds.iter().map(|k| k.started).sum(),
                    released: kinds.iter().map(|k| k.released).sum(),
                    kinds,
                }
            })
            .collect();
        let all: Vec<&PlaceKindFigure> = rows.iter().collect();
        let totals = kind_figures(&all);
        Ok(MonitoringFigures {
            as_of,
            scope: scope.code().map(|c| c.to_string()).unwrap_or_default(),
            by: by.into(),
            under: totals.iter().map(|k| k.under).sum(),
            started: totals.iter().map(|k| k.started).sum(),
            released: totals.iter().map(|k| k.released).sum(),
            places,
            totals,
        })
    }

    /// People under monitoring in the caller's scope as of each day from `from` to `to`:
    /// the `under` of [`App::monitoring_figures`] for each of those days, read from the
    /// rollup in one pass where the figures come from it (a county and above).
    pub async fn monitoring_under_series(
        &self,
        actor: &Actor,
        from: NaiveDate,
        to: NaiveDate,
    ) -> ServiceResult<Vec<(NaiveDate, i64)>> {
        self.require(actor, Permission::ReadMonitoring, "隔离监测对象", "figures")
            .await?;
        let days = (to - from).num_days();
        if !(0..=400).contains(&days) {
            return Err(ServiceError::invalid("to", "一次最多查询 400 天"));
        }
        let level = match actor.scope.code().map(|c| c.as_str().len()).unwrap_or(0) {
            0..=4 => 6,
            6 => 9,
            _ => {
                let mut out = Vec::new();
                for i in 0..=days {
                    let d = from + Duration::days(i);
                    let q = FiguresQuery {
                        as_of: Some(d.to_string()),
                        place: None,
                    };
                    out.push((d, self.monitoring_figures(actor, &q).await?.under));
                }
                return Ok(out);
            }
        };
        let deltas = store::under_deltas(&self.db, &actor.scope, level, to).await?;
        let mut out = Vec::new();
        let mut under = 0;
        let mut next = deltas.iter().peekable();
        for i in 0..=days {
            let d = from + Duration::days(i);
            while let Some((_, n)) = next.next_if(|(day, _)| *day <= d) {
                under += n;
            }
            out.push((d, under));
        }
        Ok(out)
    }
}
