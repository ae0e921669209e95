//! The supplies pages: the overview of a place as of a day (low-stock warnings, shortfalls,
//! deliveries in transit, requests waiting for the level above with the form to allocate,
//! stores and totals), a store's page with the phone form for receipts, issues, transfers
//! and adjustments, arrivals to confirm and the request to the level above, and the
//! spring-farming progress of the townships.

use crate::error::PageError;
use crate::extract::{parse_id, PageForm, PageUser};
use crate::forms::{non_empty, query_of, refused_on_form};
use crate::shell::{new_key, render, Nav};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dualtrack_domain::role::Permission;
use dualtrack_domain::supplies::{Crop, MovementKind, RequestStatus, StoreKind};
use dualtrack_service::checkpoints::CheckpointView;
use dualtrack_service::supplies::{
    AllocationInput, AllocationView, AllocationsQuery, Balances, BalancesQuery, FarmPlanInput,
    FarmPlanView, FarmProgressInput, FarmQuery, ItemView, LowStock, LowStockQuery, MovementInput,
    MovementView, NeedInput, ReceiveInput, RequestInput, RequestView, RequestsQuery,
    ShortfallQuery, Shortfalls, SpringFarming, StoreDetail, StoreInput, StoreView,
};
use dualtrack_service::{Actor, ServiceError};
use serde::Deserialize;

fn get<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn opt(pairs: &[(String, String)], key: &str) -> Option<String> {
    non_empty(&Some(get(pairs, key).to_string()))
}

/// A whole number typed in a form, or the field's refusal.
fn number(pairs: &[(String, String)], key: &'static str, label: &str) -> Result<i64, ServiceError> {
    let raw = get(pairs, key).trim();
    raw.parse::<i64>()
        .map_err(|_| ServiceError::invalid(key, format!("{label}应为整数，收到“{raw}”")))
}

fn opt_number(pairs: &[(String, String)], key: &'static str) -> Result<Option<i64>, ServiceError> {
    match opt(pairs, key) {
        None => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ServiceError::invalid(key, format!("“{v}”应为编号"))),
    }
}

fn days(v: Option<f64>) -> String {
    match v {
        Some(d) => format!("{d:.1}"),
        None => "—".into(),
    }
}

// ---- the overview ----

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
    let notice = match q.done.as_deref() {
        Some("allocated") => Some("已分配调运，物资已出库，到货确认前计为在途".to_string()),
        Some("store") => Some("仓库已设立".to_string()),
        _ => None,
    };
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
    match r {
        Ok(s) => {
            Ok(Redirect::to(&format!("/supplies/stores/{}?done=created", s.id)).into_response())
        }
        Err(e) => {
            let (status, message) = refused_on_form(e)?;
            let (_, page) = overview(
                &st,
                &actor,
                &OverviewQuery::default(),
                None,
                Some(message),
                pairs,
            )
            .await?;
            Ok((status, render(&page)).into_response())
        }
    }
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
            unit: opt(&pairs, "unit"),
            allocated_on: opt(&pairs, "allocated_on"),
            note: get(&pairs, "note").into(),
            idempotency_key: opt(&pairs, "idempotency_key"),
        })
    })();
    let r = match input {
        Ok(i) => st.app.allocate_supplies(&actor, &i).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => Ok(Redirect::to("/supplies?done=allocated").into_response()),
        Err(e) => {
            let (status, message) = refused_on_form(e)?;
            let (_, page) = overview(
                &st,
                &actor,
                &OverviewQuery::default(),
                None,
                Some(message),
                Vec::new(),
            )
            .await?;
            Ok((status, render(&page)).into_response())
        }
    }
}

// ---- a store ----

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
    })
}

pub async fn store(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    Query(q): Query<StoreQuery>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let notice = match q.done.as_deref() {
        Some("moved") => Some("已登记".to_string()),
        Some("repeat") => Some("此表单已提交过，未重复登记".to_string()),
        Some("received") => Some("已确认到货并入库".to_string()),
        Some("requested") => Some("已向上一级请领".to_string()),
        Some("need") => Some("已申报需求，计入缺口".to_string()),
        Some("created") => Some("仓库已设立，可登记入库".to_string()),
        _ => None,
    };
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
    Ok(render(&page).into_response())
}

