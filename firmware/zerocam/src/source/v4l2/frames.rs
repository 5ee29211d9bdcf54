//! Turning one dequeued driver buffer into one JPEG in a pool slot: a checked copy for JPEG
//! formats, an encode straight into the slot for raw ones. Either way this is the only pass
//! over the frame's bytes, and nothing is allocated.

use super::negotiate::PixelKind;
use crate::config::Resolution;
use crate::jpeg::{EncodeError, Frame, JpegEncoder, Pixels, Plane};
use crate::pool::Dropped;
use crate::source::jpeg_stream::{looks_whole, trimmed_len};

/// How a raw frame lies in its buffer, as the driver reported it (VIDIOC_S_FMT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawLayout {
    pub kind: PixelKind,
    pub size: Resolution,
    /// Bytes from one row of the first plane to the next; 0 means "tightly packed".
    pub bytes_per_line: u32,
}

/// The part of a mapped buffer the driver says it filled. A driver claiming more than the
/// buffer holds is lying; the frame is corrupt.
pub fn filled(mapped: &[u8], bytesused: usize) -> Result<&[u8], Dropped> {
    match bytesused {
        0 => Err(Dropped::Corrupt),
        used => mapped.get(..used).ok_or(Dropped::Corrupt),
    }
}

/// Copies a JPEG the camera made into `slot`, without the zero padding some cameras add.
/// Checked before copying: too large for the slot, or not SOI..EOI, is dropped.
pub fn copy_jpeg(frame: &[u8], slot: &mut [u8]) -> Result<usize, Dropped> {
    let len = trimmed_len(frame);
    let target = slot.get_mut(..len).ok_or(Dropped::TooLarge)?;
    let jpeg = &frame[..len];
    if !looks_whole(jpeg) {
        return Err(Dropped::Corrupt);
    }
    target.copy_from_slice(jpeg);
    Ok(len)
}

/// Encodes a raw frame into `slot`.
pub fn encode_raw(
    encoder: &JpegEncoder,
    layout: &RawLayout,
    data: &[u8],
    slot: &mut [u8],
) -> Result<usize, Dropped> {
    let frame = raw_frame(layout, data).ok_or(Dropped::Corrupt)?;
    encoder.encode(&frame, slot).map_err(|err| match err {
        EncodeError::OutputFull { .. } => Dropped::TooLarge,
        // A buffer shorter than its format needs: the driver handed back a partial frame.
        EncodeError::BadInput { .. } => Dropped::Corrupt,
    })
}

