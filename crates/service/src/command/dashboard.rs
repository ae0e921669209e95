//! The dashboard and the statistics of a place: each value with the day before, the places one
//! level down, and four weeks day by day.

use super::*;

impl App {
    /// The dashboard of a place (the caller's scope by default) as of a day: the sections
    /// the caller may read, each figure with the day before and a link to its records, the
    /// places one level down side by side, and four weeks day by day.
    /// Read on the standby when one is configured (see [`App::on_reader`]).
    pub async fn dashboard(&self, actor: &Actor, q: &CommandQuery) -> ServiceResult<Dashboard> {
        self.require(actor, Permission::ReadTree, "指挥视图", "dashboard")
            .await?;
        self.on_reader(|app| async move { app.read_dashboard(actor, q).await })
            .await
    }

    async fn read_dashboard(&self, actor: &Actor, q: &CommandQuery) -> ServiceResult<Dashboard> {
        let day = self.as_of_of(&q.as_of)?;
        let a = self.at_place(actor, &q.place).await?;
        // Independent reads, each on its own connection of the pool.
        let (today, before, place, path, series) = tokio::try_join!(
            self.snapshot(&a, day),
            self.snapshot(&a, day - Duration::days(1)),
            self.place_ref(&a),
            self.path_of(actor, &a),
            self.series_of(&a, day),
        )?;
        let sections = sections_of(&today, &before);
        Ok(Dashboard {
            as_of: day,
            place,
            path,
            sections,
            children: today.children,
            series,
        })
    }

    /// Every indicator of a place and day, by id (the `stats` command and API); read on the
    /// standby when one is configured.
    pub async fn stats(
        &self,
        actor: &Actor,
        q: &CommandQuery,
    ) -> ServiceResult<BTreeMap<String, FigureValue>> {
        self.require(actor, Permission::ReadTree, "指挥视图", "stats")
            .await?;
        self.on_reader(|app| async move { app.read_stats(actor, q).await })
            .await
    }

    async fn read_stats(
        &self,
        actor: &Actor,
        q: &CommandQuery,
    ) -> ServiceResult<BTreeMap<String, FigureValue>> {
        let day = self.as_of_of(&q.as_of)?;
        let a = self.at_place(actor, &q.place).await?;
        let (today, before) = tokio::try_join!(
            self.snapshot(&a, day),
            self.snapshot(&a, day - Duration::days(1)),
        )?;
        Ok(today
            .values
            .into_iter()
            .map(|(k, mut v)| {
                v.previous = before.values.get(&k).and_then(|b| b.value);
                (k.0.to_string(), v)
            })
            .collect())
    }

    pub(super) async fn place_ref(&self, a: &Actor) -> ServiceResult<PlaceRef> {
        let code = a.scope.code().map(|c| c.to_string()).unwrap_or_default();
        let name = match a.scope.code() {
            Some(c) => self.name_of(c.as_str()).await?.unwrap_or_default(),
            None => "全国".into(),
        };
        Ok(PlaceRef { code, name })
    }

    /// The places from the caller's own scope down to the one asked for.
    pub(super) async fn path_of(&self, actor: &Actor, a: &Actor) -> ServiceResult<Vec<PlaceRef>> {
        let Some(target) = a.scope.code() else {
            return Ok(vec![self.place_ref(a).await?]);
        };
        let top = actor.scope.code().map(|c| c.as_str().len()).unwrap_or(0);
        let mut out = Vec::new();
        for c in target.lineage() {
            if c.as_str().len() >= top {
                out.push(PlaceRef {
                    name: self.name_of(c.as_str()).await?.unwrap_or_default(),
                    code: c.to_string(),
                });
            }
        }
        Ok(out)
    }

