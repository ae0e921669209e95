//! 一线考察档案: a cadre's page for the organization department and the cadre's chain of
//! command — who they are (masked), where they served, and what was recorded of them; the
//! department adds records.

use crate::display::today;
use crate::error::PageError;
use crate::extract::{parse_id, PageForm, PageUser};
use crate::forms::{labelled, redirect_or_again, refused_on_form, Done};
use crate::shell::{render, Nav};
use crate::state::AppState;
use crate::views::{deployment_rows, DeploymentRow, Places};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use dualtrack_domain::mobilisation::CadreRecordKind;
use dualtrack_domain::role::Permission;
use dualtrack_service::mobilisation::{CadreFile, CadreRecordInput, CadreRecordView};
use dualtrack_service::Actor;
use serde::Deserialize;

type Choices = Vec<(&'static str, &'static str)>;

#[derive(Deserialize, Default)]
pub struct RecordForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    recorded_on: String,
    #[serde(default)]
    content: String,
}

#[derive(Template)]
#[template(path = "cadre.html")]
struct CadrePage {
    nav: Nav,
    person_id: i64,
    name: String,
    id_number: String,
    political_status: &'static str,
    categories: String,
    place: String,
    code: String,
    employer: String,
    deployments: Vec<DeploymentRow>,
    records: Vec<CadreRecordView>,
    can_write: bool,
    kinds: Choices,
    form: RecordForm,
    error: Option<String>,
}

async fn cadre_page(
    st: &AppState,
    actor: &Actor,
    id: i64,
    form: Option<RecordForm>,
    error: Option<String>,
    notice: Option<String>,
) -> Result<CadrePage, PageError> {
    let CadreFile {
        person: p,
        deployments,
        records,
    } = st.app.cadre_file(actor, id).await?;
    let places = Places::of(st, [p.jurisdiction_code.as_str()]).await;
    let cats: Vec<&str> = p.categories.iter().map(|c| c.zh()).collect();
    Ok(CadrePage {
        nav: Nav::of(st, actor).await.with_notice(notice),
        person_id: p.id,
        name: p.name.clone(),
        id_number: p.id_number.clone(),
        political_status: p.political_status.zh(),
        categories: if cats.is_empty() {
            "—".into()
        } else {
            cats.join("、")
        },
        place: places.name(&p.jurisdiction_code),
        code: p.jurisdiction_code.clone(),
        employer: p.employer.clone().unwrap_or_else(|| "—".into()),
        deployments: deployment_rows(st, deployments).await,
        records,
        can_write: actor.can(Permission::WriteCadreRecords),
        kinds: CadreRecordKind::choices(),
        form: form.unwrap_or_else(|| RecordForm {
            recorded_on: today(&st.app),
            ..Default::default()
        }),
        error,
    })
}

pub async fn page(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, PageError> {
    let notice = d.notice(&[], "考察记录已保存");
    let page = cadre_page(&st, &actor, parse_id(&id)?, None, None, notice).await?;
    Ok(render(&page))
}

const RECORD_LABELS: &[(&str, &str)] = &[
    ("kind", "记录类型"),
    ("recorded_on", "记录日期"),
    ("content", "考察内容"),
];

pub async fn record(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(f): PageForm<RecordForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let input = CadreRecordInput {
        kind: f.kind.clone(),
        recorded_on: f.recorded_on.clone(),
        content: f.content.clone(),
    };
    redirect_or_again(
        st.app.record_cadre(&actor, id, &input).await,
        |_| format!("/people/{id}/cadre?done=recorded"),
        |e| refused_on_form(labelled(e, RECORD_LABELS)),
        |message| cadre_page(&st, &actor, id, Some(f), Some(message), None),
    )
    .await
}
