//! The cryptographic primitives the platform uses, behind one interface: SM4 in GCM mode,
//! HMAC-SM3, SM3 and random bytes. The software provider below uses the RustCrypto crates; a
//! certified hardware module (密码机, 密码卡) implements the same trait and is handed to
//! [`super::FieldCrypto`] in its place.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::AesGcm;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use hmac::{Hmac, Mac};
use sm3::{Digest, Sm3};
use sm4::cipher::consts::U12;
use sm4::Sm4;

/// SM4 in Galois/Counter mode with a 96-bit nonce and a 128-bit tag.
type Sm4Gcm = AesGcm<Sm4, U12>;

/// Bytes of an SM4 key.
pub const KEY_LEN: usize = 16;
/// Bytes of a nonce.
pub const NONCE_LEN: usize = 12;

/// The primitives; every method is pure but for `random`.
pub trait CryptoProvider: Send + Sync + std::fmt::Debug {
    /// Encrypts and authenticates `plain` under `key` with `nonce`: ciphertext then tag.
    fn sm4_gcm_seal(&self, key: &[u8; KEY_LEN], nonce: &[u8; NONCE_LEN], plain: &[u8]) -> Vec<u8>;
    /// Checks and decrypts what [`CryptoProvider::sm4_gcm_seal`] made; `None` when the tag
    /// does not match (another key, or the value changed).
    fn sm4_gcm_open(
        &self,
        key: &[u8; KEY_LEN],
        nonce: &[u8; NONCE_LEN],
        sealed: &[u8],
    ) -> Option<Vec<u8>>;
    fn hmac_sm3(&self, key: &[u8], data: &[u8]) -> [u8; 32];
    fn sm3(&self, data: &[u8]) -> [u8; 32];
    fn random(&self, out: &mut [u8]);
}

/// The software provider (RustCrypto `sm4`, `aes-gcm`'s generic GCM, `sm3`, `hmac`).
#[derive(Debug, Default)]
pub struct Software;

impl CryptoProvider for Software {
    fn sm4_gcm_seal(&self, key: &[u8; KEY_LEN], nonce: &[u8; NONCE_LEN], plain: &[u8]) -> Vec<u8> {
        let cipher = Sm4Gcm::new(key.into());
        let payload = Payload {
            msg: plain,
            aad: b"",
        };
        // GCM encryption fails only for messages beyond 64 GiB.
        cipher.encrypt(nonce.into(), payload).unwrap_or_default()
    }

    fn sm4_gcm_open(
        &self,
        key: &[u8; KEY_LEN],
        nonce: &[u8; NONCE_LEN],
        sealed: &[u8],
    ) -> Option<Vec<u8>> {
        let cipher = Sm4Gcm::new(key.into());
        cipher
            .decrypt(
                nonce.into(),
                Payload {
                    msg: sealed,
                    aad: b"",
                },
            )
            .ok()
    }

    fn hmac_sm3(&self, key: &[u8], data: &[u8]) -> [u8; 32] {
        let mut mac =
            <Hmac<Sm3> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    fn sm3(&self, data: &[u8]) -> [u8; 32] {
        Sm3::digest(data).into()
    }

    fn random(&self, out: &mut [u8]) {
        OsRng.fill_bytes(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sm3_matches_the_standard_example() {
        // GB/T 32905-2016, example 1: SM3("abc").
        assert_eq!(
            hex::encode(Software.sm3(b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
    }

    #[test]
    fn sm4_gcm_round_trips_and_refuses_a_changed_value() {
        let key = [7u8; KEY_LEN];
        let nonce = [1u8; NONCE_LEN];
        let mut sealed = Software.sm4_gcm_seal(&key, &nonce, "张三".as_bytes());
        assert_eq!(sealed.len(), "张三".len() + 16);
        assert_eq!(
            Software.sm4_gcm_open(&key, &nonce, &sealed).as_deref(),
            Some("张三".as_bytes())
        );
        assert!(Software
            .sm4_gcm_open(&[8u8; KEY_LEN], &nonce, &sealed)
            .is_none());
        sealed[0] ^= 1;
        assert!(Software.sm4_gcm_open(&key, &nonce, &sealed).is_none());
    }
}
