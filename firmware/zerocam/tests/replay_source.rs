//! The replay source refuses a bad clip with a message that says which file and where,
//! and the program does not start with it; what cannot be indexed in bounded time and
//! memory is refused at once. As PID 1 the camera shows the test pattern instead.

mod common;

use common::*;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use zerocam::config::{CameraConfig, Config, SourceSpec};
use zerocam::system::RunMode;

fn replay_config(path: &Path) -> Config {
    let camera = CameraConfig { source: SourceSpec::Replay(path.to_path_buf()), ..CameraConfig::default() };
    Config { http: http_config(), cameras: vec![camera], ..Config::default() }
}

/// Starts zerocam in a thread. A source that hangs (as /dev/zero once did, at 100% CPU)
/// fails the test after 20 s instead of hanging it.
fn start_within_20s(config: Config, mode: RunMode) -> Result<zerocam::app::Running, String> {
    let what = format!("start-up on {}", config.cameras[0].source);
    let (done, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let started = zerocam::app::start(&config, mode, Arc::new(RecordingControl::default()));
        let _ = done.send(started.map_err(|err| err.to_string()));
    });
    result.recv_timeout(Duration::from_secs(20)).unwrap_or_else(|_| panic!("{what} did not end within 20 s"))
}

/// Starts a PC zerocam on `path` and returns its start-up error.
fn refused_quickly(path: &Path) -> String {
    match start_within_20s(replay_config(path), RunMode::Process) {
        Ok(_) => panic!("{} must be refused", path.display()),
        Err(message) => {
            assert!(message.contains(&path.display().to_string()), "{message}");
            message
        }
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zerocam-replay-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A file of `len` bytes that takes no disk space except where `writes` put bytes.
fn sparse_file(path: &Path, len: u64, writes: &[(u64, &[u8])]) {
    let file = std::fs::File::create(path).expect("create");
    file.set_len(len).expect("set_len");
    for (offset, bytes) in writes {
        file.write_all_at(bytes, *offset).expect("write");
    }
}

#[test]
fn what_cannot_be_indexed_is_refused_at_once() {
    let dev_zero = refused_quickly(Path::new("/dev/zero"));
    assert!(dev_zero.contains("not a regular file (a character device)"), "{dev_zero}");

    let dir = temp_dir("unusable");
    let directory = refused_quickly(&dir);
    assert!(directory.contains("not a regular file (a directory)"), "{directory}");

    // A FIFO with no writer would block open(2) forever.
    let fifo = dir.join("fifo.mjpeg");
    rustix::fs::mknodat(rustix::fs::CWD, &fifo, rustix::fs::FileType::Fifo, 0o600.into(), 0).expect("mkfifo");
    let fifo = refused_quickly(&fifo);
    assert!(fifo.contains("not a regular file (a FIFO)"), "{fifo}");

    // Only zeros: refused after 64 KiB of them, not after reading the whole file.
    let zeros = dir.join("zeros.mjpeg");
    sparse_file(&zeros, 512 << 20, &[]);
    let zeros = refused_quickly(&zeros);
    assert!(zeros.contains("from byte 0: only zero bytes"), "{zeros}");

    let huge = dir.join("huge.mjpeg");
    sparse_file(&huge, (1 << 30) + 1, &[(0, &fake_jpeg(1, 100))]);
    let huge = refused_quickly(&huge);
    assert!(huge.contains("larger than the 1024 MiB a clip may have"), "{huge}");
    std::fs::remove_dir_all(&dir).ok();
}

/// SOI, then APP0 segments of the longest length (65535) back to back up to `len` bytes,
/// then EOI: a structurally valid frame that is nearly all holes in a sparse file.
fn sparse_big_frame(path: &Path, offset: u64, len: u64) {
    let mut writes: Vec<(u64, Vec<u8>)> = vec![(offset, vec![0xFF, 0xD8])];
    let mut at = offset + 2;
    while at + 2 + 65537 <= offset + len {
        writes.push((at, vec![0xFF, 0xE0, 0xFF, 0xFF]));
        at += 2 + 65535;
    }
    writes.push((at, vec![0xFF, 0xD9]));
    let writes: Vec<(u64, &[u8])> = writes.iter().map(|(at, bytes)| (*at, &bytes[..])).collect();
    sparse_file(path, at + 2, &writes);
}

#[test]
fn a_frame_over_the_slot_cap_is_refused_not_allocated() {
    let dir = temp_dir("big-frame");
    // One ordinary frame, then a 40 MiB one: six slots of 40 MiB were once allocated.
    let clip = dir.join("big.mjpeg");
    let first = fake_jpeg(1, 1000);
    sparse_big_frame(&clip, first.len() as u64, 40 << 20);
    std::fs::File::options().write(true).open(&clip).expect("open").write_all_at(&first, 0).expect("write");
    let message = refused_quickly(&clip);
    assert!(
        message.contains(&format!("the JPEG starting at byte {} is larger than 16384 KiB", first.len())),
        "{message}"
    );

    // Just under the cap is a clip like any other.
    let fits = dir.join("fits.mjpeg");
    sparse_big_frame(&fits, 0, 16 << 20);
    let mut config = replay_config(&fits);
    // Few slots and frames: each frame read touches 16 MiB.
    config.cameras[0].slots = 2;
    config.cameras[0].fps = 1;
    let server = zerocam::app::start(&config, RunMode::Process, Arc::new(RecordingControl::default()))
        .expect("a 16 MiB frame fits the largest slot");
    let status = status_json(server.local_addr());
    let slot_bytes = status["cameras"][0]["pool"]["slot_bytes"].as_u64().expect("slot_bytes");
    assert!(slot_bytes <= 16 << 20, "{slot_bytes}");
    drop(server);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn as_pid1_a_source_that_cannot_start_shows_the_test_pattern_and_why() {
    let server = start_within_20s(replay_config(Path::new("/dev/zero")), RunMode::Pid1)
        .expect("process 1 starts whatever the camera does");
    let addr = server.local_addr();
    let status = status_json(addr);
    let camera = &status["cameras"][0];
    assert_eq!(camera["source"], "replay:/dev/zero");
    assert_eq!(camera["source_in_use"], "testpattern");
    let fault = camera["fault"].as_str().expect("the reason is the fault");
    assert!(
        fault.contains("/dev/zero: not a regular file")
            && fault.ends_with("showing the test pattern instead"),
        "{fault}"
    );
    for part in Stream::open(addr, "/stream.mjpg").take(2) {
        let mut decoder = jpeg_decoder::Decoder::new(&part.jpeg[..]);
        decoder.decode().expect("test pattern frames decode");
        let info = decoder.info().expect("info");
        assert_eq!((info.width, info.height), (640, 480));
    }
}

fn start_with_clip(bytes: &[u8], name: &str) -> String {
    let dir = temp_dir(name);
    let path = dir.join("clip.mjpeg");
    std::fs::write(&path, bytes).expect("write clip");
    let config = replay_config(&path);
    let result = zerocam::app::start(&config, RunMode::Process, Arc::new(RecordingControl::default()));
    std::fs::remove_dir_all(&dir).ok();
    match result {
        Ok(_) => panic!("a bad clip ({name}) must not start"),
        Err(err) => {
            let message = err.to_string();
            assert!(message.contains(&path.display().to_string()), "{message}");
            message
        }
    }
}

#[test]
fn bad_clips_are_refused_with_file_and_offset() {
    let not_jpeg = start_with_clip(b"GIF89a this is not an MJPEG file", "gif");
    assert!(not_jpeg.contains("byte 0"), "{not_jpeg}");

    let mut cut = fake_jpeg(1, 500);
    let second = cut.len();
    cut.extend_from_slice(&fake_jpeg(2, 500)[..300]);
    let truncated = start_with_clip(&cut, "cut");
    assert!(truncated.contains(&format!("byte {second}")) && truncated.contains("cut off"), "{truncated}");

    let empty = start_with_clip(b"", "empty");
    assert!(empty.contains("no JPEG frames"), "{empty}");

    let missing = {
        let camera = CameraConfig {
            source: SourceSpec::Replay("/nonexistent/clip.mjpeg".into()),
            ..CameraConfig::default()
        };
        let config = Config { http: http_config(), cameras: vec![camera], ..Config::default() };
        match zerocam::app::start(&config, RunMode::Process, Arc::new(RecordingControl::default())) {
            Ok(_) => panic!("a missing clip must not start"),
            Err(err) => err.to_string(),
        }
    };
    assert!(missing.contains("/nonexistent/clip.mjpeg") && missing.contains("cannot open"), "{missing}");
}

#[test]
fn a_good_clip_loops_forever() {
    // 3 frames at 50 fps: after looping several times the sequence keeps increasing.
    let dir = std::env::temp_dir().join(format!("zerocam-replay-{}-loop", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("clip.mjpeg");
    let clip: Vec<u8> = (1..=3).flat_map(|seq| fake_jpeg(seq, 400)).collect();
    std::fs::write(&path, &clip).expect("write clip");
    let camera = CameraConfig { source: SourceSpec::Replay(path), fps: 50, ..CameraConfig::default() };
    let config = Config { http: http_config(), cameras: vec![camera], ..Config::default() };
    let server = zerocam::app::start(&config, RunMode::Process, Arc::new(RecordingControl::default()))
        .expect("starts");
    let parts = Stream::open(server.local_addr(), "/stream.mjpg").take(10);
    let frames: Vec<&[u8]> = parts.iter().map(|part| &part.jpeg[..]).collect();
    assert!(
        frames.iter().all(|frame| clip.windows(frame.len()).any(|w| w == *frame)),
        "frames come from the clip"
    );
    std::fs::remove_dir_all(&dir).ok();
}