async fn store_refused(
    st: &AppState,
    actor: &Actor,
    id: i64,
    pairs: Vec<(String, String)>,
    e: ServiceError,
) -> Result<Response, PageError> {
    let (status, message) = refused_on_form(e)?;
    let page = store_page(st, actor, id, None, None, pairs, Some(message)).await?;
    Ok((status, render(&page)).into_response())
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
            idempotency_key: opt(&pairs, "idempotency_key"),
            kind: get(&pairs, "kind").into(),
            item_id: number(&pairs, "item_id", "物资")?,
            quantity: number(&pairs, "quantity", "数量")?,
            unit: opt(&pairs, "unit"),
            moved_on: opt(&pairs, "moved_on"),
            to_store_id: opt_number(&pairs, "to_store_id")?,
            counterparty: get(&pairs, "counterparty").into(),
            reason: get(&pairs, "reason").into(),
        })
    })();
    let r = match input {
        Ok(i) => st.app.record_movement(&actor, id, &i).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(m) => {
            let done = if m.created { "moved" } else { "repeat" };
            Ok(Redirect::to(&format!("/supplies/stores/{id}?done={done}")).into_response())
        }
        Err(e) => store_refused(&st, &actor, id, pairs, e).await,
    }
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
            idempotency_key: opt(&pairs, "idempotency_key"),
            jurisdiction_code: place,
            store_id: Some(id),
            item_id: number(&pairs, "need_item_id", "物资")?,
            basis: get(&pairs, "basis").into(),
            quantity: number(&pairs, "need_quantity", "数量")?,
            unit: opt(&pairs, "need_unit"),
            crop: opt(&pairs, "crop"),
            area_mu: opt_number(&pairs, "area_mu")?,
            from_on: get(&pairs, "from_on").into(),
            until_on: opt(&pairs, "until_on"),
            note: get(&pairs, "need_note").into(),
        })
    })();
    let r = match input {
        Ok(i) => st.app.declare_need(&actor, &i).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/supplies/stores/{id}?done=need")).into_response()),
        Err(e) => store_refused(&st, &actor, id, pairs, e).await,
    }
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
            idempotency_key: opt(&pairs, "idempotency_key"),
            store_id: id,
            item_id: number(&pairs, "req_item_id", "物资")?,
            quantity: number(&pairs, "req_quantity", "数量")?,
            unit: opt(&pairs, "req_unit"),
            needed_by: opt(&pairs, "needed_by"),
            reason: get(&pairs, "req_reason").into(),
            requested_on: None,
        })
    })();
    let r = match input {
        Ok(i) => st.app.request_supplies(&actor, &i).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/supplies/stores/{id}?done=requested")).into_response()),
        Err(e) => store_refused(&st, &actor, id, pairs, e).await,
    }
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
        received_on: opt(&pairs, "received_on"),
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

// ---- spring farming ----

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
    let (f, mut error, mut status) = match st.app.spring_farming(actor, &asked).await {
        Ok(f) => (f, None, StatusCode::OK),
        Err(e @ ServiceError::Invalid { .. }) => (
            st.app
                .spring_farming(actor, &FarmQuery { as_of: None, place })
                .await?,
            Some(e.to_string()),
            crate::error::status_of(&e),
        ),
        Err(e) => return Err(e.into()),
    };
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
    let notice = match q.done.as_deref() {
        Some("plan") => Some("已保存春耕计划".to_string()),
        Some("progress") => Some("已填报备耕进度".to_string()),
        _ => None,
    };
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
    let as_of = opt(&pairs, "as_of");
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
    let as_of = opt(&pairs, "as_of");
    let input = (|| -> Result<FarmProgressInput, ServiceError> {
        Ok(FarmProgressInput {
            reported_on: opt(&pairs, "reported_on"),
            prepared_mu: number(&pairs, "prepared_mu", "已备耕面积")?,
            sown_mu: match opt(&pairs, "sown_mu") {
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
