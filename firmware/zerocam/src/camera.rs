//! A camera as the rest of the program sees it: its configuration, its frame pool and how
//! its source is doing. The source thread writes; HTTP reads.

use crate::config::{CameraConfig, Resolution, SourceSpec};
use crate::pool::{Dropped, Pool, PoolShape, PoolWriter};
use crate::source::jpeg_stream::looks_whole;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

pub struct Camera {
    pub config: CameraConfig,
    pub pool: Arc<Pool>,
    /// What the source reports: its real frame size may differ from the configured one.
    width: AtomicU32,
    height: AtomicU32,
    /// Why the source is not delivering real frames right now, if it is not.
    fault: Mutex<Option<String>>,
    /// The source actually running: the configured one, or what `auto` picked, or the test
    /// pattern standing in for a source that could not start (PID 1).
    source_in_use: Mutex<SourceSpec>,
    /// When the last frame was published, in [`monotonic_ms`], for the health check. Not
    /// the wall clock: on the board that jumps when SNTP sets it.
    last_publish_ms: AtomicU64,
    /// Frames published per second ×100, measured by the HTTP housekeeper.
    pub fps_in_x100: AtomicU32,
    /// Frames sent to clients per second ×100 (all clients), measured likewise.
    pub fps_out_x100: AtomicU32,
    stop: AtomicBool,
}

impl Camera {
    /// Allocates the camera's pool. `slot_bytes` is decided by the source (it knows its
    /// largest frame); `subscribers` is the HTTP client table's size.
    pub fn new(config: CameraConfig, slot_bytes: usize, subscribers: usize) -> (Arc<Camera>, FrameOutput) {
        let shape = PoolShape { slots: config.slots, slot_bytes, subscribers };
        let (pool, writer) = Pool::new(shape);
        let camera = Arc::new(Camera {
            width: AtomicU32::new(config.size.width),
            height: AtomicU32::new(config.size.height),
            source_in_use: Mutex::new(config.source.clone()),
            config,
            pool,
            fault: Mutex::new(None),
            last_publish_ms: AtomicU64::new(0),
            fps_in_x100: AtomicU32::new(0),
            fps_out_x100: AtomicU32::new(0),
            stop: AtomicBool::new(false),
        });
        let output = FrameOutput { writer, camera: Arc::clone(&camera) };
        (camera, output)
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    pub fn resolution(&self) -> Resolution {
        Resolution { width: self.width.load(Ordering::Relaxed), height: self.height.load(Ordering::Relaxed) }
    }

    pub fn fault(&self) -> Option<String> {
        self.fault.lock().ok().and_then(|fault| fault.clone())
    }

    /// What the camera's frames come from right now (see `source_in_use`).
    pub fn source_in_use(&self) -> SourceSpec {
        self.source_in_use.lock().map_or(SourceSpec::TestPattern, |source| source.clone())
    }

    /// [`monotonic_ms`] of the last publish, or None before the first frame.
    pub fn last_publish_ms(&self) -> Option<u64> {
        match self.last_publish_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => Some(ms),
        }
    }

    /// Asks the source thread to end (tests; the firmware runs its cameras forever).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// What a source thread owns: the pool's writer plus a way to report its state.
pub struct FrameOutput {
    writer: PoolWriter,
    camera: Arc<Camera>,
}

impl FrameOutput {
    pub fn camera(&self) -> &Arc<Camera> {
        &self.camera
    }

    /// Publishes one JPEG that `fill` writes into a free slot. The frame is checked to be a
    /// whole JPEG (SOI first, EOI last) and dropped as corrupt otherwise.
    pub fn publish_jpeg<F>(&mut self, captured_us: u64, fill: F) -> Result<u64, Dropped>
    where
        F: FnOnce(&mut [u8]) -> Result<usize, Dropped>,
    {
        let seq = self.writer.publish_with(captured_us, |slot| {
            let len = fill(slot)?;
            match slot.get(..len) {
                Some(frame) if looks_whole(frame) => Ok(len),
                Some(_) => Err(Dropped::Corrupt),
                None => Err(Dropped::TooLarge),
            }
        })?;
        // +1: 0 means "never", and the first frame can come in the clock's first millisecond.
        self.camera.last_publish_ms.store(monotonic_ms() + 1, Ordering::Relaxed);
        Ok(seq)
    }

    /// Counts a frame lost before it reached the pool.
    pub fn count_dropped(&self, why: Dropped) {
        self.writer.count_dropped(why);
    }

    /// Reports a fault (shown in /status and on the "no camera" card) or its end.
    pub fn set_fault(&self, fault: Option<String>) {
        if let Ok(mut current) = self.camera.fault.lock() {
            if *current != fault {
                match &fault {
                    Some(why) => log::warn!("camera {}: {why}", self.camera.name()),
                    None => log::info!("camera {}: delivering frames", self.camera.name()),
                }
                *current = fault;
            }
        }
    }

    /// Says which source now delivers this camera's frames (shown in /status).
    pub fn set_source_in_use(&self, source: SourceSpec) {
        if let Ok(mut current) = self.camera.source_in_use.lock() {
            *current = source;
        }
    }

    pub fn set_resolution(&self, size: Resolution) {
        self.camera.width.store(size.width, Ordering::Relaxed);
        self.camera.height.store(size.height, Ordering::Relaxed);
    }
}

/// Milliseconds on a clock that never jumps, counted from its first use in this process.
pub fn monotonic_ms() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed().as_millis() as u64
}

/// Now, in microseconds since the Unix epoch (the X-Timestamp clock).
pub fn unix_now_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_micros() as u64)
}
