//! Pictures zerocam generates itself: the [`TestCard`] (a live test pattern) and the
//! [`MessageCard`] (why there is no camera picture). Both draw into a planar 4:2:0
//! [`Yuv420Image`] allocated once, ready for [`JpegEncoder::encode_yuv420`](crate::jpeg::JpegEncoder::encode_yuv420),
//! and never allocate while drawing. Text scales with the picture height, from 160x120 to
//! 1920x1080 and beyond.

mod canvas;
mod clock;
mod font;
mod message_card;
mod testcard;
mod wrap;

pub use crate::jpeg::Yuv420Image;
pub use clock::utc_clock;
pub use message_card::MessageCard;
pub use testcard::{TestCard, TestCardLayout};
