//! Checkpoints (卡口), their shifts and staff, and the passages registered at them with
//! their travellers. A passage carries its checkpoint's jurisdiction code and its own counts
//! (persons, fevers, outcomes), so scoped lists are index ranges and the counts per
//! checkpoint and day are sums over passages; the writes here add each passage's counts to
//! the rollup of `passage_days` in their transaction.

use crate::passage_days::{self, Contribution, DayKey, PassageCounts};
use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use dualtrack_domain::jurisdiction::Scope;

// ---- checkpoints ----

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct CheckpointRow {
        pub id: i64,
    }
    #[derive(Debug, Clone)]
    pub struct NewCheckpoint {
        pub created_by: String,
    }
    both {
        pub name: String,
        pub road: String,
        pub place: String,
        pub jurisdiction_code: String,
        pub kind: String,
        pub active_from: NaiveDate,
        pub active_until: Option<NaiveDate>,
    }
}

const CHECKPOINT_SELECT: &str =
    "SELECT c.id, c.name, c.road, c.place, c.jurisdiction_code, c.kind, \
     c.active_from, c.active_until FROM checkpoints c";

pub async fn insert_checkpoint(tx: &mut Tx, c: &NewCheckpoint, at: DateTime<Utc>) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO checkpoints (name, road, place, jurisdiction_code, kind, active_from, active_until, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
        .bind(&c.name).bind(&c.road).bind(&c.place).bind(&c.jurisdiction_code).bind(&c.kind)
        .bind(c.active_from).bind(c.active_until).bind(&c.created_by).bind(at)
        .fetch_one(&mut *x).await?))
}

pub async fn checkpoint(db: &Db, id: i64) -> Result<Option<CheckpointRow>> {
    let sql = format!("{CHECKPOINT_SELECT} WHERE c.id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, CheckpointRow>(&sql).bind(id).fetch_optional(p).await?))
}

/// Checkpoints of the scope; with `staff`, only those the account is assigned to.
pub async fn checkpoints(db: &Db, scope: &Scope, staff: Option<i64>) -> Result<Vec<CheckpointRow>> {
    let (lo, hi) = scope.range();
    let sql = format!(
        "{CHECKPOINT_SELECT} WHERE c.jurisdiction_code >= $1 AND c.jurisdiction_code < $2 \
         AND {} ORDER BY c.jurisdiction_code, c.id",
        at_staff_checkpoints("c.id", 3)
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, CheckpointRow>(&sql).bind(&lo).bind(&hi)
        .bind(staff.unwrap_or(-1)).fetch_all(p).await?),
    )
}

pub async fn assign_staff(tx: &mut Tx, user_id: i64, checkpoint_id: i64) -> Result<()> {
    on_tx!(tx, x => sqlx::query(
        "INSERT INTO checkpoint_staff (user_id, checkpoint_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(user_id).bind(checkpoint_id).execute(&mut *x).await.map(|_| ())?);
    Ok(())
}

/// Takes an account off a checkpoint; false when it did not work there.
pub async fn remove_staff(tx: &mut Tx, user_id: i64, checkpoint_id: i64) -> Result<bool> {
    Ok(on_tx!(tx, x => sqlx::query(
        "DELETE FROM checkpoint_staff WHERE user_id = $1 AND checkpoint_id = $2")
        .bind(user_id).bind(checkpoint_id).execute(&mut *x).await?.rows_affected())
        == 1)
}

/// Whether the account works at the checkpoint.
pub async fn is_staff(db: &Db, user_id: i64, checkpoint_id: i64) -> Result<bool> {
    let n: i64 = on_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM checkpoint_staff WHERE user_id = $1 AND checkpoint_id = $2")
        .bind(user_id).bind(checkpoint_id).fetch_one(p).await?);
    Ok(n > 0)
}

/// The accounts that work at a checkpoint: (user id, user name, display name).
pub async fn staff(db: &Db, checkpoint_id: i64) -> Result<Vec<(i64, String, String)>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, (i64, String, String)>(
        "SELECT u.id, u.username, u.display_name FROM checkpoint_staff s JOIN users u ON u.id = s.user_id \
         WHERE s.checkpoint_id = $1 ORDER BY u.username")
        .bind(checkpoint_id).fetch_all(p).await?))
}

