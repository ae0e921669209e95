//! Major projects with their start dates and investment progress; key plants with their
//! daily output and shipments by destination province.

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use dualtrack_domain::jurisdiction::Scope;

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct ProjectRow {
        pub id: i64,
    }
    #[derive(Debug, Clone)]
    pub struct NewProject {}
    both {
        pub name: String,
        pub jurisdiction_code: String,
        pub category: String,
        pub owner: String,
        pub plan_year: i64,
        pub total_investment: i64,
        pub annual_plan: i64,
        pub planned_start: NaiveDate,
        pub actual_start: Option<NaiveDate>,
        pub is_restart: bool,
        pub status: String,
    }
}

const PROJECT_COLUMNS: &str =
    "id, name, jurisdiction_code, category, owner, plan_year, total_investment, annual_plan, \
     planned_start, actual_start, is_restart, status";

pub async fn insert_project(tx: &mut Tx, p: &NewProject, at: DateTime<Utc>) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO major_projects (name, jurisdiction_code, category, owner, plan_year, total_investment, annual_plan, \
         planned_start, actual_start, is_restart, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id")
        .bind(&p.name).bind(&p.jurisdiction_code).bind(&p.category).bind(&p.owner).bind(p.plan_year)
        .bind(p.total_investment).bind(p.annual_plan).bind(p.planned_start).bind(p.actual_start)
        .bind(p.is_restart).bind(&p.status).bind(at)
        .fetch_one(&mut *x).await?))
}

pub async fn project(db: &Db, id: i64) -> Result<Option<ProjectRow>> {
    let sql = format!("SELECT {PROJECT_COLUMNS} FROM major_projects WHERE id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, ProjectRow>(&sql).bind(id).fetch_optional(p).await?))
}

/// The projects of a plan year in a scope, by place and id.
pub async fn list_projects(db: &Db, scope: &Scope, year: i64) -> Result<Vec<ProjectRow>> {
    let (lo, hi) = scope.range();
    let sql = format!(
        "SELECT {PROJECT_COLUMNS} FROM major_projects WHERE jurisdiction_code >= $1 AND jurisdiction_code < $2 \
         AND plan_year = $3 ORDER BY jurisdiction_code, id LIMIT 2000"
    );
    Ok(
        on_db!(db, p => sqlx::query_as::<_, ProjectRow>(&sql).bind(&lo).bind(&hi).bind(year).fetch_all(p).await?),
    )
}

/// Records the (re)start of a project: its date and that it is under way.
pub async fn set_start(tx: &mut Tx, id: i64, on: NaiveDate) -> Result<()> {
    on_tx!(tx, x => sqlx::query(
        "UPDATE major_projects SET actual_start = $2, status = 'under_way' WHERE id = $1")
        .bind(id).bind(on).execute(&mut *x).await.map(|_| ())?);
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProgressRow {
    pub project_id: i64,
    pub as_of: NaiveDate,
    pub completed: i64,
    pub note: String,
    pub filed_by: String,
}

/// The cumulative investment of the plan year entered for a day; an entry for a day already
/// entered replaces it. Returns the amount it replaced, if any.
pub async fn put_progress(
    tx: &mut Tx,
    project: i64,
    as_of: NaiveDate,
    completed: i64,
    note: &str,
    filed_by: &str,
    at: DateTime<Utc>,
) -> Result<Option<i64>> {
    Ok(on_tx!(tx, x => {
        let old: Option<i64> = sqlx::query_scalar(
            "SELECT completed FROM project_progress WHERE project_id = $1 AND as_of = $2")
            .bind(project).bind(as_of).fetch_optional(&mut *x).await?;
        sqlx::query(
            "INSERT INTO project_progress (project_id, as_of, completed, note, filed_by, filed_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (project_id, as_of) DO UPDATE SET \
             completed = excluded.completed, note = excluded.note, filed_by = excluded.filed_by, filed_at = excluded.filed_at")
            .bind(project).bind(as_of).bind(completed).bind(note).bind(filed_by).bind(at)
            .execute(&mut *x).await?;
        old
    }))
}

/// Every progress entry of a project, newest first.
pub async fn progress(db: &Db, project: i64) -> Result<Vec<ProgressRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, ProgressRow>(
        "SELECT project_id, as_of, completed, note, filed_by FROM project_progress WHERE project_id = $1 \
         ORDER BY as_of DESC LIMIT 400")
        .bind(project).fetch_all(p).await?))
}

