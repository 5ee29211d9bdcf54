//! Round trips through an independent decoder (jpeg-decoder) for every input format.

use super::*;
use jpeg_decoder::{Decoder, PixelFormat};

mod libjpeg;

/// A synthetic picture: the RGB it was made from, and its I420 planes (tight rows).
struct Planar {
    width: usize,
    height: usize,
    rgb: Vec<[u8; 3]>,
    y: Vec<u8>,
    u: Vec<u8>,
    v: Vec<u8>,
}

/// JFIF (full-range BT.601) RGB -> YCbCr, unrounded.
fn ycbcr(rgb: [u8; 3]) -> [f64; 3] {
    let [r, g, b] = rgb.map(f64::from);
    let y = 0.299 * r + 0.587 * g + 0.114 * b;
    [y, 128.0 + (b - y) / 1.772, 128.0 + (r - y) / 1.402]
}

fn to_u8(value: f64) -> u8 {
    value.round().clamp(0.0, 255.0) as u8
}

impl Planar {
    fn chroma_size(&self) -> (usize, usize) {
        (self.width.div_ceil(2), self.height.div_ceil(2))
    }

    /// Converts `paint(x, y)` to I420, averaging chroma over each 2x2 square.
    fn from_rgb(width: usize, height: usize, mut paint: impl FnMut(usize, usize) -> [u8; 3]) -> Planar {
        let rgb: Vec<[u8; 3]> = (0..width * height).map(|i| paint(i % width, i / width)).collect();
        let y = rgb.iter().map(|&p| to_u8(ycbcr(p)[0])).collect();
        let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
        let chroma = |channel: usize| -> Vec<u8> {
            (0..cw * ch)
                .map(|i| {
                    let (cx, cy) = (i % cw * 2, i / cw * 2);
                    let mut sum = 0.0;
                    for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                        let (x, y) = ((cx + dx).min(width - 1), (cy + dy).min(height - 1));
                        sum += ycbcr(rgb[y * width + x])[channel];
                    }
                    to_u8(sum / 4.0)
                })
                .collect()
        };
        let (u, v) = (chroma(1), chroma(2));
        Planar { width, height, rgb, y, u, v }
    }

    fn gradient(width: usize, height: usize) -> Planar {
        Planar::from_rgb(width, height, |x, y| {
            let (fx, fy) = (x as f64 / width as f64, y as f64 / height as f64);
            [to_u8(30.0 + 200.0 * fx), to_u8(220.0 - 150.0 * fy), to_u8(60.0 + 100.0 * (fx + fy) / 2.0)]
        })
    }

    fn noise(width: usize, height: usize, seed: u32) -> Planar {
        let mut state = seed;
        Planar::from_rgb(width, height, |_, _| {
            let mut next = || {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 24) as u8
            };
            [next(), next(), next()]
        })
    }

    fn i420(&self) -> Frame<'_> {
        let (cw, _) = self.chroma_size();
        Frame {
            width: self.width as u32,
            height: self.height as u32,
            pixels: Pixels::I420 {
                y: Plane::new(&self.y, self.width),
                u: Plane::new(&self.u, cw),
                v: Plane::new(&self.v, cw),
            },
        }
    }

    fn gray(&self) -> Frame<'_> {
        Frame {
            width: self.width as u32,
            height: self.height as u32,
            pixels: Pixels::Gray(Plane::new(&self.y, self.width)),
        }
    }

    fn interleaved_uv(&self) -> Vec<u8> {
        self.u.iter().zip(&self.v).flat_map(|(&u, &v)| [u, v]).collect()
    }

    /// YUYV with this picture's luma and, on every row, the chroma of row `row / 2`.
    fn yuyv(&self) -> Vec<u8> {
        let (cw, _) = self.chroma_size();
        let mut packed = Vec::with_capacity(4 * cw * self.height);
        for row in 0..self.height {
            for pair in 0..cw {
                let luma = |x: usize| self.y[row * self.width + x.min(self.width - 1)];
                let chroma = (row / 2) * cw + pair;
                packed.extend([luma(2 * pair), self.u[chroma], luma(2 * pair + 1), self.v[chroma]]);
            }
        }
        packed
    }
}

