//! One camera session: open libcamera, configure, allocate and map the buffers once, start,
//! then encode completed requests into the pool until something fails or the camera is
//! stopped. RGB frames are first converted into a YUV 4:2:0 picture allocated once here.
//! All failures come back as a [`SessionError`] for the supervisor to show and retry.

use super::configure::{configure, pick_camera};
use super::controls::{self, start_controls};
use super::error::SessionError;
use super::layout::{buffer_layout, PlaneSpan, StreamFormat};
use super::mapping::{MappedBuffer, Picture};
use super::plan::ControlPlan;
use super::rgb;
use super::status::{self, CameraStatus, Metadata};
use super::supervise::SessionEnd;
use crate::camera::{unix_now_us, FrameOutput};
use crate::config::EncoderSetting;
use crate::config::Resolution;
use crate::jpeg::{EncodeError, Frame, JpegEncoder, Yuv420Image};
use crate::pool::Dropped;
use crate::source::v4l2::raw::{PixelKind, RawEncoder, RawFormat, RawLayout, PIX_FMT_NV12, PIX_FMT_YUV420};
use ::libcamera::camera::ActiveCamera;
use ::libcamera::camera_manager::CameraManager;
use ::libcamera::framebuffer::{AsFrameBuffer, FrameMetadataStatus};
use ::libcamera::framebuffer_allocator::{FrameBuffer, FrameBufferAllocator};
use ::libcamera::properties;
use ::libcamera::request::{Request, RequestStatus, ReuseFlag};
use ::libcamera::stream::Stream;
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant};

/// What a session needs from the camera's configuration.
pub struct Settings {
    pub name: String,
    pub camera_id: Option<String>,
    pub size: Resolution,
    pub plan: ControlPlan,
    /// JPEG quality, for the M2M encoder.
    pub quality: u8,
}

/// What libcamera's thread hands to ours. The callbacks only `try_send` into a channel with
/// room for every request, so they never block libcamera.
enum Event {
    Completed(Request),
    Disconnected,
}

/// The sensor and ISP can take a while to produce the first frame.
const FIRST_FRAME_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the loop looks at the stop flag while waiting for frames.
const POLL: Duration = Duration::from_millis(250);
/// This many failed requests in a row end the session (and restart the camera).
const MAX_FAILED_IN_A_ROW: u32 = 10;
/// The published frames whose metadata /status shows: the first, and one after automatic
/// exposure and white balance have had about a second or more to settle.
const METADATA_FRAMES: [u64; 2] = [1, 30];

pub fn run(settings: &Settings, output: &mut FrameOutput, encoder: &JpegEncoder) -> SessionEnd {
    let mut delivered = false;
    match open_and_stream(settings, output, encoder, &mut delivered) {
        Ok(()) => SessionEnd::Stopped,
        Err(err) => SessionEnd::Failed { fault: err.to_string(), delivered },
    }
}

