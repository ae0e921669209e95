//! The jurisdiction tree: browsing, search, grids, and import from the national codes.

use crate::actor::commit_audited;
use crate::input::{parse_code, trimmed};
use crate::{Actor, App, ServiceError, ServiceResult};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::divisions;
use dualtrack_domain::jurisdiction::{validate_grid_name, Code, Level, Scope};
use dualtrack_domain::role::Permission;
use dualtrack_store::jurisdiction::{self as store, NodeRow};
use serde::Serialize;
use utoipa::ToSchema;

/// One node of the tree.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Node {
    /// 区划代码（网格为村级代码加 3 位）
    pub code: String,
    pub name: String,
    pub level: Level,
    /// 层级名称
    pub level_name: String,
    pub parent_code: Option<String>,
    /// 直属下级数量
    pub child_count: i64,
    /// 是否在当前用户的管辖范围内
    pub in_scope: bool,
}

/// Nodes of one level under a node.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LevelCount {
    pub level: Level,
    pub level_name: String,
    pub count: i64,
}

/// A node with its children, its path up to the top, and counts per level below it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NodeView {
    pub node: Node,
    /// 从最上级到本级（含本级）
    pub path: Vec<Node>,
    pub children: Vec<Node>,
    pub counts: Vec<LevelCount>,
}

/// What an import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    /// 导入的代码前缀，全国为空
    pub prefix: String,
    /// 数据中的单位数（含上级）
    pub total: u64,
    /// 新增的单位数
    pub inserted: u64,
    /// 已存在、未改动的单位数
    pub unchanged: u64,
    pub counts: Vec<LevelCount>,
}

fn node(row: NodeRow, scope: &Scope) -> Node {
    let level = Level::from_rank(row.level).unwrap_or(Level::Grid);
    let in_scope = Code::parse(&row.code)
        .map(|c| scope.contains(&c))
        .unwrap_or(false);
    Node {
        level_name: level.zh().into(),
        level,
        code: row.code,
        name: row.name,
        parent_code: row.parent_code,
        child_count: row.child_count,
        in_scope,
    }
}

fn level_counts(pairs: impl IntoIterator<Item = (Level, i64)>) -> Vec<LevelCount> {
    pairs
        .into_iter()
        .map(|(level, count)| LevelCount {
            level,
            level_name: level.zh().into(),
            count,
        })
        .collect()
}

impl App {
    /// The node the actor is bound to (the top of what it may see).
    pub fn home(&self, actor: &Actor) -> Option<Code> {
        actor.scope.code().cloned()
    }

    /// The scope a query asks for: the caller's, or a place within it (`place`).
    pub(crate) async fn narrowed(
        &self,
        actor: &Actor,
        place: &Option<String>,
    ) -> ServiceResult<Scope> {
        match trimmed(place) {
            None => Ok(actor.scope.clone()),
            Some(p) => Ok(Scope::Under(self.place_in_scope(actor, "place", p).await?)),
        }
    }

    /// A place in the actor's scope that exists. Checked before any write transaction
    /// begins, so that a refusal (audited in a transaction of its own) never waits on it.
    pub(crate) async fn place_in_scope(
        &self,
        actor: &Actor,
        field: &'static str,
        raw: &str,
    ) -> ServiceResult<Code> {
        let code = parse_code(field, raw)?;
        self.require_in_scope(actor, &code, "区划", raw).await?;
        if store::get(&self.db, code.as_str()).await?.is_none() {
            return Err(ServiceError::invalid(field, format!("区划“{code}”不存在")));
        }
        Ok(code)
    }

    /// The name of a node, for labels (the caller's own node, in the layout).
    pub async fn name_of(&self, code: &str) -> ServiceResult<Option<String>> {
        Ok(store::names_of(&self.db, &[code]).await?.remove(code))
    }

    pub async fn node(&self, actor: &Actor, raw_code: &str) -> ServiceResult<NodeView> {
        self.require(actor, Permission::ReadTree, "区划", raw_code)
            .await?;
        let code = parse_code("code", raw_code)?;
        self.require_in_scope(actor, &code, "区划", raw_code)
            .await?;
        let Some(row) = store::get(&self.db, code.as_str()).await? else {
            return Err(ServiceError::NotFound(format!(
                "未找到区划“{code}”，请先导入该地区的区划"
            )));
        };
        let path = store::path(&self.db, &code).await?;
        let children = store::children(&self.db, code.as_str()).await?;
        let counts = store::level_counts(&self.db, &code).await?;
        Ok(NodeView {
            node: node(row, &actor.scope),
            path: path.into_iter().map(|r| node(r, &actor.scope)).collect(),
            children: children
                .into_iter()
                .map(|r| node(r, &actor.scope))
                .collect(),
            counts: level_counts(
                counts
                    .into_iter()
                    .filter_map(|(l, n)| Level::from_rank(l).map(|l| (l, n))),
            ),
        })
    }

