//! The checkpoint part of the Haixi 2020 demo: checkpoints on the real roads through the
//! prefecture — the throat into Tibet (G109 south of Golmud) and Xinjiang (G315 west of
//! Huatugou), G215 north of Da Qaidam toward Dunhuang, G6 and G109 at Delingha and Chaka —
//! with the railway stations and Golmud airport; two shifts a day over the last two weeks
//! with people of the county on duty; and passages from 2020-01-25 to 2020-03-13, busiest
//! at the Golmud and Delingha exits, most let through, some turned back, a few with a fever
//! held for observation or sent to quarantine. Travellers bound for a grid or village of
//! the prefecture are handed over to it and acknowledged within minutes to a few hours (some
//! after the two hours allowed); those of the last evening still wait. The account
//! `checkpoint_worker` works at 格尔木南出口. Deterministic.

use super::gen::{day, resident_id, Lcg};
use crate::ServiceResult;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use dualtrack_domain::checkpoints::{is_fever, receiving_place, FEVER_TENTHS};
use dualtrack_domain::jurisdiction::{Code, Scope};
use dualtrack_store::checkpoints::{
    self as store, NewCheckpoint, NewPassage, NewShift, NewTraveller,
};
use dualtrack_store::handovers::{self, NewHandover};
use dualtrack_store::Tx;
use std::collections::HashMap;

/// (name, road, place, jurisdiction, kind, weight of traffic)
pub const CHECKPOINTS: &[(&str, &str, &str, &str, &str, u32)] = &[
    (
        "格尔木南出口",
        "G109 京拉线",
        "格尔木市区南出城处，往纳赤台、拉萨方向",
        "632801100",
        "road",
        10,
    ),
    (
        "格尔木东出口",
        "G6 京藏高速",
        "格尔木东收费站，往诺木洪、都兰方向",
        "632801100",
        "road",
        8,
    ),
    (
        "察尔汗检查站",
        "G3011 柳格高速",
        "察尔汗盐湖北，往大柴旦、敦煌方向",
        "632801400",
        "road",
        5,
    ),
    (
        "唐古拉山检查站",
        "G109 京拉线",
        "唐古拉山镇，青藏两省区交界前",
        "632801101",
        "road",
        3,
    ),
    (
        "格尔木火车站",
        "青藏铁路",
        "格尔木站出站口",
        "632801",
        "station",
        4,
    ),
    (
        "格尔木机场",
        "民航",
        "格尔木机场到达厅",
        "632801",
        "airport",
        2,
    ),
    (
        "德令哈东出口",
        "G6 京藏高速",
        "德令哈东收费站，往乌兰、西宁方向",
        "632802100",
        "road",
        8,
    ),
    (
        "德令哈火车站",
        "青藏铁路",
        "德令哈站出站口",
        "632802003",
        "station",
        3,
    ),
    (
        "花土沟西出口",
        "G315 西莎线",
        "花土沟镇西，往依吞布拉克、若羌方向",
        "632803100",
        "road",
        5,
    ),
    (
        "依吞布拉克检查站",
        "G315 西莎线",
        "茫崖镇依吞布拉克，青新两省区交界",
        "632803101",
        "road",
        4,
    ),
    (
        "大柴旦北出口",
        "G215 马宁线",
        "柴旦镇北，往当金山口、敦煌方向",
        "632857100",
        "road",
        4,
    ),
    (
        "茶卡东入口",
        "G109 京拉线",
        "茶卡镇东，自共和方向入州",
        "632821101",
        "road",
        6,
    ),
    (
        "香日德检查站",
        "G109 京拉线",
        "香日德镇东，往都兰、格尔木方向",
        "632822101",
        "road",
        3,
    ),
    (
        "天峻新源检查站",
        "G315 西莎线",
        "新源镇东，自刚察方向入县",
        "632823100",
        "road",
        2,
    ),
];

/// Where travellers came from: (origin, area code of their ID numbers).
const ORIGINS: &[(&str, &str)] = &[
    ("青海省西宁市", "630102"),
    ("格尔木市", "632801"),
    ("德令哈市", "632802"),
    ("甘肃省敦煌市", "620982"),
    ("新疆若羌县", "652824"),
    ("西藏自治区拉萨市", "540102"),
    ("青海省海南州共和县", "632521"),
    ("四川省成都市", "510104"),
    ("茫崖市", "632803"),
];

