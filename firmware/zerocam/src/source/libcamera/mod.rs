//! CSI cameras (OV5647, IMX219, IMX708 Camera Module 3) through libcamera, on the Raspberry
//! Pi kernel. The ISP delivers YUV420 (never JPEG on a Zero; other pipelines NV12), which is
//! encoded straight from the memory-mapped frame buffers into pool slots. Cameras with only
//! packed RGB (vimc, the software ISP) are converted to YUV 4:2:0 first (rgb.rs).
//!
//! Threads: libcamera calls back on its own thread; the callbacks only forward completed
//! requests into a bounded channel read by this camera's source thread, which encodes,
//! publishes and requeues. A failing or missing camera never ends the thread: it shows
//! "no camera: <reason>" cards and retries with backoff (supervise.rs).
//!
//! Only the files that touch libcamera need the `libcamera` cargo feature; the arithmetic and
//! the fault handling around them are built and unit-tested everywhere.

// Without the feature nothing calls the hardware-independent parts outside their tests.
#![cfg_attr(not(feature = "libcamera"), allow(dead_code))]

/// Reopening a failed camera: quickly at first (a loose ribbon cable reseated, a restarted
/// pipeline), then at most every 30 s.
#[cfg(feature = "libcamera")]
const FIRST_RETRY: std::time::Duration = std::time::Duration::from_secs(1);
#[cfg(feature = "libcamera")]
const LONGEST_RETRY: std::time::Duration = std::time::Duration::from_secs(30);

mod error;
mod extents;
mod layout;
mod plan;
mod rgb;
mod status;
mod supervise;

pub use status::status_json;

#[cfg(feature = "libcamera")]
mod configure;
#[cfg(feature = "libcamera")]
mod controls;
#[cfg(feature = "libcamera")]
mod mapping;
#[cfg(feature = "libcamera")]
mod session;

use super::SourceError;
use crate::config::CameraConfig;
use std::sync::atomic::{AtomicBool, Ordering};

/// libcamera aborts the process when a second CameraManager is created while one exists,
/// and each source thread owns one, so at most one libcamera camera may be configured (a
/// Pi Zero has one CSI port anyway).
static SOURCE_EXISTS: AtomicBool = AtomicBool::new(false);

/// A libcamera camera as configured; nothing touches the hardware until `run`.
pub struct LibcameraSource {
    config: CameraConfig,
    camera_id: Option<String>,
}

impl LibcameraSource {
    pub fn new(config: &CameraConfig, camera_id: Option<String>) -> Result<LibcameraSource, SourceError> {
        if SOURCE_EXISTS.swap(true, Ordering::AcqRel) {
            return Err(SourceError::Unsupported {
                spec: config.source.to_string(),
                why: "only one libcamera camera can be configured (libcamera allows one camera manager per process)",
            });
        }
        Ok(LibcameraSource { config: config.clone(), camera_id })
    }

    pub fn frame_bound(&self) -> usize {
        super::encoded_frame_bound(self.config.size.width, self.config.size.height)
    }

    /// The source thread: runs camera sessions until the camera is stopped.
    #[cfg(feature = "libcamera")]
    pub fn run(self, mut output: crate::camera::FrameOutput) {
        let size = self.config.size;
        let encoder = crate::jpeg::JpegEncoder::new(self.config.quality.clamp(1, 100) as u8);
        let mut cards = super::fault_card::FaultCard::new(size.width, size.height, encoder.clone());
        let settings = session::Settings {
            name: self.config.name.clone(),
            camera_id: self.camera_id.clone(),
            size,
            plan: plan::ControlPlan::new(&self.config),
            quality: self.config.quality.clamp(1, 100) as u8,
        };
        let mut backoff = super::backoff::Backoff::new(FIRST_RETRY, LONGEST_RETRY);
        supervise::supervise(&mut output, &mut cards, &mut backoff, |output| {
            session::run(&settings, output, &encoder)
        });
    }
}

/// For the `auto` source: the id of the first camera libcamera sees, if any. Skipped while a
/// libcamera source exists, since a second CameraManager would abort the process.
#[cfg(feature = "libcamera")]
pub fn first_camera_id() -> Option<String> {
    if SOURCE_EXISTS.swap(true, Ordering::AcqRel) {
        return None;
    }
    let id = match ::libcamera::camera_manager::CameraManager::new() {
        Ok(manager) => first_id(&manager),
        // ENODEV with no media devices at all: no camera.
        Err(_) => None,
    };
    SOURCE_EXISTS.store(false, Ordering::Release);
    id
}

#[cfg(feature = "libcamera")]
fn first_id(manager: &::libcamera::camera_manager::CameraManager) -> Option<String> {
    manager.cameras().get(0).map(|camera| camera.id().to_string())
}

impl Drop for LibcameraSource {
    fn drop(&mut self) {
        SOURCE_EXISTS.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SourceSpec;

    #[test]
    fn only_one_libcamera_source_at_a_time() {
        let config = CameraConfig { source: SourceSpec::Libcamera(None), ..CameraConfig::default() };
        let first = LibcameraSource::new(&config, None).expect("first");
        let second = LibcameraSource::new(&config, None).err().expect("second is refused");
        assert!(second.to_string().contains("only one libcamera camera"), "{second}");
        assert_eq!(first.frame_bound(), crate::source::encoded_frame_bound(640, 480));
        drop(first);
        assert!(LibcameraSource::new(&config, None).is_ok(), "free again once dropped");
    }
}
