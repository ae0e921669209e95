//! Grids and their duties: members, households, household visits, screened persons, risk
//! areas, screening rounds, publicity and stability records, and grid daily reports.

use crate::sealing::SealedText;
use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use dualtrack_domain::jurisdiction::subtree_range_of;
use dualtrack_domain::jurisdiction::Scope;
use sqlx::QueryBuilder;

/// Rows per multi-row INSERT (well under both engines' bind limits).
const BATCH: usize = 500;

/// A grid with its counts.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GridRow {
    pub code: String,
    pub name: String,
    pub households: i64,
    pub residents: i64,
    pub leader: Option<String>,
}

const GRID_COLUMNS: &str = "j.code, j.name, \
     (SELECT COUNT(*) FROM households h WHERE h.grid_code = j.code) AS households, \
     (SELECT COUNT(*) FROM screened_persons s WHERE s.grid_code = j.code) AS residents, \
     (SELECT MIN(p.name) FROM grid_members m JOIN people p ON p.id = m.person_id \
      WHERE m.grid_code = j.code AND m.role = 'leader') AS leader";

pub async fn grids(db: &Db, scope: &Scope, limit: i64, offset: i64) -> Result<Vec<GridRow>> {
    let (lo, hi) = scope.range();
    let sql = format!(
        "SELECT {GRID_COLUMNS} FROM jurisdictions j WHERE j.level = 6 AND j.code >= $1 AND j.code < $2 \
         ORDER BY j.code LIMIT $3 OFFSET $4"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, GridRow>(&sql).bind(&lo).bind(&hi).bind(limit).bind(offset).fetch_all(p).await?),
    )
}

pub async fn grid(db: &Db, code: &str) -> Result<Option<GridRow>> {
    let sql =
        format!("SELECT {GRID_COLUMNS} FROM jurisdictions j WHERE j.level = 6 AND j.code = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, GridRow>(&sql).bind(code).fetch_optional(p).await?))
}

/// Codes and names of every grid in a subtree, in order.
pub async fn grid_names(db: &Db, scope: &Scope) -> Result<Vec<(String, String)>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_as::<_, (String, String)>(
        "SELECT code, name FROM jurisdictions WHERE level = 6 AND code >= $1 AND code < $2 ORDER BY code")
        .bind(&lo).bind(&hi).fetch_all(p).await?))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub person_id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub role: String,
    pub joined_on: NaiveDate,
}

pub async fn members(db: &Db, grid: &str) -> Result<Vec<MemberRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, MemberRow>(
        "SELECT m.person_id, p.name, p.phone, m.role, m.joined_on FROM grid_members m JOIN people p ON p.id = m.person_id \
         WHERE m.grid_code = $1 ORDER BY m.role, p.name, m.person_id")
        .bind(grid).fetch_all(p).await?))
}

/// Adds a member; false if the person is already in the grid.
pub async fn add_member(
    tx: &mut Tx,
    grid: &str,
    person: i64,
    role: &str,
    on: NaiveDate,
) -> Result<bool> {
    let n = on_tx!(tx, x => sqlx::query(
        "INSERT INTO grid_members (grid_code, person_id, role, joined_on) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (grid_code, person_id) DO NOTHING")
        .bind(grid).bind(person).bind(role).bind(on).execute(&mut *x).await?.rows_affected());
    Ok(n > 0)
}

pub async fn add_members(tx: &mut Tx, rows: &[(String, i64, &str, NaiveDate)]) -> Result<()> {
    for chunk in rows.chunks(BATCH) {
        on_tx!(tx, x => {
            let mut qb = QueryBuilder::new("INSERT INTO grid_members (grid_code, person_id, role, joined_on) ");
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(r.0.as_str()).push_bind(r.1).push_bind(r.2).push_bind(r.3);
            });
            qb.push(" ON CONFLICT (grid_code, person_id) DO NOTHING");
            qb.build().execute(&mut *x).await?.rows_affected()
        });
    }
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HouseholdRow {
    pub id: i64,
    pub grid_code: String,
    pub address: SealedText,
    pub head_name: SealedText,
    pub persons: i64,
    pub last_visit: Option<NaiveDate>,
}

