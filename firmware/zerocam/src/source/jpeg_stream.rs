//! Finding whole JPEGs in a byte stream (an MJPEG file is JPEGs back to back) by walking
//! the marker structure, so an EOI inside an embedded EXIF thumbnail does not cut a frame.

use std::io::{self, BufRead};

/// Where one frame lies in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameSpan {
    pub offset: u64,
    pub len: usize,
}

/// What is wrong with the stream, and where.
#[derive(Debug)]
pub enum JpegStreamError {
    Io(io::Error),
    /// Not a JPEG at `offset` (what was found instead).
    NotJpeg {
        offset: u64,
        found: [u8; 2],
    },
    /// A marker segment that cannot be (bad length, or a marker where data was expected).
    Corrupt {
        offset: u64,
        what: &'static str,
    },
    /// The stream ended inside the frame starting at `offset`.
    Truncated {
        offset: u64,
    },
}

impl std::fmt::Display for JpegStreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JpegStreamError::Io(err) => write!(f, "read error: {err}"),
            JpegStreamError::NotJpeg { offset, found } => {
                write!(f, "no JPEG start (FF D8) at byte {offset}: found {:02X} {:02X}", found[0], found[1])
            }
            JpegStreamError::Corrupt { offset, what } => write!(f, "corrupt JPEG at byte {offset}: {what}"),
            JpegStreamError::Truncated { offset } => {
                write!(f, "the JPEG starting at byte {offset} is cut off")
            }
        }
    }
}

impl std::error::Error for JpegStreamError {}

/// Reads a stream of concatenated JPEGs and returns where each frame is. Padding between
/// frames (zero bytes, as some encoders write) is skipped.
pub fn index_frames(reader: impl BufRead) -> Result<Vec<FrameSpan>, JpegStreamError> {
    let mut bytes = Bytes { reader, pos: 0 };
    let mut frames = Vec::new();
    loop {
        let start = bytes.pos;
        let first = match bytes.next_or_eof()? {
            None => return Ok(frames),
            Some(0) => continue,
            Some(byte) => byte,
        };
        let second = bytes.next(start)?;
        if [first, second] != [0xFF, 0xD8] {
            return Err(JpegStreamError::NotJpeg { offset: start, found: [first, second] });
        }
        walk_segments(&mut bytes, start)?;
        let len = usize::try_from(bytes.pos - start)
            .map_err(|_| JpegStreamError::Corrupt { offset: start, what: "frame too large" })?;
        frames.push(FrameSpan { offset: start, len });
    }
}

/// Consumes one frame after its SOI, up to and including its EOI. A loop rather than
/// recursion between segments and scans, so that a file with endless scans cannot exhaust
/// the stack.
fn walk_segments<R: BufRead>(bytes: &mut Bytes<R>, start: u64) -> Result<(), JpegStreamError> {
    let mut in_scan = false;
    loop {
        let marker =
            if in_scan { next_marker_after_scan_data(bytes, start)? } else { next_marker(bytes, start)? };
        match marker {
            0xD9 => return Ok(()),
            // Markers without a length.
            0x01 | 0xD0..=0xD7 => {}
            0xD8 => {
                return Err(JpegStreamError::Corrupt { offset: bytes.pos - 2, what: "SOI inside a frame" })
            }
            _ => {
                skip_segment(bytes, start)?;
                // After SOS comes entropy-coded data; progressive files have several scans,
                // with tables between them.
                in_scan = marker == 0xDA;
            }
        }
    }
}

/// Skips a marker segment's body: its 2-byte length (which counts itself) and the rest.
fn skip_segment<R: BufRead>(bytes: &mut Bytes<R>, start: u64) -> Result<(), JpegStreamError> {
    let high = bytes.next(start)?;
    let low = bytes.next(start)?;
    let length = u16::from_be_bytes([high, low]);
    if length < 2 {
        return Err(JpegStreamError::Corrupt { offset: bytes.pos - 2, what: "segment length < 2" });
    }
    bytes.skip(u64::from(length) - 2, start)
}

/// Reads `FF xx` (skipping fill bytes `FF FF`), returning xx.
fn next_marker<R: BufRead>(bytes: &mut Bytes<R>, start: u64) -> Result<u8, JpegStreamError> {
    if bytes.next(start)? != 0xFF {
        return Err(JpegStreamError::Corrupt { offset: bytes.pos - 1, what: "expected a marker" });
    }
    loop {
        match bytes.next(start)? {
            0xFF => continue,
            0x00 => {
                return Err(JpegStreamError::Corrupt {
                    offset: bytes.pos - 1,
                    what: "stuffed byte outside scan",
                })
            }
            marker => return Ok(marker),
        }
    }
}

/// Skips entropy-coded data up to the first marker that is not a stuffed byte (`FF 00`) or a
/// restart marker, and returns it.
fn next_marker_after_scan_data<R: BufRead>(bytes: &mut Bytes<R>, start: u64) -> Result<u8, JpegStreamError> {
    loop {
        if bytes.next(start)? != 0xFF {
            continue;
        }
        let mut marker = bytes.next(start)?;
        while marker == 0xFF {
            marker = bytes.next(start)?;
        }
        if !matches!(marker, 0x00 | 0xD0..=0xD7) {
            return Ok(marker);
        }
    }
}

/// A byte cursor over a BufRead that knows its position.
struct Bytes<R> {
    reader: R,
    pos: u64,
}

