//! The keys a camera trusts: minisign public keys, each with its key id, so that a new key
//! can be added before the old one is retired.

use base64::Engine;

/// A trusted public key.
#[derive(Clone)]
pub struct TrustedKey {
    /// minisign's form: 16 upper-case hex digits (the id `minisign -V` prints).
    pub key_id: String,
    pub key: minisign_verify::PublicKey,
}

#[derive(Clone, Default)]
pub struct Keyring {
    keys: Vec<TrustedKey>,
}

impl Keyring {
    /// Reads a keyring file: minisign public keys (the base64 line of each `.pub` file), one
    /// a line. `untrusted comment:` lines, `#` comments and blank lines are skipped, so
    /// `cat a.pub b.pub > keyring` works. A line that is not a key is an error naming it.
    pub fn parse(text: &str) -> Result<Keyring, String> {
        let mut keys = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with("untrusted comment:") {
                continue;
            }
            let key = minisign_verify::PublicKey::from_base64(line)
                .map_err(|err| format!("line {}: not a minisign public key: {err}", number + 1))?;
            let key_id = key_id_of(line).ok_or_else(|| format!("line {}: no key id", number + 1))?;
            keys.push(TrustedKey { key_id, key });
        }
        Ok(Keyring { keys })
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|key| key.key_id.as_str())
    }

    pub fn find(&self, key_id: &str) -> Option<&TrustedKey> {
        self.keys.iter().find(|key| key.key_id == key_id)
    }
}

/// The key id inside a minisign public key or signature line (base64 of algorithm(2) +
/// key id(8) + ...), in minisign's spelling: the 8 bytes as a little-endian number in hex.
pub(crate) fn key_id_of(base64_line: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(base64_line.trim()).ok()?;
    let id: [u8; 8] = bytes.get(2..10)?.try_into().ok()?;
    Some(key_id_hex(&id))
}

/// minisign prints key ids as the little-endian u64 in upper-case hex.
pub fn key_id_hex(id: &[u8; 8]) -> String {
    format!("{:016X}", u64::from_le_bytes(*id))
}
