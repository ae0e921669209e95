//! The resumption pages: the rates as of a day, counties side by side; the enterprise
//! registry; an enterprise's reports with the liaison's daily form.

use crate::display::{script_json, shown, today, Shown};
use crate::error::PageError;
use crate::extract::{parse_id, PageForm, PageUser};
use crate::forms::{redirect_or_again, refused_on_form, Done};
use crate::shell::{render, Nav};
use crate::state::AppState;
use crate::views::Places;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dualtrack_domain::resumption::{IndustrySection, OperatingStatus};
use dualtrack_domain::role::Permission;
use dualtrack_service::resumption::{
    DayRates, EnterpriseView, PlaceRates, RatesQuery, ReportInput, ReportView, SeriesQuery,
    SeriesView,
};
use dualtrack_service::{Actor, ServiceError};
use serde::Deserialize;

pub struct RateLine {
    pub name: String,
    pub registered: i64,
    pub excluded: i64,
    pub resumption: Shown,
    pub return_to_work: Shown,
    pub capacity: Shown,
}

fn line(p: &PlaceRates, places: &Places) -> RateLine {
    RateLine {
        name: places.name(&p.code),
        registered: p.registered,
        excluded: p.excluded,
        resumption: shown(&p.resumption),
        return_to_work: shown(&p.return_to_work),
        capacity: shown(&p.capacity),
    }
}

#[derive(Template)]
#[template(path = "resumption.html")]
struct RatesPage {
    nav: Nav,
    as_of: String,
    /// The place asked for, and the places that can be chosen: (code, name).
    place: String,
    places: Vec<(String, String)>,
    /// The industry section asked for (empty for all), and the sections: (code, name).
    industry: String,
    sections: Vec<(String, String)>,
    total: RateLine,
    counties: Vec<RateLine>,
    townships: Vec<RateLine>,
    industries: Vec<RateLine>,
    /// Chart figures as JSON, safe inside a script element.
    trend_chart: String,
    side_title: &'static str,
    side_chart: String,
    /// The first and last day of the trend.
    trend_from: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct AsOf {
    as_of: Option<String>,
    place: Option<String>,
    industry: Option<String>,
}

/// The trend as a chart: the total and each county's 开复工率 day by day.
fn trend_json(series: &SeriesView, places: &Places) -> serde_json::Value {
    let x: Vec<String> = series
        .total
        .days
        .iter()
        .map(|d| d.day.format("%m-%d").to_string())
        .collect();
    let line = |name: String, days: &[DayRates]| {
        let data: Vec<Option<f64>> = series
            .total
            .days
            .iter()
            .map(|t| {
                days.iter()
                    .find(|d| d.day == t.day)
                    .and_then(|d| d.resumption.percent)
            })
            .collect();
        serde_json::json!({"name": name, "data": data})
    };
    let mut lines = vec![line(
        format!("{}（合计）", places.name(&series.total.code)),
        &series.total.days,
    )];
    lines.extend(
        series
            .counties
            .iter()
            .map(|c| line(places.name(&c.code), &c.days)),
    );
    serde_json::json!({"x": x, "series": lines, "unit": "%", "max": 100})
}

/// The places (or industries) side by side as a bar chart of the three rates.
fn side_by_side_json(
    rows: &[PlaceRates],
    name: impl Fn(&PlaceRates) -> String,
) -> serde_json::Value {
    let x: Vec<String> = rows.iter().map(name).collect();
    let pick =
        |f: fn(&PlaceRates) -> Option<f64>| -> Vec<Option<f64>> { rows.iter().map(f).collect() };
    serde_json::json!({
        "x": x,
        "unit": "%",
        "series": [
            {"name": "开复工率", "data": pick(|c| c.resumption.percent)},
            {"name": "复岗率", "data": pick(|c| c.return_to_work.percent)},
            {"name": "产能恢复率", "data": pick(|c| c.capacity.percent)},
        ]
    })
}

fn section_name(p: &PlaceRates) -> String {
    IndustrySection::parse(&p.code)
        .map(|s| format!("{} {}", s.as_str(), s.zh()))
        .unwrap_or_else(|| p.code.clone())
}

pub async fn rates(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<AsOf>,
) -> Result<Response, PageError> {
    let as_of = q
        .as_of
        .filter(|d| !d.trim().is_empty())
        .unwrap_or_else(|| today(&st.app));
    let query = RatesQuery {
        as_of: as_of.clone(),
        place: q.place.clone().filter(|p| !p.trim().is_empty()),
        industry: q.industry.clone().filter(|i| !i.trim().is_empty()),
    };
    let (view, error, status) = match st.app.resumption_rates_for(&actor, &query).await {
        Ok(v) => (v, None, StatusCode::OK),
        Err(e @ ServiceError::Invalid { .. }) => {
            let status = crate::error::status_of(&e);
            (
                st.app.resumption_rates(&actor, &today(&st.app)).await?,
                Some(e.to_string()),
                status,
            )
        }
        Err(e) => return Err(e.into()),
    };
    // Six weeks up to the day asked for, counties side by side.
    let trend_from = (view.as_of - chrono::Duration::days(41)).to_string();
    let series = st
        .app
        .resumption_series(
            &actor,
            &SeriesQuery {
                from: trend_from.clone(),
                to: view.as_of.to_string(),
                place: Some(view.place.clone()).filter(|p| !p.is_empty()),
                industry: view.industry.map(|i| i.as_str().to_string()),
                // One county's own line is the total: side by side only when there are several.
                by: (view.counties.len() > 1).then(|| "county".into()),
            },
        )
        .await?;
    // The choice of places: one's own and the counties under it.
    let home = actor.home_code().unwrap_or_default();
    let all_counties = st
        .app
        .resumption_rates(&actor, &view.as_of.to_string())
        .await?;
    let places = Places::of(
        &st,
        all_counties
            .counties
            .iter()
            .chain(view.counties.iter())
            .chain(view.townships.iter())
            .map(|c| c.code.as_str())
            .chain([view.total.code.as_str(), home.as_str()]),
    )
    .await;
    let mut choices = vec![(home.clone(), places.name(&home))];
    choices.extend(
        all_counties
            .counties
            .iter()
            .filter(|c| c.code != home)
            .map(|c| (c.code.clone(), places.name(&c.code))),
    );
    let industry_line = |p: &PlaceRates| {
        let mut l = line(p, &places);
        l.name = section_name(p);
        l
    };
    // Townships are worth listing when one county (or less) is asked for.
    let townships = if view.counties.len() <= 1 {
        view.townships.iter().map(|c| line(c, &places)).collect()
    } else {
        Vec::new()
    };
    let page = RatesPage {
        nav: Nav::of(&st, &actor).await,
        trend_chart: script_json(&trend_json(&series, &places)),
        trend_from: series
            .total
            .days
            .first()
            .map(|d| d.day.to_string())
            .unwrap_or(trend_from),
        // Counties side by side where there are several, else the industries.
        side_title: if view.counties.len() > 1 {
            "各县并列"
        } else {
            "各行业并列"
        },
        side_chart: script_json(&if view.counties.len() > 1 {
            side_by_side_json(&view.counties, |c| places.name(&c.code))
        } else {
            side_by_side_json(&view.industries, section_name)
        }),
        total: line(&view.total, &places),
        counties: view.counties.iter().map(|c| line(c, &places)).collect(),
        townships,
        industries: view.industries.iter().map(industry_line).collect(),
        place: view.place.clone(),
        places: choices,
        industry: view
            .industry
            .map(|i| i.as_str().to_string())
            .unwrap_or_default(),
        sections: IndustrySection::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), format!("{} {}", s.as_str(), s.zh())))
            .collect(),
        as_of,
        error,
    };
    Ok((status, render(&page)).into_response())
}

