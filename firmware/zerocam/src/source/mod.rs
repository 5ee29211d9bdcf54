//! Frame sources. Each runs on its own thread and pushes frames into its camera's pool
//! through a [`FrameOutput`](crate::camera::FrameOutput): borrow a free slot, write one JPEG
//! into it, publish. Push-style cameras (V4L2, libcamera) fit the same shape.

pub mod auto;
mod backoff;
mod fault_card;
pub mod jpeg_stream;
// Always compiled: its hardware-independent parts are unit-tested without the feature.
mod libcamera;
mod pacing;
mod replay;
mod testpattern;
pub mod v4l2;

pub use self::libcamera::status_json as libcamera_status_json;
pub use pacing::Pacer;
pub use replay::{jpeg_size, Replay};

use crate::camera::Camera;
use crate::config::{CameraConfig, SourceSpec};
use std::path::PathBuf;
use std::sync::Arc;

/// A source that cannot start; the program refuses to start with it.
#[derive(Debug)]
pub enum SourceError {
    Replay {
        path: PathBuf,
        what: String,
    },
    /// The source kind is not built into this binary.
    Unsupported {
        spec: String,
        why: &'static str,
    },
    Thread(std::io::Error),
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceError::Replay { path, what } => write!(f, "replay file {}: {what}", path.display()),
            SourceError::Unsupported { spec, why } => write!(f, "source {spec}: {why}"),
            SourceError::Thread(err) => write!(f, "cannot start the source thread: {err}"),
        }
    }
}

impl std::error::Error for SourceError {}

/// Slots are never smaller than this, whatever a source estimates.
const MIN_SLOT_BYTES: usize = 16 * 1024;

/// Builds the camera's source, allocates its pool and starts the source thread. `taken`:
/// the V4L2 devices other cameras use, which `auto` leaves alone.
pub fn start_camera(
    config: &CameraConfig,
    subscribers: usize,
    taken: &[PathBuf],
) -> Result<Arc<Camera>, SourceError> {
    let configured_slot = config.slot_kib.map(|kib| kib * 1024);
    let thread_name = format!("cam-{}", config.name);
    let spawn = |body: Box<dyn FnOnce() + Send>| {
        std::thread::Builder::new()
            .name(thread_name.clone())
            .spawn(body)
            .map(drop)
            .map_err(SourceError::Thread)
    };
    match &config.source {
        SourceSpec::Replay(path) => {
            let replay = Replay::open(path, config)?;
            let slot_bytes = configured_slot.unwrap_or(replay.largest_frame()).max(MIN_SLOT_BYTES);
            let (camera, output) = Camera::new(config.clone(), slot_bytes, subscribers);
            spawn(Box::new(move || replay.run(output)))?;
            Ok(camera)
        }
        SourceSpec::Auto => {
            let scan = auto::SystemScan::new("/dev", taken.to_vec());
            start_auto(config, subscribers, scan, auto::Timing::DEFAULT)
        }
        SourceSpec::TestPattern => {
            let pattern = testpattern::TestPattern::new(config);
            let slot_bytes = configured_slot.unwrap_or(pattern.frame_bound()).max(MIN_SLOT_BYTES);
            let (camera, output) = Camera::new(config.clone(), slot_bytes, subscribers);
            spawn(Box::new(move || pattern.run(output)))?;
            Ok(camera)
        }
        #[cfg(feature = "libcamera")]
        SourceSpec::Libcamera(id) => {
            let source = self::libcamera::LibcameraSource::new(config, id.clone())?;
            let slot_bytes = configured_slot.unwrap_or(source.frame_bound()).max(MIN_SLOT_BYTES);
            let (camera, output) = Camera::new(config.clone(), slot_bytes, subscribers);
            spawn(Box::new(move || source.run(output)))?;
            Ok(camera)
        }
        #[cfg(not(feature = "libcamera"))]
        SourceSpec::Libcamera(_) => Err(SourceError::Unsupported {
            spec: config.source.to_string(),
            why: "built without the libcamera feature",
        }),
        SourceSpec::V4l2(path) => {
            // Never fails for a missing device: the camera starts in the fault state.
            let source = v4l2::V4l2Source::new(path, config);
            let slot_bytes = configured_slot.unwrap_or_else(|| source.frame_bound()).max(MIN_SLOT_BYTES);
            let (camera, output) = Camera::new(config.clone(), slot_bytes, subscribers);
            spawn(Box::new(move || source.run(output)))?;
            Ok(camera)
        }
    }
}

/// Starts an `auto` camera with the given scan (tests point it at a directory of their own).
pub fn start_auto(
    config: &CameraConfig,
    subscribers: usize,
    scan: impl auto::Scan,
    timing: auto::Timing,
) -> Result<Arc<Camera>, SourceError> {
    let source = auto::AutoSource::new(config, scan, timing);
    let slot_bytes =
        config.slot_kib.map(|kib| kib * 1024).unwrap_or_else(|| source.frame_bound()).max(MIN_SLOT_BYTES);
    let (camera, output) = Camera::new(config.clone(), slot_bytes, subscribers);
    output.set_source_in_use(source.found().cloned().unwrap_or(SourceSpec::TestPattern));
    std::thread::Builder::new()
        .name(format!("cam-{}", config.name))
        .spawn(move || source.run(output))
        .map_err(SourceError::Thread)?;
    Ok(camera)
}

/// Process 1 must stay reachable: a camera whose source cannot start shows the test pattern
/// instead, with the reason in its fault (/status, the log) and written on the picture.
pub fn start_stand_in(
    config: &CameraConfig,
    subscribers: usize,
    reason: &str,
) -> Result<Arc<Camera>, SourceError> {
    let fault = format!("{reason}; showing the test pattern instead");
    let mut pattern = testpattern::TestPattern::new(config);
    pattern.set_caption(&fault);
    let slot_bytes =
        config.slot_kib.map(|kib| kib * 1024).unwrap_or(pattern.frame_bound()).max(MIN_SLOT_BYTES);
    let (camera, output) = Camera::new(config.clone(), slot_bytes, subscribers);
    output.set_source_in_use(SourceSpec::TestPattern);
    output.set_fault(Some(fault));
    std::thread::Builder::new()
        .name(format!("cam-{}", config.name))
        .spawn(move || pattern.run(output))
        .map_err(SourceError::Thread)?;
    Ok(camera)
}

/// A generous bound for one encoded frame of `width`×`height`: JPEG at high quality rarely
/// exceeds 1.5 bytes per pixel for camera pictures; a frame beyond it is dropped and counted.
pub fn encoded_frame_bound(width: u32, height: u32) -> usize {
    (width as usize * height as usize * 3 / 2).max(MIN_SLOT_BYTES)
}
