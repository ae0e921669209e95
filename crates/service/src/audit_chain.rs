//! The audit log's hash chain: each audit row is sealed, shortly after its commit, by an
//! HMAC-SM3 over the row and the seal before it, under a key held outside the database.
//!
//! The sealer runs in the background of every server (instances sharing a database take
//! turns through a lock) and in `dualtrack audit seal`; `dualtrack audit verify` and the
//! auditor's page walk the chain and name the first row that breaks it: a row changed or
//! removed after its seal, a seal changed or removed, a seal made under another key. The
//! head of the chain as last sealed by this installation is also written to a file beside
//! the key, so that cutting the chain short and sealing again from there — with the database
//! alone, not the key — is caught as well.
//!
//! The window between a row's commit and its seal is the sealer's interval (a few seconds);
//! rows still unsealed long after their commit are counted by the check.

use crate::{App, ServiceError, ServiceResult};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use dualtrack_store::audit::{self as store, AuditRow, Seal};
use dualtrack_store::audit_archive as archives;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sm3::{Digest, Sm3};
use std::path::{Path, PathBuf};
use utoipa::ToSchema;

type HmacSm3 = Hmac<Sm3>;

/// Rows sealed per transaction.
const SEAL_BATCH: i64 = 500;
/// Seals read per page by the check.
const CHECK_PAGE: i64 = 2_000;
/// A row unsealed this long after it was written is counted as late by the check.
const LATE_AFTER_MINUTES: i64 = 10;

/// The key of the chain: 32 random bytes, kept in a file outside the database (hex), and
/// an identifier derived from it (stored with each seal; it does not reveal the key).
pub struct AuditKey {
    key: [u8; 32],
    id: String,
    /// Where the head of the chain is recorded, beside the key file.
    head_file: Option<PathBuf>,
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditKey").field("id", &self.id).finish()
    }
}

impl AuditKey {
    /// A key from its bytes (tests, and keys handed over by a key service).
    pub fn from_bytes(key: [u8; 32]) -> AuditKey {
        let id = hex::encode(&Sm3::digest(key)[..8]);
        AuditKey {
            key,
            id,
            head_file: None,
        }
    }

    /// Reads the key file, or when it does not exist and `create` is set, makes one with a
    /// new random key, readable by its owner only.
    pub fn load(path: &Path, create: bool) -> Result<AuditKey, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let mut key = [0u8; 32];
                argon2::password_hash::rand_core::RngCore::fill_bytes(
                    &mut argon2::password_hash::rand_core::OsRng,
                    &mut key,
                );
                write_private(path, &format!("{}\n", hex::encode(key)))
                    .map_err(|e| format!("无法创建审计密钥文件 {}：{e}", path.display()))?;
                hex::encode(key)
            }
            Err(e) => return Err(format!("无法读取审计密钥文件 {}：{e}", path.display())),
        };
        let bytes = hex::decode(text.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| {
                format!(
                    "审计密钥文件 {} 的内容应为 64 个十六进制字符（32 字节）",
                    path.display()
                )
            })?;
        let mut k = AuditKey::from_bytes(bytes);
        let mut head = path.as_os_str().to_owned();
        head.push(".head");
        k.head_file = Some(PathBuf::from(head));
        Ok(k)
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// An HMAC-SM3 under the key over `parts`, each prefixed by its length.
    pub(crate) fn sign(&self, parts: &[&[u8]]) -> String {
        let mut m = <HmacSm3 as Mac>::new_from_slice(&self.key).expect("HMAC takes any key");
        for p in parts {
            m.update(&(p.len() as u64).to_be_bytes());
            m.update(p);
        }
        hex::encode(m.finalize().into_bytes())
    }

    /// The seal of `row` at place `seq`, after the seal `prev` (empty for the first).
    pub(crate) fn mac(&self, seq: i64, prev: &str, row: &AuditRow) -> String {
        let mut m = <HmacSm3 as Mac>::new_from_slice(&self.key).expect("HMAC takes any key");
        let e = &row.entry;
        let at = e.at.to_rfc3339_opts(SecondsFormat::Nanos, true);
        let user = e.user_id.map(|u| u.to_string());
        let fields: [Option<&str>; 12] = [
            Some(prev),
            Some(at.as_str()),
            user.as_deref(),
            Some(&e.username),
            Some(&e.roles),
            Some(&e.action),
            Some(&e.target_kind),
            Some(&e.target_id),
            e.jurisdiction_code.as_deref(),
            Some(&e.source_addr),
            Some(&e.outcome),
            Some(&e.detail),
        ];
        m.update(&seq.to_be_bytes());
        m.update(&row.id.to_be_bytes());
        for f in fields {
            match f {
                None => m.update(&[0]),
                Some(s) => {
                    m.update(&[1]);
                    m.update(&(s.len() as u64).to_be_bytes());
                    m.update(s.as_bytes());
                }
            }
        }
        hex::encode(m.finalize().into_bytes())
    }

    fn record_head(&self, head: &Head) {
        if let Some(f) = &self.head_file {
            let text = format!("{} {} {}\n", head.seq, head.mac, head.first);
            if let Err(e) = write_private(f, &text) {
                tracing::warn!(error = %e, file = %f.display(), "the audit chain's head was not recorded");
            }
        }
    }

    fn recorded_head(&self) -> Option<Head> {
        let text = std::fs::read_to_string(self.head_file.as_ref()?).ok()?;
        let mut it = text.split_whitespace();
        Some(Head {
            seq: it.next()?.parse().ok()?,
            mac: it.next()?.to_string(),
            first: it.next()?.to_string(),
        })
    }
}

