//! Copying a camera frame into an encoder OUTPUT buffer. The encoder may want a different
//! layout than the camera delivers: bcm2835-codec rounds rows up to 32 or 64 bytes and the
//! buffer height up to 16 lines, and puts the chroma planes after the padded luma. So the
//! copy goes plane by plane, row by row. (Importing the camera's buffer with VIDIOC_EXPBUF
//! would save this copy but only where both layouts agree; a later optimisation.)

use super::super::frames::RawLayout;
use super::super::negotiate::PixelKind;

/// How the encoder wants a frame laid out in its OUTPUT buffer (from VIDIOC_S_FMT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodecLayout {
    pub bytes_per_line: u32,
    /// Lines the buffer holds per plane (the picture height rounded up by the driver).
    pub buffer_height: u32,
    /// Bytes the driver expects in the buffer.
    pub size_image: u32,
}

/// One plane: where it starts, its row stride, and how many rows.
#[derive(Debug, Clone, Copy)]
struct PlaneSpan {
    start: usize,
    stride: usize,
    rows: usize,
}

/// The planes of a frame: up to three, at most `count` used. Fixed size: nothing allocates.
struct Planes {
    spans: [PlaneSpan; 3],
    count: usize,
    /// Bytes of picture in a row of each plane (the rest of a stride is padding).
    row_bytes: [usize; 3],
}

/// Plane positions for a frame of `kind`, `width` pixels by `height` rows, with luma rows
/// `stride` bytes apart, in a buffer whose planes are `plane_height` rows tall.
fn planes(
    kind: PixelKind,
    width: usize,
    height: usize,
    stride: usize,
    plane_height: usize,
) -> Option<Planes> {
    let empty = PlaneSpan { start: 0, stride: 0, rows: 0 };
    let luma = PlaneSpan { start: 0, stride, rows: height };
    let luma_bytes = stride.checked_mul(plane_height)?;
    let chroma_rows = height.div_ceil(2);
    Some(match kind {
        PixelKind::Yuyv => {
            Planes { spans: [luma, empty, empty], count: 1, row_bytes: [width.div_ceil(2) * 4, 0, 0] }
        }
        PixelKind::Grey => Planes { spans: [luma, empty, empty], count: 1, row_bytes: [width, 0, 0] },
        PixelKind::Nv12 => Planes {
            spans: [luma, PlaneSpan { start: luma_bytes, stride, rows: chroma_rows }, empty],
            count: 2,
            row_bytes: [width, width.div_ceil(2) * 2, 0],
        },
        PixelKind::Yuv420 => {
            // Planar 4:2:0 as V4L2 defines it: U and V rows are half the Y stride.
            let chroma_stride = stride.div_ceil(2);
            let chroma_bytes = chroma_stride.checked_mul(plane_height.div_ceil(2))?;
            let u = PlaneSpan { start: luma_bytes, stride: chroma_stride, rows: chroma_rows };
            let v = PlaneSpan { start: luma_bytes.checked_add(chroma_bytes)?, ..u };
            let chroma_row = width.div_ceil(2);
            Planes { spans: [luma, u, v], count: 3, row_bytes: [width, chroma_row, chroma_row] }
        }
        PixelKind::Jpeg => return None,
    })
}

/// The camera's stride: what the driver said, or tightly packed rows.
fn source_stride(source: &RawLayout) -> usize {
    match source.bytes_per_line {
        0 => match source.kind {
            PixelKind::Yuyv => (source.size.width as usize).div_ceil(2) * 4,
            _ => source.size.width as usize,
        },
        given => given as usize,
    }
}

