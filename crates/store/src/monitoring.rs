//! Quarantine and health monitoring: cases with their responsible people, follow-ups,
//! alerts, and the per-day rollup `monitoring_days` kept in the transaction of each change.
//!
//! Times are stored as given (whole seconds, UTC): on SQLite they are RFC 3339 text of one
//! shape, so comparing them as text orders them by time.

use crate::sealing::SealedText;
use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use dualtrack_domain::jurisdiction::Scope;

#[derive(Debug, Clone)]
pub struct NewResponsible {
    pub person_id: i64,
    pub duty: String,
}

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct CaseRow {
        pub id: i64,
        pub status: String,
        pub last_followup_at: Option<DateTime<Utc>>,
        pub referral_clinic: Option<String>,
        pub referred_at: Option<DateTime<Utc>>,
        pub released_on: Option<NaiveDate>,
        pub released_by: Option<String>,
        pub release_reason: Option<String>,
        pub resume_finding: Option<String>,
    }
    #[derive(Debug, Clone)]
    pub struct NewCase {
        pub responsible: Vec<NewResponsible>,
        /// The blind index of the ID number (see `sealing`).
        pub id_bidx: Option<String>,
        /// The key the name, ID number and phone are sealed under (none: stored plain).
        pub enc_key: Option<String>,
    }
    both {
        pub kind: String,
        pub name: String,
        pub id_number: String,
        pub phone: Option<String>,
        pub screened_person_id: Option<i64>,
        pub traveller_id: Option<i64>,
        pub jurisdiction_code: String,
        pub place: String,
        pub reason: String,
        pub last_exposure: NaiveDate,
        pub start_date: NaiveDate,
        pub planned_end: NaiveDate,
        pub next_due_at: DateTime<Utc>,
        pub created_by: String,
    }
}

const CASE_SELECT: &str = "SELECT id, kind, name, id_number, phone, screened_person_id, traveller_id, \
     jurisdiction_code, place, reason, last_exposure, start_date, planned_end, status, last_followup_at, \
     next_due_at, referral_clinic, referred_at, released_on, released_by, release_reason, resume_finding, \
     created_by FROM monitoring_cases";

/// The county and township codes a place counts under in the rollup.
fn rollup_places(code: &str) -> Vec<(i32, &str)> {
    [6usize, 9]
        .into_iter()
        .filter(|n| code.len() >= *n)
        .map(|n| (n as i32, &code[..n]))
        .collect()
}

/// Adds to the rollup of a day: `started` and `released` are the deltas.
async fn bump_days(
    tx: &mut Tx,
    code: &str,
    kind: &str,
    day: NaiveDate,
    started: i64,
    released: i64,
) -> Result<()> {
    for (level, place) in rollup_places(code) {
        on_tx!(tx, x => sqlx::query(
            "INSERT INTO monitoring_days (level, place, kind, day, started, released) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (level, place, kind, day) DO UPDATE SET started = monitoring_days.started + excluded.started, \
             released = monitoring_days.released + excluded.released")
            .bind(level).bind(place).bind(kind).bind(day).bind(started).bind(released)
            .execute(&mut *x).await.map(|_| ())?);
    }
    Ok(())
}

/// Writes a case with its responsible people and counts its start in the rollup.
pub async fn insert_case(tx: &mut Tx, c: &NewCase, at: DateTime<Utc>) -> Result<i64> {
    let id: i64 = on_tx!(tx, x => {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO monitoring_cases (kind, name, id_number, phone, screened_person_id, traveller_id, \
             jurisdiction_code, place, reason, last_exposure, start_date, planned_end, status, next_due_at, \
             created_by, created_at, id_bidx, enc_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'active', $13, $14, $15, $16, $17) RETURNING id")
            .bind(&c.kind).bind(&c.name).bind(&c.id_number).bind(&c.phone).bind(c.screened_person_id)
            .bind(c.traveller_id).bind(&c.jurisdiction_code).bind(&c.place).bind(&c.reason)
            .bind(c.last_exposure).bind(c.start_date).bind(c.planned_end).bind(c.next_due_at)
            .bind(&c.created_by).bind(at).bind(&c.id_bidx).bind(&c.enc_key)
            .fetch_one(&mut *x).await?;
        for (i, r) in c.responsible.iter().enumerate() {
            sqlx::query("INSERT INTO monitoring_responsible (case_id, seq, person_id, duty) VALUES ($1, $2, $3, $4)")
                .bind(id).bind(i as i32 + 1).bind(r.person_id).bind(&r.duty).execute(&mut *x).await?;
        }
        id
    });
    bump_days(tx, &c.jurisdiction_code, &c.kind, c.start_date, 1, 0).await?;
    Ok(id)
}

