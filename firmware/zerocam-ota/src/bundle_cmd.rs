//! bundle (sign a slot image into a bundle) and verify (check one, optionally extract it).

use crate::args::BundleOptions;
use crate::failure::Failure;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use zerocam_bundle::{
    build_manifest, write_bundle, BundleReader, FileEntry, Keyring, Manifest, PayloadSink, Prefix, Refusal,
    SecretKey, SLOT_IMAGE,
};

pub fn bundle(options: &BundleOptions) -> Result<(), Failure> {
    let password = std::env::var("ZEROCAM_KEY_PASSWORD").unwrap_or_default();
    let key = SecretKey::load(&options.key, &password).map_err(|err| err.to_string())?;
    let manifest = build_manifest(
        &options.board,
        &options.version,
        &options.build_id,
        &[(SLOT_IMAGE, options.image.as_path())],
    )
    .map_err(|err| err.to_string())?;
    let out = options
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("zerocam-{}-{}.bundle", options.board, options.version)));
    // Written beside the target and renamed, so a failed run never leaves a half bundle.
    let partial = out.with_extension("bundle.partial");
    let written = (|| {
        let file = File::create(&partial).map_err(|err| format!("creating {}: {err}", partial.display()))?;
        let mut writer = BufWriter::new(file);
        write_bundle(&mut writer, &manifest, std::slice::from_ref(&options.image), &key)
            .map_err(|err| err.to_string())?;
        let file = writer.into_inner().map_err(|err| format!("writing {}: {err}", partial.display()))?;
        file.sync_all().map_err(|err| format!("writing {}: {err}", partial.display()))?;
        std::fs::rename(&partial, &out).map_err(|err| format!("renaming to {}: {err}", out.display()))
    })();
    if let Err(message) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(Failure::new(message));
    }
    let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    println!(
        "{}: board {}, version {}, build {}, {} bytes, signed by key {}",
        out.display(),
        manifest.board,
        manifest.version,
        manifest.build_id,
        size,
        key.key_id()
    );
    Ok(())
}

pub fn verify(bundle: &Path, public_key: &Path, extract: Option<&Path>) -> Result<(), Failure> {
    let keyring_text = std::fs::read_to_string(public_key)
        .map_err(|err| format!("reading {}: {err}", public_key.display()))?;
    let keyring = Keyring::parse(&keyring_text).map_err(|err| format!("{}: {err}", public_key.display()))?;
    let open = || File::open(bundle).map_err(|err| format!("opening {}: {err}", bundle.display()));
    let prefix = Prefix::read(&mut BufReader::new(open()?)).map_err(|refusal| refused(bundle, &refusal))?;
    let mut sink = Extract::new(extract, &prefix)?;
    let mut reader = BundleReader::new(&keyring);
    let mut file = open()?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(|err| format!("reading {}: {err}", bundle.display()))?;
        if n == 0 {
            break;
        }
        reader.feed(&buf[..n], &mut sink).map_err(|refusal| refused(bundle, &refusal))?;
    }
    let manifest = reader.finish().map_err(|refusal| refused(bundle, &refusal))?;
    print_manifest(bundle, manifest);
    if let Some(dir) = extract {
        println!(
            "extracted into {0}; check with: minisign -Vm {0}/manifest.json -p {1} && (cd {0} && sha256sum -c SHA256SUMS)",
            dir.display(),
            public_key.display()
        );
    }
    Ok(())
}

fn refused(bundle: &Path, refusal: &Refusal) -> Failure {
    Failure::new(format!("{}: {refusal}", bundle.display()))
}

fn print_manifest(bundle: &Path, manifest: &Manifest) {
    println!(
        "{}: good signature; board {}, version {}, build {}",
        bundle.display(),
        manifest.board,
        manifest.version,
        manifest.build_id
    );
    for file in &manifest.files {
        println!("  {} {} bytes sha256 {}", file.name, file.size, file.sha256);
    }
}

/// Writes the payload files (and the manifest with its signature) into a folder, or nothing.
struct Extract {
    dir: Option<PathBuf>,
    current: Option<(String, BufWriter<File>)>,
}

impl Extract {
    fn new(dir: Option<&Path>, prefix: &Prefix) -> Result<Extract, Failure> {
        if let Some(dir) = dir {
            std::fs::create_dir_all(dir).map_err(|err| format!("creating {}: {err}", dir.display()))?;
            let write = |name: &str, bytes: &[u8]| {
                std::fs::write(dir.join(name), bytes)
                    .map_err(|err| format!("writing {}/{name}: {err}", dir.display()))
            };
            write("manifest.json", &prefix.manifest_bytes)?;
            write("manifest.json.minisig", &prefix.signature)?;
            if let Ok(manifest) = prefix.manifest_unverified() {
                let sums: String =
                    manifest.files.iter().map(|file| format!("{}  {}\n", file.sha256, file.name)).collect();
                write("SHA256SUMS", sums.as_bytes())?;
            }
        }
        Ok(Extract { dir: dir.map(Path::to_path_buf), current: None })
    }
}

impl PayloadSink for Extract {
    fn accept(&mut self, _manifest: &Manifest, _bundle_len: u64) -> Result<(), Refusal> {
        Ok(())
    }

    fn write(&mut self, file: &FileEntry, bytes: &[u8]) -> Result<(), Refusal> {
        let Some(dir) = &self.dir else { return Ok(()) };
        if self.current.as_ref().is_none_or(|(name, _)| *name != file.name) {
            let path = dir.join(&file.name);
            let created =
                File::create(&path).map_err(|err| Refusal::Install(format!("{}: {err}", path.display())))?;
            self.current = Some((file.name.clone(), BufWriter::new(created)));
        }
        if let Some((_, writer)) = &mut self.current {
            writer
                .write_all(bytes)
                .map_err(|err| Refusal::Install(format!("writing {}: {err}", file.name)))?;
        }
        Ok(())
    }

    fn file_done(&mut self, file: &FileEntry) -> Result<(), Refusal> {
        if let Some((_, mut writer)) = self.current.take() {
            writer.flush().map_err(|err| Refusal::Install(format!("writing {}: {err}", file.name)))?;
        }
        Ok(())
    }
}
