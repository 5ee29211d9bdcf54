//! Where the samples of a libcamera frame buffer lie, worked out once per buffer at start-up
//! from the stream's stride and the buffer's planes, so per frame nothing is computed or
//! checked again.
//!
//! Two 4:2:0 formats are taken: YUV420 (I420: Y, U, V planes; what the Raspberry Pi ISP is
//! asked for) and NV12 (Y, then one plane of interleaved U,V pairs; what libcamera's virtual
//! pipeline and many ISPs deliver). libcamera describes either as one plane per component,
//! usually in one dmabuf at increasing offsets; some pipelines hand out a single plane
//! holding them all. The stream's stride is the Y stride; libcamera's convention makes U and
//! V rows half as long, and the NV12 UV rows as long as the Y rows.
//!
//! Two packed 24-bit RGB formats are taken too, for cameras that offer nothing else
//! (libcamera's vimc pipeline, the software ISP): one plane, 3 bytes a pixel, rows at the
//! stride. They are converted to YUV 4:2:0 before encoding (rgb.rs).

use super::rgb::RgbOrder;
use std::fmt;

/// The stream formats the source can encode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFormat {
    I420,
    Nv12,
    /// libcamera's BGR888 (DRM fourcc BG24): bytes R, G, B in memory.
    Bgr888,
    /// libcamera's RGB888 (DRM fourcc RG24): bytes B, G, R in memory.
    Rgb888,
}

impl StreamFormat {
    /// libcamera's name for it.
    pub fn name(self) -> &'static str {
        match self {
            StreamFormat::I420 => "YUV420",
            StreamFormat::Nv12 => "NV12",
            StreamFormat::Bgr888 => "BGR888",
            StreamFormat::Rgb888 => "RGB888",
        }
    }

    /// For the packed RGB formats, the order of a pixel's bytes in memory.
    pub fn rgb_order(self) -> Option<RgbOrder> {
        match self {
            StreamFormat::I420 | StreamFormat::Nv12 => None,
            StreamFormat::Bgr888 => Some(RgbOrder::RedFirst),
            StreamFormat::Rgb888 => Some(RgbOrder::BlueFirst),
        }
    }

    fn plane_names(self) -> &'static [&'static str] {
        match self {
            StreamFormat::I420 => &["Y", "U", "V"],
            StreamFormat::Nv12 => &["Y", "UV"],
            StreamFormat::Bgr888 | StreamFormat::Rgb888 => &["RGB"],
        }
    }
}

/// One plane of a frame buffer as libcamera reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlaneSpan {
    pub fd: i32,
    pub offset: usize,
    pub len: usize,
}

/// One component plane (Y, U, V or UV): where it is and how far apart its rows are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlaneLayout {
    pub fd: i32,
    pub offset: usize,
    pub len: usize,
    pub stride: usize,
}

/// A validated buffer: `planes` are Y, U, V (I420), Y, UV (NV12) or the one RGB plane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BufferLayout {
    pub format: StreamFormat,
    pub width: u32,
    pub height: u32,
    pub planes: heapless::Vec<PlaneLayout, 3>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayoutError {
    ZeroSize { width: u32, height: u32 },
    StrideTooSmall { stride: usize, width: u32 },
    PlaneCount { format: StreamFormat, count: usize },
    PlaneTooShort { plane: &'static str, len: usize, needed: usize },
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayoutError::ZeroSize { width, height } => write!(f, "stream size {width}x{height} is empty"),
            LayoutError::StrideTooSmall { stride, width } => {
                write!(f, "stride {stride} is too small for a width of {width}")
            }
            LayoutError::PlaneCount { format, count } => match format.plane_names().len() {
                1 => write!(f, "{} buffer has {count} planes, expected 1", format.name()),
                planes => write!(f, "{} buffer has {count} planes, expected 1 or {planes}", format.name()),
            },
            LayoutError::PlaneTooShort { plane, len, needed } => {
                write!(f, "{plane} plane has {len} bytes, needs {needed}")
            }
        }
    }
}

/// Bytes a plane of `rows` rows of `row_bytes` needs at `stride`; the last row may be unpadded.
pub fn needed(rows: usize, stride: usize, row_bytes: usize) -> usize {
    rows.saturating_sub(1).saturating_mul(stride).saturating_add(row_bytes)
}

