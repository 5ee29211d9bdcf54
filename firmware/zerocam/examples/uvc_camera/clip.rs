//! The frames the camera sends: the JPEGs of an MJPEG clip (concatenated JPEG files, as in
//! ../shared/clips), found by the replay source's indexer and loaded once.

use std::io;
use zerocam::source::jpeg_size;
use zerocam::source::jpeg_stream::{index_frames, IndexLimits};

pub struct Clip {
    pub frames: Vec<Vec<u8>>,
    pub width: u16,
    pub height: u16,
}

impl Clip {
    pub fn load(path: &str) -> io::Result<Clip> {
        let data = std::fs::read(path).map_err(|err| io::Error::new(err.kind(), format!("{path}: {err}")))?;
        let spans =
            index_frames(&data[..], &IndexLimits::NONE).map_err(|err| invalid(format!("{path}: {err}")))?;
        let frames: Vec<Vec<u8>> = spans
            .iter()
            .map(|span| {
                let start = span.offset as usize;
                data[start..start + span.len].to_vec()
            })
            .collect();
        let first = frames.first().ok_or_else(|| invalid(format!("{path}: no JPEG frames")))?;
        let size =
            jpeg_size(first).ok_or_else(|| invalid(format!("{path}: no frame header in the first JPEG")))?;
        let side =
            |n: u32| u16::try_from(n).map_err(|_| invalid(format!("{path}: {size} is too large for UVC")));
        Ok(Clip { width: side(size.width)?, height: side(size.height)?, frames })
    }

    pub fn largest(&self) -> usize {
        self.frames.iter().map(Vec::len).max().unwrap_or(0)
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}
