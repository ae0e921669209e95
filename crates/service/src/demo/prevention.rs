//! The prevention part of the Haixi 2020 demo. The field report counts 815 grids under the
//! prefecture's 35 towns and townships and 295 village party organisations: the demo draws
//! grids under its villages that have none yet, round and round, until the tree holds 815,
//! each with a leader and a worker from the people registry; then a few households per grid and the persons screened
//! in them from late January, some back from Hubei (high risk under the prefecture's risk
//! area of Hubei from 2020-01-23), two screening rounds, publicity and stability records, and
//! each grid's daily reports from 2020-01-25 to 2020-03-13 with some late and some missing.
//! Deterministic: the same records every time.

use super::gen::resident_id;
use crate::prevention::classify;
use crate::ServiceResult;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use dualtrack_domain::divisions::Division;
use dualtrack_domain::filings::report_deadline;
use dualtrack_domain::jurisdiction::in_subtree;
use dualtrack_domain::jurisdiction::{Code, Level};
use dualtrack_domain::prevention::{RiskLevel, RiskRule, TravelStop};
use dualtrack_store::prevention::{self as store, DayFigures, NewGridReport, NewScreened};
use dualtrack_store::sealing::SealedText;
use dualtrack_store::Tx;
use std::collections::{BTreeMap, HashMap};

/// Grids in Haixi according to the field report.
pub const GRIDS_TOTAL: usize = 815;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "马", "赵", "祁", "才让", "索南", "多杰", "韩", "周",
];
const GIVEN: &[&str] = &[
    "建华", "秀英", "海龙", "桂兰", "卓玛", "永刚", "玉兰", "德吉", "春梅", "国庆", "宝山", "雪梅",
    "文军", "措姆",
];
const STREETS: &[&str] = &[
    "团结路",
    "昆仑路",
    "柴达木路",
    "河西街",
    "光明巷",
    "建设路",
    "幸福巷",
];
/// Where people came back from, with the province code (42 = Hubei).
const ORIGINS: &[&str] = &[
    "630100", "620100", "510100", "610100", "420100", "421000", "130100",
];
const PUBLICITY: &[(&str, &str)] = &[
    ("防控明白纸", "入户发放"),
    ("大喇叭广播", "村委会"),
    ("宣传横幅", "小区门口"),
    ("微信群推送", "网格微信群"),
];

