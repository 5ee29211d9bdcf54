//! Packed 24-bit RGB frames (libcamera's BGR888 and RGB888, all that the vimc pipeline and
//! the software ISP offer) converted into the planar YUV 4:2:0 picture the JPEG encoder
//! reads. The session allocates that picture once; each frame is converted into it in place.
//!
//! Full-range JFIF BT.601 in 16-bit fixed point, rounded and clamped:
//! Y = 0.299 R + 0.587 G + 0.114 B, Cb = 128 - 0.168736 R - 0.331264 G + 0.5 B,
//! Cr = 128 + 0.5 R - 0.418688 G - 0.081312 B. Chroma is taken from the mean R, G, B of each
//! 2x2 block (of its 2x1, 1x2 or 1x1 part at an odd right or bottom edge).

use super::layout::needed;
use crate::jpeg::Yuv420Image;
use std::fmt;

/// The order of a pixel's three bytes in memory (green is always in the middle).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RgbOrder {
    /// R, G, B: libcamera's BGR888 (DRM BG24).
    RedFirst,
    /// B, G, R: libcamera's RGB888 (DRM RG24).
    BlueFirst,
}

impl RgbOrder {
    /// Where red and blue are in a pixel's bytes.
    fn offsets(self) -> (usize, usize) {
        match self {
            RgbOrder::RedFirst => (0, 2),
            RgbOrder::BlueFirst => (2, 0),
        }
    }
}

/// A packed RGB picture: `height` rows of `3 * width` bytes, `stride` bytes apart.
#[derive(Debug, Clone, Copy)]
pub struct RgbFrame<'a> {
    pub bytes: &'a [u8],
    pub stride: usize,
    pub width: u32,
    pub height: u32,
    pub order: RgbOrder,
}

/// A frame that cannot be converted. The buffer layout is checked when the session starts
/// (layout.rs), so these only guard against a frame and a picture that do not belong together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConvertError {
    SizeMismatch { frame: (u32, u32), image: (u32, u32) },
    StrideTooSmall { stride: usize, width: u32 },
    TooShort { len: usize, needed: usize },
}

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConvertError::SizeMismatch { frame, image } => {
                write!(f, "RGB frame is {}x{}, the picture {}x{}", frame.0, frame.1, image.0, image.1)
            }
            ConvertError::StrideTooSmall { stride, width } => {
                write!(f, "RGB stride {stride} is too small for a width of {width}")
            }
            ConvertError::TooShort { len, needed } => write!(f, "RGB frame has {len} bytes, needs {needed}"),
        }
    }
}

/// Y, Cb and Cr coefficients of R, G, B, scaled by 2^16. Each row of Cb and Cr sums to 0 and
/// that of Y to 2^16, so grays convert exactly.
const Y_COEF: [i32; 3] = [19_595, 38_470, 7_471];
const CB_COEF: [i32; 3] = [-11_059, -21_709, 32_768];
const CR_COEF: [i32; 3] = [32_768, -27_439, -5_329];
const SHIFT: u32 = 16;
const HALF: i32 = 1 << (SHIFT - 1);

fn dot(coef: [i32; 3], rgb: [i32; 3]) -> i32 {
    coef[0] * rgb[0] + coef[1] * rgb[1] + coef[2] * rgb[2]
}

/// Y of one pixel.
fn luma(rgb: [i32; 3]) -> u8 {
    ((dot(Y_COEF, rgb) + HALF) >> SHIFT).clamp(0, 255) as u8
}

/// Cb or Cr of the mean of `count` pixels (1, 2 or 4) whose R, G, B add up to `sums`.
fn chroma(coef: [i32; 3], sums: [i32; 3], count: u32) -> u8 {
    let shift = SHIFT + count.trailing_zeros();
    let value = (128 << shift) + dot(coef, sums) + (HALF << count.trailing_zeros());
    (value >> shift).clamp(0, 255) as u8
}