fn encode(encoder: &JpegEncoder, frame: &Frame<'_>) -> Vec<u8> {
    let mut out = vec![0u8; 64 * 1024 + frame.width as usize * frame.height as usize * 4];
    let len = encoder.encode(frame, &mut out).expect("encodes");
    out.truncate(len);
    out
}

/// Decodes to 1 (gray) or 3 (RGB) bytes per pixel. (jpeg-decoder's raw-YCbCr output mode
/// cannot be used: it panics on padded component rows.)
fn decode(jpeg: &[u8]) -> (usize, usize, usize, Vec<u8>) {
    let mut decoder = Decoder::new(jpeg);
    let pixels = decoder.decode().expect("decodes");
    let info = decoder.info().expect("has info");
    let channels = match info.pixel_format {
        PixelFormat::L8 => 1,
        PixelFormat::RGB24 => 3,
        other => panic!("unexpected pixel format {other:?}"),
    };
    (info.width as usize, info.height as usize, channels, pixels)
}

fn psnr(a: impl Iterator<Item = u8>, b: impl Iterator<Item = u8>) -> f64 {
    let (mut sum, mut count) = (0.0, 0usize);
    for (x, y) in a.zip(b) {
        let d = f64::from(x) - f64::from(y);
        sum += d * d;
        count += 1;
    }
    assert!(count > 0);
    let mse = sum / count as f64;
    if mse == 0.0 {
        99.0
    } else {
        10.0 * (255.0 * 255.0 / mse).log10()
    }
}

/// PSNR of luma (recomputed from the decoded RGB, which gives back Y exactly up to rounding)
/// and of the RGB picture itself.
fn check_colour(picture: &Planar, jpeg: &[u8]) -> (f64, f64) {
    let (width, height, channels, pixels) = decode(jpeg);
    assert_eq!((width, height, channels), (picture.width, picture.height, 3));
    let decoded_luma = pixels.chunks_exact(3).map(|p| to_u8(ycbcr([p[0], p[1], p[2]])[0]));
    let luma = psnr(picture.y.iter().copied(), decoded_luma);
    let rgb = psnr(picture.rgb.iter().flatten().copied(), pixels.iter().copied());
    (luma, rgb)
}

const SIZES: [(usize, usize); 8] =
    [(1, 1), (2, 3), (8, 8), (16, 16), (33, 17), (17, 33), (100, 75), (640, 480)];

#[test]
fn gray_gradient_round_trips() {
    let encoder = JpegEncoder::new(90);
    for (width, height) in SIZES {
        let picture = Planar::gradient(width, height);
        let jpeg = encode(&encoder, &picture.gray());
        let (w, h, channels, pixels) = decode(&jpeg);
        assert_eq!((w, h, channels), (width, height, 1));
        let quality = psnr(picture.y.iter().copied(), pixels.into_iter());
        assert!(quality > 38.0, "{width}x{height}: {quality:.1} dB");
    }
}

#[test]
fn i420_gradient_round_trips() {
    let encoder = JpegEncoder::new(90);
    for (width, height) in SIZES {
        let picture = Planar::gradient(width, height);
        let (luma, rgb) = check_colour(&picture, &encode(&encoder, &picture.i420()));
        // Tiny pictures lose colour to chroma subsampling itself, whatever the encoder does.
        let rgb_floor = if width.min(height) >= 16 { 30.0 } else { 10.0 };
        assert!(luma > 38.0 && rgb > rgb_floor, "{width}x{height}: luma {luma:.1} dB, RGB {rgb:.1} dB");
    }
}

#[test]
fn quality_100_is_nearly_lossless_on_smooth_content() {
    let picture = Planar::gradient(96, 64);
    let (luma, _) = check_colour(&picture, &encode(&JpegEncoder::new(100), &picture.i420()));
    assert!(luma > 45.0, "{luma:.1} dB");
}