// ---- shifts ----

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct ShiftRow {
        pub id: i64,
    }
    #[derive(Debug, Clone)]
    pub struct NewShift {
        pub created_by: String,
        pub people: Vec<i64>,
    }
    both {
        pub checkpoint_id: i64,
        pub shift_date: NaiveDate,
        pub starts_at: String,
        pub ends_at: String,
        pub note: String,
    }
}

pub async fn insert_shift(tx: &mut Tx, s: &NewShift, at: DateTime<Utc>) -> Result<i64> {
    Ok(on_tx!(tx, x => {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO checkpoint_shifts (checkpoint_id, shift_date, starts_at, ends_at, note, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
            .bind(s.checkpoint_id).bind(s.shift_date).bind(&s.starts_at).bind(&s.ends_at).bind(&s.note)
            .bind(&s.created_by).bind(at).fetch_one(&mut *x).await?;
        for person in &s.people {
            sqlx::query("INSERT INTO checkpoint_shift_people (shift_id, person_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(id).bind(*person).execute(&mut *x).await?;
        }
        id
    }))
}

/// A checkpoint's shifts from a day on (or all), the latest first.
pub async fn shifts(
    db: &Db,
    checkpoint_id: i64,
    from: NaiveDate,
    limit: i64,
) -> Result<Vec<ShiftRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, ShiftRow>(
        "SELECT id, checkpoint_id, shift_date, starts_at, ends_at, note FROM checkpoint_shifts \
         WHERE checkpoint_id = $1 AND shift_date >= $2 ORDER BY shift_date DESC, starts_at DESC, id DESC LIMIT $3")
        .bind(checkpoint_id).bind(from).bind(limit).fetch_all(p).await?))
}

/// The people on duty of the checkpoint's shifts from a day on: (shift, person, name).
pub async fn shift_people(
    db: &Db,
    checkpoint_id: i64,
    from: NaiveDate,
) -> Result<Vec<(i64, i64, String)>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, (i64, i64, String)>(
        "SELECT sp.shift_id, sp.person_id, pe.name FROM checkpoint_shift_people sp \
         JOIN checkpoint_shifts s ON s.id = sp.shift_id JOIN people pe ON pe.id = sp.person_id \
         WHERE s.checkpoint_id = $1 AND s.shift_date >= $2 ORDER BY sp.shift_id, pe.name")
        .bind(checkpoint_id).bind(from).fetch_all(p).await?))
}

// ---- passages ----

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct TravellerRow {
        pub passage_id: i64,
        pub seq: i32,
        pub handover_id: Option<i64>,
    }
    #[derive(Debug, Clone)]
    pub struct NewTraveller {
        /// The hand-over to make to the destination's place, when it lies inside the region and
        /// the traveller goes on.
        pub handover: Option<crate::handovers::NewHandover>,
        /// The blind index of the ID number (see `sealing`).
        pub id_bidx: Option<String>,
        /// The key the name, ID number and phone are sealed under (none: stored plain).
        pub enc_key: Option<String>,
    }
    both {
        pub is_driver: bool,
        pub name: String,
        pub id_number: String,
        pub phone: Option<String>,
        /// Tenths of °C.
        pub temperature: i32,
        pub fever: bool,
        pub outcome: String,
        pub destination_code: Option<String>,
        pub destination_text: String,
    }
}

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct PassageRow {
        pub id: i64,
        pub checkpoint_name: String,
        pub persons: i32,
        pub fevers: i32,
    }
    #[derive(Debug, Clone)]
    pub struct NewPassage {
        pub idempotency_key: Option<String>,
        pub travellers: Vec<NewTraveller>,
    }
    both {
        pub checkpoint_id: i64,
        pub jurisdiction_code: String,
        pub passed_at: DateTime<Utc>,
        pub pass_date: NaiveDate,
        pub plate: Option<String>,
        pub vehicle_class: Option<String>,
        pub origin_code: Option<String>,
        pub origin_text: String,
        pub travel_history: String,
        pub reason: String,
        pub recorded_by: String,
    }
}

impl NewPassage {
    fn count(&self, outcome: &str) -> i32 {
        self.travellers
            .iter()
            .filter(|t| t.outcome == outcome)
            .count() as i32
    }

    fn fevers(&self) -> i32 {
        self.travellers.iter().filter(|t| t.fever).count() as i32
    }