/// Rows, stride and bytes per row of each component plane (the one plane of RGB).
fn geometry(
    format: StreamFormat,
    w: usize,
    h: usize,
    stride: usize,
) -> heapless::Vec<(usize, usize, usize), 3> {
    let (chroma_w, chroma_h) = (w.div_ceil(2), h.div_ceil(2));
    let mut planes = heapless::Vec::new();
    match format {
        StreamFormat::I420 => {
            let _ = planes.push((h, stride, w));
            let _ = planes.push((chroma_h, stride / 2, chroma_w));
            let _ = planes.push((chroma_h, stride / 2, chroma_w));
        }
        StreamFormat::Nv12 => {
            let _ = planes.push((h, stride, w));
            let _ = planes.push((chroma_h, stride, 2 * chroma_w));
        }
        StreamFormat::Bgr888 | StreamFormat::Rgb888 => {
            let _ = planes.push((h, stride, w.saturating_mul(3)));
        }
    }
    planes
}

impl BufferLayout {
    /// The whole picture as one range of one dmabuf, `(fd, offset, len)`, when its planes lie
    /// exactly as V4L2's single-plane YUV420 / NV12 put them (Y rows at the stride, then U
    /// and V at half of it, or UV at the stride, without gaps). That is what a V4L2
    /// memory-to-memory encoder takes; the Raspberry Pi ISP's buffers look like this. Never
    /// for RGB: the M2M encoder takes YUV only.
    pub fn packed(&self) -> Option<(i32, usize, usize)> {
        let first = self.planes.first()?;
        if first.stride % 2 != 0 || self.format.rgb_order().is_some() {
            return None;
        }
        let geometry = geometry(self.format, self.width as usize, self.height as usize, first.stride);
        let mut expected = first.offset;
        for (plane, &(rows, stride, _)) in self.planes.iter().zip(geometry.iter()) {
            if plane.fd != first.fd || plane.offset != expected || plane.stride != stride {
                return None;
            }
            expected += rows * stride;
        }
        let last = self.planes.last()?;
        Some((first.fd, first.offset, last.offset + last.len - first.offset))
    }
}

