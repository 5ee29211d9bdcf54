//! The "no camera: <reason>" picture a camera source streams while its camera is unusable,
//! so clients keep their connection and see why. Shared by the V4L2 and libcamera sources.

use crate::camera::{unix_now_us, FrameOutput};
use crate::jpeg::JpegEncoder;
use crate::pool::Dropped;
use crate::render::MessageCard;

/// A message card and its encoder, both allocated once.
pub struct FaultCard {
    card: MessageCard,
    encoder: JpegEncoder,
}

impl FaultCard {
    pub fn new(width: u32, height: u32, encoder: JpegEncoder) -> FaultCard {
        FaultCard { card: MessageCard::new(width, height), encoder }
    }

    /// Draws `message` with the current time and publishes it like a camera frame. A card
    /// that does not fit its slot is dropped and counted by the pool.
    pub fn publish(&mut self, output: &mut FrameOutput, message: &str) -> Result<u64, Dropped> {
        let now = unix_now_us();
        self.card.draw(message, now);
        let (card, encoder) = (&self.card, &self.encoder);
        output.publish_jpeg(now, |slot| {
            encoder.encode_yuv420(card.image(), slot).map_err(|_| Dropped::TooLarge)
        })
    }
}
