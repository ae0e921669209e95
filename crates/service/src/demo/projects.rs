//! The major projects and key production of the Haixi 2020 demo.
//!
//! 25 major projects of the 2020 plan in the real counties: roads, solar and wind, salt-lake
//! chemicals, water works, housing. The Golmud–Lao Mangya road (格尔木至老茫崖公路) started
//! on 2020-02-28, as the field report says, and no other project started that day, so the
//! start rate as of 2020-02-28 differs from that of 2020-02-27 by that project alone.
//! Investment progress (cumulative for the year) runs through March. Places are real;
//! amounts and dates other than the road's are illustrative.
//!
//! Key plants: the Qarhan (察尔汗) potash plants of 格尔木 at full capacity, the soda ash
//! plant of 德令哈 and the sulphate of potash plant of 大浪滩 (茫崖) ramping up, with daily
//! output from 2020-02-01 to 2020-03-13 and shipments to the provinces preparing for
//! spring ploughing (Hubei from March).

use super::gen::day;
use crate::ServiceResult;
use chrono::{DateTime, Datelike, Duration, Utc};
use dualtrack_store::projects::{self as store, NewPlant, NewProject, NewShipment};
use dualtrack_store::Tx;

/// (name, place, category, owner, total 万元, annual plan 万元, planned start, actual start,
/// carried over and restarted).
type Project = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i64,
    i64,
    (u32, u32),
    Option<(u32, u32)>,
    bool,
);

/// The day the report names: 格尔木至老茫崖公路 started.
pub const ROAD: &str = "格尔木至老茫崖公路";
pub const ROAD_START: (u32, u32) = (2, 28);

