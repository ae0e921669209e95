//! Excel (xlsx) files: reading the first sheet of an upload into text cells, and writing a
//! sheet with Chinese headers (templates and exports).

use crate::{ServiceError, ServiceResult};
use calamine::{open_workbook_from_rs, Data, DataType, Reader, Xlsx};
use rust_xlsxwriter::Workbook;
use serde::Serialize;
use std::io::{Cursor, Read};
use utoipa::ToSchema;

/// The content type of an xlsx file.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// One problem in one row of an import, as a clerk can fix it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct RowError {
    /// Excel 中的行号（表头为第 1 行）
    pub row: usize,
    /// 列名
    pub column: String,
    pub message: String,
}

impl RowError {
    pub fn new(row: usize, column: impl Into<String>, message: impl Into<String>) -> Self {
        RowError {
            row,
            column: column.into(),
            message: message.into(),
        }
    }
}

/// The first sheet of a workbook: headers and the data rows with their Excel row numbers.
pub struct Sheet {
    pub headers: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Int(i) => i.to_string(),
        Data::DateTime(dt) => dt
            .as_datetime()
            .map(|t| t.date().format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        other => other.to_string().trim().to_string(),
    }
}

/// What an upload may cost. A workbook is a zip of XML parts: none of the sizes or counts it
/// declares is trusted; each is checked against these bounds while reading, before the parser
/// builds anything from it.
pub mod limits {
    /// Entries in the zip (a workbook from Excel or WPS has a few dozen).
    pub const MAX_ENTRIES: usize = 1000;
    /// Decompressed bytes of one worksheet part.
    pub const MAX_SHEET_PART: u64 = 96 * 1024 * 1024;
    /// Decompressed bytes of the shared strings part.
    pub const MAX_STRINGS_PART: u64 = 48 * 1024 * 1024;
    /// Decompressed bytes of any other part (styles, workbook, relationships, theme…).
    pub const MAX_OTHER_PART: u64 = 4 * 1024 * 1024;
    /// Decompressed bytes of the whole workbook.
    pub const MAX_TOTAL: u64 = 160 * 1024 * 1024;
    /// Shared strings (distinct texts) of the workbook.
    pub const MAX_SHARED_STRINGS: u64 = 1_500_000;
    /// Cell formats in the styles part (Excel itself allows 64,000).
    pub const MAX_CELL_FORMATS: u64 = 64_000;
    /// Length of an attribute in the styles part (Excel's longest is a 255-character format).
    pub const MAX_STYLE_ATTRIBUTE: usize = 1024;
    /// Data rows below the header.
    pub const MAX_ROWS: u32 = 100_000;
    /// Columns of a sheet.
    pub const MAX_COLUMNS: u32 = 100;
    /// Rows times the columns of the header: the cells an import holds.
    pub const MAX_CELLS: u64 = 1_500_000;
    /// Bytes of text in the cells read.
    pub const MAX_TEXT: u64 = 64 * 1024 * 1024;
    /// Workbooks read at the same time (each may hold up to about a hundred megabytes).
    pub const CONCURRENT: usize = 2;
}

use limits::*;

fn bad(m: impl Into<String>) -> ServiceError {
    ServiceError::invalid("file", m)
}

const NOT_XLSX: &str =
    "文件不是 .xlsx 格式的 Excel 工作簿（Excel 2007 及以后版本）；如为 .xls、.csv 或 .et 文件，请用 Excel 或 WPS 另存为 .xlsx 后再上传";
const DAMAGED: &str = "Excel 文件已损坏或不完整（无法读取其中的目录），请重新保存为 .xlsx 后再上传";

fn mb(n: u64) -> u64 {
    n / (1024 * 1024)
}

/// One entry of the zip's central directory, as declared.
struct Entry {
    name: String,
}

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(i..i + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?))
}

