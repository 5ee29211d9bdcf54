//! Updates over real HTTP into a file-backed pair of slots: a good bundle lands in the
//! inactive slot and arms its trial; every bad one is refused before anything can boot,
//! and the stream goes on for everyone else meanwhile. Keys are made at test time.

mod common;

use common::*;
use std::io::{BufReader, Write};
use std::net::{Shutdown, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zerocam::app::{self, Running};
use zerocam::ota::{FileTarget, SlotName, Updater};
use zerocam::system::{PowerAction, RunMode};
use zerocam_bundle::{build_manifest, generate_keypair, write_bundle, Keyring, SecretKey, SLOT_IMAGE};

const TOKEN: &str = "update-token";
const SLOT_BYTES: u64 = 1024 * 1024;

struct Rig {
    dir: PathBuf,
    key: SecretKey,
    target: Arc<FileTarget>,
    server: Running,
    control: Arc<RecordingControl>,
    _feeder: Feeder,
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zerocam-ota-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn make_key(dir: &std::path::Path, name: &str) -> (SecretKey, String) {
    let pair = generate_keypair("").expect("keygen");
    let path = dir.join(format!("{name}.key"));
    std::fs::write(&path, &pair.secret).expect("secret key");
    (SecretKey::load(&path, "").expect("load key"), pair.public)
}

/// Old contents of a slot: recognisable, so that any change shows.
fn old_slot(seed: u8) -> Vec<u8> {
    (0..SLOT_BYTES as usize).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

fn rig(name: &str, token: Option<&str>) -> Rig {
    let dir = scratch(name);
    let (key, public) = make_key(&dir, "trusted");
    let (slot_a, slot_b) = (dir.join("slot-a.img"), dir.join("slot-b.img"));
    std::fs::write(&slot_a, old_slot(1)).expect("slot a");
    std::fs::write(&slot_b, old_slot(2)).expect("slot b");
    let target = Arc::new(FileTarget::new("pizero", slot_a, slot_b, SlotName::A, "0.2.0"));
    let updater = Updater::new(target.clone(), Keyring::parse(&public).expect("keyring"));
    let (camera, output) = manual_camera("cam0", 4, 16 * 1024, 16);
    let mut http = http_config();
    http.admin_token = token.map(str::to_string);
    http.stall_timeout_secs = 2;
    let control = Arc::new(RecordingControl::default());
    let server = app::serve_cameras_with_updates(
        vec![camera],
        &http,
        RunMode::Process,
        control.clone(),
        Some(Arc::new(updater)),
    )
    .expect("server starts");
    Rig { dir, key, target, server, control, _feeder: Feeder::start(output, 30, 5000) }
}

fn image(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| ((i * 7 + i / 253) as u8) ^ seed).collect()
}

fn bundle_with(
    dir: &std::path::Path,
    key: &SecretKey,
    board: &str,
    version: &str,
    payload: &[u8],
) -> Vec<u8> {
    let path = dir.join("payload.img");
    std::fs::write(&path, payload).expect("payload");
    let manifest = build_manifest(board, version, "test", &[(SLOT_IMAGE, &path)]).expect("manifest");
    let mut out = Vec::new();
    write_bundle(&mut out, &manifest, &[path], key).expect("bundle");
    out
}

impl Rig {
    fn addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    fn bundle(&self, board: &str, version: &str, payload: &[u8]) -> Vec<u8> {
        bundle_with(&self.dir, &self.key, board, version, payload)
    }

    fn slot(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.dir.join(format!("slot-{name}.img"))).expect("slot file")
    }

    fn nothing_bootable_changed(&self) {
        assert_eq!(self.target.armed(), None, "no trial may be armed");
        assert!(self.control.requests.lock().expect("lock").is_empty(), "no reboot");
        assert_eq!(self.slot("a"), old_slot(1), "the running slot is never written");
    }
}

/// POSTs `body` (declaring `declared` bytes) and reads the answer.
fn upload(addr: SocketAddr, query: &str, token: &str, body: &[u8], declared: usize) -> Response {
    let mut stream = connect(addr);
    write!(
        stream,
        "POST /api/update{query} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\nContent-Length: {declared}\r\n\r\n"
    )
    .expect("head");
    // A refused upload may be closed by the camera before the whole body is in.
    let _ = stream.write_all(body);
    if body.len() < declared {
        let _ = stream.shutdown(Shutdown::Write);
    }
    read_response(&mut BufReader::new(stream), false)
}

fn json(response: &Response) -> serde_json::Value {
    serde_json::from_slice(&response.body).unwrap_or_else(|_| panic!("not JSON: {}", response.text()))
}

#[test]
fn a_good_bundle_lands_in_the_inactive_slot_and_arms_its_trial() {
    let rig = rig("good", Some(TOKEN));
    let payload = image(300_000, 0x5A);
    let bundle = rig.bundle("pizero", "0.3.0", &payload);
    let response = upload(rig.addr(), "", TOKEN, &bundle, bundle.len());
    assert_eq!(response.status, 200, "{}", response.text());
    let answer = json(&response);
    assert_eq!(answer["result"], "ok");
    assert_eq!(answer["slot"], "b");
    assert_eq!(answer["version"], "0.3.0");
    assert_eq!(answer["rebooting"], true);
    let slot_b = rig.slot("b");
    assert_eq!(&slot_b[..payload.len()], &payload[..], "the image is at the start of slot b");
    assert_eq!(&slot_b[payload.len()..], &old_slot(2)[payload.len()..], "nothing beyond it is written");
    assert_eq!(rig.target.armed(), Some((SlotName::B, "0.3.0".to_string())));
    assert_eq!(*rig.control.requests.lock().expect("lock"), vec![PowerAction::Reboot]);
    assert_eq!(rig.slot("a"), old_slot(1));
    let ota = &status_json(rig.addr())["ota"];
    assert_eq!(ota["last_update"]["result"], "ok", "{ota}");
    assert_eq!(ota["last_update"]["summary"], "ok version 0.3.0");
    assert_eq!(ota["running_slot"], "a");
    assert_eq!(ota["other_slot"], "b");
    assert_eq!(ota["other_version"], "0.3.0");
    let metrics = get(rig.addr(), "/metrics").text();
    assert!(metrics.contains("zerocam_ota_updates_installed_total 1"), "{metrics}");
}

#[test]
fn bundles_refused_from_their_first_bytes_leave_the_slot_unchanged() {
    let rig = rig("refused-early", Some(TOKEN));
    let payload = image(200_000, 1);
    let (stranger, _) = make_key(&rig.dir, "stranger");
    let good = rig.bundle("pizero", "0.3.0", &payload);
    let mut flipped_manifest = good.clone();
    let at = good.windows(6).position(|w| w == b"pizero").expect("board in manifest");
    flipped_manifest[at] ^= 0x20;
    let mut longer = good.clone();
    longer.extend_from_slice(b"0123456789");
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("flipped manifest byte", flipped_manifest, 422, "bad_signature"),
        ("unknown key", bundle_with(&rig.dir, &stranger, "pizero", "0.3.0", &payload), 422, "unknown_key"),
        ("wrong board", rig.bundle("pi4", "0.3.0", &payload), 422, "wrong_board"),
        ("downgrade", rig.bundle("pizero", "0.1.0", &payload), 409, "downgrade"),
        ("too big", rig.bundle("pizero", "0.3.0", &image(SLOT_BYTES as usize + 1, 3)), 413, "too_big"),
        ("longer than the manifest says", longer, 400, "size_mismatch"),
        ("garbage", vec![0x42; 5000], 422, "malformed"),
    ];
    for (what, body, status, code) in cases {
        let response = upload(rig.addr(), "", TOKEN, &body, body.len());
        assert_eq!(response.status, status, "{what}: {}", response.text());
        let answer = json(&response);
        assert_eq!(
            (answer["result"].as_str(), answer["code"].as_str()),
            (Some("refused"), Some(code)),
            "{what}"
        );
        assert_eq!(rig.slot("b"), old_slot(2), "{what}: the inactive slot must be unchanged");
        rig.nothing_bootable_changed();
        let last = &status_json(rig.addr())["ota"]["last_update"];
        assert_eq!(last["code"], code, "{what}: {last}");
        assert!(last["summary"].as_str().is_some_and(|s| s.starts_with("refused: ")), "{last}");
    }
}