    /// What the passage adds to the per-checkpoint, per-day rollup.
    pub fn contribution(&self) -> Contribution {
        Contribution {
            key: DayKey {
                checkpoint_id: self.checkpoint_id,
                jurisdiction_code: self.jurisdiction_code.clone(),
                day: self.pass_date,
            },
            counts: PassageCounts {
                passages: 1,
                vehicles: i64::from(self.plate.is_some()),
                persons: self.travellers.len() as i64,
                fevers: i64::from(self.fevers()),
                let_through: i64::from(self.count("through")),
                turned_back: i64::from(self.count("turned_back")),
                observed: i64::from(self.count("observation")),
                quarantined: i64::from(self.count("quarantine")),
            },
        }
    }
}

const PASSAGE_SELECT: &str = "SELECT p.id, p.checkpoint_id, c.name AS checkpoint_name, p.jurisdiction_code, p.passed_at, \
     p.pass_date, p.plate, p.vehicle_class, p.origin_code, p.origin_text, p.travel_history, p.reason, p.persons, p.fevers, \
     p.recorded_by FROM passages p JOIN checkpoints c ON c.id = p.checkpoint_id";

/// The hand-over of a traveller is found by its traveller id (one index seek), so writing a
/// passage needs no second pass over its travellers.
const TRAVELLER_SELECT: &str =
    "SELECT t.passage_id, t.seq, t.is_driver, t.name, t.id_number, t.phone, t.temperature, t.fever, t.outcome, \
     t.destination_code, t.destination_text, h.id AS handover_id \
     FROM passage_travellers t LEFT JOIN handovers h ON h.traveller_id = t.id";

/// Writes a passage with its travellers.
/// A passage as written: its id and, for each traveller in order, the hand-over made.
#[derive(Debug, Clone)]
pub struct Written {
    pub id: i64,
    pub handovers: Vec<Option<i64>>,
}

impl NewPassage {
    /// The rows a read of the passage just written would give, without reading it back.
    pub fn rows(&self, w: &Written, checkpoint_name: &str) -> (PassageRow, Vec<TravellerRow>) {
        let travellers = self
            .travellers
            .iter()
            .enumerate()
            .map(|(i, t)| TravellerRow {
                passage_id: w.id,
                seq: i as i32 + 1,
                is_driver: t.is_driver,
                name: t.name.clone(),
                id_number: t.id_number.clone(),
                phone: t.phone.clone(),
                temperature: t.temperature,
                fever: t.fever,
                outcome: t.outcome.clone(),
                destination_code: t.destination_code.clone(),
                destination_text: t.destination_text.clone(),
                handover_id: w.handovers.get(i).copied().flatten(),
            })
            .collect();
        let passage = PassageRow {
            id: w.id,
            checkpoint_id: self.checkpoint_id,
            checkpoint_name: checkpoint_name.to_string(),
            jurisdiction_code: self.jurisdiction_code.clone(),
            passed_at: self.passed_at,
            pass_date: self.pass_date,
            plate: self.plate.clone(),
            vehicle_class: self.vehicle_class.clone(),
            origin_code: self.origin_code.clone(),
            origin_text: self.origin_text.clone(),
            travel_history: self.travel_history.clone(),
            reason: self.reason.clone(),
            persons: self.travellers.len() as i32,
            fevers: self.fevers(),
            recorded_by: self.recorded_by.clone(),
        };
        (passage, travellers)
    }
}

/// Binds a passage's values (`NewPassage`, written at `at`) in the order of
/// [`PASSAGE_INSERT`]'s columns, on either engine's statement.
macro_rules! bind_passage {
    ($b:expr, $r:expr, $at:expr) => {
        $b.push_bind($r.checkpoint_id)
            .push_bind($r.jurisdiction_code.as_str())
            .push_bind($r.passed_at)
            .push_bind($r.pass_date)
            .push_bind($r.plate.as_deref())
            .push_bind($r.vehicle_class.as_deref())
            .push_bind($r.origin_code.as_deref())
            .push_bind($r.origin_text.as_str())
            .push_bind($r.travel_history.as_str())
            .push_bind($r.reason.as_str())
            .push_bind($r.travellers.len() as i32)
            .push_bind($r.fevers())
            .push_bind($r.count("through"))
            .push_bind($r.count("turned_back"))
            .push_bind($r.count("observation"))
            .push_bind($r.count("quarantine"))
            .push_bind($r.idempotency_key.as_deref())
            .push_bind($r.recorded_by.as_str())
            .push_bind($at)
    };
}