/// The nearest entries of a project before and after a day (not the day itself), to keep
/// the cumulative amounts from going down.
pub async fn progress_around(
    db: &Db,
    project: i64,
    day: NaiveDate,
) -> Result<(Option<ProgressRow>, Option<ProgressRow>)> {
    let cols = "project_id, as_of, completed, note, filed_by";
    let before = format!("SELECT {cols} FROM project_progress WHERE project_id = $1 AND as_of < $2 ORDER BY as_of DESC LIMIT 1");
    let after = format!("SELECT {cols} FROM project_progress WHERE project_id = $1 AND as_of > $2 ORDER BY as_of LIMIT 1");
    Ok(on_db!(db, p => (
        sqlx::query_as::<_, ProgressRow>(&before).bind(project).bind(day).fetch_optional(p).await?,
        sqlx::query_as::<_, ProgressRow>(&after).bind(project).bind(day).fetch_optional(p).await?,
    )))
}

/// The earliest progress entry of a project, if any.
pub async fn first_progress(db: &Db, project: i64) -> Result<Option<NaiveDate>> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, Option<NaiveDate>>(
        "SELECT MIN(as_of) FROM project_progress WHERE project_id = $1")
        .bind(project).fetch_one(p).await?))
}

/// For each project of the scope and plan year, the cumulative investment of its latest
/// entry in `[from, as_of]`: (project id, amount).
pub async fn completed_by(
    db: &Db,
    scope: &Scope,
    year: i64,
    from: NaiveDate,
    as_of: NaiveDate,
) -> Result<Vec<(i64, i64)>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_as::<_, (i64, i64)>(
        "SELECT g.project_id, g.completed FROM project_progress g JOIN major_projects m ON m.id = g.project_id \
         WHERE m.jurisdiction_code >= $1 AND m.jurisdiction_code < $2 AND m.plan_year = $3 \
         AND g.as_of = (SELECT MAX(h.as_of) FROM project_progress h WHERE h.project_id = g.project_id \
           AND h.as_of >= $4 AND h.as_of <= $5)")
        .bind(&lo).bind(&hi).bind(year).bind(from).bind(as_of).fetch_all(p).await?))
}

/// Progress entries loaded at once (for the demo).
pub async fn insert_progress_rows(
    tx: &mut Tx,
    rows: &[(i64, NaiveDate, i64)],
    filed_by: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    for chunk in rows.chunks(1000) {
        on_tx!(tx, x => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO project_progress (project_id, as_of, completed, note, filed_by, filed_at) ");
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(r.0).push_bind(r.1).push_bind(r.2).push_bind("").push_bind(filed_by).push_bind(at);
            });
            qb.build().execute(&mut *x).await?;
        });
    }
    Ok(())
}

// ---- key plants ----

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct PlantRow {
        pub id: i64,
    }
    #[derive(Debug, Clone)]
    pub struct NewPlant {}
    both {
        pub name: String,
        pub enterprise_id: Option<i64>,
        pub jurisdiction_code: String,
        pub product: String,
        pub unit: String,
        pub design_capacity: i64,
    }
}

const PLANT_COLUMNS: &str =
    "id, name, enterprise_id, jurisdiction_code, product, unit, design_capacity";

pub async fn insert_plant(tx: &mut Tx, p: &NewPlant, at: DateTime<Utc>) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO key_plants (name, enterprise_id, jurisdiction_code, product, unit, design_capacity, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
        .bind(&p.name).bind(p.enterprise_id).bind(&p.jurisdiction_code).bind(&p.product).bind(&p.unit)
        .bind(p.design_capacity).bind(at)
        .fetch_one(&mut *x).await?))
}

