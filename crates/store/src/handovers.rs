//! Hand-overs of travellers from a checkpoint to the place of their destination, their
//! history, outbound notices (destinations outside the region) and the erasure of personal
//! data after the retention period.

use crate::checkpoints::at_staff_checkpoints;
use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use dualtrack_domain::jurisdiction::Scope;

/// A hand-over to make for a traveller as the passage is written.
#[derive(Debug, Clone)]
pub struct NewHandover {
    /// The grid, village or wider place that receives the traveller.
    pub to_code: String,
    pub due_at: DateTime<Utc>,
    /// Set when loading data that was already acknowledged: when and by whom.
    pub acknowledged: Option<(DateTime<Utc>, String)>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HandoverRow {
    pub id: i64,
    pub traveller_id: i64,
    pub passage_id: i64,
    pub from_code: String,
    pub to_code: String,
    pub status: String,
    pub made_on: NaiveDate,
    pub made_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    pub note: String,
    pub case_id: Option<i64>,
    pub checkpoint_id: i64,
    pub checkpoint_name: String,
    pub passed_at: DateTime<Utc>,
    pub origin_text: String,
    pub travel_history: String,
    pub reason: String,
    pub plate: Option<String>,
    pub name: String,
    pub id_number: String,
    pub phone: Option<String>,
    pub temperature: i32,
    pub fever: bool,
    pub outcome: String,
    pub destination_code: Option<String>,
    pub destination_text: String,
}

impl HandoverRow {
    /// The hand-over as it stood at `now`: one acknowledged later (a demo day gone back to)
    /// was still waiting then.
    pub fn as_of(mut self, now: DateTime<Utc>) -> HandoverRow {
        if self.acknowledged_at.is_some_and(|a| a > now) {
            self.status = "pending".into();
            self.acknowledged_at = None;
            self.acknowledged_by = None;
            self.note = String::new();
            self.case_id = None;
        }
        self
    }
}

/// Waiting as of `$n` (the time bound of the query): not yet acknowledged, or later.
fn waiting_at(n: u8) -> String {
    format!("(h.status = 'pending' OR h.acknowledged_at > ${n})")
}

const HANDOVER_SELECT: &str = "SELECT h.id, h.traveller_id, h.passage_id, h.from_code, h.to_code, h.status, h.made_on, \
     h.made_at, h.due_at, h.acknowledged_at, h.acknowledged_by, h.note, h.case_id, p.checkpoint_id, \
     c.name AS checkpoint_name, p.passed_at, p.origin_text, p.travel_history, p.reason, p.plate, t.name, t.id_number, \
     t.phone, t.temperature, t.fever, t.outcome, t.destination_code, t.destination_text \
     FROM handovers h JOIN passage_travellers t ON t.id = h.traveller_id JOIN passages p ON p.id = h.passage_id \
     JOIN checkpoints c ON c.id = p.checkpoint_id";

/// A hand-over to write: traveller id, passage id, the checkpoint's place, the day and time
/// of the passage, and the hand-over.
pub(crate) type HandoverRowIn<'a> = (i64, i64, String, NaiveDate, DateTime<Utc>, &'a NewHandover);

/// Writes the hand-overs of travellers just written (readers find a traveller's hand-over by
/// its traveller id; `passage_travellers.handover_id` is not kept).
pub(crate) async fn insert_for_travellers(
    tx: &mut Tx,
    rows: &[HandoverRowIn<'_>],
) -> Result<Vec<(i64, i64)>> {
    let mut ids = Vec::new();
    for part in rows.chunks(1000) {
        on_tx!(tx, x => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO handovers (traveller_id, passage_id, from_code, to_code, status, made_on, made_at, due_at, \
                 acknowledged_at, acknowledged_by) ");
            qb.push_values(part, |mut b, (tid, pid, from, on, at, h)| {
                let (ack_at, ack_by) = match &h.acknowledged {
                    Some((a, by)) => (Some(*a), Some(by.as_str())),
                    None => (None, None),
                };
                b.push_bind(*tid).push_bind(*pid).push_bind(from.as_str()).push_bind(h.to_code.as_str())
                    .push_bind(if ack_at.is_some() { "acknowledged" } else { "pending" })
                    .push_bind(*on).push_bind(*at).push_bind(h.due_at).push_bind(ack_at).push_bind(ack_by);
            });
            qb.push(" RETURNING traveller_id, id");
            ids.extend(qb.build_query_as::<(i64, i64)>().fetch_all(&mut *x).await?);
        });
    }
    Ok(ids)
}