/// Converts up to two pixels of `rgb` into `luma`, adding their R, G, B to `sums`; returns
/// how many pixels it took.
fn pixel_pair(rgb: &[u8], luma_out: &mut [u8], (red, blue): (usize, usize), sums: &mut [i32; 3]) -> u32 {
    let mut count = 0;
    for (pixel, y) in rgb.chunks_exact(3).zip(luma_out.iter_mut()) {
        let (Some(&r), Some(&g), Some(&b)) = (pixel.get(red), pixel.get(1), pixel.get(blue)) else {
            continue;
        };
        let value = [i32::from(r), i32::from(g), i32::from(b)];
        *y = luma(value);
        sums.iter_mut().zip(value).for_each(|(sum, v)| *sum += v);
        count += 1;
    }
    count
}

/// Converts `frame` into `image`, which must be the same size. Allocates nothing.
pub fn to_yuv420(frame: &RgbFrame<'_>, image: &mut Yuv420Image) -> Result<(), ConvertError> {
    if (frame.width, frame.height) != (image.width, image.height) {
        return Err(ConvertError::SizeMismatch {
            frame: (frame.width, frame.height),
            image: (image.width, image.height),
        });
    }
    let (w, h) = (frame.width as usize, frame.height as usize);
    if w == 0 || h == 0 {
        return Ok(());
    }
    let row_bytes = w.saturating_mul(3);
    if frame.stride < row_bytes {
        return Err(ConvertError::StrideTooSmall { stride: frame.stride, width: frame.width });
    }
    let need = needed(h, frame.stride, row_bytes);
    if frame.bytes.len() < need {
        return Err(ConvertError::TooShort { len: frame.bytes.len(), needed: need });
    }
    let offsets = frame.order.offsets();
    let chroma_w = image.chroma_width();
    // Rows of the frame cut to their pixels; the picture's planes, too short only if someone
    // shrank them, then end the conversion early instead of panicking.
    let mut rows = frame.bytes.chunks(frame.stride).map(|row| row.get(..row_bytes).unwrap_or(&[]));
    let mut luma_rows = image.y.chunks_exact_mut(w);
    let chroma_rows = image.u.chunks_exact_mut(chroma_w).zip(image.v.chunks_exact_mut(chroma_w));
    for (u_row, v_row) in chroma_rows {
        let (Some(top), Some(top_luma)) = (rows.next(), luma_rows.next()) else {
            break;
        };
        // The bottom row of the pair; none under the last row of an odd height.
        let mut bottom =
            rows.next().zip(luma_rows.next()).map(|(rgb, luma)| rgb.chunks(6).zip(luma.chunks_mut(2)));
        for ((rgb, luma), (u, v)) in
            top.chunks(6).zip(top_luma.chunks_mut(2)).zip(u_row.iter_mut().zip(v_row))
        {
            let mut sums = [0; 3];
            let mut count = pixel_pair(rgb, luma, offsets, &mut sums);
            if let Some((rgb, luma)) = bottom.as_mut().and_then(Iterator::next) {
                count += pixel_pair(rgb, luma, offsets, &mut sums);
            }
            if count > 0 {
                *u = chroma(CB_COEF, sums, count);
                *v = chroma(CR_COEF, sums, count);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// JFIF RGB -> YCbCr in floating point, unrounded.
    fn reference(rgb: [u8; 3]) -> [f64; 3] {
        let [r, g, b] = rgb.map(f64::from);
        [
            0.299 * r + 0.587 * g + 0.114 * b,
            128.0 - 0.168736 * r - 0.331264 * g + 0.5 * b,
            128.0 + 0.5 * r - 0.418688 * g - 0.081312 * b,
        ]
    }

    fn close(got: u8, want: f64) -> bool {
        (f64::from(got) - want.clamp(0.0, 255.0)).abs() <= 1.0
    }

    /// A `width`x`height` frame of `order` at `stride`, painted pixel by pixel (as R, G, B);
    /// padding bytes are 0xAA so reading them shows.
    fn frame_bytes(
        width: usize,
        height: usize,
        stride: usize,
        order: RgbOrder,
        paint: impl Fn(usize, usize) -> [u8; 3],
    ) -> Vec<u8> {
        let mut bytes = vec![0xAA; stride * height];
        for y in 0..height {
            for x in 0..width {
                let [r, g, b] = paint(x, y);
                let pixel = match order {
                    RgbOrder::RedFirst => [r, g, b],
                    RgbOrder::BlueFirst => [b, g, r],
                };
                bytes[y * stride + 3 * x..][..3].copy_from_slice(&pixel);
            }
        }
        bytes
    }

    fn convert(width: u32, height: u32, stride: usize, order: RgbOrder, bytes: &[u8]) -> Yuv420Image {
        let mut image = Yuv420Image::new(width, height);
        let frame = RgbFrame { bytes, stride, width, height, order };
        to_yuv420(&frame, &mut image).expect("converts");
        image
    }

    #[test]
    fn solid_colours_convert_to_their_jfif_values() {
        let colours = [
            ("red", [255, 0, 0]),
            ("green", [0, 255, 0]),
            ("blue", [0, 0, 255]),
            ("white", [255, 255, 255]),
            ("black", [0, 0, 0]),
            ("gray", [128, 128, 128]),
            ("dark gray", [37, 37, 37]),
            ("orange", [250, 140, 20]),
        ];
        for order in [RgbOrder::RedFirst, RgbOrder::BlueFirst] {
            for (name, rgb) in colours {
                let bytes = frame_bytes(4, 4, 12, order, |_, _| rgb);
                let image = convert(4, 4, 12, order, &bytes);
                let [y, cb, cr] = reference(rgb);
                for (plane, got, want) in [("Y", &image.y, y), ("Cb", &image.u, cb), ("Cr", &image.v, cr)] {
                    assert!(
                        got.iter().all(|&v| close(v, want)),
                        "{name} {order:?} {plane}: {got:?}, want {want}"
                    );
                }
            }
        }
        // Grays are exact: the coefficients of Y add up to one, those of Cb and Cr to zero.
        let gray = convert(2, 2, 6, RgbOrder::RedFirst, &[77; 12]);
        assert_eq!((gray.y[0], gray.u[0], gray.v[0]), (77, 128, 128));
        let white = convert(2, 2, 6, RgbOrder::RedFirst, &[255; 12]);
        assert_eq!((white.y[0], white.u[0], white.v[0]), (255, 128, 128));
    }

    #[test]
    fn byte_order_is_honoured() {
        // The same bytes, 255, 0, 0: red as BGR888 (R first), blue as RGB888 (B first).
        let bytes = [255, 0, 0].repeat(4);
        let red = convert(2, 2, 6, RgbOrder::RedFirst, &bytes);
        let blue = convert(2, 2, 6, RgbOrder::BlueFirst, &bytes);
        assert_eq!((red.y[0], red.u[0], red.v[0]), (76, 85, 255));
        assert_eq!((blue.y[0], blue.u[0], blue.v[0]), (29, 255, 107));
    }

    #[test]
    fn chroma_is_the_mean_of_each_block_with_odd_edges() {
        // 5x3: blocks of 2x2, 1x2 at the right, 2x1 at the bottom and 1x1 in the corner.
        let paint = |x: usize, y: usize| [(x * 50) as u8, (y * 100) as u8, ((x + y) * 30) as u8];
        for order in [RgbOrder::RedFirst, RgbOrder::BlueFirst] {
            let stride = 5 * 3 + 4;
            let bytes = frame_bytes(5, 3, stride, order, paint);
            // The last row needs no padding.
            let image = convert(5, 3, stride, order, &bytes[..stride * 2 + 15]);
            for y in 0..3 {
                for x in 0..5 {
                    let want = reference(paint(x, y))[0];
                    assert!(
                        close(image.y[y * 5 + x], want),
                        "Y at {x},{y}: {}, want {want}",
                        image.y[y * 5 + x]
                    );
                }
            }
            assert_eq!((image.u.len(), image.v.len()), (6, 6));
            for cy in 0..2 {
                for cx in 0..3 {
                    let mut sum = [0.0; 3];
                    let mut count = 0.0;
                    for (x, y) in [
                        (2 * cx, 2 * cy),
                        (2 * cx + 1, 2 * cy),
                        (2 * cx, 2 * cy + 1),
                        (2 * cx + 1, 2 * cy + 1),
                    ] {
                        if x < 5 && y < 3 {
                            let value = reference(paint(x, y));
                            sum.iter_mut().zip(value).for_each(|(s, v)| *s += v);
                            count += 1.0;
                        }
                    }
                    let (u, v) = (image.u[cy * 3 + cx], image.v[cy * 3 + cx]);
                    assert!(close(u, sum[1] / count), "Cb at {cx},{cy}: {u}, want {}", sum[1] / count);
                    assert!(close(v, sum[2] / count), "Cr at {cx},{cy}: {v}, want {}", sum[2] / count);
                }
            }
        }
    }

    #[test]
    fn frames_that_do_not_fit_are_refused() {
        let bytes = [0u8; 6 * 4];
        let mut image = Yuv420Image::new(2, 4);
        let frame = RgbFrame { bytes: &bytes, stride: 6, width: 2, height: 4, order: RgbOrder::RedFirst };
        assert_eq!(to_yuv420(&frame, &mut image), Ok(()));
        let short = RgbFrame { bytes: &bytes[..6 * 3 + 5], ..frame };
        assert_eq!(to_yuv420(&short, &mut image), Err(ConvertError::TooShort { len: 23, needed: 24 }));
        let narrow = RgbFrame { stride: 5, ..frame };
        assert_eq!(to_yuv420(&narrow, &mut image), Err(ConvertError::StrideTooSmall { stride: 5, width: 2 }));
        let mut other = Yuv420Image::new(4, 2);
        let err = to_yuv420(&frame, &mut other).expect_err("size");
        assert_eq!(err.to_string(), "RGB frame is 2x4, the picture 4x2");
        // A picture whose planes were cut short is filled as far as they go, without a panic.
        image.y = vec![0; 3].into_boxed_slice();
        assert_eq!(to_yuv420(&frame, &mut image), Ok(()));
    }

    #[test]
    fn a_converted_frame_encodes_and_decodes_to_its_colours() {
        use crate::jpeg::JpegEncoder;
        let (width, height, stride) = (37usize, 21usize, 37 * 3 + 5);
        let paint = |x: usize, y: usize| [(40 + x * 5) as u8, (200 - y * 6) as u8, (60 + (x + y) * 2) as u8];
        let bytes = frame_bytes(width, height, stride, RgbOrder::BlueFirst, paint);
        let image = convert(width as u32, height as u32, stride, RgbOrder::BlueFirst, &bytes);
        let mut out = vec![0u8; 64 * 1024];
        let len = JpegEncoder::new(95).encode(&image.frame(), &mut out).expect("encodes");
        let mut decoder = jpeg_decoder::Decoder::new(&out[..len]);
        let decoded = decoder.decode().expect("decodes");
        assert_eq!(decoded.len(), width * height * 3);
        let error: f64 = decoded
            .chunks_exact(3)
            .enumerate()
            .map(|(i, got)| {
                let want = paint(i % width, i / width);
                got.iter().zip(want).map(|(&g, w)| (f64::from(g) - f64::from(w)).abs()).sum::<f64>()
            })
            .sum::<f64>()
            / (width * height * 3) as f64;
        assert!(error < 4.0, "mean error {error}");
    }
}