impl<R: BufRead> Bytes<R> {
    fn next_or_eof(&mut self) -> Result<Option<u8>, JpegStreamError> {
        let buf = self.reader.fill_buf().map_err(JpegStreamError::Io)?;
        let Some(&byte) = buf.first() else { return Ok(None) };
        self.reader.consume(1);
        self.pos += 1;
        Ok(Some(byte))
    }

    /// The next byte of the frame starting at `frame_start`; the stream must not end here.
    fn next(&mut self, frame_start: u64) -> Result<u8, JpegStreamError> {
        self.next_or_eof()?.ok_or(JpegStreamError::Truncated { offset: frame_start })
    }

    fn skip(&mut self, mut count: u64, frame_start: u64) -> Result<(), JpegStreamError> {
        while count > 0 {
            let available = self.reader.fill_buf().map_err(JpegStreamError::Io)?.len();
            if available == 0 {
                return Err(JpegStreamError::Truncated { offset: frame_start });
            }
            let step = available.min(usize::try_from(count).unwrap_or(usize::MAX));
            self.reader.consume(step);
            self.pos += step as u64;
            count -= step as u64;
        }
        Ok(())
    }
}

/// A cheap check that a buffer holds one whole JPEG: SOI first, EOI last (trailing zero
/// padding allowed, as some cameras pad their buffers).
pub fn looks_whole(frame: &[u8]) -> bool {
    let end = frame.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    end >= 4 && frame[..2] == [0xFF, 0xD8] && frame[end - 2..end] == [0xFF, 0xD9]
}

/// The length of a frame without trailing zero padding.
pub fn trimmed_len(frame: &[u8]) -> usize {
    frame.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal structurally valid JPEG: SOI, an APP segment, SOS with data, EOI.
    fn tiny_jpeg(payload: &[u8]) -> Vec<u8> {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0xAA, 0xBB, 0xFF, 0xDA, 0x00, 0x02];
        jpeg.extend_from_slice(payload);
        jpeg.extend_from_slice(&[0xFF, 0xD9]);
        jpeg
    }

    #[test]
    fn frames_are_found_with_stuffing_restarts_and_padding() {
        let a = tiny_jpeg(&[1, 2, 0xFF, 0x00, 3, 0xFF, 0xD0, 4]);
        let b = tiny_jpeg(&[9]);
        let mut stream = a.clone();
        stream.extend_from_slice(&[0, 0, 0]);
        stream.extend_from_slice(&b);
        let frames = index_frames(&stream[..]).expect("valid");
        assert_eq!(
            frames,
            vec![
                FrameSpan { offset: 0, len: a.len() },
                FrameSpan { offset: (a.len() + 3) as u64, len: b.len() }
            ]
        );
    }

    #[test]
    fn eoi_inside_a_segment_does_not_end_the_frame() {
        // An APP1 whose contents look like a thumbnail ending in FF D9.
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x08, 0xFF, 0xD8, 0x00, 0x00, 0xFF, 0xD9];
        jpeg.extend_from_slice(&tiny_jpeg(&[5])[2..]);
        let frames = index_frames(&jpeg[..]).expect("valid");
        assert_eq!(frames, vec![FrameSpan { offset: 0, len: jpeg.len() }]);
    }

    #[test]
    fn progressive_scans_with_tables_between_them() {
        // SOS, data, DHT, SOS, data, EOI: a second scan after a table segment.
        let mut jpeg = tiny_jpeg(&[1, 2]);
        jpeg.truncate(jpeg.len() - 2);
        jpeg.extend_from_slice(&[0xFF, 0xC4, 0x00, 0x03, 0x00, 0xFF, 0xDA, 0x00, 0x02, 7, 0xFF, 0xD9]);
        assert_eq!(index_frames(&jpeg[..]).expect("valid"), vec![FrameSpan { offset: 0, len: jpeg.len() }]);
    }

    #[test]
    fn many_scans_do_not_exhaust_the_stack() {
        let mut jpeg = vec![0xFF, 0xD8];
        for _ in 0..200_000 {
            jpeg.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02, 1]);
        }
        jpeg.extend_from_slice(&[0xFF, 0xD9]);
        assert_eq!(index_frames(&jpeg[..]).expect("valid").len(), 1);
    }

    #[test]
    fn bad_streams_say_where() {
        let not_jpeg = index_frames(&b"GIF89a"[..]).expect_err("not jpeg").to_string();
        assert!(not_jpeg.contains("byte 0"), "{not_jpeg}");
        let mut cut = tiny_jpeg(&[1, 2, 3]);
        cut.truncate(cut.len() - 1);
        let mut stream = tiny_jpeg(&[7]);
        let second = stream.len();
        stream.extend_from_slice(&cut);
        let truncated = index_frames(&stream[..]).expect_err("truncated").to_string();
        assert!(truncated.contains(&format!("byte {second}")), "{truncated}");
        assert!(index_frames(&[0xFF, 0xD8, 0x12][..]).is_err());
    }

    #[test]
    fn whole_frame_check() {
        assert!(looks_whole(&tiny_jpeg(&[1])));
        let mut padded = tiny_jpeg(&[1]);
        padded.extend_from_slice(&[0; 10]);
        assert!(looks_whole(&padded));
        assert_eq!(trimmed_len(&padded), padded.len() - 10);
        assert!(!looks_whole(&[0xFF, 0xD8, 0xFF]));
        assert!(!looks_whole(&[]));
    }
}
