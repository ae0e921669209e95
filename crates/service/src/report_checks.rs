//! The figures of an enterprise's daily report that look implausible: asked about, not
//! refused. Sent without the liaison's confirmation they are answered with each field and
//! why (nothing written); confirmed, the report is filed and marked. And the figures the
//! daily form starts from: the enterprise's last report.

use crate::resumption::{ReportInput, ReportView};
use crate::{Actor, App, ServiceError, ServiceResult};
use dualtrack_domain::resumption::OperatingStatus;
use dualtrack_store::decode;
use dualtrack_store::resumption::{self as store, EnterpriseRow, NewReport};

/// Whether the report is filed with figures confirmed after a warning; refused (with each
/// field and why) when its figures look implausible and the input does not confirm them.
pub(crate) fn confirmed(
    e: &EnterpriseRow,
    last: Option<&store::ReportRow>,
    r: &NewReport,
    status: OperatingStatus,
    input: &ReportInput,
) -> ServiceResult<bool> {
    let doubts = implausible_figures(e, last, r, status);
    if doubts.is_empty() {
        return Ok(false);
    }
    if input.confirm_implausible {
        return Ok(true);
    }
    let listed: Vec<&str> = doubts.iter().map(|(_, why)| why.as_str()).collect();
    Err(ServiceError::Unconfirmed {
        message: format!(
            "以下数字看似异常，请核对；确认无误后勾选“确认无误，仍然报送”再提交：{}",
            listed.join("；")
        ),
        fields: doubts,
    })
}

impl App {
    /// The enterprise's latest report filed by now: the figures the daily form starts from.
    pub async fn last_enterprise_report(
        &self,
        actor: &Actor,
        id: i64,
    ) -> ServiceResult<Option<ReportView>> {
        self.reports_readable(actor, id).await?;
        store::last_report(&self.db, id, None, self.now())
            .await?
            .map(report_view)
            .transpose()
    }
}

/// How many times the last report's figure a new one may be before it looks implausible.
const JUMP: i64 = 3;

/// The figures of a report that look implausible, each field with why (several reasons for
/// one field joined): more on duty or back from outside than the enterprise employs, output
/// over its normal capacity, on duty or output over three times the last report's (when that
/// day was worked) or down to 0 from it (when this day is worked).
pub fn implausible_figures(
    e: &EnterpriseRow,
    last: Option<&store::ReportRow>,
    r: &NewReport,
    status: OperatingStatus,
) -> Vec<(&'static str, String)> {
    let mut found: Vec<(&'static str, String)> = Vec::new();
    let mut note =
        |field: &'static str, why: String| match found.iter_mut().find(|(f, _)| *f == field) {
            Some((_, m)) => {
                m.push('；');
                m.push_str(&why);
            }
            None => found.push((field, why)),
        };
    let headcount = e.normal_headcount;
    if r.on_duty > headcount {
        note(
            "on_duty",
            format!("在岗人数 {} 多于登记的正常用工 {headcount} 人", r.on_duty),
        );
    }
    if r.back_from_outside > headcount {
        note(
            "back_from_outside",
            format!(
                "外地返岗人数 {} 多于登记的正常用工 {headcount} 人",
                r.back_from_outside
            ),
        );
    }
    if e.normal_output > 0 && r.output > e.normal_output {
        let percent = (r.output as f64 * 1000.0 / e.normal_output as f64).round() / 10.0;
        let unit = &e.output_unit;
        note(
            "output",
            format!(
                "产量 {} {unit} 超过正常产量 {} {unit}，产能利用率 {percent}%，超过 100%",
                r.output, e.normal_output
            ),
        );
    }
    if let Some(last) = last {
        // Resuming from a day not worked is a jump by its nature, and down to 0 on a day not
        // worked is no surprise.
        let was_operating =
            OperatingStatus::parse(&last.status).is_some_and(|s| s.counts_as_resumed());
        let operating = status.counts_as_resumed();
        let day = last.report_date;
        for (field, label, now, before) in [
            ("on_duty", "在岗人数", r.on_duty, last.on_duty),
            ("output", "产量", r.output, last.output),
        ] {
            if was_operating && before > 0 && now > before.saturating_mul(JUMP) {
                note(
                    field,
                    format!("{label} {now} 超过上次报告（{day}）{before} 的 {JUMP} 倍"),
                );
            } else if before > 0 && now == 0 && operating {
                note(
                    field,
                    format!("{label}由上次报告（{day}）的 {before} 降为 0"),
                );
            }
        }
    }
    found
}

/// A stored report as the API shows it.
pub(crate) fn report_view(r: store::ReportRow) -> ServiceResult<ReportView> {
    let status = decode("daily_reports", "status", &r.status, OperatingStatus::parse)?;
    Ok(ReportView {
        id: r.id,
        report_date: r.report_date,
        version: r.version,
        is_current: r.is_current,
        status_name: status.zh().into(),
        status,
        on_duty: r.on_duty,
        back_from_outside: r.back_from_outside,
        in_quarantine: r.in_quarantine,
        abnormal_temps: r.abnormal_temps,
        mask_days: r.mask_days,
        disinfectant_days: r.disinfectant_days,
        checks_passed: r.checks_passed,
        output: r.output,
        problems: r.problems,
        filed_by: r.filed_by,
        confirmed_implausible: r.confirmed_implausible,
    })
}
