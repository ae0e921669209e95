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

use super::channels;
use super::views::hook_view;
use super::*;
use crate::input::parse_code;
use crate::input::text;
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::Duration;
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::role::Permission;
use dualtrack_domain::whistle::ChannelKind;
use dualtrack_store::whistle::{self as store, NewWebhook};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The HTTP client of the deliveries, trusting the system's CA certificates.
pub fn client() -> reqwest::Client {
    client_trusting(None).unwrap_or_default()
}

/// Where systems keep their bundle of trusted CA certificates (`SSL_CERT_FILE` first).
const SYSTEM_ROOTS: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The HTTP client of the deliveries (plain HTTP, and HTTPS with rustls), trusting the
/// system's CA certificates and those of `ca_file`; an error names the file at fault.
pub fn client_trusting(ca_file: Option<&std::path::Path>) -> Result<reqwest::Client, String> {
    let mut b = reqwest::Client::builder()
        .use_rustls_tls()
        .timeout(std::time::Duration::from_secs(10))
        .connect_timeout(std::time::Duration::from_secs(5))
        .user_agent("dualtrack-webhook/1");
    let system = std::env::var("SSL_CERT_FILE")
        .ok()
        .into_iter()
        .chain(SYSTEM_ROOTS.iter().map(|s| s.to_string()))
        .find_map(|p| std::fs::read(p).ok());
    for c in system
        .and_then(|pem| reqwest::Certificate::from_pem_bundle(&pem).ok())
        .unwrap_or_default()
    {
        b = b.add_root_certificate(c);
    }
    if let Some(path) = ca_file {
        let pem = std::fs::read(path)
            .map_err(|e| format!("配置项 whistle.ca_file：无法读取 {}：{e}", path.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                format!(
                    "配置项 whistle.ca_file：{} 中没有 PEM 格式的证书（-----BEGIN CERTIFICATE-----）",
                    path.display()
                )
            })?;
        for c in certs {
            b = b.add_root_certificate(c);
        }
    }
    b.build()
        .map_err(|e| format!("消息推送的 HTTP 客户端无法建立：{e}"))
}

impl App {
    /// The HTTP client of this server's deliveries: the system's CA certificates and the
    /// configured `ca_file` (checked at start; should it fail later, the system's alone).
    pub fn channel_client(&self) -> reqwest::Client {
        client_trusting(self.whistle.ca_file.as_deref()).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "channel client without the configured CA file");
            client()
        })
    }
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

/// The window a channel's rate limit counts requests in.
pub const RATE_WINDOW: Duration = Duration::seconds(60);

impl App {
    /// Sends the deliveries due by now (the application's clock), channel by channel: each
    /// request carries what waits for the channel (one notice alone, several as a digest, as
    /// many as the platform's message takes), and a channel gets no more requests than its
    /// limit in any minute; what the limit holds back waits for the next round. Returns
    /// (deliveries attempted, deliveries delivered).
    pub async fn deliver_due(&self, client: &reqwest::Client) -> ServiceResult<(u32, u32)> {
        let (mut attempted, mut delivered) = (0, 0);
        for hook_id in store::due_channels(&self.db, self.now()).await? {
            let Some(hook) = store::webhook(&self.db, hook_id).await? else {
                continue;
            };
            let (a, d) = self.deliver_to(client, &hook).await?;
            attempted += a;
            delivered += d;
        }
        Ok((attempted, delivered))
    }

