//! Keeps a libcamera camera running from the source thread: opens a session, and when it
//! fails (no camera, camera unplugged, requests failing, frames stopping) reports the fault,
//! streams "no camera: <reason>" cards at about 1 fps so clients keep a live picture, and
//! tries again after a growing delay. Independent of libcamera itself, so it is tested with
//! fake sessions.

use crate::camera::FrameOutput;
use crate::source::backoff::Backoff;
use crate::source::fault_card::FaultCard;
use std::time::{Duration, Instant};

/// How one camera session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEnd {
    /// The camera was asked to stop (tests, shutdown).
    Stopped,
    /// The camera failed; `delivered` says whether it produced frames before that.
    Failed { fault: String, delivered: bool },
}

/// Cards stream this often while the camera is down.
const CARD_PERIOD: Duration = Duration::from_secs(1);

/// Runs `session` until it reports [`SessionEnd::Stopped`] or the camera is stopped.
pub fn supervise<S>(output: &mut FrameOutput, cards: &mut FaultCard, backoff: &mut Backoff, mut session: S)
where
    S: FnMut(&mut FrameOutput) -> SessionEnd,
{
    while !output.camera().stopping() {
        let (fault, delivered) = match session(output) {
            SessionEnd::Stopped => return,
            SessionEnd::Failed { fault, delivered } => (fault, delivered),
        };
        if delivered {
            backoff.reset();
        }
        let delay = backoff.next_delay();
        // Formatted once per failure, not per card.
        let message = format!("no camera: {fault}");
        output.set_fault(Some(fault));
        log::info!("camera {}: retrying in {} s", output.camera().name(), delay.as_secs_f32());
        show_cards_for(output, cards, &message, delay);
    }
}

/// Streams the card until `delay` has passed (or the camera is stopped).
fn show_cards_for(output: &mut FrameOutput, cards: &mut FaultCard, message: &str, delay: Duration) {
    let until = Instant::now() + delay;
    loop {
        // A card that does not fit is dropped and counted by the pool like any frame.
        let _ = cards.publish(output, message);
        let now = Instant::now();
        if now >= until || output.camera().stopping() {
            return;
        }
        std::thread::sleep(CARD_PERIOD.min(until - now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::Camera;
    use crate::config::{CameraConfig, Resolution};
    use crate::jpeg::JpegEncoder;
    use std::sync::atomic::Ordering;

    fn output() -> (std::sync::Arc<Camera>, FrameOutput) {
        let config = CameraConfig { size: Resolution { width: 160, height: 120 }, ..CameraConfig::default() };
        Camera::new(config, 64 * 1024, 2)
    }

    #[test]
    fn failures_show_cards_report_the_fault_and_retry() {
        let (camera, mut output) = output();
        let mut cards = FaultCard::new(160, 120, JpegEncoder::default());
        let mut backoff = Backoff::new(Duration::from_millis(5), Duration::from_millis(20));
        let mut attempts = 0;
        let mut faults_seen = Vec::new();
        supervise(&mut output, &mut cards, &mut backoff, |output| {
            faults_seen.push(output.camera().fault());
            attempts += 1;
            match attempts {
                1 | 2 => SessionEnd::Failed { fault: "no cameras found".into(), delivered: false },
                _ => SessionEnd::Stopped,
            }
        });
        assert_eq!(attempts, 3);
        assert_eq!(faults_seen[0], None);
        assert_eq!(faults_seen[2].as_deref(), Some("no cameras found"));
        let published = camera.pool.counters().published.load(Ordering::Relaxed);
        assert!(published >= 2, "one card per failure at least, got {published}");
        // Two failures without frames in between: the delay grew.
        assert_eq!(backoff.next_delay(), Duration::from_millis(20));
    }

    #[test]
    fn a_session_that_delivered_resets_the_backoff() {
        let (_camera, mut output) = output();
        let mut cards = FaultCard::new(160, 120, JpegEncoder::default());
        let mut backoff = Backoff::new(Duration::from_millis(1), Duration::from_millis(50));
        backoff.next_delay();
        backoff.next_delay();
        let mut attempts = 0;
        supervise(&mut output, &mut cards, &mut backoff, |_| {
            attempts += 1;
            match attempts {
                1 => SessionEnd::Failed { fault: "camera disconnected".into(), delivered: true },
                _ => SessionEnd::Stopped,
            }
        });
        // Reset, then one delay taken: the next is the second step.
        assert_eq!(backoff.next_delay(), Duration::from_millis(2));
    }

    #[test]
    fn a_stopped_camera_ends_the_loop_during_the_wait() {
        let (camera, mut output) = output();
        let mut cards = FaultCard::new(160, 120, JpegEncoder::default());
        let mut backoff = Backoff::new(Duration::from_secs(3600), Duration::from_secs(3600));
        let started = Instant::now();
        let mut attempts = 0;
        supervise(&mut output, &mut cards, &mut backoff, |output| {
            attempts += 1;
            // Stopped while failing: the hour-long wait must end at once.
            output.camera().stop();
            SessionEnd::Failed { fault: "camera disconnected".into(), delivered: false }
        });
        assert_eq!(attempts, 1);
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(camera.fault().as_deref(), Some("camera disconnected"));
    }
}
