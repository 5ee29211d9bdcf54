//! The MJPEG passthrough source: the clip's frames written into a v4l2loopback device at a
//! steady rate, so both servers read compressed frames from a V4L2 capture node as they
//! would from a USB webcam or the legacy Pi camera.
//!
//! The feeder runs on a thread of the bench, not of the server: its CPU is the camera's,
//! and is not counted against either server.

use crate::error::{Error, IoContext, Result};
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};
use zerocam::source::jpeg_stream::{index_frames, IndexLimits};

/// Writes frames into the loopback device until dropped.
pub struct Feeder {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Feeder {
    /// Reads the clip into memory, sets the device's output format to MJPEG `width`x`height`
    /// at `fps`, writes the first frame (so the device turns into a capture device at once)
    /// and starts the pacing thread.
    pub fn start(device: &Path, clip: &Path, width: u32, height: u32, fps: f64) -> Result<Feeder> {
        let frames = read_clip(clip)?;
        let largest = frames.iter().map(Vec::len).max().unwrap_or(0);
        let mut out = OpenOptions::new()
            .read(true)
            .write(true)
            .open(device)
            .context(|| format!("opening {}", device.display()))?;
        set_output_format(&out, width, height, largest, fps).map_err(|err| {
            Error::Board(format!("{}: setting the MJPEG output format: {err}", device.display()))
        })?;
        out.write_all(&frames[0]).context(|| format!("writing a frame to {}", device.display()))?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let period = Duration::from_secs_f64(1.0 / fps);
        let thread = thread::Builder::new()
            .name("mjpeg-feeder".into())
            .spawn(move || feed(out, &frames, period, &flag))
            .context(|| "starting the feeder thread".into())?;
        Ok(Feeder { stop, thread: Some(thread) })
    }
}

impl Drop for Feeder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One write() per frame, on a fixed schedule; a late frame is not made up for.
fn feed(mut out: File, frames: &[Vec<u8>], period: Duration, stop: &AtomicBool) {
    let mut next = Instant::now();
    for frame in frames.iter().cycle() {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        next += period;
        let now = Instant::now();
        if next > now {
            thread::sleep(next - now);
        } else {
            next = now;
        }
        if let Err(err) = out.write_all(frame) {
            eprintln!("zerocam-bench: feeder: write failed: {err}");
            return;
        }
    }
}

/// The clip's frames, found by zerocam's own marker walk (the replay source's).
fn read_clip(clip: &Path) -> Result<Vec<Vec<u8>>> {
    let file = File::open(clip).context(|| format!("opening {}", clip.display()))?;
    let limits = IndexLimits { max_frame_bytes: 4 << 20, max_padding_bytes: 1 << 20, max_frames: 100_000 };
    let spans = index_frames(BufReader::new(&file), &limits)
        .map_err(|err| Error::Board(format!("{}: {err:?}", clip.display())))?;
    let mut reader = BufReader::new(file);
    let mut frames = Vec::with_capacity(spans.len());
    for span in spans {
        let mut frame = vec![0u8; span.len];
        reader
            .seek(SeekFrom::Start(span.offset))
            .and_then(|_| reader.read_exact(&mut frame))
            .context(|| format!("reading {}", clip.display()))?;
        frames.push(frame);
    }
    if frames.is_empty() {
        return Err(Error::Board(format!("{}: no JPEG frames", clip.display())));
    }
    Ok(frames)
}

// --- the two ioctls, laid out as <linux/videodev2.h> has them ----------------------------

const BUF_TYPE_VIDEO_OUTPUT: u32 = 2;
const PIX_FMT_MJPEG: u32 = u32::from_le_bytes(*b"MJPG");
const FIELD_NONE: u32 = 1;
const COLORSPACE_JPEG: u32 = 7;

#[repr(C)]
#[derive(Clone, Copy)]
struct PixFormat {
    width: u32,
    height: u32,
    pixelformat: u32,
    field: u32,
    bytesperline: u32,
    sizeimage: u32,
    colorspace: u32,
    private: u32,
    flags: u32,
    ycbcr_enc: u32,
    quantization: u32,
    xfer_func: u32,
}

/// struct v4l2_format: the union holds pointers (v4l2_window), which sets its alignment.
#[repr(C)]
union FormatUnion {
    pix: PixFormat,
    raw: [u8; 200],
    _align: *mut u8,
}

#[repr(C)]
struct Format {
    kind: u32,
    fmt: FormatUnion,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct OutputParm {
    capability: u32,
    outputmode: u32,
    timeperframe_numerator: u32,
    timeperframe_denominator: u32,
    extendedmode: u32,
    writebuffers: u32,
    reserved: [u32; 4],
}

#[repr(C)]
union ParmUnion {
    output: OutputParm,
    raw: [u8; 200],
}

#[repr(C)]
struct StreamParm {
    kind: u32,
    parm: ParmUnion,
}

/// _IOWR('V', nr, T) as the kernel encodes it (read|write = 3 in the top two bits).
const fn iowr<T>(nr: u32) -> u32 {
    (3 << 30) | ((std::mem::size_of::<T>() as u32) << 16) | ((b'V' as u32) << 8) | nr
}

fn set_output_format(
    device: &File,
    width: u32,
    height: u32,
    largest: usize,
    fps: f64,
) -> std::io::Result<()> {
    let mut format = Format { kind: BUF_TYPE_VIDEO_OUTPUT, fmt: FormatUnion { raw: [0; 200] } };
    format.fmt.pix = PixFormat {
        width,
        height,
        pixelformat: PIX_FMT_MJPEG,
        field: FIELD_NONE,
        bytesperline: 0,
        // Room for the largest frame of the clip: each write() is one frame.
        sizeimage: largest.next_multiple_of(4096) as u32,
        colorspace: COLORSPACE_JPEG,
        private: 0,
        flags: 0,
        ycbcr_enc: 0,
        quantization: 0,
        xfer_func: 0,
    };
    ioctl(device, iowr::<Format>(5), &mut format)?;
    let mut parm = StreamParm { kind: BUF_TYPE_VIDEO_OUTPUT, parm: ParmUnion { raw: [0; 200] } };
    parm.parm.output = OutputParm {
        capability: 0,
        outputmode: 0,
        timeperframe_numerator: 1000,
        timeperframe_denominator: (fps * 1000.0).round() as u32,
        extendedmode: 0,
        writebuffers: 0,
        reserved: [0; 4],
    };
    ioctl(device, iowr::<StreamParm>(22), &mut parm)
}

fn ioctl<T>(device: &File, request: u32, arg: &mut T) -> std::io::Result<()> {
    // SAFETY: `arg` is a live, exclusively borrowed struct with the layout the request's
    // size field names; the kernel reads and writes only within it.
    let rc = unsafe { libc::ioctl(device.as_raw_fd(), request as _, arg as *mut T) };
    if rc < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_numbers_match_videodev2() {
        // VIDIOC_S_FMT and VIDIOC_S_PARM as <linux/videodev2.h> defines them on this target.
        let format_size = if cfg!(target_pointer_width = "64") { 208 } else { 204 };
        assert_eq!(std::mem::size_of::<Format>(), format_size);
        assert_eq!(std::mem::size_of::<StreamParm>(), 204);
        assert_eq!(iowr::<StreamParm>(22), 0xc0cc_5616);
        assert_eq!(iowr::<Format>(5), 0xc000_5605 | ((format_size as u32) << 16));
    }
}
