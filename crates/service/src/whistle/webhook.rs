//! Webhooks: notices forwarded to a place's or a department's own messaging robot, registered
//! by those who manage the whistle.
//!
//! A delivery is a row of the outbox (`webhook_deliveries`) written in the transaction of the
//! notice, so a crash loses none. The scheduler sends each due one as a JSON POST signed with
//! the webhook's secret:
//!
//! - `X-Dualtrack-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`
//! - `X-Dualtrack-Timestamp: <unix seconds>`, `X-Dualtrack-Event`, `X-Dualtrack-Delivery: <id>`
//!
//! A 2xx answer delivers it; anything else (or no answer in 10 s) is retried after 30 s, 1,
//! 2, 4 … minutes (at most an hour apart) until the configured number of attempts, then given
//! up ("failed", kept with its last error). A receiver should treat the delivery id as an
//! idempotency key: a crash between sending and recording the answer sends it again.

use super::views::hook_view;
use super::*;
use crate::input::parse_code;
use crate::input::text;
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::Duration;
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::role::Permission;
use dualtrack_store::whistle::{self as store, NewWebhook};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The HTTP client of the deliveries.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .connect_timeout(std::time::Duration::from_secs(5))
        .user_agent("dualtrack-webhook/1")
        .build()
        .unwrap_or_default()
}

/// The signature header's value for a body sent at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The wait before attempt `n + 1` after `n` failed attempts.
pub fn backoff(attempts: i32) -> Duration {
    let secs = 30i64.saturating_mul(1i64 << attempts.clamp(0, 10));
    Duration::seconds(secs.min(3600))
}

impl App {
    /// Sends the deliveries due by now (the application's clock). Returns (attempted,
    /// delivered).
    pub async fn deliver_due(&self, client: &reqwest::Client) -> ServiceResult<(u32, u32)> {
        let now = self.now();
        let due = store::due_deliveries(&self.db, now, 50).await?;
        let (mut attempted, mut delivered) = (0, 0);
        for d in due {
            let wall = crate::clock::wall();
            if !store::claim_delivery(&self.db, d.id, wall, wall + Duration::seconds(60)).await? {
                continue;
            }
            let Some(hook) = store::webhook(&self.db, d.webhook_id).await? else {
                continue;
            };
            attempted += 1;
            let ts = wall.timestamp();
            let event = serde_json::from_str::<serde_json::Value>(&d.body)
                .ok()
                .and_then(|v| v["event"].as_str().map(str::to_string))
                .unwrap_or_default();
            let sent = client
                .post(&hook.url)
                .header("content-type", "application/json; charset=utf-8")
                .header(
                    "x-dualtrack-signature",
                    signature(&hook.secret, ts, &d.body),
                )
                .header("x-dualtrack-timestamp", ts.to_string())
                .header("x-dualtrack-event", event)
                .header("x-dualtrack-delivery", d.id.to_string())
                .body(d.body.clone())
                .send()
                .await;
            let (code, error) = match sent {
                Ok(r) if r.status().is_success() => (Some(i32::from(r.status().as_u16())), None),
                Ok(r) => (
                    Some(i32::from(r.status().as_u16())),
                    Some(format!("接收方答复 {}", r.status())),
                ),
                Err(e) => (None, Some(format!("发送失败：{e}"))),
            };
            let now = self.now();
            match error {
                None => {
                    delivered += 1;
                    store::finish_attempt(&self.db, d.id, "delivered", code, None, now, Some(now))
                        .await?;
                }
                Some(err) => {
                    let attempts = d.attempts + 1;
                    let give_up = attempts as u32 >= self.whistle.webhook_max_attempts;
                    let status = if give_up { "failed" } else { "pending" };
                    tracing::warn!(delivery = d.id, attempts, error = %err, "webhook delivery failed");
                    store::finish_attempt(
                        &self.db,
                        d.id,
                        status,
                        code,
                        Some(&err),
                        now + backoff(d.attempts),
                        None,
                    )
                    .await?;
                }
            }
        }
        Ok((attempted, delivered))
    }
}

