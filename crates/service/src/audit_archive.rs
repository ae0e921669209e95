//! Retention of the audit log: rows older than the retention period (at least 180 days)
//! leave the database only through a signed archive file, never silently.
//!
//! A run takes the sealed rows from the start of what is left of the chain, in seal order,
//! up to the first one written after the cut-off (unsealed rows are never archived), and
//! writes them with their seals to one gzip-compressed JSON Lines file: a header line, a
//! line per row, and a signature line — an HMAC-SM3 under the audit key over everything
//! before it and the chain position (first and last seal, the last seal's mac), so that the
//! chain can be followed across the cut. Only once the file is written and on disk is the
//! run recorded (`audit_archives`, its own mac under the key) and are the rows and their
//! seals removed, a batch per short transaction; the database allows removing exactly the
//! rows a recorded archive covers, and nothing else.

use crate::audit_chain::{AuditKey, ChainBreak};
use crate::{actor::commit_audited, clock, Actor, App, ServiceError, ServiceResult};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_store::audit::{self as log, AuditRow, NewAudit};
use dualtrack_store::audit_archive::{self as store, Archive};
use serde::{Deserialize, Serialize};
use sm3::{Digest, Sm3};
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use utoipa::ToSchema;

/// The shortest retention of the audit log (等级保护: at least six months).
pub const MIN_RETENTION_DAYS: u32 = 180;
/// Seals read per page while writing a file.
const PAGE: i64 = 2_000;
/// Rows one run archives at most (the next run goes on from there).
const MAX_ROWS_PER_RUN: usize = 1_000_000;
const FORMAT: &str = "dualtrack-audit-archive/1";

/// The archives, for the auditor's page.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ArchiveSummary {
    /// 归档文件数
    pub count: i64,
    /// 已归档并移出数据库的审计记录数
    pub rows: i64,
    /// 最近一次归档时间
    pub last_at: Option<DateTime<Utc>>,
    /// 已归档的封存序号范围（起）
    pub first_seq: Option<i64>,
    /// 已归档的封存序号范围（止）
    pub last_seq: Option<i64>,
    /// 已归档的审计记录编号（最小）
    pub first_audit_id: Option<i64>,
    /// 已归档的审计记录编号（最大）
    pub last_audit_id: Option<i64>,
    /// 最近一次归档的文件名
    pub last_file: Option<String>,
}

impl ArchiveSummary {
    pub(crate) fn of(all: &[Archive]) -> ArchiveSummary {
        ArchiveSummary {
            count: all.len() as i64,
            rows: all.iter().map(|a| a.rows).sum(),
            last_at: all.iter().map(|a| a.made_at).max(),
            first_seq: all.first().map(|a| a.first_seq),
            last_seq: all.last().map(|a| a.last_seq),
            first_audit_id: all.iter().map(|a| a.first_audit_id).min(),
            last_audit_id: all.iter().map(|a| a.last_audit_id).max(),
            last_file: all.last().map(|a| a.file_name.clone()),
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Serialize)]
pub struct ArchiveReport {
    /// The file written (none: nothing was old enough).
    pub file: Option<PathBuf>,
    pub rows: usize,
    pub first_seq: i64,
    pub last_seq: i64,
    pub first_audit_id: i64,
    pub last_audit_id: i64,
    /// Rows and seals removed from the database (with those of an earlier run cut short).
    pub removed: u64,
    pub cutoff: DateTime<Utc>,
}

/// One line of an archive file (one at a time is in hand, so the sizes of its kinds do not
/// matter).
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Line {
    Header {
        format: String,
        key_id: String,
        made_at: String,
        /// The mac of the seal before the first in this file (empty at the chain's start).
        prev_mac: String,
    },
    Row(RowLine),
    Signature {
        first_seq: i64,
        last_seq: i64,
        first_audit_id: i64,
        last_audit_id: i64,
        last_mac: String,
        rows: i64,
        signature: String,
    },
}

/// A row of the log with its seal, as a line of the file.
#[derive(Debug, Serialize, Deserialize)]
struct RowLine {
    seq: i64,
    key_id: String,
    mac: String,
    id: i64,
    at: String,
    user_id: Option<i64>,
    username: String,
    roles: String,
    action: String,
    target_kind: String,
    target_id: String,
    jurisdiction_code: Option<String>,
    source_addr: String,
    outcome: String,
    detail: String,
}

impl RowLine {
    fn of(seq: i64, key_id: &str, mac: &str, r: &AuditRow) -> Line {
        let e = r.entry.clone();
        Line::Row(RowLine {
            seq,
            key_id: key_id.into(),
            mac: mac.into(),
            id: r.id,
            at: e.at.to_rfc3339_opts(SecondsFormat::Nanos, true),
            user_id: e.user_id,
            username: e.username,
            roles: e.roles,
            action: e.action,
            target_kind: e.target_kind,
            target_id: e.target_id,
            jurisdiction_code: e.jurisdiction_code,
            source_addr: e.source_addr,
            outcome: e.outcome,
            detail: e.detail,
        })
    }