/// Describes the planes of a raw frame inside `data`; `None` if `data` is too short to
/// hold them (the encoder checks each plane's length again).
pub fn raw_frame<'a>(layout: &RawLayout, data: &'a [u8]) -> Option<Frame<'a>> {
    let Resolution { width, height } = layout.size;
    let (w, h) = (width as usize, height as usize);
    let natural = match layout.kind {
        PixelKind::Yuyv => w.div_ceil(2) * 4,
        _ => w,
    };
    let stride = match layout.bytes_per_line as usize {
        0 => natural,
        given => given,
    };
    let luma_bytes = stride.checked_mul(h)?;
    let pixels = match layout.kind {
        PixelKind::Yuyv => Pixels::Yuyv(Plane::new(data, stride)),
        PixelKind::Grey => Pixels::Gray(Plane::new(data, stride)),
        PixelKind::Nv12 => Pixels::Nv12 {
            y: Plane::new(data.get(..luma_bytes)?, stride),
            // The interleaved UV plane rows are as wide as Y rows.
            uv: Plane::new(data.get(luma_bytes..)?, stride),
        },
        PixelKind::Yuv420 => {
            // Planar 4:2:0 as V4L2 defines it: U and V rows are half the Y stride.
            let chroma_stride = stride.div_ceil(2);
            let chroma_bytes = chroma_stride.checked_mul(h.div_ceil(2))?;
            let v_start = luma_bytes.checked_add(chroma_bytes)?;
            Pixels::I420 {
                y: Plane::new(data.get(..luma_bytes)?, stride),
                u: Plane::new(data.get(luma_bytes..v_start)?, chroma_stride),
                v: Plane::new(data.get(v_start..)?, chroma_stride),
            }
        }
        PixelKind::Jpeg => return None,
    };
    Some(Frame { width, height, pixels })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(width: u32, height: u32) -> Resolution {
        Resolution { width, height }
    }

    fn decode(jpeg: &[u8]) -> (jpeg_decoder::ImageInfo, Vec<u8>) {
        let mut decoder = jpeg_decoder::Decoder::new(jpeg);
        let pixels = decoder.decode().expect("decodes");
        (decoder.info().expect("info"), pixels)
    }

    /// A YUYV frame: a horizontal luma ramp, neutral chroma, rows padded to `stride`.
    fn yuyv(width: usize, height: usize, stride: usize) -> Vec<u8> {
        let mut data = vec![0u8; stride * height];
        for row in data.chunks_mut(stride) {
            for x in 0..width {
                row[x * 2] = (x * 255 / width.max(1)) as u8;
                row[x * 2 + 1] = 128;
            }
        }
        data
    }

    #[test]
    fn yuyv_becomes_a_jpeg_of_the_same_picture() {
        let layout = RawLayout { kind: PixelKind::Yuyv, size: size(64, 48), bytes_per_line: 160 };
        let data = yuyv(64, 48, 160);
        let mut slot = vec![0u8; 64 * 1024];
        let len = encode_raw(&JpegEncoder::new(90), &layout, &data, &mut slot).expect("encodes");
        assert!(looks_whole(&slot[..len]));
        let (info, rgb) = decode(&slot[..len]);
        assert_eq!((info.width, info.height), (64, 48));
        // The ramp survives: dark on the left, bright on the right, grey (R = G = B).
        let left = &rgb[(10 * 64 + 2) * 3..][..3];
        let right = &rgb[(10 * 64 + 61) * 3..][..3];
        assert!(left[0] < 40 && right[0] > 200, "left {left:?} right {right:?}");
        assert!(right[0].abs_diff(right[1]) < 12 && right[1].abs_diff(right[2]) < 12, "{right:?}");
    }

    #[test]
    fn planar_and_semi_planar_and_grey_encode() {
        let (w, h) = (33usize, 17usize);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let mut slot = vec![0u8; 64 * 1024];
        let encoder = JpegEncoder::default();
        let cases = [
            (PixelKind::Yuv420, vec![100u8; w * h + 2 * cw * ch], 0),
            (PixelKind::Nv12, vec![100u8; 34 * h + 34 * ch], 34),
            (PixelKind::Grey, vec![100u8; w * h], 0),
        ];
        for (kind, data, bytes_per_line) in cases {
            let layout = RawLayout { kind, size: size(w as u32, h as u32), bytes_per_line };
            let len =
                encode_raw(&encoder, &layout, &data, &mut slot).unwrap_or_else(|e| panic!("{kind:?}: {e:?}"));
            let (info, _) = decode(&slot[..len]);
            assert_eq!((usize::from(info.width), usize::from(info.height)), (w, h), "{kind:?}");
        }
    }

    #[test]
    fn short_or_oversized_frames_are_dropped_not_panicking() {
        let layout = RawLayout { kind: PixelKind::Yuyv, size: size(64, 48), bytes_per_line: 128 };
        let data = yuyv(64, 48, 128);
        let mut slot = vec![0u8; 64 * 1024];
        let encoder = JpegEncoder::default();
        assert_eq!(encode_raw(&encoder, &layout, &data[..1000], &mut slot), Err(Dropped::Corrupt));
        assert_eq!(encode_raw(&encoder, &layout, &data, &mut slot[..200]), Err(Dropped::TooLarge));
        for kind in [PixelKind::Nv12, PixelKind::Yuv420] {
            let layout = RawLayout { kind, size: size(64, 48), bytes_per_line: 0 };
            assert_eq!(encode_raw(&encoder, &layout, &data[..100], &mut slot), Err(Dropped::Corrupt));
        }
        let absurd =
            RawLayout { kind: PixelKind::Nv12, size: size(u32::MAX, u32::MAX), bytes_per_line: u32::MAX };
        assert_eq!(encode_raw(&encoder, &absurd, &data, &mut slot), Err(Dropped::Corrupt));
    }

    #[test]
    fn jpeg_copies_are_checked() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 7, 0xFF, 0xD9];
        let mut padded = jpeg.to_vec();
        padded.extend_from_slice(&[0; 7]);
        let mut slot = [0u8; 32];
        assert_eq!(copy_jpeg(&padded, &mut slot), Ok(jpeg.len()), "padding is trimmed");
        assert_eq!(&slot[..jpeg.len()], &jpeg);
        assert_eq!(copy_jpeg(&jpeg, &mut slot[..5]), Err(Dropped::TooLarge));
        assert_eq!(copy_jpeg(&jpeg[..6], &mut slot), Err(Dropped::Corrupt), "no EOI");
        assert_eq!(copy_jpeg(&jpeg[2..], &mut slot), Err(Dropped::Corrupt), "no SOI");
    }

    #[test]
    fn bytesused_beyond_the_buffer_is_a_lie() {
        let mapped = [1u8; 16];
        assert_eq!(filled(&mapped, 8).map(<[u8]>::len), Ok(8));
        assert_eq!(filled(&mapped, 17), Err(Dropped::Corrupt));
        assert_eq!(filled(&mapped, 0), Err(Dropped::Corrupt));
    }
}