/// Copies the frame in `data` (laid out as `source`) into `buffer` (laid out as `target`).
/// Returns the bytes the driver should be told are used, or `None` if the frame is too
/// short or a layout does not fit (a corrupt frame; nothing is written out of bounds).
pub fn repack(source: &RawLayout, data: &[u8], target: &CodecLayout, buffer: &mut [u8]) -> Option<usize> {
    let (width, height) = (source.size.width as usize, source.size.height as usize);
    let from = planes(source.kind, width, height, source_stride(source), height)?;
    let to =
        planes(source.kind, width, height, target.bytes_per_line as usize, target.buffer_height as usize)?;
    for plane in 0..from.count {
        let (src, dst, row_bytes) = (from.spans[plane], to.spans[plane], from.row_bytes[plane]);
        if row_bytes > src.stride || row_bytes > dst.stride || (target.buffer_height as usize) < height {
            return None;
        }
        for row in 0..src.rows {
            let src_start = src.start.checked_add(row.checked_mul(src.stride)?)?;
            let dst_start = dst.start.checked_add(row.checked_mul(dst.stride)?)?;
            let input = data.get(src_start..src_start.checked_add(row_bytes)?)?;
            buffer.get_mut(dst_start..dst_start.checked_add(row_bytes)?)?.copy_from_slice(input);
        }
    }
    let used = target.size_image as usize;
    (used <= buffer.len()).then_some(used)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Resolution;

    fn source(kind: PixelKind, width: u32, height: u32, bytes_per_line: u32) -> RawLayout {
        RawLayout { kind, size: Resolution { width, height }, bytes_per_line }
    }

    #[test]
    fn yuyv_rows_move_to_the_encoders_stride() {
        // 20x3 YUYV, packed (40 bytes a row) -> 64-byte rows, 16-line buffer.
        let data: Vec<u8> = (0..120).map(|i| i as u8).collect();
        let target = CodecLayout { bytes_per_line: 64, buffer_height: 16, size_image: 64 * 16 };
        let mut buffer = vec![0xAAu8; 64 * 16];
        let used = repack(&source(PixelKind::Yuyv, 20, 3, 0), &data, &target, &mut buffer);
        assert_eq!(used, Some(1024));
        assert_eq!(&buffer[..40], &data[..40]);
        assert_eq!(buffer[40], 0xAA, "padding untouched");
        assert_eq!(&buffer[64..104], &data[40..80]);
        assert_eq!(&buffer[128..168], &data[80..120]);
    }

    #[test]
    fn i420_chroma_planes_follow_the_padded_luma() {
        // 4x2 I420: Y 8 bytes, U 2, V 2 -> stride 32, buffer height 16.
        let data = [1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 3];
        let target = CodecLayout { bytes_per_line: 32, buffer_height: 16, size_image: 32 * 16 * 3 / 2 };
        let mut buffer = vec![0u8; 768];
        assert_eq!(repack(&source(PixelKind::Yuv420, 4, 2, 0), &data, &target, &mut buffer), Some(768));
        assert_eq!(&buffer[..4], &[1; 4]);
        assert_eq!(&buffer[32..36], &[1; 4]);
        // U at 32*16 with 16-byte rows, V after 16*8 more bytes.
        assert_eq!(&buffer[512..514], &[2, 2]);
        assert_eq!(&buffer[512 + 128..512 + 130], &[3, 3]);
    }

    #[test]
    fn nv12_uv_plane_starts_after_the_buffer_height() {
        let mut data = vec![7u8; 6 * 4];
        data.extend_from_slice(&[9u8; 6 * 2]);
        let target = CodecLayout { bytes_per_line: 32, buffer_height: 16, size_image: 768 };
        let mut buffer = vec![0u8; 768];
        assert!(repack(&source(PixelKind::Nv12, 6, 4, 6), &data, &target, &mut buffer).is_some());
        assert_eq!(&buffer[96..102], &[7; 6]);
        assert_eq!(&buffer[512..518], &[9; 6]);
        assert_eq!(&buffer[544..550], &[9; 6]);
    }

    #[test]
    fn short_frames_and_small_buffers_are_refused() {
        let target = CodecLayout { bytes_per_line: 64, buffer_height: 16, size_image: 1024 };
        let mut buffer = vec![0u8; 1024];
        let yuyv = source(PixelKind::Yuyv, 20, 3, 0);
        assert_eq!(repack(&yuyv, &[0u8; 100], &target, &mut buffer), None, "short frame");
        assert_eq!(repack(&yuyv, &[0u8; 120], &target, &mut buffer[..500]), None, "small buffer");
        let narrow = CodecLayout { bytes_per_line: 32, ..target };
        assert_eq!(repack(&yuyv, &[0u8; 120], &narrow, &mut buffer), None, "stride below a row");
        let jpeg = source(PixelKind::Jpeg, 20, 3, 0);
        assert_eq!(repack(&jpeg, &[0u8; 120], &target, &mut buffer), None);
    }
}
