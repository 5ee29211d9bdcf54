//! Where the Y, U and V samples of a libcamera YUV420 buffer lie, worked out once per buffer
//! at start-up from the stream's stride and the buffer's planes, so per frame nothing is
//! computed or checked again.
//!
//! libcamera describes YUV420 as three planes, usually in one dmabuf at increasing offsets;
//! some pipelines hand out a single plane holding all three. The stream's stride is the Y
//! stride; U and V rows are half as long (libcamera's YUV420 convention).

use std::fmt;

/// One plane of a frame buffer as libcamera reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlaneSpan {
    pub fd: i32,
    pub offset: usize,
    pub len: usize,
}

/// One of Y, U, V: where it is and how far apart its rows are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlaneLayout {
    pub fd: i32,
    pub offset: usize,
    pub len: usize,
    pub stride: usize,
}

/// A validated I420 buffer: `planes` are Y, U, V.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Yuv420Layout {
    pub width: u32,
    pub height: u32,
    pub planes: [PlaneLayout; 3],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayoutError {
    ZeroSize { width: u32, height: u32 },
    StrideTooSmall { stride: usize, width: u32 },
    PlaneCount(usize),
    PlaneTooShort { plane: &'static str, len: usize, needed: usize },
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayoutError::ZeroSize { width, height } => write!(f, "stream size {width}x{height} is empty"),
            LayoutError::StrideTooSmall { stride, width } => {
                write!(f, "stride {stride} is too small for a width of {width}")
            }
            LayoutError::PlaneCount(count) => write!(f, "YUV420 buffer has {count} planes, expected 1 or 3"),
            LayoutError::PlaneTooShort { plane, len, needed } => {
                write!(f, "{plane} plane has {len} bytes, needs {needed}")
            }
        }
    }
}

/// Bytes a plane of `rows` rows of `row_bytes` needs at `stride`; the last row may be unpadded.
fn needed(rows: usize, stride: usize, row_bytes: usize) -> usize {
    rows.saturating_sub(1).saturating_mul(stride).saturating_add(row_bytes)
}

