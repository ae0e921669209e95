//! Attachments of a ticket: photos and documents, checked by content and size.

use super::views::attachment_view;
use super::*;
use crate::idempotency::{keep, Claim, Written};
use crate::{Actor, App, ServiceError, ServiceResult};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::role::Permission;
use dualtrack_domain::whistle::{clean_file_name, sniff, TicketEvent, ALLOWED_FILES};
use dualtrack_store::whistle::{self as store};
use sha2::{Digest, Sha256};

impl App {
    /// Attaches a photo or document: its type judged from its content, its size within the
    /// setting; kept in the database (so the backup holds it). Anyone who may see the
    /// ticket and raise or answer tickets may attach. A retry with the same idempotency key,
    /// name and content answers with the attachment kept the first time.
    pub async fn attach(
        &self,
        actor: &Actor,
        id: i64,
        name: &str,
        bytes: &[u8],
        key: &Option<String>,
    ) -> ServiceResult<Written<AttachmentView>> {
        let request = (id, name, hex::encode(Sha256::digest(bytes)));
        self.once(
            actor,
            "ticket_attachment",
            key,
            &request,
            |claim| self.write_attachment(actor, id, name, bytes, claim),
            |rid| async move { self.attachment(actor, rid).await.map(|(a, _)| a) },
        )
        .await
    }

    async fn write_attachment(
        &self,
        actor: &Actor,
        id: i64,
        name: &str,
        bytes: &[u8],
        claim: Option<Claim>,
    ) -> ServiceResult<AttachmentView> {
        if !actor.can(Permission::RaiseTickets) && !actor.can(Permission::RespondTickets) {
            self.require(actor, Permission::RaiseTickets, "工单", &id.to_string())
                .await?;
        }
        self.require(actor, Permission::ReadTickets, "工单", &id.to_string())
            .await?;
        let t = self.own_ticket(actor, id).await?;
        let name = clean_file_name(name);
        if bytes.is_empty() {
            return Err(ServiceError::invalid("file", "文件是空的，请重新选择"));
        }
        let max = self.whistle.max_attachment_bytes;
        if bytes.len() > max {
            return Err(ServiceError::invalid(
                "file",
                format!(
                    "附件“{name}”有 {:.1} MB，超过上限 {:.1} MB，请压缩后再传",
                    bytes.len() as f64 / 1048576.0,
                    max as f64 / 1048576.0
                ),
            ));
        }
        let Some(ft) = sniff(bytes, &name) else {
            return Err(ServiceError::invalid(
                "file",
                format!("不接受附件“{name}”的文件类型：只接受{ALLOWED_FILES}"),
            ));
        };
        let sha = hex::encode(Sha256::digest(bytes));
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let aid = store::insert_attachment(
            &mut tx,
            id,
            &name,
            ft.mime(),
            &sha,
            bytes,
            &actor.username,
            now,
        )
        .await?;
        keep(&mut tx, claim.as_ref(), aid).await?;
        store::insert_event(
            &mut tx,
            id,
            now,
            TicketEvent::Attached.as_str(),
            None,
            &actor.username,
            &name,
        )
        .await?;
        let audit = actor.audit(
            Action::TicketAttach,
            Outcome::Success,
            "工单",
            id.to_string(),
            Some(t.jurisdiction_code.clone()),
            format!("{name}（{} 字节，sha256 {}）", bytes.len(), &sha[..12]),
        );
        commit_audited(tx, &audit).await?;
        Ok(AttachmentView {
            id: aid,
            file_name: name,
            content_type: ft.mime().into(),
            size: bytes.len() as i64,
            sha256: sha,
            uploaded_by: actor.username.clone(),
            uploaded_at: now,
        })
    }

    /// An attachment's content, if its ticket is the caller's to see.
    pub async fn attachment(
        &self,
        actor: &Actor,
        id: i64,
    ) -> ServiceResult<(AttachmentView, Vec<u8>)> {
        self.require(actor, Permission::ReadTickets, "附件", &id.to_string())
            .await?;
        let Some((a, content)) = store::attachment(&self.db, id).await? else {
            return Err(ServiceError::NotFound(format!("未找到附件 {id}")));
        };
        self.own_ticket(actor, a.ticket_id).await.map_err(|_| {
            ServiceError::NotFound(format!("未找到附件 {id}，或其不在您的管辖范围内"))
        })?;
        Ok((attachment_view(a), content))
    }
}
