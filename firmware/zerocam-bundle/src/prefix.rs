//! Reading a bundle file's header, manifest and signature at once (the PC tool's view: it
//! shows what a bundle holds, checks it, and extracts the manifest for `minisign -V`).

use crate::format::{Header, HEADER_LEN};
use crate::reader::verify_signature;
use crate::{Keyring, Manifest, Refusal};
use std::io::Read;

pub struct Prefix {
    pub header: Header,
    /// The manifest exactly as signed.
    pub manifest_bytes: Vec<u8>,
    /// The minisign signature file's text.
    pub signature: Vec<u8>,
}

impl Prefix {
    /// Reads the first bytes of a bundle, up to its payload.
    pub fn read(reader: &mut impl Read) -> Result<Prefix, Refusal> {
        let short = |err: std::io::Error| match err.kind() {
            std::io::ErrorKind::UnexpectedEof => {
                Refusal::Truncated { received: 0, expected: HEADER_LEN as u64 }
            }
            _ => Refusal::Malformed(format!("cannot read the bundle: {err}")),
        };
        let mut fixed = [0u8; HEADER_LEN];
        reader.read_exact(&mut fixed).map_err(short)?;
        let header = Header::parse(&fixed)?;
        let mut manifest_bytes = vec![0u8; header.manifest_len];
        reader.read_exact(&mut manifest_bytes).map_err(short)?;
        let mut signature = vec![0u8; header.signature_len];
        reader.read_exact(&mut signature).map_err(short)?;
        Ok(Prefix { header, manifest_bytes, signature })
    }

    /// The manifest, trusting nothing: for showing what a bundle claims to hold.
    pub fn manifest_unverified(&self) -> Result<Manifest, Refusal> {
        Manifest::parse(&self.manifest_bytes)
    }

    /// The manifest, once its signature verified with a key of `keyring`.
    pub fn verify(&self, keyring: &Keyring) -> Result<Manifest, Refusal> {
        verify_signature(keyring, &self.manifest_bytes, &self.signature)?;
        Manifest::parse(&self.manifest_bytes)
    }
}
