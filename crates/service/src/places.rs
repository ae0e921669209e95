//! Places chosen by name: search as a place is typed (Chinese name, short name, pinyin or its
//! initials, or the start of a code), and the compact list of names a phone keeps to search
//! with no signal.
//!
//! What is searched is the platform's own tree (the `jurisdictions` table: the region down to
//! villages, and grids) and, outside it, the national codes down to county level in their
//! six-digit form (武汉市 420100). Division names are public; a grid is offered only to those
//! whose subtree holds it. The index is built in memory from both, its pinyin worked out once,
//! and built again when the tree has grown (nodes are only ever added).

use crate::{Actor, App, ServiceError, ServiceResult};
use dualtrack_domain::jurisdiction::{in_subtree, Code, Level, Scope};
use dualtrack_domain::places::{self, Keys, Query, Tier};
use dualtrack_store::jurisdiction as store;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};
use utoipa::ToSchema;

/// Results given at most, and unless asked for fewer.
pub const MAX_RESULTS: usize = 50;
pub const DEFAULT_RESULTS: usize = 12;
/// Recent choices a query may name.
const MAX_RECENT: usize = 20;

/// Where to look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Within {
    /// The caller's own subtree.
    Mine,
    /// The platform's tree (grids of the caller's subtree only).
    #[default]
    Region,
    /// The platform's tree and the national codes to county level.
    China,
}

/// A search as asked: the query and how to narrow and order what it finds.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PlaceQuery {
    pub q: Option<String>,
    /// mine / region / china
    pub within: Option<String>,
    /// Levels wanted, comma-separated (province, prefecture, county, township, village, grid).
    pub levels: Option<String>,
    /// A code whose subtree comes first (a checkpoint's own county).
    pub context: Option<String>,
    /// Codes chosen lately, the latest first: these come first.
    pub recent: Option<String>,
    pub limit: Option<usize>,
}

/// A place found.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct PlaceHit {
    /// 代码：本平台区域内为本平台的区划或网格代码，区域外为六位国家区划代码（如 420100）
    pub code: String,
    pub name: String,
    /// 从省级到本级的全称，如 湖北省武汉市
    pub path: String,
    pub level: Level,
    /// 层级名称
    pub level_name: String,
    /// 是否属本平台区域（否：区域外的国家区划）
    pub in_region: bool,
}

/// The names a phone keeps for searching places with no signal. Each place is
/// `[code, name, level (1 province … 6 grid), parent (index in places, −1 for none),
/// in region (1/0), pinyin (syllables separated by spaces), short name, pinyin of the short
/// name]`, parents before children; the short name and its pinyin are empty when the same as
/// the name's.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaceList {
    /// 用户的管辖范围（全部时为空）
    pub home: String,
    #[schema(value_type = Vec<Vec<serde_json::Value>>)]
    pub places: Vec<PlaceRow>,
}

/// One place of [`PlaceList`]: code, name, level, parent, in region, pinyin, short name and
/// its pinyin.
pub type PlaceRow = (String, String, i64, i64, u8, String, String, String);

/// The order of a place found: recent choice, match, outside the context, level, name length.
type Rank = (usize, Tier, bool, Level, usize);

#[derive(Debug)]
struct Entry {
    code: String,
    level: Level,
    parent: Option<u32>,
    region: bool,
    path: String,
    keys: Keys,
}

#[derive(Debug, Default)]
struct Index {
    /// Nodes of the tree it was built from.
    nodes: i64,
    entries: Vec<Entry>,
    by_code: HashMap<String, u32>,
}

/// The index of one application's places, kept between requests.
#[derive(Debug, Default)]
pub struct PlaceCache(RwLock<Option<Arc<Index>>>);

static NATIONAL: OnceLock<Vec<(places::NationalPlace, Keys)>> = OnceLock::new();

fn national() -> ServiceResult<&'static [(places::NationalPlace, Keys)]> {
    if let Some(n) = NATIONAL.get() {
        return Ok(n);
    }
    let list = places::national_to_county()
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .into_iter()
        .map(|p| {
            let k = Keys::of(&p.name);
            (p, k)
        })
        .collect();
    Ok(NATIONAL.get_or_init(|| list))
}

