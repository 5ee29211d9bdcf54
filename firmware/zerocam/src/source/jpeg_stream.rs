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
    /// The frame starting at `offset` is longer than `limit` bytes (a pool slot's cap).
    FrameTooLarge {
        offset: u64,
        limit: usize,
    },
    /// More than `limit` zero bytes from `offset` on, and no frame start among them.
    OnlyPadding {
        offset: u64,
        limit: u64,
    },
    /// More than `limit` frames: the index would not fit in the memory set aside for it.
    TooManyFrames {
        limit: usize,
    },
}

/// How much the indexer accepts, so that any input is indexed (or refused) in bounded time
/// and memory: an endless run of zero bytes or a frame larger than any slot stops it early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexLimits {
    /// The longest frame; a longer one is an error the moment it passes this length.
    pub max_frame_bytes: usize,
    /// The longest run of zero padding before a frame (some encoders pad frames to sectors).
    pub max_padding_bytes: u64,
    /// The most frames (the index costs 16 bytes a frame).
    pub max_frames: usize,
}

impl IndexLimits {
    /// Nothing but the input's own end stops the indexer (for tests and the fuzzer, whose
    /// inputs are in memory anyway).
    pub const NONE: IndexLimits =
        IndexLimits { max_frame_bytes: usize::MAX, max_padding_bytes: u64::MAX, max_frames: usize::MAX };
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
            JpegStreamError::FrameTooLarge { offset, limit } => write!(
                f,
                "the JPEG starting at byte {offset} is larger than {} KiB, the most a frame slot holds",
                limit / 1024
            ),
            JpegStreamError::OnlyPadding { offset, limit } => {
                write!(f, "no JPEG start (FF D8) in the {limit} bytes from byte {offset}: only zero bytes")
            }
            JpegStreamError::TooManyFrames { limit } => {
                write!(f, "more than {limit} frames: split the clip into shorter files")
            }
        }
    }
}

impl std::error::Error for JpegStreamError {}