#[test]
fn noise_round_trips_at_every_quality() {
    for (width, height) in [(33, 17), (64, 64), (321, 239)] {
        let picture = Planar::noise(width, height, (width * height) as u32);
        let mut previous_len = 0;
        for quality in [10, 50, 90, 100] {
            let jpeg = encode(&JpegEncoder::new(quality), &picture.i420());
            let (luma, _) = check_colour(&picture, &jpeg);
            let floor = if quality == 100 { 40.0 } else { 8.0 };
            assert!(luma > floor, "{width}x{height} q{quality}: {luma:.1} dB");
            assert!(jpeg.len() > previous_len, "higher quality must cost bytes");
            previous_len = jpeg.len();
        }
    }
}

#[test]
fn nv12_encodes_exactly_like_the_same_picture_in_i420() {
    let encoder = JpegEncoder::new(75);
    for (width, height) in SIZES {
        let picture = Planar::noise(width, height, 7);
        let uv = picture.interleaved_uv();
        let nv12 = Frame {
            width: width as u32,
            height: height as u32,
            pixels: Pixels::Nv12 {
                y: Plane::new(&picture.y, width),
                uv: Plane::new(&uv, 2 * width.div_ceil(2)),
            },
        };
        // Each from the same (fresh) state: an encoder's tables follow the frames it coded.
        assert_eq!(
            encode(&encoder.clone(), &nv12),
            encode(&encoder.clone(), &picture.i420()),
            "{width}x{height}"
        );
    }
}

#[test]
fn yuyv_round_trips_as_420() {
    let encoder = JpegEncoder::new(90);
    for (width, height) in SIZES {
        let picture = Planar::gradient(width, height);
        let packed = picture.yuyv();
        // (The 4:2:2 chroma here is the 4:2:0 chroma repeated, so averaging row pairs gives
        // back the picture's own chroma.)
        let frame = Frame {
            width: width as u32,
            height: height as u32,
            pixels: Pixels::Yuyv(Plane::new(&packed, 4 * width.div_ceil(2))),
        };
        let jpeg = encode(&encoder, &frame);
        let (luma, rgb) = check_colour(&picture, &jpeg);
        // Tiny pictures lose colour to chroma subsampling itself, whatever the encoder does.
        let rgb_floor = if width.min(height) >= 16 { 30.0 } else { 10.0 };
        assert!(luma > 38.0 && rgb > rgb_floor, "{width}x{height}: luma {luma:.1} dB, RGB {rgb:.1} dB");
        let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).expect("has SOF0");
        assert_eq!(jpeg[sof + 11], 0x22, "luma sampling must be 2x2 (4:2:0)");
    }
}

#[test]
fn padded_strides_give_the_same_jpeg_as_tight_ones() {
    let encoder = JpegEncoder::new(80);
    let picture = Planar::noise(37, 21, 3);
    let (cw, ch) = picture.chroma_size();
    let pad = |data: &[u8], width: usize, rows: usize, stride: usize| {
        let mut padded = vec![0xAAu8; stride * rows];
        for row in 0..rows {
            padded[row * stride..row * stride + width].copy_from_slice(&data[row * width..(row + 1) * width]);
        }
        padded
    };
    let (y, u, v) = (pad(&picture.y, 37, 21, 64), pad(&picture.u, cw, ch, 32), pad(&picture.v, cw, ch, 48));
    let padded = Frame {
        width: 37,
        height: 21,
        pixels: Pixels::I420 { y: Plane::new(&y, 64), u: Plane::new(&u, 32), v: Plane::new(&v, 48) },
    };
    assert_eq!(encode(&encoder.clone(), &padded), encode(&encoder.clone(), &picture.i420()));
}

