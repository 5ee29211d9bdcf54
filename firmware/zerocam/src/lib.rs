//! zerocam: MJPEG network camera firmware for the Raspberry Pi Zero, also runnable on a PC.
//!
//! Data flows one way: a frame source fills slots of a fixed [`pool`], the [`http`]
//! responder fans the newest frame out to every client. See docs/ARCHITECTURE.md.

pub mod pool;
