//! Encryption of personal data at rest (identity numbers, phones) with
//! AES-256-GCM, and keyed hashes (HMAC-SHA256) for exact lookup.
//!
//! The keys live in `DATA_DIR/keys/pii.toml` (mode 0600), never in the
//! database, so a database dump alone reveals nothing. Each ciphertext starts
//! with the number of the key that made it, so `keys rotate` can re-encrypt
//! row by row while the server runs with old and new keys.

use std::{collections::BTreeMap, path::Path};

use aes_gcm::{
    Aes256Gcm, Key, Nonce,
    aead::{Aead, AeadCore, KeyInit, OsRng, Payload},
};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// What a ciphertext protects; bound into it as associated data so a value
/// cannot be moved to another column unnoticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    IdNumber,
    Phone,
}

impl Field {
    fn label(self) -> &'static [u8] {
        match self {
            Field::IdNumber => b"gascis:id_number",
            Field::Phone => b"gascis:phone",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PiiError {
    #[error("cannot read the key file {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("the key file {path} is not valid: {reason}")]
    Invalid { path: String, reason: String },
    #[error("cannot write the key file {path}: {reason}")]
    Write { path: String, reason: String },
    #[error("ciphertext made with key {0}, which is not in the key file")]
    UnknownKey(u8),
    #[error("ciphertext does not decrypt (wrong key or damaged data)")]
    Decrypt,
}

#[derive(Debug, Serialize, Deserialize)]
struct KeyFile {
    /// Number of the key new ciphertexts are made with.
    active: u8,
    /// Encryption keys by number, 64 hex digits each.
    encryption: BTreeMap<String, String>,
    /// Key of the lookup hashes, 64 hex digits.
    lookup: String,
}

#[derive(Clone)]
pub struct PiiKeys {
    active: u8,
    encryption: BTreeMap<u8, [u8; 32]>,
    lookup: [u8; 32],
}

impl std::fmt::Debug for PiiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PiiKeys(active {}, {} key(s))",
            self.active,
            self.encryption.len()
        )
    }
}

fn random_key() -> [u8; 32] {
    let mut key = [0_u8; 32];
    rand::rng().fill_bytes(&mut key);
    key
}

fn parse_key(text: &str) -> Option<[u8; 32]> {
    hex::decode(text.trim()).ok()?.try_into().ok()
}

impl PiiKeys {
    pub fn generate() -> PiiKeys {
        PiiKeys {
            active: 1,
            encryption: BTreeMap::from([(1, random_key())]),
            lookup: random_key(),
        }
    }

    pub fn active_key(&self) -> u8 {
        self.active
    }

    pub fn key_numbers(&self) -> Vec<u8> {
        self.encryption.keys().copied().collect()
    }

