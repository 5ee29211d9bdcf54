//! Clean power-off and reboot: stop helpers, sync, unmount, then reboot(2). Runs once, from
//! whichever asked first (HTTP, a signal, ctrl-alt-del); PID 1 never returns from it.

use super::{mounts, supervisor};
use crate::system::{PowerAction, SystemControl};
use rustix::system::RebootCommand;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static STARTED: AtomicBool = AtomicBool::new(false);

/// How long helpers get to exit after SIGTERM before SIGKILL.
const HELPER_GRACE: Duration = Duration::from_secs(2);

/// Starts shutting down on a thread of its own and returns; later requests are ignored.
pub fn begin(action: PowerAction, reason: &str) {
    if STARTED.swap(true, Ordering::SeqCst) {
        log::info!("{} requested by {reason}, but shutdown is already under way", action.name());
        return;
    }
    log::warn!("{} requested by {reason}", action.name());
    let reason = reason.to_owned();
    let spawned = std::thread::Builder::new().name("shutdown".into()).spawn(move || run(action, &reason));
    if spawned.is_err() {
        // No thread to spare: do it here; the caller will never get its answer out, but
        // the board still goes down cleanly.
        run(action, "fallback");
    }
}

fn run(action: PowerAction, _reason: &str) -> ! {
    // Let an HTTP caller's reply leave before the network goes.
    std::thread::sleep(Duration::from_millis(300));
    stop_other_processes();
    rustix::fs::sync();
    for failure in mounts::unmount_all() {
        log::error!("{failure}");
    }
    rustix::fs::sync();
    let command = match action {
        PowerAction::PowerOff => {
            log::warn!("powering off now");
            RebootCommand::PowerOff
        }
        PowerAction::Reboot => {
            log::warn!("rebooting now");
            RebootCommand::Restart
        }
    };
    if let Err(err) = rustix::system::reboot(command) {
        log::error!("reboot(2) failed: {err}; the board stays up with filesystems unmounted");
    }
    // PID 1 must not exit (the kernel would panic); wait for the watchdog or a power cut.
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// SIGTERM to every process but PID 1, SIGKILL to what is left after a grace period.
fn stop_other_processes() {
    supervisor::stop_restarting();
    if user_processes() == 0 {
        return;
    }
    // SAFETY: kill(-1, sig) signals every process we may signal except ourselves.
    unsafe { libc::kill(-1, libc::SIGTERM) };
    let started = Instant::now();
    while started.elapsed() < HELPER_GRACE {
        std::thread::sleep(Duration::from_millis(50));
        if user_processes() == 0 {
            return;
        }
    }
    log::warn!("helpers still running after SIGTERM: killing them");
    // SAFETY: as above.
    unsafe { libc::kill(-1, libc::SIGKILL) };
}

/// Processes other than PID 1 that run a program. kill(-1, 0) cannot tell: it also counts
/// kernel threads, which have an empty /proc/PID/cmdline (as do zombies, which are harmless).
fn user_processes() -> usize {
    let Ok(entries) = std::fs::read_dir("/proc") else { return 0 };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid > 1)
        .filter(|pid| std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| !cmdline.is_empty()))
        .count()
}

/// Last resort after a panic: make the data partition safe and restart, without waiting
/// for anything another thread might hold.
pub fn emergency_reboot() -> ! {
    STARTED.store(true, Ordering::SeqCst);
    rustix::fs::sync();
    let _ =
        rustix::mount::mount_remount(mounts::DATA_PARTITION.target, rustix::mount::MountFlags::RDONLY, "");
    let _ = rustix::system::reboot(RebootCommand::Restart);
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// The SystemControl the HTTP server uses when zerocam is PID 1.
pub struct Pid1Control;

impl SystemControl for Pid1Control {
    fn request(&self, action: PowerAction) -> Result<(), String> {
        begin(action, "HTTP");
        Ok(())
    }
}