pub async fn plant(db: &Db, id: i64) -> Result<Option<PlantRow>> {
    let sql = format!("SELECT {PLANT_COLUMNS} FROM key_plants WHERE id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, PlantRow>(&sql).bind(id).fetch_optional(p).await?))
}

pub async fn list_plants(db: &Db, scope: &Scope) -> Result<Vec<PlantRow>> {
    let (lo, hi) = scope.range();
    let sql = format!(
        "SELECT {PLANT_COLUMNS} FROM key_plants WHERE jurisdiction_code >= $1 AND jurisdiction_code < $2 \
         ORDER BY jurisdiction_code, id LIMIT 1000"
    );
    Ok(on_db!(db, p => sqlx::query_as::<_, PlantRow>(&sql).bind(&lo).bind(&hi).fetch_all(p).await?))
}

/// The first enterprise of a county in an industry division (the demo links plants to
/// enterprises of the registry this way).
pub async fn enterprise_of(tx: &mut Tx, county: &str, division: &str) -> Result<Option<i64>> {
    Ok(on_tx!(tx, x => sqlx::query_scalar::<_, Option<i64>>(
        "SELECT MIN(id) FROM enterprises WHERE jurisdiction_code = $1 AND industry_division = $2")
        .bind(county).bind(division).fetch_one(&mut *x).await?))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutputRow {
    pub output_date: NaiveDate,
    pub output: i64,
    pub filed_by: String,
}

/// A day's output of a plant; a second entry for the day replaces the first. Returns the
/// output it replaced, if any.
pub async fn put_output(
    tx: &mut Tx,
    plant: i64,
    day: NaiveDate,
    output: i64,
    filed_by: &str,
    at: DateTime<Utc>,
) -> Result<Option<i64>> {
    Ok(on_tx!(tx, x => {
        let old: Option<i64> = sqlx::query_scalar(
            "SELECT output FROM plant_output WHERE plant_id = $1 AND output_date = $2")
            .bind(plant).bind(day).fetch_optional(&mut *x).await?;
        sqlx::query(
            "INSERT INTO plant_output (plant_id, output_date, output, filed_by, filed_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (plant_id, output_date) DO UPDATE SET output = excluded.output, filed_by = excluded.filed_by, \
             filed_at = excluded.filed_at")
            .bind(plant).bind(day).bind(output).bind(filed_by).bind(at)
            .execute(&mut *x).await?;
        old
    }))
}

/// A plant's daily output in `[from, to]`, newest first.
pub async fn outputs(
    db: &Db,
    plant: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<OutputRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, OutputRow>(
        "SELECT output_date, output, filed_by FROM plant_output WHERE plant_id = $1 AND output_date >= $2 \
         AND output_date <= $3 ORDER BY output_date DESC LIMIT 400")
        .bind(plant).bind(from).bind(to).fetch_all(p).await?))
}

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct ShipmentRow {
        pub id: i64,
    }
    #[derive(Debug, Clone)]
    pub struct NewShipment {}
    both {
        pub plant_id: i64,
        pub ship_date: NaiveDate,
        pub province_code: String,
        pub quantity: i64,
        pub mode: String,
        pub note: String,
        pub filed_by: String,
    }
}

pub async fn insert_shipment(tx: &mut Tx, s: &NewShipment, at: DateTime<Utc>) -> Result<i64> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO plant_shipments (plant_id, ship_date, province_code, quantity, mode, note, filed_by, filed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
        .bind(s.plant_id).bind(s.ship_date).bind(&s.province_code).bind(s.quantity).bind(&s.mode)
        .bind(&s.note).bind(&s.filed_by).bind(at)
        .fetch_one(&mut *x).await?))
}

/// One shipment of a plant, by its id.
pub async fn shipment(db: &Db, plant: i64, id: i64) -> Result<Option<ShipmentRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, ShipmentRow>(
        "SELECT id, plant_id, ship_date, province_code, quantity, mode, note, filed_by FROM plant_shipments \
         WHERE plant_id = $1 AND id = $2")
        .bind(plant).bind(id).fetch_optional(p).await?))
}

