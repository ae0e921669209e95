//! Checkpoint counts by checkpoint and day, the rollup of the passages: what the command
//! view reads for a wide area or a run of days without reading the passages themselves.
//! Kept here, in the transaction of the write, like every rollup of the store: whoever
//! writes, changes or deletes a passage adds or removes its [`Contribution`].

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::NaiveDate;
use dualtrack_domain::jurisdiction::Scope;
use std::collections::BTreeMap;

/// The counts of the checkpoints of a scope on one day.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DayTotals {
    pub day: NaiveDate,
    pub passages: i64,
    pub persons: i64,
    pub fevers: i64,
    pub turned_back: i64,
}

/// The counts of the checkpoints in the scope for each day from `from` to `to` that has
/// passages, in day order.
pub async fn by_day(
    db: &Db,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DayTotals>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_as::<_, DayTotals>(
        "SELECT day, CAST(SUM(passages) AS BIGINT) AS passages, CAST(SUM(persons) AS BIGINT) AS persons, \
         CAST(SUM(fevers) AS BIGINT) AS fevers, CAST(SUM(turned_back) AS BIGINT) AS turned_back \
         FROM passage_days WHERE day >= $1 AND day <= $2 AND jurisdiction_code >= $3 AND jurisdiction_code < $4 \
         GROUP BY day HAVING SUM(passages) > 0 ORDER BY day")
        .bind(from).bind(to).bind(&lo).bind(&hi).fetch_all(p).await?))
}

/// The row of the rollup a passage falls in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DayKey {
    pub checkpoint_id: i64,
    pub jurisdiction_code: String,
    pub day: NaiveDate,
}

/// What passages add to their row of the rollup: one passage's (`passages` = 1, `vehicles`
/// 1 when it has a plate) or the sum of several of one row; as read, the counts of a
/// checkpoint, a place or a day (`checkpoints::Counts`).
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct PassageCounts {
    pub passages: i64,
    pub vehicles: i64,
    pub persons: i64,
    pub fevers: i64,
    pub let_through: i64,
    pub turned_back: i64,
    pub observed: i64,
    pub quarantined: i64,
}

impl PassageCounts {
    fn add(&mut self, o: &PassageCounts) {
        self.passages += o.passages;
        self.vehicles += o.vehicles;
        self.persons += o.persons;
        self.fevers += o.fevers;
        self.let_through += o.let_through;
        self.turned_back += o.turned_back;
        self.observed += o.observed;
        self.quarantined += o.quarantined;
    }
}

/// A passage's contribution to the rollup: its row and its counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    pub key: DayKey,
    pub counts: PassageCounts,
}

/// What an upsert into the rollup does when the row is there: adds to it.
pub(crate) const ADD_TO_ROW: &str =
    " ON CONFLICT (checkpoint_id, day, jurisdiction_code) DO UPDATE SET \
     passages = passage_days.passages + excluded.passages, \
     vehicles = passage_days.vehicles + excluded.vehicles, \
     persons = passage_days.persons + excluded.persons, \
     fevers = passage_days.fevers + excluded.fevers, \
     let_through = passage_days.let_through + excluded.let_through, \
     turned_back = passage_days.turned_back + excluded.turned_back, \
     observed = passage_days.observed + excluded.observed, \
     quarantined = passage_days.quarantined + excluded.quarantined";

/// Rows of one statement (eleven parameters each, within both engines' limits).
const ROWS_PER_STATEMENT: usize = 1000;

