//! A configured V4L2 camera that does not exist: zerocam still starts, streams "no camera"
//! cards to clients and says what failed in /status. Runs anywhere (no camera needed).

mod common;

use common::{http_config, status_json, RecordingControl, Stream};
use std::sync::Arc;
use zerocam::app;
use zerocam::config::{CameraConfig, Config, Resolution, SourceSpec};
use zerocam::system::RunMode;

const MISSING: &str = "/dev/video-does-not-exist";

fn missing_camera_server() -> app::Running {
    let camera = CameraConfig {
        name: "usb".into(),
        source: SourceSpec::V4l2(MISSING.into()),
        size: Resolution { width: 320, height: 240 },
        fps: 10,
        ..CameraConfig::default()
    };
    let config = Config { http: http_config(), cameras: vec![camera], ..Config::default() };
    app::start(&config, RunMode::Process, Arc::new(RecordingControl::default()))
        .expect("a missing camera must not stop the server from starting")
}

#[test]
fn missing_camera_streams_cards_and_reports_the_fault() {
    let running = missing_camera_server();
    let addr = running.local_addr();

    // Whole JPEGs (next_part checks SOI/EOI and framing) of the configured size, in the
    // card's dark slate blue: the picture says "no camera: <reason>".
    let mut stream = Stream::open(addr, "/stream.mjpg");
    for part in stream.take(2) {
        let mut decoder = jpeg_decoder::Decoder::new(&part.jpeg[..]);
        let pixels = decoder.decode().expect("the card is a valid JPEG");
        let info = decoder.info().expect("info");
        assert_eq!((info.width, info.height), (320, 240));
        let corner = &pixels[(239 * 320 + 319) * 3..][..3];
        assert!(corner[2] > corner[0] && corner[0] < 60, "card background, got {corner:?}");
    }

    let status = status_json(addr);
    let camera = &status["cameras"][0];
    assert_eq!(camera["source"], format!("v4l2:{MISSING}"));
    let fault = camera["fault"].as_str().expect("fault is reported");
    assert!(fault.starts_with(&format!("{MISSING}: cannot open: No such file or directory")), "{fault}");
    assert_eq!(camera["resolution"], "320x240");
    assert!(camera["frames_published"].as_u64().unwrap_or(0) >= 2);
}

#[test]
fn cameras_command_exits_zero_without_cameras() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_zerocam"))
        .arg("cameras")
        .output()
        .expect("zerocam runs");
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    let has_nodes = std::fs::read_dir("/dev")
        .map(|entries| {
            entries.filter_map(Result::ok).any(|e| e.file_name().to_string_lossy().starts_with("video"))
        })
        .unwrap_or(false);
    if !has_nodes {
        assert_eq!(text, "no V4L2 cameras found\n");
    }
}
