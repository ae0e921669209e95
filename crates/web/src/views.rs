//! Rows and tables more than one page shows: the names of places, deployments as lists show
//! them, and the organisations of the mobilisation figures by kind and county; and the files
//! pages and API give as downloads (spreadsheets, briefings, attachments).

use crate::display::today;
use crate::state::AppState;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use dualtrack_domain::mobilisation::OrgKind;
use dualtrack_service::mobilisation::{DeploymentView, MobilisationFigures};
use std::collections::{BTreeSet, HashMap};

/// The names of places, looked up once per code; a code without a name stands for itself.
pub struct Places(HashMap<String, String>);

impl Places {
    pub async fn of<'a>(st: &AppState, codes: impl IntoIterator<Item = &'a str>) -> Places {
        let mut names = HashMap::new();
        let wanted: BTreeSet<&str> = codes.into_iter().collect();
        for code in wanted {
            if let Ok(Some(name)) = st.app.name_of(code).await {
                names.insert(code.to_string(), name);
            }
        }
        Places(names)
    }

    pub fn name(&self, code: &str) -> String {
        self.0
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_string())
    }
}

/// A deployment as lists show it.
pub struct DeploymentRow {
    pub id: i64,
    /// Still on duty today or later (no end, or an end not yet passed): it may be ended.
    pub open: bool,
    pub person_id: i64,
    pub person_name: String,
    pub place: String,
    pub code: String,
    pub site: String,
    pub role: String,
    pub org_id: Option<i64>,
    pub org_name: String,
    /// `2020-02-10 至 2020-03-10`, or `2020-02-10 起至今`.
    pub period: String,
}

pub async fn deployment_rows(st: &AppState, ds: Vec<DeploymentView>) -> Vec<DeploymentRow> {
    let places = Places::of(st, ds.iter().map(|d| d.jurisdiction_code.as_str())).await;
    let today = today(&st.app);
    ds.into_iter()
        .map(|d| {
            let site = match (d.site_kind, d.site_name) {
                (Some(k), Some(n)) => format!("{} · {n}", k.zh()),
                (Some(k), None) => k.zh().to_string(),
                (None, Some(n)) => n,
                (None, None) => "—".into(),
            };
            DeploymentRow {
                id: d.id,
                open: d.end_on.is_none_or(|e| e.to_string() >= today),
                person_id: d.person_id,
                person_name: d.person_name,
                place: places.name(&d.jurisdiction_code),
                code: d.jurisdiction_code,
                site,
                role: d.role,
                org_id: d.org_id,
                org_name: d.org_name.unwrap_or_default(),
                period: match d.end_on {
                    Some(e) => format!("{} 至 {e}", d.start_on),
                    None => format!("{} 起至今", d.start_on),
                },
            }
        })
        .collect()
}

/// Organisations of one kind standing on the day, by county.
pub struct KindRow {
    pub kind: &'static str,
    pub name: &'static str,
    pub cells: Vec<i64>,
    pub total: i64,
}

pub struct County {
    pub code: String,
    pub name: String,
}

/// The organisations of the figures as a table: every kind × the counties that have any.
pub struct OrgTable {
    pub counties: Vec<County>,
    pub rows: Vec<KindRow>,
    pub column_totals: Vec<i64>,
    pub total: i64,
}

impl OrgTable {
    pub async fn of(st: &AppState, f: &MobilisationFigures) -> OrgTable {
        let codes: BTreeSet<&str> = f
            .organisations
            .iter()
            .map(|o| o.county_code.as_str())
            .collect();
        let places = Places::of(st, codes.iter().copied()).await;
        let counties: Vec<County> = codes
            .iter()
            .map(|c| County {
                code: c.to_string(),
                name: places.name(c),
            })
            .collect();
        let rows: Vec<KindRow> = OrgKind::ALL
            .iter()
            .map(|k| {
                let cells: Vec<i64> = counties
                    .iter()
                    .map(|c| {
                        f.organisations
                            .iter()
                            .filter(|o| o.kind == *k && o.county_code == c.code)
                            .map(|o| o.count)
                            .sum()
                    })
                    .collect();
                KindRow {
                    kind: k.as_str(),
                    name: k.zh(),
                    total: cells.iter().sum(),
                    cells,
                }
            })
            .collect();
        let column_totals: Vec<i64> = (0..counties.len())
            .map(|i| rows.iter().map(|r| r.cells[i]).sum())
            .collect();
        OrgTable {
            total: column_totals.iter().sum(),
            counties,
            rows,
            column_totals,
        }
    }
}

/// A file given as a download: its bytes, its type and its `Content-Disposition`.
pub fn download(bytes: Vec<u8>, content_type: String, disposition: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

/// A file name for `filename*=UTF-8''…`: every byte percent-encoded but ASCII letters, digits
/// and those in `kept`.
pub fn encoded_name(name: &str, kept: &[u8]) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || kept.contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A spreadsheet (`.xlsx`) given as a download named `name`.
/// A long export as an xlsx attachment, its file sent a block at a time.
pub fn xlsx_export(file: dualtrack_service::export_file::ExportFile, name: &str) -> Response {
    let disposition = xlsx_disposition(name);
    let len = file.len();
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(
        tokio::fs::File::from_std(file.into_file()),
    ));
    (
        [
            (
                header::CONTENT_TYPE,
                dualtrack_service::spreadsheet::XLSX.to_string(),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CONTENT_LENGTH, len.to_string()),
        ],
        body,
    )
        .into_response()
}

fn xlsx_disposition(name: &str) -> String {
    format!(
        "attachment; filename=\"{name}.xlsx\"; filename*=UTF-8''{}.xlsx",
        encoded_name(name, b"")
    )
}

pub fn xlsx_file(bytes: Vec<u8>, name: &str) -> Response {
    let disposition = xlsx_disposition(name);
    download(
        bytes,
        dualtrack_service::spreadsheet::XLSX.to_string(),
        disposition,
    )
}
