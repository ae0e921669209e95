//! A store's page: the phone form for receipts, issues, transfers and adjustments, arrivals
//! to confirm, needs, and the request to the level above.

use super::{days, number, opt_number};
use crate::error::PageError;
use crate::extract::{parse_id, PageForm, PageUser};
use crate::forms::{get, get_opt, non_empty, refused_on_form, refused_page, said};
use crate::shell::{new_key, render, Nav};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use dualtrack_domain::role::Permission;
use dualtrack_domain::supplies::{Crop, MovementKind};
use dualtrack_service::supplies::{
    ItemView, MovementInput, MovementView, NeedInput, ReceiveInput, RequestInput, StoreDetail,
    StoreView,
};
use dualtrack_service::{Actor, ServiceError};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "store.html")]
struct StorePage {
    nav: Nav,
    d: StoreDetail,
    items: Vec<ItemView>,
    targets: Vec<StoreView>,
    kinds: Vec<(&'static str, &'static str)>,
    crops: Vec<(&'static str, &'static str)>,
    can_move: bool,
    can_manage: bool,
    today: String,
    key: String,
    form: Vec<(String, String)>,
    error: Option<String>,
    /// The copy a phone keeps for use with no signal: no one's name in it.
    kept: bool,
}

impl StorePage {
    fn value(&self, key: &str) -> String {
        get(&self.form, key).to_string()
    }
    fn cover(&self, v: &Option<f64>) -> String {
        days(*v)
    }
    /// `+` for stock coming in to this store, `−` for stock going out.
    fn sign(&self, m: &MovementView) -> &'static str {
        if m.to_store_id == Some(self.d.store.id) {
            "+"
        } else {
            "−"
        }
    }
    /// The store at the other end of a transfer, if any.
    fn other(&self, m: &MovementView) -> String {
        match (m.from_store_id, m.to_store_id) {
            (Some(f), Some(_)) if f != self.d.store.id => {
                format!("← {}", m.from_store_name.clone().unwrap_or_default())
            }
            (Some(_), Some(t)) if t != self.d.store.id => {
                format!("→ {}", m.to_store_name.clone().unwrap_or_default())
            }
            _ => String::new(),
        }
    }
    fn units(&self, i: &ItemView) -> String {
        match (&i.pack_unit, i.pack_size) {
            (Some(p), Some(n)) => format!("{}（每{p} {n}）", i.unit),
            _ => i.unit.clone(),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct StoreQuery {
    as_of: Option<String>,
    done: Option<String>,
}

async fn store_page(
    st: &AppState,
    actor: &Actor,
    id: i64,
    as_of: Option<String>,
    notice: Option<String>,
    form: Vec<(String, String)>,
    error: Option<String>,
) -> Result<StorePage, PageError> {
    let d = st.app.supply_store(actor, id, &as_of).await?;
    let items = st.app.supply_items(actor).await?;
    let targets = st
        .app
        .supply_stores(actor)
        .await?
        .into_iter()
        .filter(|s| s.id != id)
        .collect();
    let kinds = MovementKind::ALL
        .iter()
        .filter(|k| k.is_direct())
        .map(|k| (k.as_str(), k.zh()))
        .collect();
    // A refused form keeps its key, so that resubmitting it after a fix is one movement.
    let key = match get(&form, "idempotency_key") {
        "" => new_key(),
        k => k.to_string(),
    };
    Ok(StorePage {
        nav: Nav::of(st, actor).await.with_notice(notice),
        today: dualtrack_domain::time::reporting_day(st.app.now()).to_string(),
        d,
        items,
        targets,
        kinds,
        crops: Crop::ALL.iter().map(|c| (c.as_str(), c.zh())).collect(),
        can_move: actor.can(Permission::MoveStock),
        can_manage: actor.can(Permission::ManageSupplies),
        key,
        form,
        error,
        kept: false,
    })
}

pub async fn store(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    Query(q): Query<StoreQuery>,
    headers: axum::http::HeaderMap,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let notice = said(
        q.done.as_deref(),
        &[
            ("moved", "已登记"),
            ("repeat", "此表单已提交过，未重复登记"),
            ("received", "已确认到货并入库"),
            ("requested", "已向上一级请领"),
            ("need", "已申报需求，计入缺口"),
            ("created", "仓库已设立，可登记入库"),
        ],
    );
    let page = store_page(
        &st,
        &actor,
        id,
        non_empty(&q.as_of),
        notice,
        Vec::new(),
        None,
    )
    .await?;
    let page = StorePage {
        kept: crate::offline::kept_copy(&headers),
        ..page
    };
    Ok(render(&page).into_response())
}

async fn store_refused(
    st: &AppState,
    actor: &Actor,
    id: i64,
    pairs: Vec<(String, String)>,
    e: ServiceError,
) -> Result<Response, PageError> {
    refused_page(e, refused_on_form, |message| {
        store_page(st, actor, id, None, None, pairs, Some(message))
    })
    .await
}

/// After a write at the store: back to its page with the notice `done` names, or the
/// refusal shown there with the form as sent.
async fn back_to_store(
    st: &AppState,
    actor: &Actor,
    id: i64,
    pairs: Vec<(String, String)>,
    done: Result<&str, ServiceError>,
) -> Result<Response, PageError> {
    match done {
        Ok(done) => Ok(Redirect::to(&format!("/supplies/stores/{id}?done={done}")).into_response()),
        Err(e) => store_refused(st, actor, id, pairs, e).await,
    }
}

/// The phone form: a receipt, issue, transfer or adjustment.
pub async fn record(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let input = (|| -> Result<MovementInput, ServiceError> {
        Ok(MovementInput {
            idempotency_key: get_opt(&pairs, "idempotency_key"),
            made_at: None,
            kind: get(&pairs, "kind").into(),
            item_id: number(&pairs, "item_id", "物资")?,
            quantity: number(&pairs, "quantity", "数量")?,
            unit: get_opt(&pairs, "unit"),
            moved_on: get_opt(&pairs, "moved_on"),
            to_store_id: opt_number(&pairs, "to_store_id")?,
            counterparty: get(&pairs, "counterparty").into(),
            reason: get(&pairs, "reason").into(),
        })
    })();
    let r = match input {
        Ok(i) => st.app.record_movement(&actor, id, &i).await,
        Err(e) => Err(e),
    };
    let done = r.map(|m| if m.created { "moved" } else { "repeat" });
    back_to_store(&st, &actor, id, pairs, done).await
}

/// A need declared for this store's place and this store (a checkpoint's daily masks, a
/// township's spring-farming fertiliser).
pub async fn need(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    // The store as the caller may see it (404 outside the caller's scope).
    let place = st
        .app
        .supply_store(&actor, id, &None)
        .await?
        .store
        .jurisdiction_code;
    let input = (|| -> Result<NeedInput, ServiceError> {
        Ok(NeedInput {
            idempotency_key: get_opt(&pairs, "idempotency_key"),
            jurisdiction_code: place,
            store_id: Some(id),
            item_id: number(&pairs, "need_item_id", "物资")?,
            basis: get(&pairs, "basis").into(),
            quantity: number(&pairs, "need_quantity", "数量")?,
            unit: get_opt(&pairs, "need_unit"),
            crop: get_opt(&pairs, "crop"),
            area_mu: opt_number(&pairs, "area_mu")?,
            from_on: get(&pairs, "from_on").into(),
            until_on: get_opt(&pairs, "until_on"),
            note: get(&pairs, "need_note").into(),
        })
    })();
    let r = match input {
        Ok(i) => st.app.declare_need(&actor, &i).await,
        Err(e) => Err(e),
    };
    back_to_store(&st, &actor, id, pairs, r.map(|_| "need")).await
}

/// A request to the level above, to be delivered to this store.
pub async fn request(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let input = (|| -> Result<RequestInput, ServiceError> {
        Ok(RequestInput {
            idempotency_key: get_opt(&pairs, "idempotency_key"),
            store_id: id,
            item_id: number(&pairs, "req_item_id", "物资")?,
            quantity: number(&pairs, "req_quantity", "数量")?,
            unit: get_opt(&pairs, "req_unit"),
            needed_by: get_opt(&pairs, "needed_by"),
            reason: get(&pairs, "req_reason").into(),
            requested_on: None,
        })
    })();
    let r = match input {
        Ok(i) => st.app.request_supplies(&actor, &i).await,
        Err(e) => Err(e),
    };
    back_to_store(&st, &actor, id, pairs, r.map(|_| "requested")).await
}

/// Confirms the arrival of a delivery at its store.
pub async fn receive(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let store_id = number(&pairs, "store_id", "仓库").unwrap_or_default();
    let input = opt_number(&pairs, "quantity").map(|quantity| ReceiveInput {
        received_on: get_opt(&pairs, "received_on"),
        quantity,
        note: get(&pairs, "note").into(),
    });
    let r = match input {
        Ok(i) => st.app.receive_allocation(&actor, id, &i).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(a) => Ok(
            Redirect::to(&format!("/supplies/stores/{}?done=received", a.to_store_id))
                .into_response(),
        ),
        Err(e) if store_id > 0 => store_refused(&st, &actor, store_id, pairs, e).await,
        Err(e) => Err(e.into()),
    }
}