const HOUSEHOLD_COLUMNS: &str = "h.id, h.grid_code, h.address, h.head_name, \
     (SELECT COUNT(*) FROM screened_persons s WHERE s.household_id = h.id) AS persons, \
     (SELECT MAX(v.visited_on) FROM household_visits v WHERE v.household_id = h.id) AS last_visit";

/// A household, its address and head's name sealed under `enc_key`.
pub async fn insert_household(
    tx: &mut Tx,
    grid: &str,
    (address, head): (&SealedText, &SealedText),
    enc_key: Option<&str>,
    at: DateTime<Utc>,
) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO households (grid_code, address, head_name, created_at, enc_key) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(grid).bind(address).bind(head).bind(at).bind(enc_key).fetch_one(&mut *x).await?))
}

pub async fn household(db: &Db, id: i64) -> Result<Option<HouseholdRow>> {
    let sql = format!("SELECT {HOUSEHOLD_COLUMNS} FROM households h WHERE h.id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, HouseholdRow>(&sql).bind(id).fetch_optional(p).await?))
}

pub async fn households(db: &Db, grid: &str) -> Result<Vec<HouseholdRow>> {
    let sql = format!(
        "SELECT {HOUSEHOLD_COLUMNS} FROM households h WHERE h.grid_code = $1 ORDER BY h.id"
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, HouseholdRow>(&sql).bind(grid).fetch_all(p).await?))
}

/// Records a household screened on a day, unless it already is for that day.
pub async fn visit(
    tx: &mut Tx,
    household: i64,
    grid: &str,
    on: NaiveDate,
    note: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    on_tx!(tx, x => {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM household_visits WHERE household_id = $1 AND visited_on = $2")
            .bind(household).bind(on).fetch_one(&mut *x).await?;
        if n == 0 {
            sqlx::query("INSERT INTO household_visits (household_id, grid_code, visited_on, note, visited_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(household).bind(grid).bind(on).bind(note).bind(by).bind(at).execute(&mut *x).await?.rows_affected();
        }
    });
    Ok(())
}

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct ScreenedRow {
        pub id: i64,
    }
    #[derive(Debug, Clone)]
    pub struct NewScreened {
        pub id_bidx: Option<String>,
        pub enc_key: Option<String>,
    }
    both {
        pub household_id: i64,
        pub grid_code: String,
        pub name: SealedText,
        pub id_number: SealedText,
        pub phone: Option<SealedText>,
        pub kind: String,
        pub came_from: Option<String>,
        pub arrived_on: Option<NaiveDate>,
        pub travel: String,
        pub risk_contact: bool,
        pub risk_level: String,
        pub screened_on: NaiveDate,
        pub screened_by: String,
    }
}

const SCREENED_COLUMNS: &str =
    "id, household_id, grid_code, name, id_number, phone, kind, came_from, arrived_on, travel, \
     risk_contact, risk_level, screened_on, screened_by";

pub async fn insert_screened(tx: &mut Tx, s: &NewScreened, at: DateTime<Utc>) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO screened_persons (household_id, grid_code, name, id_number, phone, kind, came_from, arrived_on, travel, \
         risk_contact, risk_level, screened_on, screened_by, created_at, id_bidx, enc_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id")
        .bind(s.household_id).bind(&s.grid_code).bind(&s.name).bind(&s.id_number).bind(&s.phone).bind(&s.kind)
        .bind(&s.came_from).bind(s.arrived_on).bind(&s.travel).bind(s.risk_contact).bind(&s.risk_level)
        .bind(s.screened_on).bind(&s.screened_by).bind(at).bind(&s.id_bidx).bind(&s.enc_key)
        .fetch_one(&mut *x).await?))
}

