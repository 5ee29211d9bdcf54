//! One capture session: open the device, negotiate format/size/rate, apply controls, stream,
//! and turn each dequeued buffer into a published JPEG. A session ends with an error (the
//! supervisor then shows the fault and reopens); it never ends by itself.

use super::abi::{self, Fract, PixFormat};
use super::controls;
use super::decimate::Decimator;
use super::device::Device;
use super::enumerate::{self, fps_of, DeviceInfo, Fourcc};
use super::error::{Failure, V4l2Error};
use super::frames::{copy_jpeg, filled, RawLayout};
use super::m2m::{RawEncoder, RawFormat};
use super::negotiate::{choose_format, choose_interval, PixelKind};
use super::report::rate;
use super::status;
use super::stream::Stream;
use super::supervisor::{Pump, Pumped};
use crate::camera::{unix_now_us, FrameOutput};
use crate::config::{CameraConfig, Resolution};
use crate::jpeg::JpegEncoder;
use crate::pool::Dropped;
use std::path::Path;
use std::time::{Duration, Instant};

/// A camera that sends nothing for this long (plus two frame periods) is stalled.
pub const STALL_AFTER: Duration = Duration::from_secs(2);
/// Cameras take a while to deliver the first frame after STREAMON (sensor start-up, USB
/// bandwidth negotiation, auto exposure settling).
pub const FIRST_FRAME_WITHIN: Duration = Duration::from_secs(5);

/// The format the device agreed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    pub fourcc: u32,
    pub kind: PixelKind,
    pub size: Resolution,
    pub bytes_per_line: u32,
    /// The driver's bound for one frame's bytes.
    pub size_image: u32,
    /// Seconds per frame, if the device said.
    pub interval: Option<Fract>,
}

impl Negotiated {
    pub fn fps(&self) -> Option<f64> {
        self.interval.map(fps_of).filter(|fps| *fps > 0.0)
    }

    /// "MJPG 1280x720 at 30 fps, passed through" for logs and /status.
    pub fn describe(&self) -> String {
        let rate = self.fps().map_or_else(|| "unknown rate".to_string(), |fps| format!("{} fps", rate(fps)));
        let mode = if self.kind.is_passthrough() { "passed through" } else { "encoded" };
        format!("{} {} at {rate}, {mode}", Fourcc(self.fourcc), self.size)
    }
}

fn check_usable(device: &Device, info: &DeviceInfo) -> Result<(), V4l2Error> {
    if !info.is_capture() {
        return Err(device.error(Failure::NotCapture { capabilities: info.capabilities }));
    }
    if !info.can_stream() {
        return Err(device.error(Failure::NoStreaming));
    }
    Ok(())
}

/// The format request for what negotiation chose.
fn request(
    info: &DeviceInfo,
    device: &Device,
    wanted: Resolution,
) -> Result<(PixFormat, PixelKind), V4l2Error> {
    let choice = choose_format(&info.formats, wanted)
        .map_err(|offered| device.error(Failure::NoUsableFormat { offered }))?;
    let pix = PixFormat {
        width: choice.size.width,
        height: choice.size.height,
        pixelformat: choice.fourcc,
        field: abi::FIELD_NONE,
        ..PixFormat::default()
    };
    Ok((pix, choice.kind))
}

fn agreed(device: &Device, pix: PixFormat, interval: Option<Fract>) -> Result<Negotiated, V4l2Error> {
    let kind = PixelKind::of(pix.pixelformat).ok_or_else(|| {
        device
            .error(Failure::Unexpected(format!("the driver switched to format {}", Fourcc(pix.pixelformat))))
    })?;
    Ok(Negotiated {
        fourcc: pix.pixelformat,
        kind,
        size: Resolution { width: pix.width, height: pix.height },
        bytes_per_line: pix.bytesperline,
        size_image: pix.sizeimage,
        interval,
    })
}

