//! The supplies part of the Haixi 2020 demo, from 2020-01-28 to 2020-03-13: the catalogue of
//! prevention materials and farm inputs; the prefecture's reserve at 德令哈, a store in each
//! county, a farm-input station in each town and township, a box at each checkpoint and a
//! point at some grids; masks, disinfectant, thermometers and protective suits sent by the
//! province to the prefecture, allocated down to the counties and on to the checkpoints and
//! grids, and used there day by day (some boxes running low by mid-March); and spring
//! farming: planned areas by crop (wolfberry around 诺木洪 and 怀头他拉, highland barley and
//! rape elsewhere), the townships' needs of fertiliser, seed, film and fuel by crop area,
//! potash from 察尔汗 and other inputs received by the county stores, requests from the
//! townships, allocations and arrivals, issues to the cooperatives, and weekly progress.
//!
//! Everything is simulated day by day with the balance of every store and item, so no
//! movement takes a store below zero; the movements are written in bulk and the balances
//! and the per-day rollup rebuilt from them once. Deterministic.

use super::gen::{day, Lcg};
use crate::ServiceResult;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use dualtrack_domain::supplies::{Crop, MovementKind, NeedBasis};
use dualtrack_store::supplies::{
    self as store, NewAllocation, NewItem, NewMovement, NewNeed, NewRequest, NewStore,
};
use dualtrack_store::Tx;
use std::collections::{BTreeMap, HashMap};

const BY: &str = "demo";

/// (name, kind, spec, crop, unit, pack unit, pack size, warning days)
type ItemDef = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    Option<&'static str>,
    Option<i64>,
    i64,
);

const ITEMS: &[ItemDef] = &[
    (
        "一次性医用外科口罩",
        "mask",
        "YY 0469",
        None,
        "个",
        Some("箱"),
        Some(2000),
        7,
    ),
    (
        "KN95 防护口罩",
        "mask",
        "GB 2626 KN95",
        None,
        "个",
        Some("箱"),
        Some(400),
        7,
    ),
    (
        "N95 医用防护口罩",
        "mask",
        "GB 19083",
        None,
        "个",
        Some("箱"),
        Some(200),
        7,
    ),
    (
        "84 消毒液",
        "disinfectant",
        "500 毫升/瓶",
        None,
        "瓶",
        Some("箱"),
        Some(24),
        7,
    ),
    (
        "75% 酒精",
        "disinfectant",
        "500 毫升/瓶",
        None,
        "瓶",
        Some("箱"),
        Some(20),
        7,
    ),
    (
        "红外额温枪",
        "thermometer",
        "非接触式",
        None,
        "支",
        None,
        None,
        5,
    ),
    (
        "医用防护服",
        "protective_suit",
        "GB 19082",
        None,
        "套",
        Some("箱"),
        Some(20),
        7,
    ),
    ("护目镜", "goggles", "防雾", None, "副", None, None, 5),
    (
        "医用检查手套",
        "gloves",
        "乳胶",
        None,
        "副",
        Some("盒"),
        Some(100),
        7,
    ),
    (
        "硫酸钾",
        "fertiliser",
        "K₂O 50%，察尔汗产",
        None,
        "公斤",
        Some("袋"),
        Some(50),
        10,
    ),
    (
        "尿素",
        "fertiliser",
        "含氮 46%",
        None,
        "公斤",
        Some("袋"),
        Some(50),
        10,
    ),
    (
        "磷酸二铵",
        "fertiliser",
        "18-46-0",
        None,
        "公斤",
        Some("袋"),
        Some(50),
        10,
    ),
    (
        "枸杞苗",
        "seed",
        "宁杞 7 号",
        Some("wolfberry"),
        "株",
        Some("捆"),
        Some(100),
        10,
    ),
    (
        "青稞种子",
        "seed",
        "柴青 1 号",
        Some("highland_barley"),
        "公斤",
        Some("袋"),
        Some(25),
        10,
    ),
    (
        "油菜种子",
        "seed",
        "青杂 5 号",
        Some("rape"),
        "公斤",
        Some("袋"),
        Some(5),
        10,
    ),
    (
        "农用地膜",
        "film",
        "0.01 毫米",
        None,
        "公斤",
        Some("卷"),
        Some(20),
        10,
    ),
    (
        "吡虫啉",
        "pesticide",
        "10% 可湿性粉剂",
        None,
        "袋",
        Some("箱"),
        Some(50),
        10,
    ),
    ("农用柴油", "fuel", "0 号", None, "升", None, None, 10),
];