/// Many screened persons at once (the demo).
pub async fn insert_screened_many(
    tx: &mut Tx,
    rows: &[NewScreened],
    at: DateTime<Utc>,
) -> Result<()> {
    for chunk in rows.chunks(BATCH / 2) {
        on_tx!(tx, x => {
            let mut qb = QueryBuilder::new(
                "INSERT INTO screened_persons (household_id, grid_code, name, id_number, phone, kind, came_from, arrived_on, \
                 travel, risk_contact, risk_level, screened_on, screened_by, created_at, id_bidx, enc_key) ");
            qb.push_values(chunk, |mut b, s| {
                b.push_bind(s.household_id).push_bind(s.grid_code.as_str()).push_bind(s.name.as_stored())
                    .push_bind(s.id_number.as_stored()).push_bind(s.phone.as_ref().map(SealedText::as_stored))
                    .push_bind(s.kind.as_str())
                    .push_bind(s.came_from.as_deref()).push_bind(s.arrived_on).push_bind(s.travel.as_str())
                    .push_bind(s.risk_contact).push_bind(s.risk_level.as_str()).push_bind(s.screened_on)
                    .push_bind(s.screened_by.as_str()).push_bind(at).push_bind(s.id_bidx.as_deref())
                    .push_bind(s.enc_key.as_deref());
            });
            qb.build().execute(&mut *x).await?.rows_affected()
        });
    }
    Ok(())
}

pub async fn screened(db: &Db, id: i64) -> Result<Option<ScreenedRow>> {
    let sql = format!("SELECT {SCREENED_COLUMNS} FROM screened_persons WHERE id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, ScreenedRow>(&sql).bind(id).fetch_optional(p).await?))
}

/// Which screened persons a list shows: of one risk class, of one ID number (its blind index).
#[derive(Debug, Clone, Copy, Default)]
pub struct ScreenedFilter<'a> {
    pub risk: Option<&'a str>,
    pub id_bidx: Option<&'a str>,
}

/// Screened persons in a subtree (a grid, or wider), filtered.
pub async fn list_screened(
    db: &Db,
    scope: &Scope,
    f: ScreenedFilter<'_>,
    limit: i64,
    offset: i64,
) -> Result<Vec<ScreenedRow>> {
    let (lo, hi) = scope.range();
    let sql = format!(
        "SELECT {SCREENED_COLUMNS} FROM screened_persons WHERE grid_code >= $1 AND grid_code < $2 \
         AND ($3 = '' OR risk_level = $3) AND ($6 = '' OR id_bidx = $6) \
         ORDER BY screened_on DESC, id DESC LIMIT $4 OFFSET $5"
    );
    let (risk, bidx) = (f.risk.unwrap_or(""), f.id_bidx.unwrap_or(""));
    Ok(
        on_db!(db, p => sqlx::query_as::<_, ScreenedRow>(&sql).bind(&lo).bind(&hi).bind(risk).bind(limit).bind(offset).bind(bidx).fetch_all(p).await?),
    )
}

/// The persons whose risk class a rule change may move (those screened in a subtree).
pub async fn screened_in(tx: &mut Tx, lo: &str, hi: &str) -> Result<Vec<ScreenedRow>> {
    let sql = format!(
        "SELECT {SCREENED_COLUMNS} FROM screened_persons WHERE grid_code >= $1 AND grid_code < $2"
    );
    Ok(
        on_tx!(tx, x => sqlx::query_as::<_, ScreenedRow>(&sql).bind(lo).bind(hi).fetch_all(&mut *x).await?),
    )
}