pub async fn insert_passage(tx: &mut Tx, r: &NewPassage, at: DateTime<Utc>) -> Result<Written> {
    let id = match tx {
        // The checkpoint's day row is added to by the statement that writes the passage: one
        // round trip less for every registration.
        Tx::Postgres(x) => {
            let mut qb = sqlx::QueryBuilder::new("WITH day AS (");
            passage_days::push_add(&mut qb, &r.contribution());
            qb.push(") ");
            qb.push(PASSAGE_INSERT);
            qb.push(" VALUES (");
            let mut b = qb.separated(", ");
            bind_passage!(b, r, at);
            qb.push(") RETURNING id");
            qb.build_query_scalar::<i64>().fetch_one(&mut **x).await?
        }
        Tx::Sqlite(..) => {
            let id = write_passages(tx, std::slice::from_ref(r), at)
                .await?
                .first()
                .copied()
                .ok_or(sqlx::Error::RowNotFound)?;
            passage_days::add(tx, &[r.contribution()]).await?;
            id
        }
    };
    let travellers: Vec<(i64, usize, &NewTraveller)> = r
        .travellers
        .iter()
        .enumerate()
        .map(|(i, t)| (id, i, t))
        .collect();
    let tids = write_travellers(tx, &travellers).await?;
    let handovers: Vec<_> = tids
        .iter()
        .zip(&r.travellers)
        .filter_map(|(tid, t)| {
            t.handover.as_ref().map(|h| {
                (
                    *tid,
                    id,
                    r.jurisdiction_code.clone(),
                    r.pass_date,
                    r.passed_at,
                    h,
                )
            })
        })
        .collect();
    let made = crate::handovers::insert_for_travellers(tx, &handovers).await?;
    let handovers = tids
        .iter()
        .map(|tid| made.iter().find(|(t, _)| t == tid).map(|(_, h)| *h))
        .collect();
    Ok(Written { id, handovers })
}

/// The head of the statement that writes passages, up to its values (bound by
/// `bind_passage!`, in this order).
const PASSAGE_INSERT: &str =
    "INSERT INTO passages (checkpoint_id, jurisdiction_code, passed_at, pass_date, plate, vehicle_class, origin_code, \
     origin_text, travel_history, reason, persons, fevers, let_through, turned_back, observed, quarantined, \
     idempotency_key, recorded_by, created_at)";

/// Writes the rows of passages (not their travellers) in one statement; their ids, in the
/// order of `rows`.
async fn write_passages(tx: &mut Tx, rows: &[NewPassage], at: DateTime<Utc>) -> Result<Vec<i64>> {
    let mut ids: Vec<i64> = on_tx!(tx, x => {
        let mut qb = sqlx::QueryBuilder::new(PASSAGE_INSERT);
        qb.push(" ");
        qb.push_values(rows, |mut b, r| {
            bind_passage!(b, r, at);
        });
        qb.push(" RETURNING id");
        qb.build_query_scalar::<i64>().fetch_all(&mut *x).await?
    });
    // Identities are handed out in the order of the rows of one statement.
    ids.sort_unstable();
    Ok(ids)
}

/// Writes travellers (their passage, their place in it from 0, the traveller) in one
/// statement; their ids, in the order of `rows`.
async fn write_travellers(tx: &mut Tx, rows: &[(i64, usize, &NewTraveller)]) -> Result<Vec<i64>> {
    let mut tids: Vec<i64> = on_tx!(tx, x => {
        let mut qb = sqlx::QueryBuilder::new(
            "INSERT INTO passage_travellers (passage_id, seq, is_driver, name, id_number, phone, temperature, fever, \
             outcome, destination_code, destination_text, id_bidx, enc_key) ");
        qb.push_values(rows, |mut b, (id, i, t)| {
            b.push_bind(*id).push_bind(*i as i32 + 1).push_bind(t.is_driver).push_bind(t.name.as_str())
                .push_bind(t.id_number.as_str()).push_bind(t.phone.as_deref()).push_bind(t.temperature)
                .push_bind(t.fever).push_bind(t.outcome.as_str()).push_bind(t.destination_code.as_deref())
                .push_bind(t.destination_text.as_str()).push_bind(t.id_bidx.as_deref())
                .push_bind(t.enc_key.as_deref());
        });
        qb.push(" RETURNING id");
        qb.build_query_scalar::<i64>().fetch_all(&mut *x).await?
    });
    tids.sort_unstable();
    Ok(tids)
}

