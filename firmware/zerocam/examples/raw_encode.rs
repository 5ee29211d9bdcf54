//! Software JPEG encode speed for each raw layout a camera source hands the encoder when no
//! hardware encoder is there: the libcamera source's YUV420 planes (the Pi ISP) and NV12
//! (other pipelines), and the V4L2 source's raw formats (YUYV from webcams and vivid, NV12).
//! The same test card picture in each layout, so the figures compare the layouts and not
//! the content.
//!
//!     cargo run --release -p zerocam --example raw_encode [-- SECONDS_PER_CASE [QUALITY]]
//!     BENCH_EXAMPLE=raw_encode ci/bench-jpeg-arm [SECONDS_PER_CASE [QUALITY]]   (Pi Zero build, qemu-arm)

use std::time::{Duration, Instant};

use zerocam::jpeg::{Frame, JpegEncoder, Pixels, Plane};

#[path = "common/encode_args.rs"]
mod encode_args;
use zerocam::render::TestCard;

const SIZES: [(u32, u32, &str); 2] = [(640, 480, "VGA"), (1280, 720, "720p")];

/// The test card's picture in the three layouts.
struct Layouts {
    width: u32,
    height: u32,
    y: Vec<u8>,
    u: Vec<u8>,
    v: Vec<u8>,
    uv: Vec<u8>,
    yuyv: Vec<u8>,
}

impl Layouts {
    fn new(width: u32, height: u32) -> Layouts {
        let mut card = TestCard::new(width, height);
        card.draw(1, 1_700_000_000_000_000);
        let image = card.image();
        let (w, h) = (width as usize, height as usize);
        let chroma_w = w.div_ceil(2);
        let uv = image.u.iter().zip(image.v.iter()).flat_map(|(&u, &v)| [u, v]).collect();
        let mut yuyv = Vec::with_capacity(w * h * 2);
        for row in 0..h {
            for pair in 0..chroma_w {
                let chroma = (row / 2) * chroma_w + pair;
                let luma = |x: usize| image.y[row * w + x.min(w - 1)];
                yuyv.extend_from_slice(&[
                    luma(2 * pair),
                    image.u[chroma],
                    luma(2 * pair + 1),
                    image.v[chroma],
                ]);
            }
        }
        Layouts { width, height, y: image.y.to_vec(), u: image.u.to_vec(), v: image.v.to_vec(), uv, yuyv }
    }

    fn frame(&self, layout: &str) -> Frame<'_> {
        let w = self.width as usize;
        let chroma_w = w.div_ceil(2);
        let pixels = match layout {
            "YUV420" => Pixels::I420 {
                y: Plane::new(&self.y, w),
                u: Plane::new(&self.u, chroma_w),
                v: Plane::new(&self.v, chroma_w),
            },
            "NV12" => Pixels::Nv12 { y: Plane::new(&self.y, w), uv: Plane::new(&self.uv, 2 * chroma_w) },
            _ => Pixels::Yuyv(Plane::new(&self.yuyv, 4 * chroma_w)),
        };
        Frame { width: self.width, height: self.height, pixels }
    }
}

fn main() {
    let (seconds, quality) = match encode_args::seconds_and_quality() {
        Ok(options) => options,
        Err(problem) => {
            eprintln!("raw_encode: {problem}\nusage: raw_encode [SECONDS_PER_CASE] [QUALITY]");
            std::process::exit(2);
        }
    };
    let encoder = JpegEncoder::new(quality);
    let budget = Duration::from_secs_f64(seconds);
    println!("software JPEG encode of raw camera layouts, quality {quality}, {seconds:.1} s per case");
    println!(
        "{:<6} {:<32} {:>7} {:>8} {:>10} {:>11}",
        "size", "layout (source)", "frames", "MP/s", "ms/frame", "fps"
    );
    for (width, height, name) in SIZES {
        let layouts = Layouts::new(width, height);
        let mut out = vec![0u8; width as usize * height as usize * 3];
        for (layout, source) in
            [("YUV420", "libcamera, Pi ISP"), ("NV12", "libcamera / V4L2"), ("YUYV", "V4L2 raw")]
        {
            let frame = layouts.frame(layout);
            let (mut frames, mut failures) = (0u64, 0u64);
            let started = Instant::now();
            while started.elapsed() < budget || frames < 3 {
                if encoder.encode(&frame, &mut out).is_err() {
                    failures += 1;
                }
                frames += 1;
            }
            let elapsed = started.elapsed().as_secs_f64();
            let megapixels = f64::from(width) * f64::from(height) * frames as f64 / 1e6;
            println!(
                "{:<6} {:<32} {:>7} {:>8.1} {:>10.2} {:>11.1}",
                name,
                format!("{layout} ({source})"),
                frames,
                megapixels / elapsed,
                elapsed * 1e3 / frames as f64,
                frames as f64 / elapsed
            );
            if failures > 0 {
                println!("       {failures} frames failed to encode");
            }
        }
    }
}
