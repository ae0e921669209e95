//! Campaigns and the policy documents that set up the work.

use crate::{on_db, on_tx, Db, Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use dualtrack_domain::jurisdiction::Scope;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CampaignRow {
    pub id: i64,
    pub name: String,
    pub theme: String,
    pub jurisdiction_code: String,
    pub start_on: NaiveDate,
    pub end_on: Option<NaiveDate>,
    pub people_sent: i64,
    pub places_covered: i64,
}

const CAMPAIGN_SELECT: &str = "SELECT c.id, c.name, c.theme, c.jurisdiction_code, c.start_on, c.end_on, \
     (SELECT COUNT(*) FROM campaign_people cp WHERE cp.campaign_id = c.id) AS people_sent, \
     (SELECT COUNT(DISTINCT cp.place_code) FROM campaign_people cp WHERE cp.campaign_id = c.id) AS places_covered \
     FROM campaigns c";

#[allow(clippy::too_many_arguments)]
pub async fn insert_campaign(
    tx: &mut Tx,
    name: &str,
    theme: &str,
    code: &str,
    start_on: NaiveDate,
    end_on: Option<NaiveDate>,
    at: DateTime<Utc>,
) -> Result<i64> {
    Ok(on_tx!(tx, e => sqlx::query_scalar(
        "INSERT INTO campaigns (name, theme, jurisdiction_code, start_on, end_on, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(name).bind(theme).bind(code).bind(start_on).bind(end_on).bind(at)
        .fetch_one(&mut *e).await?))
}

pub async fn campaign(db: &Db, id: i64) -> Result<Option<CampaignRow>> {
    let sql = format!("{CAMPAIGN_SELECT} WHERE c.id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, CampaignRow>(&sql).bind(id).fetch_optional(p).await?))
}

pub async fn list_campaigns(db: &Db, scope: &Scope) -> Result<Vec<CampaignRow>> {
    let (lo, hi) = scope.range();
    let sql = format!("{CAMPAIGN_SELECT} WHERE c.jurisdiction_code >= $1 AND c.jurisdiction_code < $2 ORDER BY c.start_on DESC, c.id");
    Ok(
        on_db!(db, p => sqlx::query_as::<_, CampaignRow>(&sql).bind(&lo).bind(&hi).fetch_all(p).await?),
    )
}

/// Adds a person sent by a campaign to a place; false if already listed.
pub async fn add_campaign_person(
    tx: &mut Tx,
    campaign: i64,
    person: i64,
    place: &str,
    sent_on: NaiveDate,
) -> Result<bool> {
    Ok(on_tx!(tx, e => sqlx::query(
        "INSERT INTO campaign_people (campaign_id, person_id, place_code, sent_on) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
        .bind(campaign).bind(person).bind(place).bind(sent_on).execute(&mut *e).await?.rows_affected() == 1))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocumentRow {
    pub id: i64,
    pub title: String,
    pub issuer: String,
    pub doc_number: Option<String>,
    pub issued_on: NaiveDate,
    pub measures: String,
    pub jurisdiction_code: String,
}

const DOCUMENT_SELECT: &str =
    "SELECT id, title, issuer, doc_number, issued_on, measures, jurisdiction_code FROM policy_documents";

#[allow(clippy::too_many_arguments)]
pub async fn insert_document(
    tx: &mut Tx,
    title: &str,
    issuer: &str,
    doc_number: Option<&str>,
    issued_on: NaiveDate,
    measures: &str,
    code: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    Ok(on_tx!(tx, e => sqlx::query_scalar(
        "INSERT INTO policy_documents (title, issuer, doc_number, issued_on, measures, jurisdiction_code, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
        .bind(title).bind(issuer).bind(doc_number).bind(issued_on).bind(measures).bind(code).bind(at)
        .fetch_one(&mut *e).await?))
}

pub async fn link_document(
    tx: &mut Tx,
    document: i64,
    target_kind: &str,
    target_id: i64,
) -> Result<()> {
    on_tx!(tx, e => sqlx::query(
        "INSERT INTO document_links (document_id, target_kind, target_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(document).bind(target_kind).bind(target_id).execute(&mut *e).await?.rows_affected());
    Ok(())
}

pub async fn document(db: &Db, id: i64) -> Result<Option<DocumentRow>> {
    let sql = format!("{DOCUMENT_SELECT} WHERE id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, DocumentRow>(&sql).bind(id).fetch_optional(p).await?))
}

pub async fn list_documents(db: &Db, scope: &Scope) -> Result<Vec<DocumentRow>> {
    let (lo, hi) = scope.range();
    let sql = format!("{DOCUMENT_SELECT} WHERE jurisdiction_code >= $1 AND jurisdiction_code < $2 ORDER BY issued_on DESC, id");
    Ok(
        on_db!(db, p => sqlx::query_as::<_, DocumentRow>(&sql).bind(&lo).bind(&hi).fetch_all(p).await?),
    )
}

/// What a document is linked to: (kind, id, name).
pub async fn document_links(db: &Db, document: i64) -> Result<Vec<(String, i64, String)>> {
    Ok(on_db!(db, p => sqlx::query_as::<_, (String, i64, String)>(
        "SELECT l.target_kind, l.target_id, COALESCE(o.name, c.name, '') FROM document_links l \
         LEFT JOIN organisations o ON l.target_kind = 'organisation' AND o.id = l.target_id \
         LEFT JOIN campaigns c ON l.target_kind = 'campaign' AND c.id = l.target_id \
         WHERE l.document_id = $1 ORDER BY l.target_kind, l.target_id")
        .bind(document).fetch_all(p).await?))
}

/// The people a campaign sent: (person id, name, place, date).
pub async fn campaign_people(
    db: &Db,
    campaign: i64,
    limit: i64,
    offset: i64,
) -> Result<Vec<(i64, String, String, NaiveDate)>> {
    Ok(
        on_db!(db, p => sqlx::query_as::<_, (i64, String, String, NaiveDate)>(
        "SELECT cp.person_id, p.name, cp.place_code, cp.sent_on FROM campaign_people cp JOIN people p ON p.id = cp.person_id \
         WHERE cp.campaign_id = $1 ORDER BY cp.sent_on, cp.person_id LIMIT $2 OFFSET $3")
        .bind(campaign).bind(limit).bind(offset).fetch_all(p).await?),
    )
}
