//! keygen: a new signing key pair in minisign's formats.

use crate::failure::Failure;
use std::io::Write;
use std::path::Path;

pub fn keygen(prefix: &Path) -> Result<(), Failure> {
    let secret_path = prefix.with_extension("key");
    let public_path = prefix.with_extension("pub");
    for path in [&secret_path, &public_path] {
        if path.exists() {
            return Err(Failure::new(format!("{} exists: not overwriting a key", path.display())));
        }
    }
    let password = std::env::var("ZEROCAM_KEY_PASSWORD").unwrap_or_default();
    let pair = zerocam_bundle::generate_keypair(&password).map_err(|err| err.to_string())?;
    write_private(&secret_path, pair.secret.as_bytes())?;
    std::fs::write(&public_path, &pair.public)
        .map_err(|err| format!("writing {}: {err}", public_path.display()))?;
    println!("key id {}", pair.key_id);
    println!(
        "secret key: {} (keep it safe; never put it on a camera or in a repository)",
        secret_path.display()
    );
    println!("public key: {} (add it to the image's keyring)", public_path.display());
    if password.is_empty() {
        println!("the secret key is not encrypted (set ZEROCAM_KEY_PASSWORD to encrypt it)");
    }
    Ok(())
}

/// Creates `path` readable by its owner only, refusing to replace an existing file.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|err| format!("creating {}: {err}", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|err| format!("writing {}: {err}", path.display()))?;
    Ok(())
}