/// Reads the zip's central directory itself (not through the zip library, so that nothing is
/// allocated from its declared counts): a bounded number of entries, no ZIP64, no encryption,
/// only stored or deflated data, declared sizes within the bounds.
fn central_directory(b: &[u8]) -> ServiceResult<Vec<Entry>> {
    if !b.starts_with(b"PK\x03\x04") {
        return Err(bad(NOT_XLSX));
    }
    // The end record: the last signature whose comment reaches exactly the end of the file.
    let len = b.len();
    if len < 22 {
        return Err(bad(DAMAGED));
    }
    let lowest = len.saturating_sub(22 + 0xFFFF);
    let mut at = None;
    let mut i = len - 22;
    loop {
        if &b[i..i + 4] == b"PK\x05\x06" {
            at = Some(i);
            break;
        }
        if i == lowest {
            break;
        }
        i -= 1;
    }
    let Some(eocd) = at else {
        return Err(bad(DAMAGED));
    };
    let field = |off: usize| u16_at(b, eocd + off).ok_or_else(|| bad(DAMAGED));
    let field32 = |off: usize| u32_at(b, eocd + off).ok_or_else(|| bad(DAMAGED));
    let (disk, cd_disk, here, total) = (field(4)?, field(6)?, field(8)?, field(10)?);
    let (cd_size, cd_offset, comment) = (field32(12)?, field32(16)?, field(20)?);
    if eocd + 22 + usize::from(comment) != len {
        return Err(bad(DAMAGED));
    }
    let zip64 = total == 0xFFFF
        || here == 0xFFFF
        || cd_size == 0xFFFF_FFFF
        || cd_offset == 0xFFFF_FFFF
        || (eocd >= 20 && &b[eocd - 20..eocd - 16] == b"PK\x06\x07");
    if zip64 {
        return Err(bad(
            "不支持 ZIP64 格式的文件：Excel 工作簿不会用到它，请用 Excel 或 WPS 重新保存为 .xlsx",
        ));
    }
    if disk != 0 || cd_disk != 0 || here != total {
        return Err(bad("不支持分卷压缩的文件，请上传单个 .xlsx 文件"));
    }
    if usize::from(total) > MAX_ENTRIES {
        return Err(bad(format!(
            "文件中有 {total} 个部件，超过 .xlsx 工作簿的上限 {MAX_ENTRIES} 个"
        )));
    }
    let (start, size) = (cd_offset as usize, cd_size as usize);
    if start.checked_add(size).is_none_or(|end| end > eocd) {
        return Err(bad(DAMAGED));
    }
    let mut entries = Vec::with_capacity(usize::from(total));
    let mut p = start;
    let mut sum: u64 = 0;
    for _ in 0..total {
        let h = |off: usize| u16_at(b, p + off).ok_or_else(|| bad(DAMAGED));
        let h32 = |off: usize| u32_at(b, p + off).ok_or_else(|| bad(DAMAGED));
        if b.get(p..p + 4) != Some(b"PK\x01\x02".as_slice()) {
            return Err(bad(DAMAGED));
        }
        let (flags, method) = (h(8)?, h(10)?);
        let (compressed, declared) = (h32(20)?, h32(24)?);
        let (name_len, extra_len, comment_len) = (h(28)?, h(30)?, h(32)?);
        let local = h32(42)?;
        let name_at = p + 46;
        let name = b
            .get(name_at..name_at + usize::from(name_len))
            .ok_or_else(|| bad(DAMAGED))?;
        let name = String::from_utf8_lossy(name).to_string();
        if flags & 1 != 0 {
            return Err(bad("文件已加密或有密码保护，请取消密码后再上传"));
        }
        if compressed == 0xFFFF_FFFF || declared == 0xFFFF_FFFF || local == 0xFFFF_FFFF {
            return Err(bad(
                "不支持 ZIP64 格式的文件：Excel 工作簿不会用到它，请用 Excel 或 WPS 重新保存为 .xlsx",
            ));
        }
        if method != 0 && method != 8 {
            return Err(bad(format!(
                "文件中的“{name}”使用了不支持的压缩方式，请用 Excel 或 WPS 重新保存为 .xlsx"
            )));
        }
        let declared = u64::from(declared);
        check_part(&name, declared)?;
        sum += declared;
        check_total(sum)?;
        entries.push(Entry { name });
        p = name_at + usize::from(name_len) + usize::from(extra_len) + usize::from(comment_len);
        if p > eocd {
            return Err(bad(DAMAGED));
        }
    }
    Ok(entries)
}