pub async fn set_risk(tx: &mut Tx, id: i64, level: &str) -> Result<()> {
    on_tx!(tx, x => sqlx::query("UPDATE screened_persons SET risk_level = $1 WHERE id = $2")
        .bind(level).bind(id).execute(&mut *x).await?.rows_affected());
    Ok(())
}

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct RiskAreaRow {
        pub id: i64,
        pub updated_at: DateTime<Utc>,
    }
    #[derive(Debug, Clone)]
    pub struct NewRiskArea {}
    both {
        pub jurisdiction_code: String,
        pub region_code: String,
        pub region_name: String,
        pub from_on: NaiveDate,
        pub until_on: Option<NaiveDate>,
        pub level: String,
        pub set_by: String,
    }
}

const RISK_COLUMNS: &str =
    "id, jurisdiction_code, region_code, region_name, from_on, until_on, level, set_by, updated_at";

pub async fn insert_risk_area(tx: &mut Tx, r: &NewRiskArea, at: DateTime<Utc>) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO risk_areas (jurisdiction_code, region_code, region_name, from_on, until_on, level, set_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
        .bind(&r.jurisdiction_code).bind(&r.region_code).bind(&r.region_name).bind(r.from_on).bind(r.until_on)
        .bind(&r.level).bind(&r.set_by).bind(at).fetch_one(&mut *x).await?))
}

pub async fn update_risk_area(
    tx: &mut Tx,
    id: i64,
    r: &NewRiskArea,
    at: DateTime<Utc>,
) -> Result<()> {
    on_tx!(tx, x => sqlx::query(
        "UPDATE risk_areas SET region_code = $1, region_name = $2, from_on = $3, until_on = $4, level = $5, set_by = $6, \
         updated_at = $7 WHERE id = $8")
        .bind(&r.region_code).bind(&r.region_name).bind(r.from_on).bind(r.until_on).bind(&r.level).bind(&r.set_by)
        .bind(at).bind(id).execute(&mut *x).await?.rows_affected());
    Ok(())
}

pub async fn risk_area(db: &Db, id: i64) -> Result<Option<RiskAreaRow>> {
    let sql = format!("SELECT {RISK_COLUMNS} FROM risk_areas WHERE id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, RiskAreaRow>(&sql).bind(id).fetch_optional(p).await?))
}

/// Every risk area (few: the caller keeps those that apply).
pub async fn risk_areas(db: &Db) -> Result<Vec<RiskAreaRow>> {
    let sql = format!(
        "SELECT {RISK_COLUMNS} FROM risk_areas ORDER BY jurisdiction_code, region_code, id"
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, RiskAreaRow>(&sql).fetch_all(p).await?))
}

pub async fn risk_areas_tx(tx: &mut Tx) -> Result<Vec<RiskAreaRow>> {
    let sql = format!("SELECT {RISK_COLUMNS} FROM risk_areas ORDER BY id");
    Ok(on_tx!(tx, x => sqlx::query_as::<_, RiskAreaRow>(&sql).fetch_all(&mut *x).await?))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoundRow {
    pub id: i64,
    pub jurisdiction_code: String,
    pub name: String,
    pub start_on: NaiveDate,
    pub due_on: NaiveDate,
    pub created_by: String,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_round(
    tx: &mut Tx,
    code: &str,
    name: &str,
    start_on: NaiveDate,
    due_on: NaiveDate,
    by: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO screening_rounds (jurisdiction_code, name, start_on, due_on, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(code).bind(name).bind(start_on).bind(due_on).bind(by).bind(at).fetch_one(&mut *x).await?))
}

pub async fn round(db: &Db, id: i64) -> Result<Option<RoundRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, RoundRow>(
        "SELECT id, jurisdiction_code, name, start_on, due_on, created_by FROM screening_rounds WHERE id = $1")
        .bind(id).fetch_optional(p).await?))
}

pub async fn rounds(db: &Db) -> Result<Vec<RoundRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, RoundRow>(
        "SELECT id, jurisdiction_code, name, start_on, due_on, created_by FROM screening_rounds ORDER BY due_on DESC, id DESC")
        .fetch_all(p).await?))
}

/// Per grid of a subtree: households, and those visited between two days.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CoverageRow {
    pub code: String,
    pub name: String,
    pub households: i64,
    pub screened: i64,
}

