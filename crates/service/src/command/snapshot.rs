//! The values of every indicator the caller may read, for a place and a day, section by section.

use super::*;
use tracks::{mobilisation, prevention, resumption, supplies, whistle};

/// The place and day a snapshot is taken for, as each section reads them.
struct At<'a> {
    a: &'a Actor,
    day: NaiveDate,
    /// The day as text, for the queries and links.
    d: String,
    /// The code of the place, empty for the whole country.
    place: String,
    level: Option<Level>,
}

/// The line of the place `code` below, added (named `name`) if it is not there yet.
fn child<'a>(
    children: &'a mut BTreeMap<String, ChildLine>,
    code: &str,
    name: &str,
) -> &'a mut ChildLine {
    children
        .entry(code.to_string())
        .or_insert_with(|| ChildLine {
            code: code.to_string(),
            name: name.to_string(),
            resumption: None,
            under_monitoring: None,
            grid_expected: None,
            grid_on_time: None,
            handovers_pending: None,
        })
}

impl App {
    /// The caller narrowed to a place of its scope (itself when none is asked for).
    pub(crate) async fn at_place(
        &self,
        actor: &Actor,
        place: &Option<String>,
    ) -> ServiceResult<Actor> {
        let mut a = actor.clone();
        a.scope = self.narrowed(actor, place).await?;
        Ok(a)
    }