const PROJECTS: &[Project] = &[
    (
        ROAD,
        "632801",
        "transport",
        "海西州交通运输局",
        406_000,
        90_000,
        (2, 28),
        Some(ROAD_START),
        false,
    ),
    (
        "察尔汗盐湖钾肥装置节能改造项目",
        "632801",
        "industry",
        "察尔汗盐湖钾肥企业",
        56_000,
        30_000,
        (2, 15),
        Some((2, 17)),
        true,
    ),
    (
        "格尔木年产2万吨电池级碳酸锂项目",
        "632801",
        "industry",
        "格尔木锂业企业",
        120_000,
        60_000,
        (2, 20),
        Some((2, 21)),
        true,
    ),
    (
        "格尔木东出口500兆瓦光伏发电项目",
        "632801",
        "energy",
        "格尔木光伏发电企业",
        210_000,
        150_000,
        (3, 15),
        Some((3, 12)),
        false,
    ),
    (
        "那棱格勒河水利枢纽工程",
        "632801",
        "water",
        "海西州水利局",
        460_000,
        80_000,
        (3, 1),
        Some((3, 5)),
        true,
    ),
    (
        "格尔木市老旧小区改造工程",
        "632801",
        "livelihood",
        "格尔木市住房和城乡建设局",
        18_000,
        18_000,
        (3, 20),
        Some((3, 23)),
        false,
    ),
    (
        "格尔木330千伏输变电工程",
        "632801",
        "energy",
        "海西供电企业",
        32_000,
        25_000,
        (4, 1),
        None,
        false,
    ),
    (
        "G109线格尔木过境段改建工程",
        "632801",
        "transport",
        "格尔木市交通运输局",
        98_000,
        40_000,
        (3, 10),
        Some((3, 16)),
        true,
    ),
    (
        "德令哈200兆瓦光伏发电项目",
        "632802",
        "energy",
        "德令哈光伏发电企业",
        140_000,
        100_000,
        (3, 10),
        Some((3, 18)),
        false,
    ),
    (
        "德令哈100兆瓦风电场项目",
        "632802",
        "energy",
        "德令哈风电企业",
        75_000,
        60_000,
        (4, 10),
        None,
        false,
    ),
    (
        "德令哈纯碱装置技术改造项目",
        "632802",
        "industry",
        "德令哈碱业企业",
        45_000,
        20_000,
        (2, 20),
        Some((2, 24)),
        true,
    ),
    (
        "巴音河德令哈城区段防洪治理工程",
        "632802",
        "water",
        "德令哈市水利局",
        26_000,
        12_000,
        (3, 15),
        Some((3, 20)),
        true,
    ),
    (
        "德令哈城市供水改扩建工程",
        "632802",
        "livelihood",
        "德令哈市住房和城乡建设局",
        15_000,
        9_000,
        (4, 1),
        None,
        false,
    ),
    (
        "德令哈至香日德公路",
        "632802",
        "transport",
        "海西州交通运输局",
        320_000,
        70_000,
        (3, 25),
        Some((3, 31)),
        true,
    ),
    (
        "冷湖天文观测基地配套道路工程",
        "632803",
        "transport",
        "茫崖市交通运输局",
        12_000,
        8_000,
        (4, 15),
        None,
        false,
    ),
    (
        "花土沟镇城镇供水工程",
        "632803",
        "water",
        "茫崖市水利局",
        22_000,
        15_000,
        (3, 20),
        Some((3, 26)),
        false,
    ),
    (
        "大浪滩硫酸钾扩能项目",
        "632803",
        "industry",
        "大浪滩钾肥企业",
        180_000,
        50_000,
        (3, 1),
        Some((3, 3)),
        true,
    ),
    (
        "茶卡盐湖景区提升工程",
        "632821",
        "industry",
        "乌兰县文体旅游广电局",
        30_000,
        10_000,
        (3, 15),
        Some((3, 19)),
        true,
    ),
    (
        "乌兰100兆瓦光伏发电项目",
        "632821",
        "energy",
        "乌兰光伏发电企业",
        60_000,
        45_000,
        (4, 20),
        None,
        false,
    ),
    (
        "诺木洪枸杞产业园建设项目",
        "632822",
        "industry",
        "都兰县农牧和扶贫开发局",
        25_000,
        12_000,
        (3, 10),
        Some((3, 11)),
        false,
    ),
    (
        "香日德农田节水灌溉工程",
        "632822",
        "water",
        "都兰县水利局",
        16_000,
        16_000,
        (3, 25),
        None,
        false,
    ),
    (
        "木里矿区生态环境综合整治工程",
        "632823",
        "ecology",
        "天峻县自然资源局",
        50_000,
        30_000,
        (5, 1),
        None,
        false,
    ),
    (
        "天峻县城集中供热改造工程",
        "632823",
        "livelihood",
        "天峻县住房和城乡建设局",
        9_000,
        9_000,
        (4, 15),
        None,
        false,
    ),
    (
        "锡铁山铅锌矿深部开采工程",
        "632857",
        "industry",
        "锡铁山矿业企业",
        48_000,
        15_000,
        (2, 25),
        Some((2, 26)),
        true,
    ),
    (
        "大柴旦50兆瓦光伏发电项目",
        "632857",
        "energy",
        "大柴旦光伏发电企业",
        35_000,
        30_000,
        (4, 15),
        None,
        false,
    ),
];

/// The days on which projects report their cumulative investment.
const PROGRESS_DAYS: &[(u32, u32)] = &[(2, 15), (2, 29), (3, 15), (3, 31)];

/// (name, place, industry division of its enterprise, product, unit, design capacity per day,
/// ramp: share of capacity on 2020-02-01 in percent, destinations).
type Plant = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i64,
    i64,
    &'static [&'static str],
);

/// Provinces preparing for spring ploughing, those that take most first.
const POTASH_TO: &[&str] = &[
    "23", "22", "41", "37", "15", "21", "45", "53", "65", "13", "34", "32", "51", "43", "62", "63",
    "42",
];
const SODA_TO: &[&str] = &["41", "37", "32", "51", "44", "62", "63", "42"];

const PLANTS: &[Plant] = &[
    (
        "察尔汗钾肥一厂",
        "632801",
        "10",
        "氯化钾",
        "吨",
        9_000,
        97,
        POTASH_TO,
    ),
    (
        "察尔汗钾肥二厂",
        "632801",
        "10",
        "氯化钾",
        "吨",
        6_000,
        97,
        POTASH_TO,
    ),
    (
        "察尔汗钾肥三厂",
        "632801",
        "10",
        "氯化钾",
        "吨",
        4_500,
        96,
        POTASH_TO,
    ),
    (
        "察尔汗硫酸钾镁肥厂",
        "632801",
        "10",
        "硫酸钾镁肥",
        "吨",
        1_500,
        95,
        POTASH_TO,
    ),
    (
        "德令哈纯碱厂",
        "632802",
        "26",
        "纯碱",
        "吨",
        3_600,
        70,
        SODA_TO,
    ),
    (
        "大浪滩硫酸钾厂",
        "632803",
        "10",
        "硫酸钾",
        "吨",
        800,
        60,
        POTASH_TO,
    ),
];