pub async fn coverage(
    db: &Db,
    lo: &str,
    hi: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<CoverageRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, CoverageRow>(
        "SELECT j.code, j.name, (SELECT COUNT(*) FROM households h WHERE h.grid_code = j.code) AS households, \
         (SELECT COUNT(DISTINCT v.household_id) FROM household_visits v WHERE v.grid_code = j.code \
          AND v.visited_on >= $3 AND v.visited_on <= $4) AS screened \
         FROM jurisdictions j WHERE j.level = 6 AND j.code >= $1 AND j.code < $2 ORDER BY j.code")
        .bind(lo).bind(hi).bind(from).bind(to).fetch_all(p).await?))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PublicityRow {
    pub id: i64,
    pub grid_code: String,
    pub delivered_on: NaiveDate,
    pub what: String,
    pub place: String,
    pub copies: i64,
    pub times: i64,
    pub recorded_by: String,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_publicity(
    tx: &mut Tx,
    grid: &str,
    on: NaiveDate,
    what: &str,
    place: &str,
    copies: i64,
    times: i64,
    by: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO publicity_records (grid_code, delivered_on, what, place, copies, times, recorded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
        .bind(grid).bind(on).bind(what).bind(place).bind(copies).bind(times).bind(by).bind(at).fetch_one(&mut *x).await?))
}

pub async fn publicity(db: &Db, grid: &str) -> Result<Vec<PublicityRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, PublicityRow>(
        "SELECT id, grid_code, delivered_on, what, place, copies, times, recorded_by FROM publicity_records \
         WHERE grid_code = $1 ORDER BY delivered_on DESC, id DESC LIMIT 200")
        .bind(grid).fetch_all(p).await?))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StabilityRow {
    pub id: i64,
    pub grid_code: String,
    pub occurred_on: NaiveDate,
    pub kind: String,
    pub summary: String,
    pub handling: String,
    pub status: String,
    pub recorded_by: String,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_stability(
    tx: &mut Tx,
    grid: &str,
    on: NaiveDate,
    kind: &str,
    summary: &str,
    handling: &str,
    status: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO stability_records (grid_code, occurred_on, kind, summary, handling, status, recorded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
        .bind(grid).bind(on).bind(kind).bind(summary).bind(handling).bind(status).bind(by).bind(at).fetch_one(&mut *x).await?))
}

pub async fn stability(db: &Db, grid: &str) -> Result<Vec<StabilityRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, StabilityRow>(
        "SELECT id, grid_code, occurred_on, kind, summary, handling, status, recorded_by FROM stability_records \
         WHERE grid_code = $1 ORDER BY occurred_on DESC, id DESC LIMIT 200")
        .bind(grid).fetch_all(p).await?))
}

/// A grid's figures for a day, from its records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct DayFigures {
    pub screened: i64,
    pub arrivals: i64,
    pub high_risk: i64,
    pub publicity: i64,
    pub incidents: i64,
}

const FIGURES_SQL: &str = "SELECT \
     (SELECT COUNT(*) FROM screened_persons WHERE grid_code = $1 AND screened_on = $2) AS screened, \
     (SELECT COUNT(*) FROM screened_persons WHERE grid_code = $1 AND arrived_on = $2) AS arrivals, \
     (SELECT COUNT(*) FROM screened_persons WHERE grid_code = $1 AND screened_on = $2 AND risk_level = 'high') AS high_risk, \
     (SELECT COUNT(*) FROM publicity_records WHERE grid_code = $1 AND delivered_on = $2) AS publicity, \
     (SELECT COUNT(*) FROM stability_records WHERE grid_code = $1 AND occurred_on = $2) AS incidents";

pub async fn figures(db: &Db, grid: &str, day: NaiveDate) -> Result<DayFigures> {
    Ok(
        on_db!(db, p => sqlx::query_as::<_, DayFigures>(FIGURES_SQL).bind(grid).bind(day).fetch_one(p).await?),
    )
}