#[test]
fn bundles_refused_mid_stream_never_become_bootable() {
    let rig = rig("refused-late", Some(TOKEN));
    let payload = image(900_000, 9);
    let good = rig.bundle("pizero", "0.3.0", &payload);
    let mut flipped_payload = good.clone();
    let last = flipped_payload.len() - 1000;
    flipped_payload[last] ^= 0x01;
    let response = upload(rig.addr(), "", TOKEN, &flipped_payload, good.len());
    assert_eq!((response.status, json(&response)["code"].as_str()), (422, Some("hash_mismatch")));
    rig.nothing_bootable_changed();
    let zeroed = |slot: &[u8]| slot[..64 * 1024].iter().all(|&b| b == 0);
    assert!(zeroed(&rig.slot("b")), "a partly written slot starts with zeros: it reads as empty");

    let response = upload(rig.addr(), "", TOKEN, &good[..good.len() / 2], good.len());
    assert_eq!((response.status, json(&response)["code"].as_str()), (400, Some("truncated")));
    rig.nothing_bootable_changed();
    assert!(zeroed(&rig.slot("b")));
    let ota = &status_json(rig.addr())["ota"];
    assert_eq!(ota["other_version"], serde_json::Value::Null, "the written slot holds no known version");

    // A good bundle after them still installs.
    let response = upload(rig.addr(), "", TOKEN, &good, good.len());
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(&rig.slot("b")[..payload.len()], &payload[..]);
}

