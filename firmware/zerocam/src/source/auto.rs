//! `source = "auto"`: the first camera zerocam finds, so a board with a camera needs no
//! camera settings. libcamera first (when built in and it sees a camera), then the first
//! usable V4L2 capture node (the legacy Pi camera, bcm2835-v4l2, or a USB webcam). With no
//! camera the test pattern runs, and the scan is repeated with backoff, so a camera plugged
//! in later is picked up without a restart. Once a camera is picked it is that camera's
//! source for good: its own supervisor rides out unplugging and replugging.

use super::backoff::Backoff;
use super::testpattern::TestPattern;
use super::v4l2::{self, V4l2Source};
use crate::camera::FrameOutput;
use crate::config::{CameraConfig, SourceSpec};
use std::path::PathBuf;
use std::time::Duration;

/// Written on the test pattern while no camera is there.
pub const NO_CAMERA_CAPTION: &str = "source auto: no camera found yet, looking again";

/// The largest frame size a camera plugged in later is expected to send: without a camera
/// at start-up, slots are sized for it (slot pages a frame never touches cost no memory).
const HOTPLUG_SIZE: (u32, u32) = (1920, 1080);

/// Looks for a camera; `None` when there is none.
pub trait Scan: Send + 'static {
    fn scan(&mut self) -> Option<SourceSpec>;
}

/// The real scan: libcamera (with the feature), then /dev/videoN nodes under `dev`.
pub struct SystemScan {
    dev: PathBuf,
    /// Devices other cameras are configured to use.
    taken: Vec<PathBuf>,
}

impl SystemScan {
    pub fn new(dev: impl Into<PathBuf>, taken: Vec<PathBuf>) -> SystemScan {
        SystemScan { dev: dev.into(), taken }
    }
}

impl Scan for SystemScan {
    fn scan(&mut self) -> Option<SourceSpec> {
        #[cfg(feature = "libcamera")]
        if let Some(id) = super::libcamera::first_camera_id() {
            return Some(SourceSpec::Libcamera(Some(id)));
        }
        v4l2::first_camera(&self.dev, &self.taken).map(SourceSpec::V4l2)
    }
}

/// How often to look again while there is no camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub first_rescan: Duration,
    pub longest_rescan: Duration,
}

impl Timing {
    /// A readdir of /dev costs next to nothing: looking every 10 s at most means a camera
    /// plugged in is streaming within seconds.
    pub const DEFAULT: Timing =
        Timing { first_rescan: Duration::from_secs(1), longest_rescan: Duration::from_secs(10) };
}

pub struct AutoSource<S: Scan> {
    config: CameraConfig,
    scan: S,
    timing: Timing,
    /// What the scan at start-up found.
    found: Option<SourceSpec>,
}

impl<S: Scan> AutoSource<S> {
    /// Scans once now, so the pool can be sized for a camera that is already there.
    pub fn new(config: &CameraConfig, mut scan: S, timing: Timing) -> AutoSource<S> {
        let found = scan.scan();
        AutoSource { config: config.clone(), scan, timing, found }
    }

    /// The camera found at start-up, if any.
    pub fn found(&self) -> Option<&SourceSpec> {
        self.found.as_ref()
    }

    /// Bytes a slot needs: what the camera found needs, or room for a camera plugged in later.
    pub fn frame_bound(&self) -> usize {
        let size = self.config.size;
        match &self.found {
            Some(SourceSpec::V4l2(path)) => V4l2Source::new(path, &self.config).frame_bound(),
            Some(_) => super::encoded_frame_bound(size.width, size.height),
            None => {
                super::encoded_frame_bound(size.width.max(HOTPLUG_SIZE.0), size.height.max(HOTPLUG_SIZE.1))
            }
        }
    }

    /// The source thread: the test pattern until a camera is found, then that camera.
    pub fn run(mut self, mut output: FrameOutput) {
        let name = self.config.name.clone();
        let mut found = self.found.take();
        if found.is_none() {
            log::info!(
                "camera {name}: source auto found no camera; showing the test pattern and looking again"
            );
            output.set_source_in_use(SourceSpec::TestPattern);
            let mut pattern = TestPattern::new(&self.config);
            pattern.set_caption(NO_CAMERA_CAPTION);
            let mut backoff = Backoff::new(self.timing.first_rescan, self.timing.longest_rescan);
            while found.is_none() {
                pattern.run_for(&mut output, Some(backoff.next_delay()));
                if output.camera().stopping() {
                    return;
                }
                found = self.scan.scan();
            }
        }
        let Some(spec) = found else { return };
        log::info!("camera {name}: source auto picked {spec}");
        output.set_source_in_use(spec.clone());
        run_picked(spec, &self.config, output);
    }
}