/// Where they were going, outside the region (inside it, a town of the demo is chosen).
const OUTSIDE: &[&str] = &[
    "西藏自治区拉萨市",
    "西藏自治区那曲市",
    "新疆若羌县",
    "甘肃省敦煌市",
    "青海省西宁市",
];

const TOWNS: &[(&str, &str)] = &[
    ("632801001", "昆仑路街道"),
    ("632801002", "黄河路街道"),
    ("632801100", "郭勒木德镇"),
    ("632802001", "河西街道"),
    ("632802100", "尕海镇"),
    ("632803100", "花土沟镇"),
    ("632821100", "希里沟镇"),
    ("632822101", "香日德镇"),
    ("632857100", "柴旦镇"),
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "马", "韩", "才让", "多杰", "冶", "杨", "赵", "周", "索南",
];
const GIVEN: &[&str] = &[
    "建国", "海军", "秀英", "卓玛", "永福", "德吉", "志强", "玉兰", "文明", "桂花", "明", "平",
];
const REASONS: &[&str] = &[
    "返岗复工",
    "运输物资",
    "返乡",
    "就医",
    "探亲",
    "公务",
    "运输盐湖产品",
];
const PROVINCE_PLATES: &[&str] = &["青H", "青H", "青H", "青A", "藏A", "新M", "甘F", "青B"];

fn id_number(area: &str, i: u64) -> String {
    let birth = NaiveDate::from_ymd_opt(1955, 1, 1).unwrap_or_default()
        + Duration::days((i * 2_731 % 20_000) as i64);
    resident_id(area, birth, i)
}