#[test]
fn a_truncated_bundle_that_stops_before_the_payload_changes_nothing() {
    let rig = rig("stalled", Some(TOKEN));
    let good = rig.bundle("pizero", "0.3.0", &image(100_000, 4));
    let response = upload(rig.addr(), "", TOKEN, &good[..100], good.len());
    assert_eq!((response.status, json(&response)["code"].as_str()), (400, Some("truncated")));
    assert_eq!(rig.slot("b"), old_slot(2));
    rig.nothing_bootable_changed();
}

#[test]
fn a_downgrade_installs_when_forced() {
    let rig = rig("forced", Some(TOKEN));
    let bundle = rig.bundle("pizero", "0.1.0", &image(70_000, 5));
    let response = upload(rig.addr(), "?force=1", TOKEN, &bundle, bundle.len());
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(rig.target.armed(), Some((SlotName::B, "0.1.0".to_string())));
}

#[test]
fn updates_need_the_token_a_length_and_a_board() {
    let rig = rig("auth", Some(TOKEN));
    let bundle = rig.bundle("pizero", "0.3.0", &image(1000, 6));
    assert_eq!(upload(rig.addr(), "", "wrong", &bundle, bundle.len()).status, 401);
    let no_length = raw(
        rig.addr(),
        format!("POST /api/update HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    );
    assert_eq!(no_length.status, 411);
    assert_eq!(raw(rig.addr(), b"GET /api/update HTTP/1.1\r\nHost: test\r\n\r\n").status, 405);
    rig.nothing_bootable_changed();
    assert_eq!(rig.slot("b"), old_slot(2));

    let off = rig_without_token();
    assert_eq!(upload(off.server.local_addr(), "", "", &bundle, bundle.len()).status, 403);

    // A PC: no slots at all.
    let (camera, _output) = manual_camera("cam0", 4, 16 * 1024, 16);
    let mut http = http_config();
    http.admin_token = Some(TOKEN.into());
    let (pc, _) = serve(vec![camera], http);
    let answer = upload(pc.local_addr(), "", TOKEN, &bundle, bundle.len());
    assert_eq!(answer.status, 501);
    assert!(answer.text().contains("only possible on the board"));
    assert_eq!(status_json(pc.local_addr())["ota"], serde_json::Value::Null);
}

fn rig_without_token() -> Rig {
    rig("no-token", None)
}

#[test]
fn the_stream_goes_on_while_a_bundle_uploads() {
    let rig = rig("streaming", Some(TOKEN));
    let payload = image(900_000, 7);
    let bundle = rig.bundle("pizero", "0.3.0", &payload);
    let mut stream = Stream::open(rig.addr(), "/stream.mjpg");
    stream.take(2);
    let uploading = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let still_uploading = Arc::clone(&uploading);
    let viewer = std::thread::spawn(move || {
        let started = Instant::now();
        let mut frames = 0u32;
        while still_uploading.load(std::sync::atomic::Ordering::Relaxed) {
            stream.next_part();
            frames += 1;
        }
        (frames, started.elapsed())
    });
    // A slow upload: 8 KiB every 10 ms, over a second in all.
    let mut socket = connect(rig.addr());
    write!(
        socket,
        "POST /api/update HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: {}\r\n\r\n",
        bundle.len()
    )
    .expect("head");
    for piece in bundle.chunks(8 * 1024) {
        socket.write_all(piece).expect("body");
        std::thread::sleep(Duration::from_millis(10));
    }
    let response = read_response(&mut BufReader::new(socket), false);
    uploading.store(false, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(response.status, 200, "{}", response.text());
    let (frames, elapsed) = viewer.join().expect("viewer");
    let fps = f64::from(frames) / elapsed.as_secs_f64();
    // The feeder publishes 30 fps: a viewer starved by the upload would see a handful.
    assert!(elapsed > Duration::from_millis(800), "the upload was too quick to tell: {elapsed:?}");
    assert!(fps >= 20.0, "{frames} frames in {elapsed:?} ({fps:.1} fps) during the upload");
}

#[test]
fn a_client_that_expects_100_continue_gets_it_only_when_the_update_may_go_on() {
    let rig = rig("expect", Some(TOKEN));
    let bundle = rig.bundle("pizero", "0.3.0", &image(50_000, 8));
    let head = |token: &str| {
        format!(
            "POST /api/update HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n\
             Expect: 100-continue\r\nContent-Length: {}\r\n\r\n",
            bundle.len()
        )
    };
    // A wrong token: the final answer comes at once, and no body is needed.
    let mut refused = connect(rig.addr());
    refused.write_all(head("wrong").as_bytes()).expect("head");
    assert_eq!(read_response(&mut BufReader::new(refused), false).status, 401);

    let mut socket = connect(rig.addr());
    socket.write_all(head(TOKEN).as_bytes()).expect("head");
    let mut reader = BufReader::new(socket.try_clone().expect("clone"));
    let (status, _) = read_head(&mut reader);
    assert_eq!(status, 100);
    socket.write_all(&bundle).expect("body");
    let response = read_response(&mut reader, false);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(rig.target.armed(), Some((SlotName::B, "0.3.0".to_string())));
}
