//! Replays an MJPEG file (concatenated JPEGs) at a fixed rate, in a loop.
//!
//! The file is indexed once at start-up (and refused if any frame is broken); each frame is
//! then read straight from the file into a pool slot, so the clip never sits in memory.
//! Only what can be indexed in bounded time and memory is accepted: a regular file of at
//! most [`MAX_CLIP_BYTES`], whose frames each fit the largest slot (`slot_kib`'s cap).

use super::jpeg_stream::{index_frames, FrameSpan, IndexLimits};
use super::pacing::Pacer;
use super::SourceError;
use crate::camera::{unix_now_us, FrameOutput};
use crate::config::{CameraConfig, Resolution, MAX_SLOT_KIB};
use crate::pool::Dropped;
use std::fs::File;
use std::io::BufReader;
use std::os::unix::fs::{FileExt, FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The largest clip: indexing reads it all once at start-up (about a minute from a Pi
/// Zero's SD card), and its index stays in memory.
pub const MAX_CLIP_BYTES: u64 = 1 << 30;

/// What the indexer accepts in a clip.
const LIMITS: IndexLimits = IndexLimits {
    max_frame_bytes: MAX_SLOT_KIB * 1024,
    // Sector padding between frames is at most a few KiB; a long run of zeros is no clip.
    max_padding_bytes: 64 * 1024,
    // 16 bytes each: 3.2 MB of index, over two hours at 25 fps.
    max_frames: 200_000,
};

pub struct Replay {
    path: PathBuf,
    file: File,
    frames: Vec<FrameSpan>,
    fps: usize,
    size: Option<Resolution>,
}

impl Replay {
    pub fn open(path: &Path, config: &CameraConfig) -> Result<Replay, SourceError> {
        let error = |what: String| SourceError::Replay { path: path.to_path_buf(), what };
        // Non-blocking, so that a FIFO without a writer cannot hold start-up on open; the
        // flag changes nothing for the regular file that is all this accepts.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
            .open(path)
            .map_err(|err| error(format!("cannot open: {err}")))?;
        let metadata = file.metadata().map_err(|err| error(format!("cannot read its size: {err}")))?;
        if !metadata.is_file() {
            return Err(error(format!(
                "not a regular file ({}): replay plays MJPEG files",
                file_kind(&metadata.file_type())
            )));
        }
        if metadata.len() > MAX_CLIP_BYTES {
            return Err(error(format!(
                "{} MiB is larger than the {} MiB a clip may have",
                metadata.len() >> 20,
                MAX_CLIP_BYTES >> 20
            )));
        }
        let frames = index_frames(BufReader::with_capacity(64 * 1024, &file), &LIMITS)
            .map_err(|err| error(err.to_string()))?;
        if frames.is_empty() {
            return Err(error("holds no JPEG frames".into()));
        }
        let mut first = vec![0u8; frames[0].len];
        file.read_exact_at(&mut first, frames[0].offset)
            .map_err(|err| error(format!("read error: {err}")))?;
        Ok(Replay { path: path.to_path_buf(), file, frames, fps: config.fps, size: jpeg_size(&first) })
    }

    /// The largest frame, which sizes the pool's slots.
    pub fn largest_frame(&self) -> usize {
        self.frames.iter().map(|frame| frame.len).max().unwrap_or(0)
    }

    pub fn frame_count(&self) -> usize {
        self.frames.len()
    }

    pub fn run(self, mut output: FrameOutput) {
        if let Some(size) = self.size {
            output.set_resolution(size);
        }
        log::info!("replaying {} ({} frames) at {} fps", self.path.display(), self.frames.len(), self.fps);
        let mut pacer = Pacer::new(self.fps);
        for span in self.frames.iter().cycle() {
            if output.camera().stopping() {
                return;
            }
            let captured = unix_now_us();
            let read = output.publish_jpeg(captured, |slot| {
                let target = slot.get_mut(..span.len).ok_or(Dropped::TooLarge)?;
                self.file.read_exact_at(target, span.offset).map_err(|_| Dropped::Corrupt)?;
                Ok(span.len)
            });
            match read {
                Ok(_) => output.set_fault(None),
                // A read error means the file changed under us; the frame is counted as
                // corrupt, and the next one is tried.
                Err(Dropped::Corrupt) => output.set_fault(Some(format!(
                    "{}: frame at byte {} unreadable",
                    self.path.display(),
                    span.offset
                ))),
                Err(_) => {}
            }
            pacer.wait();
        }
    }
}

fn file_kind(kind: &std::fs::FileType) -> &'static str {
    if kind.is_dir() {
        "a directory"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

/// Width and height from the first SOFn segment, if the frame has one.
pub fn jpeg_size(jpeg: &[u8]) -> Option<Resolution> {
    let mut at = 2;
    while at + 4 <= jpeg.len() {
        if jpeg[at] != 0xFF {
            return None;
        }
        let marker = jpeg[at + 1];
        let length = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof && at + 9 <= jpeg.len() {
            let height = u32::from(u16::from_be_bytes([jpeg[at + 5], jpeg[at + 6]]));
            let width = u32::from(u16::from_be_bytes([jpeg[at + 7], jpeg[at + 8]]));
            return Some(Resolution { width, height });
        }
        if marker == 0xDA {
            return None;
        }
        at += 2 + length;
    }
    None
}
