//! 政策文件: the documents that set up the work, the organisations and campaigns each set
//! up, and recording one.

use crate::display::today;
use crate::error::PageError;
use crate::extract::{parse_id, PageForm, PageUser};
use crate::forms::{labelled, redirect_or_again, refused_on_form, Done};
use crate::shell::{render, Nav};
use crate::state::AppState;
use crate::views::Places;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use dualtrack_domain::role::Permission;
use dualtrack_service::campaigns::{DocumentInput, DocumentLink, DocumentView};
use dualtrack_service::{Actor, ServiceError};
use serde::Deserialize;

const LABELS: &[(&str, &str)] = &[
    ("title", "文件标题"),
    ("issuer", "发文机关"),
    ("doc_number", "文号"),
    ("issued_on", "发文日期"),
    ("measures", "主要措施"),
    ("jurisdiction_code", "所属区划代码"),
    ("organisation_ids", "设立的组织编号"),
    ("campaign_ids", "开展的活动编号"),
];

struct DocRow {
    id: i64,
    title: String,
    issuer: String,
    doc_number: String,
    issued_on: String,
    place: String,
    organisations: usize,
    campaigns: usize,
}

#[derive(Template)]
#[template(path = "documents.html")]
struct DocumentsPage {
    nav: Nav,
    rows: Vec<DocRow>,
    can_manage: bool,
}

fn count_of(links: &[DocumentLink], kind: &str) -> usize {
    links.iter().filter(|l| l.kind == kind).count()
}

pub async fn list(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
) -> Result<Response, PageError> {
    let found = st.app.list_documents(&actor).await?;
    let places = Places::of(&st, found.iter().map(|d| d.jurisdiction_code.as_str())).await;
    let rows = found
        .into_iter()
        .map(|d| DocRow {
            id: d.id,
            organisations: count_of(&d.links, "organisation"),
            campaigns: count_of(&d.links, "campaign"),
            place: places.name(&d.jurisdiction_code),
            doc_number: d.doc_number.unwrap_or_else(|| "—".into()),
            issued_on: d.issued_on.to_string(),
            title: d.title,
            issuer: d.issuer,
        })
        .collect();
    let tpl = DocumentsPage {
        nav: Nav::of(&st, &actor).await,
        rows,
        can_manage: actor.can(Permission::ManageMobilisation),
    };
    Ok(render(&tpl))
}

// ---- recording one ----

#[derive(Deserialize, Default)]
pub struct DocumentForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    doc_number: String,
    #[serde(default)]
    issued_on: String,
    #[serde(default)]
    measures: String,
    #[serde(default)]
    jurisdiction_code: String,
    #[serde(default)]
    organisation_ids: String,
    #[serde(default)]
    campaign_ids: String,
}

/// Record numbers typed as a list: `12, 15、20` (commas, 顿号 or spaces between).
fn id_list(field: &'static str, label: &str, raw: &str) -> Result<Vec<i64>, ServiceError> {
    let mut ids = Vec::new();
    for part in raw
        .split(|c: char| c == ',' || c == '，' || c == '、' || c == ';' || c.is_whitespace())
        .filter(|s| !s.is_empty())
    {
        let id = part.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
            ServiceError::invalid(
                field,
                format!("{label}中的“{part}”无效：应为正整数，多个编号以逗号分隔"),
            )
        })?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

#[derive(Template)]
#[template(path = "document_new.html")]
struct NewDocumentPage {
    nav: Nav,
    form: DocumentForm,
    error: Option<String>,
}

pub async fn new_form(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
) -> Result<Response, PageError> {
    st.app
        .require(&actor, Permission::ManageMobilisation, "政策文件", "新建")
        .await?;
    let form = DocumentForm {
        jurisdiction_code: actor.home_code().unwrap_or_default(),
        issued_on: today(&st.app),
        ..Default::default()
    };
    Ok(render(&NewDocumentPage {
        nav: Nav::of(&st, &actor).await,
        form,
        error: None,
    }))
}

async fn create_from(
    st: &AppState,
    actor: &Actor,
    f: &DocumentForm,
) -> Result<DocumentView, ServiceError> {
    let input = DocumentInput {
        title: f.title.clone(),
        issuer: f.issuer.clone(),
        doc_number: Some(f.doc_number.clone()),
        issued_on: f.issued_on.clone(),
        measures: f.measures.clone(),
        jurisdiction_code: f.jurisdiction_code.clone(),
        organisation_ids: id_list("organisation_ids", "设立的组织编号", &f.organisation_ids)?,
        campaign_ids: id_list("campaign_ids", "开展的活动编号", &f.campaign_ids)?,
    };
    st.app.create_document(actor, &input).await
}

pub async fn create(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    PageForm(f): PageForm<DocumentForm>,
) -> Result<Response, PageError> {
    redirect_or_again(
        create_from(&st, &actor, &f).await,
        |d| format!("/documents/{}?done=created", d.id),
        |e| refused_on_form(labelled(e, LABELS)),
        |message| async {
            Ok(NewDocumentPage {
                nav: Nav::of(&st, &actor).await,
                form: f,
                error: Some(message),
            })
        },
    )
    .await
}

// ---- one document ----

#[derive(Template)]
#[template(path = "document.html")]
struct DocumentPage {
    nav: Nav,
    d: DocumentView,
    doc_number: String,
    place: String,
    organisations: Vec<DocumentLink>,
    campaigns: Vec<DocumentLink>,
}

pub async fn page(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let d = st.app.get_document(&actor, parse_id(&id)?).await?;
    let places = Places::of(&st, [d.jurisdiction_code.as_str()]).await;
    let (organisations, campaigns): (Vec<DocumentLink>, Vec<DocumentLink>) = d
        .links
        .iter()
        .filter(|l| l.kind == "organisation" || l.kind == "campaign")
        .cloned()
        .partition(|l| l.kind == "organisation");
    let tpl = DocumentPage {
        nav: Nav::of(&st, &actor)
            .await
            .with_notice(q.notice(&[], "政策文件已登记")),
        doc_number: d.doc_number.clone().unwrap_or_else(|| "—".into()),
        place: places.name(&d.jurisdiction_code),
        organisations,
        campaigns,
        d,
    };
    Ok(render(&tpl))
}