pub async fn case(db: &Db, id: i64) -> Result<Option<CaseRow>> {
    let sql = format!("{CASE_SELECT} WHERE id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, CaseRow>(&sql).bind(id).fetch_optional(p).await?))
}

/// Filters of the case list.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub kind: Option<String>,
    pub status: Option<String>,
    /// Only active cases whose next follow-up was due before this time.
    pub overdue_at: Option<DateTime<Utc>>,
    /// Only cases started by this day (the app's today: a case of a later day has not
    /// started yet).
    pub started_by: Option<NaiveDate>,
    /// Only cases of the ID number with this blind index.
    pub id_bidx: Option<String>,
}

/// Cases of the scope, the latest first.
pub async fn cases(
    db: &Db,
    scope: &Scope,
    f: &CaseFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<CaseRow>> {
    let (lo, hi) = scope.range();
    let sql = format!(
        "{CASE_SELECT} WHERE jurisdiction_code >= $1 AND jurisdiction_code < $2 \
         AND ($3 IS NULL OR kind = $3) AND ($4 IS NULL OR status = $4) \
         AND ($5 IS NULL OR (status = 'active' AND next_due_at < $5)) \
         AND ($8 IS NULL OR start_date <= $8) AND ($9 IS NULL OR id_bidx = $9) \
         ORDER BY id DESC LIMIT $6 OFFSET $7"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, CaseRow>(&sql).bind(&lo).bind(&hi)
        .bind(&f.kind).bind(&f.status).bind(f.overdue_at).bind(limit).bind(offset)
        .bind(f.started_by).bind(&f.id_bidx).fetch_all(p).await?),
    )
}

/// Active cases of the scope whose next follow-up is due before `before`, the longest
/// overdue first.
pub async fn due(
    db: &Db,
    scope: &Scope,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<CaseRow>> {
    let (lo, hi) = scope.range();
    let sql = format!(
        "{CASE_SELECT} WHERE status = 'active' AND jurisdiction_code >= $1 AND jurisdiction_code < $2 \
         AND next_due_at < $3 ORDER BY next_due_at, id LIMIT $4"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, CaseRow>(&sql).bind(&lo).bind(&hi).bind(before)
        .bind(limit).fetch_all(p).await?),
    )
}

/// How many active cases of the scope were due before `before`.
pub async fn count_due(db: &Db, scope: &Scope, before: DateTime<Utc>) -> Result<i64> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM monitoring_cases WHERE status = 'active' AND jurisdiction_code >= $1 \
         AND jurisdiction_code < $2 AND next_due_at < $3")
        .bind(&lo).bind(&hi).bind(before).fetch_one(p).await?))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResponsibleRow {
    pub case_id: i64,
    pub seq: i32,
    pub person_id: i64,
    pub person_name: String,
    pub duty: String,
}

pub async fn responsible(db: &Db, case_id: i64) -> Result<Vec<ResponsibleRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, ResponsibleRow>(
        "SELECT r.case_id, r.seq, r.person_id, pe.name AS person_name, r.duty FROM monitoring_responsible r \
         JOIN people pe ON pe.id = r.person_id WHERE r.case_id = $1 ORDER BY r.seq")
        .bind(case_id).fetch_all(p).await?))
}

/// The people of the registry among `ids` with their home jurisdiction codes.
pub async fn people_places(db: &Db, ids: &[i64]) -> Result<Vec<(i64, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(on_db!(db, p => {
        let mut qb = sqlx::QueryBuilder::new("SELECT id, jurisdiction_code FROM people WHERE id IN (");
        let mut sep = qb.separated(", ");
        for id in ids {
            sep.push_bind(*id);
        }
        qb.push(")");
        qb.build_query_as::<(i64, String)>().fetch_all(p).await?
    }))
}

