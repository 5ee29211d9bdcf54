//! The fixed header in front of the manifest: magic, format version and the two lengths.

use crate::Refusal;

pub const MAGIC: &[u8; 8] = b"ZCAMBNDL";
/// The bundle format this code reads and writes.
pub const FORMAT_VERSION: u32 = 1;
pub const HEADER_LEN: usize = 8 + 4 + 4 + 4;
/// Manifests are a few hundred bytes; the limit bounds what the device holds before it has
/// checked the signature.
pub const MAX_MANIFEST: usize = 16 * 1024;
/// A minisign signature file is about 300 bytes with its comments.
pub const MAX_SIGNATURE: usize = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub format: u32,
    pub manifest_len: usize,
    pub signature_len: usize,
}

impl Header {
    /// Reads the header from the first HEADER_LEN bytes.
    pub fn parse(bytes: &[u8; HEADER_LEN]) -> Result<Header, Refusal> {
        if &bytes[..8] != MAGIC {
            return Err(Refusal::Malformed("not a zerocam bundle (wrong magic)".into()));
        }
        let word = |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
        let header =
            Header { format: word(8), manifest_len: word(12) as usize, signature_len: word(16) as usize };
        if header.format != FORMAT_VERSION {
            return Err(Refusal::Malformed(format!(
                "bundle format {} is not supported (this camera reads format {FORMAT_VERSION})",
                header.format
            )));
        }
        if header.manifest_len == 0 || header.manifest_len > MAX_MANIFEST {
            return Err(Refusal::Malformed(format!(
                "manifest length {} is outside 1..={MAX_MANIFEST}",
                header.manifest_len
            )));
        }
        if header.signature_len == 0 || header.signature_len > MAX_SIGNATURE {
            return Err(Refusal::Malformed(format!(
                "signature length {} is outside 1..={MAX_SIGNATURE}",
                header.signature_len
            )));
        }
        Ok(header)
    }

    /// Bytes before the first payload byte.
    pub fn prefix_len(&self) -> u64 {
        (HEADER_LEN + self.manifest_len + self.signature_len) as u64
    }
}

pub fn encode_header(manifest_len: usize, signature_len: usize) -> [u8; HEADER_LEN] {
    let mut out = [0u8; HEADER_LEN];
    out[..8].copy_from_slice(MAGIC);
    out[8..12].copy_from_slice(&FORMAT_VERSION.to_be_bytes());
    out[12..16].copy_from_slice(&(manifest_len as u32).to_be_bytes());
    out[16..20].copy_from_slice(&(signature_len as u32).to_be_bytes());
    out
}