/// What the device would deliver for this configuration, without changing its state: for
/// sizing the pool at start-up.
pub fn probe(path: &Path, config: &CameraConfig) -> Result<Negotiated, V4l2Error> {
    let device = Device::open(path)?;
    let info = enumerate::describe(&device)?;
    check_usable(&device, &info)?;
    let (pix, _) = request(&info, &device, config.size)?;
    agreed(&device, device.try_format(pix)?, None)
}

/// A streaming device and what to do with its frames.
pub struct Session {
    stream: Stream,
    format: Negotiated,
    layout: RawLayout,
    encoder: RawEncoder,
    decimator: Decimator,
    stall_after: Duration,
    first_frame_within: Duration,
    started: Instant,
    last_frame: Option<Instant>,
    /// Last time a frame was published or lost for a reason that is not the camera's fault.
    last_good: Instant,
}

/// A session plus what was learned opening it, for logs and /status.
pub struct Opened {
    pub session: Session,
    pub info: DeviceInfo,
    /// Controls that could not be applied, one line each.
    pub control_problems: Vec<String>,
    pub rate_problem: Option<String>,
}

impl Session {
    pub fn open(path: &Path, config: &CameraConfig, encoder: JpegEncoder) -> Result<Opened, V4l2Error> {
        let device = Device::open(path)?;
        let info = enumerate::describe(&device)?;
        check_usable(&device, &info)?;
        let (pix, _) = request(&info, &device, config.size)?;
        let set = device.set_format(pix)?;
        let mut format = agreed(&device, set, None)?;
        let (interval, rate_problem) = set_rate(&device, &format, config.fps);
        format.interval = interval;
        let control_problems = controls::apply(&device, &config.v4l2, config.quality);
        let encoder = if format.kind.is_passthrough() {
            RawEncoder::software(encoder)
        } else {
            let raw = RawFormat { fourcc: format.fourcc, size: format.size };
            let quality = config.quality.clamp(1, 100) as u8;
            RawEncoder::open(&config.name, &config.v4l2.encoder, path, raw, quality, encoder)
        };

        let device_period =
            format.fps().map_or(Duration::from_millis(33), |fps| Duration::from_secs_f64(1.0 / fps));
        let stream = Stream::start(device)?;
        let now = Instant::now();
        let session = Session {
            stream,
            format,
            layout: RawLayout { kind: format.kind, size: format.size, bytes_per_line: format.bytes_per_line },
            encoder,
            decimator: Decimator::new(config.fps, device_period),
            stall_after: STALL_AFTER + 2 * device_period,
            first_frame_within: FIRST_FRAME_WITHIN + 2 * device_period,
            started: now,
            last_frame: None,
            last_good: now,
        };
        Ok(Opened { session, info, control_problems, rate_problem })
    }

    pub fn format(&self) -> &Negotiated {
        &self.format
    }

    /// The format and, for raw ones, who encodes: "YUYV 320x180 at 5 fps, encoded in
    /// software" or "..., encoded by /dev/video31 (bcm2835-codec)".
    pub fn describe(&self) -> String {
        let format = self.format.describe();
        if self.format.kind.is_passthrough() {
            format
        } else {
            format!("{format} {}", self.encoder.describe())
        }
    }
}

/// Copies or encodes one driver buffer into a pool slot and publishes it.
fn publish(
    mapped: &[u8],
    bytesused: usize,
    format: &Negotiated,
    layout: &RawLayout,
    encoder: &mut RawEncoder,
    output: &mut FrameOutput,
) -> Result<u64, Dropped> {
    output.publish_jpeg(unix_now_us(), |slot| {
        let data = filled(mapped, bytesused)?;
        if format.kind.is_passthrough() {
            copy_jpeg(data, slot)
        } else {
            encoder.encode(layout, data, slot)
        }
    })
}

