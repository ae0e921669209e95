//! Enterprises, exclusions from the resumption count, and daily operating reports (every
//! version kept; one current per enterprise and day).

use crate::sealing::SealedText;
use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use dualtrack_domain::jurisdiction::Scope;

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct EnterpriseRow {
        pub id: i64,
    }
    #[derive(Debug, Clone)]
    pub struct NewEnterprise {
        /// The key `contact_phone` is sealed under (none: plain, for the pass to seal).
        pub enc_key: Option<String>,
    }
    both {
        pub name: String,
        pub credit_code: String,
        pub credit_check_failed: bool,
        pub jurisdiction_code: String,
        pub industry_section: String,
        pub industry_division: Option<String>,
        pub above_size: bool,
        pub key_enterprise: bool,
        pub normal_headcount: i64,
        pub normal_output: i64,
        pub output_unit: String,
        pub contact_name: Option<String>,
        pub contact_phone: Option<SealedText>,
    }
}

const ENTERPRISE_COLUMNS: &str = "id, name, credit_code, credit_check_failed, jurisdiction_code, industry_section, \
     industry_division, above_size, key_enterprise, normal_headcount, normal_output, output_unit, contact_name, contact_phone";

pub async fn insert_enterprise(tx: &mut Tx, e: &NewEnterprise, at: DateTime<Utc>) -> Result<i64> {
    let id: i64 = on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO enterprises (name, credit_code, credit_check_failed, jurisdiction_code, industry_section, industry_division, \
         above_size, key_enterprise, normal_headcount, normal_output, output_unit, contact_name, contact_phone, created_at, enc_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id")
        .bind(&e.name).bind(&e.credit_code).bind(e.credit_check_failed).bind(&e.jurisdiction_code)
        .bind(&e.industry_section).bind(&e.industry_division).bind(e.above_size).bind(e.key_enterprise)
        .bind(e.normal_headcount).bind(e.normal_output).bind(&e.output_unit).bind(&e.contact_name)
        .bind(&e.contact_phone).bind(at).bind(&e.enc_key)
        .fetch_one(&mut *x).await?);
    rollup_enterprise(tx, id).await?;
    Ok(id)
}

pub async fn enterprise(db: &Db, id: i64) -> Result<Option<EnterpriseRow>> {
    let sql = format!("SELECT {ENTERPRISE_COLUMNS} FROM enterprises WHERE id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, EnterpriseRow>(&sql).bind(id).fetch_optional(p).await?))
}

/// Enterprises of the scope in the order of their place and id: a page by offset, or, with
/// `after` (the place and id of the last one read), the next batch of an export.
pub async fn list_enterprises(
    db: &Db,
    scope: &Scope,
    after: Option<(&str, i64)>,
    limit: i64,
    offset: i64,
) -> Result<Vec<EnterpriseRow>> {
    let (lo, hi) = scope.range();
    let (code, id) = after.unwrap_or(("", 0));
    let sql = format!(
        "SELECT {ENTERPRISE_COLUMNS} FROM enterprises WHERE jurisdiction_code >= $1 AND jurisdiction_code < $2 \
         AND (jurisdiction_code, id) > ($5, $6) ORDER BY jurisdiction_code, id LIMIT $3 OFFSET $4"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, EnterpriseRow>(&sql).bind(&lo).bind(&hi).bind(limit).bind(offset).bind(code).bind(id).fetch_all(p).await?),
    )
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_exclusion(
    tx: &mut Tx,
    enterprise: i64,
    reason: &str,
    from_on: NaiveDate,
    until_on: Option<NaiveDate>,
    note: &str,
    set_by: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    let id: i64 = on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO enterprise_exclusions (enterprise_id, reason, from_on, until_on, note, set_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
        .bind(enterprise).bind(reason).bind(from_on).bind(until_on).bind(note).bind(set_by).bind(at)
        .fetch_one(&mut *x).await?);
    rollup_exclusion(tx, enterprise, from_on, until_on).await?;
    Ok(id)
}

row_and_new! {
    /// A day's report as filed.
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct ReportRow {
        pub id: i64,
        pub version: i64,
        pub is_current: bool,
        /// Filed with figures that looked implausible, after the liaison confirmed them.
        pub confirmed_implausible: bool,
    }
    #[derive(Debug, Clone)]
    pub struct NewReport {}
    both {
        pub enterprise_id: i64,
        pub report_date: NaiveDate,
        pub status: String,
        pub on_duty: i64,
        pub back_from_outside: i64,
        pub in_quarantine: i64,
        pub abnormal_temps: i64,
        pub mask_days: i64,
        pub disinfectant_days: i64,
        pub checks_passed: i64,
        pub output: i64,
        pub problems: String,
        pub filed_by: String,
    }
}

/// A report as filed: its id and its version for the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filed {
    pub id: i64,
    pub version: i64,
}

