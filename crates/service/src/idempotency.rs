//! Idempotency keys, one mechanism for every create a client may retry (a phone on a bad
//! network, a script after a lost answer, a double tap on a page).
//!
//! The client sends a key of its own with the request. Before the write, the account's key is
//! looked up: unused, the request is written and the key row with it, in the same transaction
//! (the record is never written without its key, nor the key without its record); used for the
//! same kind of request with the same fingerprint (SHA-256 of the request as parsed, without
//! the key), the record written the first time is answered and nothing is written; used for
//! anything else, the request is refused naming `idempotency_key`. Two requests with one key at
//! once: the second fails inside its transaction (on the key's primary key, or before it on
//! what the first one wrote), which is rolled back, and finding the key written then it is
//! answered like a retry.

use crate::actor::commit_audited;
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::{DateTime, Utc};
use dualtrack_store::audit::NewAudit;
use dualtrack_store::idempotency::{self as store, KeyRow};
use dualtrack_store::Tx;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::future::Future;

/// The answer of a keyed create: the record, and whether this call wrote it (`false`: an
/// earlier call with the same key and request did).
#[derive(Debug, Clone)]
pub struct Written<T> {
    pub record: T,
    pub created: bool,
}

/// A fresh key, to be written beside its record in the record's transaction.
#[derive(Debug, Clone)]
pub struct Claim {
    account: String,
    key: String,
    kind: &'static str,
    fingerprint: String,
    /// When the request came in, on the application's clock.
    at: DateTime<Utc>,
}

impl Claim {
    /// The key as the client sent it (trimmed).
    pub fn key(&self) -> &str {
        &self.key
    }
}

/// Writes the key of the record `record_id` just written in `tx`, if the request had one.
pub(crate) async fn keep(tx: &mut Tx, claim: Option<&Claim>, record_id: i64) -> ServiceResult<()> {
    if let Some(c) = claim {
        store::insert(
            tx,
            &c.account,
            &c.key,
            &KeyRow {
                kind: c.kind.to_string(),
                fingerprint: c.fingerprint.clone(),
                record_id,
            },
            c.at,
        )
        .await?;
    }
    Ok(())
}

/// Ends a keyed create: the key of the record `record_id` just written in `tx` (if the
/// request had one), the audit row, then the commit.
pub(crate) async fn commit_created(
    mut tx: Tx,
    claim: Option<&Claim>,
    record_id: i64,
    row: &NewAudit,
) -> ServiceResult<()> {
    keep(&mut tx, claim, record_id).await?;
    commit_audited(tx, row).await
}

/// SHA-256 (hex) of the canonical JSON of a request: object keys in order (serde_json's map
/// is sorted), no spaces, every `idempotency_key` field left out.
pub fn fingerprint(request: &impl Serialize) -> ServiceResult<String> {
    let mut v = serde_json::to_value(request)
        .map_err(|e| ServiceError::Internal(format!("请求无法序列化：{e}")))?;
    strip_key(&mut v);
    let text = serde_json::to_string(&v)
        .map_err(|e| ServiceError::Internal(format!("请求无法序列化：{e}")))?;
    Ok(hex::encode(Sha256::digest(text.as_bytes())))
}

fn strip_key(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("idempotency_key");
            m.values_mut().for_each(strip_key);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_key),
        _ => {}
    }
}

fn mismatch() -> ServiceError {
    ServiceError::IdempotencyMismatch("幂等键已用于另一内容不同的请求：请换一个新的幂等键".into())
}

/// The record of a used key, if it was used for this kind of request with this fingerprint.
fn replay_of(row: KeyRow, kind: &str, fingerprint: &str) -> ServiceResult<i64> {
    // Keys carried over from before fingerprints were kept have none to compare.
    if row.kind == kind && (row.fingerprint == fingerprint || row.fingerprint.is_empty()) {
        Ok(row.record_id)
    } else {
        Err(mismatch())
    }
}

impl App {
    /// Runs a create under the client's idempotency key, if it sent one.
    ///
    /// `request` is what identifies the request: the parsed input with the path's ids
    /// (`idempotency_key` fields are left out of its fingerprint). `write` writes the record
    /// and, in the same transaction, calls [`keep`] with the claim it is given and the new
    /// record's id. `replay` reads the record of an earlier call with the same key.
    pub(crate) async fn once<T, W, WF, R, RF>(
        &self,
        actor: &Actor,
        kind: &'static str,
        raw_key: &Option<String>,
        request: &impl Serialize,
        write: W,
        replay: R,
    ) -> ServiceResult<Written<T>>
    where
        W: FnOnce(Option<Claim>) -> WF,
        WF: Future<Output = ServiceResult<T>>,
        R: FnOnce(i64) -> RF,
        RF: Future<Output = ServiceResult<T>>,
    {
        self.keyed(actor, kind, raw_key, request, write, replay, true)
            .await
    }