pub async fn figures_tx(tx: &mut Tx, grid: &str, day: NaiveDate) -> Result<DayFigures> {
    Ok(
        on_tx!(tx, x => sqlx::query_as::<_, DayFigures>(FIGURES_SQL).bind(grid).bind(day).fetch_one(&mut *x).await?),
    )
}

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct GridReportRow {
        pub id: i64,
        pub screened: i64,
        pub arrivals: i64,
        pub high_risk: i64,
        pub publicity: i64,
        pub incidents: i64,
    }
    #[derive(Debug, Clone)]
    pub struct NewGridReport {
        pub figures: DayFigures,
        /// The phone's time of filing, when it came from an outbox.
        pub made_at: Option<DateTime<Utc>>,
    }
    both {
        pub grid_code: String,
        pub report_date: NaiveDate,
        pub zero_report: bool,
        pub remarks: String,
        pub filed_by: String,
        pub filed_at: DateTime<Utc>,
    }
}

const REPORT_COLUMNS: &str = "id, grid_code, report_date, screened, arrivals, high_risk, publicity, incidents, zero_report, \
     remarks, filed_by, filed_at";

/// Files a grid's report; None if the day is already reported.
pub async fn insert_report(tx: &mut Tx, r: &NewGridReport) -> Result<Option<i64>> {
    let id: Option<i64> = on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO grid_reports (grid_code, report_date, screened, arrivals, high_risk, publicity, incidents, zero_report, \
         remarks, filed_by, filed_at, made_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (grid_code, report_date) DO NOTHING RETURNING id")
        .bind(&r.grid_code).bind(r.report_date).bind(r.figures.screened).bind(r.figures.arrivals)
        .bind(r.figures.high_risk).bind(r.figures.publicity).bind(r.figures.incidents).bind(r.zero_report)
        .bind(&r.remarks).bind(&r.filed_by).bind(r.filed_at).bind(r.made_at).fetch_optional(&mut *x).await?);
    Ok(id)
}

pub async fn insert_reports_many(tx: &mut Tx, rows: &[NewGridReport]) -> Result<()> {
    for chunk in rows.chunks(BATCH / 2) {
        on_tx!(tx, x => {
            let mut qb = QueryBuilder::new(
                "INSERT INTO grid_reports (grid_code, report_date, screened, arrivals, high_risk, publicity, incidents, \
                 zero_report, remarks, filed_by, filed_at) ");
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(r.grid_code.as_str()).push_bind(r.report_date).push_bind(r.figures.screened)
                    .push_bind(r.figures.arrivals).push_bind(r.figures.high_risk).push_bind(r.figures.publicity)
                    .push_bind(r.figures.incidents).push_bind(r.zero_report).push_bind(r.remarks.as_str())
                    .push_bind(r.filed_by.as_str()).push_bind(r.filed_at);
            });
            qb.build().execute(&mut *x).await?.rows_affected()
        });
    }
    Ok(())
}

/// One report of a grid, by its id, however old.
pub async fn report_of(db: &Db, grid: &str, id: i64) -> Result<Option<GridReportRow>> {
    let sql = format!("SELECT {REPORT_COLUMNS} FROM grid_reports WHERE grid_code = $1 AND id = $2");
    Ok(
        on_db!(db, p => sqlx::query_as::<_, GridReportRow>(&sql).bind(grid).bind(id).fetch_optional(p).await?),
    )
}

/// A grid's reports filed up to `until` (the app's now: a report filed later has not been
/// filed yet), the latest day first.
pub async fn reports_of(db: &Db, grid: &str, until: DateTime<Utc>) -> Result<Vec<GridReportRow>> {
    let sql = format!(
        "SELECT {REPORT_COLUMNS} FROM grid_reports WHERE grid_code = $1 AND filed_at <= $2 \
         ORDER BY report_date DESC LIMIT 120"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, GridReportRow>(&sql).bind(grid).bind(until).fetch_all(p).await?),
    )
}

