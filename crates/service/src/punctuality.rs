//! Late and missing daily reports. A day's report is as of midnight ending the day and due
//! the next day by the configured hour, China Standard Time. For a day and the actor's
//! scope: the above-size enterprises counted that day (not excluded) whose first version came
//! by the deadline (on time), after it (late), or not at all (missing), by county, with the
//! liaison to chase (phone masked).

use crate::input::parse_date;
use crate::{Actor, App, ServiceResult};
use chrono::{DateTime, NaiveDate, Utc};
use dualtrack_domain::filings::{report_deadline, Punctuality};
use dualtrack_domain::resident_id::mask_phone;
use dualtrack_domain::role::Permission;
use dualtrack_domain::time::display;
use dualtrack_store::punctuality as store;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct PunctualityQuery {
    /// 报告日（截至当日 24 时），如 2020-02-27
    pub date: String,
}

/// A place's reports for the day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PunctualityCounts {
    /// 县级区划代码；合计行为所查范围的代码
    pub code: String,
    /// 应报：规上工业企业中当日计入统计的
    pub expected: i64,
    pub on_time: i64,
    pub late: i64,
    pub missing: i64,
}

/// An enterprise that reported late, or not at all.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportDueEntry {
    pub enterprise_id: i64,
    pub name: String,
    pub jurisdiction_code: String,
    pub contact_name: Option<String>,
    /// 联系电话（脱敏）
    pub contact_phone: Option<String>,
    pub punctuality: Punctuality,
    /// 首次填报时间（迟报时）
    pub filed_at: Option<DateTime<Utc>>,
    /// 迟了多少分钟（迟报时）
    pub minutes_late: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PunctualityView {
    pub date: NaiveDate,
    /// 次日几时前报送（北京时间）
    pub due_hour: u32,
    pub deadline: DateTime<Utc>,
    /// 截止时间（北京时间），如 2020-02-28 12:00
    pub deadline_local: String,
    /// 截止时间已过：未报即为漏报；未过时未报的仍可按时报送
    pub deadline_passed: bool,
    pub total: PunctualityCounts,
    /// 各县并列
    pub counties: Vec<PunctualityCounts>,
    /// 未报的企业
    pub missing: Vec<ReportDueEntry>,
    /// 迟报的企业
    pub late: Vec<ReportDueEntry>,
}

fn counts(code: String, rows: &[(&store::DueRow, Punctuality)]) -> PunctualityCounts {
    let n = |p: Punctuality| rows.iter().filter(|r| r.1 == p).count() as i64;
    PunctualityCounts {
        code,
        expected: rows.len() as i64,
        on_time: n(Punctuality::OnTime),
        late: n(Punctuality::Late),
        missing: n(Punctuality::Missing),
    }
}

impl App {
    /// The day's reports against their deadline, in the actor's scope.
    pub async fn report_punctuality(
        &self,
        actor: &Actor,
        raw_date: &str,
    ) -> ServiceResult<PunctualityView> {
        self.require(actor, Permission::ReadResumption, "企业日报", "punctuality")
            .await?;
        let date = parse_date("date", raw_date)?;
        let deadline = report_deadline(date, self.report_due_hour);
        let rows = store::due(&self.db, &actor.scope, date).await?;
        let classified: Vec<(&store::DueRow, Punctuality)> = rows
            .iter()
            .map(|r| (r, Punctuality::of(r.first_filed, deadline)))
            .collect();
        let total = counts(actor.home_code().unwrap_or_default(), &classified);
        let mut counties = Vec::new();
        let mut start = 0;
        while start < classified.len() {
            let county = &classified[start].0.county;
            let end = start
                + classified[start..]
                    .iter()
                    .take_while(|r| &r.0.county == county)
                    .count();
            counties.push(counts(county.clone(), &classified[start..end]));
            start = end;
        }
        let entry = |r: &store::DueRow, p: Punctuality| -> ServiceResult<ReportDueEntry> {
            Ok(ReportDueEntry {
                enterprise_id: r.enterprise_id,
                name: r.name.clone(),
                jurisdiction_code: r.jurisdiction_code.clone(),
                contact_name: r.contact_name.clone(),
                contact_phone: self
                    .crypto
                    .open_text_opt(&r.contact_phone)?
                    .as_deref()
                    .map(mask_phone),
                punctuality: p,
                filed_at: r.first_filed,
                minutes_late: r
                    .first_filed
                    .filter(|_| p == Punctuality::Late)
                    .map(|at| (at - deadline).num_minutes()),
            })
        };
        let list = |want: Punctuality| {
            classified
                .iter()
                .filter(|(_, p)| *p == want)
                .map(|(r, p)| entry(r, *p))
                .collect::<ServiceResult<Vec<_>>>()
        };
        Ok(PunctualityView {
            date,
            due_hour: self.report_due_hour,
            deadline,
            deadline_local: display(deadline),
            deadline_passed: self.clock.now() > deadline,
            missing: list(Punctuality::Missing)?,
            late: list(Punctuality::Late)?,
            total,
            counties,
        })
    }
}