/// Writes many passages at once (for loading data); returns how many travellers were written.
pub async fn insert_passages(tx: &mut Tx, rows: &[NewPassage], at: DateTime<Utc>) -> Result<usize> {
    let mut written = 0;
    for chunk in rows.chunks(1000) {
        let ids = write_passages(tx, chunk, at).await?;
        let contributions: Vec<Contribution> = chunk.iter().map(NewPassage::contribution).collect();
        passage_days::add(tx, &contributions).await?;
        let by_id: std::collections::HashMap<i64, &NewPassage> =
            ids.iter().copied().zip(chunk).collect();
        let mut handovers = Vec::new();
        let travellers: Vec<(i64, usize, &NewTraveller)> = ids
            .iter()
            .zip(chunk)
            .flat_map(|(id, r)| {
                r.travellers
                    .iter()
                    .enumerate()
                    .map(move |(i, t)| (*id, i, t))
            })
            .collect();
        for part in travellers.chunks(2000) {
            let tids = write_travellers(tx, part).await?;
            for (tid, (id, _, t)) in tids.iter().zip(part) {
                if let Some(h) = &t.handover {
                    if let Some(r) = by_id.get(id) {
                        handovers.push((
                            *tid,
                            *id,
                            r.jurisdiction_code.clone(),
                            r.pass_date,
                            r.passed_at,
                            h,
                        ));
                    }
                }
            }
            written += part.len();
        }
        crate::handovers::insert_for_travellers(tx, &handovers).await?;
    }
    Ok(written)
}

pub async fn passage(db: &Db, id: i64) -> Result<Option<PassageRow>> {
    let sql = format!("{PASSAGE_SELECT} WHERE p.id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, PassageRow>(&sql).bind(id).fetch_optional(p).await?))
}

/// A checkpoint's passages up to `until` (the app's now: a later passage has not happened
/// yet), the latest first; with `day`, only that day's.
/// Which passages of a checkpoint a list shows: of one day, with a traveller of one ID
/// number (its blind index).
#[derive(Debug, Clone, Copy, Default)]
pub struct PassageFilter<'a> {
    pub day: Option<NaiveDate>,
    pub id_bidx: Option<&'a str>,
}

pub async fn passages(
    db: &Db,
    checkpoint_id: i64,
    f: PassageFilter<'_>,
    until: DateTime<Utc>,
    limit: i64,
    offset: i64,
) -> Result<Vec<PassageRow>> {
    let day = if f.day.is_some() {
        "p.pass_date = $2"
    } else {
        "$2 IS NULL"
    };
    let sql = format!(
        "{PASSAGE_SELECT} WHERE p.checkpoint_id = $1 AND {day} AND p.passed_at <= $5 \
         AND ($6 = '' OR EXISTS (SELECT 1 FROM passage_travellers t WHERE t.id_bidx = $6 AND t.passage_id = p.id)) \
         ORDER BY p.passed_at DESC, p.id DESC LIMIT $3 OFFSET $4"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, PassageRow>(&sql).bind(checkpoint_id).bind(f.day)
        .bind(limit).bind(offset).bind(until).bind(f.id_bidx.unwrap_or("")).fetch_all(p).await?),
    )
}

/// The travellers of some passages, in order.
pub async fn travellers(db: &Db, passage_ids: &[i64]) -> Result<Vec<TravellerRow>> {
    if passage_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(on_db!(db, p => {
        let mut qb = sqlx::QueryBuilder::new(format!("{TRAVELLER_SELECT} WHERE t.passage_id IN ("));
        let mut sep = qb.separated(", ");
        for id in passage_ids {
            sep.push_bind(*id);
        }
        qb.push(") ORDER BY t.passage_id, t.seq");
        qb.build_query_as::<TravellerRow>().fetch_all(p).await?
    }))
}

// ---- counts ----

