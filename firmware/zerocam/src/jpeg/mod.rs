//! A baseline JPEG (JFIF) encoder for camera frames, written for a 1 GHz ARM1176 without SIMD.
//!
//! * Inputs: grayscale, I420, NV12 and YUYV ([`Pixels`]); any size up to 65535x65535, odd
//!   sizes padded by repeating the last row and column.
//! * Output: 4:2:0 for I420, NV12 and YUYV (row pairs of YUYV chroma averaged, as libjpeg's
//!   defaults and so µStreamer do), one component for grayscale; the standard IJG
//!   quantisation tables scaled by quality (the libjpeg formula). The first frame uses the
//!   Annex K Huffman tables, each later frame tables fitted to the one before
//!   (huffman_optimal.rs): 1.4-16 % fewer bytes than libjpeg-turbo at the same quality and
//!   SSIM (`ci/bench-jpeg-size`).
//! * [`JpegEncoder::encode`] writes into a caller-provided slice and never allocates, so it
//!   can run once per video frame on a small heap. A JPEG that does not fit is an error
//!   ([`EncodeError::OutputFull`]), never a truncated file.
//! * No restart markers: a corrupt byte loses the rest of one frame, and the next frame comes
//!   a few dozen milliseconds later anyway.
//!
//! Pipeline per 8x8 block: load (planes.rs) -> AAN integer DCT (dct.rs) -> quantise with the
//! DCT scale folded in (quant.rs) -> Huffman code, counting each symbol (huffman.rs) -> bytes
//! with 0xFF stuffing (bit_writer.rs). After the frame: refit the Huffman tables to the
//! counts (huffman_optimal.rs).

mod bit_writer;
mod dct;
mod encoder;
mod error;
mod headers;
mod huffman;
mod huffman_optimal;
mod image;
mod planes;
mod quant;
mod tables;
#[cfg(test)]
mod tests;

pub use encoder::{JpegEncoder, DEFAULT_QUALITY};
pub use error::{EncodeError, InputProblem, PlaneName};
pub use image::Yuv420Image;
pub use planes::{Frame, Pixels, Plane};
