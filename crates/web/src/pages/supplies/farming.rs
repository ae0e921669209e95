//! The spring-farming progress of the townships, with the forms for a plan and its progress.

use super::number;
use crate::error::PageError;
use crate::extract::{parse_id, PageForm, PageUser};
use crate::forms::{asked_or_fallback, get, get_opt, non_empty, query_of, refused_on_form, said};
use crate::shell::{render, Nav};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dualtrack_domain::role::Permission;
use dualtrack_domain::supplies::Crop;
use dualtrack_service::supplies::{
    FarmPlanInput, FarmPlanView, FarmProgressInput, FarmQuery, SpringFarming,
};
use dualtrack_service::{Actor, ServiceError};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "supplies_farming.html")]
struct FarmingPage {
    nav: Nav,
    f: SpringFarming,
    as_of: String,
    today: String,
    crops: Vec<(&'static str, &'static str)>,
    can_manage: bool,
    /// A refused form's values, and which form it was: `plan`, or the id of the plan whose
    /// progress was refused.
    form: Vec<(String, String)>,
    open: String,
    error: Option<String>,
}

impl FarmingPage {
    fn value(&self, key: &str) -> String {
        get(&self.form, key).to_string()
    }
    /// The value of a refused form's field, when `form` is that form.
    fn kept(&self, form: &str, key: &str) -> String {
        if self.open == form {
            self.value(key)
        } else {
            String::new()
        }
    }
}

#[derive(Deserialize, Default)]
pub struct FarmingQuery {
    as_of: Option<String>,
    place: Option<String>,
    done: Option<String>,
}

/// A refused form of the page: its status and message, which form (`plan`, or a plan's id),
/// and what was typed.
struct FarmRefusal {
    status: StatusCode,
    message: String,
    form: String,
    pairs: Vec<(String, String)>,
}

/// The page as of a day (a day refused falls back to today, with the refusal shown).
async fn farming_page(
    st: &AppState,
    actor: &Actor,
    as_of: Option<String>,
    place: Option<String>,
    notice: Option<String>,
    refused: Option<FarmRefusal>,
) -> Result<Response, PageError> {
    let asked = FarmQuery {
        as_of,
        place: place.clone(),
    };
    let (f, mut error, mut status) =
        asked_or_fallback(st.app.spring_farming(actor, &asked).await, || async {
            st.app
                .spring_farming(actor, &FarmQuery { as_of: None, place })
                .await
        })
        .await?;
    let (mut form, mut open) = (Vec::new(), String::new());
    if let Some(r) = refused {
        status = r.status;
        error = Some(r.message);
        open = r.form;
        form = r.pairs;
    }
    let page = FarmingPage {
        nav: Nav::of(st, actor).await.with_notice(notice),
        as_of: f.as_of.to_string(),
        today: dualtrack_domain::time::reporting_day(st.app.now()).to_string(),
        crops: Crop::ALL.iter().map(|c| (c.as_str(), c.zh())).collect(),
        can_manage: actor.can(Permission::ManageSupplies),
        f,
        form,
        open,
        error,
    };
    Ok((status, render(&page)).into_response())
}

pub async fn farming(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<FarmingQuery>,
) -> Result<Response, PageError> {
    let notice = said(
        q.done.as_deref(),
        &[("plan", "已保存春耕计划"), ("progress", "已填报备耕进度")],
    );
    farming_page(
        &st,
        &actor,
        non_empty(&q.as_of),
        non_empty(&q.place),
        notice,
        None,
    )
    .await
}

/// The answer to one of the page's forms: back to the day it was showing, at the
/// township's card; or the page again with the refusal and `form` (`plan`, or the plan's
/// id) open, holding what was typed.
async fn farm_answer(
    st: &AppState,
    actor: &Actor,
    as_of: Option<String>,
    r: Result<FarmPlanView, ServiceError>,
    done: &str,
    form: String,
    pairs: Vec<(String, String)>,
) -> Result<Response, PageError> {
    match r {
        Ok(p) => {
            let q = query_of(&[("as_of", as_of), ("done", Some(done.into()))]);
            let township = p.jurisdiction_code;
            Ok(Redirect::to(&format!("/supplies/spring-farming?{q}#t{township}")).into_response())
        }
        Err(e) => {
            let (status, message) = refused_on_form(e)?;
            let refusal = FarmRefusal {
                status,
                message,
                form,
                pairs,
            };
            farming_page(st, actor, as_of, None, None, Some(refusal)).await
        }
    }
}

/// Sets a township's (or village's) planned area of a crop for a year.
pub async fn farm_plan(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let as_of = get_opt(&pairs, "as_of");
    let input = (|| -> Result<FarmPlanInput, ServiceError> {
        let year = number(&pairs, "year", "年度")?;
        Ok(FarmPlanInput {
            jurisdiction_code: get(&pairs, "jurisdiction_code").into(),
            year: i32::try_from(year)
                .map_err(|_| ServiceError::invalid("year", "年度应为 2000 到 2100"))?,
            crop: get(&pairs, "crop").into(),
            planned_mu: number(&pairs, "planned_mu", "计划面积")?,
        })
    })();
    let r = match input {
        Ok(i) => st.app.set_farm_plan(&actor, &i).await,
        Err(e) => Err(e),
    };
    farm_answer(&st, &actor, as_of, r, "plan", "plan".into(), pairs).await
}

/// A township's area prepared and sown for a crop, as of a day.
pub async fn farm_progress(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let as_of = get_opt(&pairs, "as_of");
    let input = (|| -> Result<FarmProgressInput, ServiceError> {
        Ok(FarmProgressInput {
            reported_on: get_opt(&pairs, "reported_on"),
            prepared_mu: number(&pairs, "prepared_mu", "已备耕面积")?,
            sown_mu: match get_opt(&pairs, "sown_mu") {
                None => 0,
                Some(_) => number(&pairs, "sown_mu", "已播种面积")?,
            },
            note: get(&pairs, "note").into(),
        })
    })();
    let r = match input {
        Ok(i) => st.app.report_farm_progress(&actor, id, &i).await,
        Err(e) => Err(e),
    };
    farm_answer(&st, &actor, as_of, r, "progress", id.to_string(), pairs).await
}