/// The counts of passages, as the rollup keeps them.
pub use crate::passage_days::PassageCounts as Counts;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DayCounts {
    pub checkpoint_id: i64,
    pub pass_date: NaiveDate,
    #[sqlx(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CountyCounts {
    pub county: String,
    #[sqlx(flatten)]
    pub counts: Counts,
}

const SUMS: &str = "COUNT(*) AS passages, \
     CAST(SUM(CASE WHEN p.plate IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS vehicles, \
     CAST(SUM(p.persons) AS BIGINT) AS persons, CAST(SUM(p.fevers) AS BIGINT) AS fevers, \
     CAST(SUM(p.let_through) AS BIGINT) AS let_through, CAST(SUM(p.turned_back) AS BIGINT) AS turned_back, \
     CAST(SUM(p.observed) AS BIGINT) AS observed, CAST(SUM(p.quarantined) AS BIGINT) AS quarantined";

/// The condition that keeps rows to the checkpoints of the account bound as parameter
/// `$param` (a negative account: every checkpoint). Every read of checkpoint work — lists,
/// counts, passages, hand-overs sent, outbound notices — goes through it, so an account
/// bound to its checkpoints sees their work and no other.
pub fn at_staff_checkpoints(column: &str, param: usize) -> String {
    format!(
        "(${param} < 0 OR {column} IN (SELECT s.checkpoint_id FROM checkpoint_staff s WHERE s.user_id = ${param}))"
    )
}

/// The counts of the passages grouped by `group`, each group named by `keys`: within the
/// scope (`$1`, `$2`), over a period (`$3` to `$4`, both included), at the checkpoints of
/// the account `$5` and up to `$6` (the app's now).
fn counts_sql(keys: &str, group: &str) -> String {
    format!(
        "SELECT {keys}, {SUMS} FROM passages p \
         WHERE p.jurisdiction_code >= $1 AND p.jurisdiction_code < $2 AND p.pass_date >= $3 AND p.pass_date <= $4 AND p.passed_at <= $6 \
         AND {} GROUP BY {group}",
        at_staff_checkpoints("p.checkpoint_id", 5)
    )
}

/// Counts per checkpoint and day over a period (both ends included), within the scope and,
/// with `staff`, the account's checkpoints; of the passages up to `until` (the app's now).
pub async fn counts_by_day(
    db: &Db,
    scope: &Scope,
    staff: Option<i64>,
    from: NaiveDate,
    to: NaiveDate,
    until: DateTime<Utc>,
) -> Result<Vec<DayCounts>> {
    let (lo, hi) = scope.range();
    let sql = counts_sql(
        "p.checkpoint_id, p.pass_date",
        "p.checkpoint_id, p.pass_date ORDER BY p.pass_date DESC, p.checkpoint_id",
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, DayCounts>(&sql).bind(&lo).bind(&hi).bind(from).bind(to)
        .bind(staff.unwrap_or(-1)).bind(until).fetch_all(p).await?),
    )
}

/// Counts per county over a period, of the passages up to `until`.
pub async fn counts_by_county(
    db: &Db,
    scope: &Scope,
    staff: Option<i64>,
    from: NaiveDate,
    to: NaiveDate,
    until: DateTime<Utc>,
) -> Result<Vec<CountyCounts>> {
    let (lo, hi) = scope.range();
    let sql = counts_sql(
        "SUBSTR(p.jurisdiction_code, 1, 6) AS county",
        "SUBSTR(p.jurisdiction_code, 1, 6) ORDER BY county",
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, CountyCounts>(&sql).bind(&lo).bind(&hi).bind(from).bind(to)
        .bind(staff.unwrap_or(-1)).bind(until).fetch_all(p).await?),
    )
}

// ---- for loading data ----

/// People of the registry living in the scope, the first `limit` by id (for duty rosters).
pub async fn people_in(tx: &mut Tx, scope: &Scope, limit: i64) -> Result<Vec<i64>> {
    let (lo, hi) = scope.range();
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "SELECT id FROM people WHERE jurisdiction_code >= $1 AND jurisdiction_code < $2 ORDER BY id LIMIT $3")
        .bind(&lo).bind(&hi).bind(limit).fetch_all(&mut *x).await?))
}

/// The id of an account by its user name.
pub async fn user_id(tx: &mut Tx, username: &str) -> Result<Option<i64>> {
    Ok(
        on_tx!(tx, x => sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(username).fetch_optional(&mut *x).await?),
    )
}
