//! A USB webcam for the emulated tests, made of gadgetfs, dummy_hcd and an MJPEG clip: the
//! host side of the same machine sees a real UVC camera (uvcvideo, with its MJPEG passed
//! through), which zerocam's V4L2 source and libcamera's uvcvideo pipeline drive like any
//! webcam.
//!
//!   uvc_camera --clip FILE.mjpeg [--fps 10] [--udc auto|NAME] [--pause-file PATH]
//!              [--module gadgetfs.ko] [--control ADDR:PORT]
//!
//! The whole device is this program (descriptors.rs): the kernel's own UVC gadget function
//! streams isochronously, which neither looped-back controller can carry (dummy_hcd has no
//! isochronous transfers, usbip-vudc fails them with EXDEV), so this camera streams over a
//! bulk endpoint, which UVC allows and uvcvideo supports. It answers the host's probe and
//! commit requests and sends the clip's frames in a loop at `--fps`, one UVC payload per
//! frame. While `--pause-file` exists no frame is sent (the host's stream stays open and
//! stalls: a camera that stops delivering); frames resume when it is removed. `--control`
//! takes `pause`, `resume` and `unplug` orders over TCP (orders.rs).
//! Prints "ready" once the device is on the bus; runs until killed. Needs root, gadgetfs and
//! a free device controller (dummy_hcd's dummy_udc). `--module` loads gadgetfs from that
//! file first (the emulated board's test tools carry it; its image does not).

mod clip;
mod control;
mod descriptors;
mod gadgetfs;
mod orders;

use control::{Answer, Effect};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Args {
    clip: String,
    fps: u32,
    udc: String,
    pause_file: Option<PathBuf>,
    module: Option<PathBuf>,
    control: Option<String>,
}

fn parse() -> Result<Args, String> {
    let mut parser = lexopt::Parser::from_env();
    let mut args = Args {
        clip: String::new(),
        fps: 10,
        udc: "auto".into(),
        pause_file: None,
        module: None,
        control: None,
    };
    while let Some(arg) = parser.next().map_err(|err| err.to_string())? {
        let lexopt::Arg::Long(name) = arg else { return Err(format!("unexpected {arg:?}")) };
        let name = name.to_owned();
        let value = parser.value().map_err(|err| err.to_string())?.into_string().map_err(|_| "not UTF-8")?;
        match name.as_str() {
            "clip" => args.clip = value,
            "fps" => args.fps = value.parse().map_err(|err| format!("--fps: {err}"))?,
            "udc" => args.udc = value,
            "pause-file" => args.pause_file = Some(value.into()),
            "module" => args.module = Some(value.into()),
            "control" => args.control = Some(value),
            _ => return Err(format!("unknown option --{name}")),
        }
    }
    if args.clip.is_empty() {
        return Err("--clip is required".into());
    }
    if args.fps == 0 {
        return Err("--fps must be at least 1".into());
    }
    Ok(args)
}