    /// The row as the log held it.
    fn row(self) -> Result<AuditRow, String> {
        let at = DateTime::parse_from_rfc3339(&self.at)
            .map_err(|_| format!("时间“{}”无效", self.at))?
            .with_timezone(&Utc);
        Ok(AuditRow {
            id: self.id,
            entry: NewAudit {
                at,
                user_id: self.user_id,
                username: self.username,
                roles: self.roles,
                action: self.action,
                target_kind: self.target_kind,
                target_id: self.target_id,
                jurisdiction_code: self.jurisdiction_code,
                source_addr: self.source_addr,
                outcome: self.outcome,
                detail: self.detail,
            },
        })
    }
}

/// The signature of a file: over its lines before the signature and the chain position.
fn signature(key: &AuditKey, body: &[u8], pos: (i64, i64, i64, i64, &str, i64)) -> String {
    let (fs, ls, fi, li, mac, rows) = pos;
    key.sign(&[
        FORMAT.as_bytes(),
        body,
        &fs.to_be_bytes(),
        &ls.to_be_bytes(),
        &fi.to_be_bytes(),
        &li.to_be_bytes(),
        mac.as_bytes(),
        &rows.to_be_bytes(),
    ])
}

/// The mac of an archive's record in the database.
fn record_mac(key: &AuditKey, a: &Archive) -> String {
    key.sign(&[
        a.file_name.as_bytes(),
        a.file_sm3.as_bytes(),
        &a.first_seq.to_be_bytes(),
        &a.last_seq.to_be_bytes(),
        &a.first_audit_id.to_be_bytes(),
        &a.last_audit_id.to_be_bytes(),
        a.first_mac.as_bytes(),
        a.last_mac.as_bytes(),
        &a.rows.to_be_bytes(),
        a.key_id.as_bytes(),
    ])
}

/// Checks the records of the archives (each made under the key, each starting where the one
/// before ended, the first at the chain's start); returns where the chain left in the
/// database goes on from: the last archived seal's place and mac.
pub(crate) fn check_records(key: &AuditKey, all: &[Archive]) -> Result<(i64, String), ChainBreak> {
    let mut last = 0i64;
    let mut prev = String::new();
    for a in all {
        let brk = |reason: String| ChainBreak {
            seq: a.first_seq,
            audit_id: None,
            reason,
        };
        if a.first_seq != last + 1 {
            return Err(brk(format!(
                "归档记录不连续：第 {} 到第 {} 个封存没有归档记录",
                last + 1,
                a.first_seq - 1
            )));
        }
        if a.key_id != key.id() || record_mac(key, a) != a.mac {
            return Err(brk(format!(
                "归档记录 {} 不是以当前审计密钥生成的，或已被改动",
                a.file_name
            )));
        }
        last = a.last_seq;
        prev = a.last_mac.clone();
    }
    Ok((last, prev))
}

/// The result of checking an archive file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileCheck {
    pub rows: i64,
    pub first_seq: i64,
    pub last_seq: i64,
    pub first_audit_id: i64,
    pub last_audit_id: i64,
    pub last_mac: String,
}

