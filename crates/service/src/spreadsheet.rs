//! Excel (xlsx) files: reading the first sheet of an upload into text cells, and writing a
//! sheet with Chinese headers (templates and exports).

use crate::{ServiceError, ServiceResult};
use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use rust_xlsxwriter::{Format, Workbook};
use serde::Serialize;
use std::io::Cursor;
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

pub fn read(bytes: &[u8]) -> ServiceResult<Sheet> {
    let bad = |m: String| ServiceError::invalid("file", m);
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| bad(format!("无法读取 Excel 文件（须为 .xlsx 格式）：{e}")))?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| bad("Excel 文件中没有工作表".into()))?
        .map_err(|e| bad(format!("无法读取第一个工作表：{e}")))?;
    let mut rows = range.rows();
    let headers: Vec<String> = rows
        .next()
        .map(|r| r.iter().map(cell_text).collect())
        .unwrap_or_default();
    if headers.iter().all(String::is_empty) {
        return Err(bad("第 1 行应为表头（请使用下载的模板）".into()));
    }
    let start = range.start().map(|(r, _)| r as usize).unwrap_or(0);
    let data = rows
        .enumerate()
        .map(|(i, r)| (start + i + 2, r.iter().map(cell_text).collect::<Vec<_>>()))
        .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()))
        .collect();
    Ok(Sheet {
        headers,
        rows: data,
    })
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
}