    async fn deliver_to(
        &self,
        client: &reqwest::Client,
        hook: &store::WebhookRow,
    ) -> ServiceResult<(u32, u32)> {
        let kind = ChannelKind::parse(&hook.kind).unwrap_or(ChannelKind::Generic);
        let base = self.whistle.public_url.clone();
        let (mut attempted, mut delivered) = (0, 0);
        loop {
            let now = self.now();
            let used = store::sends_since(&self.db, hook.id, now - RATE_WINDOW).await?;
            if used >= i64::from(hook.per_minute.max(1)) {
                break;
            }
            let due = store::due_deliveries(&self.db, hook.id, now, 200).await?;
            let mut items = Vec::new();
            let wall = crate::clock::wall();
            for d in &due {
                if store::claim_delivery(&self.db, d.id, wall, wall + Duration::seconds(60)).await?
                {
                    items.push((
                        d.attempts,
                        channels::Item::from_body(d.id, &d.body),
                        d.event_id,
                    ));
                }
            }
            if items.is_empty() {
                break;
            }
            let queue: Vec<channels::Item> = items.iter().map(|(_, i, _)| i.clone()).collect();
            let first_file = queue.iter().position(channels::is_file);
            let (n, code, error, requests) = if first_file == Some(0) {
                // A file goes alone in two requests, both within the channel's minute.
                if used + 2 > i64::from(hook.per_minute.max(2)) {
                    for (_, item, _) in &items {
                        store::release_delivery(&self.db, item.delivery_id).await?;
                    }
                    break;
                }
                let (code, error, requests) = self.send_file(client, hook, items[0].2).await?;
                (1, code, error, requests)
            } else {
                let upto = first_file.unwrap_or(queue.len());
                let n = channels::take_for_one_message(kind, &queue[..upto], &base);
                let (code, error) = send(client, hook, &queue[..n], &base).await;
                (n, code, error, 1)
            };
            let now = self.now();
            let mut tx = self.db.begin().await?;
            let mut send_id = 0;
            for r in 0..requests.max(1) {
                let ok = error.is_none() || r + 1 < requests.max(1);
                send_id = store::record_send(&mut tx, hook.id, now, n as i32, ok).await?;
            }
            tx.commit().await?;
            for (attempts, item, _) in &items[..n] {
                attempted += 1;
                match &error {
                    None => {
                        delivered += 1;
                        store::finish_attempt(
                            &self.db,
                            item.delivery_id,
                            send_id,
                            "delivered",
                            code,
                            None,
                            now,
                            Some(now),
                        )
                        .await?;
                    }
                    Some(err) => {
                        let give_up = (attempts + 1) as u32 >= self.whistle.webhook_max_attempts;
                        let status = if give_up { "failed" } else { "pending" };
                        tracing::warn!(delivery = item.delivery_id, attempts, error = %err, "channel delivery failed");
                        store::finish_attempt(
                            &self.db,
                            item.delivery_id,
                            send_id,
                            status,
                            code,
                            Some(err),
                            now + backoff(*attempts),
                            None,
                        )
                        .await?;
                    }
                }
            }
            // The ones claimed but not carried wait for the next request.
            for (_, item, _) in &items[n..] {
                store::release_delivery(&self.db, item.delivery_id).await?;
            }
            if error.is_some() {
                break;
            }
        }
        Ok((attempted, delivered))
    }
}

impl App {
    /// Sends an event's file to a 企业微信 / 政务微信 robot: the upload, then the message
    /// with the `media_id` it answered. The answer's status, why it failed, and how many
    /// requests were made (one when the upload failed).
    async fn send_file(
        &self,
        client: &reqwest::Client,
        hook: &store::WebhookRow,
        event_id: Option<i64>,
    ) -> ServiceResult<(Option<i32>, Option<String>, usize)> {
        let file = match event_id {
            Some(id) => store::channel_file(&self.db, id).await?,
            None => None,
        };
        let Some((name, bytes)) = file else {
            return Ok((None, Some("要发送的文件已不在库中".into()), 0));
        };
        let (url, content_type, body) = channels::wecom_upload(hook, &name, &bytes);
        let answer = client
            .post(&url)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await;
        let media = match answer {
            Ok(r) => {
                let status = r.status().as_u16();
                let text = r.text().await.unwrap_or_default();
                match channels::media_id(status, &text) {
                    Ok(m) => m,
                    Err(e) => {
                        return Ok((Some(i32::from(status)), Some(format!("上传文件：{e}")), 1))
                    }
                }
            }
            Err(e) => return Ok((None, Some(format!("上传文件：{}", failure(&e))), 1)),
        };
        let out = channels::wecom_file_message(hook, &media);
        let (code, error) = post(client, out).await;
        Ok((code, error, 2))
    }
}

/// Sends one request carrying `items` to a channel: the answer's status and, unless the
/// platform took it, why not.
async fn send(
    client: &reqwest::Client,
    hook: &store::WebhookRow,
    items: &[channels::Item],
    base: &str,
) -> (Option<i32>, Option<String>) {
    let out = channels::render(hook, items, base, crate::clock::wall().timestamp_millis());
    post(client, out).await
}

/// Makes one request to a channel: the answer's status and, unless the platform took it,
/// why not.
async fn post(client: &reqwest::Client, out: channels::Outgoing) -> (Option<i32>, Option<String>) {
    let mut req = client.post(&out.url).body(out.body);
    for (k, v) in &out.headers {
        req = req.header(*k, v);
    }
    match req.send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            let answer = r.text().await.unwrap_or_default();
            (
                Some(i32::from(status)),
                channels::taken(status, &answer).err(),
            )
        }
        Err(e) => (None, Some(failure(&e))),
    }
}

