//! An owned planar 4:2:0 picture, allocated once and redrawn in place frame after frame.

use super::planes::{Frame, Pixels, Plane};

/// Planar YUV 4:2:0 (I420) with tight rows: Y is `width x height`, U and V are
/// `ceil(width/2) x ceil(height/2)`. Full-range (JFIF) values: black is Y = 0.
#[derive(Debug, Clone)]
pub struct Yuv420Image {
    pub width: u32,
    pub height: u32,
    pub y: Box<[u8]>,
    pub u: Box<[u8]>,
    pub v: Box<[u8]>,
}

impl Yuv420Image {
    /// A black picture. This is the only allocation; a zero side gives empty planes (which
    /// the encoder rejects with a typed error rather than anything panicking).
    ///
    /// # Panics
    /// Like `Vec`, if `width * height` bytes cannot exist in the address space (on 32-bit
    /// targets: both sides near 65535). Sizes are saturated, never wrapped, so this can only
    /// fail loudly, never produce planes shorter than the picture.
    pub fn new(width: u32, height: u32) -> Yuv420Image {
        let (w, h) = (width as usize, height as usize);
        let luma = w.saturating_mul(h);
        let chroma = w.div_ceil(2).saturating_mul(h.div_ceil(2));
        Yuv420Image {
            width,
            height,
            y: vec![0; luma].into_boxed_slice(),
            u: vec![128; chroma].into_boxed_slice(),
            v: vec![128; chroma].into_boxed_slice(),
        }
    }

    /// Samples per row of U and V.
    pub fn chroma_width(&self) -> usize {
        (self.width as usize).div_ceil(2)
    }

    /// Rows of U and V.
    pub fn chroma_height(&self) -> usize {
        (self.height as usize).div_ceil(2)
    }

    /// Describes the picture for [`JpegEncoder::encode`](super::JpegEncoder::encode).
    pub fn frame(&self) -> Frame<'_> {
        let chroma_stride = self.chroma_width();
        Frame {
            width: self.width,
            height: self.height,
            pixels: Pixels::I420 {
                y: Plane::new(&self.y, self.width as usize),
                u: Plane::new(&self.u, chroma_stride),
                v: Plane::new(&self.v, chroma_stride),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jpeg::{JpegEncoder, Pixels};

    #[test]
    fn planes_have_the_i420_sizes() {
        let image = Yuv420Image::new(5, 3);
        assert_eq!((image.y.len(), image.u.len(), image.v.len()), (15, 6, 6));
        assert_eq!((image.chroma_width(), image.chroma_height()), (3, 2));
        let frame = image.frame();
        assert!(matches!(frame.pixels, Pixels::I420 { u, .. } if u.stride == 3));
        let mut out = [0u8; 1024];
        assert!(JpegEncoder::default().encode_yuv420(&image, &mut out).is_ok());
    }
}