/// A plant's shipments in `[from, to]`, newest first.
pub async fn shipments(
    db: &Db,
    plant: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ShipmentRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, ShipmentRow>(
        "SELECT id, plant_id, ship_date, province_code, quantity, mode, note, filed_by FROM plant_shipments \
         WHERE plant_id = $1 AND ship_date >= $2 AND ship_date <= $3 ORDER BY ship_date DESC, id DESC LIMIT 1000")
        .bind(plant).bind(from).bind(to).fetch_all(p).await?))
}

/// Per plant of the scope: output on `day`, and output summed over `[from, day]`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PlantOutputSum {
    pub plant_id: i64,
    pub day_output: Option<i64>,
    pub period_output: i64,
    pub days_reported: i64,
}

pub async fn output_sums(
    db: &Db,
    scope: &Scope,
    from: NaiveDate,
    day: NaiveDate,
) -> Result<Vec<PlantOutputSum>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_as::<_, PlantOutputSum>(
        "SELECT k.id AS plant_id, \
           (SELECT o2.output FROM plant_output o2 WHERE o2.plant_id = k.id AND o2.output_date = $4) AS day_output, \
           CAST(COALESCE(SUM(o.output), 0) AS BIGINT) AS period_output, CAST(COUNT(o.id) AS BIGINT) AS days_reported \
         FROM key_plants k LEFT JOIN plant_output o ON o.plant_id = k.id AND o.output_date >= $3 AND o.output_date <= $4 \
         WHERE k.jurisdiction_code >= $1 AND k.jurisdiction_code < $2 GROUP BY k.id ORDER BY k.id")
        .bind(&lo).bind(&hi).bind(from).bind(day).fetch_all(p).await?))
}

/// Shipments of the scope's plants over `[from, to]`, summed by plant, province and mode.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ShipmentSum {
    pub plant_id: i64,
    pub province_code: String,
    pub mode: String,
    pub quantity: i64,
}

pub async fn shipment_sums(
    db: &Db,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ShipmentSum>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_as::<_, ShipmentSum>(
        "SELECT s.plant_id, s.province_code, s.mode, CAST(SUM(s.quantity) AS BIGINT) AS quantity \
         FROM plant_shipments s JOIN key_plants k ON k.id = s.plant_id \
         WHERE k.jurisdiction_code >= $1 AND k.jurisdiction_code < $2 AND s.ship_date >= $3 AND s.ship_date <= $4 \
         GROUP BY s.plant_id, s.province_code, s.mode ORDER BY s.plant_id, s.province_code, s.mode")
        .bind(&lo).bind(&hi).bind(from).bind(to).fetch_all(p).await?))
}

/// Daily outputs and shipments loaded at once (for the demo).
pub async fn insert_production(
    tx: &mut Tx,
    outputs: &[(i64, NaiveDate, i64)],
    shipments: &[NewShipment],
    filed_by: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    for chunk in outputs.chunks(1000) {
        on_tx!(tx, x => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO plant_output (plant_id, output_date, output, filed_by, filed_at) ");
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(r.0).push_bind(r.1).push_bind(r.2).push_bind(filed_by).push_bind(at);
            });
            qb.build().execute(&mut *x).await?;
        });
    }
    for chunk in shipments.chunks(1000) {
        on_tx!(tx, x => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO plant_shipments (plant_id, ship_date, province_code, quantity, mode, note, filed_by, filed_at) ");
            qb.push_values(chunk, |mut b, s| {
                b.push_bind(s.plant_id).push_bind(s.ship_date).push_bind(s.province_code.as_str())
                    .push_bind(s.quantity).push_bind(s.mode.as_str()).push_bind(s.note.as_str())
                    .push_bind(s.filed_by.as_str()).push_bind(at);
            });
            qb.build().execute(&mut *x).await?;
        });
    }
    Ok(())
}
