//! V4L2 cameras: USB webcams (uvcvideo), the Pi camera on the legacy stack (bcm2835-v4l2)
//! and virtual ones (vivid), through zerocam's own ioctls (no C library, no v4l crate).
//!
//! * abi.rs: the kernel structs and ioctl numbers; device.rs: safe wrappers.
//! * enumerate.rs / negotiate.rs: what the device offers, what to ask for (MJPEG first).
//! * stream.rs: mmap streaming; frames.rs: buffer -> JPEG in a pool slot (the only copy).
//! * m2m/: raw frames encoded by a memory-to-memory JPEG encoder, or in software.
//! * capture.rs: one session; supervisor.rs: faults, "no camera" cards, backoff, recovery.
//! * listing.rs / report.rs / status.rs: `zerocam cameras` and /status.
//! * find.rs: the first usable camera, for the `auto` source.

mod abi;
mod capture;
mod controls;
mod decimate;
mod device;
mod enumerate;
mod error;
mod find;
mod frames;
mod listing;
mod m2m;
mod negotiate;
mod report;
mod status;
mod stream;
mod supervisor;

pub use enumerate::{describe_path, DeviceInfo};
pub use error::{Failure, V4l2Error};
pub use find::first_camera;
pub use listing::{list_cameras, print_cameras};
pub use status::{device_status, device_status_json, DeviceStatus};

/// The raw-frame encoder (the M2M hardware encoder when there is one, software otherwise)
/// for the other source with raw frames, libcamera.
#[cfg(feature = "libcamera")]
pub mod raw {
    pub use super::abi::{PIX_FMT_NV12, PIX_FMT_YUV420};
    pub use super::frames::RawLayout;
    pub use super::m2m::{RawEncoder, RawFormat};
    pub use super::negotiate::PixelKind;
}

use crate::camera::FrameOutput;
use crate::config::CameraConfig;
use crate::jpeg::JpegEncoder;
use capture::Session;
use std::path::{Path, PathBuf};
use supervisor::{Connect, FaultCard, Timing};

/// A V4L2 camera source. Creating it never fails: a missing device is a fault shown on the
/// stream, not a reason to refuse to start.
pub struct V4l2Source {
    connector: DeviceConnector,
}

impl V4l2Source {
    pub fn new(path: &Path, config: &CameraConfig) -> V4l2Source {
        let quality = config.quality.clamp(1, 100) as u8;
        V4l2Source {
            connector: DeviceConnector {
                path: path.to_path_buf(),
                config: config.clone(),
                encoder: JpegEncoder::new(quality),
            },
        }
    }

    /// Bytes one pool slot needs: the encoder's bound for the configured size (the fault
    /// card is that size too) or for what the device negotiates, and for a camera that
    /// sends JPEG, the driver's own per-frame bound.
    pub fn frame_bound(&self) -> usize {
        let config = &self.connector.config;
        let configured = super::encoded_frame_bound(config.size.width, config.size.height);
        match capture::probe(&self.connector.path, config) {
            Ok(format) => {
                let (width, height) = (format.size.width, format.size.height);
                let negotiated = super::encoded_frame_bound(width, height);
                // Some drivers report absurd bounds; no JPEG is larger than 3 bytes a pixel.
                let driver = (format.size_image as usize).min(width as usize * height as usize * 3);
                let passthrough = if format.kind.is_passthrough() { driver } else { 0 };
                configured.max(negotiated).max(passthrough)
            }
            Err(_) => configured,
        }
    }

    /// The source thread: runs until the camera is stopped.
    pub fn run(mut self, mut output: FrameOutput) {
        let config = &self.connector.config;
        log::info!("camera {}: V4L2 device {}", config.name, self.connector.path.display());
        let mut card = FaultCard::new(config.size, config.quality.clamp(1, 100) as u8);
        supervisor::supervise(&mut self.connector, &mut output, &mut card, Timing::DEFAULT);
    }
}

struct DeviceConnector {
    path: PathBuf,
    config: CameraConfig,
    encoder: JpegEncoder,
}

impl Connect for DeviceConnector {
    type Session = Session;

    fn connect(&mut self) -> Result<Session, V4l2Error> {
        let opened = Session::open(&self.path, &self.config, self.encoder.clone())?;
        let name = &self.config.name;
        let info = &opened.info;
        log::info!(
            "camera {name}: {} is {} ({}, {}): {}",
            self.path.display(),
            info.card,
            info.driver,
            info.bus,
            opened.session.describe()
        );
        for problem in &opened.control_problems {
            log::warn!("camera {name}: control {problem}");
        }
        if let Some(problem) = &opened.rate_problem {
            log::warn!("camera {name}: frame rate not set: {problem}");
        }
        let mut status = DeviceStatus::new(info, opened.session.format());
        status.streaming = opened.session.describe();
        status::record(status);
        Ok(opened.session)
    }
}
