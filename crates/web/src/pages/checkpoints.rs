//! The checkpoint pages: the checkpoints with their counts by day and by county, a
//! checkpoint's page with the day's counts, shifts and recent passages (masked), and the
//! passage form for a phone at the barrier.

use crate::display::today;
use crate::error::PageError;
use crate::extract::{parse_id, PageForm, PageUser};
use crate::forms::{asked_or_fallback, redirect_or_again, refused_on_form, Done};
use crate::shell::{new_key, render, Nav};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use dualtrack_domain::checkpoints::{PassageOutcome, VehicleClass};
use dualtrack_domain::role::Permission;
use dualtrack_service::checkpoints::{
    CheckpointCounts, CheckpointDetail, CheckpointView, CountsQuery, CountsView, NumberOrText,
    PassageInput, PassageView, PassagesQuery, ShiftView, ShiftsQuery, StaffInput, TextOrList,
    TravellerInput,
};
use dualtrack_service::Actor;
use serde::Deserialize;
use std::collections::BTreeMap;

fn blank_none(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

// ---- the checkpoints ----

pub struct CheckpointLine {
    pub c: CheckpointView,
    pub counts: CountsView,
}

#[derive(Template)]
#[template(path = "checkpoints.html")]
struct ListPage {
    nav: Nav,
    from: String,
    to: String,
    lines: Vec<CheckpointLine>,
    counts: CheckpointCounts,
    can_register: bool,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct Range {
    from: Option<String>,
    to: Option<String>,
}

pub async fn list(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<Range>,
) -> Result<Response, PageError> {
    let to = blank_none(&q.to).unwrap_or_else(|| today(&st.app));
    let from = blank_none(&q.from).unwrap_or_else(|| {
        chrono::NaiveDate::parse_from_str(&to, "%Y-%m-%d")
            .map(|d| (d - chrono::Duration::days(6)).to_string())
            .unwrap_or_else(|_| to.clone())
    });
    let asked = CountsQuery {
        from: Some(from.clone()),
        to: Some(to.clone()),
    };
    let fallback = CountsQuery::default();
    let (counts, error, status) =
        asked_or_fallback(st.app.checkpoint_counts(&actor, &asked).await, || {
            st.app.checkpoint_counts(&actor, &fallback)
        })
        .await?;
    let mut totals: BTreeMap<i64, CountsView> = BTreeMap::new();
    for d in &counts.by_day {
        let t = totals.entry(d.checkpoint_id).or_default();
        t.passages += d.counts.passages;
        t.vehicles += d.counts.vehicles;
        t.persons += d.counts.persons;
        t.fevers += d.counts.fevers;
        t.let_through += d.counts.let_through;
        t.turned_back += d.counts.turned_back;
        t.observed += d.counts.observed;
        t.quarantined += d.counts.quarantined;
    }
    let lines = st
        .app
        .checkpoints(&actor)
        .await?
        .into_iter()
        .map(|c| CheckpointLine {
            counts: totals.remove(&c.id).unwrap_or_default(),
            c,
        })
        .collect();
    let page = ListPage {
        nav: Nav::of(&st, &actor).await,
        from: counts.from.to_string(),
        to: counts.to.to_string(),
        lines,
        counts,
        can_register: actor.can(Permission::RegisterPassages),
        error,
    };
    Ok((status, render(&page)).into_response())
}

// ---- one checkpoint ----

pub struct PassageLine {
    pub p: PassageView,
    /// When it passed, China Standard Time.
    pub time: String,
}

#[derive(Template)]
#[template(path = "checkpoint.html")]
struct CheckpointPage {
    nav: Nav,
    d: CheckpointDetail,
    date: String,
    date_given: bool,
    /// The ID number searched for, as typed.
    id_number: String,
    passages: Vec<PassageLine>,
    shifts: Vec<ShiftView>,
    can_register: bool,
    can_manage: bool,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct DayQuery {
    date: Option<String>,
    id_number: Option<String>,
}

pub async fn page(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    Query(q): Query<DayQuery>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let q = DayQuery {
        date: blank_none(&q.date),
        id_number: blank_none(&q.id_number),
    };
    Ok(render(&checkpoint_page(&st, &actor, id, q, None).await?))
}

/// Puts an account on the checkpoint or takes it off, from the form on its page.
pub async fn staff(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(form): PageForm<StaffForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let input = StaffInput {
        username: form.username,
        remove: Some(form.remove.as_deref() == Some("1")),
    };
    redirect_or_again(
        st.app.set_checkpoint_staff(&actor, id, &input).await,
        |_| format!("/checkpoints/{id}"),
        refused_on_form,
        |message| checkpoint_page(&st, &actor, id, DayQuery::default(), Some(message)),
    )
    .await
}

#[derive(Deserialize)]
pub struct StaffForm {
    #[serde(default)]
    username: String,
    remove: Option<String>,
}

async fn checkpoint_page(
    st: &AppState,
    actor: &Actor,
    id: i64,
    DayQuery { date, id_number }: DayQuery,
    error: Option<String>,
) -> Result<CheckpointPage, PageError> {
    let d = st.app.checkpoint(actor, id, date.as_deref()).await?;
    let passages = st
        .app
        .checkpoint_passages(
            actor,
            id,
            &PassagesQuery {
                date: date.clone(),
                id_number: id_number.clone(),
                page: None,
            },
        )
        .await?
        .into_iter()
        .map(|p| PassageLine {
            time: dualtrack_domain::time::display(p.passed_at)
                .get(..16)
                .unwrap_or_default()
                .to_string(),
            p,
        })
        .collect();
    let shifts = st
        .app
        .checkpoint_shifts(
            actor,
            id,
            &ShiftsQuery {
                from: Some(d.day.to_string()),
            },
        )
        .await?
        .into_iter()
        .filter(|s| s.shift_date == d.day)
        .collect();
    Ok(CheckpointPage {
        nav: Nav::of(st, actor).await,
        date: d.day.to_string(),
        date_given: date.is_some(),
        id_number: id_number.unwrap_or_default(),
        d,
        passages,
        shifts,
        can_register: actor.can(Permission::RegisterPassages),
        can_manage: actor.can(Permission::ManageCheckpoints),
        error,
    })
}

// ---- the passage form ----

/// One traveller's row on the form, as typed.
#[derive(Clone, Default)]
pub struct Row {
    pub name: String,
    pub id_number: String,
    pub phone: String,
    pub temperature: String,
    pub outcome: String,
}

impl Row {
    fn is_blank(&self) -> bool {
        self.name.trim().is_empty()
            && self.id_number.trim().is_empty()
            && self.phone.trim().is_empty()
            && self.temperature.trim().is_empty()
    }

    /// Whether the typed temperature is a fever, to show the flag again after a refusal.
    pub fn fever(&self) -> bool {
        self.temperature
            .trim()
            .parse::<f64>()
            .is_ok_and(|t| t >= 37.3)
    }

    pub fn picks(&self, outcome: &str) -> bool {
        self.outcome == outcome || (self.outcome.is_empty() && outcome == "through")
    }
}

/// The form as typed: passage fields and one row per traveller.
#[derive(Clone, Default)]
pub struct PassageForm {
    pub key: String,
    pub plate: String,
    pub vehicle_class: String,
    pub origin: String,
    pub travel_history: String,
    pub destination: String,
    pub reason: String,
    pub rows: Vec<Row>,
}

impl PassageForm {
    fn fresh() -> PassageForm {
        PassageForm {
            key: new_key(),
            vehicle_class: "car".into(),
            rows: vec![Row::default(), Row::default()],
            ..Default::default()
        }
    }

    /// Reads the posted pairs: the rows are the repeated fields in order, and each row's
    /// outcome is the field `outcome_<row>`.
    fn from_pairs(pairs: &[(String, String)]) -> PassageForm {
        let mut f = PassageForm::default();
        let mut columns: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        let mut outcomes: BTreeMap<usize, String> = BTreeMap::new();
        for (k, v) in pairs {
            match k.as_str() {
                "idempotency_key" => f.key = v.clone(),
                "plate" => f.plate = v.clone(),
                "vehicle_class" => f.vehicle_class = v.clone(),
                "origin" => f.origin = v.clone(),
                "travel_history" => f.travel_history = v.clone(),
                "destination" => f.destination = v.clone(),
                "reason" => f.reason = v.clone(),
                "name" | "id_number" | "phone" | "temperature" => {
                    columns.entry(k.as_str()).or_default().push(v.clone())
                }
                other => {
                    if let Some(i) = other
                        .strip_prefix("outcome_")
                        .and_then(|i| i.parse::<usize>().ok())
                    {
                        outcomes.insert(i, v.clone());
                    }
                }
            }
        }
        let n = columns.values().map(Vec::len).max().unwrap_or(0);
        let col = |name: &str, i: usize| {
            columns
                .get(name)
                .and_then(|c| c.get(i))
                .cloned()
                .unwrap_or_default()
        };
        for i in 0..n.min(dualtrack_service::checkpoints::MAX_TRAVELLERS + 1) {
            f.rows.push(Row {
                name: col("name", i),
                id_number: col("id_number", i),
                phone: col("phone", i),
                temperature: col("temperature", i),
                outcome: outcomes.get(&i).cloned().unwrap_or_default(),
            });
        }
        f
    }

    fn input(&self) -> PassageInput {
        // Rows left wholly empty are extra lines of the form, not travellers.
        let travellers = self
            .rows
            .iter()
            .enumerate()
            .filter(|(i, r)| *i == 0 || !r.is_blank())
            .map(|(_, r)| TravellerInput {
                name: r.name.clone(),
                id_number: r.id_number.clone(),
                phone: Some(r.phone.clone()),
                temperature: NumberOrText::Text(r.temperature.clone()),
                outcome: if r.outcome.is_empty() {
                    "through".into()
                } else {
                    r.outcome.clone()
                },
                destination: None,
            })
            .collect();
        let plate = self.plate.trim();
        PassageInput {
            idempotency_key: Some(self.key.clone()),
            passed_at: None,
            plate: Some(plate.to_string()),
            vehicle_class: if plate.is_empty() {
                None
            } else {
                Some(self.vehicle_class.clone())
            },
            origin: self.origin.clone(),
            travel_history: TextOrList::Text(self.travel_history.clone()),
            destination: self.destination.clone(),
            reason: self.reason.clone(),
            travellers,
        }
    }
}

#[derive(Template)]
#[template(path = "passage.html")]
struct FormPage {
    nav: Nav,
    c: CheckpointView,
    form: PassageForm,
    classes: Vec<(&'static str, &'static str)>,
    outcomes: Vec<(&'static str, &'static str)>,
    error: Option<String>,
}

async fn form_page(
    st: &AppState,
    actor: &Actor,
    id: i64,
    form: PassageForm,
    error: Option<String>,
    notice: Option<String>,
) -> Result<FormPage, PageError> {
    let c = st.app.checkpoint(actor, id, None).await?.checkpoint;
    Ok(FormPage {
        nav: Nav::of(st, actor).await.with_notice(notice),
        c,
        form,
        classes: VehicleClass::choices(),
        outcomes: PassageOutcome::choices(),
        error,
    })
}

pub async fn passage_form(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let mut notice = None;
    if let Some(done) = d.done.as_deref().and_then(|p| p.parse::<i64>().ok()) {
        if let Ok(p) = st.app.passage(&actor, done).await {
            let handed = p
                .travellers
                .iter()
                .filter(|t| t.handover_id.is_some())
                .count();
            notice = Some(format!(
                "已登记：{}，{} 人{}{}",
                p.plate.as_deref().unwrap_or("步行"),
                p.persons,
                if p.fevers > 0 {
                    format!("，发热 {} 人", p.fevers)
                } else {
                    String::new()
                },
                if handed > 0 {
                    format!("，已推送目的地落地交接 {handed} 人")
                } else {
                    String::new()
                }
            ));
        }
    }
    let page = form_page(&st, &actor, id, PassageForm::fresh(), None, notice).await?;
    Ok(render(&page))
}

pub async fn register(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let form = PassageForm::from_pairs(&pairs);
    redirect_or_again(
        st.app.register_passage(&actor, id, &form.input()).await,
        |r| format!("/checkpoints/{id}/passage?done={}", r.passage.id),
        refused_on_form,
        |message| form_page(&st, &actor, id, form, Some(message), None),
    )
    .await
}