/// Loads the checkpoints, shifts and passages; returns the number of passages.
pub async fn load(tx: &mut Tx, now: DateTime<Utc>) -> ServiceResult<usize> {
    let first = day(1, 25);
    let last = day(3, 13);
    let mut ids = Vec::new();
    for (name, road, place, code, kind, weight) in CHECKPOINTS {
        let id = store::insert_checkpoint(
            tx,
            &NewCheckpoint {
                name: name.to_string(),
                road: road.to_string(),
                place: place.to_string(),
                jurisdiction_code: code.to_string(),
                kind: kind.to_string(),
                active_from: first,
                active_until: None,
                created_by: "demo".into(),
            },
            now,
        )
        .await?;
        ids.push((id, *code, *weight, *kind));
    }
    if let Some(user) = store::user_id(tx, "checkpoint_worker").await? {
        store::assign_staff(tx, user, ids[0].0).await?;
    }

    // Two shifts a day over the last two weeks, three people of the county on each.
    for (id, code, _, _) in &ids {
        let county =
            Code::parse(&code[..6]).map_err(|e| crate::ServiceError::Internal(e.to_string()))?;
        let people = store::people_in(tx, &Scope::Under(county), 12).await?;
        if people.is_empty() {
            continue;
        }
        for d in 0..14 {
            let date = last - Duration::days(13 - d);
            for (s, (from, to)) in [("08:00", "20:00"), ("20:00", "08:00")]
                .into_iter()
                .enumerate()
            {
                let k = (d as usize * 2 + s) * 3;
                let on_duty: Vec<i64> = (0..3).map(|j| people[(k + j) % people.len()]).collect();
                store::insert_shift(
                    tx,
                    &NewShift {
                        checkpoint_id: *id,
                        shift_date: date,
                        starts_at: from.into(),
                        ends_at: to.into(),
                        note: String::new(),
                        created_by: "demo".into(),
                        people: on_duty,
                    },
                    now,
                )
                .await?;
            }
        }
    }

    // Passages: traffic falls after the Spring Festival lockdown and picks up with the
    // return to work in March.
    let mut rng = Lcg(20200125);
    // Destinations inside the region name a grid or a village of the town; the hand-over
    // goes to the grid, or to the village when it has several.
    let mut places = HashMap::new();
    for (code, _) in TOWNS {
        let villages = handovers::places_under(tx, code, 12).await?;
        let grids = handovers::places_under(tx, code, 15).await?;
        places.insert(*code, (villages, grids));
    }
    let mut passages = Vec::new();
    let mut person = 0u64;
    let days = (last - first).num_days() + 1;
    for d in 0..days {
        let date = first + Duration::days(d);
        let factor = if d < 10 {
            3
        } else if d < 30 {
            2
        } else {
            3
        };
        for (id, code, weight, kind) in &ids {
            let n = u64::from(*weight) * factor * 7 / 10 + rng.next(3);
            for _ in 0..n {
                let hour = 6 + rng.next(16) as u32;
                let minute = rng.next(60) as u32;
                let local = date.and_hms_opt(hour, minute, 0).unwrap_or_default();
                let passed_at = Utc.from_utc_datetime(&(local - Duration::hours(8)));
                // Now and then someone from Wuhan, sent to quarantine whatever their temperature.
                let (origin, area) = if rng.next(250) == 0 {
                    ("湖北省武汉市", "420106")
                } else {
                    *rng.pick(ORIGINS)
                };
                // At the stations and the airport most come on foot.
                let walking = *kind != "road" && rng.next(4) > 0;
                let vehicle = !walking;
                let class =
                    ["car", "car", "car", "truck", "truck", "bus", "other"][rng.next(7) as usize];
                let persons = match (vehicle, class) {
                    (false, _) => 1,
                    (true, "truck") => 1 + rng.next(2),
                    (true, "bus") => 4 + rng.next(5),
                    _ => 1 + rng.next(3),
                };
                let inside = rng.next(3) > 0;
                let (dest_code, dest_text) = if inside {
                    let (code, name) = *rng.pick(TOWNS);
                    let (villages, grids) = &places[code];
                    let pick = |list: &[(String, String)], n: u64| {
                        list.get(n as usize % list.len().max(1)).cloned()
                    };
                    let dest = if rng.next(2) == 0 {
                        pick(grids, rng.next(1000))
                    } else {
                        pick(villages, rng.next(1000))
                    };
                    match dest {
                        Some((c, n)) => (Some(c), format!("{name}{n}")),
                        None => (Some(code.to_string()), name.to_string()),
                    }
                } else {
                    (None, rng.pick(OUTSIDE).to_string())
                };
                let mut travellers = Vec::new();
                for j in 0..persons {
                    person += 1;
                    let fever_roll = rng.next(400);
                    let temperature = if fever_roll == 0 {
                        FEVER_TENTHS + rng.next(12) as i32
                    } else {
                        360 + rng.next(10) as i32
                    };
                    let fever = is_fever(temperature);
                    let outcome = if fever {
                        if rng.next(2) == 0 {
                            "observation"
                        } else {
                            "quarantine"
                        }
                    } else if origin == "湖北省武汉市" {
                        "quarantine"
                    } else if (5..30).contains(&d) && rng.next(12) == 0 {
                        "turned_back"
                    } else {
                        "through"
                    };
                    let name = rng.name(SURNAMES, GIVEN);
                    // Acknowledged within minutes to a few hours (some late); the last
                    // evening's still waiting.
                    let handover = match &dest_code {
                        Some(dc) if outcome != "turned_back" => {
                            let to_code = if dc.len() == 12 {
                                let (_, grids) = &places[&dc[..9]];
                                let under: Vec<String> = grids
                                    .iter()
                                    .filter(|(g, _)| g.starts_with(dc.as_str()))
                                    .map(|(g, _)| g.clone())
                                    .collect();
                                match Code::parse(dc) {
                                    Ok(c) => receiving_place(&c, &under),
                                    Err(_) => dc.clone(),
                                }
                            } else {
                                dc.clone()
                            };
                            let due_at = passed_at + Duration::hours(2);
                            let pending = d == days - 1 && hour >= 18;
                            let slow = rng.next(8) == 0;
                            let acknowledged = (!pending).then(|| {
                                let wait = 10 + rng.next(if slow { 300 } else { 100 });
                                (
                                    passed_at + Duration::minutes(wait as i64),
                                    "demo".to_string(),
                                )
                            });
                            Some(NewHandover {
                                to_code,
                                due_at,
                                acknowledged,
                            })
                        }
                        _ => None,
                    };
                    travellers.push(NewTraveller {
                        is_driver: vehicle && j == 0,
                        name,
                        id_number: id_number(area, person),
                        phone: Some(format!("139{:08}", (person * 7_919) % 100_000_000)),
                        temperature,
                        fever,
                        outcome: outcome.into(),
                        destination_code: dest_code.clone(),
                        destination_text: dest_text.clone(),
                        handover,
                        // Sealed after loading, with the rest of the demo's rows.
                        id_bidx: None,
                        enc_key: None,
                    });
                }
                let plate = vehicle
                    .then(|| format!("{}·{:05}", rng.pick(PROVINCE_PLATES), rng.next(100_000)));
                let origin_code = area.starts_with("6328").then(|| area.to_string());
                passages.push(NewPassage {
                    checkpoint_id: *id,
                    jurisdiction_code: code.to_string(),
                    passed_at,
                    pass_date: date,
                    plate,
                    vehicle_class: vehicle.then(|| class.to_string()),
                    origin_code,
                    origin_text: origin.to_string(),
                    travel_history: format!("14 天内在{origin}"),
                    reason: rng.pick(REASONS).to_string(),
                    idempotency_key: None,
                    recorded_by: "demo".into(),
                    travellers,
                });
            }
        }
    }
    passages.extend(evening_arrivals(ids[0].0, ids[0].1, person));
    store::insert_passages(tx, &passages, now).await?;
    Ok(passages.len())
}