/// Asks for the frame interval nearest the configured rate where the device takes one.
/// Returns the interval in effect and, if setting it failed, why (not fatal: the device
/// then runs at its default rate and the decimator still keeps the configured one).
fn set_rate(device: &Device, format: &Negotiated, fps: usize) -> (Option<Fract>, Option<String>) {
    let current = device.stream_parm().ok().map(|parm| parm.capture);
    let Some(current) = current else { return (None, None) };
    let in_effect = Some(current.timeperframe).filter(|interval| interval.numerator > 0);
    if current.capability & abi::CAP_TIMEPERFRAME == 0 {
        return (in_effect, None);
    }
    let offered =
        enumerate::intervals(device, format.fourcc, format.size).unwrap_or(enumerate::Intervals::Unknown);
    let Some(wanted) = choose_interval(&offered, fps) else { return (in_effect, None) };
    match device.set_frame_interval(wanted) {
        Ok(set) if set.numerator > 0 => (Some(set), None),
        Ok(_) => (Some(wanted), None),
        Err(err) => (in_effect, Some(err.to_string())),
    }
}

impl Pump for Session {
    fn resolution(&self) -> Resolution {
        self.format.size
    }

    fn pump(&mut self, output: &mut FrameOutput) -> Result<Pumped, V4l2Error> {
        let (since, limit) = match self.last_frame {
            Some(at) => (at, self.stall_after),
            None => (self.started, self.first_frame_within),
        };
        let remaining = limit.saturating_sub(since.elapsed()).max(Duration::from_millis(1));
        // Wake at least every half second so a stop request is noticed.
        let Some(frame) = self.stream.next(remaining.min(Duration::from_millis(500)))? else {
            let waited = since.elapsed();
            if waited >= limit {
                return Err(self.stream.device().error(Failure::Stalled(waited)));
            }
            return Ok(Pumped::Waiting);
        };
        let now = Instant::now();
        self.last_frame = Some(now);

        let outcome = if frame.flags & abi::BUF_FLAG_ERROR != 0 {
            // The driver says the buffer is damaged (USB packet loss, a FIFO overrun).
            output.count_dropped(Dropped::Corrupt);
            Pumped::DroppedBad
        } else if !self.decimator.admit(now) {
            Pumped::Skipped
        } else {
            let mapped = self.stream.mapped(&frame);
            match publish(mapped, frame.bytesused, &self.format, &self.layout, &mut self.encoder, output) {
                Ok(_) => Pumped::Published,
                Err(Dropped::NoFreeSlot) => Pumped::Dropped,
                Err(_) => Pumped::DroppedBad,
            }
        };
        if self.encoder.take_change() {
            // The hardware encoder gave up; /status should say software now.
            status::update_streaming(self.stream.device().path(), self.describe());
        }
        if matches!(outcome, Pumped::Published | Pumped::Skipped | Pumped::Dropped) {
            self.last_good = now;
        }
        self.stream.requeue(frame)?;
        let bad_for = now.duration_since(self.last_good);
        if bad_for >= limit {
            return Err(self.stream.device().error(Failure::OnlyBadFrames(bad_for)));
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiated_formats_describe_themselves() {
        let mut format = Negotiated {
            fourcc: abi::PIX_FMT_MJPEG,
            kind: PixelKind::Jpeg,
            size: Resolution { width: 1280, height: 720 },
            bytes_per_line: 0,
            size_image: 1_843_200,
            interval: Some(Fract { numerator: 1001, denominator: 30000 }),
        };
        assert_eq!(format.describe(), "MJPG 1280x720 at 29.97 fps, passed through");
        format.kind = PixelKind::Yuyv;
        format.fourcc = abi::PIX_FMT_YUYV;
        format.interval = Some(Fract { numerator: 1, denominator: 5 });
        assert_eq!(format.describe(), "YUYV 1280x720 at 5 fps, encoded");
        format.interval = None;
        assert_eq!(format.describe(), "YUYV 1280x720 at unknown rate, encoded");
    }
}