/// A report to file, and how it came: the figures the liaison confirmed after being told
/// they looked implausible, the server's time of filing, and the phone's time of making it
/// when it comes from an outbox.
#[derive(Debug, Clone, Copy)]
pub struct Filing<'a> {
    pub report: &'a NewReport,
    pub confirmed_implausible: bool,
    pub filed_at: DateTime<Utc>,
    pub made_at: Option<DateTime<Utc>>,
}

impl<'a> Filing<'a> {
    /// A report filed at `filed_at` as it is, not from a phone, with nothing to confirm.
    pub fn plain(report: &'a NewReport, filed_at: DateTime<Utc>) -> Filing<'a> {
        Filing {
            report,
            confirmed_implausible: false,
            filed_at,
            made_at: None,
        }
    }
}

/// The columns a report is inserted with, in the order [`push_filing!`] binds them.
const INSERT_COLUMNS: &str = "INSERT INTO daily_reports (enterprise_id, report_date, version, is_current, status, \
     on_duty, back_from_outside, in_quarantine, abnormal_temps, mask_days, disinfectant_days, checks_passed, output, \
     problems, filed_by, filed_at, confirmed_implausible, made_at) ";

/// Binds a filing as the current version `version` of its day, in [`INSERT_COLUMNS`]' order.
macro_rules! push_filing {
    ($b:expr, $f:expr, $version:expr) => {{
        let f: &Filing<'_> = $f;
        let r = f.report;
        $b.push_bind(r.enterprise_id)
            .push_bind(r.report_date)
            .push_bind($version)
            .push_bind(true)
            .push_bind(r.status.as_str())
            .push_bind(r.on_duty)
            .push_bind(r.back_from_outside)
            .push_bind(r.in_quarantine)
            .push_bind(r.abnormal_temps)
            .push_bind(r.mask_days)
            .push_bind(r.disinfectant_days)
            .push_bind(r.checks_passed)
            .push_bind(r.output)
            .push_bind(r.problems.as_str())
            .push_bind(r.filed_by.as_str())
            .push_bind(f.filed_at)
            .push_bind(f.confirmed_implausible)
            .push_bind(f.made_at);
    }};
}

/// Files a report: a correction of a day already reported becomes the current version and
/// keeps the earlier one.
pub async fn file_report(tx: &mut Tx, f: &Filing<'_>) -> Result<Filed> {
    let r = f.report;
    // Two filings of one enterprise at once on PostgreSQL (a retry racing the request it
    // retries, two liaisons) take turns, so the second numbers its version after the first
    // instead of colliding with it. SQLite's write transactions take turns already.
    if let Tx::Postgres(t) = tx {
        sqlx::query("SELECT id FROM enterprises WHERE id = $1 FOR UPDATE")
            .bind(r.enterprise_id)
            .execute(&mut **t)
            .await?;
    }
    let filed = on_tx!(tx, x => {
        let last: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(version) FROM daily_reports WHERE enterprise_id = $1 AND report_date = $2")
            .bind(r.enterprise_id).bind(r.report_date).fetch_one(&mut *x).await?;
        sqlx::query("UPDATE daily_reports SET is_current = FALSE WHERE enterprise_id = $1 AND report_date = $2")
            .bind(r.enterprise_id).bind(r.report_date).execute(&mut *x).await?;
        let version = last.unwrap_or(0) + 1;
        let mut qb = sqlx::QueryBuilder::new(INSERT_COLUMNS);
        qb.push_values([f], |mut b, f| push_filing!(b, f, version));
        qb.push(" RETURNING id");
        let id: i64 = qb.build_query_scalar().fetch_one(&mut *x).await?;
        Filed { id, version }
    });
    rollup_report(tx, r.enterprise_id, r.report_date).await?;
    Ok(filed)
}

const REPORT_COLUMNS: &str = "id, enterprise_id, report_date, version, is_current, status, on_duty, back_from_outside, \
     in_quarantine, abnormal_temps, mask_days, disinfectant_days, checks_passed, output, problems, filed_by, \
     confirmed_implausible";

/// One report of an enterprise, by its id, whatever its age.
pub async fn report(db: &Db, enterprise: i64, id: i64) -> Result<Option<ReportRow>> {
    let sql =
        format!("SELECT {REPORT_COLUMNS} FROM daily_reports WHERE enterprise_id = $1 AND id = $2");
    Ok(on_db!(db, p => sqlx::query_as::<_, ReportRow>(&sql)
        .bind(enterprise).bind(id).fetch_optional(p).await?))
}

/// Every version of an enterprise's reports filed up to `until` (the app's now: a report
/// filed later has not been filed yet), the latest day first.
pub async fn reports(db: &Db, enterprise: i64, until: DateTime<Utc>) -> Result<Vec<ReportRow>> {
    let sql = format!(
        "SELECT {REPORT_COLUMNS} FROM daily_reports WHERE enterprise_id = $1 AND filed_at <= $2 \
         ORDER BY report_date DESC, version DESC LIMIT 400"
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, ReportRow>(&sql)
        .bind(enterprise).bind(until).fetch_all(p).await?))
}