/// Why a request got no answer, in words that carry neither the address (a robot's key or
/// signature is in it) nor the library's English.
fn failure(e: &reqwest::Error) -> String {
    let mut cause: Option<&dyn std::error::Error> = Some(e);
    while let Some(c) = cause {
        let text = c.to_string().to_lowercase();
        if text.contains("certificate") || text.contains("unknownissuer") {
            return "接收方的 HTTPS 证书不受信任（签发它的 CA 不在系统证书或配置项 whistle.ca_file 中）".into();
        }
        cause = c.source();
    }
    if e.is_timeout() {
        "接收方 10 秒内未答复".into()
    } else if e.is_connect() {
        "连接不上接收方（地址或网络不通）".into()
    } else {
        "发送失败（请求未完成）".into()
    }
}

impl App {
    /// Sends a test message to a channel now ("发送测试消息"), within its per-minute limit,
    /// and says how the platform answered.
    pub async fn test_webhook(
        &self,
        actor: &Actor,
        client: &reqwest::Client,
        id: i64,
    ) -> ServiceResult<TestSent> {
        let hook = self.own_webhook(actor, id).await?;
        let now = self.now();
        if store::sends_since(&self.db, hook.id, now - RATE_WINDOW).await?
            >= i64::from(hook.per_minute.max(1))
        {
            return Err(ServiceError::conflict(
                "per_minute",
                format!(
                    "该渠道这一分钟已发送 {} 条，达到上限，请稍后再试",
                    hook.per_minute
                ),
            ));
        }
        let item = channels::Item::test(&hook.name, &actor.display_name);
        let (status, error) = send(client, &hook, &[item], &self.whistle.public_url).await;
        let mut tx = self.db.begin().await?;
        store::record_send(&mut tx, hook.id, now, 1, error.is_none()).await?;
        let audit = actor.audit(
            Action::WebhookTest,
            if error.is_none() {
                Outcome::Success
            } else {
                Outcome::Failure
            },
            "消息推送",
            id.to_string(),
            Some(hook.jurisdiction_code.clone()),
            error.clone().unwrap_or_else(|| "已送达".into()),
        );
        commit_audited(tx, &audit).await?;
        Ok(TestSent {
            delivered: error.is_none(),
            status,
            error,
        })
    }

