//! Thins a camera's frame rate down to the configured one. Devices offer a few fixed rates
//! (30, 15, 5...); asking for 25 gets 30, and every frame not published is an encode (or a
//! copy) the Pi Zero does not have to do.

use std::time::{Duration, Instant};

pub struct Decimator {
    period: Duration,
    /// Half the device's own frame period: a frame that early is the one we want.
    tolerance: Duration,
    next_due: Option<Instant>,
}

impl Decimator {
    /// `fps` is the configured rate, `device_period` the interval the device runs at.
    pub fn new(fps: usize, device_period: Duration) -> Decimator {
        let period = Duration::from_secs(1) / u32::try_from(fps.max(1)).unwrap_or(u32::MAX);
        Decimator { period, tolerance: device_period / 2, next_due: None }
    }

    /// Whether the frame arriving at `now` should be published.
    pub fn admit(&mut self, now: Instant) -> bool {
        let due = self.next_due.unwrap_or(now);
        if now + self.tolerance < due {
            return false;
        }
        // Schedule from the due time, not from now, so the rate does not drift; after a
        // gap (a stall, a slow encode) restart from now instead of bursting to catch up.
        let next = due + self.period;
        self.next_due = Some(if next + self.period < now { now + self.period } else { next });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many of `count` device frames at `device_fps` pass for `fps`.
    fn admitted(fps: usize, device_fps: u64, count: u64) -> usize {
        let device_period = Duration::from_micros(1_000_000 / device_fps);
        let mut decimator = Decimator::new(fps, device_period);
        let start = Instant::now();
        (0..count).filter(|frame| decimator.admit(start + device_period * *frame as u32)).count()
    }

    #[test]
    fn thins_a_fast_device_to_the_configured_rate() {
        assert_eq!(admitted(25, 30, 300), 250);
        assert_eq!(admitted(10, 30, 300), 100);
        assert_eq!(admitted(15, 30, 300), 150);
        assert_eq!(admitted(1, 30, 300), 10);
    }

    #[test]
    fn a_slower_device_passes_everything() {
        assert_eq!(admitted(30, 30, 300), 300);
        assert_eq!(admitted(60, 15, 150), 150);
    }

    #[test]
    fn no_burst_after_a_gap() {
        let period = Duration::from_millis(40);
        let mut decimator = Decimator::new(25, period);
        let start = Instant::now();
        assert!(decimator.admit(start));
        // Five seconds of silence, then frames resume at 25 fps: one per period, no catch-up.
        let resume = start + Duration::from_secs(5);
        let passed = (0..10).filter(|i| decimator.admit(resume + period * *i)).count();
        assert_eq!(passed, 10);
        assert!(!decimator.admit(resume + period * 9 + Duration::from_millis(5)));
    }
}