// Indexes into ITEMS.
const SURGICAL: usize = 0;
const KN95: usize = 1;
const N95: usize = 2;
const BLEACH: usize = 3;
const ALCOHOL: usize = 4;
const THERMO: usize = 5;
const SUIT: usize = 6;
const GOGGLES: usize = 7;
const GLOVES: usize = 8;
const POTASH: usize = 9;
const UREA: usize = 10;
const DAP: usize = 11;
const SEEDLING: usize = 12;
const BARLEY: usize = 13;
const RAPE: usize = 14;
const FILM: usize = 15;
const PESTICIDE: usize = 16;
const DIESEL: usize = 17;

/// County-level units: (code, store name, weight of prevention materials).
const COUNTIES: &[(&str, &str, i64)] = &[
    ("632801", "格尔木市应急物资储备库", 36),
    ("632802", "德令哈市应急物资储备库", 24),
    ("632803", "茫崖市应急物资储备库", 7),
    ("632821", "乌兰县应急物资储备库", 9),
    ("632822", "都兰县应急物资储备库", 12),
    ("632823", "天峻县应急物资储备库", 6),
    ("632857", "大柴旦行委应急物资储备库", 6),
];

/// Spring-farming plans: (township, crop, planned mu).
const PLANS: &[(&str, &str, i64)] = &[
    ("632822103", "wolfberry", 38_000),
    ("632822103", "highland_barley", 2_000),
    ("632802101", "wolfberry", 16_000),
    ("632802101", "highland_barley", 4_000),
    ("632822101", "highland_barley", 22_000),
    ("632822101", "rape", 9_000),
    ("632822101", "wolfberry", 5_000),
    ("632822102", "highland_barley", 12_000),
    ("632822102", "rape", 6_000),
    ("632822102", "wolfberry", 4_000),
    ("632822100", "wolfberry", 9_000),
    ("632822100", "highland_barley", 6_000),
    ("632821100", "wolfberry", 12_000),
    ("632821100", "highland_barley", 5_000),
    ("632821102", "wolfberry", 8_000),
    ("632821102", "rape", 3_000),
    ("632821103", "highland_barley", 6_000),
    ("632821103", "rape", 4_000),
    ("632821101", "highland_barley", 5_000),
    ("632802100", "wolfberry", 6_000),
    ("632802100", "highland_barley", 3_000),
    ("632802102", "wolfberry", 14_000),
    ("632802102", "highland_barley", 5_000),
    ("632802200", "highland_barley", 2_000),
    ("632802200", "forage", 3_000),
    ("632801100", "wolfberry", 11_000),
    ("632801100", "highland_barley", 2_000),
    ("632801200", "wolfberry", 7_000),
    ("632801200", "highland_barley", 1_500),
    ("632801201", "wolfberry", 3_000),
    ("632801201", "forage", 2_000),
    ("632823100", "forage", 5_000),
    ("632823100", "highland_barley", 1_000),
];

/// Inputs the public stores supply per mu of a crop: (item, kilograms or units per ten mu).
fn inputs_per_ten_mu(crop: &str) -> &'static [(usize, i64)] {
    match crop {
        "wolfberry" => &[
            (POTASH, 60),
            (DAP, 40),
            (UREA, 30),
            (SEEDLING, 60),
            (PESTICIDE, 2),
            (DIESEL, 20),
        ],
        "highland_barley" => &[(BARLEY, 120), (UREA, 50), (DAP, 40), (DIESEL, 25)],
        "rape" => &[(RAPE, 4), (UREA, 50), (DAP, 40), (FILM, 30), (DIESEL, 25)],
        _ => &[(UREA, 30), (DIESEL, 15)],
    }
}