    /// Nodes in the actor's scope whose name contains `q` or whose code starts with it.
    pub async fn search_tree(&self, actor: &Actor, q: &str) -> ServiceResult<Vec<Node>> {
        self.require(actor, Permission::ReadTree, "区划", "search")
            .await?;
        let q = q.trim();
        if q.is_empty() {
            return Err(ServiceError::invalid("q", "请输入要查找的名称或代码"));
        }
        if q.chars().count() > 50 {
            return Err(ServiceError::invalid("q", "查找内容不能超过 50 个字"));
        }
        let rows = store::search(&self.db, &actor.scope, q, 50).await?;
        Ok(rows.into_iter().map(|r| node(r, &actor.scope)).collect())
    }

    /// Draws a new grid under a village or community. The code is the village's code and
    /// the next free 3-digit number.
    pub async fn create_grid(
        &self,
        actor: &Actor,
        raw_village: &str,
        raw_name: &str,
    ) -> ServiceResult<Node> {
        self.require(actor, Permission::ManageGrids, "网格", raw_village)
            .await?;
        let village = parse_code("village_code", raw_village)?;
        self.require_in_scope(actor, &village, "区划", raw_village)
            .await?;
        if village.level() != Level::Village {
            return Err(ServiceError::invalid(
                "village_code",
                format!(
                    "网格只能建在村（社区）之下，“{village}”是{}",
                    village.level().zh()
                ),
            ));
        }
        let name = validate_grid_name(raw_name).map_err(|m| ServiceError::invalid("name", m))?;
        let mut tx = self.db.begin().await?;
        if !store::exists(&mut tx, village.as_str()).await? {
            return Err(ServiceError::NotFound(format!(
                "未找到村（社区）“{village}”"
            )));
        }
        if store::grid_name_taken(&mut tx, &village, &name).await? {
            return Err(ServiceError::conflict(
                "name",
                format!("该村（社区）已有名为“{name}”的网格"),
            ));
        }
        let next = store::last_grid_number(&mut tx, &village).await? + 1;
        let Some(code) = village.grid(next) else {
            return Err(ServiceError::invalid(
                "village_code",
                "该村（社区）的网格编号已用完（最多 999 个）",
            ));
        };
        store::insert_grid(&mut tx, &code, &name, self.clock.now()).await?;
        let row = actor.audit(
            Action::GridCreate,
            Outcome::Success,
            "网格",
            code.as_str(),
            Some(code.to_string()),
            name.clone(),
        );
        commit_audited(tx, &row).await?;
        let created = store::get(&self.db, code.as_str()).await?;
        created
            .map(|r| node(r, &actor.scope))
            .ok_or_else(|| ServiceError::Internal("新建的网格未找到".into()))
    }

    /// Builds the tree under a code prefix (`None`: the whole country) from the embedded
    /// national codes, ancestors included. Importing again changes nothing.
    pub async fn import_region(
        &self,
        actor: &Actor,
        prefix: Option<&str>,
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> ServiceResult<ImportReport> {
        let target = prefix.unwrap_or("全国");
        self.require(actor, Permission::ImportRegions, "区划", target)
            .await?;
        let code = match prefix {
            Some(p) => {
                let c = parse_code("code", p)?;
                if c.level() == Level::Grid {
                    return Err(ServiceError::invalid("code", "网格不是国家区划，不能导入"));
                }
                self.require_in_scope(actor, &c, "区划", p).await?;
                Some(c)
            }
            None => {
                if actor.scope != Scope::All {
                    let err = ServiceError::Forbidden("只有命令行可以导入全国区划".into());
                    return Err(self.refuse(actor, "区划", target, None, err).await);
                }
                None
            }
        };
        let p = code.as_ref().map(|c| c.to_string()).unwrap_or_default();
        let data = {
            let p = p.clone();
            tokio::task::spawn_blocking(move || divisions::under(&p))
                .await
                .map_err(|e| ServiceError::Internal(e.to_string()))?
                .map_err(|e| ServiceError::Internal(e.to_string()))?
        };
        if let Some(c) = &code {
            if !data.iter().any(|d| &d.code == c) {
                return Err(ServiceError::invalid(
                    "code",
                    format!("国家区划代码中没有“{c}”（{}）", divisions::EDITION),
                ));
            }
        }
        let total = data.len() as u64;
        let mut inserted = 0;
        let mut tx = self.db.begin().await?;
        let mut done = 0;
        for chunk in data.chunks(20_000) {
            inserted += store::insert_divisions(&mut tx, chunk).await?;
            done += chunk.len() as u64;
            progress(done, total);
        }
        let detail = format!("共 {total} 个单位，新增 {inserted} 个");
        let row = actor.audit(
            Action::RegionImport,
            Outcome::Success,
            "区划",
            target,
            code.as_ref().map(|c| c.to_string()),
            detail,
        );
        commit_audited(tx, &row).await?;
        let counts = Level::ALL.into_iter().filter_map(|l| {
            let n = data.iter().filter(|d| d.level == l).count() as i64;
            (n > 0).then_some((l, n))
        });
        Ok(ImportReport {
            prefix: p,
            total,
            inserted,
            unchanged: total - inserted,
            counts: level_counts(counts),
        })
    }
}