/// Reads a stream of concatenated JPEGs and returns where each frame is. Padding between
/// frames (zero bytes, as some encoders write) is skipped, up to `limits.max_padding_bytes`.
pub fn index_frames(reader: impl BufRead, limits: &IndexLimits) -> Result<Vec<FrameSpan>, JpegStreamError> {
    let mut bytes = Bytes { reader, pos: 0, frame_end: u64::MAX, frame_limit: limits.max_frame_bytes };
    let mut frames = Vec::new();
    let mut padding_from = 0;
    loop {
        let start = bytes.pos;
        let first = match bytes.next_or_eof()? {
            None => return Ok(frames),
            Some(0) => {
                if start - padding_from >= limits.max_padding_bytes {
                    return Err(JpegStreamError::OnlyPadding {
                        offset: padding_from,
                        limit: limits.max_padding_bytes,
                    });
                }
                continue;
            }
            Some(byte) => byte,
        };
        let second = bytes.next(start)?;
        if [first, second] != [0xFF, 0xD8] {
            return Err(JpegStreamError::NotJpeg { offset: start, found: [first, second] });
        }
        if frames.len() == limits.max_frames {
            return Err(JpegStreamError::TooManyFrames { limit: limits.max_frames });
        }
        bytes.frame_end = start.saturating_add(u64::try_from(limits.max_frame_bytes).unwrap_or(u64::MAX));
        walk_segments(&mut bytes, start)?;
        bytes.frame_end = u64::MAX;
        let len = usize::try_from(bytes.pos - start)
            .map_err(|_| JpegStreamError::Corrupt { offset: start, what: "frame too large" })?;
        frames.push(FrameSpan { offset: start, len });
        padding_from = bytes.pos;
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

/// A byte cursor over a BufRead that knows its position, and refuses to go past the end
/// the current frame may reach.
struct Bytes<R> {
    reader: R,
    pos: u64,
    /// The frame being walked may not extend past this position.
    frame_end: u64,
    /// For the error message: the frame limit `frame_end` was computed from.
    frame_limit: usize,
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
        self.check_frame_end(self.pos.saturating_add(1), frame_start)?;
        self.next_or_eof()?.ok_or(JpegStreamError::Truncated { offset: frame_start })
    }

    fn check_frame_end(&self, end: u64, frame_start: u64) -> Result<(), JpegStreamError> {
        if end > self.frame_end {
            return Err(JpegStreamError::FrameTooLarge { offset: frame_start, limit: self.frame_limit });
        }
        Ok(())
    }

    fn skip(&mut self, mut count: u64, frame_start: u64) -> Result<(), JpegStreamError> {
        self.check_frame_end(self.pos.saturating_add(count), frame_start)?;
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
        let frames = index_frames(&stream[..], &IndexLimits::NONE).expect("valid");
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
        let frames = index_frames(&jpeg[..], &IndexLimits::NONE).expect("valid");
        assert_eq!(frames, vec![FrameSpan { offset: 0, len: jpeg.len() }]);
    }

    #[test]
    fn progressive_scans_with_tables_between_them() {
        // SOS, data, DHT, SOS, data, EOI: a second scan after a table segment.
        let mut jpeg = tiny_jpeg(&[1, 2]);
        jpeg.truncate(jpeg.len() - 2);
        jpeg.extend_from_slice(&[0xFF, 0xC4, 0x00, 0x03, 0x00, 0xFF, 0xDA, 0x00, 0x02, 7, 0xFF, 0xD9]);
        assert_eq!(
            index_frames(&jpeg[..], &IndexLimits::NONE).expect("valid"),
            vec![FrameSpan { offset: 0, len: jpeg.len() }]
        );
    }

    #[test]
    fn many_scans_do_not_exhaust_the_stack() {
        let mut jpeg = vec![0xFF, 0xD8];
        for _ in 0..200_000 {
            jpeg.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02, 1]);
        }
        jpeg.extend_from_slice(&[0xFF, 0xD9]);
        assert_eq!(index_frames(&jpeg[..], &IndexLimits::NONE).expect("valid").len(), 1);
    }

    #[test]
    fn bad_streams_say_where() {
        let not_jpeg = index_frames(&b"GIF89a"[..], &IndexLimits::NONE).expect_err("not jpeg").to_string();
        assert!(not_jpeg.contains("byte 0"), "{not_jpeg}");
        let mut cut = tiny_jpeg(&[1, 2, 3]);
        cut.truncate(cut.len() - 1);
        let mut stream = tiny_jpeg(&[7]);
        let second = stream.len();
        stream.extend_from_slice(&cut);
        let truncated = index_frames(&stream[..], &IndexLimits::NONE).expect_err("truncated").to_string();
        assert!(truncated.contains(&format!("byte {second}")), "{truncated}");
        assert!(index_frames(&[0xFF, 0xD8, 0x12][..], &IndexLimits::NONE).is_err());
    }

    #[test]
    fn limits_stop_the_indexer_early() {
        let limits = IndexLimits { max_frame_bytes: 64, max_padding_bytes: 16, max_frames: 2 };
        let small = tiny_jpeg(&[1, 2, 3]);

        // Zero padding: 16 bytes are skipped, the 17th is an error naming where the run began.
        let mut padded = small.clone();
        padded.extend_from_slice(&[0; 16]);
        padded.extend_from_slice(&small);
        assert_eq!(index_frames(&padded[..], &limits).expect("16 bytes of padding").len(), 2);
        let mut endless = small.clone();
        endless.extend_from_slice(&[0; 1000]);
        let err = index_frames(&endless[..], &limits).expect_err("only padding").to_string();
        assert!(err.contains(&format!("from byte {}", small.len())) && err.contains("only zero"), "{err}");

        // A frame past the cap is refused as soon as it passes it, wherever it goes on.
        let big = tiny_jpeg(&[7; 100]);
        let mut stream = small.clone();
        stream.extend_from_slice(&big);
        let err = index_frames(&stream[..], &limits).expect_err("too large").to_string();
        assert!(err.contains(&format!("byte {}", small.len())) && err.contains("larger than"), "{err}");
        // A segment length that would jump past the cap is refused without reading on.
        let long_segment = [0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xFF];
        assert!(matches!(
            index_frames(&long_segment[..], &limits),
            Err(JpegStreamError::FrameTooLarge { offset: 0, limit: 64 })
        ));
        let exactly = tiny_jpeg(&[5; 64 - 14]);
        assert_eq!(exactly.len(), 64);
        assert_eq!(index_frames(&exactly[..], &limits).expect("exactly the cap").len(), 1);

        let three: Vec<u8> = [small.clone(), small.clone(), small].concat();
        assert!(matches!(
            index_frames(&three[..], &limits),
            Err(JpegStreamError::TooManyFrames { limit: 2 })
        ));
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