pub async fn handover(db: &Db, id: i64) -> Result<Option<HandoverRow>> {
    let sql = format!("{HANDOVER_SELECT} WHERE h.id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, HandoverRow>(&sql).bind(id).fetch_optional(p).await?))
}

/// Which hand-overs a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// Waiting to be acknowledged (the overdue first).
    Pending,
    /// Waiting past their due time.
    Overdue,
    /// Acknowledged, the latest first.
    Acknowledged,
}

/// Hand-overs received in a scope (by the place that owns them now).
pub async fn received(
    db: &Db,
    scope: &Scope,
    which: Which,
    now: DateTime<Utc>,
    limit: i64,
    offset: i64,
) -> Result<Vec<HandoverRow>> {
    let (lo, hi) = scope.range();
    let waiting = waiting_at(3);
    let cond = match which {
        Which::Pending => format!("{waiting} AND h.made_at <= $3 ORDER BY h.due_at, h.id"),
        Which::Overdue => {
            format!("{waiting} AND h.due_at < $3 AND h.made_at <= $3 ORDER BY h.due_at, h.id")
        }
        Which::Acknowledged => {
            "h.status = 'acknowledged' AND h.acknowledged_at <= $3 AND h.made_at <= $3 \
             ORDER BY h.acknowledged_at DESC, h.id DESC"
                .into()
        }
    };
    let sql = format!(
        "{HANDOVER_SELECT} WHERE h.to_code >= $1 AND h.to_code < $2 AND {cond} LIMIT $4 OFFSET $5"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, HandoverRow>(&sql).bind(&lo).bind(&hi).bind(now).bind(limit)
        .bind(offset).fetch_all(p).await?),
    )
}

/// Hand-overs made by the checkpoints of a scope up to `now`, the latest first.
pub async fn sent(
    db: &Db,
    scope: &Scope,
    staff: Option<i64>,
    now: DateTime<Utc>,
    limit: i64,
    offset: i64,
) -> Result<Vec<HandoverRow>> {
    let (lo, hi) = scope.range();
    let sql = format!(
        "{HANDOVER_SELECT} WHERE h.from_code >= $1 AND h.from_code < $2 AND {} AND h.made_at <= $5 \
         ORDER BY h.id DESC LIMIT $3 OFFSET $6",
        at_staff_checkpoints("p.checkpoint_id", 4)
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, HandoverRow>(&sql).bind(&lo).bind(&hi).bind(limit)
        .bind(staff.unwrap_or(-1)).bind(now).bind(offset).fetch_all(p).await?),
    )
}

/// The places a traveller belongs to: the place of the checkpoint it passed, and those its
/// hand-overs were sent to. Empty when there is no such traveller.
pub async fn traveller_places(db: &Db, traveller_id: i64) -> Result<Vec<String>> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, String>(
        "SELECT p.jurisdiction_code FROM passage_travellers t JOIN passages p ON p.id = t.passage_id WHERE t.id = $1 \
         UNION SELECT h.to_code FROM handovers h WHERE h.traveller_id = $1")
        .bind(traveller_id).fetch_all(p).await?))
}

/// Counts of one place (a child of the scope, by code prefix).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PlaceCounts {
    pub place: String,
    pub made: i64,
    pub pending: i64,
    pub overdue: i64,
    pub acknowledged: i64,
    pub acknowledged_late: i64,
}