/// Describes a `width`x`height` buffer of `format` with Y (or RGB) stride `stride` made of
/// `planes`.
pub fn buffer_layout(
    format: StreamFormat,
    width: u32,
    height: u32,
    stride: u32,
    planes: &[PlaneSpan],
) -> Result<BufferLayout, LayoutError> {
    if width == 0 || height == 0 {
        return Err(LayoutError::ZeroSize { width, height });
    }
    let (w, h, stride) = (width as usize, height as usize, stride as usize);
    let geometry = geometry(format, w, h, stride);
    if geometry.iter().any(|&(_, plane_stride, row_bytes)| plane_stride < row_bytes) {
        return Err(LayoutError::StrideTooSmall { stride, width });
    }
    // Empty planes carry nothing: libcamera 0.4's virtual pipeline hands out NV12 buffers
    // with an empty third plane (it sizes planes for three whatever the format).
    let mut given: heapless::Vec<PlaneSpan, 3> = heapless::Vec::new();
    for span in planes.iter().filter(|span| span.len > 0) {
        if given.push(*span).is_err() {
            return Err(LayoutError::PlaneCount { format, count: planes.len() });
        }
    }
    let mut spans: heapless::Vec<PlaneSpan, 3> = heapless::Vec::new();
    match given.as_slice() {
        [all] => {
            // One plane holding all components, each right after the other; the last needs
            // no padding after its last row.
            let mut offset = 0;
            for (index, &(rows, plane_stride, row_bytes)) in geometry.iter().enumerate() {
                let len = if index + 1 == geometry.len() {
                    all.len.saturating_sub(offset)
                } else {
                    rows * plane_stride
                };
                let whole = offset + needed(rows, plane_stride, row_bytes);
                if all.len < whole {
                    return Err(LayoutError::PlaneTooShort {
                        plane: format.name(),
                        len: all.len,
                        needed: whole,
                    });
                }
                let _ = spans.push(PlaneSpan { fd: all.fd, offset: all.offset + offset, len });
                offset += len;
            }
        }
        several if several.len() == geometry.len() => spans.extend(several.iter().copied()),
        _ => return Err(LayoutError::PlaneCount { format, count: planes.len() }),
    }
    let mut layouts = heapless::Vec::new();
    for ((span, &(rows, plane_stride, row_bytes)), &plane) in
        spans.iter().zip(geometry.iter()).zip(format.plane_names())
    {
        let need = needed(rows, plane_stride, row_bytes);
        if span.len < need {
            return Err(LayoutError::PlaneTooShort { plane, len: span.len, needed: need });
        }
        let _ = layouts.push(PlaneLayout {
            fd: span.fd,
            offset: span.offset,
            len: span.len,
            stride: plane_stride,
        });
    }
    Ok(BufferLayout { format, width, height, planes: layouts })
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
        let layout = buffer_layout(StreamFormat::I420, 640, 480, 640, &planes).expect("valid");
        let strides: Vec<usize> = layout.planes.iter().map(|p| p.stride).collect();
        assert_eq!(strides, [640, 320, 320]);
        assert_eq!(layout.planes[2].offset, 640 * 480 + 320 * 240);
    }

    #[test]
    fn one_plane_is_split_into_y_u_v() {
        // 100x50 with stride 128: Y 128*50, U and V 64*25 each.
        let layout = buffer_layout(StreamFormat::I420, 100, 50, 128, &[span(4096, 128 * 50 + 2 * 64 * 25)])
            .expect("valid");
        let offsets: Vec<usize> = layout.planes.iter().map(|p| p.offset).collect();
        assert_eq!(offsets, [4096, 4096 + 6400, 4096 + 6400 + 1600]);
        assert_eq!(layout.planes.iter().map(|p| p.len).collect::<Vec<_>>(), [6400, 1600, 1600]);
    }

    #[test]
    fn odd_sizes_round_chroma_up() {
        // 65x5 at stride 68: chroma is 33 wide (stride 34) and 3 rows; the last V row needs
        // only its 33 samples, not the full stride.
        let planes = [span(0, 68 * 5), span(1000, 34 * 3), span(2000, 2 * 34 + 33)];
        let layout = buffer_layout(StreamFormat::I420, 65, 5, 68, &planes).expect("valid");
        assert_eq!(layout.planes[1].stride, 34);
        let short = [planes[0], planes[1], span(2000, 2 * 34 + 32)];
        assert!(buffer_layout(StreamFormat::I420, 65, 5, 68, &short).is_err());
    }

    #[test]
    fn inconsistent_buffers_are_refused_with_a_reason() {
        let ok = [span(0, 640 * 480), span(0, 320 * 240), span(0, 320 * 240)];
        assert_eq!(
            buffer_layout(StreamFormat::I420, 0, 480, 640, &ok),
            Err(LayoutError::ZeroSize { width: 0, height: 480 })
        );
        assert_eq!(
            buffer_layout(StreamFormat::I420, 640, 480, 600, &ok),
            Err(LayoutError::StrideTooSmall { stride: 600, width: 640 })
        );
        assert_eq!(
            buffer_layout(StreamFormat::I420, 640, 480, 640, &ok[..2]),
            Err(LayoutError::PlaneCount { format: StreamFormat::I420, count: 2 })
        );
        let short_v = [ok[0], ok[1], span(0, 100)];
        let err = buffer_layout(StreamFormat::I420, 640, 480, 640, &short_v).expect_err("short V");
        assert_eq!(err, LayoutError::PlaneTooShort { plane: "V", len: 100, needed: 320 * 240 });
        assert!(err.to_string().contains("V plane"), "{err}");
        let short_single = buffer_layout(StreamFormat::I420, 640, 480, 640, &[span(0, 640 * 480)]);
        assert!(matches!(short_single, Err(LayoutError::PlaneTooShort { plane: "YUV420", .. })));
    }

    #[test]
    fn nv12_as_the_virtual_pipeline_hands_it_out() {
        // libcamera's virtual pipeline: two planes in one dmabuf, UV rows as long as Y rows.
        let planes = [span(0, 640 * 480), span(640 * 480, 640 * 240)];
        let layout = buffer_layout(StreamFormat::Nv12, 640, 480, 640, &planes).expect("valid");
        assert_eq!(layout.planes.len(), 2);
        assert_eq!((layout.planes[1].offset, layout.planes[1].stride), (640 * 480, 640));
        // One plane holding both, 65 wide: 33 UV pairs (66 bytes) per row at stride 68.
        let one =
            buffer_layout(StreamFormat::Nv12, 65, 5, 68, &[span(100, 68 * 5 + 68 * 2 + 66)]).expect("valid");
        assert_eq!(
            one.planes.iter().map(|p| (p.offset, p.len)).collect::<Vec<_>>(),
            [(100, 340), (440, 202)]
        );
        let short = buffer_layout(StreamFormat::Nv12, 640, 480, 640, &[planes[0], span(0, 640 * 239)]);
        assert_eq!(short, Err(LayoutError::PlaneTooShort { plane: "UV", len: 640 * 239, needed: 640 * 240 }));
        // libcamera 0.4's virtual pipeline: a third, empty plane.
        let empty_third =
            buffer_layout(StreamFormat::Nv12, 640, 480, 640, &[planes[0], planes[1], span(0, 0)]);
        assert_eq!(empty_third.expect("valid").planes.len(), 2);
        let three = buffer_layout(StreamFormat::Nv12, 640, 480, 640, &[planes[0], planes[1], planes[1]]);
        let err = three.expect_err("NV12 has two planes");
        assert_eq!(err.to_string(), "NV12 buffer has 3 planes, expected 1 or 2");
        // An odd width needs one more byte per UV row than the Y stride can hold here.
        assert!(matches!(
            buffer_layout(StreamFormat::Nv12, 65, 4, 65, &planes),
            Err(LayoutError::StrideTooSmall { .. })
        ));
    }

    #[test]
    fn packed_buffers_are_recognised_for_the_m2m_encoder() {
        let i420 = [span(0, 640 * 480), span(640 * 480, 320 * 240), span(640 * 480 + 320 * 240, 320 * 240)];
        let layout = buffer_layout(StreamFormat::I420, 640, 480, 640, &i420).expect("valid");
        assert_eq!(layout.packed(), Some((7, 0, 640 * 480 * 3 / 2)));
        let nv12 = [span(4096, 640 * 480), span(4096 + 640 * 480, 640 * 240), span(0, 0)];
        let layout = buffer_layout(StreamFormat::Nv12, 640, 480, 640, &nv12).expect("valid");
        assert_eq!(layout.packed(), Some((7, 4096, 640 * 480 * 3 / 2)));
        // A gap between Y and U (a chroma plane aligned to 4 kB): not what V4L2 expects.
        let gap = [span(0, 640 * 480), span(311_296, 320 * 240), span(311_296 + 320 * 240, 320 * 240)];
        assert_eq!(buffer_layout(StreamFormat::I420, 640, 480, 640, &gap).expect("valid").packed(), None);
        // Planes in two dmabufs.
        let mut split = i420;
        split[1].fd = 8;
        assert_eq!(buffer_layout(StreamFormat::I420, 640, 480, 640, &split).expect("valid").packed(), None);
    }

    #[test]
    fn rgb_is_one_plane_of_three_bytes_a_pixel() {
        // vimc: 240x180 BGR888 at stride 720, one plane.
        let layout =
            buffer_layout(StreamFormat::Bgr888, 240, 180, 720, &[span(0, 720 * 180)]).expect("valid");
        assert_eq!(layout.planes.as_slice(), [PlaneLayout { fd: 7, offset: 0, len: 720 * 180, stride: 720 }]);
        assert_eq!(layout.packed(), None, "RGB never goes to the M2M encoder");
        // Padded rows; the last row needs only its 3 * width bytes; empty planes are ignored.
        let padded = [span(64, 768 * 179 + 720), span(0, 0), span(0, 0)];
        let layout = buffer_layout(StreamFormat::Rgb888, 240, 180, 768, &padded).expect("valid");
        assert_eq!((layout.planes.len(), layout.planes[0].stride), (1, 768));
        assert_eq!(
            buffer_layout(StreamFormat::Rgb888, 240, 180, 768, &[span(0, 768 * 179 + 719)]),
            Err(LayoutError::PlaneTooShort {
                plane: "RGB888",
                len: 768 * 179 + 719,
                needed: 768 * 179 + 720
            })
        );
        // Odd width: 3 * 65 = 195 bytes a row.
        assert_eq!(
            buffer_layout(StreamFormat::Bgr888, 65, 5, 194, &[span(0, 4096)]),
            Err(LayoutError::StrideTooSmall { stride: 194, width: 65 })
        );
        assert!(buffer_layout(StreamFormat::Bgr888, 65, 5, 195, &[span(0, 195 * 5)]).is_ok());
        let two = buffer_layout(
            StreamFormat::Bgr888,
            240,
            180,
            720,
            &[span(0, 720 * 90), span(720 * 90, 720 * 90)],
        );
        assert_eq!(two.expect_err("one plane").to_string(), "BGR888 buffer has 2 planes, expected 1");
    }

    #[test]
    fn a_layout_feeds_the_jpeg_encoder() {
        use crate::jpeg::{Frame, JpegEncoder, Pixels, Plane};
        let (width, height, stride) = (48u32, 32u32, 64u32);
        let mut buffer = vec![128u8; 64 * 32 + 2 * 32 * 16];
        buffer[..64 * 32].iter_mut().enumerate().for_each(|(i, b)| *b = (i % 256) as u8);
        let layout = buffer_layout(StreamFormat::I420, width, height, stride, &[span(0, buffer.len())])
            .expect("valid");
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