#[derive(Clone, Copy, PartialEq)]
enum Part {
    Sheet,
    Strings,
    Styles,
    Other,
}

fn part_of(name: &str) -> Part {
    let lower = name.to_ascii_lowercase().replace('\\', "/");
    if lower.ends_with("sharedstrings.xml") {
        Part::Strings
    } else if lower.ends_with("styles.xml") {
        Part::Styles
    } else if lower.contains("worksheets/") {
        Part::Sheet
    } else {
        Part::Other
    }
}

fn part_limit(part: Part) -> u64 {
    match part {
        Part::Sheet => MAX_SHEET_PART,
        Part::Strings => MAX_STRINGS_PART,
        Part::Styles | Part::Other => MAX_OTHER_PART,
    }
}

fn too_big(name: &str, limit: u64) -> ServiceError {
    bad(format!(
        "文件解压后超过上限：其中的“{name}”解压后超过 {} MB，请删去多余内容或分批导入",
        mb(limit)
    ))
}

fn check_part(name: &str, size: u64) -> ServiceResult<()> {
    let limit = part_limit(part_of(name));
    if size > limit {
        return Err(too_big(name, limit));
    }
    Ok(())
}

fn check_total(sum: u64) -> ServiceResult<()> {
    if sum > MAX_TOTAL {
        return Err(total_over());
    }
    Ok(())
}

fn total_over() -> ServiceError {
    bad(format!(
        "文件解压后超过 {} MB，请删去多余内容或分批导入",
        mb(MAX_TOTAL)
    ))
}