/// Per child place of a scope (codes cut to `len` characters): hand-overs made on `day`,
/// and, as of `now`, those pending, overdue, acknowledged (by then) and acknowledged after
/// their due time.
pub async fn counts_by_place(
    db: &Db,
    scope: &Scope,
    len: i32,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<PlaceCounts>> {
    let (lo, hi) = scope.range();
    let waiting = waiting_at(5);
    let sql = format!(
        "SELECT SUBSTR(h.to_code, 1, $3) AS place, \
         CAST(SUM(CASE WHEN h.made_on = $4 THEN 1 ELSE 0 END) AS BIGINT) AS made, \
         CAST(SUM(CASE WHEN {waiting} THEN 1 ELSE 0 END) AS BIGINT) AS pending, \
         CAST(SUM(CASE WHEN {waiting} AND h.due_at < $5 THEN 1 ELSE 0 END) AS BIGINT) AS overdue, \
         CAST(SUM(CASE WHEN NOT {waiting} THEN 1 ELSE 0 END) AS BIGINT) AS acknowledged, \
         CAST(SUM(CASE WHEN NOT {waiting} AND h.acknowledged_at > h.due_at THEN 1 ELSE 0 END) AS BIGINT) AS acknowledged_late \
         FROM handovers h WHERE h.to_code >= $1 AND h.to_code < $2 AND h.made_on <= $4 \
         GROUP BY SUBSTR(h.to_code, 1, $3) ORDER BY 1"
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, PlaceCounts>(&sql)
        .bind(&lo).bind(&hi).bind(len).bind(day).bind(now).fetch_all(p).await?))
}

/// Marks a hand-over acknowledged (only if still pending), with the case opened for the
/// person if any, at `at` (the phone's time when it was acknowledged without signal) and
/// received by the server at `received_at`; false when it was not pending.
pub async fn acknowledge(
    tx: &mut Tx,
    id: i64,
    by: &str,
    note: &str,
    case_id: Option<i64>,
    at: DateTime<Utc>,
    received_at: DateTime<Utc>,
) -> Result<bool> {
    let n = on_tx!(tx, x => sqlx::query(
        "UPDATE handovers SET status = 'acknowledged', acknowledged_at = $2, acknowledged_by = $3, note = $4, case_id = $5, \
         acknowledged_received_at = $6 WHERE id = $1 AND status = 'pending'")
        .bind(id).bind(at).bind(by).bind(note).bind(case_id).bind(received_at).execute(&mut *x).await?.rows_affected());
    Ok(n == 1)
}

/// Passes a pending hand-over down to a place below; its due time starts again. False when
/// it was no longer pending or no longer with `from`.
#[allow(clippy::too_many_arguments)]
pub async fn forward(
    tx: &mut Tx,
    id: i64,
    from: &str,
    to: &str,
    due_at: DateTime<Utc>,
    by: &str,
    note: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let n = on_tx!(tx, x => sqlx::query(
        "UPDATE handovers SET to_code = $3, due_at = $4 WHERE id = $1 AND to_code = $2 AND status = 'pending'")
        .bind(id).bind(from).bind(to).bind(due_at).execute(&mut *x).await?.rows_affected());
    if n == 0 {
        return Ok(false);
    }
    on_tx!(tx, x => sqlx::query(
        "INSERT INTO handover_events (handover_id, kind, to_code, note, actor, at) VALUES ($1, 'forward', $2, $3, $4, $5)")
        .bind(id).bind(to).bind(note).bind(by).bind(at).execute(&mut *x).await?.rows_affected());
    Ok(true)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub kind: String,
    pub to_code: String,
    pub note: String,
    pub actor: String,
    pub at: DateTime<Utc>,
}

pub async fn events(db: &Db, id: i64) -> Result<Vec<EventRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, EventRow>(
        "SELECT kind, to_code, note, actor, at FROM handover_events WHERE handover_id = $1 ORDER BY id")
        .bind(id).fetch_all(p).await?))
}

// ---- outbound notices ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboundRow {
    pub traveller_id: i64,
    pub passage_id: i64,
    pub checkpoint_name: String,
    pub jurisdiction_code: String,
    pub passed_at: DateTime<Utc>,
    pub pass_date: NaiveDate,
    pub plate: Option<String>,
    pub origin_text: String,
    pub reason: String,
    pub name: String,
    pub id_number: String,
    pub phone: Option<String>,
    pub temperature: i32,
    pub fever: bool,
    pub outcome: String,
    pub destination_text: String,
}

/// The outbound travellers of the checkpoints within a scope (`$1`, `$2`): whose destination
/// lies outside the region and who went on (not turned back).
const OUTBOUND_SELECT: &str =
    "SELECT t.id AS traveller_id, p.id AS passage_id, c.name AS checkpoint_name, p.jurisdiction_code, p.passed_at, \
     p.pass_date, p.plate, p.origin_text, p.reason, t.name, t.id_number, t.phone, t.temperature, t.fever, t.outcome, \
     t.destination_text \
     FROM passages p JOIN passage_travellers t ON t.passage_id = p.id JOIN checkpoints c ON c.id = p.checkpoint_id \
     WHERE p.jurisdiction_code >= $1 AND p.jurisdiction_code < $2 \
     AND t.destination_code IS NULL AND t.outcome <> 'turned_back'";

