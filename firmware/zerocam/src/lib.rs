//! zerocam: MJPEG network camera firmware for the Raspberry Pi Zero, also runnable on a PC.
//!
//! Data flows one way: a frame source fills slots of a fixed [`pool`], the [`http`]
//! responder fans the newest frame out to every client. See docs/ARCHITECTURE.md.

pub mod app;
pub mod camera;
pub mod config;
pub mod http;
pub mod jpeg;
pub mod logging;
pub mod net;
pub mod ota;
pub mod pid1;
pub mod pool;
pub mod render;
pub mod source;
pub mod system;