    pub async fn create_webhook(
        &self,
        actor: &Actor,
        input: &WebhookInput,
    ) -> ServiceResult<WebhookView> {
        self.require(actor, Permission::ManageWhistle, "消息推送", "new")
            .await?;
        let name = text("name", "名称", &input.name, 50)?;
        let url = text("url", "接收地址", &input.url, 500)?;
        let secret = input.secret.trim().to_string();
        if secret.chars().count() < 16 || secret.chars().count() > 200 {
            return Err(ServiceError::invalid(
                "secret",
                "签名密钥应为 16 到 200 个字符",
            ));
        }
        let fields = channel_fields(input, &url)?;
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
            kind: fields.kind.as_str().into(),
            events: fields.events,
            mentions: fields.mentions,
            sms_signature: fields.sms_signature,
            sms_templates: fields.sms_templates,
            per_minute: fields.per_minute,
            keyword: fields.keyword,
        };
        let mut tx = self.db.begin().await?;
        let id = store::insert_webhook(&mut tx, &w, now).await?;
        let audit = actor.audit(
            Action::WebhookCreate,
            Outcome::Success,
            "消息推送",
            id.to_string(),
            Some(code.to_string()),
            format!("{}（{}）→ {}", w.name, fields.kind.zh(), w.url),
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

    /// One channel of the caller's subtree.
    pub async fn webhook(&self, actor: &Actor, id: i64) -> ServiceResult<WebhookView> {
        Ok(hook_view(self.own_webhook(actor, id).await?))
    }

    /// A channel the caller manages, within its subtree.
    async fn own_webhook(&self, actor: &Actor, id: i64) -> ServiceResult<store::WebhookRow> {
        self.require(
            actor,
            Permission::ManageWhistle,
            "消息推送",
            &id.to_string(),
        )
        .await?;
        let w = store::webhook(&self.db, id).await?;
        self.own(actor, "消息推送", id, w, |r| &r.jurisdiction_code)
            .await
    }

    pub async fn webhook_deliveries(
        &self,
        actor: &Actor,
        id: i64,
    ) -> ServiceResult<Vec<DeliveryView>> {
        self.own_webhook(actor, id).await?;
        Ok(store::deliveries(&self.db, id, 200)
            .await?
            .into_iter()
            .map(|d| (channels::Item::from_body(d.id, &d.body), d))
            .map(|(item, d)| DeliveryView {
                id: d.id,
                notice_id: d.notice_id,
                event_id: d.event_id,
                summary: item.summary(),
                event_name: item.event_name,
                status: d.status,
                attempts: d.attempts,
                next_attempt_at: d.next_attempt_at,
                last_status: d.last_status,
                last_error: d.last_error,
                delivered_at: d.delivered_at,
                created_at: d.created_at,
                send_id: d.send_id,
                send_items: d.send_items,
            })
            .collect())
    }
}

/// A channel's settings past their checks.
struct ChannelFields {
    kind: ChannelKind,
    events: String,
    mentions: String,
    sms_signature: String,
    sms_templates: String,
    per_minute: i32,
    keyword: String,
}

fn channel_fields(input: &WebhookInput, url: &str) -> ServiceResult<ChannelFields> {
    let kind = match crate::input::trimmed(&input.kind) {
        None => ChannelKind::Generic,
        Some(k) => ChannelKind::parse(k).ok_or_else(|| {
            let names: Vec<String> = ChannelKind::choices()
                .iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect();
            ServiceError::invalid("kind", format!("渠道应为：{}", names.join("、")))
        })?,
    };
    let lower = url.to_lowercase();
    if !lower.starts_with("http://") && !lower.starts_with("https://") {
        return Err(ServiceError::invalid(
            "url",
            "接收地址应以 http://（内网的消息机器人或网关）或 https:// 开头",
        ));
    }
    if url.chars().any(char::is_whitespace) || url.len() < 12 {
        return Err(ServiceError::invalid("url", "接收地址无效"));
    }
    if kind == ChannelKind::Wecom && url.contains('?') {
        return Err(ServiceError::invalid(
            "url",
            "企业微信、政务微信机器人的接收地址只填服务器地址（如 http://10.1.1.1:8080），机器人的 key 填在签名密钥",
        ));
    }
    let events = crate::input::trimmed(&input.events).unwrap_or_default();
    let mut kept = Vec::new();
    for e in events
        .split([',', '，'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let ev = dualtrack_domain::whistle::event_code(e).ok_or_else(|| {
            ServiceError::invalid(
                "events",
                format!("没有事件“{e}”：事件应为 raised、escalated、handover_overdue、report_missing、fever、low_stock、briefing 等"),
            )
        })?;
        kept.push(ev);
    }
    let mentions = crate::input::trimmed(&input.mentions).unwrap_or_default();
    let names: Vec<&str> = mentions
        .split([',', '，', ' '])
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .collect();
    let is_mobile =
        |m: &&str| m.len() == 11 && m.starts_with('1') && m.bytes().all(|b| b.is_ascii_digit());
    if names.len() > 20
        || names.iter().any(|m| {
            m.len() > 64
                || !m
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.@".contains(c))
        })
    {
        return Err(ServiceError::invalid(
            "mentions",
            "提醒的人应为手机号或账号，逗号分隔，至多 20 个",
        ));
    }
    let sms_signature = crate::input::trimmed(&input.sms_signature).unwrap_or_default();
    let sms_templates = crate::input::trimmed(&input.sms_templates).unwrap_or_default();
    if kind == ChannelKind::Sms {
        if sms_signature.is_empty() || sms_signature.chars().count() > 20 {
            return Err(ServiceError::invalid(
                "sms_signature",
                "短信渠道须填短信签名（至多 20 个字）",
            ));
        }
        if channels::template_for(sms_templates, "default").is_empty()
            && channels::template_for(sms_templates, "digest").is_empty()
        {
            return Err(ServiceError::invalid(
                "sms_templates",
                "短信渠道须填模板号，如 吹哨=100231,汇总=100239,其他=100230（汇总与其他至少其一）",
            ));
        }
        if !names.iter().any(is_mobile) {
            return Err(ServiceError::invalid(
                "mentions",
                "短信渠道须填收信的手机号",
            ));
        }
    }
    let ceiling = match kind {
        ChannelKind::Wecom | ChannelKind::Dingtalk => 20,
        _ => 600,
    };
    let per_minute = input.per_minute.unwrap_or(20);
    if !(1..=ceiling).contains(&per_minute) {
        return Err(ServiceError::invalid(
            "per_minute",
            format!("每分钟发送条数应为 1 到 {ceiling}"),
        ));
    }
    let keyword = crate::input::trimmed(&input.keyword).unwrap_or_default();
    if !keyword.is_empty() {
        if !matches!(kind, ChannelKind::Dingtalk | ChannelKind::Feishu) {
            return Err(ServiceError::invalid(
                "keyword",
                "自定义关键词只用于钉钉、飞书机器人（其安全设置可要求消息带关键词）",
            ));
        }
        if keyword.chars().count() > 20 || keyword.chars().any(char::is_control) {
            return Err(ServiceError::invalid(
                "keyword",
                "自定义关键词至多 20 个字，不含换行",
            ));
        }
    }
    Ok(ChannelFields {
        kind,
        keyword: keyword.to_string(),
        events: kept.join(","),
        mentions: names.join(","),
        sms_signature: sms_signature.to_string(),
        sms_templates: sms_templates.to_string(),
        per_minute: per_minute as i32,
    })
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