/// An enterprise's current report of the latest day before `before` (any day when `None`),
/// among those filed up to `until`: the figures a new report is set against.
pub async fn last_report(
    db: &Db,
    enterprise: i64,
    before: Option<NaiveDate>,
    until: DateTime<Utc>,
) -> Result<Option<ReportRow>> {
    let sql = format!(
        "SELECT {REPORT_COLUMNS} FROM daily_reports WHERE enterprise_id = $1 AND is_current \
         AND ($2 IS NULL OR report_date < $2) AND filed_at <= $3 \
         ORDER BY report_date DESC, version DESC LIMIT 1"
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, ReportRow>(&sql)
        .bind(enterprise).bind(before).bind(until).fetch_optional(p).await?))
}

/// The counts behind the rates for one group (a county, a township or an industry section)
/// as of a day: above-size enterprises registered, those excluded that day; of the rest,
/// those whose latest current report on or before the day says resumed or partly, with
/// normal headcount and baseline output, and on duty and output from those reports.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RateRow {
    pub key: String,
    #[sqlx(flatten)]
    pub counts: RateCounts,
}

/// The counts behind the rates, as summed by [`SUMS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct RateCounts {
    pub registered: i64,
    pub excluded: i64,
    pub resumed: i64,
    pub headcount: i64,
    pub on_duty: i64,
    pub baseline: i64,
    pub output: i64,
}

/// A day of a series: the counts summed over the places and sections asked for.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SeriesRow {
    pub day: NaiveDate,
    /// The group (see [`Grouping`]); empty for the total.
    pub key: String,
    #[sqlx(flatten)]
    pub counts: RateCounts,
}

/// How the counts are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// By county-level unit (the first six digits of the place).
    County,
    /// By township-level unit (nine digits; an enterprise placed at a county stays there).
    Township,
    /// By industry section (A–T).
    Section,
}

impl Grouping {
    fn key(self) -> &'static str {
        match self {
            Grouping::County => "substr(place, 1, 6)",
            Grouping::Township => "substr(place, 1, 9)",
            Grouping::Section => "section",
        }
    }
}

/// Which enterprises: a jurisdiction subtree and, optionally, one industry section.
#[derive(Debug, Clone)]
pub struct Filter {
    lo: String,
    hi: String,
    sec_lo: String,
    sec_hi: String,
}

impl Filter {
    pub fn new(scope: &Scope, section: Option<&str>) -> Filter {
        let (lo, hi) = scope.range();
        Filter::between(lo, hi, section)
    }

    /// Exactly one place (not its subtree) and one section: a rollup key.
    fn key(place: &str, section: &str) -> Filter {
        // ' ' sorts before every digit, so [place, place + ' ') holds the place alone.
        Filter::between(place.to_string(), format!("{place} "), Some(section))
    }

    fn everything() -> Filter {
        Filter::between(String::new(), "~".into(), None)
    }

    fn between(lo: String, hi: String, section: Option<&str>) -> Filter {
        let (sec_lo, sec_hi) = match section {
            Some(s) => (s.to_string(), format!("{s} ")),
            None => (String::new(), "~".into()),
        };
        Filter {
            lo,
            hi,
            sec_lo,
            sec_hi,
        }
    }
}

