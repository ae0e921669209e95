//! The mobilisation part of the Haixi 2020 demo. Deterministic: the same records every
//! time, so that as of 2020-02-28 the report's figures come out of them — 28 temporary
//! front-line branches, 132 commando teams, 336 volunteer teams, 467 first secretaries and
//! work-team members back early, 222 medical staff applying for the front, over 4,000
//! in-service party members registered with their communities, 102 cadres in 34 work groups
//! stationed in enterprises. Names are made up; ID numbers are valid but belong to no one.

use super::gen::day;
use crate::ServiceResult;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use dualtrack_domain::jurisdiction::in_subtree;
use dualtrack_domain::resident_id::check_char;
use dualtrack_store::mobilisation::{self as store, NewDeployment, NewOrg, NewPerson};
use dualtrack_store::Tx;
use std::collections::HashSet;

const SURNAMES: &[&str] = &[
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "赵",
    "马",
    "周",
    "吴",
    "徐",
    "孙",
    "胡",
    "朱",
    "高",
    "林",
    "何",
    "郭",
    "罗",
    "韩",
    "祁",
    "才让",
    "索南",
    "多杰",
    "巴图",
    "格日勒",
];
const GIVEN: &[&str] = &[
    "建国",
    "海燕",
    "志强",
    "秀兰",
    "文斌",
    "丽娟",
    "德明",
    "玉梅",
    "国栋",
    "春花",
    "永福",
    "晓东",
    "桂英",
    "海军",
    "雪莲",
    "卓玛",
    "拉毛",
    "其其格",
    "宝音",
    "青松",
    "占英",
    "学军",
    "金花",
    "忠平",
    "瑞琴",
    "长青",
    "红梅",
    "立新",
];

/// Haixi's county-level units and their weight in the population.
const COUNTIES: &[(&str, usize)] = &[
    ("632801", 40),
    ("632802", 16),
    ("632803", 6),
    ("632821", 8),
    ("632822", 14),
    ("632823", 5),
    ("632857", 3),
];

const ENTERPRISES: &[(&str, &str)] = &[
    ("632801", "青海盐湖工业股份有限公司"),
    ("632801", "青海中信国安锂业发展有限公司"),
    ("632801", "中国石油青海油田分公司格尔木炼油厂"),
    ("632801", "青海庆华矿冶煤化集团有限公司"),
    ("632801", "格尔木藏格钾肥有限公司"),
    ("632801", "青海昆仑矿业有限公司"),
    ("632801", "格尔木胜华矿业有限责任公司"),
    ("632801", "青海盐湖镁业有限公司"),
    ("632801", "格尔木中能硅业有限公司"),
    ("632801", "青海中浩天然气化工有限公司"),
    ("632801", "国投格尔木发电有限公司"),
    ("632801", "格尔木宏扬水泥有限公司"),
    ("632802", "青海发投碱业有限公司"),
    ("632802", "青海五彩碱业有限公司"),
    ("632802", "德令哈工业园光伏电站"),
    ("632802", "青海中天硼锂矿业有限公司"),
    ("632802", "德令哈枸杞产业园"),
    ("632802", "青海昆仑碱业有限公司"),
    ("632803", "青海油田花土沟采油厂"),
    ("632803", "茫崖兴元钾肥有限责任公司"),
    ("632803", "青海茫崖石棉矿"),
    ("632821", "乌兰县茶卡盐场"),
    ("632821", "青海西部镁业有限公司"),
    ("632821", "乌兰县金鑫煤业有限公司"),
    ("632822", "都兰县诺木洪枸杞产业园"),
    ("632822", "青海诺木洪农场"),
    ("632822", "都兰金辉矿业有限公司"),
    ("632822", "都兰县香日德农场"),
    ("632823", "天峻县木里煤业"),
    ("632823", "青海天峻义海能源煤炭经营有限公司"),
    ("632857", "大柴旦锡铁山铅锌矿"),
    ("632857", "青海大柴旦矿业有限公司"),
    ("632857", "大柴旦行委柴达木兴华化工有限公司"),
    ("632857", "大柴旦行委锡铁山流通公司"),
];

