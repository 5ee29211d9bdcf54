//! The manifest: what a bundle holds, signed as a whole.

use crate::{Refusal, FORMAT_VERSION};
use serde::{Deserialize, Serialize};

/// The payload file a camera writes into its inactive slot: the raw image of a whole slot
/// partition, from byte 0.
pub const SLOT_IMAGE: &str = "slot.img";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The bundle format (FORMAT_VERSION); the header says the same, signed here.
    pub format: u32,
    /// The board the image is for ("pizero").
    pub board: String,
    /// The zerocam version inside (a semantic version).
    pub version: String,
    /// Which build made it (a commit, a CI run: free text).
    pub build_id: String,
    /// The payload files, in the order they follow the signature.
    pub files: Vec<FileEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    pub name: String,
    /// Lower-case hex SHA-256 of the file's bytes.
    pub sha256: String,
    pub size: u64,
}

impl Manifest {
    /// Parses and checks a manifest (its signature was checked before).
    pub fn parse(bytes: &[u8]) -> Result<Manifest, Refusal> {
        let manifest: Manifest = serde_json::from_slice(bytes)
            .map_err(|err| Refusal::Malformed(format!("manifest is not valid: {err}")))?;
        manifest.check()?;
        Ok(manifest)
    }

    pub fn to_json(&self) -> Vec<u8> {
        // A struct of strings and numbers always serializes.
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    fn check(&self) -> Result<(), Refusal> {
        let bad = |why: String| Err(Refusal::Malformed(why));
        if self.format != FORMAT_VERSION {
            return bad(format!("manifest format {} is not {FORMAT_VERSION}", self.format));
        }
        if self.board.is_empty() {
            return bad("manifest names no board".into());
        }
        if semver::Version::parse(&self.version).is_err() {
            return bad(format!("version {:?} is not a semantic version", self.version));
        }
        if self.files.is_empty() {
            return bad("manifest lists no files".into());
        }
        for (index, file) in self.files.iter().enumerate() {
            let valid_name = !file.name.is_empty()
                && file.name.len() <= 64
                && file.name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
                && !file.name.starts_with('.');
            if !valid_name {
                return bad(format!("file name {:?} is not allowed", file.name));
            }
            if self.files[..index].iter().any(|other| other.name == file.name) {
                return bad(format!("file {} is listed twice", file.name));
            }
            if file.sha256.len() != 64
                || !file.sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            {
                return bad(format!("{}: sha256 must be 64 lower-case hex digits", file.name));
            }
        }
        if self.payload_len().is_none() {
            return bad("file sizes add up to more than 2^64 bytes".into());
        }
        Ok(())
    }

    pub fn file(&self, name: &str) -> Option<&FileEntry> {
        self.files.iter().find(|file| file.name == name)
    }

    /// Sum of the payload files' sizes (None on overflow, which `parse` refuses).
    pub fn payload_len(&self) -> Option<u64> {
        self.files.iter().try_fold(0u64, |sum, file| sum.checked_add(file.size))
    }
}