// ---- follow-ups ----

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct FollowupRow {
        pub id: i64,
    }
    #[derive(Debug, Clone)]
    pub struct NewFollowup {
        pub enc_key: Option<String>,
    }
    both {
        pub case_id: i64,
        pub followed_at: DateTime<Utc>,
        pub temperature: i32,
        pub symptoms: SealedText,
        pub abnormal: bool,
        pub note: SealedText,
        pub recorded_by: String,
    }
}

/// A referral made with a follow-up: the clinic and the alert text for each responsible
/// person.
#[derive(Debug, Clone)]
pub struct Referral {
    pub clinic: String,
    pub message: String,
}

/// Writes a follow-up and moves the case's last and next due times; with a referral, marks
/// the case referred and writes an alert for each of its responsible people. Returns the
/// follow-up's id and the number of alerts written.
pub async fn insert_followup(
    tx: &mut Tx,
    f: &NewFollowup,
    next_due_at: DateTime<Utc>,
    referral: Option<&Referral>,
    at: DateTime<Utc>,
) -> Result<(i64, u64)> {
    Ok(on_tx!(tx, x => {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO monitoring_followups (case_id, followed_at, temperature, symptoms, abnormal, note, recorded_by, created_at, enc_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
            .bind(f.case_id).bind(f.followed_at).bind(f.temperature).bind(&f.symptoms).bind(f.abnormal)
            .bind(&f.note).bind(&f.recorded_by).bind(at).bind(&f.enc_key).fetch_one(&mut *x).await?;
        // The last follow-up is the latest by time, whatever order they were entered in.
        sqlx::query(
            "UPDATE monitoring_cases SET last_followup_at = $2, next_due_at = $3 \
             WHERE id = $1 AND (last_followup_at IS NULL OR last_followup_at <= $2)")
            .bind(f.case_id).bind(f.followed_at).bind(next_due_at).execute(&mut *x).await?;
        let mut alerts = 0;
        if let Some(r) = referral {
            sqlx::query(
                "UPDATE monitoring_cases SET status = 'referred', referral_clinic = $2, referred_at = $3 \
                 WHERE id = $1 AND status = 'active'")
                .bind(f.case_id).bind(&r.clinic).bind(f.followed_at).execute(&mut *x).await?;
            alerts = sqlx::query(
                "INSERT INTO monitoring_alerts (case_id, person_id, followup_id, kind, message, created_at) \
                 SELECT case_id, person_id, $2, 'referral', $3, $4 FROM monitoring_responsible WHERE case_id = $1")
                .bind(f.case_id).bind(id).bind(&r.message).bind(at).execute(&mut *x).await?.rows_affected();
        }
        (id, alerts)
    }))
}

/// Puts a referred case back under monitoring (the fever clinic ruled the person out), its
/// next follow-up due at `next_due_at`; false when it was not referred.
/// Puts a referred case back under monitoring with the clinic's finding (sealed by the caller).
pub async fn resume(
    tx: &mut Tx,
    id: i64,
    next_due_at: DateTime<Utc>,
    finding: &str,
) -> Result<bool> {
    Ok(on_tx!(tx, x => sqlx::query(
        "UPDATE monitoring_cases SET status = 'active', next_due_at = $2, resume_finding = $3 \
         WHERE id = $1 AND status = 'referred'")
        .bind(id).bind(next_due_at).bind(finding).execute(&mut *x).await?.rows_affected())
        == 1)
}

/// A case's follow-ups made up to `until` (the app's now: a later one has not been made
/// yet), the latest first.
pub async fn followups(db: &Db, case_id: i64, until: DateTime<Utc>) -> Result<Vec<FollowupRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, FollowupRow>(
        "SELECT id, case_id, followed_at, temperature, symptoms, abnormal, note, recorded_by FROM monitoring_followups \
         WHERE case_id = $1 AND followed_at <= $2 ORDER BY followed_at DESC, id DESC")
        .bind(case_id).bind(until).fetch_all(p).await?))
}

/// One follow-up of a case, by its id, whenever it was made.
pub async fn followup(db: &Db, case_id: i64, id: i64) -> Result<Option<FollowupRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, FollowupRow>(
        "SELECT id, case_id, followed_at, temperature, symptoms, abnormal, note, recorded_by FROM monitoring_followups \
         WHERE case_id = $1 AND id = $2")
        .bind(case_id).bind(id).fetch_optional(p).await?))
}

