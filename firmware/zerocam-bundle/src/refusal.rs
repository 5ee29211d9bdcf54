//! Why a bundle is refused: one variant per reason a user can act on.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a bundle, or a bundle whose structure or manifest is broken.
    Malformed(String),
    /// The signature was made by a key in the keyring but does not match the manifest.
    BadSignature { key_id: String },
    /// The signature was made by a key the keyring does not hold.
    UnknownKey { key_id: String },
    /// The bundle was built for another board.
    WrongBoard { bundle: String, device: String },
    /// The bundle's version is older than the running one (and the update was not forced).
    Downgrade { bundle: String, running: String },
    /// The slot image does not fit the slot.
    TooBig { image: u64, capacity: u64 },
    /// The upload's length is not what the manifest adds up to.
    SizeMismatch { received: u64, expected: u64 },
    /// A payload file's SHA-256 is not the one in the manifest.
    HashMismatch { file: String },
    /// The bundle ended before its last payload byte.
    Truncated { received: u64, expected: u64 },
    /// Writing or checking the slot failed (the device's fault, not the bundle's).
    Install(String),
}

impl Refusal {
    /// A short stable name for scripts and /status ("bad_signature", ...).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Malformed(_) => "malformed",
            Refusal::BadSignature { .. } => "bad_signature",
            Refusal::UnknownKey { .. } => "unknown_key",
            Refusal::WrongBoard { .. } => "wrong_board",
            Refusal::Downgrade { .. } => "downgrade",
            Refusal::TooBig { .. } => "too_big",
            Refusal::SizeMismatch { .. } => "size_mismatch",
            Refusal::HashMismatch { .. } => "hash_mismatch",
            Refusal::Truncated { .. } => "truncated",
            Refusal::Install(_) => "install_failed",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Malformed(why) => write!(f, "malformed bundle: {why}"),
            Refusal::BadSignature { key_id } => {
                write!(f, "bad signature: the manifest does not match its signature by key {key_id}")
            }
            Refusal::UnknownKey { key_id } => {
                write!(f, "unknown key: the bundle is signed by key {key_id}, which this camera does not trust")
            }
            Refusal::WrongBoard { bundle, device } => {
                write!(f, "wrong board: the bundle is for \"{bundle}\", this camera is \"{device}\"")
            }
            Refusal::Downgrade { bundle, running } => write!(
                f,
                "downgrade: the bundle holds version {bundle}, older than the running {running} (force it to allow)"
            ),
            Refusal::TooBig { image, capacity } => {
                write!(f, "too big for the slot: the image is {image} bytes, the slot holds {capacity}")
            }
            Refusal::SizeMismatch { received, expected } => {
                write!(f, "size mismatch: the upload is {received} bytes, the manifest adds up to {expected}")
            }
            Refusal::HashMismatch { file } => {
                write!(f, "hash mismatch: {file} is not the file the manifest names (SHA-256 differs)")
            }
            Refusal::Truncated { received, expected } => {
                write!(f, "truncated: the bundle ended after {received} of {expected} bytes")
            }
            Refusal::Install(why) => write!(f, "install failed: {why}"),
        }
    }
}

impl std::error::Error for Refusal {}
