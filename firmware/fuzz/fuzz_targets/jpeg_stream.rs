//! Feeds arbitrary bytes to the MJPEG file indexer used by the replay source: it must never
//! panic, and the frames it finds must lie inside the input and look whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zerocam::source::jpeg_stream::{index_frames, looks_whole, IndexLimits};

/// Small limits, so that fuzz inputs reach the paths that enforce them.
const LIMITS: IndexLimits = IndexLimits { max_frame_bytes: 4096, max_padding_bytes: 64, max_frames: 64 };

fuzz_target!(|data: &[u8]| {
    if let Ok(frames) = index_frames(data, &LIMITS) {
        for frame in frames {
            let start = frame.offset as usize;
            let bytes = &data[start..start + frame.len];
            assert!(looks_whole(bytes));
            assert!(frame.len <= LIMITS.max_frame_bytes);
        }
    }
});