fn open_and_stream(
    settings: &Settings,
    output: &mut FrameOutput,
    encoder: &JpegEncoder,
    delivered: &mut bool,
) -> Result<(), SessionError> {
    // Declaration order is drop order reversed: the requests (in `events`) go before the
    // camera is released, the camera before the manager.
    if crate::pid1::is_init() {
        // No udevd on the board: Debian's libcamera would list no camera without this.
        crate::pid1::udev_db::publish_for_libcamera();
    }
    let manager = CameraManager::new().map_err(SessionError::Manager)?;
    let camera = pick_camera(&manager, settings.camera_id.as_deref())?;
    let id = camera.id().to_string();
    let mut active = camera.acquire().map_err(|err| SessionError::Acquire { id: id.clone(), err })?;
    let configured = configure(&mut active, settings.size, settings.plan.flip)?;
    let stream = configured.stream;

    let mut allocator = FrameBufferAllocator::new(&active);
    let buffers = allocator.alloc(&stream).map_err(SessionError::Allocate)?;
    let mut mapped = Vec::with_capacity(buffers.len());
    let mut requests = Vec::with_capacity(buffers.len());
    for (index, buffer) in buffers.into_iter().enumerate() {
        mapped.push(map_buffer(&buffer, configured.format, configured.size, configured.stride)?);
        // The cookie is the buffer's index: a completed request names its mapping.
        let mut request = active.create_request(Some(index as u64)).ok_or(SessionError::CreateRequest)?;
        request.add_buffer(&stream, buffer).map_err(SessionError::AddBuffer)?;
        requests.push(request);
    }

    let (sender, events) = sync_channel(requests.len() + 2);
    let disconnect_sender = sender.clone();
    active.on_request_completed(move |request| {
        let _ = sender.try_send(Event::Completed(request));
    });
    active.on_disconnected(move || {
        let _ = disconnect_sender.try_send(Event::Disconnected);
    });

    // The M2M encoder (bcm2835-codec on the Pi) takes the picture as one packed range, as
    // the Pi ISP's buffers are; anything else is encoded from its planes in software. It
    // takes YUV only: RGB is converted into `converted` and encoded in software.
    let m2m = match configured.format {
        StreamFormat::I420 => Some((PixelKind::Yuv420, PIX_FMT_YUV420)),
        StreamFormat::Nv12 => Some((PixelKind::Nv12, PIX_FMT_NV12)),
        StreamFormat::Bgr888 | StreamFormat::Rgb888 => None,
    };
    let converted = configured
        .format
        .rgb_order()
        .map(|_| Yuv420Image::new(configured.size.width, configured.size.height));
    let raw =
        m2m.map(|(kind, _)| RawLayout { kind, size: configured.size, bytes_per_line: configured.stride });
    let raw_encoder = match m2m {
        Some((_, fourcc)) if mapped.iter().all(MappedBuffer::is_packed) => {
            let format = RawFormat { fourcc, size: configured.size };
            let setting = EncoderSetting::Auto;
            RawEncoder::open(
                &settings.name,
                &setting,
                Path::new(""),
                format,
                settings.quality,
                encoder.clone(),
            )
        }
        Some(_) => {
            log::info!(
                "camera {}: frame buffers not packed for an M2M encoder; encoding in software",
                settings.name
            );
            RawEncoder::software(encoder.clone())
        }
        None => RawEncoder::software(encoder.clone()),
    };

    let controls = start_controls(&active, &settings.plan, &settings.name);
    active.start(Some(&controls.list)).map_err(SessionError::Start)?;
    let streaming = format!(
        "{} {} (stride {}), {} buffers, {} {}",
        configured.format.name(),
        configured.size,
        configured.stride,
        requests.len(),
        if converted.is_some() { "converted to YUV 4:2:0 and encoded" } else { "encoded" },
        raw_encoder.describe()
    );
    log::info!("camera {}: libcamera {id} streaming {streaming}", settings.name);
    status::record(CameraStatus {
        id: id.clone(),
        model: active.properties().get::<properties::Model>().ok().map(|model| model.0),
        streaming,
        controls: controls::offered(active.controls()),
        requested: controls.requested,
        ignored: controls.ignored,
        metadata: None,
    });
    let mut streamer = Streamer {
        active: &active,
        stream,
        mapped: &mapped,
        encoder,
        raw_encoder,
        raw,
        converted,
        size: configured.size,
        period: Duration::from_micros(settings.plan.frame_duration_us.unsigned_abs()),
        published: 0,
    };
    let result = requests
        .into_iter()
        .try_for_each(|request| streamer.queue(request))
        .and_then(|()| streamer.stream(&events, output, settings.plan.frame_duration_us, delivered));
    // Stop before anything is dropped: libcamera hands back every pending request,
    // cancelled, through the channel, so none is destroyed on libcamera's thread.
    if let Err(err) = active.stop() {
        log::debug!("camera {}: stop: {err}", settings.name);
    }
    drop(events);
    result
}