/// The head of a chain as recorded outside the database: its last seal, and its first,
/// which tells one chain from another (a new database starts a chain of its own; the
/// seals of unchanged rows come out the same when sealed again).
#[derive(Debug, Clone, PartialEq)]
struct Head {
    seq: i64,
    mac: String,
    first: String,
}

/// Writes a file readable and writable by its owner only (replacing it whole).
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".new");
    let tmp = PathBuf::from(tmp);
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Where the chain breaks.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ChainBreak {
    /// 封存序号
    pub seq: i64,
    /// 审计记录编号（封存所指的记录）
    pub audit_id: Option<i64>,
    /// 原因
    pub reason: String,
}

/// The state of the chain, as checked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChainCheck {
    /// 是否配置了审计密钥（未配置则不封存、不校验）
    pub keyed: bool,
    /// 当前密钥标识
    pub key_id: Option<String>,
    /// 审计记录总数
    pub rows: i64,
    /// 校验通过的封存数
    pub sealed: i64,
    /// 写入 10 分钟后仍未封存的记录数
    pub unsealed_late: i64,
    /// 第一处断裂（无则链完整）
    pub broken: Option<ChainBreak>,
    /// 校验时间
    pub checked_at: DateTime<Utc>,
    /// 说明（如库外链头记录属于另一条链）
    pub note: Option<String>,
    /// 已归档（到期移出数据库）的审计记录
    pub archives: crate::audit_archive::ArchiveSummary,
    /// 向日志服务器（syslog）转发的情况（未配置则无）
    pub forwarding: Option<crate::syslog::ForwardingState>,
}

impl ChainCheck {
    pub fn intact(&self) -> bool {
        self.keyed && self.broken.is_none() && self.unsealed_late == 0
    }

    /// One line saying the state, in Chinese.
    pub fn summary(&self) -> String {
        if !self.keyed {
            return "审计链未启用：未配置审计密钥文件（audit_key_file）".into();
        }
        match &self.broken {
            Some(b) => format!(
                "审计链断裂：第 {} 个封存{}——{}",
                b.seq,
                b.audit_id
                    .map(|id| format!("（审计记录 #{id}）"))
                    .unwrap_or_default(),
                b.reason
            ),
            None if self.unsealed_late > 0 => format!(
                "审计链完整（{} 条已封存），但有 {} 条记录写入 {LATE_AFTER_MINUTES} 分钟后仍未封存",
                self.sealed, self.unsealed_late
            ),
            None => format!("审计链完整：{} 条记录全部封存并校验通过", self.sealed),
        }
    }
}

