//! Personal data encrypted at rest (ID numbers, phones, names of monitored people, …).
//!
//! Each value is sealed alone with SM4-GCM under the newest data key and a fresh 96-bit
//! nonce, and stored as `enc:<key id>:<base64(nonce | ciphertext | tag)>`, so a value sealed
//! under an older key still names the key that opens it. Rows carry the key id of their
//! values in an `enc_key` column (for rotation and `dualtrack keys status`). ID numbers are
//! also stored as a blind index (HMAC-SM3 of the normalised number under a key of its own),
//! which exact lookups and "one person per ID number" use.
//!
//! Keys come from a key file (or `DUALTRACK_DATA_KEY`), never from the database; see
//! [`keyring`]. With no key configured, values are stored as they are (see docs/SECURITY.md).

mod fields;
mod keyring;
pub mod provider;
pub mod rotation;

pub use fields::Personal;
pub use keyring::KeyRing;
pub use provider::{CryptoProvider, Software};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use provider::{KEY_LEN, NONCE_LEN};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// The prefix of a sealed value.
const PREFIX: &str = "enc:";

/// A value that cannot be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("无法解密个人信息：密钥 {0} 不在已配置的数据密钥中（密钥丢失时数据无法恢复，见 docs/SECURITY.md）")]
    UnknownKey(String),
    #[error("无法解密个人信息：密钥 {0} 下的值校验失败（值被改动或密钥文件被替换）")]
    Damaged(String),
    #[error("数据密钥无效：{0}")]
    BadKeys(String),
}

impl From<CryptoError> for crate::ServiceError {
    fn from(e: CryptoError) -> Self {
        match e {
            CryptoError::BadKeys(_) => crate::ServiceError::Internal(e.to_string()),
            _ => crate::ServiceError::Undecryptable(e.to_string()),
        }
    }
}

/// The field encryption of one installation: the provider and the keys in force (swapped
/// whole when the key file changes).
#[derive(Debug)]
pub struct FieldCrypto {
    provider: Arc<dyn CryptoProvider>,
    ring: RwLock<Arc<KeyRing>>,
    /// The key file, when the keys came from one (rotation appends to it).
    file: Option<PathBuf>,
}

impl Default for FieldCrypto {
    fn default() -> Self {
        FieldCrypto::off()
    }
}

/// The keys of one moment, to seal the values of one row under one key.
pub struct Sealer<'a> {
    crypto: &'a FieldCrypto,
    ring: Arc<KeyRing>,
}

impl FieldCrypto {
    /// No encryption: values are stored as given (the blind index still works, under a
    /// public key, so lookups go one way whether encryption is on or not).
    pub fn off() -> FieldCrypto {
        FieldCrypto {
            provider: Arc::new(Software),
            ring: RwLock::new(Arc::new(KeyRing::empty())),
            file: None,
        }
    }

    /// The keys written out as a key file holds them (`bidx:<hex>`, `k1:<hex>`, … lines).
    pub fn from_text(text: &str) -> Result<FieldCrypto, CryptoError> {
        Ok(FieldCrypto {
            provider: Arc::new(Software),
            ring: RwLock::new(Arc::new(KeyRing::parse(text)?)),
            file: None,
        })
    }

    /// Reads the key file; when it does not exist and `create` is set, makes one with a new
    /// key (readable by the owner only).
    pub fn load(path: &Path, create: bool) -> Result<FieldCrypto, CryptoError> {
        if create && !path.exists() {
            let ring = KeyRing::generate(&Software);
            keyring::write_new(path, &ring.to_text())?;
        }
        let text = std::fs::read_to_string(path).map_err(|e| {
            CryptoError::BadKeys(format!("无法读取密钥文件 {}：{e}", path.display()))
        })?;
        let mut c = FieldCrypto::from_text(&text)?;
        c.file = Some(path.to_path_buf());
        Ok(c)
    }