struct Alloc {
    id: i64,
    item: usize,
    to: i64,
    q: i64,
    arrive: NaiveDate,
}

/// The simulation: balances of every store and item, the movements written so far, and
/// deliveries on their way.
struct Sim {
    items: Vec<i64>,
    units: Vec<&'static str>,
    codes: HashMap<i64, String>,
    names: HashMap<i64, String>,
    bal: HashMap<(i64, usize), i64>,
    moves: Vec<NewMovement>,
    pending: Vec<Alloc>,
    received: Vec<(i64, NaiveDate, i64)>,
    /// When the demo is loaded.
    at: DateTime<Utc>,
}

impl Sim {
    #[allow(clippy::too_many_arguments)]
    fn mv(
        &mut self,
        kind: MovementKind,
        item: usize,
        q: i64,
        from: Option<i64>,
        to: Option<i64>,
        on: NaiveDate,
        counterparty: &str,
        allocation: Option<i64>,
    ) {
        let at = from.or(to).unwrap_or_default();
        self.moves.push(NewMovement {
            kind: kind.as_str().into(),
            item_id: self.items[item],
            quantity: q,
            from_store_id: from,
            to_store_id: to,
            jurisdiction_code: self.codes.get(&at).cloned().unwrap_or_default(),
            moved_on: on,
            counterparty: counterparty.into(),
            reason: String::new(),
            allocation_id: allocation,
            entered_quantity: q,
            entered_unit: self.units[item].into(),
            idempotency_key: None,
            recorded_by: BY.into(),
        });
    }

    fn receipt(&mut self, on: NaiveDate, store: i64, item: usize, q: i64, from: &str) {
        if q <= 0 {
            return;
        }
        *self.bal.entry((store, item)).or_default() += q;
        self.mv(
            MovementKind::Receipt,
            item,
            q,
            None,
            Some(store),
            on,
            from,
            None,
        );
    }

    /// Issues up to `q` (what is there); returns what was issued.
    fn issue(&mut self, on: NaiveDate, store: i64, item: usize, q: i64, to: &str) -> i64 {
        let have = self.bal.get(&(store, item)).copied().unwrap_or(0);
        let q = q.min(have);
        if q <= 0 {
            return 0;
        }
        *self.bal.entry((store, item)).or_default() -= q;
        self.mv(
            MovementKind::Issue,
            item,
            q,
            Some(store),
            None,
            on,
            to,
            None,
        );
        q
    }

    fn balance(&self, store: i64, item: usize) -> i64 {
        self.bal.get(&(store, item)).copied().unwrap_or(0)
    }

    /// Allocates up to `q` from one store to another, arriving after `days` days; returns
    /// what was sent.
    #[allow(clippy::too_many_arguments)]
    async fn allocate(
        &mut self,
        tx: &mut Tx,
        on: NaiveDate,
        from: i64,
        to: i64,
        item: usize,
        q: i64,
        days: i64,
        request: Option<i64>,
    ) -> ServiceResult<i64> {
        let have = self.balance(from, item);
        let q = q.min(have);
        if q <= 0 {
            return Ok(0);
        }
        let id = store::insert_allocation(
            tx,
            &NewAllocation {
                request_id: request,
                item_id: self.items[item],
                quantity: q,
                from_store_id: from,
                to_store_id: to,
                from_code: self.codes.get(&from).cloned().unwrap_or_default(),
                jurisdiction_code: self.codes.get(&to).cloned().unwrap_or_default(),
                allocated_on: on,
                note: String::new(),
                created_by: BY.into(),
            },
            self.at,
        )
        .await?;
        *self.bal.entry((from, item)).or_default() -= q;
        let to_name = self.names.get(&to).cloned().unwrap_or_default();
        self.mv(
            MovementKind::Dispatch,
            item,
            q,
            Some(from),
            None,
            on,
            &to_name,
            Some(id),
        );
        self.pending.push(Alloc {
            id,
            item,
            to,
            q,
            arrive: on + Duration::days(days),
        });
        Ok(q)
    }

