//! Every refusal, and the streaming reader fed in pieces of every size.

use crate::*;
use std::path::{Path, PathBuf};

struct Fixture {
    dir: PathBuf,
    key: SecretKey,
    keyring: Keyring,
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zerocam-bundle-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn fixture(name: &str) -> Fixture {
    let dir = scratch(name);
    let pair = generate_keypair("").expect("keygen");
    std::fs::write(dir.join("key.sec"), &pair.secret).expect("write key");
    let key = SecretKey::load(&dir.join("key.sec"), "").expect("load key");
    assert_eq!(key.key_id(), pair.key_id);
    let keyring = Keyring::parse(&pair.public).expect("keyring");
    Fixture { dir, key, keyring }
}

fn image(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

impl Fixture {
    fn bundle(&self, board: &str, version: &str, payload: &[u8]) -> Vec<u8> {
        let path = self.dir.join("slot.img");
        std::fs::write(&path, payload).expect("image");
        let manifest =
            build_manifest(board, version, "test-build", &[(SLOT_IMAGE, &path)]).expect("manifest");
        let mut out = Vec::new();
        write_bundle(&mut out, &manifest, &[path], &self.key).expect("bundle");
        out
    }
}

/// Collects what the reader passes on, and can refuse at `accept` like the device does.
#[derive(Default)]
struct Collect {
    accepted: Option<(Manifest, u64)>,
    written: Vec<u8>,
    done: Vec<String>,
    refuse: Option<Refusal>,
}

impl PayloadSink for Collect {
    fn accept(&mut self, manifest: &Manifest, bundle_len: u64) -> Result<(), Refusal> {
        if let Some(refusal) = self.refuse.clone() {
            return Err(refusal);
        }
        self.accepted = Some((manifest.clone(), bundle_len));
        Ok(())
    }
    fn write(&mut self, _file: &FileEntry, bytes: &[u8]) -> Result<(), Refusal> {
        self.written.extend_from_slice(bytes);
        Ok(())
    }
    fn file_done(&mut self, file: &FileEntry) -> Result<(), Refusal> {
        self.done.push(file.name.clone());
        Ok(())
    }
}

fn read_in_pieces(keyring: &Keyring, bundle: &[u8], piece: usize) -> (Result<Manifest, Refusal>, Collect) {
    let mut sink = Collect::default();
    let mut reader = BundleReader::new(keyring);
    for chunk in bundle.chunks(piece.max(1)) {
        if let Err(refusal) = reader.feed(chunk, &mut sink) {
            return (Err(refusal), sink);
        }
    }
    let result = reader.finish().cloned();
    (result, sink)
}

#[test]
fn a_good_bundle_streams_whole_in_pieces_of_any_size() {
    let f = fixture("good");
    let payload = image(200_000);
    let bundle = f.bundle("pizero", "0.2.0", &payload);
    for piece in [1, 7, 512, 4096, 65536, bundle.len()] {
        let (result, sink) = read_in_pieces(&f.keyring, &bundle, piece);
        let manifest = result.expect("good bundle");
        assert_eq!((manifest.board.as_str(), manifest.version.as_str()), ("pizero", "0.2.0"));
        assert_eq!(sink.written, payload, "piece {piece}");
        assert_eq!(sink.done, vec![SLOT_IMAGE.to_string()]);
        assert_eq!(sink.accepted.map(|(_, len)| len), Some(bundle.len() as u64));
    }
}

#[test]
fn nothing_is_passed_on_before_the_signature_checks() {
    let f = fixture("order");
    let bundle = f.bundle("pizero", "0.2.0", &image(1000));
    let mut sink = Collect::default();
    let mut reader = BundleReader::new(&f.keyring);
    let prefix = bundle.len() - 1000;
    reader.feed(&bundle[..prefix - 1], &mut sink).expect("prefix");
    assert!(sink.accepted.is_none() && sink.written.is_empty());
    reader.feed(&bundle[prefix - 1..prefix + 1], &mut sink).expect("first payload byte");
    assert!(sink.accepted.is_some());
    assert_eq!(sink.written.len(), 1);
}

#[test]
fn a_flipped_manifest_byte_is_a_bad_signature() {
    let f = fixture("flip-manifest");
    let mut bundle = f.bundle("pizero", "0.2.0", &image(1000));
    let at = bundle.windows(6).position(|w| w == b"pizero").map_or(HEADER_LEN + 20, |i| i + 1);
    bundle[at] ^= 0x01;
    let (result, sink) = read_in_pieces(&f.keyring, &bundle, 4096);
    assert!(matches!(result, Err(Refusal::BadSignature { .. })), "{result:?}");
    assert!(sink.accepted.is_none() && sink.written.is_empty());
}

#[test]
fn a_signature_by_another_key_is_an_unknown_key() {
    let f = fixture("unknown");
    let other = fixture("unknown-other");
    let bundle = other.bundle("pizero", "0.2.0", &image(1000));
    let (result, sink) = read_in_pieces(&f.keyring, &bundle, 4096);
    let Err(Refusal::UnknownKey { key_id }) = result else { panic!("{result:?}") };
    assert_eq!(key_id, other.key.key_id());
    assert!(sink.written.is_empty());
}

#[test]
fn a_keyring_with_several_keys_accepts_each() {
    let old = fixture("ring-old");
    let new = fixture("ring-new");
    let text = format!("# rotated keys\n{}\n{}", key_text(&old), key_text(&new));
    let ring = Keyring::parse(&text).expect("ring");
    assert_eq!(ring.key_ids().count(), 2);
    for f in [&old, &new] {
        let (result, _) = read_in_pieces(&ring, &f.bundle("pizero", "0.2.0", &image(100)), 64);
        result.expect("either key verifies");
    }
    assert!(Keyring::parse("untrusted comment: x\nnot-a-key\n").is_err());
}

fn key_text(f: &Fixture) -> String {
    f.keyring.key_ids().map(|id| format!("untrusted comment: {id}\n")).collect::<String>()
        + &public_of(&f.dir.join("key.sec"))
}

/// The public key of a secret key file, as a keyring line.
fn public_of(secret: &Path) -> String {
    let text = std::fs::read_to_string(secret).expect("secret");
    let sk = minisign::SecretKey::from_box(text.into(), Some(String::new())).expect("sk");
    minisign::PublicKey::from_secret_key(&sk).expect("pk").to_base64()
}

#[test]
fn a_flipped_payload_byte_is_a_hash_mismatch() {
    let f = fixture("flip-payload");
    let mut bundle = f.bundle("pizero", "0.2.0", &image(100_000));
    let at = bundle.len() - 50_000;
    bundle[at] ^= 0x80;
    let (result, sink) = read_in_pieces(&f.keyring, &bundle, 4096);
    assert_eq!(result, Err(Refusal::HashMismatch { file: SLOT_IMAGE.into() }));
    assert!(sink.done.is_empty(), "a file whose hash fails is never reported done");
}

#[test]
fn a_short_bundle_is_truncated_at_any_point() {
    let f = fixture("truncated");
    let bundle = f.bundle("pizero", "0.2.0", &image(10_000));
    for cut in [0, 5, HEADER_LEN, HEADER_LEN + 10, bundle.len() - 10_000, bundle.len() - 1] {
        let (result, sink) = read_in_pieces(&f.keyring, &bundle[..cut], 1000);
        assert!(matches!(result, Err(Refusal::Truncated { .. })), "cut at {cut}: {result:?}");
        assert!(sink.done.is_empty());
    }
}

#[test]
fn bytes_after_the_last_file_are_a_size_mismatch() {
    let f = fixture("trailing");
    let mut bundle = f.bundle("pizero", "0.2.0", &image(1000));
    let expected = bundle.len() as u64;
    bundle.extend_from_slice(b"extra");
    let (result, _) = read_in_pieces(&f.keyring, &bundle, 100_000);
    assert_eq!(result, Err(Refusal::SizeMismatch { received: expected + 5, expected }));
}

#[test]
fn structural_garbage_is_malformed() {
    let f = fixture("malformed");
    let good = f.bundle("pizero", "0.2.0", &image(100));
    let mut wrong_magic = good.clone();
    wrong_magic[0] = b'X';
    let mut huge_manifest = good.clone();
    huge_manifest[12..16].copy_from_slice(&(MAX_MANIFEST as u32 + 1).to_be_bytes());
    let mut future_format = good.clone();
    future_format[8..12].copy_from_slice(&2u32.to_be_bytes());
    let mut bad_signature_text = good.clone();
    let sig_at = HEADER_LEN + u32::from_be_bytes([good[12], good[13], good[14], good[15]]) as usize;
    bad_signature_text[sig_at] = 0xFF;
    for (what, bundle) in [
        ("magic", wrong_magic),
        ("manifest length", huge_manifest),
        ("format", future_format),
        ("signature text", bad_signature_text),
    ] {
        let (result, sink) = read_in_pieces(&f.keyring, &bundle, 4096);
        assert!(matches!(result, Err(Refusal::Malformed(_))), "{what}: {result:?}");
        assert!(sink.accepted.is_none(), "{what}");
    }
}

#[test]
fn a_signed_manifest_must_still_be_valid() {
    let f = fixture("bad-manifest");
    let path = f.dir.join("x");
    std::fs::write(&path, b"abc").expect("file");
    // build_manifest checks what the camera checks, so a bad version never gets signed.
    assert!(build_manifest("pizero", "not-a-version", "b", &[(SLOT_IMAGE, &path)]).is_err());
    assert!(build_manifest("pizero", "1.0.0", "b", &[("../etc", &path)]).is_err());
    assert!(Manifest::parse(b"{\"format\":1}").is_err());
    let twice = br#"{"format":1,"board":"b","version":"1.0.0","build_id":"","files":[
        {"name":"a","sha256":"0000000000000000000000000000000000000000000000000000000000000000","size":1},
        {"name":"a","sha256":"0000000000000000000000000000000000000000000000000000000000000000","size":1}]}"#;
    assert!(matches!(Manifest::parse(twice), Err(Refusal::Malformed(_))));
}

