//! Sealing rows under the newest key: the rows written before encryption was turned on
//! (and those loaded in bulk, which are written plain), and every row after a rotation.
//!
//! A pass walks each table in id order in batches of [`App::job_batch`] rows, each batch in
//! its own short transaction with its audit row, so the server keeps serving. A row changed
//! between its read and its rewrite is left for the next pass (the rewrite checks the old
//! values). [`App::rotate_keys`] adds a key, makes passes until one finds nothing, waits for
//! writers still holding the old key (in this process: one already sealing; in other
//! instances: until they reload the key file), and makes passes again.

use super::CryptoError;
use crate::actor::commit_audited;
use crate::{Actor, App, ServiceError, ServiceResult};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_store::sealing::{self as store, Sealed, StoredRow};
use serde::Serialize;
use std::time::Duration;

/// Rows of one table under one key (`key` none: not sealed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyCount {
    pub table: &'static str,
    pub key: Option<String>,
    pub rows: i64,
}

/// What a rotation did.
#[derive(Debug, Clone, Serialize)]
pub struct Rotation {
    /// The new key's id.
    pub key: String,
    /// Rows sealed again under it.
    pub rows: u64,
    /// Passes made.
    pub passes: u32,
}

impl App {
    /// Rows per table and key.
    pub async fn key_status(&self) -> ServiceResult<Vec<KeyCount>> {
        let mut out = Vec::new();
        for t in store::ALL {
            for (key, rows) in store::key_counts(&self.db, &t).await? {
                out.push(KeyCount {
                    table: t.table,
                    key,
                    rows,
                });
            }
        }
        Ok(out)
    }

    /// Seals every row not under the newest key (and gives every row its blind index): the
    /// rows written. With encryption off, only the blind index is filled in.
    pub async fn reseal_pass(&self, actor: &Actor) -> ServiceResult<u64> {
        if !actor.is_cli {
            return Err(ServiceError::Forbidden(
                "只能由命令行或服务自身重新加密".into(),
            ));
        }
        let mut written = 0;
        for t in store::ALL {
            written += self.reseal_table(actor, &t).await?;
        }
        Ok(written)
    }

    async fn reseal_table(&self, actor: &Actor, t: &Sealed) -> ServiceResult<u64> {
        // Most passes (one at every start) find nothing to do: asked of the indexes first.
        if !store::needs_reseal(&self.db, t, self.crypto.current_key().as_deref()).await? {
            return Ok(0);
        }
        let mut after = 0;
        let mut written = 0;
        let batch = self.job_batch.max(1) as i64;
        loop {
            let key = self.crypto.current_key();
            let rows = store::not_under(&self.db, t, key.as_deref(), after, batch).await?;
            let Some(last) = rows.last() else {
                return Ok(written);
            };
            after = last.id;
            let sealer = self.crypto.sealer();
            let mut sealed = Vec::with_capacity(rows.len());
            for row in &rows {
                sealed.push(self.sealed_row(t, row, &sealer)?);
            }
            let mut tx = self.db.begin().await?;
            let mut n = 0;
            for (row, (values, bidx)) in rows.iter().zip(&sealed) {
                let (key, bidx) = (sealer.key_id(), bidx.as_deref());
                if store::reseal(&mut tx, t, row, values, bidx, key.as_deref()).await? {
                    n += 1;
                }
            }
            let audit = actor.audit(
                Action::KeysReseal,
                Outcome::Success,
                "个人信息加密",
                t.zh,
                None,
                format!(
                    "{} 第 {}–{} 条中 {n} 条以密钥 {} 重新加密",
                    t.zh,
                    rows[0].id,
                    last.id,
                    sealer
                        .key_id()
                        .as_deref()
                        .unwrap_or("（未加密，仅补盲索引）")
                ),
            );
            commit_audited(tx, &audit).await?;
            written += n;
        }
    }

    /// A row's values opened and sealed again, with the blind index of its ID number.
    fn sealed_row(
        &self,
        t: &Sealed,
        row: &StoredRow,
        sealer: &super::Sealer<'_>,
    ) -> Result<(Vec<Option<String>>, Option<String>), CryptoError> {
        let mut values = Vec::with_capacity(row.values.len());
        let mut bidx = None;
        for (column, v) in t.columns.iter().zip(&row.values) {
            let plain = self.crypto.open_opt(v.as_deref())?;
            if Some(*column) == t.id_number {
                // An erased (or missing) number has none: its rows must not be found together.
                bidx = Some(match plain.as_deref().filter(|n| !n.is_empty()) {
                    Some(n) => self.crypto.blind_index(n),
                    None => String::new(),
                });
            }
            values.push(sealer.seal_opt(plain.as_deref()));
        }
        Ok((values, bidx))
    }

    /// Makes passes until one writes nothing: the rows written and the passes made.
    async fn reseal_until_done(&self, actor: &Actor) -> ServiceResult<(u64, u32)> {
        let (mut rows, mut passes) = (0, 0);
        loop {
            let n = self.reseal_pass(actor).await?;
            rows += n;
            passes += 1;
            if n == 0 {
                return Ok((rows, passes));
            }
        }
    }

    /// Adds a new key (to the key file) and seals every row under it while the server
    /// serves. `grace`: how long writers that took the old key before it was added may take
    /// to finish (other servers reload the key file every few seconds).
    pub async fn rotate_keys(&self, actor: &Actor, grace: Duration) -> ServiceResult<Rotation> {
        if !actor.is_cli {
            return Err(ServiceError::Forbidden("只能由命令行轮换密钥".into()));
        }
        let key = self.crypto.add_key()?;
        let (mut rows, mut passes) = self.reseal_until_done(actor).await?;
        tokio::time::sleep(grace).await;
        let (more, again) = self.reseal_until_done(actor).await?;
        rows += more;
        passes += again;
        Ok(Rotation { key, rows, passes })
    }
}
