//! The phone's time of making a record sent from its outbox, kept beside the server's own
//! time of receiving it, for the kinds of record whose insert is shared with imports and the
//! demo (which have no phone time).

use crate::{on_tx, Result, Tx};
use chrono::{DateTime, Utc};

/// A kind of record that keeps the phone's time, and the column that holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneTimed {
    Screened,
    StockMovement,
    Ticket,
    HandoverAcknowledged,
}

impl PhoneTimed {
    fn sql(self) -> &'static str {
        match self {
            PhoneTimed::Screened => "UPDATE screened_persons SET made_at = $2 WHERE id = $1",
            PhoneTimed::StockMovement => "UPDATE stock_movements SET made_at = $2 WHERE id = $1",
            PhoneTimed::Ticket => "UPDATE tickets SET made_at = $2 WHERE id = $1",
            PhoneTimed::HandoverAcknowledged => {
                "UPDATE handovers SET acknowledged_made_at = $2 WHERE id = $1"
            }
        }
    }
}

/// Keeps the phone's time `made_at` of the record `id` just written in `tx` (nothing when
/// there is none).
pub async fn keep(
    tx: &mut Tx,
    kind: PhoneTimed,
    id: i64,
    made_at: Option<DateTime<Utc>>,
) -> Result<()> {
    let Some(at) = made_at else {
        return Ok(());
    };
    on_tx!(tx, x => sqlx::query(kind.sql()).bind(id).bind(at).execute(&mut *x).await?.rows_affected());
    Ok(())
}
