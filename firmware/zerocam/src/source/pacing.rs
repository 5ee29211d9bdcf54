//! Keeps a source at its frame rate without drifting and without bursting after a stall.

use std::time::{Duration, Instant};

pub struct Pacer {
    period: Duration,
    next: Instant,
}

impl Pacer {
    pub fn new(fps: usize) -> Pacer {
        let period = Duration::from_secs(1) / fps.max(1) as u32;
        Pacer { period, next: Instant::now() }
    }

    /// Sleeps until the next frame is due. If the source fell more than a frame behind
    /// (a slow encode, a suspended process), the schedule restarts from now instead of
    /// catching up with a burst.
    pub fn wait(&mut self) {
        self.next += self.period;
        let now = Instant::now();
        if self.next > now {
            std::thread::sleep(self.next - now);
        } else if now - self.next > self.period {
            self.next = now;
        }
    }
}