fn push(
    ix: &mut Index,
    code: String,
    level: Level,
    parent: Option<u32>,
    region: bool,
    keys: Keys,
) -> u32 {
    let path = match parent {
        Some(p) => format!("{}{}", ix.entries[p as usize].path, keys.name),
        None => keys.name.clone(),
    };
    let i = ix.entries.len() as u32;
    ix.by_code.insert(code.clone(), i);
    ix.entries.push(Entry {
        code,
        level,
        parent,
        region,
        path,
        keys,
    });
    i
}

/// The index over the tree's nodes (code order) and the national list: a national unit that
/// the tree holds too (青海省 630000 is the tree's 63) is the tree's node.
fn build(nodes: i64, rows: Vec<(String, String, i64)>) -> ServiceResult<Index> {
    let mut ix = Index {
        nodes,
        ..Index::default()
    };
    let mut aliases = HashMap::new();
    for (code, name, rank) in rows {
        let Some(level) = Level::from_rank(rank) else {
            continue;
        };
        let parent = Code::parse(&code)
            .ok()
            .and_then(|c| c.parent())
            .and_then(|p| ix.by_code.get(p.as_str()).copied());
        let six = (level <= Level::County).then(|| places::six_digit(&code));
        let i = push(&mut ix, code, level, parent, true, Keys::of(&name));
        if let Some(six) = six {
            aliases.insert(six, i);
        }
    }
    for (p, keys) in national()? {
        if let Some(&i) = aliases.get(&p.code) {
            ix.by_code.entry(p.code.clone()).or_insert(i);
            continue;
        }
        let parent = p.parent.as_ref().and_then(|c| ix.by_code.get(c).copied());
        push(
            &mut ix,
            p.code.clone(),
            p.level,
            parent,
            false,
            keys.clone(),
        );
    }
    Ok(ix)
}

fn parse_within(raw: Option<&str>) -> ServiceResult<Within> {
    match raw.map(str::trim).unwrap_or("") {
        "" | "region" => Ok(Within::Region),
        "mine" => Ok(Within::Mine),
        "china" => Ok(Within::China),
        other => Err(ServiceError::invalid(
            "within",
            format!(
                "查找范围应为 mine（本辖区）、region（本平台区域）或 china（全国），收到“{other}”"
            ),
        )),
    }
}

fn parse_levels(raw: Option<&str>) -> ServiceResult<Vec<Level>> {
    let mut out = Vec::new();
    for part in raw.unwrap_or("").split(',').map(str::trim) {
        if part.is_empty() {
            continue;
        }
        let level = Level::ALL
            .into_iter()
            .find(|l| serde_json::to_value(l).ok().and_then(|v| v.as_str().map(|s| s == part)) == Some(true))
            .ok_or_else(|| {
                ServiceError::invalid(
                    "levels",
                    format!("层级应为 province、prefecture、county、township、village 或 grid，收到“{part}”"),
                )
            })?;
        out.push(level);
    }
    Ok(out)
}

fn in_scope(scope: &Scope, code: &str) -> bool {
    match scope {
        Scope::All => true,
        Scope::Under(top) => in_subtree(code, top.as_str()),
    }
}

/// Whether the caller may be offered this place at all: a grid only in their subtree.
fn offered(e: &Entry, scope: &Scope) -> bool {
    e.level != Level::Grid || in_scope(scope, &e.code)
}

fn hit(e: &Entry) -> PlaceHit {
    PlaceHit {
        code: e.code.clone(),
        name: e.keys.name.clone(),
        path: e.path.clone(),
        level: e.level,
        level_name: e.level.zh().into(),
        in_region: e.region,
    }
}