const CHECKPOINTS: &[(&str, &str)] = &[
    ("632821", "G109 茶卡卡口"),
    ("632822", "G109 香日德卡口"),
    ("632822", "G109 诺木洪卡口"),
    ("632801", "G109 格尔木南卡口"),
    ("632801", "G215 格尔木北卡口"),
    ("632802", "G315 德令哈东卡口"),
    ("632857", "G315 大柴旦卡口"),
    ("632803", "G315 茫崖卡口"),
    ("632823", "G315 天峻卡口"),
    ("632857", "G215 当金山卡口"),
];

const HOSPITALS: &[(&str, &str)] = &[
    ("632802", "海西州人民医院"),
    ("632801", "格尔木市人民医院"),
    ("632801", "青海油田医院"),
    ("632802", "德令哈市人民医院"),
    ("632822", "都兰县人民医院"),
    ("632821", "乌兰县人民医院"),
];

/// The `n`th of `count` days spread evenly from `from` over `span` days.
fn spread(from: NaiveDate, span: i64, n: usize, count: usize) -> NaiveDate {
    from + Duration::days((n as i64 * span) / count.max(1) as i64)
}

/// Draws people: names, valid ID numbers of their county, homes in its villages.
struct People {
    villages: Vec<String>,
    used: HashSet<String>,
    next: usize,
    /// When the demo is loaded.
    at: DateTime<Utc>,
}

impl People {
    fn county(&self, i: usize) -> &'static str {
        let total: usize = COUNTIES.iter().map(|(_, w)| w).sum();
        let mut k = (i * 7919) % total;
        for (code, w) in COUNTIES {
            if k < *w {
                return code;
            }
            k -= w;
        }
        COUNTIES[0].0
    }

    fn id_number(&mut self, county: &str, i: usize) -> String {
        let mut seq = (i % 499) * 2 + 1 + (i % 2);
        loop {
            let birth = NaiveDate::from_ymd_opt(1962, 1, 1).unwrap_or_default()
                + Duration::days(((i * 389) % 13_000) as i64);
            let first17 = format!("{county}{}{:03}", birth.format("%Y%m%d"), seq % 1000);
            let id = format!("{first17}{}", check_char(first17.as_bytes()).unwrap_or('0'));
            if self.used.insert(id.clone()) {
                return id;
            }
            seq += 2;
        }
    }

    /// A person of a county (or of a given county), living in one of its villages.
    async fn add(
        &mut self,
        tx: &mut Tx,
        county: Option<&str>,
        political_status: &str,
        categories: &[&str],
        employer: Option<&str>,
    ) -> ServiceResult<(i64, String)> {
        let i = self.next;
        self.next += 1;
        let county = county
            .map(str::to_string)
            .unwrap_or_else(|| self.county(i).to_string());
        let name = format!(
            "{}{}",
            SURNAMES[(i * 31) % SURNAMES.len()],
            GIVEN[(i * 17 + i / 7) % GIVEN.len()]
        );
        let id_number = self.id_number(&county, i);
        let home = {
            let mine: Vec<&String> = self
                .villages
                .iter()
                .filter(|v| in_subtree(v, &county))
                .collect();
            mine.get(i % mine.len().max(1))
                .map(|s| s.to_string())
                .unwrap_or_else(|| county.clone())
        };
        let sex = if (id_number.as_bytes()[16] - b'0') % 2 == 1 {
            "male"
        } else {
            "female"
        };
        let birth = NaiveDate::parse_from_str(&id_number[6..14], "%Y%m%d").unwrap_or_default();
        let phone = format!(
            "1{}{:09}",
            [3, 5, 8, 9][i % 4],
            (i * 7_654_321) % 1_000_000_000
        );
        let id = store::insert_person(
            tx,
            &NewPerson {
                name: &name,
                id_number: &id_number,
                sex,
                birth_date: birth,
                phone: Some(&phone),
                political_status,
                jurisdiction_code: &home,
                employer,
                at: self.at,
                // Sealed after loading, with the rest of the demo's rows.
                id_bidx: None,
                enc_key: None,
            },
        )
        .await?;
        store::add_categories(tx, id, categories).await?;
        Ok((id, home))
    }
}