/// A reader that counts what it inflates and fails past a bound, whatever the header said.
struct Capped<R> {
    inner: R,
    left: u64,
    over: bool,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // One byte more than allowed is asked for, to see whether there is more.
        let want = buf
            .len()
            .min(usize::try_from(self.left + 1).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n as u64 > self.left {
            self.over = true;
            return Err(std::io::Error::other("over the bound"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// The parts of the workbook that the parser turns into memory in proportion to counts they
/// declare or contain: the shared strings (one string each, and a reservation for the count
/// the part declares) and the styles (one full format per cell format).
fn check_xml<R: Read>(name: &str, part: Part, r: R) -> ServiceResult<()> {
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(r));
    let config = xml.config_mut();
    config.check_end_names = false;
    config.check_comments = false;
    config.expand_empty_elements = true;
    let mut buf = Vec::new();
    let mut count: u64 = 0;
    loop {
        buf.clear();
        let event = xml.read_event_into(&mut buf).map_err(|e| match e {
            quick_xml::Error::Io(_) => bad(DAMAGED),
            _ => bad(format!("Excel 文件已损坏：其中的“{name}”不是合法的 XML")),
        })?;
        let e = match event {
            quick_xml::events::Event::Start(e) => e,
            quick_xml::events::Event::Eof => return Ok(()),
            _ => continue,
        };
        let local = e.local_name();
        match part {
            Part::Strings => {
                if local.as_ref() == "sst" {
                    for a in e.attributes().with_checks(false).flatten() {
                        if a.key.as_ref() != "uniqueCount" {
                            continue;
                        }
                        // Whatever the parser could read as a number must be a small one.
                        let v = &a.value;
                        let n = v.trim().parse::<u64>().ok();
                        let numeric = v.bytes().any(|c| c.is_ascii_digit());
                        if n.is_some_and(|n| n > MAX_SHARED_STRINGS) || (n.is_none() && numeric) {
                            return Err(shared_strings_over());
                        }
                    }
                } else if local.as_ref() == "si" {
                    count += 1;
                    if count > MAX_SHARED_STRINGS {
                        return Err(shared_strings_over());
                    }
                }
            }
            Part::Styles => {
                if local.as_ref() == "xf" {
                    count += 1;
                    if count > MAX_CELL_FORMATS {
                        return Err(bad(format!(
                            "文件中的单元格格式超过 {MAX_CELL_FORMATS} 种，请清除多余格式后再上传"
                        )));
                    }
                }
                for a in e.attributes().with_checks(false).flatten() {
                    if a.value.len() > MAX_STYLE_ATTRIBUTE {
                        return Err(bad(format!(
                            "Excel 文件的格式定义（{name}）异常，请用 Excel 或 WPS 重新保存为 .xlsx"
                        )));
                    }
                }
            }
            Part::Sheet | Part::Other => {}
        }
    }
}

fn shared_strings_over() -> ServiceError {
    bad(format!(
        "文件中不同的文字超过 {} 万个，请分批导入",
        MAX_SHARED_STRINGS / 10_000
    ))
}

/// Checks an upload before any parser sees it: a zip whose directory is within bounds, each
/// part inflated and counted (not trusting what the headers say) within its bound and all of
/// them within the total, and the counts the parser would allocate for within bounds.
pub fn guard(bytes: &[u8]) -> ServiceResult<()> {
    let entries = central_directory(bytes)?;
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| bad(DAMAGED))?;
    if zip.len() != entries.len() {
        return Err(bad(DAMAGED));
    }
    let mut total: u64 = 0;
    for (i, entry) in entries.iter().enumerate() {
        let file = zip.by_index(i).map_err(|_| bad(DAMAGED))?;
        let part = part_of(&entry.name);
        let limit = part_limit(part).min(MAX_TOTAL - total);
        let mut capped = Capped {
            inner: file,
            left: limit,
            over: false,
        };
        let result = match part {
            Part::Strings | Part::Styles => check_xml(&entry.name, part, &mut capped),
            Part::Sheet | Part::Other => std::io::copy(&mut capped, &mut std::io::sink())
                .map(|_| ())
                .map_err(|_| bad(DAMAGED)),
        };
        if capped.over {
            return Err(if limit == part_limit(part) {
                too_big(&entry.name, limit)
            } else {
                total_over()
            });
        }
        result?;
        total += limit - capped.left;
    }
    Ok(())
}

fn read_error(e: calamine::XlsxError) -> ServiceError {
    use calamine::XlsxError as E;
    match e {
        E::Password => bad("文件有密码保护，请取消密码后再上传"),
        E::FileNotFound(p) => bad(format!(
            "文件中缺少“{p}”，不是完整的 .xlsx 工作簿，请用 Excel 或 WPS 重新保存后再上传"
        )),
        E::WorksheetNotFound(_) | E::NotAWorksheet(_) => {
            bad("第一个工作表无法读取（可能是图表页），请把数据放在第一个工作表")
        }
        _ => bad("Excel 文件内容已损坏，无法读取，请用 Excel 或 WPS 重新保存为 .xlsx 后再上传"),
    }
}

/// Column letters of a 0-based column number (0 → A).
fn column_letters(mut c: u32) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.reverse();
    String::from_utf8_lossy(&s).to_string()
}

/// Reads the first sheet of a checked workbook cell by cell (never as a dense range from the
/// cells' positions), refusing far rows and columns and keeping what it holds within bounds.
fn read_checked(bytes: &[u8]) -> ServiceResult<Sheet> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).map_err(read_error)?;
    let first = wb
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| bad("Excel 文件中没有工作表"))?;
    let mut reader = wb.worksheet_cells_reader(&first).map_err(read_error)?;
    // Non-empty cells by row: (column, text), in the order read.
    let mut by_row: std::collections::BTreeMap<u32, Vec<(u32, String)>> = Default::default();
    let (mut cells, mut text) = (0u64, 0u64);
    while let Some(c) = reader.next_cell().map_err(read_error)? {
        let (row, col) = c.get_position();
        let value: Data = c.get_value().clone().into();
        let t = cell_text(&value);
        if t.is_empty() {
            continue;
        }
        if row > MAX_ROWS {
            return Err(bad(format!(
                "工作表超过 {} 行（表头 1 行、数据 {MAX_ROWS} 行；第 {} 行有内容），请删去多余的行或分批导入",
                MAX_ROWS + 1,
                u64::from(row) + 1
            )));
        }
        if col >= MAX_COLUMNS {
            return Err(bad(format!(
                "工作表超过 {MAX_COLUMNS} 列（{}{} 有内容），请删去多余的列",
                column_letters(col),
                u64::from(row) + 1
            )));
        }
        if let Some(ch) = t
            .chars()
            .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        {
            return Err(bad(format!(
                "单元格 {}{} 含有不可见的控制字符（U+{:04X}），请删除后再上传",
                column_letters(col),
                u64::from(row) + 1,
                ch as u32
            )));
        }
        cells += 1;
        text += t.len() as u64;
        if cells > MAX_CELLS || text > MAX_TEXT {
            return Err(too_many_cells());
        }
        by_row.entry(row).or_default().push((col, t));
    }
    drop(reader);
    // The table starts at its first non-empty row and column, as the template's does.
    if by_row.is_empty() {
        return Err(bad("第 1 行应为表头（请使用下载的模板）"));
    }
    let left = by_row
        .values()
        .flat_map(|r| r.iter().map(|(c, _)| *c))
        .min()
        .unwrap_or(0);
    let mut rows = by_row.into_iter();
    let header_cells = rows.next().map(|(_, r)| r).unwrap_or_default();
    let width = header_cells
        .iter()
        .map(|(c, _)| (c - left + 1) as usize)
        .max()
        .unwrap_or(0);
    let dense = |r: Vec<(u32, String)>, width: usize| {
        let used = r.iter().map(|(c, _)| (c - left + 1) as usize).max();
        let mut out = vec![String::new(); used.unwrap_or(0).min(width)];
        for (c, t) in r {
            if let Some(slot) = out.get_mut((c - left) as usize) {
                *slot = t;
            }
        }
        out
    };
    let headers = dense(header_cells, width);
    let mut data = Vec::new();
    let mut held: u64 = 0;
    for (row, r) in rows {
        let cells = dense(r, width);
        held += width as u64;
        if held > MAX_CELLS {
            return Err(too_many_cells());
        }
        data.push((row as usize + 1, cells));
    }
    Ok(Sheet {
        headers,
        rows: data,
    })
}

