//! JPEG encoding of raw camera frames by a V4L2 memory-to-memory encoder (on the Raspberry
//! Pi kernel: bcm2835-codec's /dev/video31, "bcm2835-codec-image_encode", which runs on the
//! GPU), with zerocam's software encoder as the fallback whenever it is absent, unsuitable
//! or fails.
//!
//! * discover.rs: which node can encode the camera's format; select.rs: what the config asks.
//! * ioctls.rs / mapping.rs / codec.rs: the multi-planar device with its buffers.
//! * layout.rs: copying a frame into the encoder's stride; encoder.rs: the per-frame cycle.
//! * raw_encoder.rs: hardware first, software when it is not there or breaks.

mod codec;
mod discover;
mod encoder;
mod ioctls;
mod layout;
mod mapping;
mod raw_encoder;
mod select;

pub use raw_encoder::{RawEncoder, RawFormat};