struct OrgPlan {
    kind: &'static str,
    count: usize,
    late: usize,
    first_day: NaiveDate,
    span: i64,
}

/// Loads the mobilisation records into the demo, in the caller's transaction.
pub async fn load(
    tx: &mut Tx,
    villages: Vec<String>,
    grids: Vec<String>,
    now: DateTime<Utc>,
) -> ServiceResult<usize> {
    let mut people = People {
        villages,
        used: HashSet::new(),
        next: 0,
        at: now,
    };

    // Organisations: those standing by 2020-02-28 make the figures; a few set up in March
    // show that the count depends on the date.
    let plans = [
        OrgPlan {
            kind: "temp_branch",
            count: 28,
            late: 3,
            first_day: day(1, 28),
            span: 30,
        },
        OrgPlan {
            kind: "commando",
            count: 132,
            late: 6,
            first_day: day(1, 26),
            span: 32,
        },
        OrgPlan {
            kind: "volunteer",
            count: 336,
            late: 12,
            first_day: day(1, 25),
            span: 33,
        },
    ];
    for plan in &plans {
        for n in 0..plan.count + plan.late {
            let established = if n < plan.count {
                spread(plan.first_day, plan.span, n, plan.count)
            } else {
                spread(day(3, 2), 10, n - plan.count, plan.late)
            };
            let (county, site_kind, site, name) = match plan.kind {
                "temp_branch" => {
                    let (county, kind, site) = if n % 3 == 2 {
                        let (c, h) = HOSPITALS[n % HOSPITALS.len()];
                        (c, "hospital", h)
                    } else {
                        let (c, cp) = CHECKPOINTS[n % CHECKPOINTS.len()];
                        (c, "checkpoint", cp)
                    };
                    (
                        county,
                        Some(kind),
                        Some(site.to_string()),
                        format!("{site}疫情防控临时党支部"),
                    )
                }
                "commando" => {
                    let (county, _) = COUNTIES[n % COUNTIES.len()];
                    (
                        county,
                        Some("community"),
                        None,
                        format!("党员突击队第{}队", n + 1),
                    )
                }
                _ => {
                    let (county, _) = COUNTIES[n % COUNTIES.len()];
                    (
                        county,
                        Some("community"),
                        None,
                        format!("志愿服务队第{}队", n + 1),
                    )
                }
            };
            let (leader, home) = people
                .add(
                    tx,
                    Some(county),
                    "party_member",
                    &["in_service_member"],
                    None,
                )
                .await?;
            let place = if plan.kind == "temp_branch" {
                county.to_string()
            } else {
                home
            };
            let id = store::insert_org(
                tx,
                &NewOrg {
                    kind: plan.kind,
                    name: &name,
                    jurisdiction_code: &place,
                    site_kind,
                    site_name: site.as_deref(),
                    established_on: established,
                    dissolved_on: None,
                    leader_id: Some(leader),
                    at: now,
                },
            )
            .await?;
            store::add_member(tx, id, leader, "负责人", established).await?;
        }
    }

    // The standing first line: 35 township (street) party committees and 295 village
    // (community) party organisations, taken in code order.
    let standing = NaiveDate::from_ymd_opt(2019, 1, 1).unwrap_or_default();
    for (kind, len, take, suffix) in [
        ("township_committee", 9, 35, "党委"),
        ("village_party", 12, 295, "党支部"),
    ] {
        let places = dualtrack_store::handovers::places_under(tx, "6328", len).await?;
        for (code, name) in places.iter().take(take) {
            store::insert_org(
                tx,
                &NewOrg {
                    kind,
                    name: &format!("{name}{suffix}"),
                    jurisdiction_code: code,
                    site_kind: None,
                    site_name: None,
                    established_on: standing,
                    dissolved_on: None,
                    leader_id: None,
                    at: now,
                },
            )
            .await?;
        }
    }

    // 34 work groups of 102 cadres stationed in enterprises.
    for (n, (county, enterprise)) in ENTERPRISES.iter().enumerate() {
        let established = spread(day(2, 8), 12, n, ENTERPRISES.len());
        let mut members = Vec::new();
        for _ in 0..3 {
            members.push(
                people
                    .add(
                        tx,
                        Some(county),
                        "party_member",
                        &["cadre"],
                        Some("海西州直属机关"),
                    )
                    .await?
                    .0,
            );
        }
        let org = store::insert_org(
            tx,
            &NewOrg {
                kind: "work_group",
                name: &format!("驻{enterprise}工作组"),
                jurisdiction_code: county,
                site_kind: Some("enterprise"),
                site_name: Some(enterprise),
                established_on: established,
                dissolved_on: None,
                leader_id: Some(members[0]),
                at: now,
            },
        )
        .await?;
        for (k, m) in members.iter().enumerate() {
            store::add_member(
                tx,
                org,
                *m,
                if k == 0 { "组长" } else { "组员" },
                established,
            )
            .await?;
            store::insert_deployment(
                tx,
                &NewDeployment {
                    person_id: *m,
                    jurisdiction_code: county,
                    org_id: Some(org),
                    site_kind: Some("enterprise"),
                    site_name: Some(enterprise),
                    role: "驻企指导员",
                    start_on: established,
                    end_on: None,
                    at: now,
                },
            )
            .await?;
        }
    }

    // First secretaries and work-team members: 467 back before the official return date
    // (2020-02-03), 61 on or after it.
    let expected = day(2, 3);
    for n in 0..528 {
        let (category, post) = if n % 4 == 0 {
            ("first_secretary", "第一书记")
        } else {
            ("work_team", "驻村工作队员")
        };
        let (id, home) = people
            .add(tx, None, "party_member", &["cadre", category], None)
            .await?;
        let returned = if n < 467 {
            spread(day(1, 26), 8, n, 467)
        } else {
            spread(day(2, 3), 10, n - 467, 61)
        };
        store::insert_return(tx, id, &home, post, returned, expected, now).await?;
        store::insert_deployment(
            tx,
            &NewDeployment {
                person_id: id,
                jurisdiction_code: &home,
                org_id: None,
                site_kind: Some("community"),
                site_name: None,
                role: post,
                start_on: returned,
                end_on: None,
                at: now,
            },
        )
        .await?;
    }

    // 222 medical staff applying for the front by 2020-02-28 (and 9 more in March); most
    // approved and sent to hospitals and checkpoints.
    for n in 0..231 {
        let (hc, hospital) = HOSPITALS[n % HOSPITALS.len()];
        let (id, _) = people
            .add(
                tx,
                Some(hc),
                if n % 3 == 0 { "masses" } else { "party_member" },
                &["medical"],
                Some(hospital),
            )
            .await?;
        let submitted = if n < 222 {
            spread(day(1, 25), 33, n, 222)
        } else {
            spread(day(3, 1), 10, n - 222, 9)
        };
        let app =
            store::insert_application(tx, id, hc, submitted, "请求到防控一线，服从组织安排", now)
                .await?;
        if n % 5 != 4 {
            let (cc, checkpoint) = CHECKPOINTS[n % CHECKPOINTS.len()];
            let (place, kind, site) = if n % 2 == 0 {
                (hc, "hospital", hospital)
            } else {
                (cc, "checkpoint", checkpoint)
            };
            let start = submitted + Duration::days(1);
            let dep = store::insert_deployment(
                tx,
                &NewDeployment {
                    person_id: id,
                    jurisdiction_code: place,
                    org_id: None,
                    site_kind: Some(kind),
                    site_name: Some(site),
                    role: "一线医疗保障",
                    start_on: start,
                    end_on: None,
                    at: now,
                },
            )
            .await?;
            store::decide_application(tx, app, "approved", start, "haixi_org", Some(dep)).await?;
        } else if n % 10 == 9 {
            store::decide_application(
                tx,
                app,
                "declined",
                submitted + Duration::days(2),
                "haixi_org",
                None,
            )
            .await?;
        }
    }

    // “千名干部下乡”: 1,000 cadres and party members sent to villages and communities.
    let campaign = dualtrack_store::campaigns::insert_campaign(
        tx,
        "千名干部下乡活动",
        "鼓干劲、稳脱贫、保稳定、战疫病、迎小康",
        "6328",
        day(2, 10),
        Some(day(3, 31)),
        now,
    )
    .await?;
    let mut sent = 0;

    // In-service party members registering with their residential communities: 4,126 by
    // 2020-02-28, 318 more in March; those living where grids are drawn are assigned one.
    for n in 0..4444 {
        let (id, home) = people
            .add(
                tx,
                None,
                "party_member",
                &["in_service_member"],
                Some("州直机关"),
            )
            .await?;
        let registered = if n < 4126 {
            spread(day(2, 5), 23, n, 4126)
        } else {
            spread(day(2, 29), 14, n - 4126, 318)
        };
        let grid = grids.iter().find(|g| in_subtree(g, &home));
        store::insert_registration(tx, id, &home, registered, grid.map(String::as_str), now)
            .await?;
        if n % 4 == 0 && sent < 1000 {
            let place = &people.villages[(n * 13) % people.villages.len()];
            let on = spread(day(2, 10), 20, sent, 1000);
            dualtrack_store::campaigns::add_campaign_person(tx, campaign, id, place, on).await?;
            sent += 1;
        }
    }

    // The three policy documents that set the work up, linked to what they created.
    let docs: [(&str, &str, &str); 3] = [
        (
            "关于加强党的领导，为打赢疫情防控阻击战提供坚强政治保证的通知",
            "2020-01-27",
            "发挥村（社区）党组织作用；在防控一线设置临时党支部和网格党组织；构建“联合体”吹哨机制",
        ),
        (
            "关于进一步激励关爱基层党员干部在疫情防控一线担当作为的十项措施",
            "2020-02-05",
            "在战“疫”一线培养锻炼和考察识别干部；关心关爱一线医务人员和基层干部",
        ),
        (
            "关于在企业复工复产中充分发挥企业党组织战斗堡垒作用和党员先锋模范作用的通知",
            "2020-02-12",
            "选派干部组成工作组驻企指导疫情防控、协调解决生产难题",
        ),
    ];
    for (k, (title, issued, measures)) in docs.iter().enumerate() {
        let issued_on = NaiveDate::parse_from_str(issued, "%Y-%m-%d").unwrap_or_default();
        let doc = dualtrack_store::campaigns::insert_document(
            tx,
            title,
            "中共海西州委",
            None,
            issued_on,
            measures,
            "6328",
            now,
        )
        .await?;
        if k == 1 {
            dualtrack_store::campaigns::link_document(tx, doc, "campaign", campaign).await?;
        }
        if let Some(kind) = [Some("temp_branch"), None, Some("work_group")][k] {
            for org in store::org_ids_of_kind(tx, kind).await? {
                dualtrack_store::campaigns::link_document(tx, doc, "organisation", org).await?;
            }
        }
    }
    Ok(people.next)
}