    /// Uses another provider (a hardware module) for the same keys.
    pub fn with_provider(mut self, provider: Arc<dyn CryptoProvider>) -> FieldCrypto {
        self.provider = provider;
        self
    }

    fn ring(&self) -> Arc<KeyRing> {
        match self.ring.read() {
            Ok(r) => r.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set_ring(&self, ring: KeyRing) {
        match self.ring.write() {
            Ok(mut r) => *r = Arc::new(ring),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(ring),
        }
    }

    /// Whether values are encrypted.
    pub fn enabled(&self) -> bool {
        self.ring().newest().is_some()
    }

    /// The id of the key new values are sealed under (none: encryption off).
    pub fn current_key(&self) -> Option<String> {
        self.ring().newest().map(|(id, _)| id.to_string())
    }

    /// The ids of every key configured, oldest first.
    pub fn key_ids(&self) -> Vec<String> {
        self.ring().ids()
    }

    /// The sealer of this moment's newest key.
    pub fn sealer(&self) -> Sealer<'_> {
        Sealer {
            crypto: self,
            ring: self.ring(),
        }
    }

    /// Seals one value under the newest key (as it is when encryption is off).
    pub fn seal(&self, plain: &str) -> String {
        self.sealer().seal(plain)
    }

    /// Opens a stored value: a sealed one with the key it names, any other as it is (rows
    /// written before encryption was turned on, and erased rows' placeholders).
    pub fn open(&self, stored: &str) -> Result<String, CryptoError> {
        let Some(rest) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_string());
        };
        let (id, body) = rest.split_once(':').unwrap_or((rest, ""));
        let ring = self.ring();
        let key = ring
            .key(id)
            .ok_or_else(|| CryptoError::UnknownKey(id.to_string()))?;
        let damaged = || CryptoError::Damaged(id.to_string());
        let raw = B64.decode(body).map_err(|_| damaged())?;
        if raw.len() < NONCE_LEN {
            return Err(damaged());
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let nonce: &[u8; NONCE_LEN] = nonce.try_into().map_err(|_| damaged())?;
        let plain = self
            .provider
            .sm4_gcm_open(key, nonce, sealed)
            .ok_or_else(damaged)?;
        String::from_utf8(plain).map_err(|_| damaged())
    }

    /// Opens an optional stored value.
    pub fn open_opt(&self, stored: Option<&str>) -> Result<Option<String>, CryptoError> {
        stored.map(|s| self.open(s)).transpose()
    }

    /// Opens a stored value in place.
    pub fn open_in_place(&self, value: &mut String) -> Result<(), CryptoError> {
        if value.starts_with(PREFIX) {
            *value = self.open(value)?;
        }
        Ok(())
    }

    /// Opens an optional stored value in place.
    pub fn open_opt_in_place(&self, value: &mut Option<String>) -> Result<(), CryptoError> {
        match value {
            Some(v) => self.open_in_place(v),
            None => Ok(()),
        }
    }

    /// The blind index of an ID number: HMAC-SM3 of the number (spaces dropped, a final x
    /// upper-cased) under the index key, as hex.
    pub fn blind_index(&self, id_number: &str) -> String {
        let normal: String = id_number
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let ring = self.ring();
        hex::encode(&self.provider.hmac_sm3(ring.index_key(), normal.as_bytes())[..16])
    }

    /// Reads the key file again (a rotation run elsewhere added a key): whether the keys changed.
    pub fn reload(&self) -> Result<bool, CryptoError> {
        let Some(path) = &self.file else {
            return Ok(false);
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            CryptoError::BadKeys(format!("无法读取密钥文件 {}：{e}", path.display()))
        })?;
        let ring = KeyRing::parse(&text)?;
        if ring.ids() == self.key_ids() {
            return Ok(false);
        }
        self.set_ring(ring);
        Ok(true)
    }

    /// Adds a new newest key (to the key file too, when the keys came from one), pinning the
    /// blind-index key so the index stays valid: the new key's id.
    pub fn add_key(&self) -> Result<String, CryptoError> {
        let mut ring = (*self.ring()).clone();
        let id = ring.add_generated(&*self.provider)?;
        if let Some(path) = &self.file {
            keyring::replace(path, &ring.to_text())?;
        }
        self.set_ring(ring);
        Ok(id)
    }
}