// ---- alerts ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AlertRow {
    pub id: i64,
    pub case_id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub followup_id: Option<i64>,
    pub kind: String,
    pub message: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// A case's alerts written up to `until` (the app's now), the latest first.
pub async fn alerts(db: &Db, case_id: i64, until: DateTime<Utc>) -> Result<Vec<AlertRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, AlertRow>(
        "SELECT a.id, a.case_id, a.person_id, pe.name AS person_name, a.followup_id, a.kind, a.message, a.created_at, \
         a.read_at FROM monitoring_alerts a JOIN people pe ON pe.id = a.person_id WHERE a.case_id = $1 \
         AND a.created_at <= $2 ORDER BY a.id DESC")
        .bind(case_id).bind(until).fetch_all(p).await?))
}

// ---- release ----

/// Releases an open case and counts the release in the rollup; false if it was already
/// released.
pub async fn release(
    tx: &mut Tx,
    c: &CaseRow,
    on: NaiveDate,
    by: &str,
    reason: Option<&str>,
) -> Result<bool> {
    let n = on_tx!(tx, x => sqlx::query(
        "UPDATE monitoring_cases SET status = 'released', released_on = $2, released_by = $3, release_reason = $4 \
         WHERE id = $1 AND status <> 'released'")
        .bind(c.id).bind(on).bind(by).bind(reason).execute(&mut *x).await?.rows_affected());
    if n == 0 {
        return Ok(false);
    }
    bump_days(tx, &c.jurisdiction_code, &c.kind, on, 0, 1).await?;
    Ok(true)
}

// ---- figures ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PlaceKindFigure {
    pub place: String,
    pub kind: String,
    pub under: i64,
    pub started: i64,
    pub released: i64,
}

/// Under monitoring as of `day` (Σ started − Σ released up to it) and started and released
/// on that day, per place and kind, from the rollup rows of a level (6 county, 9 township)
/// within the scope.
pub async fn figures_from_rollup(
    db: &Db,
    scope: &Scope,
    level: i32,
    day: NaiveDate,
) -> Result<Vec<PlaceKindFigure>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_as::<_, PlaceKindFigure>(
        "SELECT place, kind, CAST(SUM(started) - SUM(released) AS BIGINT) AS under, \
         CAST(SUM(CASE WHEN day = $4 THEN started ELSE 0 END) AS BIGINT) AS started, \
         CAST(SUM(CASE WHEN day = $4 THEN released ELSE 0 END) AS BIGINT) AS released \
         FROM monitoring_days WHERE level = $1 AND place >= $2 AND place < $3 AND day <= $4 \
         GROUP BY place, kind ORDER BY place, kind")
        .bind(level).bind(&lo).bind(&hi).bind(day).fetch_all(p).await?))
}

/// The change in people under monitoring (Σ started − Σ released, all kinds) on each day up
/// to `to` that has rollup rows of a level within the scope, in day order: the running sum
/// up to a day is the number under monitoring as of that day.
pub async fn under_deltas(
    db: &Db,
    scope: &Scope,
    level: i32,
    to: NaiveDate,
) -> Result<Vec<(NaiveDate, i64)>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_as::<_, (NaiveDate, i64)>(
        "SELECT day, CAST(SUM(started) - SUM(released) AS BIGINT) FROM monitoring_days \
         WHERE level = $1 AND place >= $2 AND place < $3 AND day <= $4 GROUP BY day ORDER BY day")
        .bind(level).bind(&lo).bind(&hi).bind(to).fetch_all(p).await?))
}

/// The same figures counted from the cases themselves, grouped by the first `digits` of the
/// place (for scopes below a county, and to compare with the rollup).
pub async fn figures_from_cases(
    db: &Db,
    scope: &Scope,
    digits: i32,
    day: NaiveDate,
) -> Result<Vec<PlaceKindFigure>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_as::<_, PlaceKindFigure>(
        "SELECT SUBSTR(jurisdiction_code, 1, $4) AS place, kind, \
         CAST(SUM(CASE WHEN start_date <= $3 AND (released_on IS NULL OR released_on > $3) THEN 1 ELSE 0 END) AS BIGINT) AS under, \
         CAST(SUM(CASE WHEN start_date = $3 THEN 1 ELSE 0 END) AS BIGINT) AS started, \
         CAST(SUM(CASE WHEN released_on = $3 THEN 1 ELSE 0 END) AS BIGINT) AS released \
         FROM monitoring_cases WHERE jurisdiction_code >= $1 AND jurisdiction_code < $2 AND start_date <= $3 \
         GROUP BY SUBSTR(jurisdiction_code, 1, $4), kind ORDER BY place, kind")
        .bind(&lo).bind(&hi).bind(day).bind(digits).fetch_all(p).await?))
}