/// Travellers registered at the checkpoints of a scope over a range of days whose
/// destination lies outside the region and who went on (not turned back), in time order.
pub async fn outbound(
    db: &Db,
    scope: &Scope,
    staff: Option<i64>,
    from: NaiveDate,
    to: NaiveDate,
    limit: i64,
) -> Result<Vec<OutboundRow>> {
    let (lo, hi) = scope.range();
    let sql = format!(
        "{OUTBOUND_SELECT} AND p.pass_date >= $3 AND p.pass_date <= $4 AND {} \
         ORDER BY p.passed_at, t.id LIMIT $5",
        at_staff_checkpoints("p.checkpoint_id", 6)
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, OutboundRow>(&sql)
        .bind(&lo).bind(&hi).bind(from).bind(to).bind(limit).bind(staff.unwrap_or(-1)).fetch_all(p).await?))
}

/// One day's outbound travellers (as [`outbound`]) after `after`, the time and traveller of
/// the last one read, in time order, at most `limit`: a batch of an export, which reads day
/// by day so that each batch sorts one day's rows only.
pub async fn outbound_of_day(
    db: &Db,
    scope: &Scope,
    staff: Option<i64>,
    day: NaiveDate,
    after: Option<(DateTime<Utc>, i64)>,
    limit: i64,
) -> Result<Vec<OutboundRow>> {
    let (lo, hi) = scope.range();
    let (at, id) = match after {
        Some((at, id)) => (Some(at), id),
        None => (None, 0),
    };
    let sql = format!(
        "{OUTBOUND_SELECT} AND p.pass_date = $3 AND {} \
         AND ($5 IS NULL OR p.passed_at > $5 OR (p.passed_at = $5 AND t.id > $6)) \
         ORDER BY p.passed_at, t.id LIMIT $7",
        at_staff_checkpoints("p.checkpoint_id", 4)
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, OutboundRow>(&sql)
        .bind(&lo).bind(&hi).bind(day).bind(staff.unwrap_or(-1)).bind(at).bind(id).bind(limit)
        .fetch_all(p).await?))
}

// ---- retention ----

/// What an erasure run changed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Erased {
    pub cases: u64,
    pub travellers: u64,
    pub screened: u64,
}

/// The text that stands in for an erased name.
pub const ERASED_NAME: &str = "（已删除）";

/// Whether a traveller's personal data may go: of a passage on or before `passed_by` (`$P`),
/// or with a case released on or before `released_by` (`$R`); and with no case still open or
/// released later, and no hand-over still pending. Each a seek by the traveller's own keys
/// (the passage a correlated `EXISTS`: an `IN` list would read every passage up to the day
/// for each statement).
const TRAVELLER_EXPIRED: &str = "erased_on IS NULL \
     AND (EXISTS (SELECT 1 FROM passages p WHERE p.id = passage_travellers.passage_id \
                  AND p.pass_date <= $P) \
          OR EXISTS (SELECT 1 FROM monitoring_cases m WHERE m.traveller_id = passage_travellers.id \
                     AND m.status = 'released' AND m.released_on <= $R)) \
     AND NOT EXISTS (SELECT 1 FROM monitoring_cases m WHERE m.traveller_id = passage_travellers.id \
                     AND (m.status <> 'released' OR m.released_on > $R)) \
     AND NOT EXISTS (SELECT 1 FROM handovers h WHERE h.traveller_id = passage_travellers.id \
                     AND h.status = 'pending')";

fn traveller_expired(p: usize, r: usize) -> String {
    TRAVELLER_EXPIRED
        .replace("$P", &format!("${p}"))
        .replace("$R", &format!("${r}"))
}