impl Sealer<'_> {
    /// The key id the values are sealed under (none: encryption off).
    pub fn key_id(&self) -> Option<String> {
        self.ring.newest().map(|(id, _)| id.to_string())
    }

    /// Seals one value.
    pub fn seal(&self, plain: &str) -> String {
        let Some((id, key)) = self.ring.newest() else {
            return plain.to_string();
        };
        let mut nonce = [0u8; NONCE_LEN];
        self.crypto.provider.random(&mut nonce);
        let sealed = self
            .crypto
            .provider
            .sm4_gcm_seal(key, &nonce, plain.as_bytes());
        let mut raw = Vec::with_capacity(NONCE_LEN + sealed.len());
        raw.extend_from_slice(&nonce);
        raw.extend_from_slice(&sealed);
        format!("{PREFIX}{id}:{}", B64.encode(raw))
    }

    /// Seals an optional value.
    pub fn seal_opt(&self, plain: Option<&str>) -> Option<String> {
        plain.map(|p| self.seal(p))
    }
}

/// Whether a stored value is sealed.
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

const _: () = assert!(KEY_LEN == 16);

#[cfg(test)]
mod tests {
    use super::*;

    fn two_keys() -> FieldCrypto {
        FieldCrypto::from_text(&format!(
            "bidx:{}\nk1:{}\nk2:{}\n",
            "11".repeat(32),
            "22".repeat(16),
            "33".repeat(16)
        ))
        .expect("keys")
    }

    #[test]
    fn values_are_sealed_under_the_newest_key_with_a_fresh_nonce() {
        let c = two_keys();
        let a = c.seal("632801199001011234");
        let b = c.seal("632801199001011234");
        assert!(a.starts_with("enc:k2:"), "{a}");
        assert_ne!(a, b);
        assert!(!a.contains("1990"));
        assert_eq!(c.open(&a).as_deref(), Ok("632801199001011234"));
        assert_eq!(c.open("未加密").as_deref(), Ok("未加密"));
    }

    #[test]
    fn a_value_under_a_lost_key_is_an_error_naming_the_key() {
        let c = two_keys();
        let v = c.seal("13800000000");
        let only_k1 = FieldCrypto::from_text(&format!(
            "bidx:{}\nk1:{}\n",
            "11".repeat(32),
            "22".repeat(16)
        ))
        .expect("keys");
        assert_eq!(only_k1.open(&v), Err(CryptoError::UnknownKey("k2".into())));
        assert!(only_k1.open(&v).unwrap_err().to_string().contains("k2"));
        let wrong = FieldCrypto::from_text(&format!(
            "bidx:{}\nk2:{}\n",
            "11".repeat(32),
            "44".repeat(16)
        ))
        .expect("keys");
        assert_eq!(wrong.open(&v), Err(CryptoError::Damaged("k2".into())));
        assert!(FieldCrypto::off().open(&v).is_err());
    }

    #[test]
    fn the_blind_index_ignores_spaces_and_the_case_of_x_and_survives_a_new_key() {
        let c = two_keys();
        let i = c.blind_index("63280119900101123X");
        assert_eq!(i, c.blind_index(" 63280119900101123x "));
        assert_ne!(i, c.blind_index("632801199001011239"));
        c.add_key().expect("add");
        assert_eq!(c.current_key().as_deref(), Some("k3"));
        assert_eq!(i, c.blind_index("63280119900101123X"));
        assert_ne!(i, FieldCrypto::off().blind_index("63280119900101123X"));
    }
}