impl App {
    /// The index of places, built again when the tree has grown since.
    async fn place_index(&self) -> ServiceResult<Arc<Index>> {
        let nodes = store::count_all(&self.db).await?;
        let cached = self
            .places
            .0
            .read()
            .ok()
            .and_then(|g| g.as_ref().filter(|ix| ix.nodes == nodes).cloned());
        if let Some(ix) = cached {
            return Ok(ix);
        }
        let rows = store::all_named(&self.db).await?;
        let ix = tokio::task::spawn_blocking(move || build(nodes, rows))
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))??;
        let ix = Arc::new(ix);
        if let Ok(mut g) = self.places.0.write() {
            *g = Some(ix.clone());
        }
        Ok(ix)
    }

    /// Places matching a query as typed, best first: recent choices, then by how well they
    /// match (whole name > start of name > pinyin or initials > start of pinyin > part of
    /// name), then those in the context's subtree, higher levels, shorter names. An empty
    /// query, or one of punctuation only, finds nothing.
    pub async fn search_places(
        &self,
        actor: &Actor,
        pq: &PlaceQuery,
    ) -> ServiceResult<Vec<PlaceHit>> {
        let query = Query::parse(pq.q.as_deref().unwrap_or("").trim())
            .map_err(|e| ServiceError::invalid("q", e.to_string()))?;
        let within = parse_within(pq.within.as_deref())?;
        let levels = parse_levels(pq.levels.as_deref())?;
        let context = match pq
            .context
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(c) => Some(
                Code::parse(c)
                    .map_err(|e| ServiceError::invalid("context", format!("上下文地点：{e}")))?
                    .to_string(),
            ),
            None => None,
        };
        let recent: Vec<&str> = pq
            .recent
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .take(MAX_RECENT)
            .collect();
        let limit = pq.limit.unwrap_or(DEFAULT_RESULTS).clamp(1, MAX_RESULTS);
        if query == Query::Nothing {
            return Ok(Vec::new());
        }
        let ix = self.place_index().await?;
        let mut found: Vec<(Rank, &Entry)> = ix
            .entries
            .iter()
            .filter(|e| offered(e, &actor.scope))
            .filter(|e| match within {
                Within::Mine => e.region && in_scope(&actor.scope, &e.code),
                Within::Region => e.region,
                Within::China => true,
            })
            .filter(|e| levels.is_empty() || levels.contains(&e.level))
            .filter_map(|e| {
                let tier = query.tier(&e.code, &e.keys)?;
                let recent = recent
                    .iter()
                    .position(|r| *r == e.code)
                    .unwrap_or(usize::MAX);
                let outside = !context.as_deref().is_some_and(|c| e.code.starts_with(c));
                Some((
                    (recent, tier, outside, e.level, e.keys.name.chars().count()),
                    e,
                ))
            })
            .collect();
        found.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.code.cmp(&b.1.code)));
        Ok(found.into_iter().take(limit).map(|(_, e)| hit(e)).collect())
    }

    /// The full name of a place (湖北省武汉市) by its code, in the platform's tree or the
    /// national codes to county level (six-digit form).
    pub async fn place_path(&self, code: &str) -> ServiceResult<Option<String>> {
        let ix = self.place_index().await?;
        Ok(ix
            .by_code
            .get(code)
            .map(|&i| ix.entries[i as usize].path.clone()))
    }

    /// Every name the picker searches, for keeping on the phone: the national codes to
    /// county level and the platform's tree, grids of the caller's subtree only.
    pub async fn place_names(&self, actor: &Actor) -> ServiceResult<PlaceList> {
        let ix = self.place_index().await?;
        let mut index_of: HashMap<u32, i64> = HashMap::new();
        let mut places = Vec::with_capacity(ix.entries.len());
        for (i, e) in ix.entries.iter().enumerate() {
            if !offered(e, &actor.scope) {
                continue;
            }
            let parent = e
                .parent
                .and_then(|p| index_of.get(&p).copied())
                .unwrap_or(-1);
            index_of.insert(i as u32, places.len() as i64);
            let (short, short_spell) = if e.keys.short == e.keys.name {
                (String::new(), String::new())
            } else {
                (e.keys.short.clone(), e.keys.short_spell.clone())
            };
            places.push((
                e.code.clone(),
                e.keys.name.clone(),
                e.level.rank(),
                parent,
                u8::from(e.region),
                e.keys.spell.clone(),
                short,
                short_spell,
            ));
        }
        Ok(PlaceList {
            home: actor
                .scope
                .code()
                .map(|c| c.to_string())
                .unwrap_or_default(),
            places,
        })
    }
}