/// The per-enterprise state on each day of `days` (a SELECT yielding `day`), joined with the
/// report it rests on and summed per day, place and section. `$1..$4` bind the filter.
fn per_key_sql(days: &str) -> String {
    format!(
        "WITH cal AS ({days}), \
         pairs AS ( \
           SELECT cal.day AS day, e.jurisdiction_code AS place, e.industry_section AS section, \
             e.normal_headcount, e.normal_output, \
             CASE WHEN EXISTS (SELECT 1 FROM enterprise_exclusions x WHERE x.enterprise_id = e.id \
               AND x.from_on <= cal.day AND (x.until_on IS NULL OR x.until_on >= cal.day)) THEN 1 ELSE 0 END AS excluded, \
             (SELECT r.id FROM daily_reports r WHERE r.enterprise_id = e.id AND r.is_current = TRUE \
               AND r.report_date <= cal.day ORDER BY r.report_date DESC LIMIT 1) AS rid \
           FROM cal CROSS JOIN enterprises e \
           WHERE e.above_size = TRUE AND e.jurisdiction_code >= $1 AND e.jurisdiction_code < $2 \
             AND e.industry_section >= $3 AND e.industry_section < $4) \
         SELECT p.day, p.place, p.section, CAST(COUNT(*) AS BIGINT) AS registered, \
           CAST(SUM(p.excluded) AS BIGINT) AS excluded, \
           CAST(SUM(CASE WHEN p.excluded = 0 AND r.status IN ('resumed', 'partly') THEN 1 ELSE 0 END) AS BIGINT) AS resumed, \
           CAST(SUM(CASE WHEN p.excluded = 0 THEN p.normal_headcount ELSE 0 END) AS BIGINT) AS headcount, \
           CAST(SUM(CASE WHEN p.excluded = 0 THEN COALESCE(r.on_duty, 0) ELSE 0 END) AS BIGINT) AS on_duty, \
           CAST(SUM(CASE WHEN p.excluded = 0 THEN p.normal_output ELSE 0 END) AS BIGINT) AS baseline, \
           CAST(SUM(CASE WHEN p.excluded = 0 THEN COALESCE(r.output, 0) ELSE 0 END) AS BIGINT) AS output \
         FROM pairs p LEFT JOIN daily_reports r ON r.id = p.rid GROUP BY p.day, p.place, p.section"
    )
}

const SUMS: &str =
    "CAST(SUM(registered) AS BIGINT) AS registered, CAST(SUM(excluded) AS BIGINT) AS excluded, \
     CAST(SUM(resumed) AS BIGINT) AS resumed, CAST(SUM(headcount) AS BIGINT) AS headcount, \
     CAST(SUM(on_duty) AS BIGINT) AS on_duty, CAST(SUM(baseline) AS BIGINT) AS baseline, \
     CAST(SUM(output) AS BIGINT) AS output";

/// The rates' counts as of a day, computed from the enterprises, exclusions and reports
/// themselves (every enterprise's latest report looked up). Used where the rollup does not
/// cover the day, and as the measure the rollup is checked against.
pub async fn rates_by_scanning(
    db: &Db,
    filter: &Filter,
    grouping: Grouping,
    as_of: NaiveDate,
) -> Result<Vec<RateRow>> {
    let sql = format!(
        "WITH k AS ({}) SELECT {} AS key, {SUMS} FROM k GROUP BY {} ORDER BY 1",
        per_key_sql("SELECT $5 AS day"),
        grouping.key(),
        grouping.key()
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, RateRow>(&sql)
        .bind(&filter.lo).bind(&filter.hi).bind(&filter.sec_lo).bind(&filter.sec_hi).bind(as_of)
        .fetch_all(p).await?))
}

/// The rates' counts as of a day, from the rollup where it covers the day, else by scanning.
pub async fn rates(
    db: &Db,
    filter: &Filter,
    grouping: Grouping,
    as_of: NaiveDate,
) -> Result<Vec<RateRow>> {
    let covered: i64 = on_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM resumption_days WHERE day = $1").bind(as_of).fetch_one(p).await?);
    if covered == 0 {
        return rates_by_scanning(db, filter, grouping, as_of).await;
    }
    let sql = format!(
        "SELECT {} AS key, {SUMS} FROM resumption_rollup WHERE day = $1 AND place >= $2 AND place < $3 \
         AND section >= $4 AND section < $5 GROUP BY {} ORDER BY 1",
        grouping.key(),
        grouping.key()
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, RateRow>(&sql)
        .bind(as_of).bind(&filter.lo).bind(&filter.hi).bind(&filter.sec_lo).bind(&filter.sec_hi)
        .fetch_all(p).await?))
}

