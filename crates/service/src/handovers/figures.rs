//! Hand-over figures of a place and day.

use super::*;

impl App {
    /// Hand-overs by place below the scope: made on the day, and as of now those pending,
    /// overdue and acknowledged (late or not).
    pub async fn handover_figures(
        &self,
        actor: &Actor,
        q: &HandoverFiguresQuery,
    ) -> ServiceResult<HandoverFigures> {
        self.require(actor, Permission::ReadGridWork, KIND, "figures")
            .await?;
        let now = self.now();
        let date = match q.date.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => reporting_day(now),
            Some(s) => parse_date("date", s)?,
        };
        let scope = self.narrowed(actor, &q.place).await?;
        let (len, by) = grouping(&scope);
        let rows = store::counts_by_place(&self.db, &scope, len, date, now).await?;
        let mut codes: Vec<String> = rows.iter().map(|r| r.place.clone()).collect();
        let scope_code = scope.code().map(|c| c.to_string()).unwrap_or_default();
        codes.push(scope_code.clone());
        let names = self.handover_names(&codes).await?;
        let mut total = HandoverCounts {
            name: names.get(&scope_code).cloned().unwrap_or_default(),
            code: scope_code,
            ..Default::default()
        };
        let places = rows
            .into_iter()
            .map(|r| {
                total.made += r.made;
                total.pending += r.pending;
                total.overdue += r.overdue;
                total.acknowledged += r.acknowledged;
                total.acknowledged_late += r.acknowledged_late;
                HandoverCounts {
                    name: names.get(&r.place).cloned().unwrap_or_default(),
                    code: r.place,
                    made: r.made,
                    pending: r.pending,
                    overdue: r.overdue,
                    acknowledged: r.acknowledged,
                    acknowledged_late: r.acknowledged_late,
                }
            })
            .collect();
        Ok(HandoverFigures {
            date,
            at: now,
            overdue_hours: self.handover_overdue_hours,
            by: by.into(),
            total,
            places,
        })
    }
}
