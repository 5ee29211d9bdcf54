//! The frames the camera sends: the JPEGs of an MJPEG clip (concatenated JPEG files, as in
//! ../shared/clips), loaded once.

use std::io;

pub struct Clip {
    pub frames: Vec<Vec<u8>>,
    pub width: u16,
    pub height: u16,
}

impl Clip {
    pub fn load(path: &str) -> io::Result<Clip> {
        let data = std::fs::read(path).map_err(|err| io::Error::new(err.kind(), format!("{path}: {err}")))?;
        let frames = split(&data);
        let first = frames.first().ok_or_else(|| invalid(format!("{path}: no JPEG frames")))?;
        let (width, height) =
            size_of(first).ok_or_else(|| invalid(format!("{path}: no frame header in the first JPEG")))?;
        Ok(Clip { frames, width, height })
    }

    pub fn largest(&self) -> usize {
        self.frames.iter().map(Vec::len).max().unwrap_or(0)
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Splits on start-of-image markers: each JPEG runs to the next SOI (the clips have no
/// thumbnails, whose SOI would split a frame).
fn split(data: &[u8]) -> Vec<Vec<u8>> {
    let starts: Vec<usize> =
        data.windows(3).enumerate().filter(|(_, w)| *w == [0xff, 0xd8, 0xff]).map(|(i, _)| i).collect();
    starts
        .iter()
        .enumerate()
        .map(|(n, &start)| data[start..starts.get(n + 1).copied().unwrap_or(data.len())].to_vec())
        .collect()
}

/// Width and height from the first SOF marker.
fn size_of(jpeg: &[u8]) -> Option<(u16, u16)> {
    let mut at = 2;
    while at + 9 < jpeg.len() {
        if jpeg[at] != 0xff {
            return None;
        }
        let marker = jpeg[at + 1];
        let length = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        if matches!(marker, 0xc0..=0xc3) {
            let height = u16::from_be_bytes([jpeg[at + 5], jpeg[at + 6]]);
            let width = u16::from_be_bytes([jpeg[at + 7], jpeg[at + 8]]);
            return Some((width, height));
        }
        at += 2 + length;
    }
    None
}