/// The daily series of the counts over the days the rollup covers within `from..=to`, in
/// total or per group.
pub async fn series(
    db: &Db,
    filter: &Filter,
    grouping: Option<Grouping>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<SeriesRow>> {
    let (key, group) = match grouping {
        Some(g) => (g.key(), format!("day, {}", g.key())),
        None => ("''", "day".to_string()),
    };
    // Without statistics SQLite would walk the day-first primary key for the ordering's sake,
    // reading every place's rows; the place-first covering index reads only the place's. For
    // a prefecture or the province most places' rows are wanted, and the days asked for are
    // one range of the primary key.
    let hint = match db {
        Db::Sqlite(_) if filter.lo.len() >= 6 => "INDEXED BY resumption_rollup_place",
        _ => "",
    };
    let sql = format!(
        "SELECT day, {key} AS key, {SUMS} FROM resumption_rollup {hint} WHERE place >= $1 AND place < $2 \
         AND section >= $3 AND section < $4 AND day >= $5 AND day <= $6 GROUP BY {group} ORDER BY day"
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, SeriesRow>(&sql)
        .bind(&filter.lo).bind(&filter.hi).bind(&filter.sec_lo).bind(&filter.sec_hi).bind(from).bind(to)
        .fetch_all(p).await?))
}

/// The first and last day the rollup covers.
pub async fn rollup_span(db: &Db) -> Result<Option<(NaiveDate, NaiveDate)>> {
    let (first, last): (Option<NaiveDate>, Option<NaiveDate>) = on_db!(db, p => sqlx::query_as(
        "SELECT MIN(day), MAX(day) FROM resumption_days").fetch_one(p).await?);
    Ok(first.zip(last))
}

async fn span_in(tx: &mut Tx) -> Result<Option<(NaiveDate, NaiveDate)>> {
    let (first, last): (Option<NaiveDate>, Option<NaiveDate>) = on_tx!(tx, x => sqlx::query_as(
        "SELECT MIN(day), MAX(day) FROM resumption_days").fetch_one(&mut *x).await?);
    Ok(first.zip(last))
}

