//! How the pages show days, dates, delays, rates and chart figures.

use chrono::NaiveDate;
use dualtrack_service::resumption::Rate;

/// Today as a reporting day (China Standard Time), `YYYY-MM-DD`.
pub fn today(app: &dualtrack_service::App) -> String {
    app.today().format("%Y-%m-%d").to_string()
}

/// A date shown in a list, or a dash.
pub fn opt_date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_else(|| "—".into())
}

/// How late a follow-up or a handover is, or nothing when it is not.
pub fn delay_text(minutes: i64) -> String {
    match minutes {
        0 => String::new(),
        m if m < 60 => format!("超时 {m} 分钟"),
        m if m < 24 * 60 => format!("超时 {} 小时 {} 分", m / 60, m % 60),
        m => format!("超时 {} 天 {} 小时", m / 1440, m % 1440 / 60),
    }
}

/// A rate as a cadre reads it: `73.1%（117/160）`.
pub struct Shown {
    pub percent: String,
    pub parts: String,
}

pub fn shown(r: &Rate) -> Shown {
    Shown {
        percent: r
            .percent
            .map(|p| format!("{p:.1}%"))
            .unwrap_or_else(|| "—".into()),
        parts: format!("{}/{}", r.numerator, r.denominator),
    }
}

/// JSON for a `<script type="application/json">` element: nothing in it can close the element.
pub fn script_json(v: &serde_json::Value) -> String {
    v.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}