/// Checks an archive file under `key`: every row against its seal in the chain, then the
/// signature. A failure names the line (counted from 1).
pub fn verify_file(key: &AuditKey, path: &Path) -> Result<FileCheck, String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("无法打开 {}：{e}", path.display()))?;
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut text)
        .map_err(|e| format!("{} 不是完整的 gzip 文件：{e}", path.display()))?;
    let mut offset = 0usize;
    let mut prev: Option<String> = None;
    let mut check = FileCheck {
        rows: 0,
        first_seq: 0,
        last_seq: 0,
        first_audit_id: 0,
        last_audit_id: 0,
        last_mac: String::new(),
    };
    for (i, raw) in text.split_inclusive(|b| *b == b'\n').enumerate() {
        let n = i + 1;
        let start = offset;
        offset += raw.len();
        let line: Line = serde_json::from_slice(raw)
            .map_err(|e| format!("第 {n} 行无法解析（文件被改动或损坏）：{e}"))?;
        match (line, &prev) {
            (
                Line::Header {
                    format,
                    key_id,
                    prev_mac,
                    ..
                },
                None,
            ) if n == 1 => {
                if format != FORMAT {
                    return Err(format!("第 1 行：不认识的归档格式“{format}”"));
                }
                if key_id != key.id() {
                    return Err(format!(
                        "第 1 行：文件以密钥 {key_id} 封存，当前密钥是 {}",
                        key.id()
                    ));
                }
                prev = Some(prev_mac);
            }
            (Line::Row(r), Some(p)) => {
                let (seq, id) = (r.seq, r.id);
                let expected = if check.rows == 0 {
                    seq
                } else {
                    check.last_seq + 1
                };
                let (key_id, mac) = (r.key_id.clone(), r.mac.clone());
                let row = r.row().map_err(|e| format!("第 {n} 行：{e}"))?;
                if seq != expected || key_id != key.id() || key.mac(seq, p, &row) != mac {
                    return Err(format!(
                        "第 {n} 行（审计记录 #{id}，第 {seq} 个封存）与封存链不符：该行在归档后被改动"
                    ));
                }
                if check.rows == 0 {
                    check.first_seq = seq;
                    check.first_audit_id = id;
                }
                check.rows += 1;
                check.last_seq = seq;
                check.last_audit_id = id;
                check.last_mac = mac.clone();
                prev = Some(mac);
            }
            (
                Line::Signature {
                    first_seq,
                    last_seq,
                    first_audit_id,
                    last_audit_id,
                    last_mac,
                    rows,
                    signature: sig,
                },
                Some(_),
            ) => {
                let pos = (
                    first_seq,
                    last_seq,
                    first_audit_id,
                    last_audit_id,
                    last_mac.as_str(),
                    rows,
                );
                let told = (
                    check.first_seq,
                    check.last_seq,
                    check.first_audit_id,
                    check.last_audit_id,
                    check.last_mac.as_str(),
                    check.rows,
                );
                if pos != told || signature(key, &text[..start], pos) != sig {
                    return Err(format!(
                        "第 {n} 行（签名）与文件内容不符：文件在签名后被改动"
                    ));
                }
                if offset != text.len() {
                    return Err(format!("第 {} 行：签名之后不应再有内容", n + 1));
                }
                return Ok(check);
            }
            _ => return Err(format!("第 {n} 行不在应有的位置（文件被改动或损坏）")),
        }
    }
    Err("文件没有签名行：归档不完整".into())
}

/// Writes a file in `dir` with a temporary name, renamed to its own name once on disk.
struct Writer {
    tmp: PathBuf,
    out: flate2::write::GzEncoder<std::io::BufWriter<std::fs::File>>,
    body: Vec<u8>,
}