pub async fn reports_on(db: &Db, scope: &Scope, day: NaiveDate) -> Result<Vec<GridReportRow>> {
    let (lo, hi) = scope.range();
    let sql = format!(
        "SELECT {REPORT_COLUMNS} FROM grid_reports WHERE report_date = $1 AND grid_code >= $2 AND grid_code < $3 ORDER BY grid_code"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, GridReportRow>(&sql).bind(day).bind(&lo).bind(&hi).fetch_all(p).await?),
    )
}

/// Grid, publicity and stability rows written in bulk by the demo.
pub async fn insert_visits_many(
    tx: &mut Tx,
    rows: &[(i64, String, NaiveDate)],
    by: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    for chunk in rows.chunks(BATCH) {
        on_tx!(tx, x => {
            let mut qb = QueryBuilder::new(
                "INSERT INTO household_visits (household_id, grid_code, visited_on, note, visited_by, created_at) ");
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(r.0).push_bind(r.1.as_str()).push_bind(r.2).push_bind("").push_bind(by).push_bind(at);
            });
            qb.build().execute(&mut *x).await?.rows_affected()
        });
    }
    Ok(())
}

/// Codes and names of one level's nodes in a subtree, in a transaction (the demo).
pub async fn nodes_at_level_tx(
    tx: &mut Tx,
    prefix: &str,
    level: i64,
) -> Result<Vec<(String, String)>> {
    let (lo, hi) = subtree_range_of(prefix);
    Ok(on_tx!(tx, x => sqlx::query_as::<_, (String, String)>(
        "SELECT code, name FROM jurisdictions WHERE code >= $1 AND code < $2 AND level = $3 ORDER BY code")
        .bind(&lo).bind(&hi).bind(level).fetch_all(&mut *x).await?))
}

/// People of the registry with their place, in a subtree (the demo picks grid members).
pub async fn people_in_tx(tx: &mut Tx, prefix: &str) -> Result<Vec<(i64, String)>> {
    let (lo, hi) = subtree_range_of(prefix);
    Ok(on_tx!(tx, x => sqlx::query_as::<_, (i64, String)>(
        "SELECT id, jurisdiction_code FROM people WHERE jurisdiction_code >= $1 AND jurisdiction_code < $2 ORDER BY id")
        .bind(&lo).bind(&hi).fetch_all(&mut *x).await?))
}

/// Households in bulk: (grid, address, head); returns their ids in order.
pub async fn insert_households_batch(
    tx: &mut Tx,
    rows: &[(String, String, String)],
    at: DateTime<Utc>,
) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(BATCH) {
        let got: Vec<i64> = on_tx!(tx, x => {
            let mut qb = QueryBuilder::new("INSERT INTO households (grid_code, address, head_name, created_at) ");
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(r.0.as_str()).push_bind(r.1.as_str()).push_bind(r.2.as_str()).push_bind(at);
            });
            qb.push(" RETURNING id");
            qb.build_query_scalar::<i64>().fetch_all(&mut *x).await?
        });
        ids.extend(got);
    }
    ids.sort_unstable();
    Ok(ids)
}

/// Publicity records in bulk: (grid, day, what, place, copies, times).
pub async fn insert_publicity_many(
    tx: &mut Tx,
    rows: &[(String, NaiveDate, &str, &str, i64, i64)],
    by: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    for chunk in rows.chunks(BATCH / 2) {
        on_tx!(tx, x => {
            let mut qb = QueryBuilder::new(
                "INSERT INTO publicity_records (grid_code, delivered_on, what, place, copies, times, recorded_by, created_at) ");
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(r.0.as_str()).push_bind(r.1).push_bind(r.2).push_bind(r.3).push_bind(r.4).push_bind(r.5)
                    .push_bind(by).push_bind(at);
            });
            qb.build().execute(&mut *x).await?.rows_affected()
        });
    }
    Ok(())
}