#[test]
fn output_has_the_jfif_structure() {
    let picture = Planar::gradient(40, 30);
    let jpeg = encode(&JpegEncoder::default(), &picture.i420());
    assert_eq!(&jpeg[..4], &[0xFF, 0xD8, 0xFF, 0xE0]);
    assert_eq!(&jpeg[6..11], b"JFIF\0");
    assert_eq!(&jpeg[jpeg.len() - 2..], &[0xFF, 0xD9]);
    for marker in [0xDB, 0xC0, 0xC4, 0xDA] {
        assert!(jpeg.windows(2).any(|w| w == [0xFF, marker]), "missing marker FF{marker:02X}");
    }
}

#[test]
fn too_small_output_is_reported_not_truncated() {
    let encoder = JpegEncoder::new(90);
    let picture = Planar::noise(64, 48, 11);
    let frame = picture.i420();
    let before = encoder.clone();
    let full = encode(&encoder, &frame);
    // `before` is still in the state `full` was made in; a failed encode must not change it.
    for capacity in [0, 1, 10, 100, 600, full.len() / 2, full.len() - 1] {
        let mut out = vec![0u8; capacity];
        assert_eq!(
            before.encode(&frame, &mut out),
            Err(EncodeError::OutputFull { capacity }),
            "capacity {capacity}"
        );
    }
    let mut exact = vec![0u8; full.len()];
    assert_eq!(before.encode(&frame, &mut exact), Ok(full.len()));
    assert_eq!(exact, full);
}

#[test]
fn set_quality_changes_the_tables() {
    let picture = Planar::noise(64, 64, 5);
    let mut encoder = JpegEncoder::new(90);
    let high = encode(&encoder, &picture.i420()).len();
    encoder.set_quality(20);
    assert_eq!(encoder.quality(), 20);
    let low = encode(&encoder, &picture.i420()).len();
    assert!(low < high / 2, "q20 {low} bytes vs q90 {high} bytes");
    encoder.set_quality(0);
    assert_eq!(encoder.quality(), 1);
    assert_eq!(JpegEncoder::new(250).quality(), 100);
}

fn bad_input(frame: &Frame<'_>) -> InputProblem {
    let mut out = [0u8; 4096];
    match JpegEncoder::default().encode(frame, &mut out) {
        Err(EncodeError::BadInput { problem }) => problem,
        other => panic!("expected BadInput, got {other:?}"),
    }
}

#[test]
fn bad_sizes_are_rejected() {
    let data = [0u8; 64];
    let gray = |width, height| Frame { width, height, pixels: Pixels::Gray(Plane::new(&data, 8)) };
    assert_eq!(bad_input(&gray(0, 8)), InputProblem::ZeroSize { width: 0, height: 8 });
    assert_eq!(bad_input(&gray(8, 0)), InputProblem::ZeroSize { width: 8, height: 0 });
    assert_eq!(bad_input(&gray(65536, 1)), InputProblem::TooLarge { width: 65536, height: 1 });
    assert_eq!(bad_input(&gray(1, u32::MAX)), InputProblem::TooLarge { width: 1, height: u32::MAX });
}

