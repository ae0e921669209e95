//! A second factor at login: a time-based one-time code (TOTP, RFC 6238: HMAC-SHA1, six
//! digits, 30-second steps, as every authenticator app reads them) from an app enrolled by
//! a QR code drawn here, and ten one-time recovery codes.
//!
//! Which accounts must use one is a policy ([`Policy`]): by default the three administrators
//! and every role that may see personal data in full; others may enrol of their own accord.
//! An account that must but has not enrolled gets a session that may only enrol. A code is
//! good once (the last accepted step is kept), one step either side of now. Only the
//! security administrator resets an account's second factor, and that ends its sessions.

use crate::actor::commit_audited;
use crate::{Actor, App, ServiceError, ServiceResult};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::role::{Permission, Role};
use dualtrack_store::second_factor as store;
use dualtrack_store::Tx;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Secret, TOTP};

/// Which accounts must log in with a second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// The three administrators and the roles that may see personal data in full.
    #[default]
    Privileged,
    /// Every account.
    All,
    /// None is required (a demo); accounts may still enrol.
    Optional,
}

impl Policy {
    pub fn parse(s: &str) -> Option<Policy> {
        match s.trim() {
            "privileged" => Some(Policy::Privileged),
            "all" => Some(Policy::All),
            "optional" => Some(Policy::Optional),
            _ => None,
        }
    }

    /// Whether an account with these roles must use a second factor.
    pub fn requires(self, roles: &[Role]) -> bool {
        match self {
            Policy::All => true,
            Policy::Optional => false,
            Policy::Privileged => roles
                .iter()
                .any(|r| r.is_administrative() || r.grants(Permission::Unmask)),
        }
    }
}

/// What a session proved at login (stored with it).
pub(crate) const SESSION_NONE: &str = "none";
pub(crate) const SESSION_VERIFIED: &str = "verified";
pub(crate) const SESSION_ENROL: &str = "enrol";

const ISSUER: &str = "双线指挥平台";
const RECOVERY_CODES: usize = 10;

fn totp(secret_b32: &str, account: &str) -> ServiceResult<TOTP> {
    let bytes = Secret::Encoded(secret_b32.to_string())
        .to_bytes()
        .map_err(|e| ServiceError::Internal(format!("动态口令密钥无效：{e:?}")))?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        Some(ISSUER.into()),
        account.to_string(),
    )
    .map_err(|e| ServiceError::Internal(format!("动态口令密钥无效：{e:?}")))
}

/// The step a code belongs to (now, or one step either side), if it is right.
fn matching_step(t: &TOTP, code: &str, now: i64) -> Option<i64> {
    let step = now.div_euclid(30);
    (step - 1..=step + 1).find(|s| {
        let want = t.generate((*s as u64) * 30);
        // The same time for every code of the right length.
        want.len() == code.len()
            && want
                .bytes()
                .zip(code.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    })
}

fn recovery_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hex::encode(Sha256::digest(normal.as_bytes()))
}

fn new_recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 10];
    OsRng.fill_bytes(&mut bytes);
    let s: String = bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    format!("{}-{}", &s[..5], &s[5..])
}

/// An enrolment under way: what the authenticator app needs.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Enrolment {
    /// 密钥（Base32，可手动输入验证器）
    pub secret: String,
    /// otpauth:// 地址（即二维码内容）
    pub uri: String,
    /// 二维码（SVG）
    pub qr_svg: String,
}

/// The state of an account's second factor.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SecondFactorState {
    /// 已启用
    pub enabled: bool,
    /// 按策略必须启用
    pub required: bool,
    /// 未用的恢复码个数
    pub recovery_codes_left: i64,
}

impl App {
    /// Whether an account with these roles must use a second factor.
    pub fn second_factor_required(&self, roles: &[Role]) -> bool {
        self.security.second_factor.requires(roles)
    }

    pub async fn second_factor_state(&self, actor: &Actor) -> ServiceResult<SecondFactorState> {
        let uid = own_account(actor)?;
        let t = store::totp_of(&self.db, uid).await?;
        Ok(SecondFactorState {
            enabled: t.is_some_and(|t| t.confirmed_at.is_some()),
            required: self.second_factor_required(&actor.roles),
            recovery_codes_left: store::unused_codes(&self.db, uid).await?,
        })
    }

    /// Starts enrolment with a new secret; an account with a second factor in use must have
    /// it reset by the security administrator first.
    pub async fn begin_second_factor(&self, actor: &Actor) -> ServiceResult<Enrolment> {
        let uid = own_account(actor)?;
        self.refuse_token(actor, "设置双因素认证", "账户", &uid.to_string())
            .await?;
        if let Some(t) = store::totp_of(&self.db, uid).await? {
            if t.confirmed_at.is_some() {
                return Err(ServiceError::conflict(
                    "second_factor",
                    "已启用双因素认证；更换验证器须由安全管理员先重置",
                ));
            }
        }
        let mut raw = [0u8; 20];
        OsRng.fill_bytes(&mut raw);
        let secret = Secret::Raw(raw.to_vec()).to_encoded().to_string();
        let t = totp(&secret, &actor.username)?;
        let uri = t.get_url();
        let qr = qrcode::QrCode::new(uri.as_bytes())
            .map_err(|e| ServiceError::Internal(format!("二维码生成失败：{e}")))?;
        let qr_svg = qr
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build();
        let mut tx = self.db.begin().await?;
        store::begin(&mut tx, uid, &secret).await?;
        let row = actor.audit(
            Action::SecondFactorBegin,
            Outcome::Success,
            "账户",
            uid.to_string(),
            None,
            "生成新的动态口令密钥，待验证器确认".into(),
        );
        commit_audited(tx, &row).await?;
        Ok(Enrolment {
            secret,
            uri,
            qr_svg,
        })
    }