impl App {
    /// Sets the key of the audit chain (without one, nothing is sealed).
    pub fn with_audit_key(mut self, key: AuditKey) -> App {
        self.audit_key = Some(std::sync::Arc::new(key));
        self
    }

    /// Seals the audit rows committed since the last seal, a batch per short transaction;
    /// returns how many were sealed.
    pub async fn seal_audit(&self) -> ServiceResult<u64> {
        let Some(key) = self.audit_key.clone() else {
            return Ok(0);
        };
        let mut total = 0u64;
        loop {
            let mut tx = self.db.begin_job().await?;
            store::lock_sealer(&mut tx).await?;
            // With every seal archived, the chain goes on from the last archive's.
            let (mut seq, mut prev) = match store::last_seal(&mut tx).await? {
                Some(s) => (s.seq, s.mac),
                None => match archives::last(&mut tx).await? {
                    Some(a) => (a.last_seq, a.last_mac),
                    None => (0, String::new()),
                },
            };
            let rows = store::unsealed(&mut tx, SEAL_BATCH).await?;
            if rows.is_empty() {
                return Ok(total);
            }
            let at = self.now();
            let mut made = Vec::with_capacity(rows.len());
            for row in &rows {
                seq += 1;
                let mac = key.mac(seq, &prev, row);
                let seal = Seal {
                    seq,
                    audit_id: row.id,
                    key_id: key.id.clone(),
                    mac,
                };
                store::insert_seal(&mut tx, &seal, at).await?;
                prev = seal.mac.clone();
                made.push(seal);
            }
            let first = match made.first() {
                Some(s) if s.seq == 1 => Some(s.mac.clone()),
                _ => match store::seal_at(&mut tx, 1).await? {
                    Some(s) => Some(s.mac),
                    None => archives::first(&mut tx).await?.map(|a| a.first_mac),
                },
            };
            let head = Head {
                seq,
                mac: prev.clone(),
                first: first.unwrap_or_default(),
            };
            // The chain must still pass through the head this installation last sealed: a
            // chain cut short and sealed again from a changed row would not, and sealing on
            // would cover that up. Until the chain reaches that head again (sealing anew
            // seals unchanged rows the same), the recorded head is kept as it is.
            let record = match key.recorded_head() {
                Some(h) if h.first == head.first => {
                    if head.seq < h.seq {
                        false
                    } else {
                        let at_head = match made.iter().find(|s| s.seq == h.seq) {
                            Some(s) => Some(s.mac.clone()),
                            None => store::seal_at(&mut tx, h.seq).await?.map(|s| s.mac),
                        };
                        if at_head.as_deref() != Some(h.mac.as_str()) {
                            return Err(ServiceError::conflict(
                                "audit_seals",
                                format!(
                                    "审计链与库外记录的链头（第 {} 个封存）不符，已停止封存：请运行 dualtrack audit verify 查明",
                                    h.seq
                                ),
                            ));
                        }
                        true
                    }
                }
                Some(_) => {
                    tracing::warn!("the recorded audit chain head belongs to another chain (a new database?): recording this one's");
                    true
                }
                None => true,
            };
            tx.commit().await?;
            if record {
                key.record_head(&head);
            }
            if let Some(f) = &self.syslog {
                for (seal, row) in made.iter().zip(&rows) {
                    f.offer(seal.seq, row);
                }
            }
            total += rows.len() as u64;
            if (rows.len() as i64) < SEAL_BATCH {
                return Ok(total);
            }
        }
    }