// ---- for loading data ----

/// A case as loaded in bulk, with its follow-ups.
#[derive(Debug, Clone)]
pub struct LoadCase {
    pub case: NewCase,
    pub status: String,
    pub last_followup_at: Option<DateTime<Utc>>,
    pub referral_clinic: Option<String>,
    pub referred_at: Option<DateTime<Utc>>,
    pub released_on: Option<NaiveDate>,
    pub released_by: Option<String>,
    pub followups: Vec<NewFollowup>,
    /// (person index among the responsible, follow-up index, message).
    pub alerts: Vec<(usize, usize, String)>,
}

/// Writes many cases with their people, follow-ups and alerts, and adds them to the
/// rollup; returns the number of follow-ups written.
pub async fn load_cases(tx: &mut Tx, rows: &[LoadCase], at: DateTime<Utc>) -> Result<usize> {
    use std::collections::BTreeMap;
    let mut written = 0;
    let mut days: BTreeMap<(i32, String, String, NaiveDate), (i64, i64)> = BTreeMap::new();
    for r in rows {
        for (level, place) in rollup_places(&r.case.jurisdiction_code) {
            days.entry((
                level,
                place.to_string(),
                r.case.kind.clone(),
                r.case.start_date,
            ))
            .or_default()
            .0 += 1;
            if let Some(on) = r.released_on {
                days.entry((level, place.to_string(), r.case.kind.clone(), on))
                    .or_default()
                    .1 += 1;
            }
        }
    }
    for chunk in rows.chunks(500) {
        let mut ids: Vec<i64> = on_tx!(tx, x => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO monitoring_cases (kind, name, id_number, phone, screened_person_id, traveller_id, \
                 jurisdiction_code, place, reason, last_exposure, start_date, planned_end, status, last_followup_at, \
                 next_due_at, referral_clinic, referred_at, released_on, released_by, created_by, created_at) ");
            qb.push_values(chunk, |mut b, r| {
                let c = &r.case;
                b.push_bind(c.kind.as_str()).push_bind(c.name.as_str()).push_bind(c.id_number.as_str())
                    .push_bind(c.phone.as_deref()).push_bind(c.screened_person_id).push_bind(c.traveller_id)
                    .push_bind(c.jurisdiction_code.as_str()).push_bind(c.place.as_str()).push_bind(c.reason.as_str())
                    .push_bind(c.last_exposure).push_bind(c.start_date).push_bind(c.planned_end)
                    .push_bind(r.status.as_str()).push_bind(r.last_followup_at).push_bind(c.next_due_at)
                    .push_bind(r.referral_clinic.as_deref()).push_bind(r.referred_at).push_bind(r.released_on)
                    .push_bind(r.released_by.as_deref()).push_bind(c.created_by.as_str()).push_bind(at);
            });
            qb.push(" RETURNING id");
            qb.build_query_scalar::<i64>().fetch_all(&mut *x).await?
        });
        // Identities are handed out in the order of the rows of one statement.
        ids.sort_unstable();
        let people: Vec<(i64, usize, &NewResponsible)> = ids
            .iter()
            .zip(chunk)
            .flat_map(|(id, r)| {
                r.case
                    .responsible
                    .iter()
                    .enumerate()
                    .map(move |(i, p)| (*id, i, p))
            })
            .collect();
        for part in people.chunks(2000) {
            on_tx!(tx, x => {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO monitoring_responsible (case_id, seq, person_id, duty) ");
                qb.push_values(part, |mut b, (id, i, p)| {
                    b.push_bind(*id).push_bind(*i as i32 + 1).push_bind(p.person_id).push_bind(p.duty.as_str());
                });
                qb.build().execute(&mut *x).await?;
            });
        }
        let followups: Vec<(i64, &NewFollowup)> = ids
            .iter()
            .zip(chunk)
            .flat_map(|(id, r)| r.followups.iter().map(move |f| (*id, f)))
            .collect();
        let mut followup_ids: Vec<i64> = Vec::with_capacity(followups.len());
        for part in followups.chunks(2000) {
            let mut got: Vec<i64> = on_tx!(tx, x => {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO monitoring_followups (case_id, followed_at, temperature, symptoms, abnormal, note, recorded_by, created_at, enc_key) ");
                qb.push_values(part, |mut b, (id, f)| {
                    b.push_bind(*id).push_bind(f.followed_at).push_bind(f.temperature).push_bind(f.symptoms.as_stored())
                        .push_bind(f.abnormal).push_bind(f.note.as_stored()).push_bind(f.recorded_by.as_str()).push_bind(at)
                        .push_bind(f.enc_key.as_deref());
                });
                qb.push(" RETURNING id");
                qb.build_query_scalar::<i64>().fetch_all(&mut *x).await?
            });
            got.sort_unstable();
            followup_ids.extend(got);
            written += part.len();
        }
        let mut alerts: Vec<(i64, i64, i64, &str)> = Vec::new();
        let mut offset = 0;
        for (id, r) in ids.iter().zip(chunk) {
            for (person, followup, message) in &r.alerts {
                if let (Some(p), Some(f)) = (
                    r.case.responsible.get(*person),
                    followup_ids.get(offset + followup),
                ) {
                    alerts.push((*id, p.person_id, *f, message.as_str()));
                }
            }
            offset += r.followups.len();
        }
        for part in alerts.chunks(2000) {
            on_tx!(tx, x => {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO monitoring_alerts (case_id, person_id, followup_id, kind, message, created_at) ");
                qb.push_values(part, |mut b, (c, p, f, m)| {
                    b.push_bind(*c).push_bind(*p).push_bind(*f).push_bind("referral").push_bind(*m).push_bind(at);
                });
                qb.build().execute(&mut *x).await?;
            });
        }
    }
    let days: Vec<_> = days.into_iter().collect();
    for part in days.chunks(2000) {
        on_tx!(tx, x => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO monitoring_days (level, place, kind, day, started, released) ");
            qb.push_values(part, |mut b, ((level, place, kind, day), (s, r))| {
                b.push_bind(*level).push_bind(place.as_str()).push_bind(kind.as_str()).push_bind(*day)
                    .push_bind(*s).push_bind(*r);
            });
            qb.push(" ON CONFLICT (level, place, kind, day) DO UPDATE SET started = monitoring_days.started + excluded.started, \
                     released = monitoring_days.released + excluded.released");
            qb.build().execute(&mut *x).await?;
        });
    }
    Ok(written)
}

