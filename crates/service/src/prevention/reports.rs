//! The grid's daily report (信息畅通) and its roll-up by place.

use super::*;

impl App {
    pub(super) fn report_view(&self, r: store::GridReportRow) -> GridReportView {
        let deadline = report_deadline(r.report_date, self.grid_report_due_hour);
        GridReportView {
            id: r.id,
            punctuality: Punctuality::of(Some(r.filed_at), deadline),
            grid_code: r.grid_code,
            report_date: r.report_date,
            figures: GridFigures {
                screened: r.screened,
                arrivals: r.arrivals,
                high_risk: r.high_risk,
                publicity: r.publicity,
                incidents: r.incidents,
            },
            zero_report: r.zero_report,
            remarks: r.remarks,
            filed_by: r.filed_by,
            filed_at: r.filed_at,
        }
    }

    pub async fn grid_reports(
        &self,
        actor: &Actor,
        raw: &str,
    ) -> ServiceResult<Vec<GridReportView>> {
        let g = self.grid_with(actor, Permission::ReadGridWork, raw).await?;
        Ok(store::reports_of(&self.db, &g.code, self.now())
            .await?
            .into_iter()
            .map(|r| self.report_view(r))
            .collect())
    }

    /// The figures a grid's report for a day would carry, from its records.
    pub async fn grid_report_draft(
        &self,
        actor: &Actor,
        raw: &str,
        raw_date: &str,
    ) -> ServiceResult<GridReportDraft> {
        let g = self.grid_with(actor, Permission::ReadGridWork, raw).await?;
        let date = parse_date("date", raw_date)?;
        let figures = GridFigures::from(store::figures(&self.db, &g.code, date).await?);
        let filed = store::reports_of(&self.db, &g.code, self.now())
            .await?
            .into_iter()
            .find(|r| r.report_date == date)
            .map(|r| self.report_view(r));
        Ok(GridReportDraft {
            grid_code: g.code,
            date,
            nothing_happened: figures.is_zero(),
            figures,
            filed,
        })
    }

    /// Files a grid's report for a day that is over: the figures come from the records; a
    /// zero report only when there are none.
    pub async fn file_grid_report(
        &self,
        actor: &Actor,
        raw: &str,
        input: &GridReportInput,
    ) -> ServiceResult<Written<GridReportView>> {
        self.once(
            actor,
            "grid_report",
            &input.idempotency_key,
            &(raw, input),
            |claim| self.write_file_grid_report(actor, raw, input, claim),
            // Found by its id: the grid's list holds only its latest days.
            |rid| async move {
                let g = self.grid_with(actor, Permission::ReadGridWork, raw).await?;
                store::report_of(&self.db, &g.code, rid)
                    .await?
                    .map(|r| self.report_view(r))
                    .ok_or_else(|| ServiceError::Internal(format!("网格日报 {rid} 未找到")))
            },
        )
        .await
    }

    pub(super) async fn write_file_grid_report(
        &self,
        actor: &Actor,
        raw: &str,
        input: &GridReportInput,
        claim: Option<Claim>,
    ) -> ServiceResult<GridReportView> {
        let g = self
            .grid_with(actor, Permission::WriteGridWork, raw)
            .await?;
        let made_at = crate::input::phone_time(
            "made_at",
            "报送时间",
            input.made_at.as_deref(),
            self.now(),
            self.phone_time_max_hours,
        )?;
        let date = parse_date("report_date", &input.report_date)?;
        if date >= self.today() {
            return Err(ServiceError::invalid(
                "report_date",
                format!("{date} 还没过完：日报截至当日 24 时，次日报送"),
            ));
        }
        let remarks = input.remarks.trim().to_string();
        if remarks.chars().count() > 500 {
            return Err(ServiceError::invalid("remarks", "备注不能超过 500 个字"));
        }
        let mut tx = self.db.begin().await?;
        let figures = store::figures_tx(&mut tx, &g.code, date).await?;
        let f = GridFigures::from(figures);
        if input.zero_report && !f.is_zero() {
            return Err(ServiceError::invalid(
                "zero_report",
                format!(
                    "{date} 有记录（摸排 {} 人、新抵达 {} 人、宣传 {} 次、事件 {} 起），不能报零报告",
                    f.screened, f.arrivals, f.publicity, f.incidents
                ),
            ));
        }
        let row = store::NewGridReport {
            grid_code: g.code.clone(),
            report_date: date,
            figures,
            zero_report: f.is_zero(),
            remarks,
            filed_by: actor.username.clone(),
            // To the second, as the lists bounded by the app's now read it: a report is not
            // "of a later time" for the rest of the second it was filed in.
            filed_at: self.now(),
            made_at,
        };
        let Some(id) = store::insert_report(&mut tx, &row).await? else {
            return Err(ServiceError::conflict(
                "report_date",
                format!("{} {date} 的日报已报送", g.name),
            ));
        };
        let audit = actor.audit(
            Action::GridReportFile,
            Outcome::Success,
            "网格日报",
            id.to_string(),
            Some(g.code.clone()),
            if row.zero_report {
                format!("{date} 零报告")
            } else {
                format!("{date} 摸排 {} 人，高风险 {} 人", f.screened, f.high_risk)
            },
        );
        commit_created(tx, claim.as_ref(), id, &audit).await?;
        Ok(self.report_view(store::GridReportRow {
            id,
            grid_code: row.grid_code,
            report_date: date,
            screened: f.screened,
            arrivals: f.arrivals,
            high_risk: f.high_risk,
            publicity: f.publicity,
            incidents: f.incidents,
            zero_report: row.zero_report,
            remarks: row.remarks,
            filed_by: row.filed_by,
            filed_at: row.filed_at,
        }))
    }