fn mix(a: u64, b: u64) -> u64 {
    let mut x = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_add(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 29)
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

fn id_number(county: &str, i: u64) -> String {
    let birth = day("1950-01-01") + Duration::days((mix(i, 7) % 21_000) as i64);
    resident_id(county, birth, mix(i, 11))
}

/// Loads the prevention demo; returns the number of grids in the tree.
pub async fn load(tx: &mut Tx, now: DateTime<Utc>) -> ServiceResult<usize> {
    let existing = store::nodes_at_level_tx(tx, super::HAIXI, Level::Grid.rank()).await?;
    // Villages that have grids already keep them as they are.
    let villages: Vec<(String, String)> =
        store::nodes_at_level_tx(tx, super::HAIXI, Level::Village.rank())
            .await?
            .into_iter()
            .filter(|(v, _)| !existing.iter().any(|(g, _)| in_subtree(g, v.as_str())))
            .collect();
    let mut next: BTreeMap<String, u16> = villages.iter().map(|(c, _)| (c.clone(), 1)).collect();
    for (g, _) in &existing {
        let n = g[12..].parse::<u16>().unwrap_or(0);
        if let Some(v) = next.get_mut(&g[..12]) {
            *v = (*v).max(n + 1);
        }
    }
    let mut new_grids = Vec::new();
    let mut i = 0usize;
    while !villages.is_empty() && existing.len() + new_grids.len() < GRIDS_TOTAL {
        let (village, name) = &villages[i % villages.len()];
        i += 1;
        let n = next.get(village).copied().unwrap_or(1);
        next.insert(village.clone(), n + 1);
        let Some(code) = Code::parse(village).ok().and_then(|v| v.grid(n)) else {
            continue;
        };
        let short = name.trim_end_matches("居委会").trim_end_matches("村委会");
        new_grids.push(Division {
            code,
            name: format!("{short}第{n}网格"),
            level: Level::Grid,
        });
    }
    dualtrack_store::jurisdiction::insert_divisions(tx, &new_grids).await?;
    let grids = store::nodes_at_level_tx(tx, super::HAIXI, Level::Grid.rank()).await?;

    // Leaders and workers from the people registry, of the grid's county where there are any.
    let people = store::people_in_tx(tx, super::HAIXI).await?;
    let mut by_county: HashMap<&str, Vec<i64>> = HashMap::new();
    for (id, code) in &people {
        by_county
            .entry(&code[..6.min(code.len())])
            .or_default()
            .push(*id);
    }
    let joined = day("2020-01-25");
    let mut members = Vec::new();
    for (k, (g, _)) in grids.iter().enumerate() {
        let pool = by_county
            .get(&g[..6])
            .filter(|p| p.len() >= 2)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if pool.is_empty() {
            continue;
        }
        let a = pool[(k * 2) % pool.len()];
        let b = pool[(k * 2 + 1) % pool.len()];
        members.push((g.clone(), a, "leader", joined));
        if b != a {
            members.push((g.clone(), b, "worker", joined));
        }
    }
    store::add_members(tx, &members).await?;

    // Households, three or four a grid.
    let mut households = Vec::new();
    for (k, (g, _)) in grids.iter().enumerate() {
        let n = 3 + (mix(k as u64, 1) % 2) as usize;
        for h in 0..n {
            let s = mix(k as u64, h as u64 + 100);
            households.push((
                g.clone(),
                format!(
                    "{}{}号{}单元",
                    STREETS[(s % STREETS.len() as u64) as usize],
                    1 + s % 120,
                    1 + h
                ),
                format!(
                    "{}{}",
                    SURNAMES[(s >> 8) as usize % SURNAMES.len()],
                    GIVEN[(s >> 16) as usize % GIVEN.len()]
                ),
            ));
        }
    }
    let ids = store::insert_households_batch(tx, &households, now).await?;

    // Two rounds of visits, and the persons screened at the first visit.
    let rules = [RiskRule {
        region_code: "42".into(),
        from_on: day("2020-01-23"),
        until_on: None,
        level: RiskLevel::High,
    }];
    let rounds = [
        (
            "第一轮全面摸排",
            day("2020-01-25"),
            day("2020-02-05"),
            95u64,
        ),
        (
            "第二轮返岗返工摸排",
            day("2020-02-10"),
            day("2020-02-29"),
            85u64,
        ),
    ];
    let mut visits = Vec::new();
    let mut persons = Vec::new();
    let mut figures: HashMap<(String, NaiveDate), DayFigures> = HashMap::new();
    for (k, ((grid, _, head), hid)) in households.iter().zip(&ids).enumerate() {
        let k = k as u64;
        let mut first: Option<NaiveDate> = None;
        for (r, (_, from, to, share)) in rounds.iter().enumerate() {
            if mix(k, 200 + r as u64) % 100 >= *share {
                continue;
            }
            let span = (*to - *from).num_days() as u64 + 1;
            let on = *from + Duration::days((mix(k, 300 + r as u64) % span) as i64);
            visits.push((*hid, grid.clone(), on));
            first.get_or_insert(on);
        }
        let Some(on) = first else { continue };
        let count = 1 + (mix(k, 400) % 2);
        for p in 0..count {
            let s = mix(k, 500 + p);
            let seq = k * 2 + p;
            let (kind, came_from, arrived) = match s % 10 {
                0..=5 => ("resident", None, None),
                6 | 7 => {
                    let origin = ORIGINS[(s >> 8) as usize % ORIGINS.len()];
                    let back = on - Duration::days(((s >> 16) % 10) as i64);
                    ("returned", Some(origin.to_string()), Some(back))
                }
                8 => ("back_to_work", Some("630100".to_string()), Some(on)),
                _ => (
                    "outsider",
                    Some("620100".to_string()),
                    Some(on - Duration::days(2)),
                ),
            };
            let travel: Vec<TravelStop> = came_from
                .iter()
                .zip(arrived)
                .map(|(c, a)| TravelStop {
                    code: c.clone(),
                    date: a - Duration::days(1),
                })
                .collect();
            let level = classify(
                &rules,
                came_from.as_deref().zip(arrived),
                &travel,
                false,
                on,
            );
            let name = if p == 0 {
                head.clone()
            } else {
                format!(
                    "{}{}",
                    &SURNAMES[(s >> 4) as usize % SURNAMES.len()],
                    GIVEN[(s >> 12) as usize % GIVEN.len()]
                )
            };
            let f = figures.entry((grid.clone(), on)).or_default();
            f.screened += 1;
            if level == RiskLevel::High {
                f.high_risk += 1;
            }
            if let Some(a) = arrived {
                figures.entry((grid.clone(), a)).or_default().arrivals += 1;
            }
            persons.push(NewScreened {
                household_id: *hid,
                grid_code: grid.clone(),
                name: SealedText::stored(name),
                id_number: SealedText::stored(id_number(&grid[..6], seq)),
                phone: Some(SealedText::stored(format!(
                    "139{:08}",
                    mix(seq, 9) % 100_000_000
                ))),
                kind: kind.into(),
                came_from,
                arrived_on: arrived,
                travel: serde_json::to_string(&travel).unwrap_or_else(|_| "[]".into()),
                risk_contact: false,
                risk_level: level.as_str().into(),
                screened_on: on,
                screened_by: "demo".into(),
                id_bidx: None,
                enc_key: None,
            });
        }
    }
    store::insert_visits_many(tx, &visits, "demo", now).await?;
    store::insert_screened_many(tx, &persons, now).await?;

    // Publicity twice a grid; a dispute in every twelfth grid.
    let mut publicity = Vec::new();
    for (k, (g, _)) in grids.iter().enumerate() {
        for j in 0..2u64 {
            let s = mix(k as u64, 600 + j);
            let on = day("2020-01-26") + Duration::days((s % 40) as i64);
            let (what, place) = PUBLICITY[(s >> 8) as usize % PUBLICITY.len()];
            publicity.push((g.clone(), on, what, place, (s >> 16) as i64 % 200, 1));
            figures.entry((g.clone(), on)).or_default().publicity += 1;
        }
    }
    store::insert_publicity_many(tx, &publicity, "demo", now).await?;
    for (k, (g, _)) in grids.iter().enumerate().filter(|(k, _)| k % 12 == 5) {
        let on = day("2020-02-01") + Duration::days((mix(k as u64, 700) % 30) as i64);
        let resolved = !mix(k as u64, 701).is_multiple_of(3);
        store::insert_stability(
            tx,
            g,
            on,
            "dispute",
            "返乡人员居家观察期间与邻居因出入发生口角",
            "网格长上门调解，讲清防控要求",
            if resolved { "resolved" } else { "open" },
            "demo",
            now,
        )
        .await?;
        figures.entry((g.clone(), on)).or_default().incidents += 1;
    }

    // Rounds over the whole prefecture and the Hubei risk area.
    for (name, from, to, _) in rounds {
        store::insert_round(tx, super::HAIXI, name, from, to, "demo", now).await?;
    }
    store::insert_risk_area(
        tx,
        &store::NewRiskArea {
            jurisdiction_code: super::HAIXI.into(),
            region_code: "42".into(),
            region_name: "湖北省".into(),
            from_on: day("2020-01-23"),
            until_on: None,
            level: "high".into(),
            set_by: "demo".into(),
        },
        now,
    )
    .await?;

    // Daily reports: most by the morning after; about one in twenty late, one in thirty missing.
    let mut reports = Vec::new();
    let mut d = day("2020-01-25");
    while d <= day("2020-03-13") {
        let deadline = report_deadline(d, crate::prevention::DEFAULT_GRID_REPORT_DUE_HOUR);
        for (k, (g, _)) in grids.iter().enumerate() {
            let s = mix(
                k as u64,
                d.to_string().len() as u64 * 1000 + d.ordinal() as u64,
            );
            if s.is_multiple_of(30) {
                continue;
            }
            let filed_at = if s % 20 == 1 {
                deadline + Duration::minutes(30 + (s >> 8) as i64 % 300)
            } else {
                deadline - Duration::minutes(60 + (s >> 8) as i64 % 240)
            };
            let f = figures.get(&(g.clone(), d)).copied().unwrap_or_default();
            reports.push(NewGridReport {
                grid_code: g.clone(),
                report_date: d,
                figures: f,
                zero_report: f == DayFigures::default(),
                remarks: String::new(),
                filed_by: "demo".into(),
                filed_at,
                made_at: None,
            });
        }
        d += Duration::days(1);
    }
    store::insert_reports_many(tx, &reports).await?;
    Ok(grids.len())
}