#[test]
fn bad_planes_are_named() {
    let big = vec![0u8; 64 * 64];
    let short = [0u8; 10];
    let plane = |data, stride| Plane::new(data, stride);

    let frame = Frame { width: 16, height: 16, pixels: Pixels::Gray(plane(&big, 15)) };
    assert_eq!(
        bad_input(&frame),
        InputProblem::StrideTooSmall { plane: PlaneName::Gray, stride: 15, needed: 16 }
    );

    let frame = Frame { width: 16, height: 16, pixels: Pixels::Gray(plane(&big[..16 * 15 + 15], 16)) };
    assert_eq!(
        bad_input(&frame),
        InputProblem::PlaneTooShort { plane: PlaneName::Gray, len: 255, needed: 256 }
    );

    let i420 = |u, v| Frame { width: 15, height: 9, pixels: Pixels::I420 { y: plane(&big, 15), u, v } };
    assert_eq!(
        bad_input(&i420(plane(&big, 8), plane(&short, 8))),
        InputProblem::PlaneTooShort { plane: PlaneName::V, len: 10, needed: 40 }
    );
    assert_eq!(
        bad_input(&i420(plane(&big, 7), plane(&big, 8))),
        InputProblem::StrideTooSmall { plane: PlaneName::U, stride: 7, needed: 8 }
    );

    let nv12 =
        Frame { width: 15, height: 9, pixels: Pixels::Nv12 { y: plane(&big, 15), uv: plane(&big, 15) } };
    assert_eq!(
        bad_input(&nv12),
        InputProblem::StrideTooSmall { plane: PlaneName::Uv, stride: 15, needed: 16 }
    );

    let yuyv = Frame { width: 15, height: 9, pixels: Pixels::Yuyv(plane(&big[..100], 32)) };
    assert_eq!(
        bad_input(&yuyv),
        InputProblem::PlaneTooShort { plane: PlaneName::Yuyv, len: 100, needed: 288 }
    );

    let huge_stride = Frame { width: 4, height: 4, pixels: Pixels::Gray(plane(&big, usize::MAX)) };
    assert!(matches!(bad_input(&huge_stride), InputProblem::PlaneTooShort { needed: usize::MAX, .. }));
}

#[test]
fn errors_explain_themselves() {
    let problem = InputProblem::PlaneTooShort { plane: PlaneName::Uv, len: 3, needed: 8 };
    assert_eq!(
        EncodeError::BadInput { problem }.to_string(),
        "unusable input frame: UV plane has 3 bytes, needs at least 8"
    );
    assert_eq!(
        EncodeError::OutputFull { capacity: 12 }.to_string(),
        "JPEG does not fit in the 12-byte output buffer"
    );
}

/// Full-swing patterns give the largest DCT coefficients and DC differences that 8-bit input
/// can produce: no arithmetic overflow (debug builds check), no clipped coefficient category.
#[test]
fn extreme_patterns_survive_quality_100() {
    let encoder = JpegEncoder::new(100);
    let patterns: [fn(usize, usize) -> u8; 4] = [
        |x, y| if (x + y) % 2 == 0 { 0 } else { 255 },
        |x, _| if x % 2 == 0 { 0 } else { 255 },
        |x, y| if (x / 8 + y / 8) % 2 == 0 { 0 } else { 255 },
        |x, y| if (x / 8) % 2 == 0 && y % 8 < 4 { 255 } else { 0 },
    ];
    for paint in patterns {
        let (width, height) = (48, 40);
        let luma: Vec<u8> = (0..width * height).map(|i| paint(i % width, i / width)).collect();
        let frame = Frame {
            width: width as u32,
            height: height as u32,
            pixels: Pixels::Gray(Plane::new(&luma, width)),
        };
        let (_, _, _, pixels) = decode(&encode(&encoder, &frame));
        let quality = psnr(luma.iter().copied(), pixels.into_iter());
        assert!(quality > 40.0, "{quality:.1} dB");
    }
}

/// YUYV for `picture`'s luma with chroma given per row: `chroma(row) = (u, v)`.
fn yuyv_with_row_chroma(picture: &Planar, chroma: impl Fn(usize) -> (u8, u8)) -> Vec<u8> {
    let pairs = picture.width.div_ceil(2);
    let mut packed = Vec::with_capacity(4 * pairs * picture.height);
    for row in 0..picture.height {
        let (u, v) = chroma(row);
        for pair in 0..pairs {
            let luma = |x: usize| picture.y[row * picture.width + x.min(picture.width - 1)];
            packed.extend([luma(2 * pair), u, luma(2 * pair + 1), v]);
        }
    }
    packed
}