    pub(super) async fn series_of(
        &self,
        a: &Actor,
        day: NaiveDate,
    ) -> ServiceResult<Vec<SeriesPoint>> {
        let from = day - Duration::days(27);
        let mut points: BTreeMap<NaiveDate, SeriesPoint> = (0..28)
            .map(|i| {
                let d = from + Duration::days(i);
                (
                    d,
                    SeriesPoint {
                        date: d,
                        resumption: None,
                        under_monitoring: None,
                        passages: None,
                    },
                )
            })
            .collect();
        let mut t = std::time::Instant::now();
        if a.can(Permission::ReadResumption) {
            let s = self
                .resumption_series(
                    a,
                    &SeriesQuery {
                        from: from.to_string(),
                        to: day.to_string(),
                        place: None,
                        industry: None,
                        by: None,
                    },
                )
                .await?;
            for r in &s.total.days {
                if let Some(p) = points.get_mut(&r.day) {
                    p.resumption = r.resumption.percent;
                }
            }
        }
        lap(&mut t, day, "series: resumption");
        if a.can(Permission::ReadMonitoring) {
            for (d, under) in self.monitoring_under_series(a, from, day).await? {
                if let Some(p) = points.get_mut(&d) {
                    p.under_monitoring = Some(under);
                }
            }
        }
        lap(&mut t, day, "series: monitoring");
        let level = a.scope.code().map(|c| c.level());
        if a.can(Permission::ReadCheckpoints)
            && matches!(
                level,
                None | Some(Level::Province | Level::Prefecture | Level::County)
            )
        {
            for l in self.passage_totals(a, from, day).await? {
                if let Some(p) = points.get_mut(&l.day) {
                    p.passages = Some(l.persons);
                }
            }
        }
        lap(&mut t, day, "series: checkpoints");
        Ok(points.into_values().collect())
    }

    /// The checkpoint counts of the (narrowed) scope for each day from `from` to `to` that
    /// has passages: the totals of [`App::checkpoint_counts`] for those days, read from the
    /// per-day rollup, or from the counts themselves for an account that sees only its own
    /// checkpoints.
    pub(super) async fn passage_totals(
        &self,
        a: &Actor,
        from: NaiveDate,
        to: NaiveDate,
    ) -> ServiceResult<Vec<PassageTotals>> {
        if restricted_to(a).is_some() {
            let c = self
                .checkpoint_counts(
                    a,
                    &CountsQuery {
                        from: Some(from.to_string()),
                        to: Some(to.to_string()),
                    },
                )
                .await?;
            let mut days: BTreeMap<NaiveDate, PassageTotals> = BTreeMap::new();
            for l in &c.by_day {
                let t = days
                    .entry(l.date)
                    .or_insert_with(|| PassageTotals::on(l.date));
                t.persons += l.counts.persons;
                t.fevers += l.counts.fevers;
                t.turned_back += l.counts.turned_back;
            }
            return Ok(days.into_values().collect());
        }
        self.require(a, Permission::ReadCheckpoints, "卡口", "counts")
            .await?;
        Ok(
            dualtrack_store::passage_days::by_day(&self.db, &a.scope, from, to)
                .await?
                .into_iter()
                .map(|r| PassageTotals {
                    day: r.day,
                    persons: r.persons,
                    fevers: r.fevers,
                    turned_back: r.turned_back,
                })
                .collect(),
        )
    }

    /// The grids of the (narrowed) scope.
    pub(super) async fn grids_in(&self, a: &Actor) -> ServiceResult<i64> {
        let Some(code) = a.scope.code() else {
            return Ok(0);
        };
        if code.level() == Level::Grid {
            return Ok(1);
        }
        let counts = dualtrack_store::jurisdiction::level_counts(&self.db, code).await?;
        Ok(counts
            .iter()
            .find(|(level, _)| Level::from_rank(*level) == Some(Level::Grid))
            .map(|(_, n)| *n)
            .unwrap_or(0))
    }

    /// Names of the temporary branches of the scope set up on the day.
    pub(super) async fn branches_set_up(
        &self,
        a: &Actor,
        day: NaiveDate,
    ) -> ServiceResult<Vec<String>> {
        Ok(dualtrack_store::mobilisation::orgs_set_up_on(
            &self.db,
            &a.scope,
            OrgKind::TempBranch.as_str(),
            day,
        )
        .await?)
    }
}