/// Erases the name, ID number, phone, place and reason of cases released on or before `released_by` and of
/// their travellers, and of travellers of passages on or before `passed_by` who have no case
/// still open, and of persons screened on or before `passed_by`; records the day of erasure.
/// Counts stay as they were. All in the one transaction: for a small database (the tests'
/// comparison); the server erases in batches ([`erase_due`], [`travellers_to_erase`],
/// [`erase_travellers`]).
pub async fn erase(
    tx: &mut Tx,
    released_by: NaiveDate,
    passed_by: NaiveDate,
    today: NaiveDate,
) -> Result<Erased> {
    let mut by_date = [
        (ByDate::Cases, released_by, 0),
        (ByDate::Screened, passed_by, 0),
    ];
    for (kind, by, n) in &mut by_date {
        let t = kind.table();
        let sql = format!(
            "UPDATE {} SET {} WHERE {}",
            t.name(),
            t.erased(),
            kind.due(3)
        );
        *n = on_tx!(tx, x => sqlx::query(&sql)
            .bind(ERASED_NAME).bind(today).bind(*by).execute(&mut *x).await?.rows_affected());
    }
    let [(_, _, cases), (_, _, screened)] = by_date;
    let sql = format!(
        "UPDATE passage_travellers SET {PERSON_ERASED} WHERE {}",
        traveller_expired(3, 4)
    );
    let travellers = on_tx!(tx, x => sqlx::query(&sql)
        .bind(ERASED_NAME).bind(today).bind(passed_by).bind(released_by).execute(&mut *x).await?.rows_affected());
    Ok(Erased {
        cases,
        travellers,
        screened,
    })
}

/// What an erased case keeps: no name, ID number (nor its blind index, by which a search
/// for the number would still find the record), phone, place, reason or health details; the
/// day of erasure. `$1` the placeholder name, `$2` the day.
const CASE_ERASED: &str =
    "name = $1, id_number = '', id_bidx = '', phone = NULL, place = '', reason = '', \
     release_reason = NULL, resume_finding = NULL, erased_on = $2";

/// What an erased traveller, or screened person, keeps (as [`CASE_ERASED`]): a screening
/// keeps where the person came from, when, and the risk found, without the person.
const PERSON_ERASED: &str = "name = $1, id_number = '', id_bidx = '', phone = NULL, erased_on = $2";

/// The tables erasure writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErasedTable {
    Cases,
    Travellers,
    Screened,
}

impl ErasedTable {
    fn name(self) -> &'static str {
        match self {
            ErasedTable::Cases => "monitoring_cases",
            ErasedTable::Travellers => "passage_travellers",
            ErasedTable::Screened => "screened_persons",
        }
    }

    fn erased(self) -> &'static str {
        match self {
            ErasedTable::Cases => CASE_ERASED,
            ErasedTable::Travellers | ErasedTable::Screened => PERSON_ERASED,
        }
    }
}

/// Records erased from a day of their own on: a case from its release, a screening from
/// the screening. (A traveller's day depends on its passage and cases: see
/// [`travellers_to_erase`].)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByDate {
    Cases,
    Screened,
}

impl ByDate {
    pub fn table(self) -> ErasedTable {
        match self {
            ByDate::Cases => ErasedTable::Cases,
            ByDate::Screened => ErasedTable::Screened,
        }
    }

    /// Not erased, and due by the day `$n`: a range of the partial index of the records still
    /// to erase, in the order of [`ByDate::order`].
    fn due(self, n: usize) -> String {
        match self {
            ByDate::Cases => {
                format!("status = 'released' AND released_on <= ${n} AND erased_on IS NULL")
            }
            ByDate::Screened => format!("erased_on IS NULL AND screened_on <= ${n}"),
        }
    }

    fn order(self) -> &'static str {
        match self {
            ByDate::Cases => "released_on, id",
            ByDate::Screened => "screened_on, id",
        }
    }
}

/// At most `limit` of the records of `kind` due by the day `by` and not erased yet, the
/// earliest first. A read, outside any write transaction; [`erase_due`] checks again as it
/// writes. Fewer than `limit` means none is left after them.
pub async fn due_for_erasure(db: &Db, kind: ByDate, by: NaiveDate, limit: i64) -> Result<Vec<i64>> {
    let sql = format!(
        "SELECT id FROM {} WHERE {} ORDER BY {} LIMIT $2",
        kind.table().name(),
        kind.due(1),
        kind.order()
    );
    Ok(on_db!(db, p => sqlx::query_scalar::<_, i64>(&sql)
        .bind(by).bind(limit).fetch_all(p).await?))
}

