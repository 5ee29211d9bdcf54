//! Encodes raw YUYV frames with zerocam's encoder, one encoder and one output buffer for the
//! whole run as a camera stream uses them; `ci/bench-jpeg-size` compares the result with
//! libjpeg-turbo (µStreamer's encoder) on the same frames.
//!
//!     cargo run --release -p zerocam --example jpeg_yuyv -- WIDTH HEIGHT QUALITY < yuyv > mjpeg
//!
//! The JPEGs go to stdout back to back (an MJPEG elementary stream ffmpeg can read); the
//! frame count and total bytes go to stderr as `frames N bytes B`.

use std::io::{Read, Write};

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
    if width == 0 || height == 0 || width % 2 != 0 || !(1..=100).contains(&quality) {
        return Err(format!("bad size {width}x{height} or quality {quality}"));
    }
    let row_bytes = width as usize * 2;
    let mut frame = vec![0u8; row_bytes * height as usize];
    let mut out = vec![0u8; frame.len() * 2 + 4096];
    let encoder = JpegEncoder::new(quality);
    let (mut stdin, mut stdout) = (std::io::stdin().lock(), std::io::stdout().lock());
    let (mut frames, mut total) = (0u64, 0u64);
    loop {
        match stdin.read_exact(&mut frame) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(error) => return Err(format!("reading frames: {error}")),
        }
        let pixels = Pixels::Yuyv(Plane::new(&frame, row_bytes));
        let len = encoder
            .encode(&Frame { width, height, pixels }, &mut out)
            .map_err(|error| format!("frame {frames}: {error}"))?;
        stdout.write_all(&out[..len]).map_err(|error| format!("writing: {error}"))?;
        frames += 1;
        total += len as u64;
    }
    eprintln!("frames {frames} bytes {total}");
    if frames == 0 {
        return Err("no complete frame on stdin".into());
    }
    Ok(())
}

fn main() {
    if let Err(problem) = run() {
        eprintln!("jpeg_yuyv: {problem}\nusage: jpeg_yuyv WIDTH HEIGHT QUALITY < yuyv > mjpeg");
        std::process::exit(2);
    }
}