fn run_picked(spec: SourceSpec, config: &CameraConfig, output: FrameOutput) {
    match spec {
        SourceSpec::V4l2(path) => V4l2Source::new(&path, config).run(output),
        #[cfg(feature = "libcamera")]
        SourceSpec::Libcamera(id) => match super::libcamera::LibcameraSource::new(config, id) {
            Ok(source) => source.run(output),
            Err(err) => stand_in(&err.to_string(), config, output),
        },
        other => stand_in(&format!("picked {other}, which auto cannot run"), config, output),
    }
}

/// The test pattern for good, with the reason as the fault.
fn stand_in(reason: &str, config: &CameraConfig, output: FrameOutput) {
    let fault = format!("source auto: {reason}; showing the test pattern instead");
    output.set_source_in_use(SourceSpec::TestPattern);
    output.set_fault(Some(fault.clone()));
    let mut pattern = TestPattern::new(config);
    pattern.set_caption(&fault);
    pattern.run(output);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::Camera;
    use crate::config::Resolution;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Instant;

    /// A camera the test plugs in: until then every scan finds nothing.
    #[derive(Clone, Default)]
    struct FakeScan {
        plugged: Arc<AtomicBool>,
        scans: Arc<AtomicUsize>,
    }

    const PLUGGED: &str = "/dev/video-zerocam-auto-test";

    impl Scan for FakeScan {
        fn scan(&mut self) -> Option<SourceSpec> {
            self.scans.fetch_add(1, Ordering::SeqCst);
            self.plugged.load(Ordering::SeqCst).then(|| SourceSpec::V4l2(PLUGGED.into()))
        }
    }

    const FAST: Timing =
        Timing { first_rescan: Duration::from_millis(20), longest_rescan: Duration::from_millis(160) };

    fn config() -> CameraConfig {
        CameraConfig {
            name: "auto".into(),
            source: SourceSpec::Auto,
            size: Resolution { width: 64, height: 48 },
            fps: 50,
            ..CameraConfig::default()
        }
    }

    fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !check() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn start(scan: FakeScan) -> (Arc<Camera>, std::thread::JoinHandle<()>) {
        let source = AutoSource::new(&config(), scan, FAST);
        let (camera, output) = Camera::new(config(), source.frame_bound(), 4);
        let thread = std::thread::spawn(move || source.run(output));
        (camera, thread)
    }

    #[test]
    fn the_test_pattern_runs_until_a_camera_is_plugged_in() {
        let scan = FakeScan::default();
        let (camera, thread) = start(scan.clone());
        wait_for("test pattern frames", || camera.pool.lease_newest().is_some());
        assert_eq!(camera.source_in_use(), SourceSpec::TestPattern);
        assert_eq!(camera.fault(), None, "no camera is not a fault: the test pattern is what auto means");

        // Rescans back off: 20, 40, 80, 160, 160... ms, so about 6 in 600 ms, not 30.
        std::thread::sleep(Duration::from_millis(600));
        let scans = scan.scans.load(Ordering::SeqCst);
        assert!((2..=10).contains(&scans), "{scans} scans");

        scan.plugged.store(true, Ordering::SeqCst);
        wait_for("the plugged camera to be picked", || {
            camera.source_in_use() == SourceSpec::V4l2(PLUGGED.into())
        });
        // It is a V4L2 source now: this device does not exist, so its supervisor says so.
        wait_for("the V4L2 fault", || camera.fault().is_some_and(|fault| fault.starts_with(PLUGGED)));
        camera.stop();
        thread.join().expect("source thread");
    }

    #[test]
    fn a_camera_there_at_start_is_picked_at_once_and_sizes_the_slots() {
        let scan = FakeScan::default();
        scan.plugged.store(true, Ordering::SeqCst);
        let source = AutoSource::new(&config(), scan.clone(), FAST);
        assert_eq!(source.found(), Some(&SourceSpec::V4l2(PLUGGED.into())));
        // The device cannot be probed, so the configured size decides.
        assert_eq!(source.frame_bound(), crate::source::encoded_frame_bound(64, 48));
        let nothing = AutoSource::new(&config(), FakeScan::default(), FAST);
        assert_eq!(nothing.frame_bound(), crate::source::encoded_frame_bound(1920, 1080));
        assert_eq!(scan.scans.load(Ordering::SeqCst), 1);
    }
}