    /// Walks the whole chain and says where, if anywhere, it breaks.
    pub async fn check_audit_chain(&self) -> ServiceResult<ChainCheck> {
        let now = self.now();
        let (rows, unsealed_late) =
            store::seal_counts(&self.db, now - Duration::minutes(LATE_AFTER_MINUTES)).await?;
        let mut check = ChainCheck {
            keyed: self.audit_key.is_some(),
            key_id: self.audit_key.as_ref().map(|k| k.id.clone()),
            rows,
            sealed: 0,
            unsealed_late,
            broken: None,
            checked_at: now,
            note: None,
            archives: Default::default(),
            forwarding: self.syslog.as_ref().map(|f| f.state()),
        };
        let archived = archives::all(&self.db).await?;
        check.archives = crate::audit_archive::ArchiveSummary::of(&archived);
        let Some(key) = self.audit_key.clone() else {
            return Ok(check);
        };
        let mut recorded = key.recorded_head();
        // The chain starts where the archives end, after their records are checked.
        let (mut last, mut prev) = match crate::audit_archive::check_records(&key, &archived) {
            Ok(end) => end,
            Err(b) => {
                check.broken = Some(b);
                return Ok(check);
            }
        };
        if let (Some(a), Some(h)) = (archived.first(), &recorded) {
            if a.first_mac != h.first {
                check.note = Some(
                    "库外记录的链头属于另一条链（数据库已更换或从头改写），本次未与之核对".into(),
                );
                recorded = None;
            }
        }
        'walk: loop {
            let page = store::seals_after(&self.db, last, CHECK_PAGE).await?;
            if page.is_empty() {
                break;
            }
            for s in page {
                let expected = last + 1;
                let brk = |reason: String| ChainBreak {
                    seq: expected,
                    audit_id: Some(s.seal.audit_id),
                    reason,
                };
                if s.seal.seq != expected {
                    check.broken = Some(ChainBreak {
                        seq: expected,
                        audit_id: None,
                        reason: format!("第 {expected} 个封存缺失（封存记录被删除）"),
                    });
                    break 'walk;
                }
                let Some(row) = &s.row else {
                    check.broken =
                        Some(brk(format!("审计记录 #{} 在封存后被删除", s.seal.audit_id)));
                    break 'walk;
                };
                if s.seal.key_id != key.id {
                    check.broken = Some(brk(format!(
                        "封存所用密钥 {} 不是当前密钥 {}",
                        s.seal.key_id, key.id
                    )));
                    break 'walk;
                }
                if key.mac(s.seal.seq, &prev, row) != s.seal.mac {
                    check.broken = Some(brk(format!(
                        "审计记录 #{} 在封存后被改动，或其封存被改动",
                        row.id
                    )));
                    break 'walk;
                }
                if s.seal.seq == 1 {
                    if let Some(h) = &recorded {
                        if h.first != s.seal.mac {
                            check.note = Some("库外记录的链头属于另一条链（数据库已更换或从头改写），本次未与之核对".into());
                            recorded = None;
                        }
                    }
                }
                if let Some(h) = &recorded {
                    if h.seq == s.seal.seq && h.mac != s.seal.mac {
                        check.broken = Some(brk(
                            "封存与库外记录的链头不符：链从此处起被截断后重新封存".into(),
                        ));
                        break 'walk;
                    }
                }
                prev = s.seal.mac;
                last = s.seal.seq;
                check.sealed += 1;
            }
        }
        if last == 0 {
            if let Some(h) = &recorded {
                check.note = Some(format!(
                    "库中尚无封存，库外记录的链头是第 {} 个封存：若不是新数据库，则封存已被全部删除",
                    h.seq
                ));
            }
        }
        if check.broken.is_none() && last > 0 {
            if let Some(Head { seq: head_seq, .. }) = recorded {
                if head_seq > last {
                    check.broken = Some(ChainBreak {
                        seq: last + 1,
                        audit_id: None,
                        reason: format!(
                            "库外记录的链头是第 {head_seq} 个封存，库中只到第 {last} 个：链尾被删除"
                        ),
                    });
                }
            }
        }
        Ok(check)
    }

    /// The check, for an auditor.
    pub async fn audit_chain_for(&self, actor: &crate::Actor) -> ServiceResult<ChainCheck> {
        self.require(
            actor,
            dualtrack_domain::role::Permission::ReadAudit,
            "审计链",
            "check",
        )
        .await?;
        self.check_audit_chain().await
    }
}
