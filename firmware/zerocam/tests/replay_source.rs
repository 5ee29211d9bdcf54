//! The replay source refuses a bad clip with a message that says which file and where,
//! and the program does not start with it.

mod common;

use common::*;
use std::sync::Arc;
use zerocam::config::{CameraConfig, Config, SourceSpec};
use zerocam::system::RunMode;

fn start_with_clip(bytes: &[u8], name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("zerocam-replay-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("clip.mjpeg");
    std::fs::write(&path, bytes).expect("write clip");
    let camera = CameraConfig { source: SourceSpec::Replay(path.clone()), ..CameraConfig::default() };
    let config = Config { http: http_config(), cameras: vec![camera], ..Config::default() };
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