/// Serialises rollup upkeep between instances sharing a PostgreSQL database (SQLite write
/// transactions are serialised already).
async fn lock_rollup(tx: &mut Tx) -> Result<()> {
    if let Tx::Postgres(t) = tx {
        sqlx::query("SELECT pg_advisory_xact_lock(7310263)")
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

/// Recomputes the rollup rows of the filter's keys for the covered days in `from..=to`.
async fn refresh(tx: &mut Tx, f: &Filter, from: NaiveDate, to: NaiveDate) -> Result<()> {
    if from > to {
        return Ok(());
    }
    let insert = format!(
        "INSERT INTO resumption_rollup (day, place, section, registered, excluded, resumed, headcount, on_duty, baseline, output) {}",
        per_key_sql("SELECT day FROM resumption_days WHERE day >= $5 AND day <= $6")
    );
    on_tx!(tx, x => {
        sqlx::query("DELETE FROM resumption_rollup WHERE day >= $5 AND day <= $6 AND place >= $1 AND place < $2 \
             AND section >= $3 AND section < $4")
            .bind(&f.lo).bind(&f.hi).bind(&f.sec_lo).bind(&f.sec_hi).bind(from).bind(to)
            .execute(&mut *x).await?;
        sqlx::query(&insert)
            .bind(&f.lo).bind(&f.hi).bind(&f.sec_lo).bind(&f.sec_hi).bind(from).bind(to)
            .execute(&mut *x).await?;
    });
    Ok(())
}

/// Widens the covered days to include `from..=to` (keeping them one contiguous run) and
/// computes every key for the days added. Returns the span now covered.
async fn cover(tx: &mut Tx, from: NaiveDate, to: NaiveDate) -> Result<(NaiveDate, NaiveDate)> {
    let added = match span_in(tx).await? {
        None => vec![(from, to)],
        Some((first, last)) => {
            let mut ranges = Vec::new();
            if from < first {
                ranges.push((from, first.pred_opt().unwrap_or(first)));
            }
            if to > last {
                ranges.push((last.succ_opt().unwrap_or(last), to));
            }
            ranges
        }
    };
    for &(a, b) in &added {
        let mut day = a;
        while day <= b {
            on_tx!(tx, x => {
                sqlx::query("INSERT INTO resumption_days (day) VALUES ($1) ON CONFLICT (day) DO NOTHING")
                    .bind(day).execute(&mut *x).await?;
            });
            day = match day.succ_opt() {
                Some(d) => d,
                None => break,
            };
        }
        refresh(tx, &Filter::everything(), a, b).await?;
    }
    Ok(span_in(tx).await?.unwrap_or((from, to)))
}

async fn key_of(tx: &mut Tx, enterprise: i64) -> Result<Option<(String, String)>> {
    Ok(on_tx!(tx, x => sqlx::query_as::<_, (String, String)>(
        "SELECT jurisdiction_code, industry_section FROM enterprises WHERE id = $1 AND above_size = TRUE")
        .bind(enterprise).fetch_optional(&mut *x).await?))
}

/// Brings the rollup up to date after an enterprise is registered.
async fn rollup_enterprise(tx: &mut Tx, enterprise: i64) -> Result<()> {
    let Some((place, section)) = key_of(tx, enterprise).await? else {
        return Ok(());
    };
    lock_rollup(tx).await?;
    if let Some((first, last)) = span_in(tx).await? {
        refresh(tx, &Filter::key(&place, &section), first, last).await?;
    }
    Ok(())
}

/// Brings the rollup up to date after an exclusion over `from..=until` is set.
async fn rollup_exclusion(
    tx: &mut Tx,
    enterprise: i64,
    from: NaiveDate,
    until: Option<NaiveDate>,
) -> Result<()> {
    let Some((place, section)) = key_of(tx, enterprise).await? else {
        return Ok(());
    };
    lock_rollup(tx).await?;
    if let Some((first, last)) = span_in(tx).await? {
        let to = until.map_or(last, |u| u.min(last));
        refresh(tx, &Filter::key(&place, &section), from.max(first), to).await?;
    }
    Ok(())
}

/// Brings the rollup up to date after a report of `day` is filed: the days from it until the
/// enterprise's next report rest on it.
async fn rollup_report(tx: &mut Tx, enterprise: i64, day: NaiveDate) -> Result<()> {
    let Some((place, section)) = key_of(tx, enterprise).await? else {
        return Ok(());
    };
    lock_rollup(tx).await?;
    let (_, last) = cover(tx, day, day).await?;
    let next: Option<NaiveDate> = on_tx!(tx, x => sqlx::query_scalar(
        "SELECT MIN(report_date) FROM daily_reports WHERE enterprise_id = $1 AND is_current = TRUE AND report_date > $2")
        .bind(enterprise).bind(day).fetch_one(&mut *x).await?);
    let to = next
        .and_then(|n| n.pred_opt())
        .map_or(last, |n| n.min(last));
    refresh(tx, &Filter::key(&place, &section), day, to).await
}

/// Recomputes the whole rollup from the records (after a bulk load, or to repair it).
pub async fn rebuild_rollup(tx: &mut Tx) -> Result<()> {
    lock_rollup(tx).await?;
    let (first, last): (Option<NaiveDate>, Option<NaiveDate>) = on_tx!(tx, x => sqlx::query_as(
        "SELECT MIN(report_date), MAX(report_date) FROM daily_reports").fetch_one(&mut *x).await?);
    on_tx!(tx, x => {
        sqlx::query("DELETE FROM resumption_rollup").execute(&mut *x).await?;
        sqlx::query("DELETE FROM resumption_days").execute(&mut *x).await?;
    });
    if let Some((first, last)) = first.zip(last) {
        cover(tx, first, last).await?;
    }
    Ok(())
}

/// Inserts first versions of many reports at once (for loading data).
/// `filed_at` tells when each was filed.
pub async fn insert_reports(
    tx: &mut Tx,
    rows: &[NewReport],
    filed_at: impl Fn(&NewReport) -> DateTime<Utc>,
) -> Result<()> {
    for chunk in rows.chunks(1000) {
        on_tx!(tx, x => {
            let mut qb = sqlx::QueryBuilder::new(INSERT_COLUMNS);
            qb.push_values(chunk, |mut b, r| push_filing!(b, &Filing::plain(r, filed_at(r)), 1i64));
            qb.build().execute(&mut *x).await?;
        });
    }
    let dates = rows.iter().map(|r| r.report_date);
    if let Some((from, to)) = dates.clone().min().zip(dates.max()) {
        lock_rollup(tx).await?;
        let before = span_in(tx).await?;
        cover(tx, from, to).await?;
        // Days newly covered were computed whole by `cover`; days covered before that the
        // new reports reach (from their first day on) are computed again.
        if let Some((first, last)) = before {
            refresh(tx, &Filter::everything(), from.max(first), last).await?;
        }
    }
    Ok(())
}
