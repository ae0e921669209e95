//! The overview of a place as of a day: low-stock warnings, shortfalls, deliveries in
//! transit, requests waiting for the level above with the form to allocate, stores and totals;
//! and the forms that set up a store and allocate a request.

use super::{days, number, opt_number};
use crate::error::PageError;
use crate::extract::{parse_id, PageForm, PageUser};
use crate::forms::{get, get_opt, non_empty, redirect_or_again, refused_on_form, said};
use crate::shell::{new_key, render, Nav};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dualtrack_domain::role::Permission;
use dualtrack_domain::supplies::{RequestStatus, StoreKind};
use dualtrack_service::checkpoints::CheckpointView;
use dualtrack_service::supplies::{
    AllocationInput, AllocationView, AllocationsQuery, Balances, BalancesQuery, LowStock,
    LowStockQuery, RequestView, RequestsQuery, ShortfallQuery, Shortfalls, StoreInput, StoreView,
};
use dualtrack_service::{Actor, ServiceError};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct OverviewQuery {
    as_of: Option<String>,
    place: Option<String>,
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "supplies.html")]
struct OverviewPage {
    nav: Nav,
    as_of: String,
    place: String,
    low: LowStock,
    /// The low-stock lines shown (the lowest first) and how many more there are.
    low_lines: Vec<dualtrack_service::supplies::LowStockLine>,
    low_more: usize,
    short: Shortfalls,
    short_count: usize,
    /// The places short of something shown (the largest shortfalls first), and how many more.
    short_lines: Vec<dualtrack_service::supplies::ShortfallLine>,
    short_more: usize,
    balances: Balances,
    stores: Vec<StoreView>,
    transit: Vec<AllocationView>,
    waiting: Vec<RequestView>,
    can_manage: bool,
    /// The key of this showing of the page's allocation forms (each form adds its request).
    key: String,
    /// The form to set up a store: its kinds, the checkpoints a checkpoint box may belong
    /// to, and the values of a refused submission.
    store_kinds: Vec<(&'static str, &'static str)>,
    checkpoints: Vec<CheckpointView>,
    form: Vec<(String, String)>,
    error: Option<String>,
}

impl OverviewPage {
    fn value(&self, key: &str) -> String {
        get(&self.form, key).to_string()
    }

    fn cover(&self, v: &Option<f64>) -> String {
        days(*v)
    }

    /// The stores a request may be allocated from: the caller's own, not the requester's.
    fn sources(&self, r: &RequestView) -> Vec<&StoreView> {
        self.stores
            .iter()
            .filter(|s| {
                s.id != r.store_id && !s.jurisdiction_code.starts_with(&r.jurisdiction_code)
            })
            .collect()
    }
}

