//! Campaigns (such as 千名干部下乡: theme, dates, people sent, places covered) and the
//! policy documents that set up the work, linked to the organisations and campaigns they
//! created.

use crate::actor::commit_audited;
use crate::input::parse_date;
use crate::input::text;
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::NaiveDate;
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::jurisdiction::{Code, Level};
use dualtrack_domain::role::Permission;
use dualtrack_store::campaigns::{self as store, CampaignRow, DocumentRow};
use dualtrack_store::mobilisation;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CampaignView {
    pub id: i64,
    pub name: String,
    pub theme: String,
    pub jurisdiction_code: String,
    pub start_on: NaiveDate,
    pub end_on: Option<NaiveDate>,
    /// 下派人数
    pub people_sent: i64,
    /// 覆盖的村（社区）数
    pub places_covered: i64,
}

fn campaign_view(c: CampaignRow) -> CampaignView {
    CampaignView {
        id: c.id,
        name: c.name,
        theme: c.theme,
        jurisdiction_code: c.jurisdiction_code,
        start_on: c.start_on,
        end_on: c.end_on,
        people_sent: c.people_sent,
        places_covered: c.places_covered,
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CampaignInput {
    pub name: String,
    pub theme: String,
    pub jurisdiction_code: String,
    pub start_on: String,
    #[serde(default)]
    pub end_on: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SendInput {
    pub person_id: i64,
    /// 下派到的村（社区）代码
    pub place_code: String,
    pub sent_on: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocumentView {
    pub id: i64,
    pub title: String,
    pub issuer: String,
    pub doc_number: Option<String>,
    pub issued_on: NaiveDate,
    pub measures: String,
    pub jurisdiction_code: String,
    /// 据此文件设立的组织和开展的活动
    pub links: Vec<DocumentLink>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocumentLink {
    /// organisation 或 campaign
    pub kind: String,
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DocumentInput {
    pub title: String,
    pub issuer: String,
    #[serde(default)]
    pub doc_number: Option<String>,
    pub issued_on: String,
    /// 主要措施
    pub measures: String,
    pub jurisdiction_code: String,
    #[serde(default)]
    pub organisation_ids: Vec<i64>,
    #[serde(default)]
    pub campaign_ids: Vec<i64>,
}
fn document_view(d: DocumentRow, links: Vec<(String, i64, String)>) -> DocumentView {
    DocumentView {
        id: d.id,
        title: d.title,
        issuer: d.issuer,
        doc_number: d.doc_number,
        issued_on: d.issued_on,
        measures: d.measures,
        jurisdiction_code: d.jurisdiction_code,
        links: links
            .into_iter()
            .map(|(kind, id, name)| DocumentLink { kind, id, name })
            .collect(),
    }
}

impl App {
    async fn campaign_in_scope(&self, actor: &Actor, id: i64) -> ServiceResult<CampaignRow> {
        let row = store::campaign(&self.db, id).await?;
        self.own(actor, "活动", id, row, |c| &c.jurisdiction_code)
            .await
    }

    pub async fn create_campaign(
        &self,
        actor: &Actor,
        input: &CampaignInput,
    ) -> ServiceResult<CampaignView> {
        self.require(actor, Permission::ManageMobilisation, "活动", &input.name)
            .await?;
        let name = text("name", "活动名称", &input.name, 60)?;
        let theme = text("theme", "活动主题", &input.theme, 200)?;
        let start_on = parse_date("start_on", &input.start_on)?;
        let end_on = match input
            .end_on
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(e) => Some(parse_date("end_on", e)?),
            None => None,
        };
        if matches!(end_on, Some(e) if e < start_on) {
            return Err(ServiceError::invalid("end_on", "结束日期不能早于开始日期"));
        }
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        let mut tx = self.db.begin().await?;
        let id = store::insert_campaign(
            &mut tx,
            &name,
            &theme,
            code.as_str(),
            start_on,
            end_on,
            self.clock.now(),
        )
        .await?;
        let audit = actor.audit(
            Action::CampaignCreate,
            Outcome::Success,
            "活动",
            id.to_string(),
            Some(code.to_string()),
            name,
        );
        commit_audited(tx, &audit).await?;
        self.get_campaign(actor, id).await
    }

    pub async fn get_campaign(&self, actor: &Actor, id: i64) -> ServiceResult<CampaignView> {
        self.require(actor, Permission::ReadMobilisation, "活动", &id.to_string())
            .await?;
        Ok(campaign_view(self.campaign_in_scope(actor, id).await?))
    }

    pub async fn list_campaigns(&self, actor: &Actor) -> ServiceResult<Vec<CampaignView>> {
        self.require(actor, Permission::ReadMobilisation, "活动", "list")
            .await?;
        Ok(store::list_campaigns(&self.db, &actor.scope)
            .await?
            .into_iter()
            .map(campaign_view)
            .collect())
    }

    /// Records a person sent to a village or community by a campaign.
    pub async fn send_by_campaign(
        &self,
        actor: &Actor,
        campaign: i64,
        input: &SendInput,
    ) -> ServiceResult<CampaignView> {
        self.require(
            actor,
            Permission::ManageMobilisation,
            "活动",
            &campaign.to_string(),
        )
        .await?;
        let c = self.campaign_in_scope(actor, campaign).await?;
        let person = mobilisation::person(&self.db, input.person_id)
            .await?
            .ok_or_else(|| {
                ServiceError::unknown("person_id", format!("人员 {} 不存在", input.person_id))
            })?;
        let home = Code::parse(&person.jurisdiction_code)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        if !actor.scope.contains(&home) {
            return Err(ServiceError::unknown(
                "person_id",
                format!("人员 {} 不存在或不在您的管辖范围内", input.person_id),
            ));
        }
        let place = self
            .place_in_scope(actor, "place_code", &input.place_code)
            .await?;
        if place.level() != Level::Village {
            return Err(ServiceError::invalid(
                "place_code",
                "下派地点应为村（社区）",
            ));
        }
        let sent_on = parse_date("sent_on", &input.sent_on)?;
        let mut tx = self.db.begin().await?;
        if !store::add_campaign_person(&mut tx, campaign, input.person_id, place.as_str(), sent_on)
            .await?
        {
            return Err(ServiceError::conflict(
                "person_id",
                format!("{}已在本次活动名单中", person.name),
            ));
        }
        let detail = format!("{}下派至 {place}", person.name);
        let audit = actor.audit(
            Action::CampaignSend,
            Outcome::Success,
            "活动",
            campaign.to_string(),
            Some(c.jurisdiction_code.clone()),
            detail,
        );
        commit_audited(tx, &audit).await?;
        self.get_campaign(actor, campaign).await
    }

    pub async fn create_document(
        &self,
        actor: &Actor,
        input: &DocumentInput,
    ) -> ServiceResult<DocumentView> {
        self.require(
            actor,
            Permission::ManageMobilisation,
            "政策文件",
            &input.title,
        )
        .await?;
        let title = text("title", "文件标题", &input.title, 200)?;
        let issuer = text("issuer", "发文机关", &input.issuer, 60)?;
        let measures = text("measures", "主要措施", &input.measures, 5000)?;
        let issued_on = parse_date("issued_on", &input.issued_on)?;
        let doc_number = input
            .doc_number
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        for id in &input.organisation_ids {
            let o = mobilisation::org(&self.db, *id).await?;
            let inside = o
                .and_then(|o| Code::parse(&o.jurisdiction_code).ok())
                .map(|c| actor.scope.contains(&c))
                .unwrap_or(false);
            if !inside {
                return Err(ServiceError::unknown(
                    "organisation_ids",
                    format!("组织 {id} 不存在或不在您的管辖范围内"),
                ));
            }
        }
        for id in &input.campaign_ids {
            self.campaign_in_scope(actor, *id).await.map_err(|_| {
                ServiceError::unknown(
                    "campaign_ids",
                    format!("活动 {id} 不存在或不在您的管辖范围内"),
                )
            })?;
        }
        let mut tx = self.db.begin().await?;
        let id = store::insert_document(
            &mut tx,
            &title,
            &issuer,
            doc_number.as_deref(),
            issued_on,
            &measures,
            code.as_str(),
            self.clock.now(),
        )
        .await?;
        for o in &input.organisation_ids {
            store::link_document(&mut tx, id, "organisation", *o).await?;
        }
        for c in &input.campaign_ids {
            store::link_document(&mut tx, id, "campaign", *c).await?;
        }
        let audit = actor.audit(
            Action::DocumentCreate,
            Outcome::Success,
            "政策文件",
            id.to_string(),
            Some(code.to_string()),
            title,
        );
        commit_audited(tx, &audit).await?;
        self.get_document(actor, id).await
    }

    pub async fn get_document(&self, actor: &Actor, id: i64) -> ServiceResult<DocumentView> {
        self.require(
            actor,
            Permission::ReadMobilisation,
            "政策文件",
            &id.to_string(),
        )
        .await?;
        let row = store::document(&self.db, id).await?;
        let d = self
            .own(actor, "政策文件", id, row, |d| &d.jurisdiction_code)
            .await?;
        let links = store::document_links(&self.db, id).await?;
        Ok(document_view(d, links))
    }

    pub async fn list_documents(&self, actor: &Actor) -> ServiceResult<Vec<DocumentView>> {
        self.require(actor, Permission::ReadMobilisation, "政策文件", "list")
            .await?;
        let mut out = Vec::new();
        for d in store::list_documents(&self.db, &actor.scope).await? {
            let links = store::document_links(&self.db, d.id).await?;
            out.push(document_view(d, links));
        }
        Ok(out)
    }
}

/// A person sent by a campaign.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SentPerson {
    pub person_id: i64,
    pub name: String,
    /// 下派到的村（社区）
    pub place_code: String,
    pub sent_on: NaiveDate,
}

/// The people of one page of a campaign's list (the campaign's `people_sent` says how many
/// there are in all).
pub const SENT_LIMIT: i64 = 2000;

impl App {
    /// Who a campaign sent where, in the order they went: page `page` (from 1) of
    /// [`SENT_LIMIT`].
    pub async fn campaign_people(
        &self,
        actor: &Actor,
        campaign: i64,
        page: Option<i64>,
    ) -> ServiceResult<Vec<SentPerson>> {
        self.get_campaign(actor, campaign).await?;
        let offset = crate::page_offset(page.unwrap_or(1), SENT_LIMIT);
        Ok(
            store::campaign_people(&self.db, campaign, SENT_LIMIT, offset)
                .await?
                .into_iter()
                .map(|(person_id, name, place_code, sent_on)| SentPerson {
                    person_id,
                    name,
                    place_code,
                    sent_on,
                })
                .collect(),
        )
    }
}
