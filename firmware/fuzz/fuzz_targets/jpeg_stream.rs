//! Feeds arbitrary bytes to the MJPEG file indexer used by the replay source: it must never
//! panic, and the frames it finds must lie inside the input and look whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zerocam::source::jpeg_stream::{index_frames, looks_whole};

fuzz_target!(|data: &[u8]| {
    if let Ok(frames) = index_frames(data) {
        for frame in frames {
            let start = frame.offset as usize;
            let bytes = &data[start..start + frame.len];
            assert!(looks_whole(bytes));
        }
    }
});