impl Writer {
    fn new(dir: &Path) -> std::io::Result<Writer> {
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(".audit-archive-{}.part", std::process::id()));
        let f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        Ok(Writer {
            tmp,
            out: flate2::write::GzEncoder::new(std::io::BufWriter::new(f), Default::default()),
            body: Vec::new(),
        })
    }

    fn line(&mut self, l: &Line) -> std::io::Result<()> {
        let mut text = serde_json::to_vec(l)?;
        text.push(b'\n');
        self.out.write_all(&text)?;
        self.body.extend_from_slice(&text);
        Ok(())
    }

    /// Finishes the file, makes sure it is on disk, and gives it its name; returns the
    /// SM3 of the file.
    fn finish(self, to: &Path) -> std::io::Result<String> {
        let f = self
            .out
            .finish()?
            .into_inner()
            .map_err(|e| e.into_error())?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&self.tmp, to)?;
        if let Some(dir) = to.parent() {
            std::fs::File::open(dir)?.sync_all()?;
        }
        let mut h = Sm3::new();
        let mut r = std::io::BufReader::new(std::fs::File::open(to)?);
        loop {
            let buf = r.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            h.update(buf);
            let n = buf.len();
            r.consume(n);
        }
        Ok(hex::encode(h.finalize()))
    }
}

/// Ends the file with its signature, puts it on disk under its name, and makes the record of
/// the run.
fn sign_and_finish(
    key: &AuditKey,
    mut w: Writer,
    dir: &Path,
    report: &ArchiveReport,
    made_at: DateTime<Utc>,
    first_mac: String,
    last_mac: String,
) -> ServiceResult<(PathBuf, Archive)> {
    let rows = report.rows as i64;
    let pos = (
        report.first_seq,
        report.last_seq,
        report.first_audit_id,
        report.last_audit_id,
        last_mac.as_str(),
        rows,
    );
    let sig = signature(key, &w.body, pos);
    w.line(&Line::Signature {
        first_seq: report.first_seq,
        last_seq: report.last_seq,
        first_audit_id: report.first_audit_id,
        last_audit_id: report.last_audit_id,
        last_mac: last_mac.clone(),
        rows,
        signature: sig,
    })
    .map_err(io)?;
    let name = format!(
        "audit-{:010}-{:010}-{}.jsonl.gz",
        report.first_seq,
        report.last_seq,
        made_at.format("%Y%m%dT%H%M%SZ")
    );
    let path = dir.join(&name);
    let tmp = w.tmp.clone();
    let sm3 = w.finish(&path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })?;
    let mut record = Archive {
        file_name: name,
        file_sm3: sm3,
        first_seq: report.first_seq,
        last_seq: report.last_seq,
        first_audit_id: report.first_audit_id,
        last_audit_id: report.last_audit_id,
        first_mac,
        last_mac,
        rows,
        key_id: key.id().into(),
        made_at,
        mac: String::new(),
    };
    record.mac = record_mac(key, &record);
    Ok((path, record))
}

fn io(e: std::io::Error) -> ServiceError {
    ServiceError::Internal(format!("写归档文件失败：{e}"))
}

impl App {
    /// Sets how many days audit rows stay in the database (at least 180).
    pub fn with_audit_retention_days(mut self, days: u32) -> App {
        self.audit_retention_days = days.max(MIN_RETENTION_DAYS);
        self
    }

    /// Archives the sealed rows older than the retention period into a file in `dir`.
    pub async fn archive_audit(&self, actor: &Actor, dir: &Path) -> ServiceResult<ArchiveReport> {
        // Against the time rows are stamped with: a demo server's are of its story's days.
        let cutoff =
            self.clock.record_time() - Duration::days(i64::from(self.audit_retention_days));
        self.archive_audit_before(actor, dir, cutoff).await
    }

