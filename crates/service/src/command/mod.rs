//! The command view (指挥视图): the catalogue of headline indicators of both tracks and the
//! mobilisation, their values for a place and a day (the dashboard, `dualtrack stats`), and
//! the daily briefing (简报) written from the same values.
//!
//! Nothing here counts records itself: every value comes from the use case of its track
//! (rates, figures, counts), called as the caller narrowed to the place asked for, so a
//! figure on the dashboard is the figure of the track's own page and API for the same place
//! and day, with the same scope and permissions. A section the caller may not read is left
//! out rather than refused.

use crate::checkpoints::{restricted_to, CountsQuery};
use crate::handovers::HandoverFiguresQuery;
use crate::input::parse_date;
use crate::monitoring::FiguresQuery;
use crate::prevention::RollupQuery;
use crate::resumption::{Rate, RatesQuery, SeriesQuery};
use crate::whistle::WhistleFiguresQuery;
use crate::workgroups::WorkGroupsQuery;
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::{Datelike, Duration, NaiveDate};
use dualtrack_domain::jurisdiction::{Code, Level};
use dualtrack_domain::mobilisation::OrgKind;
use dualtrack_domain::monitoring::CaseKind;
use dualtrack_domain::role::Permission;
use dualtrack_domain::time::reporting_day;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

mod dashboard;
mod snapshot;
pub mod tracks;

pub use tracks::{
    catalogue, indicator, indicators, section_name, Indicator, IndicatorId, IndicatorView, Track,
    TRACKS,
};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FigureValue {
    /// 指标编号（见 /api/v1/indicators）
    pub id: String,
    pub name: String,
    pub unit: String,
    /// 数值：比率为百分数（保留一位小数），其余为计数；无分母时为空
    pub value: Option<f64>,
    pub numerator: Option<i64>,
    pub denominator: Option<i64>,
    /// 显示文字，如 73.1% 或 163
    pub text: String,
    /// 前一日的数值
    pub previous: Option<f64>,
    /// 明细页面
    pub link: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SectionValues {
    pub key: String,
    pub title: String,
    pub figures: Vec<FigureValue>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaceRef {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChildLine {
    pub code: String,
    pub name: String,
    pub resumption: Option<Rate>,
    pub under_monitoring: Option<i64>,
    pub grid_expected: Option<i64>,
    pub grid_on_time: Option<i64>,
    pub handovers_pending: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeriesPoint {
    pub date: NaiveDate,
    /// 开复工率 %
    pub resumption: Option<f64>,
    /// 在管隔离与监测人数
    pub under_monitoring: Option<i64>,
    /// 卡口登记人次
    pub passages: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dashboard {
    pub as_of: NaiveDate,
    pub place: PlaceRef,
    /// 从本人辖区到所查地区的路径（下钻的面包屑）
    pub path: Vec<PlaceRef>,
    pub sections: Vec<SectionValues>,
    /// 下一级地区并列
    pub children: Vec<ChildLine>,
    /// 近四周逐日
    pub series: Vec<SeriesPoint>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct CommandQuery {
    /// 日期 年-月-日（默认今天）
    pub as_of: Option<String>,
    /// 辖区内的地区代码（默认本人辖区）
    pub place: Option<String>,
}

/// The values of one place and day, each by indicator id.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub values: BTreeMap<IndicatorId, FigureValue>,
    pub children: Vec<ChildLine>,
    /// Names of temporary branches set up that day.
    pub new_branches: Vec<String>,
    /// Major projects started that day.
    pub projects_started: Vec<String>,
    /// Major projects planned to start the next day and not started yet.
    pub projects_planned_next: Vec<String>,
    /// The largest shortfalls of supplies, as text.
    pub shortfall_items: Vec<String>,
    /// Tickets raised that day that were escalated.
    pub escalated_today: i64,
}

/// Checkpoint counts of a place on one day.
struct PassageTotals {
    day: NaiveDate,
    persons: i64,
    fevers: i64,
    turned_back: i64,
}

impl PassageTotals {
    fn on(day: NaiveDate) -> PassageTotals {
        PassageTotals {
            day,
            persons: 0,
            fevers: 0,
            turned_back: 0,
        }
    }
}

fn count(id: IndicatorId, n: i64, link: String) -> (IndicatorId, FigureValue) {
    let ind = indicator(id);
    (
        id,
        FigureValue {
            id: id.0.into(),
            name: ind.map(|i| i.name).unwrap_or(id.0).into(),
            unit: ind.map(|i| i.unit).unwrap_or("").into(),
            value: Some(n as f64),
            numerator: Some(n),
            denominator: None,
            text: n.to_string(),
            previous: None,
            link,
        },
    )
}

fn ratio(id: IndicatorId, r: &Rate, link: String) -> (IndicatorId, FigureValue) {
    let ind = indicator(id);
    (
        id,
        FigureValue {
            id: id.0.into(),
            name: ind.map(|i| i.name).unwrap_or(id.0).into(),
            unit: "%".into(),
            value: r.percent,
            numerator: Some(r.numerator),
            denominator: Some(r.denominator),
            text: r
                .percent
                .map(|p| format!("{p:.1}%"))
                .unwrap_or_else(|| "—".into()),
            previous: None,
            link,
        },
    )
}

/// Logs (at debug level) how long a section of a snapshot took, and starts the next.
fn lap(t: &mut std::time::Instant, day: NaiveDate, section: &str) {
    tracing::debug!(
        %day,
        section,
        ms = t.elapsed().as_secs_f64() * 1000.0,
        "command view section"
    );
    *t = std::time::Instant::now();
}

/// Awaits a read, logging (at debug level) how long it took.
async fn timed<T>(
    day: NaiveDate,
    what: &str,
    f: impl std::future::Future<Output = ServiceResult<T>>,
) -> ServiceResult<T> {
    let mut t = std::time::Instant::now();
    let r = f.await;
    lap(&mut t, day, what);
    r
}

fn percent_of(n: i64, d: i64) -> Rate {
    crate::resumption::rate(n, d)
}

fn sections_of(today: &Snapshot, before: &Snapshot) -> Vec<SectionValues> {
    TRACKS
        .iter()
        .filter_map(|t| {
            let figures: Vec<FigureValue> = t
                .indicators
                .iter()
                .filter_map(|ind| {
                    let mut v = today.values.get(&ind.id)?.clone();
                    v.previous = before.values.get(&ind.id).and_then(|b| b.value);
                    Some(v)
                })
                .collect();
            (!figures.is_empty()).then(|| SectionValues {
                key: t.key.into(),
                title: t.title.into(),
                figures,
            })
        })
        .collect()
}

/// Whether a raw code names a place at all (for the command line's early check).
pub fn check_place(raw: &str) -> ServiceResult<Code> {
    Code::parse(raw.trim()).map_err(|e| ServiceError::invalid("place", e.to_string()))
}