fn is_road(province: &str) -> bool {
    matches!(province, "63" | "62")
}

/// Loads the projects and plants; returns how many of each.
pub async fn load(tx: &mut Tx, now: DateTime<Utc>) -> ServiceResult<(usize, usize)> {
    let mut progress = Vec::new();
    for (name, place, category, owner, total, annual, planned, actual, restart) in PROJECTS {
        let actual_start = actual.map(|(m, d)| day(m, d));
        let id = store::insert_project(
            tx,
            &NewProject {
                name: name.to_string(),
                jurisdiction_code: place.to_string(),
                category: category.to_string(),
                owner: owner.to_string(),
                plan_year: 2020,
                total_investment: *total,
                annual_plan: *annual,
                planned_start: day(planned.0, planned.1),
                actual_start,
                is_restart: *restart,
                status: if actual_start.is_some() {
                    "under_way"
                } else {
                    "planned"
                }
                .into(),
            },
            now,
        )
        .await?;
        // Cumulative investment: a share of the annual plan growing with the days since the
        // start, faster for projects carried over (their sites are ready).
        if let Some(start) = actual_start {
            let per_mille_a_day = if *restart { 5 } else { 3 };
            for (m, d) in PROGRESS_DAYS {
                let on = day(*m, *d);
                if on < start {
                    continue;
                }
                let days = (on - start).num_days() + 1;
                progress.push((id, on, annual * per_mille_a_day * days / 1000));
            }
        }
    }
    store::insert_progress_rows(tx, &progress, "demo", now).await?;

    let mut outputs = Vec::new();
    let mut shipments = Vec::new();
    for (k, (name, place, division, product, unit, capacity, ramp, to)) in PLANTS.iter().enumerate()
    {
        let enterprise = store::enterprise_of(tx, place, division).await?;
        let id = store::insert_plant(
            tx,
            &NewPlant {
                name: name.to_string(),
                enterprise_id: enterprise,
                jurisdiction_code: place.to_string(),
                product: product.to_string(),
                unit: unit.to_string(),
                design_capacity: *capacity,
            },
            now,
        )
        .await?;
        let mut d = day(2, 1);
        let mut i: i64 = 0;
        while d <= day(3, 13) {
            // From the ramp share to full capacity over three weeks, then 96–103 %.
            let base = (ramp + (100 - ramp) * i.min(21) / 21).min(100);
            let wobble = (i * 7 + k as i64 * 3) % 8 - 4 + if base >= 100 { 3 } else { 0 };
            let output = capacity * (base + wobble).max(0) / 100;
            outputs.push((id, d, output));
            // About 95 % of the day's output leaves the same day, to three provinces; Hubei
            // takes deliveries from March.
            let open: Vec<&str> = to
                .iter()
                .copied()
                .filter(|p| *p != "42" || d.month() >= 3)
                .collect();
            let sent = output * 95 / 100;
            let shares = [50, 30, 20];
            let mut left = sent;
            for (j, share) in shares.iter().enumerate() {
                let province = open[(i as usize * 3 + j + k * 5) % open.len()];
                let q = if j == shares.len() - 1 {
                    left
                } else {
                    sent * share / 100
                };
                left -= q;
                if q > 0 {
                    shipments.push(NewShipment {
                        plant_id: id,
                        ship_date: d,
                        province_code: province.to_string(),
                        quantity: q,
                        mode: if is_road(province) { "road" } else { "rail" }.into(),
                        note: String::new(),
                        filed_by: "demo".into(),
                    });
                }
            }
            d += Duration::days(1);
            i += 1;
        }
    }
    store::insert_production(tx, &outputs, &shipments, "demo", now).await?;
    Ok((PROJECTS.len(), PLANTS.len()))
}