/// Reads a buffer's planes and maps them once.
fn map_buffer(
    buffer: &FrameBuffer,
    format: StreamFormat,
    size: Resolution,
    stride: u32,
) -> Result<MappedBuffer, SessionError> {
    let planes = buffer.planes();
    let mut spans: heapless::Vec<PlaneSpan, 3> = heapless::Vec::new();
    for plane in planes.into_iter() {
        let span = PlaneSpan { fd: plane.fd(), offset: plane.offset().unwrap_or(0), len: plane.len() };
        if spans.push(span).is_err() {
            let count = planes.len();
            return Err(SessionError::Layout(super::layout::LayoutError::PlaneCount { format, count }));
        }
    }
    let layout =
        buffer_layout(format, size.width, size.height, stride, &spans).map_err(SessionError::Layout)?;
    MappedBuffer::new(layout)
}

struct Streamer<'a, 'd> {
    active: &'a ActiveCamera<'d>,
    stream: Stream,
    mapped: &'a [MappedBuffer],
    encoder: &'a JpegEncoder,
    /// For packed YUV buffers: hardware where there is an encoder, else software.
    raw_encoder: RawEncoder,
    /// The packed YUV layout the M2M encoder is given; `None` for RGB.
    raw: Option<RawLayout>,
    /// For an RGB stream: the YUV 4:2:0 picture each frame is converted into.
    converted: Option<Yuv420Image>,
    size: Resolution,
    /// One frame at the configured rate.
    period: Duration,
    /// Frames published this session.
    published: u64,
}

impl Streamer<'_, '_> {
    fn queue(&mut self, request: Request) -> Result<(), SessionError> {
        self.active.queue_request(request).map_err(|(_, err)| SessionError::Queue(err))
    }

    fn requeue(&mut self, mut request: Request) -> Result<(), SessionError> {
        request.reuse(ReuseFlag::REUSE_BUFFERS);
        self.queue(request)
    }