#[derive(Template)]
#[template(path = "enterprises.html")]
struct EnterprisesPage {
    nav: Nav,
    enterprises: Vec<EnterpriseView>,
    /// May register enterprises (the registry import form).
    can_import: bool,
    /// May file reports (the daily-report import form).
    can_file: bool,
    today: String,
}

pub async fn list(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
) -> Result<Response, PageError> {
    let enterprises = st.app.list_enterprises(&actor, None).await?;
    Ok(render(&EnterprisesPage {
        nav: Nav::of(&st, &actor).await,
        enterprises,
        can_import: actor.can(Permission::ManageEnterprises),
        can_file: actor.can(Permission::FileReports),
        today: today(&st.app),
    }))
}

#[derive(Deserialize, Default, Clone)]
pub struct ReportForm {
    #[serde(default)]
    idempotency_key: Option<String>,
    #[serde(default)]
    report_date: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    on_duty: String,
    #[serde(default)]
    back_from_outside: String,
    #[serde(default)]
    in_quarantine: String,
    #[serde(default)]
    abnormal_temps: String,
    #[serde(default)]
    mask_days: String,
    #[serde(default)]
    disinfectant_days: String,
    #[serde(default)]
    checks_passed: String,
    #[serde(default)]
    output: String,
    #[serde(default)]
    problems: String,
    /// The box “确认无误，仍然报送”, ticked.
    #[serde(default)]
    confirm_implausible: Option<String>,
}

impl ReportForm {
    /// The form as the enterprise's last report left it, for the day given.
    fn from_last(last: &ReportView, day: String) -> ReportForm {
        ReportForm {
            idempotency_key: None,
            report_date: day,
            status: last.status.as_str().into(),
            on_duty: last.on_duty.to_string(),
            back_from_outside: last.back_from_outside.to_string(),
            in_quarantine: last.in_quarantine.to_string(),
            abnormal_temps: last.abnormal_temps.to_string(),
            mask_days: last.mask_days.to_string(),
            disinfectant_days: last.disinfectant_days.to_string(),
            checks_passed: last.checks_passed.to_string(),
            output: last.output.to_string(),
            problems: String::new(),
            confirm_implausible: None,
        }
    }
}

/// What the daily form shows besides its fields.
#[derive(Default)]
struct FormState {
    /// A refusal to show.
    error: Option<String>,
    /// The figures that look implausible, each with why: the form asks to confirm them.
    doubts: Vec<String>,
    /// The values sent, shown again; none: the form starts from the last report.
    sent: Option<ReportForm>,
}

