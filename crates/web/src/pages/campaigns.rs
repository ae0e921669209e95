//! 活动: campaigns such as 千名干部下乡 — the list with people sent and villages covered,
//! starting one, and sending people to villages and communities by it.

use crate::display::{opt_date, today};
use crate::error::PageError;
use crate::extract::{parse_id, PageForm, PageUser};
use crate::forms::{labelled, number_field, redirect_or_again, refused_on_form, Done};
use crate::shell::{render, Nav};
use crate::state::AppState;
use crate::views::Places;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use dualtrack_domain::role::Permission;
use dualtrack_service::campaigns::{CampaignInput, CampaignView, SendInput};
use dualtrack_service::{Actor, ServiceError};
use serde::Deserialize;

const CAMPAIGN_LABELS: &[(&str, &str)] = &[
    ("name", "活动名称"),
    ("theme", "活动主题"),
    ("jurisdiction_code", "所属区划代码"),
    ("start_on", "开始日期"),
    ("end_on", "结束日期"),
];

const SEND_LABELS: &[(&str, &str)] = &[
    ("person_id", "人员编号"),
    ("place_code", "村（社区）代码"),
    ("sent_on", "下派日期"),
];

/// A campaign as the list and the page show it.
pub(super) struct CampaignRow {
    pub id: i64,
    pub name: String,
    pub theme: String,
    pub place: String,
    pub code: String,
    /// `2020-02-10 至 2020-03-10`, or `2020-02-10 起`.
    pub period: String,
    pub start_on: String,
    pub end_on: String,
    pub people_sent: i64,
    pub places_covered: i64,
}

async fn campaign_rows(st: &AppState, cs: Vec<CampaignView>) -> Vec<CampaignRow> {
    let places = Places::of(st, cs.iter().map(|c| c.jurisdiction_code.as_str())).await;
    cs.into_iter()
        .map(|c| CampaignRow {
            id: c.id,
            place: places.name(&c.jurisdiction_code),
            code: c.jurisdiction_code,
            period: match c.end_on {
                Some(e) => format!("{} 至 {e}", c.start_on),
                None => format!("{} 起", c.start_on),
            },
            start_on: c.start_on.to_string(),
            end_on: opt_date(c.end_on),
            name: c.name,
            theme: c.theme,
            people_sent: c.people_sent,
            places_covered: c.places_covered,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct CampaignsPage {
    nav: Nav,
    rows: Vec<CampaignRow>,
    can_manage: bool,
}

pub async fn list(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
) -> Result<Response, PageError> {
    let found = st.app.list_campaigns(&actor).await?;
    let tpl = CampaignsPage {
        nav: Nav::of(&st, &actor).await,
        rows: campaign_rows(&st, found).await,
        can_manage: actor.can(Permission::ManageMobilisation),
    };
    Ok(render(&tpl))
}

// ---- starting one ----

#[derive(Deserialize, Default)]
pub struct CampaignForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    theme: String,
    #[serde(default)]
    jurisdiction_code: String,
    #[serde(default)]
    start_on: String,
    #[serde(default)]
    end_on: String,
}

#[derive(Template)]
#[template(path = "campaign_new.html")]
struct NewCampaignPage {
    nav: Nav,
    form: CampaignForm,
    error: Option<String>,
}

pub async fn new_form(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
) -> Result<Response, PageError> {
    st.app
        .require(&actor, Permission::ManageMobilisation, "活动", "新建")
        .await?;
    let form = CampaignForm {
        jurisdiction_code: actor.home_code().unwrap_or_default(),
        start_on: today(&st.app),
        ..Default::default()
    };
    Ok(render(&NewCampaignPage {
        nav: Nav::of(&st, &actor).await,
        form,
        error: None,
    }))
}

pub async fn create(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    PageForm(f): PageForm<CampaignForm>,
) -> Result<Response, PageError> {
    let input = CampaignInput {
        name: f.name.clone(),
        theme: f.theme.clone(),
        jurisdiction_code: f.jurisdiction_code.clone(),
        start_on: f.start_on.clone(),
        end_on: Some(f.end_on.clone()),
    };
    redirect_or_again(
        st.app.create_campaign(&actor, &input).await,
        |c| format!("/campaigns/{}?done=created", c.id),
        |e| refused_on_form(labelled(e, CAMPAIGN_LABELS)),
        |message| async {
            Ok(NewCampaignPage {
                nav: Nav::of(&st, &actor).await,
                form: f,
                error: Some(message),
            })
        },
    )
    .await
}

// ---- one campaign ----

#[derive(Deserialize, Default)]
pub struct SendForm {
    #[serde(default)]
    person_id: String,
    #[serde(default)]
    place_code: String,
    #[serde(default)]
    sent_on: String,
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage {
    nav: Nav,
    c: CampaignRow,
    sent: Vec<dualtrack_service::campaigns::SentPerson>,
    can_manage: bool,
    form: SendForm,
    error: Option<String>,
}

async fn campaign_page(
    st: &AppState,
    actor: &Actor,
    id: i64,
    form: Option<SendForm>,
    error: Option<String>,
    notice: Option<String>,
) -> Result<CampaignPage, PageError> {
    let c = st.app.get_campaign(actor, id).await?;
    let c = campaign_rows(st, vec![c])
        .await
        .into_iter()
        .next()
        .ok_or_else(|| ServiceError::NotFound(format!("活动 {id} 不存在")))?;
    let sent = st.app.campaign_people(actor, id, None).await?;
    Ok(CampaignPage {
        sent,
        nav: Nav::of(st, actor).await.with_notice(notice),
        can_manage: actor.can(Permission::ManageMobilisation),
        form: form.unwrap_or_else(|| SendForm {
            sent_on: today(&st.app),
            ..Default::default()
        }),
        error,
        c,
    })
}

pub async fn page(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, PageError> {
    let notice = d.notice(
        &[("created", "活动已建立"), ("sent", "已记入下派名单")],
        "已保存",
    );
    let page = campaign_page(&st, &actor, parse_id(&id)?, None, None, notice).await?;
    Ok(render(&page))
}

pub async fn send(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(f): PageForm<SendForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let sent = async {
        let input = SendInput {
            person_id: number_field("person_id", "人员编号", &f.person_id)?,
            place_code: f.place_code.clone(),
            sent_on: f.sent_on.clone(),
        };
        st.app.send_by_campaign(&actor, id, &input).await
    }
    .await;
    redirect_or_again(
        sent,
        |_| format!("/campaigns/{id}?done=sent"),
        |e| refused_on_form(labelled(e, SEND_LABELS)),
        |message| campaign_page(&st, &actor, id, Some(f), Some(message), None),
    )
    .await
}