    /// Confirms enrolment with a code from the app; returns the recovery codes, shown once.
    /// The session that enrolled counts as having given its second factor.
    pub async fn confirm_second_factor(
        &self,
        actor: &Actor,
        code: &str,
    ) -> ServiceResult<Vec<String>> {
        let uid = own_account(actor)?;
        self.refuse_token(actor, "设置双因素认证", "账户", &uid.to_string())
            .await?;
        let code = code.trim();
        if code.is_empty() {
            return Err(ServiceError::invalid(
                "code",
                "请输入验证器显示的 6 位动态口令",
            ));
        }
        let Some(t) = store::totp_of(&self.db, uid).await? else {
            return Err(ServiceError::invalid("code", "请先开始启用（扫描二维码）"));
        };
        if t.confirmed_at.is_some() {
            return Err(ServiceError::conflict("second_factor", "已启用双因素认证"));
        }
        let now = crate::clock::wall();
        let Some(step) = matching_step(&totp(&t.secret, &actor.username)?, code, now.timestamp())
        else {
            return Err(ServiceError::invalid(
                "code",
                "动态口令不对：请核对手机时间，输入验证器当前显示的 6 位数字",
            ));
        };
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
        let hashes: Vec<String> = codes.iter().map(|c| recovery_hash(c)).collect();
        let mut tx = self.db.begin().await?;
        store::confirm(&mut tx, uid, step, now, &hashes).await?;
        if let Some(sid) = actor.session_id {
            store::set_session(&mut tx, sid, SESSION_VERIFIED).await?;
        }
        let row = actor.audit(
            Action::SecondFactorEnrol,
            Outcome::Success,
            "账户",
            uid.to_string(),
            None,
            format!("启用动态口令验证器，生成 {RECOVERY_CODES} 个恢复码"),
        );
        commit_audited(tx, &row).await?;
        Ok(codes)
    }

    /// At login, after the password: what the session proves. `Err` when the account has a
    /// second factor and `code` is missing or wrong (a code or a recovery code is used up
    /// within `tx`).
    pub(crate) async fn check_second_factor(
        &self,
        tx: &mut Tx,
        user_id: i64,
        username: &str,
        roles: &[Role],
        code: Option<&str>,
    ) -> ServiceResult<Result<&'static str, &'static str>> {
        let enrolled = store::totp_of(&self.db, user_id)
            .await?
            .filter(|t| t.confirmed_at.is_some());
        let Some(t) = enrolled else {
            return Ok(Ok(if self.second_factor_required(roles) {
                SESSION_ENROL
            } else {
                SESSION_NONE
            }));
        };
        let code = code.map(str::trim).unwrap_or_default();
        if code.is_empty() {
            return Ok(Err("缺少动态口令"));
        }
        let now = crate::clock::wall();
        if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(
                match matching_step(&totp(&t.secret, username)?, code, now.timestamp()) {
                    Some(step) if store::use_step(tx, user_id, step).await? => Ok(SESSION_VERIFIED),
                    Some(_) => Err("动态口令已用过"),
                    None => Err("动态口令错误"),
                },
            );
        }
        if store::use_recovery_code(tx, user_id, &recovery_hash(code), now).await? {
            Ok(Ok(SESSION_VERIFIED))
        } else {
            Ok(Err("恢复码错误或已用过"))
        }
    }
}

fn own_account(actor: &Actor) -> ServiceResult<i64> {
    actor
        .user_id
        .ok_or_else(|| ServiceError::Forbidden("只有登录的账户可以设置双因素认证".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_who_must() {
        let p = Policy::Privileged;
        assert!(p.requires(&[Role::Auditor]));
        assert!(p.requires(&[Role::SecAdmin]));
        assert!(!p.requires(&[Role::GridWorker]));
        assert!(Policy::All.requires(&[Role::GridWorker]));
        assert!(!Policy::Optional.requires(&[Role::SysAdmin]));
        assert_eq!(Policy::parse("all"), Some(Policy::All));
        assert_eq!(Policy::parse("everyone"), None);
    }

    #[test]
    fn a_code_matches_its_step_and_neighbours_only() {
        let t = totp("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "a").expect("totp");
        let now = 1_600_000_000i64;
        let code = t.generate(now as u64);
        assert_eq!(matching_step(&t, &code, now), Some(now / 30));
        assert_eq!(matching_step(&t, &code, now + 30), Some(now / 30));
        assert_eq!(matching_step(&t, &code, now + 90), None);
        assert_eq!(matching_step(&t, "12345", now), None);
    }

    #[test]
    fn recovery_codes_are_read_as_typed_loosely() {
        let c = new_recovery_code();
        assert_eq!(c.len(), 11);
        assert_eq!(
            recovery_hash(&c),
            recovery_hash(&c.to_uppercase().replace('-', " "))
        );
    }
}
