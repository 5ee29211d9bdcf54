//! The hardware watchdog (bcm2835 PM watchdog, /dev/watchdog): fed only while the streaming
//! pipeline reports itself healthy, so a hung camera or event loop resets the board.
//!
//! It is armed (opened) at the first healthy report, or after a start-up grace period if
//! that never comes, so a pipeline that hangs during start-up also ends in a reset.
//!
//! In a trial boot after an update the boot script has armed the watchdog already and the
//! kernel feeds it only until /dev/watchdog is opened (`watchdog.open_timeout`): it is
//! opened at once and fed, healthy or not, during the trial window (the trial monitor
//! decides within it, see ota/trial.rs); after the window only while healthy. So a trial
//! whose zerocam hangs still ends in a reset, and the reset in the committed slot.

use crate::system::SharedHealth;
use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

const DEVICE: &str = "/dev/watchdog";
/// WDIOC_SETTIMEOUT = _IOWR('W', 6, int).
const WDIOC_SETTIMEOUT: libc::c_ulong = 0xC004_5706;
const STARTUP_GRACE: Duration = Duration::from_secs(60);

/// Starts the feeding thread. `timeout_secs` is the hardware timeout (bcm2835: at most 15);
/// `trial_window` is set in a trial boot: how long from now it is fed regardless of health.
pub fn start(timeout_secs: u32, health: SharedHealth, trial_window: Option<Duration>) {
    let spawned = std::thread::Builder::new()
        .name("watchdog".into())
        .spawn(move || feed(timeout_secs, health, trial_window));
    if let Err(err) = spawned {
        log::error!("cannot start the watchdog thread: {err}");
    }
}

fn feed(timeout_secs: u32, health: SharedHealth, trial_window: Option<Duration>) {
    let started = Instant::now();
    while trial_window.is_none() && !health.pipeline_healthy() && started.elapsed() < STARTUP_GRACE {
        std::thread::sleep(Duration::from_millis(500));
    }
    let mut device = match open(timeout_secs) {
        Ok(device) => device,
        Err(err) => {
            log::warn!("watchdog not used: {err}");
            return;
        }
    };
    // Three feeds per period: one late wake-up on a loaded single core is not a reset.
    let period = Duration::from_secs(u64::from(timeout_secs.max(3)) / 3);
    let mut feeder = Feeder::new(&mut device, timeout_secs);
    let window = trial_window.unwrap_or(Duration::ZERO);
    loop {
        feeder.tick(health.pipeline_healthy() || started.elapsed() < window);
        std::thread::sleep(period);
    }
}

/// One decision per tick: feed when healthy, starve when not, log each change.
struct Feeder<W: Write> {
    device: W,
    timeout_secs: u32,
    was_healthy: bool,
}

impl<W: Write> Feeder<W> {
    fn new(device: W, timeout_secs: u32) -> Feeder<W> {
        Feeder { device, timeout_secs, was_healthy: true }
    }

    fn tick(&mut self, healthy: bool) {
        if healthy {
            // A failed write is logged; the hardware then decides.
            if let Err(err) = self.device.write_all(b"k").and_then(|()| self.device.flush()) {
                log::error!("cannot feed the watchdog: {err}");
            }
        }
        if healthy != self.was_healthy {
            if healthy {
                log::info!("pipeline healthy again: feeding the watchdog");
            } else {
                log::error!(
                    "pipeline unhealthy: no longer feeding the watchdog, reset in {} s",
                    self.timeout_secs
                );
            }
            self.was_healthy = healthy;
        }
    }
}

fn open(timeout_secs: u32) -> std::io::Result<File> {
    let device = std::fs::OpenOptions::new().write(true).open(DEVICE)?;
    let mut timeout = libc::c_int::try_from(timeout_secs).unwrap_or(15);
    // SAFETY: the ioctl reads and writes one int we own.
    let result = unsafe { libc::ioctl(device.as_raw_fd(), WDIOC_SETTIMEOUT as _, &mut timeout) };
    if result < 0 {
        log::warn!(
            "watchdog timeout {timeout_secs} s refused ({}); using the driver default",
            std::io::Error::last_os_error()
        );
    }
    log::info!("watchdog armed: {timeout} s");
    Ok(device)
}

#[cfg(test)]
mod tests {
    use super::Feeder;

    #[test]
    fn feeds_only_while_healthy() {
        let mut written = Vec::new();
        let mut feeder = Feeder::new(&mut written, 15);
        for healthy in [true, true, false, false, false, true] {
            feeder.tick(healthy);
        }
        // Three healthy ticks, three feeds; nothing while the pipeline was unhealthy.
        assert_eq!(written, b"kkk");
    }

    #[test]
    fn a_hung_pipeline_is_never_fed() {
        let mut written = Vec::new();
        let mut feeder = Feeder::new(&mut written, 15);
        for _ in 0..100 {
            feeder.tick(false);
        }
        assert!(written.is_empty(), "the board must reset when streaming hangs");
    }
}