/// Describes a `width`x`height` YUV420 buffer with Y stride `stride` made of `planes`.
pub fn yuv420_layout(
    width: u32,
    height: u32,
    stride: u32,
    planes: &[PlaneSpan],
) -> Result<Yuv420Layout, LayoutError> {
    if width == 0 || height == 0 {
        return Err(LayoutError::ZeroSize { width, height });
    }
    let (w, h, stride) = (width as usize, height as usize, stride as usize);
    let (chroma_w, chroma_h, chroma_stride) = (w.div_ceil(2), h.div_ceil(2), stride / 2);
    if stride < w || chroma_stride < chroma_w {
        return Err(LayoutError::StrideTooSmall { stride, width });
    }
    let [y, u, v] = match planes {
        [y, u, v] => [*y, *u, *v],
        // One plane holding all three, each right after the other.
        [all] => {
            let luma_len = stride * h;
            let chroma_len = chroma_stride * chroma_h;
            let whole = luma_len + chroma_len + needed(chroma_h, chroma_stride, chroma_w);
            if all.len < whole {
                return Err(LayoutError::PlaneTooShort { plane: "YUV420", len: all.len, needed: whole });
            }
            let at = |offset, len| PlaneSpan { fd: all.fd, offset: all.offset + offset, len };
            [
                at(0, luma_len),
                at(luma_len, chroma_len),
                at(luma_len + chroma_len, all.len - luma_len - chroma_len),
            ]
        }
        other => return Err(LayoutError::PlaneCount(other.len())),
    };
    let check = |plane: &'static str, span: PlaneSpan, rows, stride, row_bytes| {
        let need = needed(rows, stride, row_bytes);
        if span.len < need {
            return Err(LayoutError::PlaneTooShort { plane, len: span.len, needed: need });
        }
        Ok(PlaneLayout { fd: span.fd, offset: span.offset, len: span.len, stride })
    };
    Ok(Yuv420Layout {
        width,
        height,
        planes: [
            check("Y", y, h, stride, w)?,
            check("U", u, chroma_h, chroma_stride, chroma_w)?,
            check("V", v, chroma_h, chroma_stride, chroma_w)?,
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(offset: usize, len: usize) -> PlaneSpan {
        PlaneSpan { fd: 7, offset, len }
    }

    #[test]
    fn three_planes_as_the_raspberry_pi_pipeline_hands_them_out() {
        // 640x480 with a 64-byte aligned stride of 640: Y, then U and V at stride 320.
        let planes = [span(0, 640 * 480), span(640 * 480, 320 * 240), span(640 * 480 + 320 * 240, 320 * 240)];
        let layout = yuv420_layout(640, 480, 640, &planes).expect("valid");
        let strides: Vec<usize> = layout.planes.iter().map(|p| p.stride).collect();
        assert_eq!(strides, [640, 320, 320]);
        assert_eq!(layout.planes[2].offset, 640 * 480 + 320 * 240);
    }

    #[test]
    fn one_plane_is_split_into_y_u_v() {
        // 100x50 with stride 128: Y 128*50, U and V 64*25 each.
        let layout = yuv420_layout(100, 50, 128, &[span(4096, 128 * 50 + 2 * 64 * 25)]).expect("valid");
        let offsets: Vec<usize> = layout.planes.iter().map(|p| p.offset).collect();
        assert_eq!(offsets, [4096, 4096 + 6400, 4096 + 6400 + 1600]);
        assert_eq!(layout.planes.map(|p| p.len), [6400, 1600, 1600]);
    }

    #[test]
    fn odd_sizes_round_chroma_up() {
        // 65x5 at stride 68: chroma is 33 wide (stride 34) and 3 rows; the last V row needs
        // only its 33 samples, not the full stride.
        let planes = [span(0, 68 * 5), span(1000, 34 * 3), span(2000, 2 * 34 + 33)];
        let layout = yuv420_layout(65, 5, 68, &planes).expect("valid");
        assert_eq!(layout.planes[1].stride, 34);
        let short = [planes[0], planes[1], span(2000, 2 * 34 + 32)];
        assert!(yuv420_layout(65, 5, 68, &short).is_err());
    }

    #[test]
    fn inconsistent_buffers_are_refused_with_a_reason() {
        let ok = [span(0, 640 * 480), span(0, 320 * 240), span(0, 320 * 240)];
        assert_eq!(yuv420_layout(0, 480, 640, &ok), Err(LayoutError::ZeroSize { width: 0, height: 480 }));
        assert_eq!(
            yuv420_layout(640, 480, 600, &ok),
            Err(LayoutError::StrideTooSmall { stride: 600, width: 640 })
        );
        assert_eq!(yuv420_layout(640, 480, 640, &ok[..2]), Err(LayoutError::PlaneCount(2)));
        let short_v = [ok[0], ok[1], span(0, 100)];
        let err = yuv420_layout(640, 480, 640, &short_v).expect_err("short V");
        assert_eq!(err, LayoutError::PlaneTooShort { plane: "V", len: 100, needed: 320 * 240 });
        assert!(err.to_string().contains("V plane"), "{err}");
        let short_single = yuv420_layout(640, 480, 640, &[span(0, 640 * 480)]);
        assert!(matches!(short_single, Err(LayoutError::PlaneTooShort { plane: "YUV420", .. })));
    }

    #[test]
    fn a_layout_feeds_the_jpeg_encoder() {
        use crate::jpeg::{Frame, JpegEncoder, Pixels, Plane};
        let (width, height, stride) = (48u32, 32u32, 64u32);
        let mut buffer = vec![128u8; 64 * 32 + 2 * 32 * 16];
        buffer[..64 * 32].iter_mut().enumerate().for_each(|(i, b)| *b = (i % 256) as u8);
        let layout = yuv420_layout(width, height, stride, &[span(0, buffer.len())]).expect("valid");
        let plane = |p: PlaneLayout| Plane::new(&buffer[p.offset..p.offset + p.len], p.stride);
        let frame = Frame {
            width,
            height,
            pixels: Pixels::I420 {
                y: plane(layout.planes[0]),
                u: plane(layout.planes[1]),
                v: plane(layout.planes[2]),
            },
        };
        let mut out = vec![0u8; 16 * 1024];
        let len = JpegEncoder::default().encode(&frame, &mut out).expect("encodes");
        assert_eq!(&out[..2], [0xFF, 0xD8]);
        assert_eq!(&out[len - 2..len], [0xFF, 0xD9]);
    }
}