    /// The day's grid reports rolled up for a place and the places one level below it, with
    /// the grids that have not reported (and those late).
    pub async fn grid_report_rollup(
        &self,
        actor: &Actor,
        q: &RollupQuery,
    ) -> ServiceResult<RollupView> {
        self.require(actor, Permission::ReadGridWork, "网格日报", "rollup")
            .await?;
        let date = parse_date("date", &q.date)?;
        let scope = self.scope_at(actor, q.code.as_deref()).await?;
        let top = scope.code().map(|c| c.to_string()).unwrap_or_default();
        let child_len = scope
            .code()
            .map(|c| c.level().child().unwrap_or(Level::Grid).code_len())
            .unwrap_or(2);
        let grids = store::grid_names(&self.db, &scope).await?;
        let reports: HashMap<String, store::GridReportRow> =
            store::reports_on(&self.db, &scope, date)
                .await?
                .into_iter()
                .map(|r| (r.grid_code.clone(), r))
                .collect();
        let deadline = report_deadline(date, self.grid_report_due_hour);
        let mut places: Vec<RollupLine> = Vec::new();
        let mut total = RollupLine {
            code: top.clone(),
            ..Default::default()
        };
        let (mut missing, mut late) = (Vec::new(), Vec::new());
        for (code, name) in &grids {
            let key = code[..child_len.min(code.len())].to_string();
            if places.last().is_none_or(|p| p.code != key) {
                places.push(RollupLine {
                    code: key,
                    ..Default::default()
                });
            }
            let report = reports.get(code);
            let p = Punctuality::of(report.map(|r| r.filed_at), deadline);
            for line in [places.last_mut(), Some(&mut total)].into_iter().flatten() {
                line.expected += 1;
                match p {
                    Punctuality::OnTime => line.on_time += 1,
                    Punctuality::Late => line.late += 1,
                    Punctuality::Missing => line.missing += 1,
                }
                if let Some(r) = report {
                    if r.zero_report {
                        line.zero_reports += 1;
                    }
                    line.figures.add(&GridFigures {
                        screened: r.screened,
                        arrivals: r.arrivals,
                        high_risk: r.high_risk,
                        publicity: r.publicity,
                        incidents: r.incidents,
                    });
                }
            }
            let due = GridDue {
                code: code.clone(),
                name: name.clone(),
                punctuality: p,
                filed_at: report.map(|r| r.filed_at),
            };
            match p {
                Punctuality::Missing => missing.push(due),
                Punctuality::Late => late.push(due),
                Punctuality::OnTime => {}
            }
        }
        let mut codes: Vec<String> = places.iter().map(|p| p.code.clone()).collect();
        codes.push(top.clone());
        let names = dualtrack_store::jurisdiction::names_of(&self.db, &codes).await?;
        for p in places.iter_mut() {
            p.name = names
                .get(&p.code)
                .cloned()
                .unwrap_or_else(|| p.code.clone());
        }
        total.name = names.get(&top).cloned().unwrap_or_else(|| "合计".into());
        Ok(RollupView {
            date,
            due_hour: self.grid_report_due_hour,
            deadline,
            deadline_local: display(deadline),
            deadline_passed: self.clock.now() > deadline,
            total,
            places,
            missing,
            late,
        })
    }
}