    fn stream(
        &mut self,
        events: &Receiver<Event>,
        output: &mut FrameOutput,
        frame_duration_us: i64,
        delivered: &mut bool,
    ) -> Result<(), SessionError> {
        let stall_after =
            Duration::from_secs(2).max(Duration::from_micros(frame_duration_us.unsigned_abs()) * 5);
        let mut last_frame = Instant::now();
        let mut failed_in_a_row = 0u32;
        loop {
            if output.camera().stopping() {
                return Ok(());
            }
            let mut request = match events.recv_timeout(POLL) {
                Ok(Event::Completed(request)) => request,
                Ok(Event::Disconnected) => return Err(SessionError::Disconnected),
                Err(RecvTimeoutError::Timeout) => {
                    let limit = if *delivered { stall_after } else { FIRST_FRAME_TIMEOUT };
                    if last_frame.elapsed() > limit {
                        return Err(SessionError::Stalled { secs: last_frame.elapsed().as_secs() });
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return Err(SessionError::Disconnected),
            };
            // A camera that honours FrameDurationLimits delivers about one frame per period
            // and is never held here. One that does not (libcamera's virtual pipeline
            // completes a request the moment it is queued; some sensors have a fixed rate)
            // is held to the configured rate: its frame waits for the rest of the period,
            // and whatever arrives meanwhile is newer and taken below.
            let since = last_frame.elapsed();
            if *delivered && since < self.period * 3 / 4 {
                std::thread::sleep(self.period - since);
            }
            // If encoding fell behind, only the newest frame is worth encoding: older ones
            // go straight back to the camera, which keeps latency at one frame.
            loop {
                match events.try_recv() {
                    Ok(Event::Completed(newer)) => {
                        self.requeue(request)?;
                        request = newer;
                    }
                    Ok(Event::Disconnected) => return Err(SessionError::Disconnected),
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                }
            }
            last_frame = Instant::now();
            match self.publish(&request, output) {
                FrameResult::Published => {
                    failed_in_a_row = 0;
                    if !*delivered {
                        *delivered = true;
                        output.set_resolution(self.size);
                        output.set_fault(None);
                    }
                }
                FrameResult::Skipped => {}
                FrameResult::Failed(why) => {
                    failed_in_a_row += 1;
                    if failed_in_a_row >= MAX_FAILED_IN_A_ROW {
                        return Err(SessionError::RequestsFailing { count: failed_in_a_row, last: why });
                    }
                }
            }
            self.requeue(request)?;
        }
    }

    /// Encodes a completed request's picture straight from its mapped buffer into a slot.
    fn publish(&mut self, request: &Request, output: &mut FrameOutput) -> FrameResult {
        if request.status() != RequestStatus::Complete {
            output.count_dropped(Dropped::Corrupt);
            return FrameResult::Failed("request cancelled");
        }
        let Some(buffer) = request.buffer::<FrameBuffer>(&self.stream) else {
            output.count_dropped(Dropped::Corrupt);
            return FrameResult::Failed("no buffer for the stream");
        };
        // A buffer without metadata is taken on the request's word: libcamera 0.4's virtual
        // pipeline completes buffers without ever filling in their metadata (status,
        // sequence, bytes used), while real pipelines fill it in when they dequeue.
        match buffer.metadata().map(|metadata| metadata.status()) {
            Some(FrameMetadataStatus::Success) | None => {}
            // Frames while the sensor settles: not a failure, just not worth showing.
            Some(FrameMetadataStatus::Startup) => return FrameResult::Skipped,
            Some(FrameMetadataStatus::Cancelled) => {
                output.count_dropped(Dropped::Corrupt);
                return FrameResult::Failed("buffer cancelled");
            }
            Some(FrameMetadataStatus::Error) => {
                output.count_dropped(Dropped::Corrupt);
                return FrameResult::Failed("buffer status error");
            }
        }
        let Some(buffer) = usize::try_from(request.cookie()).ok().and_then(|index| self.mapped.get(index))
        else {
            output.count_dropped(Dropped::Corrupt);
            return FrameResult::Failed("request with an unknown cookie");
        };
        let encoder = self.encoder;
        self.published += 1;
        if METADATA_FRAMES.contains(&self.published) {
            let values = controls::metadata(request.metadata());
            status::record_metadata(Metadata { frame: self.published, values });
        }
        // Too large or unusable frames are counted by the pool; neither is a camera failure.
        let (raw_encoder, converted) = (&mut self.raw_encoder, &mut self.converted);
        let _ = match (buffer.packed(), &self.raw) {
            // Packed YUV: the M2M encoder where there is one (else software, from the bytes).
            (Some(bytes), Some(raw)) => {
                output.publish_jpeg(unix_now_us(), |slot| raw_encoder.encode(raw, bytes, slot))
            }
            _ => match buffer.picture() {
                // Other YUV layouts: software, straight from the planes.
                Picture::Yuv(frame) => {
                    output.publish_jpeg(unix_now_us(), |slot| software(encoder, &frame, slot))
                }
                // RGB: converted into the session's YUV picture, then software. The conversion
                // runs only once a slot is free, so a frame the pool drops is never converted.
                Picture::Rgb(rgb) => output.publish_jpeg(unix_now_us(), |slot| {
                    let image = converted.as_mut().ok_or(Dropped::Corrupt)?;
                    rgb::to_yuv420(&rgb, image).map_err(|_| Dropped::Corrupt)?;
                    software(encoder, &image.frame(), slot)
                }),
            },
        };
        if self.raw_encoder.take_change() {
            status::update_streaming(self.raw_encoder.describe());
        }
        FrameResult::Published
    }
}

/// Encodes `frame` with zerocam's own encoder.
fn software(encoder: &JpegEncoder, frame: &Frame<'_>, slot: &mut [u8]) -> Result<usize, Dropped> {
    encoder.encode(frame, slot).map_err(|err| match err {
        EncodeError::OutputFull { .. } => Dropped::TooLarge,
        EncodeError::BadInput { .. } => Dropped::Corrupt,
    })
}

enum FrameResult {
    Published,
    Skipped,
    /// Why, for the fault if it keeps happening.
    Failed(&'static str),
}