    /// Archives the sealed rows written before `cutoff` into a file in `dir`, then removes
    /// them and their seals from the database.
    pub async fn archive_audit_before(
        &self,
        actor: &Actor,
        dir: &Path,
        cutoff: DateTime<Utc>,
    ) -> ServiceResult<ArchiveReport> {
        if !actor.is_cli {
            return Err(ServiceError::Forbidden(
                "审计记录到期归档只由系统按期执行".into(),
            ));
        }
        let Some(key) = self.audit_key.clone() else {
            return Err(ServiceError::conflict(
                "audit_key_file",
                "未配置审计密钥文件（audit_key_file）：审计记录未封存，不能归档",
            ));
        };
        let mut report = ArchiveReport {
            file: None,
            rows: 0,
            first_seq: 0,
            last_seq: 0,
            first_audit_id: 0,
            last_audit_id: 0,
            removed: 0,
            cutoff,
        };
        // What an earlier run recorded but did not finish removing goes first.
        let before = store::all(&self.db).await?.pop();
        if let Some(a) = &before {
            report.removed += self.remove_archived(a.last_seq).await?;
        }
        let (mut last, prev_mac) = before
            .as_ref()
            .map_or((0, String::new()), |a| (a.last_seq, a.last_mac.clone()));
        let made_at = clock::wall();
        let mut w = Writer::new(dir).map_err(io)?;
        w.line(&Line::Header {
            format: FORMAT.into(),
            key_id: key.id().into(),
            made_at: made_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            prev_mac: prev_mac.clone(),
        })
        .map_err(io)?;
        let mut prev = prev_mac;
        let mut first_mac = String::new();
        'read: while report.rows < MAX_ROWS_PER_RUN {
            let page = log::seals_after(&self.db, last, PAGE).await?;
            if page.is_empty() {
                break;
            }
            for s in page {
                let Some(row) = s.row.filter(|r| r.entry.at < cutoff) else {
                    break 'read;
                };
                if s.seal.seq != last + 1
                    || s.seal.key_id != key.id()
                    || key.mac(s.seal.seq, &prev, &row) != s.seal.mac
                {
                    let _ = std::fs::remove_file(&w.tmp);
                    return Err(ServiceError::conflict(
                        "audit_seals",
                        format!(
                            "审计链在第 {} 个封存处不符，未归档：请运行 dualtrack audit verify 查明",
                            last + 1
                        ),
                    ));
                }
                w.line(&RowLine::of(s.seal.seq, &s.seal.key_id, &s.seal.mac, &row))
                    .map_err(io)?;
                if report.rows == 0 {
                    report.first_seq = s.seal.seq;
                    report.first_audit_id = row.id;
                    first_mac = s.seal.mac.clone();
                }
                report.rows += 1;
                report.last_seq = s.seal.seq;
                report.last_audit_id = row.id;
                last = s.seal.seq;
                prev = s.seal.mac;
                if report.rows >= MAX_ROWS_PER_RUN {
                    break 'read;
                }
            }
        }
        if report.rows == 0 {
            let _ = std::fs::remove_file(&w.tmp);
            return Ok(report);
        }
        let rows = report.rows as i64;
        let (path, record) = sign_and_finish(&key, w, dir, &report, made_at, first_mac, prev)?;
        let mut tx = self.db.begin().await?;
        log::lock_sealer(&mut tx).await?;
        let now_last = store::last(&mut tx).await?.map(|a| a.last_seq);
        if now_last != before.as_ref().map(|a| a.last_seq) {
            drop(tx);
            let _ = std::fs::remove_file(&path);
            return Err(ServiceError::conflict(
                "audit_archives",
                "另一个实例刚刚归档了审计记录，本次未归档",
            ));
        }
        store::insert(&mut tx, &record).await?;
        let audit = actor.audit(
            Action::AuditArchive,
            Outcome::Success,
            "审计记录",
            format!("{}-{}", report.first_audit_id, report.last_audit_id),
            None,
            format!(
                "保存期 {} 天：{} 条审计记录（封存第 {} 到第 {} 个）归档至 {}，SM3 {}",
                self.audit_retention_days,
                rows,
                report.first_seq,
                report.last_seq,
                record.file_name,
                record.file_sm3
            ),
        );
        commit_audited(tx, &audit).await?;
        report.file = Some(path);
        report.removed += self.remove_archived(report.last_seq).await?;
        Ok(report)
    }

    /// Removes archived rows and seals through `through_seq`, a batch per short transaction.
    async fn remove_archived(&self, through_seq: i64) -> ServiceResult<u64> {
        let batch = i64::try_from(self.job_batch.max(1)).unwrap_or(i64::MAX);
        let mut total = 0;
        loop {
            let mut tx = self.db.begin_job().await?;
            log::lock_sealer(&mut tx).await?;
            let n = store::remove(&mut tx, through_seq, batch).await?;
            tx.commit().await?;
            total += n;
            if (n as i64) < batch {
                return Ok(total);
            }
        }
    }
}