    /// Deliveries arriving on a day enter their stores.
    fn arrivals(&mut self, on: NaiveDate) {
        let (due, rest): (Vec<Alloc>, Vec<Alloc>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|a| a.arrive <= on);
        self.pending = rest;
        for a in due {
            *self.bal.entry((a.to, a.item)).or_default() += a.q;
            self.mv(
                MovementKind::Arrival,
                a.item,
                a.q,
                None,
                Some(a.to),
                on,
                &format!("调运 {}", a.id),
                Some(a.id),
            );
            self.received.push((a.id, on, a.q));
        }
    }
}

async fn new_store(
    tx: &mut Tx,
    sim: &mut Sim,
    name: &str,
    kind: &str,
    code: &str,
    checkpoint: Option<i64>,
    keeper: &str,
) -> ServiceResult<i64> {
    let id = store::insert_store(
        tx,
        &NewStore {
            name: name.into(),
            kind: kind.into(),
            jurisdiction_code: code.into(),
            checkpoint_id: checkpoint,
            address: String::new(),
            keeper: keeper.into(),
            created_by: BY.into(),
        },
        sim.at,
    )
    .await?;
    sim.codes.insert(id, code.into());
    sim.names.insert(id, name.into());
    Ok(id)
}

const KEEPERS: &[&str] = &[
    "王海军",
    "李春梅",
    "马福成",
    "才让东智",
    "韩玉兰",
    "张建国",
    "冶生福",
    "杨秀英",
];

