//! Password hashes: argon2id by default, or PBKDF2 with HMAC-SM3 where a policy asks for
//! 国密 algorithms throughout.
//!
//! Both are kept as self-describing PHC strings (`$argon2id$v=19$m=…`,
//! `$pbkdf2-sm3$i=…$<salt>$<hash>`), so a hash is checked by the scheme it names whatever
//! the configured one is: switching schemes never locks anyone out, and a login with a hash
//! of another scheme (or older parameters) re-hashes the password to the configured one.

use crate::{ServiceError, ServiceResult};
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{
    Ident, Output, ParamsString, PasswordHash, PasswordHasher, PasswordVerifier, Salt, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use hmac::Hmac;
use sm3::Sm3;

/// The name of PBKDF2-HMAC-SM3 in a hash string.
const PBKDF2_SM3: &str = "pbkdf2-sm3";
/// Bytes of a PBKDF2-HMAC-SM3 hash (one SM3 output).
const PBKDF2_LEN: usize = 32;
/// Bytes of a random salt.
const SALT_LEN: usize = 16;

/// Iterations of PBKDF2-HMAC-SM3 unless configured otherwise.
pub const DEFAULT_PBKDF2_ITERATIONS: u32 = 100_000;
/// The fewest iterations a configuration may ask for.
pub const MIN_PBKDF2_ITERATIONS: u32 = 10_000;

/// How new passwords are hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PasswordScheme {
    /// argon2id at the OWASP minimum (19 MiB, 2 passes, 1 lane).
    #[default]
    Argon2id,
    /// PBKDF2 with HMAC-SM3 (GB/T 32918 family of 国密 algorithms), a 16-byte random salt.
    Pbkdf2Sm3 { iterations: u32 },
}

impl PasswordScheme {
    /// The scheme by its configuration name ("argon2id" or "pbkdf2-sm3").
    pub fn parse(name: &str, iterations: u32) -> Option<PasswordScheme> {
        match name.trim() {
            "argon2id" => Some(PasswordScheme::Argon2id),
            PBKDF2_SM3 => Some(PasswordScheme::Pbkdf2Sm3 {
                iterations: iterations.max(1),
            }),
            _ => None,
        }
    }

    /// The configuration name.
    pub fn name(self) -> &'static str {
        match self {
            PasswordScheme::Argon2id => "argon2id",
            PasswordScheme::Pbkdf2Sm3 { .. } => PBKDF2_SM3,
        }
    }

    /// In words, with its parameters, for the compliance document.
    pub fn zh(self) -> String {
        match self {
            PasswordScheme::Argon2id => {
                "argon2id（内存 19 MiB、2 遍、1 路并行，随机盐）".to_string()
            }
            PasswordScheme::Pbkdf2Sm3 { iterations } => {
                format!("PBKDF2-HMAC-SM3（{iterations} 次迭代，16 字节随机盐，国密算法）")
            }
        }
    }

    /// Whether a stored hash is of this scheme with these parameters (if not, a successful
    /// login re-hashes the password).
    pub fn is_current(self, hash: &str) -> bool {
        let Ok(h) = PasswordHash::new(hash) else {
            return false;
        };
        match self {
            PasswordScheme::Argon2id => {
                let want = argon2_params();
                h.algorithm.as_str() == "argon2id"
                    && h.version == Some(Version::V0x13.into())
                    && Params::try_from(&h).is_ok_and(|p| {
                        (p.m_cost(), p.t_cost(), p.p_cost())
                            == (want.m_cost(), want.t_cost(), want.p_cost())
                    })
            }
            PasswordScheme::Pbkdf2Sm3 { iterations } => {
                h.algorithm.as_str() == PBKDF2_SM3 && h.params.get_decimal("i") == Some(iterations)
            }
        }
    }
}

fn argon2_params() -> Params {
    // OWASP minimum for argon2id: m = 19 MiB, t = 2, p = 1.
    Params::new(19 * 1024, 2, 1, None).unwrap_or_default()
}

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, argon2_params())
}

fn pbkdf2_sm3(password: &[u8], salt: &[u8], iterations: u32) -> [u8; PBKDF2_LEN] {
    let mut out = [0u8; PBKDF2_LEN];
    pbkdf2::pbkdf2::<Hmac<Sm3>>(password, salt, iterations, &mut out)
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    out
}

