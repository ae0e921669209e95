//! Routing rules: which departments a category of ticket goes to at a place.

use super::raising::parse_category;
use super::views::{dept_view, rule_view};
use super::*;
use crate::{Actor, App, ServiceError, ServiceResult};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::jurisdiction::Code;
use dualtrack_domain::role::Permission;
use dualtrack_domain::whistle::TicketCategory;
use dualtrack_store::whistle::{self as store, DepartmentRow};
use std::collections::{BTreeSet, HashMap};

impl App {
    pub async fn set_rule(&self, actor: &Actor, input: &RuleInput) -> ServiceResult<Vec<RuleView>> {
        self.require(actor, Permission::ManageWhistle, "派单规则", "new")
            .await?;
        let category = parse_category(&input.category)?;
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        if input.department_ids.is_empty() {
            return Err(ServiceError::invalid(
                "department_ids",
                "请选择至少一个部门",
            ));
        }
        let over: HashMap<i64, DepartmentRow> = store::departments_over(&self.db, code.as_str())
            .await?
            .into_iter()
            .map(|d| (d.id, d))
            .collect();
        for id in &input.department_ids {
            if !over.contains_key(id) {
                return Err(ServiceError::invalid(
                    "department_ids",
                    format!("部门 {id} 不负责 {code}：派单规则只能呼叫该地及其上级的部门"),
                ));
            }
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut names = vec![];
        for id in &input.department_ids {
            store::insert_rule(
                &mut tx,
                category.as_str(),
                code.as_str(),
                *id,
                &actor.username,
                now,
            )
            .await?;
            if let Some(d) = over.get(id) {
                names.push(d.name.clone());
            }
        }
        let audit = actor.audit(
            Action::RoutingRuleSet,
            Outcome::Success,
            "派单规则",
            format!("{}:{code}", category.as_str()),
            Some(code.to_string()),
            format!("{} → {}", category.zh(), names.join("、")),
        );
        commit_audited(tx, &audit).await?;
        store::rules_over(&self.db, category.as_str(), code.as_str())
            .await?
            .into_iter()
            .filter(|r| r.jurisdiction_code == code.as_str())
            .map(rule_view)
            .collect()
    }

    pub async fn rules(&self, actor: &Actor) -> ServiceResult<Vec<RuleView>> {
        self.require(actor, Permission::ReadTree, "派单规则", "list")
            .await?;
        store::rules_visible(&self.db, &actor.scope)
            .await?
            .into_iter()
            .map(rule_view)
            .collect()
    }

    /// The departments a ticket of a category at a place calls by rule (those of the rule
    /// nearest above the place), and all the departments the whistler may add.
    pub(super) async fn routing_of(
        &self,
        category: TicketCategory,
        place: &Code,
    ) -> ServiceResult<Routing> {
        let rules = store::rules_over(&self.db, category.as_str(), place.as_str()).await?;
        let nearest = rules.iter().map(|r| r.jurisdiction_code.len()).max();
        let rule_place = nearest.and_then(|n| {
            rules
                .iter()
                .find(|r| r.jurisdiction_code.len() == n)
                .map(|r| r.jurisdiction_code.clone())
        });
        let allowed: Vec<DepartmentRow> = store::departments_over(&self.db, place.as_str()).await?;
        let routed_ids: BTreeSet<i64> = rules
            .iter()
            .filter(|r| Some(&r.jurisdiction_code) == rule_place.as_ref())
            .map(|r| r.department_id)
            .collect();
        Ok(Routing {
            routed: allowed
                .iter()
                .filter(|d| routed_ids.contains(&d.id))
                .cloned()
                .map(dept_view)
                .collect(),
            rule_place,
            allowed: allowed.into_iter().map(dept_view).collect(),
        })
    }

    /// Which departments a ticket would call: for the raise form.
    pub async fn route(&self, actor: &Actor, q: &RouteQuery) -> ServiceResult<Routing> {
        self.require(actor, Permission::ReadTickets, "派单规则", "route")
            .await?;
        let category = parse_category(&q.category)?;
        let place = self.place_in_scope(actor, "place", &q.place).await?;
        self.routing_of(category, &place).await
    }
}