#[test]
fn the_sink_refuses_before_any_payload_byte() {
    let f = fixture("sink-refuses");
    let bundle = f.bundle("pizero", "0.2.0", &image(1000));
    for refusal in [
        Refusal::WrongBoard { bundle: "pizero".into(), device: "pi3".into() },
        Refusal::Downgrade { bundle: "0.2.0".into(), running: "0.3.0".into() },
        Refusal::TooBig { image: 1000, capacity: 10 },
    ] {
        let mut sink = Collect { refuse: Some(refusal.clone()), ..Collect::default() };
        let mut reader = BundleReader::new(&f.keyring);
        assert_eq!(reader.feed(&bundle, &mut sink), Err(refusal.clone()));
        assert!(sink.written.is_empty());
        assert_eq!(reader.feed(b"more", &mut sink), Err(refusal.clone()), "refusals stick");
        assert_eq!(reader.finish().err(), Some(refusal));
    }
}

#[test]
fn downgrades_compare_semantic_versions() {
    assert_eq!(is_downgrade("0.1.9", "0.2.0"), Ok(true));
    assert_eq!(is_downgrade("0.10.0", "0.9.0"), Ok(false));
    assert_eq!(is_downgrade("0.2.0", "0.2.0"), Ok(false));
    assert_eq!(is_downgrade("0.2.0-rc.1", "0.2.0"), Ok(true));
    assert!(is_downgrade("x", "0.2.0").is_err());
}

#[test]
fn refusals_read_well_and_have_codes() {
    let refusal = Refusal::WrongBoard { bundle: "pi4".into(), device: "pizero".into() };
    assert_eq!(refusal.code(), "wrong_board");
    assert!(refusal.to_string().contains("\"pi4\"") && refusal.to_string().contains("pizero"));
    assert!(Refusal::UnknownKey { key_id: "AB".into() }.to_string().contains("AB"));
}

#[test]
fn secrets_do_not_show_in_debug() {
    let f = fixture("debug");
    let shown = format!("{:?}", f.key);
    assert_eq!(shown, format!("SecretKey({})", f.key.key_id()));
}
