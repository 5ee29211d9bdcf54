//! Helper processes PID 1 starts and restarts when they exit (e.g. a Wi-Fi supplicant).
//! Each helper has a thread that spawns it, waits for the reaper to report its end, and
//! starts it again after a back-off that grows while it keeps failing.

use super::config::HelperConfig;
use super::{reaper, signals};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Set at shutdown: helpers that exit then are not restarted.
static STOPPING: AtomicBool = AtomicBool::new(false);

const FIRST_DELAY: Duration = Duration::from_secs(1);
const MAX_DELAY: Duration = Duration::from_secs(60);
/// A helper that ran this long before exiting counts as healthy: its back-off starts over.
const STABLE_RUN: Duration = Duration::from_secs(60);

/// Starts one supervising thread per helper.
pub fn start(helpers: &[HelperConfig]) {
    for helper in helpers {
        let helper = helper.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("helper-{}", helper.name))
            .spawn(move || supervise(&helper));
        if let Err(err) = spawned {
            log::error!("cannot start the supervisor thread: {err}");
        }
    }
}

/// Stops restarting helpers (shutdown then signals every process).
pub fn stop_restarting() {
    STOPPING.store(true, Ordering::SeqCst);
}

fn supervise(helper: &HelperConfig) {
    let mut delay = FIRST_DELAY;
    while !STOPPING.load(Ordering::SeqCst) {
        // Checked first because std's fork+exec fallback waits for a child whose exec failed
        // itself, which would race the reaper.
        if !std::path::Path::new(&helper.path).is_file() {
            log::error!("helper {}: {} does not exist; not starting it", helper.name, helper.path);
            return;
        }
        let (notify, exited) = mpsc::channel();
        let started = Instant::now();
        let spawned = reaper::spawn_watched(
            || {
                signals::unblocked_in_child(
                    Command::new(&helper.path).args(&helper.args).stdin(Stdio::null()),
                )
                .spawn()
                // The Child handle is dropped unwaited on purpose: the reaper collects it.
                .map(|child| child.id())
            },
            notify,
        );
        match spawned {
            Ok(pid) => {
                log::info!("helper {} started (pid {pid})", helper.name);
                match exited.recv() {
                    Ok(exit) => {
                        log::warn!(
                            "helper {} (pid {}) ended: {}",
                            helper.name,
                            exit.pid,
                            reaper::describe(exit.status)
                        )
                    }
                    Err(_) => return,
                }
            }
            Err(err) => log::error!("cannot start helper {} ({}): {err}", helper.name, helper.path),
        }
        delay = next_delay(delay, started.elapsed());
        if STOPPING.load(Ordering::SeqCst) {
            return;
        }
        std::thread::sleep(delay);
    }
}

/// Doubles the wait after quick failures, up to a minute; resets after a long healthy run.
fn next_delay(previous: Duration, ran_for: Duration) -> Duration {
    if ran_for >= STABLE_RUN {
        FIRST_DELAY
    } else {
        (previous * 2).min(MAX_DELAY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_grows_to_a_cap_and_resets_after_a_stable_run() {
        let quick = Duration::from_millis(10);
        let mut delay = FIRST_DELAY;
        let mut seen = Vec::new();
        for _ in 0..8 {
            delay = next_delay(delay, quick);
            seen.push(delay.as_secs());
        }
        assert_eq!(seen, [2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(next_delay(MAX_DELAY, STABLE_RUN), FIRST_DELAY);
    }
}