fn too_many_cells() -> ServiceError {
    bad(format!(
        "工作表内容过多（超过 {} 万个单元格或 {} MB 文字），请分批导入",
        MAX_CELLS / 10_000,
        mb(MAX_TEXT)
    ))
}

/// Opens a workbook after [`guard`] and checks that the non-empty cells of each sheet span
/// no more than the bounds, so that reading a sheet as a range (dense over that span) stays
/// bounded too.
pub fn open_bounded(bytes: &[u8]) -> ServiceResult<Xlsx<Cursor<&[u8]>>> {
    guard(bytes)?;
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).map_err(read_error)?;
    for name in wb.sheet_names() {
        let mut reader = wb.worksheet_cells_reader(&name).map_err(read_error)?;
        let (mut top, mut bottom, mut left, mut right) = (u32::MAX, 0, u32::MAX, 0);
        while let Some(c) = reader.next_cell().map_err(read_error)? {
            if c.get_value().is_empty() {
                continue;
            }
            let (r, col) = c.get_position();
            (top, bottom) = (top.min(r), bottom.max(r));
            (left, right) = (left.min(col), right.max(col));
        }
        if top != u32::MAX {
            let span = u64::from(bottom - top + 1) * u64::from(right - left + 1);
            if bottom > MAX_ROWS || right >= MAX_COLUMNS || span > MAX_CELLS {
                return Err(bad(format!(
                    "工作表“{name}”超过 {} 行 / {MAX_COLUMNS} 列，请删去多余的行列",
                    MAX_ROWS + 1
                )));
            }
        }
    }
    Ok(wb)
}

