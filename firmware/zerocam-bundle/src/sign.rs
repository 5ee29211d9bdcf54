//! The PC side: making keys, building a manifest from files, signing it, writing a bundle.

use crate::format::encode_header;
use crate::reader::hex;
use crate::{FileEntry, Manifest, FORMAT_VERSION, MAX_MANIFEST, MAX_SIGNATURE};
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub enum SignError {
    Io { what: String, error: io::Error },
    Key(String),
    Manifest(String),
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignError::Io { what, error } => write!(f, "{what}: {error}"),
            SignError::Key(why) => write!(f, "key: {why}"),
            SignError::Manifest(why) => write!(f, "manifest: {why}"),
        }
    }
}

impl std::error::Error for SignError {}

fn io_error(what: impl Into<String>) -> impl FnOnce(io::Error) -> SignError {
    let what = what.into();
    move |error| SignError::Io { what, error }
}

/// A secret signing key (never printed: Debug shows only its id).
pub struct SecretKey {
    key: minisign::SecretKey,
    key_id: String,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({})", self.key_id)
    }
}

impl SecretKey {
    /// Reads a minisign secret key file. `password` decrypts it ("" for a key made without).
    pub fn load(path: &Path, password: &str) -> Result<SecretKey, SignError> {
        let text = std::fs::read_to_string(path).map_err(io_error(format!("reading {}", path.display())))?;
        let key = minisign::SecretKey::from_box(text.into(), Some(password.to_string()))
            .map_err(|err| SignError::Key(format!("{}: {err}", path.display())))?;
        let id: [u8; 8] =
            key.keynum().try_into().map_err(|_| SignError::Key("the key id is not 8 bytes".into()))?;
        Ok(SecretKey { key, key_id: crate::key_id_hex(&id) })
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }
}

/// A new key pair in minisign's file formats.
pub struct KeyPair {
    /// The secret key file's text (keep it off the camera and out of the repository).
    pub secret: String,
    /// The public key file's text (`untrusted comment:` line plus the key): what goes in
    /// the camera's keyring.
    pub public: String,
    pub key_id: String,
}

/// Makes a key pair; with a non-empty `password` the secret key is encrypted (scrypt), as
/// minisign does by default.
pub fn generate_keypair(password: &str) -> Result<KeyPair, SignError> {
    let pair = minisign::KeyPair::generate_encrypted_keypair(Some(password.to_string()))
        .map_err(|err| SignError::Key(err.to_string()))?;
    let id: [u8; 8] =
        pair.pk.keynum().try_into().map_err(|_| SignError::Key("the key id is not 8 bytes".into()))?;
    let key_id = crate::key_id_hex(&id);
    let comment = format!("zerocam update key {key_id}");
    let secret = pair.sk.to_box(Some(&comment)).map_err(|err| SignError::Key(err.to_string()))?.into_string();
    let public = format!("untrusted comment: minisign public key {key_id}\n{}\n", pair.pk.to_base64());
    Ok(KeyPair { secret, public, key_id })
}

/// Hashes `files` (name, path), reading each once in 64 KiB pieces, into a manifest.
pub fn build_manifest(
    board: &str,
    version: &str,
    build_id: &str,
    files: &[(&str, &Path)],
) -> Result<Manifest, SignError> {
    let mut entries = Vec::new();
    for (name, path) in files {
        let (size, sha256) = read_hashed(path, |_| Ok(()))?;
        entries.push(FileEntry { name: name.to_string(), sha256, size });
    }
    let manifest = Manifest {
        format: FORMAT_VERSION,
        board: board.into(),
        version: version.into(),
        build_id: build_id.into(),
        files: entries,
    };
    // The same checks the camera makes, so a bad bundle is never written.
    Manifest::parse(&manifest.to_json()).map_err(|refusal| SignError::Manifest(refusal.to_string()))?;
    Ok(manifest)
}

/// Signs `manifest` and writes the bundle: header, manifest, signature, then each file's
/// bytes from `paths` (in manifest order). A file that changed since it was hashed makes
/// this fail rather than write a bundle the camera would refuse.
pub fn write_bundle(
    out: &mut impl Write,
    manifest: &Manifest,
    paths: &[PathBuf],
    key: &SecretKey,
) -> Result<(), SignError> {
    let json = manifest.to_json();
    let trusted = format!(
        "zerocam bundle board:{} version:{} build:{}",
        manifest.board, manifest.version, manifest.build_id
    );
    let signature =
        minisign::sign(None, &key.key, &json[..], Some(&trusted), Some("signature from zerocam-ota"))
            .map_err(|err| SignError::Key(format!("signing failed: {err}")))?
            .into_string();
    if json.len() > MAX_MANIFEST || signature.len() > MAX_SIGNATURE {
        return Err(SignError::Manifest("manifest or signature too large".into()));
    }
    if paths.len() != manifest.files.len() {
        return Err(SignError::Manifest("one path per manifest file is needed".into()));
    }
    out.write_all(&encode_header(json.len(), signature.len())).map_err(io_error("writing the bundle"))?;
    out.write_all(&json).map_err(io_error("writing the bundle"))?;
    out.write_all(signature.as_bytes()).map_err(io_error("writing the bundle"))?;
    for (entry, path) in manifest.files.iter().zip(paths) {
        let (size, sha256) = read_hashed(path, |bytes| out.write_all(bytes))?;
        if size != entry.size || sha256 != entry.sha256 {
            return Err(SignError::Manifest(format!(
                "{} changed while the bundle was written",
                path.display()
            )));
        }
    }
    out.flush().map_err(io_error("writing the bundle"))
}

/// Reads `path` once in 64 KiB pieces, passing each to `each`: returns its size and SHA-256.
fn read_hashed(
    path: &Path,
    mut each: impl FnMut(&[u8]) -> io::Result<()>,
) -> Result<(u64, String), SignError> {
    let mut file = std::fs::File::open(path).map_err(io_error(format!("opening {}", path.display())))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(io_error(format!("reading {}", path.display())))?;
        if n == 0 {
            return Ok((size, hex(&hasher.finalize())));
        }
        hasher.update(&buf[..n]);
        size += n as u64;
        each(&buf[..n]).map_err(io_error("writing the bundle"))?;
    }
}
