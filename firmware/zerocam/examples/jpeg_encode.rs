//! Encoding speed of the JPEG encoder on test card frames, the load zerocam puts on the CPU
//! when it streams a generated or raw camera picture.
//!
//!     cargo run --release -p zerocam --example jpeg_encode [-- SECONDS_PER_SIZE [QUALITY]]
//!     ci/bench-jpeg-arm [SECONDS_PER_SIZE [QUALITY]]   (built for the Pi Zero, under qemu-arm)
//!
//! Each size is encoded for SECONDS_PER_SIZE (default 2) with a new frame drawn before each
//! encode, as the test pattern source does; drawing is timed separately so the encoder's own
//! figure stays clean.

use std::time::{Duration, Instant};

use zerocam::jpeg::JpegEncoder;
use zerocam::render::TestCard;

#[path = "common/encode_args.rs"]
mod encode_args;

const SIZES: [(u32, u32, &str); 3] = [(640, 480, "VGA"), (1280, 720, "720p"), (1920, 1080, "1080p")];

struct Options {
    seconds_per_size: f64,
    quality: u8,
}

/// The time budget per size and the quality (common/encode_args.rs).
fn parse_options() -> Result<Options, String> {
    let (seconds_per_size, quality) = encode_args::seconds_and_quality()?;
    Ok(Options { seconds_per_size, quality })
}

struct Measurement {
    frames: u64,
    encoding: Duration,
    drawing: Duration,
    output_bytes: u64,
    failures: u64,
}

fn measure(width: u32, height: u32, encoder: &JpegEncoder, budget: Duration) -> Measurement {
    let mut card = TestCard::new(width, height);
    // Far more than any test card frame needs; an OutputFull would be counted, not hidden.
    let mut out = vec![0u8; width as usize * height as usize * 3];
    let mut result = Measurement {
        frames: 0,
        encoding: Duration::ZERO,
        drawing: Duration::ZERO,
        output_bytes: 0,
        failures: 0,
    };
    let time_base = 1_700_000_000_000_000u64;
    let started = Instant::now();
    while started.elapsed() < budget || result.frames < 3 {
        let frame_number = result.frames;
        let draw_start = Instant::now();
        card.draw(frame_number, time_base + frame_number * 33_333);
        let encode_start = Instant::now();
        let encoded = encoder.encode_yuv420(card.image(), &mut out);
        let encode_end = Instant::now();
        result.drawing += encode_start - draw_start;
        result.encoding += encode_end - encode_start;
        match encoded {
            Ok(len) => result.output_bytes += len as u64,
            Err(_) => result.failures += 1,
        }
        result.frames += 1;
    }
    result
}

fn main() {
    let options = match parse_options() {
        Ok(options) => options,
        Err(problem) => {
            eprintln!("jpeg_encode: {problem}\nusage: jpeg_encode [SECONDS_PER_SIZE] [QUALITY]");
            std::process::exit(2);
        }
    };
    let encoder = JpegEncoder::new(options.quality);
    let budget = Duration::from_secs_f64(options.seconds_per_size);
    println!(
        "JPEG encode of test card frames, quality {}, {:.1} s per size",
        options.quality, options.seconds_per_size
    );
    println!(
        "{:<6} {:>10} {:>7} {:>8} {:>10} {:>11} {:>12}",
        "size", "pixels", "frames", "MP/s", "ms/frame", "bytes/frame", "draw ms/frm"
    );
    for (width, height, name) in SIZES {
        let m = measure(width, height, &encoder, budget);
        let seconds = m.encoding.as_secs_f64();
        let megapixels = f64::from(width) * f64::from(height) * m.frames as f64 / 1e6;
        let successes = (m.frames - m.failures).max(1);
        println!(
            "{:<6} {:>10} {:>7} {:>8.1} {:>10.2} {:>11} {:>12.2}",
            name,
            format!("{width}x{height}"),
            m.frames,
            megapixels / seconds,
            seconds * 1e3 / m.frames as f64,
            m.output_bytes / successes,
            m.drawing.as_secs_f64() * 1e3 / m.frames as f64,
        );
        if m.failures > 0 {
            println!("       {} frames did not fit the output buffer", m.failures);
        }
    }
}