/// Reads the first sheet of an uploaded workbook: headers and the data rows, refused in
/// Chinese when the file is not a workbook or is beyond what an import may cost.
pub fn read(bytes: &[u8]) -> ServiceResult<Sheet> {
    guard(bytes)?;
    read_checked(bytes)
}

/// Workbooks being read: a few at a time, whatever the number of uploads.
static READING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(CONCURRENT);

/// [`read`] off the async runtime, a few workbooks at a time.
pub async fn read_upload(bytes: &[u8]) -> ServiceResult<Sheet> {
    let _permit = READING
        .acquire()
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let owned = bytes.to_vec();
    tokio::task::spawn_blocking(move || read(&owned))
        .await
        .map_err(|e| ServiceError::Internal(format!("读取 Excel 文件失败：{e}")))?
}

impl Sheet {
    /// The index of each named column; required ones must be there.
    pub fn columns(&self, wanted: &[(&str, bool)]) -> ServiceResult<Vec<Option<usize>>> {
        let mut out = Vec::new();
        for (name, required) in wanted {
            let found = self
                .headers
                .iter()
                .position(|h| h.trim_end_matches('*') == *name);
            if found.is_none() && *required {
                return Err(ServiceError::invalid(
                    "file",
                    format!("缺少必填列“{name}”（请使用下载的模板）"),
                ));
            }
            out.push(found);
        }
        Ok(out)
    }
}

/// The cell of a row in a column, empty when the column or cell is missing.
pub fn cell(cells: &[String], col: Option<usize>) -> &str {
    col.and_then(|c| cells.get(c))
        .map(String::as_str)
        .unwrap_or("")
}