    pub fn load(path: &Path) -> Result<PiiKeys, PiiError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| PiiError::Read {
            path: origin.clone(),
            reason: error.to_string(),
        })?;
        let invalid = |reason: &str| PiiError::Invalid {
            path: origin.clone(),
            reason: reason.to_owned(),
        };
        let file: KeyFile = toml::from_str(&text).map_err(|error| invalid(&error.to_string()))?;
        let mut encryption = BTreeMap::new();
        for (number, key) in &file.encryption {
            let number: u8 = number
                .parse()
                .map_err(|_| invalid(&format!("key number '{number}' is not 0-255")))?;
            let key = parse_key(key)
                .ok_or_else(|| invalid(&format!("key {number} is not 64 hex digits")))?;
            encryption.insert(number, key);
        }
        if !encryption.contains_key(&file.active) {
            return Err(invalid(&format!(
                "active key {} is not listed",
                file.active
            )));
        }
        let lookup =
            parse_key(&file.lookup).ok_or_else(|| invalid("lookup is not 64 hex digits"))?;
        Ok(PiiKeys {
            active: file.active,
            encryption,
            lookup,
        })
    }

    pub fn save(&self, path: &Path) -> Result<(), PiiError> {
        let file = KeyFile {
            active: self.active,
            encryption: self
                .encryption
                .iter()
                .map(|(number, key)| (number.to_string(), hex::encode(key)))
                .collect(),
            lookup: hex::encode(self.lookup),
        };
        let text = format!(
            "# gascis personal-data keys. Keep secret; back up with the database.\n# Rotate with `gascis-server keys rotate`.\n{}",
            toml::to_string(&file).map_err(|error| PiiError::Write {
                path: path.display().to_string(),
                reason: error.to_string(),
            })?
        );
        crate::data_dir::write_private_file(path, text.as_bytes()).map_err(|error| {
            PiiError::Write {
                path: path.display().to_string(),
                reason: error.to_string(),
            }
        })
    }

    /// Adds a new key and makes it active; returns its number.
    pub fn add_key(&mut self) -> u8 {
        let next = self
            .encryption
            .keys()
            .max()
            .map_or(1, |n| n.wrapping_add(1));
        self.encryption.insert(next, random_key());
        self.active = next;
        next
    }

    /// Drops every key but the active one (after rotation re-encrypted all).
    pub fn retire_old_keys(&mut self) {
        let active = self.active;
        self.encryption.retain(|number, _| *number == active);
    }

    /// `[key number][12-byte nonce][ciphertext and tag]`.
    pub fn encrypt(&self, field: Field, plaintext: &str) -> Vec<u8> {
        let key = self
            .encryption
            .get(&self.active)
            .copied()
            .unwrap_or_else(random_key);
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key));
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: field.label(),
                },
            )
            .unwrap_or_default();
        let mut out = Vec::with_capacity(1 + nonce.len() + sealed.len());
        out.push(self.active);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn decrypt(&self, field: Field, blob: &[u8]) -> Result<String, PiiError> {
        let (&number, rest) = blob.split_first().ok_or(PiiError::Decrypt)?;
        let key = self
            .encryption
            .get(&number)
            .ok_or(PiiError::UnknownKey(number))?;
        if rest.len() < 12 {
            return Err(PiiError::Decrypt);
        }
        let (nonce, sealed) = rest.split_at(12);
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
        let plain = cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: field.label(),
                },
            )
            .map_err(|_| PiiError::Decrypt)?;
        String::from_utf8(plain).map_err(|_| PiiError::Decrypt)
    }

    /// Which key a ciphertext was made with.
    pub fn key_of(blob: &[u8]) -> Option<u8> {
        blob.first().copied()
    }

    /// Keyed hash of a normalised value for exact lookup.
    pub fn lookup_hash(&self, field: Field, normalised: &str) -> Vec<u8> {
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&self.lookup) {
            Ok(mac) => mac,
            // HMAC takes keys of any length; this branch cannot happen.
            Err(_) => return Vec::new(),
        };
        mac.update(field.label());
        mac.update(b"\0");
        mac.update(normalised.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding_to_the_field() -> Result<(), PiiError> {
        let keys = PiiKeys::generate();
        let blob = keys.encrypt(Field::IdNumber, "11010519491231002X");
        assert_eq!(keys.decrypt(Field::IdNumber, &blob)?, "11010519491231002X");
        assert!(
            keys.decrypt(Field::Phone, &blob).is_err(),
            "moved to another column"
        );
        assert!(
            !blob.windows(4).any(|w| w == b"1101"),
            "no plaintext inside"
        );
        let again = keys.encrypt(Field::IdNumber, "11010519491231002X");
        assert_ne!(blob, again, "random nonce");
        Ok(())
    }

    #[test]
    fn rotation_keeps_old_ciphertexts_readable_until_retired() -> Result<(), PiiError> {
        let mut keys = PiiKeys::generate();
        let old = keys.encrypt(Field::Phone, "13812345678");
        let second = keys.add_key();
        assert_eq!(second, 2);
        let new = keys.encrypt(Field::Phone, "13812345678");
        assert_eq!(PiiKeys::key_of(&new), Some(2));
        assert_eq!(keys.decrypt(Field::Phone, &old)?, "13812345678");
        keys.retire_old_keys();
        assert!(matches!(
            keys.decrypt(Field::Phone, &old),
            Err(PiiError::UnknownKey(1))
        ));
        assert_eq!(keys.decrypt(Field::Phone, &new)?, "13812345678");
        Ok(())
    }

    #[test]
    fn lookup_hash_is_keyed_and_stable() {
        let keys = PiiKeys::generate();
        let other = PiiKeys::generate();
        let a = keys.lookup_hash(Field::Phone, "13812345678");
        assert_eq!(a, keys.lookup_hash(Field::Phone, "13812345678"));
        assert_ne!(a, other.lookup_hash(Field::Phone, "13812345678"));
        assert_ne!(a, keys.lookup_hash(Field::IdNumber, "13812345678"));
    }

    #[test]
    fn key_file_round_trip() -> Result<(), PiiError> {
        let dir = std::env::temp_dir().join(format!("gascis-pii-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| PiiError::Write {
            path: "t".into(),
            reason: e.to_string(),
        })?;
        let path = dir.join("pii.toml");
        let mut keys = PiiKeys::generate();
        keys.add_key();
        keys.save(&path)?;
        let loaded = PiiKeys::load(&path)?;
        let blob = keys.encrypt(Field::Phone, "x");
        assert_eq!(loaded.decrypt(Field::Phone, &blob)?, "x");
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    }
}