async fn overview(
    st: &AppState,
    actor: &Actor,
    q: &OverviewQuery,
    notice: Option<String>,
    error: Option<String>,
    form: Vec<(String, String)>,
) -> Result<(StatusCode, OverviewPage), PageError> {
    let place = non_empty(&q.place);
    let mut asked = non_empty(&q.as_of);
    let mut error = error;
    let mut status = StatusCode::OK;
    let low = match st
        .app
        .low_stock(
            actor,
            &LowStockQuery {
                as_of: asked.clone(),
                place: place.clone(),
            },
        )
        .await
    {
        Ok(l) => l,
        Err(e @ ServiceError::Invalid { .. }) => {
            status = crate::error::status_of(&e);
            error = Some(e.to_string());
            asked = None;
            st.app
                .low_stock(
                    actor,
                    &LowStockQuery {
                        as_of: None,
                        place: place.clone(),
                    },
                )
                .await?
        }
        Err(e) => return Err(e.into()),
    };
    let as_of = low.as_of.to_string();
    let short = st
        .app
        .shortfalls(
            actor,
            &ShortfallQuery {
                as_of: Some(as_of.clone()),
                place: place.clone(),
                horizon_days: None,
            },
        )
        .await?;
    let balances = st
        .app
        .supply_balances(
            actor,
            &BalancesQuery {
                as_of: Some(as_of.clone()),
                place: place.clone(),
                ..Default::default()
            },
        )
        .await?;
    let stores = st.app.supply_stores(actor).await?;
    let transit = st
        .app
        .supply_allocations(
            actor,
            &AllocationsQuery {
                status: Some("in_transit".into()),
            },
        )
        .await?;
    let mut waiting = st
        .app
        .supply_requests(actor, &RequestsQuery::default())
        .await?;
    let own = actor.home_code().unwrap_or_default();
    waiting.retain(|r| {
        matches!(r.status, RequestStatus::Open | RequestStatus::Partly)
            && r.jurisdiction_code.len() > own.len()
    });
    let _ = asked;
    let checkpoints =
        if actor.can(Permission::ManageSupplies) && actor.can(Permission::ReadCheckpoints) {
            st.app.checkpoints(actor).await?
        } else {
            Vec::new()
        };
    const SHOWN: usize = 12;
    let low_lines: Vec<_> = low.lines.iter().take(SHOWN).cloned().collect();
    let low_more = low.lines.len().saturating_sub(SHOWN);
    let mut short_all: Vec<_> = short
        .lines
        .iter()
        .filter(|l| l.shortfall > 0)
        .cloned()
        .collect();
    short_all.sort_by_key(|l| std::cmp::Reverse(l.shortfall));
    let short_more = short_all.len().saturating_sub(SHOWN);
    short_all.truncate(SHOWN);
    Ok((
        status,
        OverviewPage {
            nav: Nav::of(st, actor).await.with_notice(notice),
            short_count: short.lines.iter().filter(|l| l.shortfall > 0).count(),
            low_lines,
            low_more,
            short_lines: short_all,
            short_more,
            as_of,
            place: place.unwrap_or_default(),
            low,
            short,
            balances,
            stores,
            transit,
            waiting,
            can_manage: actor.can(Permission::ManageSupplies),
            key: new_key(),
            store_kinds: StoreKind::ALL
                .iter()
                .map(|k| (k.as_str(), k.zh()))
                .collect(),
            checkpoints,
            form,
            error,
        },
    ))
}

pub async fn page(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<OverviewQuery>,
) -> Result<Response, PageError> {
    let notice = said(
        q.done.as_deref(),
        &[
            ("allocated", "已分配调运，物资已出库，到货确认前计为在途"),
            ("store", "仓库已设立"),
        ],
    );
    let (status, page) = overview(&st, &actor, &q, notice, None, Vec::new()).await?;
    Ok((status, render(&page)).into_response())
}

/// Sets up a store (a warehouse, a township station, a checkpoint's box, a grid's stock
/// point) in the caller's scope.
pub async fn new_store(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let input = opt_number(&pairs, "checkpoint_id").map(|checkpoint_id| StoreInput {
        name: get(&pairs, "name").into(),
        kind: get(&pairs, "kind").into(),
        jurisdiction_code: get(&pairs, "jurisdiction_code").into(),
        checkpoint_id,
        address: get(&pairs, "address").into(),
        keeper: get(&pairs, "keeper").into(),
    });
    let r = match input {
        Ok(i) => st.app.create_supply_store(&actor, &i).await,
        Err(e) => Err(e),
    };
    redirect_or_again(
        r,
        |s| format!("/supplies/stores/{}?done=created", s.id),
        refused_on_form,
        |message| async move {
            Ok(overview(
                &st,
                &actor,
                &OverviewQuery::default(),
                None,
                Some(message),
                pairs,
            )
            .await?
            .1)
        },
    )
    .await
}

/// Allocates (part of) a request from one of the caller's stores.
pub async fn allocate(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let input = (|| -> Result<AllocationInput, ServiceError> {
        Ok(AllocationInput {
            request_id: Some(id),
            from_store_id: number(&pairs, "from_store_id", "发出仓库")?,
            to_store_id: None,
            item_id: None,
            quantity: number(&pairs, "quantity", "数量")?,
            unit: get_opt(&pairs, "unit"),
            allocated_on: get_opt(&pairs, "allocated_on"),
            note: get(&pairs, "note").into(),
            idempotency_key: get_opt(&pairs, "idempotency_key"),
        })
    })();
    let r = match input {
        Ok(i) => st.app.allocate_supplies(&actor, &i).await,
        Err(e) => Err(e),
    };
    redirect_or_again(
        r,
        |_| "/supplies?done=allocated".to_string(),
        refused_on_form,
        |message| async move {
            Ok(overview(
                &st,
                &actor,
                &OverviewQuery::default(),
                None,
                Some(message),
                Vec::new(),
            )
            .await?
            .1)
        },
    )
    .await
}