/// Writes one sheet: headers (required ones marked `*`), text columns kept as text.
pub fn write(
    sheet: &str,
    headers: &[(&str, bool)],
    rows: &[Vec<String>],
    note: &str,
) -> ServiceResult<Vec<u8>> {
    let fail =
        |e: rust_xlsxwriter::XlsxError| ServiceError::Internal(format!("生成 Excel 失败：{e}"));
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).map_err(fail)?;
    crate::export_file::write_headers(ws, headers)?;
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32 + 1, c as u16, v).map_err(fail)?;
        }
    }
    if !note.is_empty() {
        let notes = wb.add_worksheet();
        notes.set_name("填写说明").map_err(fail)?;
        for (i, line) in note.lines().enumerate() {
            notes.write_string(i as u32, 0, line).map_err(fail)?;
        }
    }
    wb.save_to_buffer().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dualtrack_testkit::craft_workbook;

    #[test]
    fn writes_and_reads_back() {
        let rows = vec![
            vec!["张三".to_string(), "632801198801010011".to_string()],
            vec!["".into(), "".into()],
        ];
        let bytes =
            write("人员", &[("姓名", true), ("身份证号", true)], &rows, "说明").expect("written");
        let sheet = read(&bytes).expect("read");
        assert_eq!(sheet.headers, ["姓名*", "身份证号*"]);
        assert_eq!(
            sheet.rows,
            vec![(
                2,
                vec!["张三".to_string(), "632801198801010011".to_string()]
            )]
        );
        let cols = sheet
            .columns(&[("身份证号", true), ("电话", false)])
            .expect("columns");
        assert_eq!(cols, vec![Some(1), None]);
        assert!(sheet.columns(&[("单位", true)]).is_err());
        assert!(read(b"not a workbook").is_err());
    }

    fn refusal(bytes: &[u8]) -> String {
        match read(bytes) {
            Err(ServiceError::Invalid { field, message }) => {
                assert_eq!(field, "file");
                message
            }
            Err(e) => panic!("not a refusal of the file: {e:?}"),
            Ok(_) => panic!("read"),
        }
    }

    fn sheet_with(cells: &str) -> Vec<u8> {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{cells}</sheetData></worksheet>"#
        )
        .into_bytes()
    }

    #[test]
    fn crafted_workbooks_are_refused_in_chinese_before_they_cost_memory() {
        let huge = craft_workbook(&[(
            "xl/sharedStrings.xml",
            br#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1000000000000"><si><t>name</t></si></sst>"#.to_vec(),
        )]);
        assert!(refusal(&huge).contains("不同的文字超过"));
        let far = craft_workbook(&[(
            "xl/worksheets/sheet1.xml",
            sheet_with(
                r#"<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#,
            ),
        )]);
        assert!(refusal(&far).contains("行"), "{}", refusal(&far));
        let wide = craft_workbook(&[(
            "xl/worksheets/sheet1.xml",
            sheet_with(
                r#"<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c><c r="XFD1"><v>1</v></c></row>"#,
            ),
        )]);
        assert!(refusal(&wide).contains("超过 100 列"), "{}", refusal(&wide));
        // Far cells that are empty cost nothing and are not refused.
        let styled = craft_workbook(&[(
            "xl/worksheets/sheet1.xml",
            sheet_with(
                r#"<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c><c r="XFD1" s="0"/></row><row r="2"><c r="A2" t="inlineStr"><is><t>张三</t></is></c></row><row r="1048576"><c r="XFD1048576" s="0"/></row>"#,
            ),
        )]);
        let sheet = read(&styled).expect("read");
        assert_eq!(sheet.headers, ["姓名"]);
        assert_eq!(sheet.rows, vec![(2, vec!["张三".to_string()])]);
        // Many megabytes of zeros that compress to little.
        let mut bomb = br#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>"#.to_vec();
        bomb.resize(bomb.len() + 200 * 1024 * 1024, b'0');
        bomb.extend_from_slice(b"</t></is></c></row></sheetData></worksheet>");
        let bomb = craft_workbook(&[("xl/worksheets/sheet1.xml", bomb)]);
        assert!(bomb.len() < 2 * 1024 * 1024, "{}", bomb.len());
        assert!(refusal(&bomb).contains("解压后超过"), "{}", refusal(&bomb));
        let styles = craft_workbook(&[(
            "xl/styles.xml",
            format!(
                r#"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs>{}</cellXfs></styleSheet>"#,
                "<xf/>".repeat(70_000)
            )
            .into_bytes(),
        )]);
        assert!(
            refusal(&styles).contains("单元格格式"),
            "{}",
            refusal(&styles)
        );
        let nul = craft_workbook(&[(
            "xl/worksheets/sheet1.xml",
            sheet_with(r#"<row r="1"><c r="A1" t="inlineStr"><is><t>姓&#0;名</t></is></c></row>"#),
        )]);
        let m = refusal(&nul);
        assert!(!m.is_empty());
        // Not a zip, a truncated one, one with a lying directory.
        assert!(refusal(b"name,id\n").contains("不是 .xlsx"));
        let whole = craft_workbook(&[]);
        assert!(refusal(&whole[..whole.len() / 2]).contains("损坏"));
        assert!(refusal(&whole[..whole.len() - 3]).contains("损坏"));
        let mut lying = whole.clone();
        let n = lying.len();
        lying[n - 12..n - 10].copy_from_slice(&5000u16.to_le_bytes());
        lying[n - 14..n - 12].copy_from_slice(&5000u16.to_le_bytes());
        assert!(refusal(&lying).contains("部件"), "{}", refusal(&lying));
    }

    #[test]
    fn a_sheet_that_starts_lower_and_further_right_keeps_its_row_numbers() {
        let offset = craft_workbook(&[(
            "xl/worksheets/sheet1.xml",
            sheet_with(
                r#"<row r="3"><c r="B3" t="inlineStr"><is><t>姓名</t></is></c><c r="C3" t="inlineStr"><is><t>电话</t></is></c></row><row r="5"><c r="C5"><v>13897001234</v></c><c r="H5"><v>1</v></c></row>"#,
            ),
        )]);
        let sheet = read(&offset).expect("read");
        assert_eq!(sheet.headers, ["姓名", "电话"]);
        assert_eq!(
            sheet.rows,
            vec![(5, vec![String::new(), "13897001234".to_string()])]
        );
    }
}