    pub(crate) fn as_of_of(&self, raw: &Option<String>) -> ServiceResult<NaiveDate> {
        match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(reporting_day(self.now())),
            Some(s) => parse_date("as_of", s),
        }
    }

    /// Every indicator the caller may read, for its (narrowed) scope and a day.
    pub async fn snapshot(&self, a: &Actor, day: NaiveDate) -> ServiceResult<Snapshot> {
        let mut s = Snapshot::default();
        let at = At {
            a,
            day,
            d: day.to_string(),
            place: a.scope.code().map(|c| c.to_string()).unwrap_or_default(),
            level: a.scope.code().map(|c| c.level()),
        };
        let place = &at.place;
        let mut children: BTreeMap<String, ChildLine> = BTreeMap::new();
        let mut t = std::time::Instant::now();
        self.snapshot_monitoring(&at, &mut s, &mut children).await?;
        lap(&mut t, day, "monitoring");
        self.snapshot_checkpoints(&at, &mut s).await?;
        lap(&mut t, day, "checkpoints");
        self.snapshot_grid_work(&at, &mut s, &mut children).await?;
        lap(&mut t, day, "grid reports and hand-overs");
        self.snapshot_resumption(&at, &mut s, &mut children).await?;
        lap(&mut t, day, "resumption");
        self.snapshot_mobilisation(&at, &mut s).await?;
        lap(&mut t, day, "mobilisation");
        self.snapshot_whistle(&at, &mut s).await?;
        lap(&mut t, day, "whistle");
        self.snapshot_supplies(&at, &mut s).await?;
        lap(&mut t, day, "supplies");
        if a.can(Permission::ReadTree) {
            let grids = self.grids_in(a).await?;
            s.values
                .extend([count(mobilisation::GRIDS, grids, format!("/tree/{place}"))]);
        }
        lap(&mut t, day, "grids");
        s.children = children
            .into_values()
            .map(|mut c| {
                // Records kept at the place itself rather than at a place below (enterprises
                // registered with the county, say) are its "本级", as offices write it.
                if &c.code == place {
                    c.name = format!("{}本级", c.name);
                }
                c
            })
            .collect();
        Ok(s)
    }

    /// Persons under medical observation, by kind and by place below.
    async fn snapshot_monitoring(
        &self,
        at: &At<'_>,
        s: &mut Snapshot,
        children: &mut BTreeMap<String, ChildLine>,
    ) -> ServiceResult<()> {
        let (a, d, place) = (at.a, &at.d, &at.place);
        if a.can(Permission::ReadMonitoring) {
            let m = self
                .monitoring_figures(
                    a,
                    &FiguresQuery {
                        as_of: Some(d.clone()),
                        place: None,
                    },
                )
                .await?;
            let link = format!("/monitoring?as_of={d}&place={place}");
            s.values.extend([
                count(prevention::UNDER_MONITORING, m.under, link.clone()),
                count(prevention::STARTED, m.started, link.clone()),
                count(prevention::RELEASED, m.released, link.clone()),
            ]);
            for k in &m.totals {
                let id = match k.kind {
                    CaseKind::Home => prevention::HOME,
                    CaseKind::Central => prevention::CENTRAL,
                    CaseKind::Health => prevention::HEALTH,
                };
                s.values.insert(
                    id,
                    count(
                        id,
                        k.under,
                        format!("/monitoring/cases?kind={}", k.kind.as_str()),
                    )
                    .1,
                );
            }
            for p in &m.places {
                let line = child(children, &p.code, &p.name);
                line.under_monitoring = Some(p.under);
            }
        }
        Ok(())
    }

    /// Passages, fevers and persons turned back at the checkpoints (county level and above).
    async fn snapshot_checkpoints(&self, at: &At<'_>, s: &mut Snapshot) -> ServiceResult<()> {
        let (a, day, d, level) = (at.a, at.day, &at.d, at.level);
        if a.can(Permission::ReadCheckpoints)
            && matches!(
                level,
                None | Some(Level::Province | Level::Prefecture | Level::County)
            )
        {
            let c = self
                .passage_totals(a, day, day)
                .await?
                .into_iter()
                .next()
                .unwrap_or(PassageTotals::on(day));
            let link = format!("/checkpoints?from={d}&to={d}");
            s.values.extend([
                count(prevention::PASSAGES, c.persons, link.clone()),
                count(prevention::FEVERS, c.fevers, link.clone()),
                count(prevention::TURNED_BACK, c.turned_back, link),
            ]);
        }
        Ok(())
    }

    /// Grid reports on time and hand-overs made and overdue, by place below.
    async fn snapshot_grid_work(
        &self,
        at: &At<'_>,
        s: &mut Snapshot,
        children: &mut BTreeMap<String, ChildLine>,
    ) -> ServiceResult<()> {
        let (a, d, place) = (at.a, &at.d, &at.place);
        if a.can(Permission::ReadGridWork) {
            let g = self
                .grid_report_rollup(
                    a,
                    &RollupQuery {
                        date: d.clone(),
                        code: None,
                    },
                )
                .await?;
            s.values.extend([ratio(
                prevention::GRID_ON_TIME,
                &percent_of(g.total.on_time, g.total.expected),
                format!("/prevention?date={d}&code={place}"),
            )]);
            for p in &g.places {
                let line = child(children, &p.code, &p.name);
                line.grid_expected = Some(p.expected);
                line.grid_on_time = Some(p.on_time);
            }
            let h = self
                .handover_figures(
                    a,
                    &HandoverFiguresQuery {
                        date: Some(d.clone()),
                        place: None,
                    },
                )
                .await?;
            s.values.extend([
                count(
                    prevention::HANDOVERS_MADE,
                    h.total.made,
                    format!("/handovers?place={place}"),
                ),
                count(
                    prevention::HANDOVERS_OVERDUE,
                    h.total.overdue,
                    format!("/handovers?which=overdue&place={place}"),
                ),
            ]);
            for p in &h.places {
                let line = child(children, &p.code, &p.name);
                line.handovers_pending = Some(p.pending);
            }
        }
        Ok(())
    }

    /// Rates of resumption by place below and, at county level and above, major projects,
    /// key production and work groups.
    async fn snapshot_resumption(
        &self,
        at: &At<'_>,
        s: &mut Snapshot,
        children: &mut BTreeMap<String, ChildLine>,
    ) -> ServiceResult<()> {
        let (a, day, d, place, level) = (at.a, at.day, &at.d, &at.place, at.level);
        if a.can(Permission::ReadResumption) {
            let r = self
                .resumption_rates_for(
                    a,
                    &RatesQuery {
                        as_of: d.clone(),
                        place: None,
                        industry: None,
                    },
                )
                .await?;
            let link = format!("/resumption?as_of={d}&place={place}");
            s.values.extend([
                ratio(resumption::RATE, &r.total.resumption, link.clone()),
                ratio(
                    resumption::RETURN_TO_WORK,
                    &r.total.return_to_work,
                    link.clone(),
                ),
                ratio(resumption::CAPACITY, &r.total.capacity, link.clone()),
                count(resumption::REGISTERED, r.total.registered, link),
            ]);
            let lines = if matches!(level, Some(Level::County)) {
                &r.townships
            } else {
                &r.counties
            };
            let names = self
                .handover_names(&lines.iter().map(|l| l.code.clone()).collect::<Vec<_>>())
                .await?;
            for l in lines {
                let name = names.get(&l.code).cloned().unwrap_or_default();
                let line = child(children, &l.code, &name);
                line.resumption = Some(l.resumption.clone());
            }
            if matches!(
                level,
                None | Some(Level::Province | Level::Prefecture | Level::County)
            ) {
                let p = self.project_rates(a, d).await?;
                let link = format!("/projects?as_of={d}");
                s.values.extend([
                    ratio(
                        resumption::PROJECTS_STARTED,
                        &p.total.start_rate_all,
                        link.clone(),
                    ),
                    ratio(resumption::INVESTMENT, &p.total.investment_rate, link),
                ]);
                s.projects_started = p
                    .projects
                    .iter()
                    .filter(|l| l.started_on == Some(day))
                    .map(|l| l.name.clone())
                    .collect();
                s.projects_planned_next = p
                    .projects
                    .iter()
                    .filter(|l| {
                        l.started_on.is_none() && l.planned_start == day + Duration::days(1)
                    })
                    .map(|l| l.name.clone())
                    .collect();
                let k = self.key_production(a, d, None).await?;
                let (out, cap) = k.plants.iter().fold((0, 0), |(o, c), p| {
                    (o + p.day_output.unwrap_or(0), c + p.design_capacity)
                });
                if !k.plants.is_empty() {
                    s.values.extend([ratio(
                        resumption::KEY_CAPACITY,
                        &percent_of(out, cap),
                        format!("/key-production?as_of={d}"),
                    )]);
                }
                let w = self
                    .work_groups(
                        a,
                        &WorkGroupsQuery {
                            as_of: Some(d.clone()),
                        },
                    )
                    .await?;
                let link = format!("/work-groups?as_of={d}");
                s.values.extend([
                    count(mobilisation::WORK_GROUPS, w.groups_stationed, link.clone()),
                    count(mobilisation::WORK_GROUP_CADRES, w.cadres_stationed, link),
                ]);
            }
        }
        Ok(())
    }

    /// Organisations by kind, people on duty, returns, applications and registrations.
    async fn snapshot_mobilisation(&self, at: &At<'_>, s: &mut Snapshot) -> ServiceResult<()> {
        let (a, day, d) = (at.a, at.day, &at.d);
        if a.can(Permission::ReadMobilisation) {
            let m = self.mobilisation_figures(a, d).await?;
            let by_kind = |k: OrgKind| -> i64 {
                m.organisations
                    .iter()
                    .filter(|o| o.kind == k)
                    .map(|o| o.count)
                    .sum()
            };
            let org_link = |k: OrgKind| format!("/organisations?kind={}&as_of={d}", k.as_str());
            let orgs = [
                (
                    mobilisation::TOWNSHIP_COMMITTEES,
                    OrgKind::TownshipCommittee,
                ),
                (mobilisation::VILLAGE_PARTIES, OrgKind::VillageParty),
                (mobilisation::TEMP_BRANCHES, OrgKind::TempBranch),
                (mobilisation::COMMANDOS, OrgKind::Commando),
                (mobilisation::VOLUNTEER_TEAMS, OrgKind::Volunteer),
            ];
            s.values
                .extend(orgs.map(|(id, k)| count(id, by_kind(k), org_link(k))));
            let people_link = format!("/mobilisation?as_of={d}");
            s.values.extend([
                count(mobilisation::ON_DUTY, m.on_duty, people_link.clone()),
                count(
                    mobilisation::RETURNED_EARLY,
                    m.returned_early,
                    people_link.clone(),
                ),
                count(
                    mobilisation::APPLICATIONS,
                    m.applications,
                    "/applications".into(),
                ),
                count(mobilisation::REGISTRATIONS, m.registrations, people_link),
            ]);
            s.new_branches = self.branches_set_up(a, day).await?;
        }
        Ok(())
    }

    /// Tickets raised, open, escalated and overdue, satisfaction and response times.
    async fn snapshot_whistle(&self, at: &At<'_>, s: &mut Snapshot) -> ServiceResult<()> {
        let (a, day, d) = (at.a, at.day, &at.d);
        if a.can(Permission::ReadWhistleFigures) {
            let day_q = WhistleFiguresQuery {
                from: Some(d.clone()),
                to: Some(d.clone()),
                place: None,
            };
            let today = self.whistle_figures(a, &day_q).await?;
            let year_start = NaiveDate::from_ymd_opt(day.year(), 1, 1).unwrap_or(day);
            let year = self
                .whistle_figures(
                    a,
                    &WhistleFiguresQuery {
                        from: Some(year_start.to_string()),
                        to: Some(d.clone()),
                        place: None,
                    },
                )
                .await?;
            let link = format!("/whistle/figures?from={year_start}&to={d}");
            let t = &year.total;
            s.values.extend([
                count(whistle::RAISED, today.tickets, link.clone()),
                count(whistle::OPEN, year.tickets - year.closed, link.clone()),
                count(whistle::ESCALATED, year.escalated, link.clone()),
                ratio(
                    whistle::OVERDUE_RATE,
                    &percent_of(t.overdue, t.calls),
                    link.clone(),
                ),
                ratio(
                    whistle::SATISFACTION,
                    &percent_of(
                        (t.satisfaction_rate.unwrap_or(0.0) * t.rated as f64 / 100.0).round()
                            as i64,
                        t.rated,
                    ),
                    link.clone(),
                ),
            ]);
            s.escalated_today = today.escalated;
            if let Some(m) = t.response_median_minutes {
                s.values.insert(
                    whistle::RESPONSE_MEDIAN,
                    count(whistle::RESPONSE_MEDIAN, m, link).1,
                );
            }
        }
        Ok(())
    }

    /// Shortfalls, low stock and spring farming prepared.
    async fn snapshot_supplies(&self, at: &At<'_>, s: &mut Snapshot) -> ServiceResult<()> {
        let (a, day, d) = (at.a, at.day, &at.d);
        if a.can(Permission::ReadSupplies) {
            let (short, low, farm) =
                timed(day, "supplies: figures", self.supply_figures(a, day)).await?;
            let (prepared, planned) = farm
                .townships
                .iter()
                .fold((0, 0), |(p, q), t| (p + t.prepared_mu, q + t.planned_mu));
            s.values.extend([
                count(
                    supplies::SHORTFALLS,
                    short.lines.iter().filter(|l| l.shortfall > 0).count() as i64,
                    format!("/supplies?as_of={d}"),
                ),
                count(
                    supplies::LOW_STOCK,
                    low.lines.len() as i64,
                    format!("/supplies?as_of={d}"),
                ),
                ratio(
                    supplies::FARM_PREPARED,
                    &percent_of(prepared, planned),
                    format!("/supplies/spring-farming?as_of={d}"),
                ),
            ]);
            let mut largest: Vec<_> = short.lines.iter().filter(|l| l.shortfall > 0).collect();
            largest.sort_by_key(|l| std::cmp::Reverse(l.shortfall));
            s.shortfall_items = largest
                .into_iter()
                .take(5)
                .map(|l| {
                    format!(
                        "{}{}缺 {}",
                        l.place_name,
                        l.item_name,
                        dualtrack_domain::supplies::quantity_text(l.shortfall, &l.unit)
                    )
                })
                .collect();
        }
        Ok(())
    }
}