/// Adds the contributions of passages just written, in the caller's transaction: summed by
/// row first (PostgreSQL refuses to touch one row twice in a statement), then written in key
/// order so that concurrent writers take the rows' locks in one order.
pub async fn add(tx: &mut Tx, contributions: &[Contribution]) -> Result<()> {
    let mut rows: BTreeMap<&DayKey, PassageCounts> = BTreeMap::new();
    for c in contributions {
        rows.entry(&c.key).or_default().add(&c.counts);
    }
    let rows: Vec<(&DayKey, PassageCounts)> = rows.into_iter().collect();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        on_tx!(tx, x => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO passage_days (checkpoint_id, jurisdiction_code, day, passages, vehicles, persons, \
                 fevers, let_through, turned_back, observed, quarantined) ");
            qb.push_values(chunk, |mut b, (k, c)| {
                b.push_bind(k.checkpoint_id).push_bind(k.jurisdiction_code.as_str()).push_bind(k.day)
                    .push_bind(c.passages).push_bind(c.vehicles).push_bind(c.persons).push_bind(c.fevers)
                    .push_bind(c.let_through).push_bind(c.turned_back).push_bind(c.observed)
                    .push_bind(c.quarantined);
            });
            qb.push(ADD_TO_ROW);
            qb.build().execute(&mut *x).await.map(|_| ())?
        });
    }
    Ok(())
}

/// Pushes the upsert of one contribution onto a PostgreSQL statement (for a data-modifying
/// `WITH` in front of the passage's own insert).
pub(crate) fn push_add(qb: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>, c: &Contribution) {
    let (k, n) = (&c.key, &c.counts);
    qb.push(
        "INSERT INTO passage_days (checkpoint_id, jurisdiction_code, day, passages, vehicles, persons, \
         fevers, let_through, turned_back, observed, quarantined) VALUES (",
    );
    let mut b = qb.separated(", ");
    b.push_bind(k.checkpoint_id)
        .push_bind(k.jurisdiction_code.clone())
        .push_bind(k.day)
        .push_bind(n.passages)
        .push_bind(n.vehicles)
        .push_bind(n.persons)
        .push_bind(n.fevers)
        .push_bind(n.let_through)
        .push_bind(n.turned_back)
        .push_bind(n.observed)
        .push_bind(n.quarantined);
    qb.push(")");
    qb.push(ADD_TO_ROW);
}

/// Takes back the contribution of a passage that is deleted, or of what a passage was
/// before it is changed (then [`add`] what it is after), in the caller's transaction.
pub async fn remove(tx: &mut Tx, c: &Contribution) -> Result<()> {
    let (k, n) = (&c.key, &c.counts);
    on_tx!(tx, x => sqlx::query(
        "UPDATE passage_days SET passages = passages - $1, vehicles = vehicles - $2, \
         persons = persons - $3, fevers = fevers - $4, let_through = let_through - $5, \
         turned_back = turned_back - $6, observed = observed - $7, quarantined = quarantined - $8 \
         WHERE checkpoint_id = $9 AND day = $10 AND jurisdiction_code = $11")
        .bind(n.passages).bind(n.vehicles).bind(n.persons).bind(n.fevers).bind(n.let_through)
        .bind(n.turned_back).bind(n.observed).bind(n.quarantined)
        .bind(k.checkpoint_id).bind(k.day).bind(&k.jurisdiction_code)
        .execute(&mut *x).await.map(|_| ())?);
    Ok(())
}

/// Adds the passages whose ids are above `after`, written in bulk by SQL alone, in one
/// statement over those passages (SQLite; the bulk generator of `store::bulk`).
pub(crate) async fn add_passages_after(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    after: i64,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO passage_days (checkpoint_id, jurisdiction_code, day, passages, vehicles, persons, \
           fevers, let_through, turned_back, observed, quarantined) \
         SELECT checkpoint_id, jurisdiction_code, pass_date, COUNT(*), \
           SUM(CASE WHEN plate IS NULL THEN 0 ELSE 1 END), SUM(persons), SUM(fevers), SUM(let_through), \
           SUM(turned_back), SUM(observed), SUM(quarantined) \
         FROM passages WHERE id > $1 GROUP BY checkpoint_id, jurisdiction_code, pass_date{ADD_TO_ROW}",
    );
    sqlx::query(&sql).bind(after).execute(&mut **tx).await?;
    Ok(())
}