    /// [`App::once`] for the creates sent most often (a checkpoint's registrations), which
    /// writes without looking the key up first: a fresh key, by far the most common, then
    /// costs no read. A key used before still fails the write (on the key's primary key,
    /// or before it on the record's own unique key), and is then looked up and answered
    /// exactly as [`App::once`] answers it.
    pub(crate) async fn once_writing_first<T, W, WF, R, RF>(
        &self,
        actor: &Actor,
        kind: &'static str,
        raw_key: &Option<String>,
        request: &impl Serialize,
        write: W,
        replay: R,
    ) -> ServiceResult<Written<T>>
    where
        W: FnOnce(Option<Claim>) -> WF,
        WF: Future<Output = ServiceResult<T>>,
        R: FnOnce(i64) -> RF,
        RF: Future<Output = ServiceResult<T>>,
    {
        self.keyed(actor, kind, raw_key, request, write, replay, false)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn keyed<T, W, WF, R, RF>(
        &self,
        actor: &Actor,
        kind: &'static str,
        raw_key: &Option<String>,
        request: &impl Serialize,
        write: W,
        replay: R,
        look_first: bool,
    ) -> ServiceResult<Written<T>>
    where
        W: FnOnce(Option<Claim>) -> WF,
        WF: Future<Output = ServiceResult<T>>,
        R: FnOnce(i64) -> RF,
        RF: Future<Output = ServiceResult<T>>,
    {
        let Some(key) = crate::input::idempotency_key(raw_key)? else {
            return Ok(Written {
                record: write(None).await?,
                created: true,
            });
        };
        let fingerprint = fingerprint(request)?;
        let used = match look_first {
            true => store::find(&self.db, &actor.username, &key).await?,
            false => None,
        };
        if let Some(row) = used {
            let id = replay_of(row, kind, &fingerprint)?;
            return Ok(Written {
                record: replay(id).await?,
                created: false,
            });
        }
        let claim = Claim {
            account: actor.username.clone(),
            key: key.clone(),
            kind,
            fingerprint: fingerprint.clone(),
            at: self.clock.now(),
        };
        match write(Some(claim)).await {
            Ok(record) => Ok(Written {
                record,
                created: true,
            }),
            // Refused: if the same key came in twice at once, the other request committed
            // first and its key row is there now. This one then failed on the key itself, or
            // earlier on what the other one wrote (a day's report filed already, the stock it
            // took, a unique column of the record); either way it is answered as a retry. Any
            // other refusal finds no key row and is answered as it was.
            Err(e) => match store::find(&self.db, &actor.username, &key).await? {
                Some(row) => {
                    let id = replay_of(row, kind, &fingerprint)?;
                    Ok(Written {
                        record: replay(id).await?,
                        created: false,
                    })
                }
                None => Err(e),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_leaves_the_key_out_and_ignores_field_order() {
        let a = serde_json::json!({"a": 1, "b": [{"idempotency_key": "x", "c": 2}], "idempotency_key": "k1"});
        let b = serde_json::json!({"b": [{"c": 2}], "a": 1, "idempotency_key": "k2"});
        let c = serde_json::json!({"a": 2, "b": [{"c": 2}]});
        assert_eq!(fingerprint(&a).ok(), fingerprint(&b).ok());
        assert_ne!(fingerprint(&a).ok(), fingerprint(&c).ok());
    }

    #[test]
    fn a_key_answers_only_its_own_kind_and_request() {
        let row = KeyRow {
            kind: "passage".into(),
            fingerprint: "f".into(),
            record_id: 7,
        };
        assert_eq!(replay_of(row.clone(), "passage", "f").ok(), Some(7));
        assert!(matches!(
            replay_of(row.clone(), "passage", "g"),
            Err(ServiceError::IdempotencyMismatch(_))
        ));
        assert!(matches!(
            replay_of(row, "stock_movement", "f"),
            Err(ServiceError::IdempotencyMismatch(_))
        ));
        let old = KeyRow {
            kind: "passage".into(),
            fingerprint: String::new(),
            record_id: 3,
        };
        assert_eq!(replay_of(old, "passage", "g").ok(), Some(3));
    }
}