/// Travellers registered at 格尔木南出口 on the evening of the demo's day for 博爱巷第一网格:
/// (hour, minute, name, origin, area of the ID number, plate, temperature in tenths, reason).
/// Their hand-overs are what the grid worker has to acknowledge on that day; the story's
/// records stop before the grid worker does.
type Arrival = (
    u32,
    u32,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i32,
    &'static str,
);

const EVENING_ARRIVALS: &[Arrival] = &[
    (
        19,
        12,
        "马永福",
        "青海省西宁市",
        "630102",
        "青A·37215",
        364,
        "返岗复工",
    ),
    (
        19,
        41,
        "韩玉兰",
        "甘肃省敦煌市",
        "620982",
        "甘F·20871",
        366,
        "探亲",
    ),
];

fn evening_arrivals(checkpoint_id: i64, code: &str, person: u64) -> Vec<NewPassage> {
    let date = super::demo_day();
    let grid = super::monitoring::DEMO_GRID;
    EVENING_ARRIVALS
        .iter()
        .enumerate()
        .map(
            |(i, (hour, minute, name, origin, area, plate, temperature, reason))| {
                let passed_at = super::gen::at(date, *hour, *minute);
                NewPassage {
                    checkpoint_id,
                    jurisdiction_code: code.to_string(),
                    passed_at,
                    pass_date: date,
                    plate: Some(plate.to_string()),
                    vehicle_class: Some("car".into()),
                    origin_code: None,
                    origin_text: origin.to_string(),
                    travel_history: format!("14 天内在{origin}"),
                    reason: reason.to_string(),
                    idempotency_key: None,
                    recorded_by: "checkpoint_worker".into(),
                    travellers: vec![NewTraveller {
                        is_driver: true,
                        name: name.to_string(),
                        id_number: id_number(area, person + 1 + i as u64),
                        phone: Some(format!(
                            "138{:08}",
                            (person + 1 + i as u64) * 7_919 % 100_000_000
                        )),
                        temperature: *temperature,
                        fever: is_fever(*temperature),
                        outcome: "through".into(),
                        destination_code: Some(grid.to_string()),
                        destination_text: "昆仑路街道博爱巷第一网格".into(),
                        id_bidx: None,
                        enc_key: None,
                        handover: Some(NewHandover {
                            to_code: grid.to_string(),
                            due_at: passed_at + Duration::hours(2),
                            acknowledged: None,
                        }),
                    }],
                }
            },
        )
        .collect()
}