fn hash_now(scheme: PasswordScheme, password: &str) -> Result<String, String> {
    match scheme {
        PasswordScheme::Argon2id => {
            let salt = SaltString::generate(&mut OsRng);
            argon2()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| e.to_string())
        }
        PasswordScheme::Pbkdf2Sm3 { iterations } => {
            let mut salt_bytes = [0u8; SALT_LEN];
            argon2::password_hash::rand_core::RngCore::fill_bytes(&mut OsRng, &mut salt_bytes);
            let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| e.to_string())?;
            let hash = pbkdf2_sm3(password.as_bytes(), &salt_bytes, iterations);
            let mut params = ParamsString::new();
            params
                .add_decimal("i", iterations)
                .map_err(|e| e.to_string())?;
            let phc = PasswordHash {
                algorithm: Ident::new(PBKDF2_SM3).map_err(|e| e.to_string())?,
                version: None,
                params,
                salt: Some(salt.as_salt()),
                hash: Some(Output::new(&hash).map_err(|e| e.to_string())?),
            };
            Ok(phc.to_string())
        }
    }
}

fn verify_now(password: &str, hash: &str) -> bool {
    let Ok(h) = PasswordHash::new(hash) else {
        return false;
    };
    match h.algorithm.as_str() {
        "argon2id" => argon2().verify_password(password.as_bytes(), &h).is_ok(),
        PBKDF2_SM3 => {
            let (Some(iterations), Some(salt), Some(expected)) =
                (h.params.get_decimal("i"), h.salt, h.hash)
            else {
                return false;
            };
            if iterations == 0 {
                return false;
            }
            let mut buf = [0u8; 64];
            let Ok(salt) = Salt::decode_b64(&salt, &mut buf) else {
                return false;
            };
            let got = pbkdf2_sm3(password.as_bytes(), salt, iterations);
            // `Output`'s equality is constant-time.
            Output::new(&got).is_ok_and(|got| got == expected)
        }
        _ => false,
    }
}

/// Hashes a password under a scheme (slow by design: run off the async threads).
pub async fn hash(scheme: PasswordScheme, password: &str) -> ServiceResult<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash_now(scheme, &password))
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .map_err(|e| ServiceError::Internal(format!("密码哈希失败：{e}")))
}

/// Whether a password matches a stored hash of either scheme.
pub async fn verify(password: &str, hash: &str) -> bool {
    let password = password.to_string();
    let hash = hash.to_string();
    tokio::task::spawn_blocking(move || verify_now(&password, &hash))
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_at_owasp_minimum() {
        let h = hash(PasswordScheme::Argon2id, "Haixi@2020x")
            .await
            .expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("Haixi@2020x", &h).await);
        assert!(!verify("Haixi@2020y", &h).await);
        assert!(PasswordScheme::Argon2id.is_current(&h));
        let weaker = "$argon2id$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$c2FsdHNhbHRzYWx0c2FsdHNhbHQ";
        assert!(!PasswordScheme::Argon2id.is_current(weaker));
    }

    #[tokio::test]
    async fn pbkdf2_sm3_hashes_describe_themselves() {
        let scheme = PasswordScheme::Pbkdf2Sm3 { iterations: 12_000 };
        let h = hash(scheme, "Haixi@2020x").await.expect("hash");
        let parts: Vec<&str> = h.split('$').collect();
        assert_eq!(parts[..3], ["", "pbkdf2-sm3", "i=12000"], "{h}");
        assert_eq!(parts.len(), 5, "{h}");
        assert_ne!(
            h,
            hash(scheme, "Haixi@2020x").await.expect("hash"),
            "salted"
        );
        assert!(verify("Haixi@2020x", &h).await);
        assert!(!verify("Haixi@2020y", &h).await);
        assert!(scheme.is_current(&h));
        assert!(!PasswordScheme::Pbkdf2Sm3 { iterations: 13_000 }.is_current(&h));
        assert!(!PasswordScheme::Argon2id.is_current(&h));
        assert!(!verify("Haixi@2020x", "$pbkdf2-sm3$i=0$AAAA$AAAA").await);
        assert!(!verify("Haixi@2020x", "not a hash").await);
    }

    #[test]
    fn pbkdf2_sm3_is_the_standard_construction() {
        // PBKDF2 (RFC 8018) with HMAC-SM3, one iteration: the first block is
        // HMAC-SM3(password, salt || 00 00 00 01).
        use hmac::Mac;
        let mut mac = Hmac::<Sm3>::new_from_slice(b"password").expect("key");
        mac.update(b"salt\x00\x00\x00\x01");
        let first: [u8; 32] = mac.finalize().into_bytes().into();
        assert_eq!(pbkdf2_sm3(b"password", b"salt", 1), first);
    }
}