/// 4:2:0 from YUYV averages each pair of rows (and pairs an odd last row with itself)
/// rather than dropping one of them: rows alternating between two blues come out as the
/// blue between them, and an odd last row keeps its own colour.
#[test]
fn yuyv_chroma_rows_are_averaged_in_pairs() {
    for (width, height) in [(64, 48), (40, 33), (8, 1)] {
        let grey = Planar::from_rgb(width, height, |_, _| [128, 128, 128]);
        let last = height - 1;
        let odd_last = height % 2 == 1;
        let packed = yuyv_with_row_chroma(&grey, |row| match row {
            row if odd_last && row == last => (200, 128),
            row if row % 2 == 0 => (60, 128),
            _ => (200, 128),
        });
        let frame = Frame {
            width: width as u32,
            height: height as u32,
            pixels: Pixels::Yuyv(Plane::new(&packed, 4 * width.div_ceil(2))),
        };
        let (_, _, _, rgb) = decode(&encode(&JpegEncoder::new(95), &frame));
        let blue = |x: usize, y: usize| i32::from(rgb[(y * width + x) * 3 + 2]);
        // U = 130 gives B = 128 + 1.772 * 2 ≈ 132; either row alone would give 4 or 252.
        // Interior pixels only where the picture is tall enough for a decoder's chroma
        // upsampling to have both neighbours.
        for y in (0..last.saturating_sub(1)).filter(|_| height >= 16).skip(2) {
            assert!(
                (blue(width / 2, y) - 132).abs() <= 6,
                "{width}x{height} row {y}: B {}",
                blue(width / 2, y)
            );
        }
        if odd_last {
            // U = 200 gives B ≈ 255; its averaged neighbour pulls a little, not half-way.
            assert!(blue(width / 2, last) > 200, "{width}x{height} last row: B {}", blue(width / 2, last));
        }
    }
}

/// A stream's later frames use Huffman tables fitted to the frames before: the same picture
/// again costs fewer bytes and decodes to exactly the same pixels (the tables are lossless),
/// and a clone carries the fitted tables, so it encodes the same bytes.
#[test]
fn fitted_huffman_tables_shrink_a_stream_and_change_no_pixel() {
    for (picture, quality) in [(Planar::gradient(320, 240), 80), (Planar::noise(160, 120, 9), 50)] {
        let encoder = JpegEncoder::new(quality);
        let first = encode(&encoder, &picture.i420());
        let second = encode(&encoder, &picture.i420());
        assert!(
            second.len() < first.len(),
            "q{quality}: second frame {} bytes, first {}",
            second.len(),
            first.len()
        );
        assert_eq!(decode(&first).3, decode(&second).3, "q{quality}: the pixels must not change");
        let clone = encoder.clone();
        assert_eq!(encode(&clone, &picture.i420()), encode(&encoder, &picture.i420()));
    }
    // Smooth content is mostly end-of-block codes, which the standard tables make 4 bits long.
    let picture = Planar::gradient(320, 240);
    let encoder = JpegEncoder::new(80);
    let first = encode(&encoder, &picture.i420()).len();
    let second = encode(&encoder, &picture.i420()).len();
    assert!(second * 10 < first * 9, "fitted {second} bytes vs standard {first}: under 10 % saved");
}

/// Tables fitted to one kind of picture still code every other kind: a noisy frame after a
/// smooth one (symbols the smooth frame never used), a colour frame after a grey one (its
/// chroma tables were never fitted), and back.
#[test]
fn fitted_tables_code_frames_unlike_the_last() {
    let encoder = JpegEncoder::new(90);
    let smooth = Planar::gradient(96, 64);
    let noisy = Planar::noise(96, 64, 21);
    for picture in [&smooth, &noisy, &smooth, &noisy] {
        let _ = encode(&encoder, &picture.gray());
        let jpeg = encode(&encoder, &picture.i420());
        let (luma, _) = check_colour(picture, &jpeg);
        assert!(luma > 30.0, "luma {luma:.1} dB");
        let gray = encode(&encoder, &picture.gray());
        let (_, _, channels, pixels) = decode(&gray);
        assert_eq!(channels, 1);
        assert!(psnr(picture.y.iter().copied(), pixels.into_iter()) > 30.0);
    }
}
