//! zerocam's update bundles: the one definition of the format, shared by the camera (which
//! verifies and installs) and the `zerocam-ota` tool (which makes keys and signs).
//!
//! A bundle is one file:
//!
//! ```text
//! "ZCAMBNDL"               8 bytes, the magic
//! format version           u32, big-endian (FORMAT_VERSION)
//! manifest length          u32, big-endian (at most MAX_MANIFEST)
//! signature length         u32, big-endian (at most MAX_SIGNATURE)
//! manifest                 JSON (see [`Manifest`])
//! signature                a minisign signature of the manifest bytes (text)
//! payload files            in manifest order, each exactly `size` bytes, nothing after
//! ```
//!
//! The device reads the first bytes, checks the signature against its keyring and the
//! manifest against itself before it writes anything, then streams each payload file to a
//! sink while hashing it ([`BundleReader`]): memory stays bounded by the manifest size.
//!
//! # Why minisign
//!
//! Signatures are Ed25519 in minisign's format: the `minisign-verify` crate (small, no
//! dependencies, by minisign's author) verifies on the device, and the `minisign` crate
//! makes keys and signs on the PC (feature `sign`). A user can check a bundle's manifest
//! with the `minisign` program itself (`zerocam-ota verify --extract` writes the manifest
//! and its `.minisig`), and the manifest's SHA-256 sums cover the payload, so `sha256sum`
//! checks the rest. Minisign keys carry a key id, which is what lets a keyring hold several
//! keys and lets keys be rotated. ed25519-dalek would have meant inventing our own key and
//! signature files for the same curve.

mod format;
mod keyring;
mod manifest;
mod prefix;
mod reader;
mod refusal;
#[cfg(any(test, feature = "sign"))]
mod sign;
mod version;

pub use format::{encode_header, Header, FORMAT_VERSION, HEADER_LEN, MAGIC, MAX_MANIFEST, MAX_SIGNATURE};
pub use keyring::{key_id_hex, Keyring, TrustedKey};
pub use manifest::{FileEntry, Manifest, SLOT_IMAGE};
pub use prefix::Prefix;
pub use reader::{BundleReader, PayloadSink};
pub use refusal::Refusal;
#[cfg(any(test, feature = "sign"))]
pub use sign::{build_manifest, generate_keypair, write_bundle, KeyPair, SecretKey, SignError};
pub use version::is_downgrade;

#[cfg(test)]
mod tests;
