//! Encodes raw YUYV frames with zerocam's encoder, one encoder and one output buffer for the
//! whole run as a camera stream uses them; `ci/bench-jpeg-size` compares the result with
//! libjpeg-turbo (µStreamer's encoder) on the same frames.
//!
//!     cargo run --release -p zerocam --example jpeg_yuyv -- WIDTH HEIGHT QUALITY < yuyv > mjpeg
//!
//! The JPEGs go to stdout back to back (an MJPEG elementary stream ffmpeg can read); the
//! frame count, total bytes and encode time go to stderr as `frames N bytes B encode_ms T`
//! (T: milliseconds per frame spent in `encode` alone).

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use zerocam::jpeg::{Frame, JpegEncoder, Pixels, Plane};

fn parse<T: std::str::FromStr>(text: Option<String>, what: &str) -> Result<T, String> {
    let text = text.ok_or_else(|| format!("{what} missing"))?;
    text.parse().map_err(|_| format!("{what} {text:?} is not a number"))
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let width: u32 = parse(args.next(), "width")?;
    let height: u32 = parse(args.next(), "height")?;
    let quality: u8 = parse(args.next(), "quality")?;
    if width == 0 || height == 0 || !width.is_multiple_of(2) || !(1..=100).contains(&quality) {
        return Err(format!("bad size {width}x{height} or quality {quality}"));
    }
    let row_bytes = width as usize * 2;
    let mut frame = vec![0u8; row_bytes * height as usize];
    let mut out = vec![0u8; frame.len() * 2 + 4096];
    let encoder = JpegEncoder::new(quality);
    let (mut stdin, mut stdout) = (std::io::stdin().lock(), std::io::stdout().lock());
    let (mut frames, mut total, mut encoding) = (0u64, 0u64, Duration::ZERO);
    loop {
        match stdin.read_exact(&mut frame) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(error) => return Err(format!("reading frames: {error}")),
        }
        let pixels = Pixels::Yuyv(Plane::new(&frame, row_bytes));
        let started = Instant::now();
        let encoded = encoder.encode(&Frame { width, height, pixels }, &mut out);
        encoding += started.elapsed();
        let len = encoded.map_err(|error| format!("frame {frames}: {error}"))?;
        stdout.write_all(&out[..len]).map_err(|error| format!("writing: {error}"))?;
        frames += 1;
        total += len as u64;
    }
    if frames == 0 {
        return Err("no complete frame on stdin".into());
    }
    eprintln!("frames {frames} bytes {total} encode_ms {:.3}", encoding.as_secs_f64() * 1e3 / frames as f64);
    Ok(())
}

fn main() {
    if let Err(problem) = run() {
        eprintln!("jpeg_yuyv: {problem}\nusage: jpeg_yuyv WIDTH HEIGHT QUALITY < yuyv > mjpeg");
        std::process::exit(2);
    }
}
