//! `source = "auto"` with no camera: the test pattern is served and /status says that is
//! what auto picked. The scan looks at a directory of the test's own (empty but for a file
//! named like a node), so the result does not depend on the machine's /dev.

mod common;

use common::{http_config, serve, status_json, Stream};
use zerocam::config::{CameraConfig, Resolution, SourceSpec};
use zerocam::source::auto::{SystemScan, Timing};

#[test]
fn with_no_camera_auto_serves_the_test_pattern_and_says_so() {
    let dev = std::env::temp_dir().join(format!("zerocam-auto-dev-{}", std::process::id()));
    std::fs::create_dir_all(&dev).expect("dir");
    // Not a device: describing it fails, so it is skipped like any node that is no camera.
    std::fs::write(dev.join("video0"), b"").expect("file");

    let config = CameraConfig {
        name: "auto".into(),
        source: SourceSpec::Auto,
        size: Resolution { width: 320, height: 240 },
        fps: 10,
        ..CameraConfig::default()
    };
    let camera = zerocam::source::start_auto(&config, 8, SystemScan::new(&dev, Vec::new()), Timing::DEFAULT)
        .expect("auto starts without a camera");
    let (server, _) = serve(vec![camera], http_config());
    let addr = server.local_addr();

    for part in Stream::open(addr, "/stream.mjpg").take(2) {
        let mut decoder = jpeg_decoder::Decoder::new(&part.jpeg[..]);
        decoder.decode().expect("a JPEG");
        let info = decoder.info().expect("info");
        assert_eq!((info.width, info.height), (320, 240));
    }
    let status = status_json(addr);
    let camera = &status["cameras"][0];
    let hostname = rustix::system::uname().nodename().to_string_lossy().into_owned();
    assert_eq!(status["hostname"], hostname.as_str());
    assert_eq!(camera["source"], "auto");
    assert_eq!(camera["source_in_use"], "testpattern");
    assert!(camera["fault"].is_null(), "{camera}");
    assert!(camera["device"].is_null(), "{camera}");
    // Room for a camera plugged in later, up to 1080p.
    assert!(camera["pool"]["slot_bytes"].as_u64() >= Some(1920 * 1080 * 3 / 2), "{camera}");
    drop(server);
    std::fs::remove_dir_all(&dev).ok();
}