/// The grids (or, lacking grids, the villages) under a code, for loading data.
pub async fn owning_places(tx: &mut Tx, under: &str) -> Result<Vec<String>> {
    let (lo, hi) = (under.to_string(), format!("{under}:"));
    let grids: Vec<String> = on_tx!(tx, x => sqlx::query_scalar(
        "SELECT code FROM jurisdictions WHERE code >= $1 AND code < $2 AND level = 6 ORDER BY code")
        .bind(&lo).bind(&hi).fetch_all(&mut *x).await?);
    if !grids.is_empty() {
        return Ok(grids);
    }
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "SELECT code FROM jurisdictions WHERE code >= $1 AND code < $2 AND level = 5 ORDER BY code")
        .bind(&lo).bind(&hi).fetch_all(&mut *x).await?))
}

/// The first `limit` people of the registry living under a code, for loading data.
pub async fn people_under(tx: &mut Tx, under: &str, limit: i64) -> Result<Vec<i64>> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "SELECT id FROM people WHERE jurisdiction_code >= $1 AND jurisdiction_code < $2 ORDER BY id LIMIT $3")
        .bind(under).bind(format!("{under}:")).bind(limit).fetch_all(&mut *x).await?))
}

/// The overdue count of [`count_due`] computed by scanning every case of the table, without
/// the partial index (for comparison in the benchmark).
pub async fn count_due_scanning(db: &Db, scope: &Scope, before: DateTime<Utc>) -> Result<i64> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM monitoring_cases WHERE (status || '') = 'active' \
         AND (jurisdiction_code || '') >= $1 AND (jurisdiction_code || '') < $2 AND next_due_at < $3")
        .bind(&lo).bind(&hi).bind(before).fetch_one(p).await?))
}