/// Erases the records of `ids` still due by the day `by` and not erased (the check is made
/// again under the write). Returns how many.
pub async fn erase_due(
    tx: &mut Tx,
    kind: ByDate,
    ids: &[i64],
    by: NaiveDate,
    today: NaiveDate,
) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let t = kind.table();
    let sql = format!(
        "UPDATE {} SET {} WHERE id IN ({}) AND {}",
        t.name(),
        t.erased(),
        id_list(ids),
        kind.due(3)
    );
    Ok(on_tx!(tx, x => sqlx::query(&sql)
        .bind(ERASED_NAME).bind(today).bind(by).execute(&mut *x).await?.rows_affected()))
}

/// Ids read from the tables, written into a statement as they are (integers).
fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// Reads, outside any write, the pages an erasure of the rows `ids` of `table` will change:
/// the rows, and the entries of their ID numbers' blind index, which lie anywhere in that
/// index (not the empty one that erased rows share: its entries are many, and are appended
/// to in order). On SQLite the batch's write then finds them in memory instead of reading
/// them from disk while every other writer waits (on a file larger than memory, after a
/// restart). PostgreSQL writers do not wait for one another's reads: nothing to do.
pub async fn read_ahead_of_erasure(db: &Db, table: ErasedTable, ids: &[i64]) -> Result<()> {
    let Db::Sqlite(p) = db else {
        return Ok(());
    };
    if ids.is_empty() {
        return Ok(());
    }
    let t = table.name();
    let sql = format!(
        "SELECT COUNT(*) FROM {t} WHERE id_bidx IN \
         (SELECT id_bidx FROM {t} WHERE id IN ({}) AND id_bidx <> '')",
        id_list(ids)
    );
    sqlx::query_scalar::<_, i64>(&sql).fetch_one(p).await?;
    Ok(())
}

/// The end of the next stretch of travellers not erased yet after `after`, at most `span` of
/// them, in id order (through the index of travellers not erased); `None` when there are no
/// more. A read, outside any write transaction.
pub async fn unerased_after(db: &Db, after: i64, span: i64) -> Result<Option<i64>> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, Option<i64>>(
        "SELECT MAX(id) FROM (SELECT id FROM passage_travellers \
         WHERE erased_on IS NULL AND id > $1 ORDER BY id LIMIT $2) w")
        .bind(after).bind(span).fetch_one(p).await?))
}

/// The travellers with ids in `(after, upto]` whose personal data may go (see [`erase`]). A
/// read, outside any write transaction; [`erase_travellers`] checks again as it writes.
pub async fn travellers_to_erase(
    db: &Db,
    after: i64,
    upto: i64,
    released_by: NaiveDate,
    passed_by: NaiveDate,
) -> Result<Vec<i64>> {
    let sql = format!(
        "SELECT id FROM passage_travellers WHERE id > $1 AND id <= $2 AND {} ORDER BY id",
        traveller_expired(3, 4)
    );
    Ok(on_db!(db, p => sqlx::query_scalar::<_, i64>(&sql)
        .bind(after).bind(upto).bind(passed_by).bind(released_by).fetch_all(p).await?))
}

/// Erases the travellers of `ids` whose personal data may still go (the check is made again
/// under the write). Returns how many.
pub async fn erase_travellers(
    tx: &mut Tx,
    ids: &[i64],
    released_by: NaiveDate,
    passed_by: NaiveDate,
    today: NaiveDate,
) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let sql = format!(
        "UPDATE passage_travellers SET {PERSON_ERASED} WHERE id IN ({}) AND {}",
        id_list(ids),
        traveller_expired(3, 4)
    );
    Ok(on_tx!(tx, x => sqlx::query(&sql)
        .bind(ERASED_NAME).bind(today).bind(passed_by).bind(released_by).execute(&mut *x).await?.rows_affected()))
}

/// The places of one code length under a code, with their names (for loading data).
pub async fn places_under(tx: &mut Tx, prefix: &str, len: i32) -> Result<Vec<(String, String)>> {
    let hi = format!("{prefix}\u{10FFFF}");
    Ok(on_tx!(tx, x => sqlx::query_as::<_, (String, String)>(
        "SELECT code, name FROM jurisdictions WHERE code >= $1 AND code < $2 AND LENGTH(code) = $3 ORDER BY code")
        .bind(prefix).bind(&hi).bind(len).fetch_all(&mut *x).await?))
}
