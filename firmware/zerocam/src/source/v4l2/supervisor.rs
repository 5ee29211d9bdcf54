//! Keeps a camera going whatever the device does: open it, pump frames, and when it is
//! missing, unplugged or stalled, publish "no camera: <reason>" cards (so clients keep
//! their connection and see why), report the fault, and reopen with exponential backoff
//! until it works again. Generic over the device so the state machine is tested without one.

use super::error::V4l2Error;
use crate::camera::FrameOutput;
use crate::config::Resolution;
use crate::jpeg::JpegEncoder;
use crate::pool::Dropped;
use crate::source::backoff::Backoff;
use crate::source::fault_card::FaultCard as SharedFaultCard;
use std::fmt::Write;
use std::time::{Duration, Instant};

/// Opens the device and starts a capture session.
pub trait Connect {
    type Session: Pump;
    fn connect(&mut self) -> Result<Self::Session, V4l2Error>;
}

/// A running capture session.
pub trait Pump {
    /// The size of the frames it publishes.
    fn resolution(&self) -> Resolution;
    /// Waits (briefly, bounded) for the next frame and publishes it. An error ends the
    /// session: the camera is unusable until reopened.
    fn pump(&mut self, output: &mut FrameOutput) -> Result<Pumped, V4l2Error>;
}

/// What one pump did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pumped {
    Published,
    /// Not due yet at the configured rate.
    Skipped,
    /// Lost for a reason that is not the camera's (every slot leased by clients).
    Dropped,
    /// Corrupt, flagged as broken by the driver, or too large: counted.
    DroppedBad,
    /// Nothing arrived yet (the session decides when waiting becomes a stall).
    Waiting,
}

/// Retry and card timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub first_retry: Duration,
    pub max_retry: Duration,
    /// How often the fault card is republished while waiting: often enough that viewers
    /// see a live clock, rarely enough to cost the Pi Zero next to nothing.
    pub card_every: Duration,
}

impl Timing {
    pub const DEFAULT: Timing = Timing {
        first_retry: Duration::from_millis(500),
        max_retry: Duration::from_secs(10),
        card_every: Duration::from_millis(1000),
    };
}

/// What the card says before the reason.
pub const CARD_PREFIX: &str = "no camera: ";

/// The generated picture shown instead of camera frames.
pub struct FaultCard {
    card: SharedFaultCard,
    text: String,
    size: Resolution,
}

impl FaultCard {
    pub fn new(size: Resolution, quality: u8) -> FaultCard {
        FaultCard {
            card: SharedFaultCard::new(size.width, size.height, JpegEncoder::new(quality)),
            text: String::with_capacity(256),
            size,
        }
    }

    pub fn size(&self) -> Resolution {
        self.size
    }

    /// Draws and publishes one card. The text buffer is reused, so a steady fault does not
    /// allocate per card.
    pub fn publish(&mut self, output: &mut FrameOutput, reason: &str) -> Result<u64, Dropped> {
        self.text.clear();
        let _ = write!(self.text, "{CARD_PREFIX}{reason}");
        self.card.publish(output, &self.text)
    }
}

/// Runs until the camera is asked to stop.
pub fn supervise<C: Connect>(
    connector: &mut C,
    output: &mut FrameOutput,
    card: &mut FaultCard,
    timing: Timing,
) {
    let mut backoff = Backoff::new(timing.first_retry, timing.max_retry);
    while !output.camera().stopping() {
        let failure = match connector.connect() {
            Ok(mut session) => {
                output.set_resolution(session.resolution());
                match run_session(&mut session, output, &mut backoff) {
                    Some(failure) => failure,
                    None => return,
                }
            }
            Err(failure) => failure,
        };
        let reason = failure.to_string();
        output.set_fault(Some(reason.clone()));
        output.set_resolution(card.size());
        show_card_for(backoff.next_delay(), output, card, &reason, timing.card_every);
    }
}

/// Pumps frames until the session fails (returns why) or the camera stops (returns None).
fn run_session<S: Pump>(
    session: &mut S,
    output: &mut FrameOutput,
    backoff: &mut Backoff,
) -> Option<V4l2Error> {
    let mut delivered = false;
    while !output.camera().stopping() {
        match session.pump(output) {
            Ok(Pumped::Published) if !delivered => {
                delivered = true;
                output.set_fault(None);
                backoff.reset();
            }
            Ok(_) => {}
            Err(failure) => return Some(failure),
        }
    }
    None
}

/// Publishes the card now and every `every` until `wait` has passed (or the camera stops).
fn show_card_for(
    wait: Duration,
    output: &mut FrameOutput,
    card: &mut FaultCard,
    reason: &str,
    every: Duration,
) {
    let start = Instant::now();
    let mut next_card = start;
    loop {
        let now = Instant::now();
        if output.camera().stopping() || now >= start + wait {
            return;
        }
        if now >= next_card {
            // A card that does not fit is counted by the pool; nothing else to do about it.
            let _ = card.publish(output, reason);
            next_card = now + every;
        }
        let until = next_card.min(start + wait);
        // Short naps, so a stop request is noticed within 100 ms.
        std::thread::sleep(until.saturating_duration_since(Instant::now()).min(Duration::from_millis(100)));
    }
}

#[cfg(test)]
mod tests;
