//! Escalation steps of tickets and the scheduler's lease.

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, Utc};

row_and_new! {
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct StepRow {
        pub from_name: String,
        pub to_name: String,
        pub created_at: DateTime<Utc>,
    }
    #[derive(Debug, Clone)]
    pub struct NewStep {}
    both {
        pub ticket_id: i64,
        pub step: i32,
        pub from_code: String,
        pub to_code: String,
        pub reason: String,
        pub due_at: DateTime<Utc>,
        pub created_by: String,
    }
}

/// Records an escalation step and moves the ticket up to its level. The key (ticket, step)
/// makes a second recording of the same step — by another instance — do nothing: false.
pub async fn insert_step(tx: &mut Tx, s: &NewStep, at: DateTime<Utc>) -> Result<bool> {
    on_tx!(tx, x => {
        let n = sqlx::query(
            "INSERT INTO ticket_escalations (ticket_id, step, from_code, to_code, reason, due_at, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (ticket_id, step) DO NOTHING")
            .bind(s.ticket_id).bind(s.step).bind(&s.from_code).bind(&s.to_code).bind(&s.reason).bind(s.due_at)
            .bind(at).bind(&s.created_by).execute(&mut *x).await?.rows_affected();
        if n != 1 {
            return Ok(false);
        }
        sqlx::query("UPDATE tickets SET level_code = $2, escalations = $3, updated_at = $4 WHERE id = $1")
            .bind(s.ticket_id).bind(&s.to_code).bind(s.step).bind(at).execute(&mut *x).await?;
        Ok(true)
    })
}

pub async fn steps(db: &Db, ticket_id: i64) -> Result<Vec<StepRow>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, StepRow>(
        "SELECT s.ticket_id, s.step, s.from_code, COALESCE(f.name, s.from_code) AS from_name, s.to_code, \
         COALESCE(t.name, s.to_code) AS to_name, s.reason, s.due_at, s.created_at, s.created_by \
         FROM ticket_escalations s LEFT JOIN jurisdictions f ON f.code = s.from_code \
         LEFT JOIN jurisdictions t ON t.code = s.to_code WHERE s.ticket_id = $1 ORDER BY s.step")
        .bind(ticket_id).fetch_all(p).await?))
}

/// Takes or renews the named lease for `holder` until `until`; false while another holder's
/// lease runs. Times are wall-clock times of the instances.
pub async fn take_lease(
    db: &Db,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool> {
    on_db!(db, p => {
        sqlx::query(
            "INSERT INTO scheduler_leases (name, holder, until) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
            .bind(name).bind("").bind(now).execute(p).await?;
        let n = sqlx::query(
            "UPDATE scheduler_leases SET holder = $2, until = $4 WHERE name = $1 AND (holder = $2 OR until <= $3)")
            .bind(name).bind(holder).bind(now).bind(until).execute(p).await?.rows_affected();
        Ok(n == 1)
    })
}

/// Gives the lease up (on shutdown), so another instance takes over at once.
pub async fn release_lease(db: &Db, name: &str, holder: &str) -> Result<()> {
    on_db!(db, p => sqlx::query("DELETE FROM scheduler_leases WHERE name = $1 AND holder = $2")
        .bind(name).bind(holder).execute(p).await.map(|_| ())?);
    Ok(())
}
