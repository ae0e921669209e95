//! The data keys: a text of `id:<32 hex digits>` lines (SM4 keys, oldest first; the last one
//! seals new values) and a `bidx:<64 hex digits>` line (the key of the blind index, which
//! must outlive every data key, so rotation never changes it). Lines starting with `#` are
//! comments. Without a `bidx` line the index key is derived from the first data key.

use super::provider::{CryptoProvider, Software, KEY_LEN};
use super::CryptoError;
use std::io::Write;
use std::path::Path;

#[derive(Clone)]
pub struct KeyRing {
    keys: Vec<(String, [u8; KEY_LEN])>,
    index_key: [u8; 32],
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing").field("ids", &self.ids()).finish()
    }
}

fn bad(msg: impl Into<String>) -> CryptoError {
    CryptoError::BadKeys(msg.into())
}

impl KeyRing {
    /// No data key; the index key is public (encryption off).
    pub fn empty() -> KeyRing {
        KeyRing {
            keys: Vec::new(),
            index_key: Software.sm3(b"dualtrack:blind-index:no-key"),
        }
    }

    /// A new ring of one random data key and a random index key.
    pub fn generate(provider: &dyn CryptoProvider) -> KeyRing {
        let mut ring = KeyRing::empty();
        provider.random(&mut ring.index_key);
        let mut key = [0u8; KEY_LEN];
        provider.random(&mut key);
        ring.keys.push(("k1".into(), key));
        ring
    }

    pub fn parse(text: &str) -> Result<KeyRing, CryptoError> {
        let mut keys: Vec<(String, [u8; KEY_LEN])> = Vec::new();
        let mut index: Option<[u8; 32]> = None;
        for (n, line) in text.lines().map(str::trim).enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (id, value) = line
                .split_once(':')
                .ok_or_else(|| bad(format!("第 {} 行应为“密钥标识:十六进制密钥”", n + 1)))?;
            let bytes = hex::decode(value.trim())
                .map_err(|_| bad(format!("第 {} 行的密钥不是十六进制", n + 1)))?;
            if id == "bidx" {
                index = Some(
                    bytes
                        .try_into()
                        .map_err(|_| bad("bidx 密钥应为 64 位十六进制（32 字节）"))?,
                );
                continue;
            }
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) || id.len() > 16 {
                return Err(bad(format!(
                    "第 {} 行的密钥标识“{id}”应为 1–16 位字母或数字",
                    n + 1
                )));
            }
            if keys.iter().any(|(k, _)| k == id) {
                return Err(bad(format!("密钥标识 {id} 重复")));
            }
            let key: [u8; KEY_LEN] = bytes.try_into().map_err(|_| {
                bad(format!(
                    "密钥 {id} 应为 32 位十六进制（16 字节的 SM4 密钥）"
                ))
            })?;
            keys.push((id.to_string(), key));
        }
        let index_key = match (index, keys.first()) {
            (Some(k), _) => k,
            (None, Some((_, first))) => Software.hmac_sm3(first, b"dualtrack:blind-index"),
            (None, None) => return Ok(KeyRing::empty()),
        };
        Ok(KeyRing { keys, index_key })
    }

    pub fn to_text(&self) -> String {
        let mut out = String::from(
            "# Dualtrack 数据密钥（SM4）。最后一行加密新数据；旧密钥须保留至轮换完成并备份。\n",
        );
        out.push_str(&format!("bidx:{}\n", hex::encode(self.index_key)));
        for (id, key) in &self.keys {
            out.push_str(&format!("{id}:{}\n", hex::encode(key)));
        }
        out
    }

    pub fn newest(&self) -> Option<(&str, &[u8; KEY_LEN])> {
        self.keys.last().map(|(id, k)| (id.as_str(), k))
    }

    pub fn key(&self, id: &str) -> Option<&[u8; KEY_LEN]> {
        self.keys.iter().find(|(k, _)| k == id).map(|(_, k)| k)
    }

    pub fn ids(&self) -> Vec<String> {
        self.keys.iter().map(|(id, _)| id.clone()).collect()
    }

    pub fn index_key(&self) -> &[u8] {
        &self.index_key
    }

    /// Adds a random key as the newest, named `k<n+1>` after the highest `k<n>`.
    pub fn add_generated(&mut self, provider: &dyn CryptoProvider) -> Result<String, CryptoError> {
        if self.keys.is_empty() {
            return Err(bad("未配置数据密钥，无法轮换（先配置 [crypto] key_file）"));
        }
        let n = self
            .keys
            .iter()
            .filter_map(|(id, _)| id.strip_prefix('k')?.parse::<u32>().ok())
            .max()
            .unwrap_or(0);
        let id = format!("k{}", n + 1);
        let mut key = [0u8; KEY_LEN];
        provider.random(&mut key);
        self.keys.push((id.clone(), key));
        Ok(id)
    }
}

fn open_private(path: &Path, create_new: bool) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true);
    if create_new {
        o.create_new(true);
    } else {
        o.create(true).truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

/// Writes a new key file (refusing to overwrite one).
pub fn write_new(path: &Path, text: &str) -> Result<(), CryptoError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| bad(format!("无法建立目录 {}：{e}", dir.display())))?;
    }
    let mut f = open_private(path, true)
        .map_err(|e| bad(format!("无法写密钥文件 {}：{e}", path.display())))?;
    f.write_all(text.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| bad(format!("无法写密钥文件 {}：{e}", path.display())))
}

/// Replaces the key file whole (written beside it, then renamed over it).
pub fn replace(path: &Path, text: &str) -> Result<(), CryptoError> {
    let tmp = path.with_extension("new");
    let _ = std::fs::remove_file(&tmp);
    let mut f = open_private(&tmp, true)
        .map_err(|e| bad(format!("无法写密钥文件 {}：{e}", tmp.display())))?;
    f.write_all(text.as_bytes())
        .and_then(|_| f.sync_all())
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| bad(format!("无法写密钥文件 {}：{e}", path.display())))
}
