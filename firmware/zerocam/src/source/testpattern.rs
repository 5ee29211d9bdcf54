//! Generated frames: moving picture, frame counter and clock, encoded to JPEG. The default
//! source when no camera is configured, so zerocam always shows something.

use super::pacing::Pacer;
use crate::camera::{unix_now_us, FrameOutput};
use crate::config::{CameraConfig, Resolution};
use crate::jpeg::JpegEncoder;
use crate::pool::Dropped;
use crate::render::TestCard;
use std::time::{Duration, Instant};

pub struct TestPattern {
    size: Resolution,
    fps: usize,
    card: TestCard,
    encoder: JpegEncoder,
    frame_number: u64,
}

impl TestPattern {
    pub fn new(config: &CameraConfig) -> TestPattern {
        TestPattern {
            size: config.size,
            fps: config.fps,
            card: TestCard::new(config.size.width, config.size.height),
            encoder: JpegEncoder::new(config.quality.clamp(1, 100) as u8),
            frame_number: 0,
        }
    }

    /// Shown on every frame: why the test pattern runs instead of a camera.
    pub fn set_caption(&mut self, caption: &str) {
        self.card.set_caption(caption);
    }

    pub fn frame_bound(&self) -> usize {
        super::encoded_frame_bound(self.size.width, self.size.height)
    }

    pub fn run(mut self, mut output: FrameOutput) {
        log::info!("test pattern {} at {} fps", self.size, self.fps);
        self.run_for(&mut output, None);
    }

    /// Streams until the camera stops or, if given, `limit` has passed (the `auto` source
    /// looks for a camera again in between). Frame numbers go on from the last call.
    pub fn run_for(&mut self, output: &mut FrameOutput, limit: Option<Duration>) {
        let until = limit.map(|limit| Instant::now() + limit);
        let mut pacer = Pacer::new(self.fps);
        while !output.camera().stopping() && until.is_none_or(|until| Instant::now() < until) {
            self.frame_number += 1;
            let frame_number = self.frame_number;
            let captured = unix_now_us();
            self.card.draw(frame_number, captured);
            let (card, encoder) = (&self.card, &self.encoder);
            // A frame that does not fit its slot is dropped and counted by the pool.
            let _ = output.publish_jpeg(captured, |slot| {
                encoder.encode_yuv420(card.image(), slot).map_err(|_| Dropped::TooLarge)
            });
            pacer.wait();
        }
    }
}
