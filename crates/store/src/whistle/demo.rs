//! For the demo, inside its transaction.

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, Utc};

/// Ids of accounts by user name.
pub async fn user_ids_in(tx: &mut Tx, names: &[&str]) -> Result<Vec<(i64, String)>> {
    let mut out = vec![];
    for n in names {
        let row: Option<(i64, String)> = on_tx!(tx, x => sqlx::query_as::<_, (i64, String)>(
            "SELECT id, username FROM users WHERE username = $1").bind(*n).fetch_optional(&mut *x).await?);
        out.extend(row);
    }
    Ok(out)
}

/// Codes and names of the nodes of a level (rank 1–6) under a prefix.
pub async fn nodes_in(tx: &mut Tx, level: i32, prefix: &str) -> Result<Vec<(String, String)>> {
    let hi = format!("{prefix}:");
    Ok(on_tx!(tx, x => sqlx::query_as::<_, (String, String)>(
        "SELECT code, name FROM jurisdictions WHERE level = $1 AND code >= $2 AND code < $3 ORDER BY code")
        .bind(level).bind(prefix).bind(&hi).fetch_all(&mut *x).await?))
}

/// A resolved production problem, to raise a demo ticket from.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResolvedProblem {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub jurisdiction_code: String,
    pub category: String,
    pub org_id: Option<i64>,
    pub org_name: Option<String>,
    pub description: String,
    pub raised_on: chrono::NaiveDate,
}

pub async fn resolved_problems_in(tx: &mut Tx) -> Result<Vec<ResolvedProblem>> {
    Ok(on_tx!(tx, x => sqlx::query_as::<_, ResolvedProblem>(
        "SELECT q.id, q.enterprise_id, e.name AS enterprise_name, q.jurisdiction_code, q.category, q.org_id, \
         o.name AS org_name, q.description, q.raised_on FROM production_problems q JOIN enterprises e ON e.id = q.enterprise_id \
         LEFT JOIN organisations o ON o.id = q.org_id WHERE q.status = 'resolved' ORDER BY q.id")
        .fetch_all(&mut *x).await?))
}

/// Marks every unread notice read when written (the demo's history).
pub async fn mark_all_read_in(tx: &mut Tx) -> Result<()> {
    on_tx!(tx, x => sqlx::query("UPDATE notices SET read_at = created_at, read_by = 'demo' WHERE read_at IS NULL")
        .execute(&mut *x).await.map(|_| ())?);
    Ok(())
}

/// A ticket raised with an idempotency key of the demo's evenings.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyedTicket {
    /// The account that raised it.
    pub account: String,
    pub idem_key: String,
    pub id: i64,
    pub updated_at: DateTime<Utc>,
}

/// The tickets whose idempotency key starts with `prefix`.
pub async fn keyed_tickets(db: &Db, prefix: &str) -> Result<Vec<KeyedTicket>> {
    let like = format!("{prefix}%");
    Ok(on_db!(db, p => sqlx::query_as::<_, KeyedTicket>(
        "SELECT k.account, k.idem_key, t.id, t.updated_at FROM idempotency_keys k \
         JOIN tickets t ON t.id = k.record_id WHERE k.kind = 'ticket' AND k.idem_key LIKE $1 ORDER BY t.id")
        .bind(&like).fetch_all(p).await?))
}

/// Removes tickets whole, with their calls, timeline, escalation steps, attachments,
/// notices and those notices' deliveries, and the idempotency keys they were raised with,
/// as if never raised (the demo going back to an earlier evening).
pub async fn remove_tickets(tx: &mut Tx, tickets: &[KeyedTicket]) -> Result<()> {
    for t in tickets {
        for sql in [
            "DELETE FROM webhook_deliveries WHERE notice_id IN (SELECT id FROM notices WHERE ticket_id = $1)",
            "DELETE FROM notices WHERE ticket_id = $1",
            "DELETE FROM ticket_escalations WHERE ticket_id = $1",
            "DELETE FROM ticket_events WHERE ticket_id = $1",
            "DELETE FROM ticket_calls WHERE ticket_id = $1",
            "DELETE FROM ticket_attachments WHERE ticket_id = $1",
            "UPDATE production_problems SET ticket_id = NULL WHERE ticket_id = $1",
            "DELETE FROM tickets WHERE id = $1",
        ] {
            on_tx!(tx, x => sqlx::query(sql).bind(t.id).execute(&mut *x).await.map(|_| ())?);
        }
        on_tx!(tx, x => sqlx::query(
            "DELETE FROM idempotency_keys WHERE account = $1 AND idem_key = $2")
            .bind(&t.account).bind(&t.idem_key).execute(&mut *x).await.map(|_| ())?);
    }
    Ok(())
}
