//! Exports of long lists, written as they are read: rows come from the database in batches
//! (keyset-paged, [`App::export_batch`] at a time) and go straight into a worksheet in
//! `rust_xlsxwriter`'s constant-memory mode, which keeps one row in memory and the rest in a
//! temporary file; the finished workbook is itself a temporary file, sent as the response
//! body a block at a time. Nothing is cut: an export holds every row of its list, or fails,
//! before anything is sent, saying why (more rows than a sheet can hold).

use crate::{Actor, App, ServiceError, ServiceResult};
use rust_xlsxwriter::{Format, Workbook};
use std::io::{Read, Seek, SeekFrom};

/// Rows read from the database per batch unless set otherwise.
pub const DEFAULT_EXPORT_BATCH: usize = 5000;

/// Data rows one Excel sheet holds (1,048,576 rows with the header).
pub const MAX_SHEET_ROWS: u64 = 1_048_575;

/// A finished export: a workbook in a temporary file (removed when dropped), its size and
/// the rows it holds.
pub struct ExportFile {
    file: std::fs::File,
    len: u64,
    rows: u64,
}

impl ExportFile {
    /// Bytes of the workbook.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Data rows written (below the header).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The workbook's file, at its start.
    pub fn into_file(self) -> std::fs::File {
        self.file
    }

    /// The whole workbook in memory (for small files and tests).
    pub fn into_bytes(mut self) -> ServiceResult<Vec<u8>> {
        let mut out = Vec::with_capacity(self.len as usize);
        self.file
            .read_to_end(&mut out)
            .map_err(|e| ServiceError::Internal(format!("读取导出文件失败：{e}")))?;
        Ok(out)
    }
}

fn fail(e: rust_xlsxwriter::XlsxError) -> ServiceError {
    ServiceError::Internal(format!("生成 Excel 失败：{e}"))
}

/// The header row of a template or export: bold, a required column marked `*`, every column
/// text and 18 characters wide.
pub(crate) fn write_headers(
    ws: &mut rust_xlsxwriter::Worksheet,
    headers: &[(&str, bool)],
) -> ServiceResult<()> {
    let text = Format::new().set_num_format("@");
    let bold = Format::new().set_bold();
    for (c, (h, required)) in headers.iter().enumerate() {
        let c = c as u16;
        ws.set_column_format(c, &text).map_err(fail)?;
        ws.set_column_width(c, 18).map_err(fail)?;
        let label = if *required {
            format!("{h}*")
        } else {
            h.to_string()
        };
        ws.write_string_with_format(0, c, label, &bold)
            .map_err(fail)?;
    }
    Ok(())
}

/// One sheet written row by row, in constant memory, with the headers of an import
/// template (bold, required columns marked `*`, every column text).
pub(crate) struct SheetStream {
    wb: Workbook,
    rows: u64,
}

impl SheetStream {
    pub(crate) fn new(sheet: &str, headers: &[(&str, bool)]) -> ServiceResult<SheetStream> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet_with_constant_memory().map_err(fail)?;
        ws.set_name(sheet).map_err(fail)?;
        write_headers(ws, headers)?;
        Ok(SheetStream { wb, rows: 0 })
    }

    /// Appends one row; refused past what a sheet holds, so that nothing is cut silently.
    pub(crate) fn push(&mut self, row: &[String]) -> ServiceResult<()> {
        if self.rows >= MAX_SHEET_ROWS {
            return Err(ServiceError::invalid(
                "jurisdiction",
                format!(
                    "导出超过 Excel 单个工作表的上限（{MAX_SHEET_ROWS} 行），未导出：请按地区或类别缩小范围后分次导出"
                ),
            ));
        }
        self.rows += 1;
        let r = self.rows as u32;
        let ws = self.wb.worksheet_from_index(0).map_err(fail)?;
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r, c as u16, v).map_err(fail)?;
        }
        Ok(())
    }

    /// Writes the workbook into a temporary file (off the async threads: compressing a
    /// million rows takes seconds).
    pub(crate) async fn finish(self) -> ServiceResult<ExportFile> {
        let SheetStream { mut wb, rows } = self;
        tokio::task::spawn_blocking(move || {
            let io = |e: std::io::Error| ServiceError::Internal(format!("写入导出文件失败：{e}"));
            let mut file = tempfile::tempfile().map_err(io)?;
            wb.save_to_writer(&mut file).map_err(fail)?;
            let len = file.seek(SeekFrom::End(0)).map_err(io)?;
            file.seek(SeekFrom::Start(0)).map_err(io)?;
            Ok(ExportFile { file, len, rows })
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("生成 Excel 失败：{e}")))?
    }
}

impl App {
    /// Writes a list into `sheet` batch by batch: `next(after, limit)` reads the next
    /// `limit` rows after the key of the last row written (none: from the start), each row
    /// with its key and its cells; a short batch is the last. One batch is held at a time.
    pub(crate) async fn write_batches<K, F, Fut>(
        &self,
        sheet: &mut SheetStream,
        next: F,
    ) -> ServiceResult<()>
    where
        F: Fn(Option<K>, i64) -> Fut,
        Fut: std::future::Future<Output = ServiceResult<Vec<(K, Vec<String>)>>>,
    {
        let limit = self.export_batch as i64;
        let mut after = None;
        loop {
            let rows = next(after.take(), limit).await?;
            let more = rows.len() as i64 >= limit;
            for (key, cells) in rows {
                sheet.push(&cells)?;
                after = Some(key);
            }
            if !more {
                return Ok(());
            }
        }
    }

    /// An export of `kind` (also its sheet's name) under `columns`, read in batches by
    /// `next(app, after, limit)` (see [`App::write_batches`]) on the standby when one is
    /// configured, and its audit row (on the primary).
    pub(crate) async fn streamed_export<K, F, Fut>(
        &self,
        actor: &Actor,
        kind: &str,
        columns: &[(&str, bool)],
        next: F,
    ) -> ServiceResult<ExportFile>
    where
        F: Fn(App, Option<K>, i64) -> Fut,
        Fut: std::future::Future<Output = ServiceResult<Vec<(K, Vec<String>)>>>,
    {
        let next = &next;
        let file = self
            .on_reader(|app| async move {
                let mut sheet = SheetStream::new(kind, columns)?;
                app.write_batches(&mut sheet, |after, limit| next(app.clone(), after, limit))
                    .await?;
                sheet.finish().await
            })
            .await?;
        self.audit_export(actor, kind, format!("导出{kind} {} 条", file.rows()))
            .await?;
        Ok(file)
    }

    /// Writes a short export held in memory (a table of figures) and its audit row.
    pub(crate) async fn audited_export(
        &self,
        actor: &Actor,
        kind: &str,
        sheet: &str,
        columns: &[(&str, bool)],
        table: Vec<Vec<String>>,
    ) -> ServiceResult<Vec<u8>> {
        let bytes = crate::spreadsheet::write(sheet, columns, &table, "")?;
        self.audit_export(actor, kind, format!("导出{kind} {} 条", table.len()))
            .await?;
        Ok(bytes)
    }

    /// Sets the rows an export reads from the database per batch (at least one).
    pub fn with_export_batch(mut self, rows: usize) -> App {
        self.export_batch = rows.max(1);
        self
    }
}