fn main() -> ExitCode {
    zerocam::logging::init(if std::env::var_os("UVC_CAMERA_DEBUG").is_some() {
        log::LevelFilter::Debug
    } else {
        log::LevelFilter::Info
    });
    let args = match parse() {
        Ok(args) => args,
        Err(err) => {
            eprintln!("uvc_camera: {err}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("uvc_camera: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The bulk endpoint's name on dummy_udc.
const ENDPOINT: &str = "ep1in-bulk";
/// UVC payload header: length, then bmHeaderInfo (bit 0: frame id, bit 1: end of frame,
/// bit 7: end of header).
const HEADER_LEN: usize = 2;

fn run(args: Args) -> std::io::Result<()> {
    let clip = clip::Clip::load(&args.clip)?;
    let max_frame = (clip.largest() as u32).div_ceil(4096) * 4096;
    // One payload per frame: the header and the whole JPEG in one bulk transfer.
    let max_payload = max_frame + HEADER_LEN as u32;
    let video = descriptors::Video { width: clip.width, height: clip.height, fps: args.fps, max_frame };
    if let Some(module) = &args.module {
        gadgetfs::load_module(module)?;
    }
    let path = gadgetfs::controller_file(&args.udc)?;
    let mut ep0 = gadgetfs::Ep0::open(
        &path,
        &descriptors::configuration(&video, 64),
        &descriptors::configuration(&video, 512),
        &descriptors::device(),
    )?;
    log::info!(
        "{} frames of {}x{} from {} at {} fps on {}",
        clip.frames.len(),
        clip.width,
        clip.height,
        args.clip,
        args.fps,
        path.display()
    );
    println!("ready");
    let _ = std::io::stdout().flush();

    let mut negotiation = control::Negotiation::new(args.fps, max_frame, max_payload);
    let streaming = Arc::new(AtomicBool::new(false));
    let pause = orders::Pause::new(args.pause_file.clone());
    if let Some(address) = &args.control {
        orders::listen(address, &pause)?;
    }
    // The frame sender starts with the first configuration and then runs for good.
    let mut sending = false;
    let clip = Arc::new(clip);
    loop {
        let request = match ep0.next()? {
            gadgetfs::Event::Setup(request) => request,
            gadgetfs::Event::Connect => {
                log::info!("host connected");
                continue;
            }
            gadgetfs::Event::Disconnect => {
                log::info!("host disconnected");
                streaming.store(false, Ordering::SeqCst);
                continue;
            }
            gadgetfs::Event::Other(_) => continue,
        };
        let (answer, mut effect) = negotiation.setup(&request);
        log::debug!("request {request:02x?}: {answer:?}");
        // A request the host gave up on fails here (ESHUTDOWN after a reset, EIDRM when the
        // next one came first): the device carries on with the next one.
        let answered = match answer {
            Answer::Send(bytes) => ep0.send(&bytes),
            Answer::Receive(length) => match ep0.receive(length) {
                Ok(data) if length > 0 => {
                    effect = negotiation.data(&data);
                    Ok(())
                }
                Ok(_) => Ok(()),
                Err(err) if length > 0 && err.raw_os_error() == Some(libc::EIDRM) => {
                    let (next_answer, next_effect) = negotiation.superseded();
                    effect = next_effect;
                    // The host's next request (its event still queued) is answered ahead;
                    // its event then gets the same answer again, which dummy_udc drops as
                    // stale when the request after it arrives.
                    next_answer.map_or(Ok(()), |bytes| ep0.send(&bytes))
                }
                Err(err) => Err(err),
            },
            Answer::Stall => {
                ep0.stall(&request);
                Ok(())
            }
        };
        if let Err(err) = answered {
            log::warn!("request {request:02x?}: {err}");
            continue;
        }
        match effect {
            Effect::Configured if !sending => {
                let endpoint = gadgetfs::open_endpoint(
                    ENDPOINT,
                    &descriptors::endpoint(64),
                    &descriptors::endpoint(512),
                )?;
                let (clip, streaming, pause) = (clip.clone(), streaming.clone(), pause.clone());
                let fps = args.fps;
                std::thread::spawn(move || send_frames(endpoint, &clip, fps, &streaming, &pause));
                sending = true;
                log::info!("configured; {ENDPOINT} ready");
            }
            Effect::Committed => streaming.store(true, Ordering::SeqCst),
            _ => {}
        }
    }
}

/// Sends the clip's frames, one UVC payload each, at `fps` while the host streams.
fn send_frames(
    mut endpoint: std::fs::File,
    clip: &clip::Clip,
    fps: u32,
    streaming: &AtomicBool,
    pause: &orders::Pause,
) {
    let period = Duration::from_secs(1) / fps;
    let mut payload = Vec::with_capacity(clip.largest() + HEADER_LEN);
    let mut sent: u64 = 0;
    let mut paused = false;
    let mut next_due = Instant::now();
    loop {
        std::thread::sleep(next_due.saturating_duration_since(Instant::now()));
        let now = Instant::now();
        next_due = if now > next_due + period { now + period } else { next_due + period };
        if !streaming.load(Ordering::SeqCst) {
            continue;
        }
        let pause_now = pause.now();
        if pause_now != paused {
            paused = pause_now;
            log::info!("{} after {sent} frames", if paused { "paused" } else { "resumed" });
        }
        if paused {
            continue;
        }
        let frame = &clip.frames[(sent % clip.frames.len() as u64) as usize];
        payload.clear();
        payload.extend([HEADER_LEN as u8, 0x80 | 0x02 | (sent & 1) as u8]);
        payload.extend(frame);
        // One write is one bulk transfer, so one UVC payload: never split.
        match endpoint.write(&payload) {
            Ok(written) if written < payload.len() => {
                log::warn!("{ENDPOINT}: sent {written} of {} bytes", payload.len())
            }
            Ok(_) => {
                sent += 1;
                if sent.is_multiple_of(100) {
                    log::info!("{sent} frames sent");
                }
            }
            // The host stopped reading (stream off, reset, unplugged): wait for the next commit.
            Err(err) => {
                log::info!("{ENDPOINT}: {err} after {sent} frames; waiting for the host");
                streaming.store(false, Ordering::SeqCst);
            }
        }
    }
}