/// Loads the supplies demo; returns the number of movements.
pub async fn load(tx: &mut Tx, at: DateTime<Utc>) -> ServiceResult<usize> {
    let mut items = Vec::new();
    for (name, kind, spec, crop, unit, pack, size, warn) in ITEMS {
        let category = dualtrack_domain::supplies::ItemKind::parse(kind)
            .map(|k| k.category().as_str())
            .unwrap_or("prevention");
        items.push(
            store::insert_item(
                tx,
                &NewItem {
                    name: name.to_string(),
                    category: category.into(),
                    kind: kind.to_string(),
                    spec: spec.to_string(),
                    crop: crop.map(str::to_string),
                    unit: unit.to_string(),
                    pack_unit: pack.map(str::to_string),
                    pack_size: *size,
                    warn_days: *warn,
                    created_by: BY.into(),
                },
                at,
            )
            .await?,
        );
    }
    let mut sim = Sim {
        items,
        units: ITEMS.iter().map(|i| i.4).collect(),
        codes: HashMap::new(),
        names: HashMap::new(),
        bal: HashMap::new(),
        moves: Vec::new(),
        pending: Vec::new(),
        received: Vec::new(),
        at,
    };
    let mut rng = Lcg(20200128);

    // ---- stores ----
    let prefecture = new_store(
        tx,
        &mut sim,
        "海西州应急物资储备库",
        "prefecture",
        "6328",
        None,
        "海西州应急管理局",
    )
    .await?;
    let mut county_store: BTreeMap<&str, i64> = BTreeMap::new();
    for (i, (code, name, _)) in COUNTIES.iter().enumerate() {
        let id = new_store(
            tx,
            &mut sim,
            name,
            "county",
            code,
            None,
            KEEPERS[i % KEEPERS.len()],
        )
        .await?;
        county_store.insert(code, id);
    }
    let towns = store::towns_in(tx, "6328").await?;
    let mut town_store: BTreeMap<String, i64> = BTreeMap::new();
    for (i, (code, name)) in towns.iter().enumerate() {
        let id = new_store(
            tx,
            &mut sim,
            &format!("{name}农资供应站"),
            "township",
            code,
            None,
            KEEPERS[(i + 3) % KEEPERS.len()],
        )
        .await?;
        town_store.insert(code.clone(), id);
    }
    let mut boxes: Vec<(i64, String)> = Vec::new();
    for (cp, name, code) in store::checkpoints_in(tx).await? {
        let id = new_store(
            tx,
            &mut sim,
            &format!("{name}卡口物资箱"),
            "checkpoint",
            &code,
            Some(cp),
            "值守组长",
        )
        .await?;
        boxes.push((id, code));
    }
    let mut grids: Vec<(i64, String)> = Vec::new();
    let mut grid_rows = Vec::new();
    for (under, n) in [
        ("632801001001", 3),
        ("632802001001", 2),
        ("632822103", 2),
        ("632821100", 1),
    ] {
        grid_rows.extend(store::grids_in(tx, under, n).await?);
    }
    for (code, name) in grid_rows {
        let id = new_store(
            tx,
            &mut sim,
            &format!("{name}物资点"),
            "grid",
            &code,
            None,
            "网格长",
        )
        .await?;
        grids.push((id, code));
    }
    let county_of = |code: &str| county_store.get(&code[..6]).copied();

    // ---- needs ----
    let mut needs = Vec::new();
    for (b, code) in &boxes {
        for (item, per_day) in [(SURGICAL, 24), (KN95, 6), (BLEACH, 2), (GLOVES, 20)] {
            needs.push(NewNeed {
                jurisdiction_code: code.clone(),
                store_id: Some(*b),
                item_id: sim.items[item],
                basis: NeedBasis::Daily.as_str().into(),
                quantity: per_day,
                crop: None,
                area_mu: None,
                from_on: day(1, 28),
                until_on: None,
                note: "卡口两班值守及留观旅客".into(),
                created_by: BY.into(),
            });
        }
    }
    // Farm needs by township, item and crop, from the planned areas.
    let mut farm_need: BTreeMap<(String, usize), i64> = BTreeMap::new();
    for (town, crop, mu) in PLANS {
        for (item, per_ten) in inputs_per_ten_mu(crop) {
            let q = mu * per_ten / 10;
            *farm_need.entry((town.to_string(), *item)).or_default() += q;
            needs.push(NewNeed {
                jurisdiction_code: town.to_string(),
                store_id: None,
                item_id: sim.items[*item],
                basis: NeedBasis::Total.as_str().into(),
                quantity: q,
                crop: Some(crop.to_string()),
                area_mu: Some(*mu),
                from_on: day(2, 10),
                until_on: Some(day(4, 30)),
                note: format!(
                    "{} {mu} 亩春耕",
                    Crop::parse(crop).map(|c| c.zh()).unwrap_or("")
                ),
                created_by: BY.into(),
            });
        }
    }
    store::insert_needs(tx, &needs, at).await?;

    // ---- farm plans and weekly progress ----
    let mut plans = Vec::new();
    for (i, (town, crop, mu)) in PLANS.iter().enumerate() {
        let pace = 85 + (i as i64 * 37 % 30);
        let mut reports = Vec::new();
        for (d, base) in [
            (day(2, 20), 8),
            (day(2, 27), 22),
            (day(3, 5), 41),
            (day(3, 12), 62),
        ] {
            let prepared = mu * base * pace / 10_000;
            let sown = if *crop == "highland_barley" && d >= day(3, 12) {
                prepared / 10
            } else {
                0
            };
            reports.push((d, prepared.min(*mu), sown));
        }
        plans.push((town.to_string(), 2020, crop.to_string(), *mu, reports));
    }
    store::load_plans(tx, &plans, BY, at).await?;

    // ---- day by day ----
    let total_weight: i64 = COUNTIES.iter().map(|c| c.2).sum();
    let mut requests: Vec<(i64, String, usize, i64, i64)> = Vec::new();
    let mut d = day(1, 28);
    let end = day(3, 13);
    while d <= end {
        sim.arrivals(d);
        // The province sends prevention materials to the prefecture three times.
        if [day(1, 28), day(2, 10), day(2, 25)].contains(&d) {
            for (item, q) in [
                (SURGICAL, 240_000),
                (KN95, 40_000),
                (N95, 6_000),
                (BLEACH, 8_000),
                (ALCOHOL, 5_000),
                (THERMO, 900),
                (SUIT, 3_000),
                (GOGGLES, 1_500),
                (GLOVES, 60_000),
            ] {
                sim.receipt(d, prefecture, item, q, "青海省疫情防控物资保障组调拨");
            }
        }
        // The prefecture allocates to the counties the next day, by their weight.
        if [day(1, 29), day(2, 11), day(2, 26)].contains(&d) {
            for item in [
                SURGICAL, KN95, N95, BLEACH, ALCOHOL, THERMO, SUIT, GOGGLES, GLOVES,
            ] {
                let have = sim.balance(prefecture, item);
                for (code, _, w) in COUNTIES {
                    if let Some(c) = county_of(code) {
                        let q = have * 9 / 10 * w / total_weight;
                        sim.allocate(tx, d, prefecture, c, item, q, 1, None).await?;
                    }
                }
            }
        }
        // Donations and purchases of the counties.
        if d == day(2, 5) {
            for (code, _, w) in COUNTIES {
                if let Some(c) = county_of(code) {
                    sim.receipt(d, c, SURGICAL, 2_000 * w, "爱心企业捐赠");
                    sim.receipt(d, c, BLEACH, 30 * w, "县财政采购");
                }
            }
        }
        // Counties restock their checkpoint boxes and grid points every five days (the
        // last round smaller: some boxes run low by mid-March).
        let round = (d - day(1, 30)).num_days();
        if round >= 0 && round % 5 == 0 {
            let share = if d >= day(3, 6) { 5 } else { 10 };
            for (b, code) in &boxes {
                if let Some(c) = county_of(code) {
                    for (item, q) in [
                        (SURGICAL, 180),
                        (KN95, 40),
                        (N95, 10),
                        (BLEACH, 12),
                        (GLOVES, 150),
                        (SUIT, 4),
                    ] {
                        let q = q * share / 10;
                        sim.allocate(tx, d, c, *b, item, q, (rng.next(2)) as i64, None)
                            .await?;
                    }
                    if round == 0 {
                        sim.allocate(tx, d, c, *b, THERMO, 3, 0, None).await?;
                        sim.allocate(tx, d, c, *b, GOGGLES, 6, 0, None).await?;
                    }
                }
            }
            for (g, code) in &grids {
                if let Some(c) = county_of(code) {
                    sim.allocate(tx, d, c, *g, SURGICAL, 150 * share / 10, 1, None)
                        .await?;
                    sim.allocate(tx, d, c, *g, BLEACH, 10, 1, None).await?;
                    if round == 0 {
                        sim.allocate(tx, d, c, *g, THERMO, 2, 1, None).await?;
                    }
                }
            }
        }
        // The last restock of the demo is still on the road on its last day.
        if d == end {
            for (b, code) in boxes.iter().take(4) {
                if let Some(c) = county_of(code) {
                    sim.allocate(tx, d, c, *b, SURGICAL, 200, 1, None).await?;
                    sim.allocate(tx, d, c, *b, BLEACH, 12, 1, None).await?;
                }
            }
        }
        // Day-to-day use at the checkpoints and grids.
        for (b, _) in &boxes {
            let bump = rng.next(8) as i64;
            sim.issue(d, *b, SURGICAL, 30 + bump, "值守人员与留观旅客");
            sim.issue(d, *b, KN95, 6, "值守人员");
            sim.issue(d, *b, GLOVES, 24, "值守人员");
            if rng.next(2) == 0 {
                sim.issue(d, *b, BLEACH, 2, "卡口消杀");
            }
            if rng.next(4) == 0 {
                sim.issue(d, *b, SUIT, 1, "留观转运");
            }
        }
        for (g, _) in &grids {
            sim.issue(d, *g, SURGICAL, 20 + rng.next(10) as i64, "网格员入户摸排");
            if rng.next(3) == 0 {
                sim.issue(d, *g, BLEACH, 1, "小区消杀");
            }
        }
        // Farm inputs reach the county stores from mid-February: potash from 察尔汗.
        if [day(2, 12), day(2, 24), day(3, 4)].contains(&d) {
            for ((town, item), need) in &farm_need {
                if let Some(c) = county_of(town) {
                    let part = match *item {
                        POTASH => 40,
                        SEEDLING | BARLEY | RAPE => 35,
                        _ => 30,
                    };
                    let from = match *item {
                        POTASH => "青海盐湖钾肥股份有限公司（察尔汗）",
                        SEEDLING => "诺木洪枸杞育苗基地",
                        BARLEY | RAPE => "海西州种子站",
                        DIESEL => "中石油格尔木销售分公司",
                        _ => "青海省农业生产资料集团",
                    };
                    sim.receipt(d, c, *item, need * part / 100, from);
                }
            }
        }
        // The townships ask their county for what they need, on 02-15.
        if d == day(2, 15) {
            for ((town, item), need) in &farm_need {
                let Some(s) = town_store.get(town).copied() else {
                    continue;
                };
                let id = store::insert_request(
                    tx,
                    &NewRequest {
                        jurisdiction_code: town.clone(),
                        to_code: town[..6].to_string(),
                        store_id: s,
                        item_id: sim.items[*item],
                        quantity: *need,
                        requested_on: d,
                        needed_by: Some(day(3, 20)),
                        reason: "春耕备耕农资请领".into(),
                        created_by: BY.into(),
                    },
                    at,
                )
                .await?;
                requests.push((id, town.clone(), *item, *need, 0));
            }
        }
        // The counties allocate to the requests as stock comes in.
        if [day(2, 18), day(2, 26), day(3, 6), day(3, 12)].contains(&d) {
            for r in requests.iter_mut() {
                let (id, town, item, need, given) = (r.0, r.1.clone(), r.2, r.3, r.4);
                if given >= need {
                    continue;
                }
                let (Some(c), Some(s)) = (county_of(&town), town_store.get(&town).copied()) else {
                    continue;
                };
                let want = (need * 35 / 100).min(need - given);
                let days = 1 + rng.next(2) as i64;
                let sent = sim
                    .allocate(tx, d, c, s, item, want, days, Some(id))
                    .await?;
                r.4 += sent;
            }
        }
        // Township stations hand inputs to the cooperatives in March.
        if d >= day(3, 2) && (d - day(3, 2)).num_days() % 3 == 0 {
            for (town, s) in &town_store {
                for item in [POTASH, UREA, DAP, SEEDLING, BARLEY, RAPE, FILM, DIESEL] {
                    let have = sim.balance(*s, item);
                    if have > 0 {
                        let who = if town == "632822103" {
                            "诺木洪枸杞种植专业合作社"
                        } else if town == "632802101" {
                            "怀头他拉枸杞种植专业合作社"
                        } else {
                            "种植专业合作社"
                        };
                        sim.issue(d, *s, item, have * 2 / 5, who);
                    }
                }
            }
        }
        d += Duration::days(1);
    }
    // Requests: allocated in full, partly, or still waiting.
    for (id, _, _, need, given) in &requests {
        if *given > 0 {
            let status = if given >= need { "allocated" } else { "partly" };
            store::add_allocated(tx, *id, *given, status, "open").await?;
        }
    }
    for (id, on, q) in &sim.received {
        store::mark_received(tx, *id, *on, *q, BY, "").await?;
    }
    store::insert_movements(tx, &sim.moves, at).await?;
    store::rebuild_balances(tx).await?;
    Ok(sim.moves.len())
}