impl App {
    pub async fn create_webhook(
        &self,
        actor: &Actor,
        input: &WebhookInput,
    ) -> ServiceResult<WebhookView> {
        self.require(actor, Permission::ManageWhistle, "消息推送", "new")
            .await?;
        let name = text("name", "名称", &input.name, 50)?;
        let url = text("url", "接收地址", &input.url, 500)?;
        let lower = url.to_lowercase();
        if !lower.starts_with("http://") {
            return Err(ServiceError::invalid(
                "url",
                "接收地址应以 http:// 开头（平台部署于政务内网，推送到内网的消息机器人或网关）",
            ));
        }
        if url.chars().any(char::is_whitespace) || url.len() < 12 {
            return Err(ServiceError::invalid("url", "接收地址无效"));
        }
        let secret = input.secret.trim().to_string();
        if secret.chars().count() < 16 || secret.chars().count() > 200 {
            return Err(ServiceError::invalid(
                "secret",
                "签名密钥应为 16 到 200 个字符",
            ));
        }
        let code = match input.department_id {
            Some(d) => {
                let row = store::department(&self.db, d).await?;
                let row = self
                    .own(actor, "部门", d, row, |r| &r.jurisdiction_code)
                    .await?;
                parse_code("department_id", &row.jurisdiction_code)?
            }
            None => {
                self.place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
                    .await?
            }
        };
        let now = self.now();
        let w = NewWebhook {
            jurisdiction_code: code.to_string(),
            department_id: input.department_id,
            name,
            url,
            secret,
            created_by: actor.username.clone(),
        };
        let mut tx = self.db.begin().await?;
        let id = store::insert_webhook(&mut tx, &w, now).await?;
        let audit = actor.audit(
            Action::WebhookCreate,
            Outcome::Success,
            "消息推送",
            id.to_string(),
            Some(code.to_string()),
            format!("{} → {}", w.name, w.url),
        );
        commit_audited(tx, &audit).await?;
        let row = store::webhook(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("推送未写入".into()))?;
        Ok(hook_view(row))
    }

    pub async fn webhooks(&self, actor: &Actor) -> ServiceResult<Vec<WebhookView>> {
        self.require(actor, Permission::ManageWhistle, "消息推送", "list")
            .await?;
        Ok(store::webhooks(&self.db, &actor.scope)
            .await?
            .into_iter()
            .map(hook_view)
            .collect())
    }

    pub async fn webhook_deliveries(
        &self,
        actor: &Actor,
        id: i64,
    ) -> ServiceResult<Vec<DeliveryView>> {
        self.require(
            actor,
            Permission::ManageWhistle,
            "消息推送",
            &id.to_string(),
        )
        .await?;
        let w = store::webhook(&self.db, id).await?;
        self.own(actor, "消息推送", id, w, |r| &r.jurisdiction_code)
            .await?;
        Ok(store::deliveries(&self.db, id, 200)
            .await?
            .into_iter()
            .map(|d| DeliveryView {
                id: d.id,
                notice_id: d.notice_id,
                status: d.status,
                attempts: d.attempts,
                next_attempt_at: d.next_attempt_at,
                last_status: d.last_status,
                last_error: d.last_error,
                delivered_at: d.delivered_at,
                created_at: d.created_at,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_timestamp_and_body() {
        // HMAC-SHA256("key", "1.{}") computed independently.
        let s = signature("key", 1, "{}");
        assert!(s.starts_with("sha256=") && s.len() == 7 + 64, "{s}");
        assert_ne!(s, signature("key", 2, "{}"));
        assert_ne!(s, signature("other", 1, "{}"));
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(0), Duration::seconds(30));
        assert_eq!(backoff(1), Duration::seconds(60));
        assert_eq!(backoff(20), Duration::seconds(3600));
    }
}