#[derive(Template)]
#[template(path = "enterprise.html")]
struct EnterprisePage {
    nav: Nav,
    e: EnterpriseView,
    reports: Vec<ReportView>,
    can_file: bool,
    statuses: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    /// The values in the daily form.
    form: ReportForm,
    /// The day of the last report the form was filled from, if it was.
    prefilled_from: Option<String>,
    doubts: Vec<String>,
    /// Current reports filed with figures confirmed after a warning.
    confirmed_doubts: usize,
}

async fn enterprise_page(
    st: &AppState,
    actor: &Actor,
    id: i64,
    state: FormState,
    notice: Option<String>,
) -> Result<EnterprisePage, PageError> {
    let e = st.app.get_enterprise(actor, id).await?;
    let mut reports = st.app.enterprise_reports(actor, id).await?;
    let confirmed_doubts = reports
        .iter()
        .filter(|r| r.is_current && r.confirmed_implausible)
        .count();
    reports.truncate(30);
    let names = st
        .app
        .people_names(reports.iter().map(|r| r.filed_by.as_str()))
        .await?;
    for r in &mut reports {
        r.filed_by = names.name(&r.filed_by);
    }
    let can_file = actor.can(Permission::FileReports);
    let day = today(&st.app);
    let (form, prefilled_from) = match state.sent {
        Some(sent) => (sent, None),
        None if can_file => match st.app.last_enterprise_report(actor, id).await? {
            Some(last) => (
                ReportForm::from_last(&last, day),
                Some(last.report_date.to_string()),
            ),
            None => (
                ReportForm {
                    report_date: day,
                    ..ReportForm::default()
                },
                None,
            ),
        },
        None => (ReportForm::default(), None),
    };
    Ok(EnterprisePage {
        nav: Nav::of(st, actor).await.with_notice(notice),
        e,
        reports,
        can_file,
        statuses: OperatingStatus::ALL
            .iter()
            .map(|s| (s.as_str(), s.zh()))
            .collect(),
        error: state.error,
        form,
        prefilled_from,
        doubts: state.doubts,
        confirmed_doubts,
    })
}

pub async fn page(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, PageError> {
    let notice = d.notice(&[], "日报已提交");
    let id = parse_id(&id)?;
    Ok(render(
        &enterprise_page(&st, &actor, id, FormState::default(), notice).await?,
    ))
}

/// A count typed into the form: a whole number, 0 or more; blank is 0 unless required.
fn count_field(
    field: &'static str,
    label: &str,
    raw: &str,
    required: bool,
) -> Result<i64, ServiceError> {
    let v = raw.trim();
    if v.is_empty() {
        return if required {
            Err(ServiceError::invalid(field, format!("请填写{label}")))
        } else {
            Ok(0)
        };
    }
    v.parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| ServiceError::invalid(field, format!("{label}“{v}”无效：应为 0 或正整数")))
}

fn zero_or(field: &'static str, label: &str, raw: &str) -> Result<i64, ServiceError> {
    count_field(field, label, raw, false)
}

pub async fn file_report(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(f): PageForm<ReportForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let filed = async {
        let input = ReportInput {
            idempotency_key: f.idempotency_key.clone(),
            report_date: f.report_date.clone(),
            status: f.status.clone(),
            on_duty: count_field("on_duty", "在岗人数", &f.on_duty, true)?,
            back_from_outside: zero_or("back_from_outside", "外地返岗人数", &f.back_from_outside)?,
            in_quarantine: zero_or("in_quarantine", "隔离人数", &f.in_quarantine)?,
            abnormal_temps: zero_or("abnormal_temps", "体温异常人数", &f.abnormal_temps)?,
            mask_days: zero_or("mask_days", "口罩可用天数", &f.mask_days)?,
            disinfectant_days: zero_or(
                "disinfectant_days",
                "消毒液可用天数",
                &f.disinfectant_days,
            )?,
            checks_passed: zero_or("checks_passed", "五个到位", &f.checks_passed)?,
            output: zero_or("output", "产量", &f.output)?,
            problems: f.problems.clone(),
            confirm_implausible: f.confirm_implausible.as_deref() == Some("1"),
            made_at: None,
        };
        st.app.file_report(&actor, id, &input).await
    }
    .await;
    // Figures that look implausible: the form again with each warning and the box to
    // confirm them; nothing was filed.
    if let Err(ServiceError::Unconfirmed { fields, .. }) = filed {
        let mut sent = f.clone();
        sent.confirm_implausible = None;
        let state = FormState {
            error: None,
            doubts: fields.into_iter().map(|(_, why)| why).collect(),
            sent: Some(sent),
        };
        let page = enterprise_page(&st, &actor, id, state, None).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    }
    redirect_or_again(
        filed,
        |_| format!("/enterprises/{id}?done=filed"),
        refused_on_form,
        |message| {
            let state = FormState {
                error: Some(message),
                doubts: vec![],
                sent: Some(f.clone()),
            };
            enterprise_page(&st, &actor, id, state, None)
        },
    )
    .await
}
