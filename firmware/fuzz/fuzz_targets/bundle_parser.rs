//! Feeds arbitrary bytes to the update bundle reader, in pieces whose size the input picks,
//! and to the manifest parser: neither may panic, and nothing may reach the sink unless a
//! manifest was accepted first.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zerocam_bundle::{BundleReader, FileEntry, Keyring, Manifest, PayloadSink, Refusal};

/// A fixed public key: random input never carries its signature, so the reader stops at
/// the signature check; the manifest parser is fuzzed on its own below.
const KEYRING: &str = "untrusted comment: fuzz key\nRWTcJHd8wieeyp3rED/MCUrllcLM3eaMXHR6fpgkrwa/Xw+PEkkUjpF8\n";

#[derive(Default)]
struct Sink {
    accepted: bool,
}

impl PayloadSink for Sink {
    fn accept(&mut self, _manifest: &Manifest, _bundle_len: u64) -> Result<(), Refusal> {
        self.accepted = true;
        Ok(())
    }
    fn write(&mut self, _file: &FileEntry, _bytes: &[u8]) -> Result<(), Refusal> {
        assert!(self.accepted, "payload before the manifest was accepted");
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(keyring) = Keyring::parse(KEYRING) else { return };
    let (piece, rest) = match data.split_first() {
        Some((first, rest)) => (usize::from(*first).max(1), rest),
        None => (1, data),
    };
    let mut reader = BundleReader::new(&keyring);
    let mut sink = Sink::default();
    for chunk in rest.chunks(piece) {
        if reader.feed(chunk, &mut sink).is_err() {
            break;
        }
    }
    let _ = reader.finish();
    if let Ok(manifest) = Manifest::parse(rest) {
        assert!(manifest.payload_len().is_some());
        let _ = Manifest::parse(&manifest.to_json()).expect("a parsed manifest parses again");
    }
});
