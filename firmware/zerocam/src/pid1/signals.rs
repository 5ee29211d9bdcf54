//! Signals PID 1 acts on. They are blocked in every thread and taken one at a time by a
//! dedicated thread with sigwaitinfo(2), so handling them is ordinary code rather than
//! async-signal-safe handler code.
//!
//! The kernel only delivers a signal to PID 1 if init handles or blocks it: blocking them
//! here is what makes SIGTERM and the ctrl-alt-del SIGINT arrive at all.
//!
//! Mapping (as in BusyBox init): SIGTERM and SIGINT (ctrl-alt-del) reboot; SIGUSR2 and
//! SIGPWR power off; SIGCHLD reaps.

use super::error::Pid1Error;
use super::{reaper, shutdown};
use crate::system::PowerAction;
use std::os::unix::process::CommandExt;
use std::process::Command;

const HANDLED: [libc::c_int; 5] = [libc::SIGCHLD, libc::SIGTERM, libc::SIGINT, libc::SIGUSR2, libc::SIGPWR];

fn handled_set() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data; sigemptyset initializes it before use.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for signal in HANDLED {
            libc::sigaddset(&mut set, signal);
        }
        set
    }
}

/// Blocks the handled signals in the calling thread, and so in every thread it starts
/// later. Must run before any other thread exists. A child inherits the mask (std's
/// Command keeps it): start children through [`unblocked_in_child`].
pub fn block() -> Result<(), Pid1Error> {
    let set = handled_set();
    // SAFETY: valid set pointer, null old-set pointer is allowed.
    let result = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    if result != 0 {
        return Err(Pid1Error::new("block signals", std::io::Error::from_raw_os_error(result)));
    }
    // Ctrl-alt-del then sends SIGINT to PID 1 instead of an immediate, unsynced reboot.
    rustix::system::reboot(rustix::system::RebootCommand::CadOff)
        .map_err(|err| Pid1Error::new("disable ctrl-alt-del reboot", err))
}

/// Makes `command`'s child start with no signal blocked. Without it every program PID 1
/// starts would inherit SIGTERM, SIGCHLD and the others blocked: a supplicant that never
/// sees the SIGTERM of a shutdown, a shell that never sees its children end.
pub fn unblocked_in_child(command: &mut Command) -> &mut Command {
    // SAFETY: the closure runs in the child between fork and exec, where only
    // async-signal-safe calls are allowed: sigemptyset and sigprocmask are.
    unsafe {
        command.pre_exec(|| {
            let mut none: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut none);
            if libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    }
}

/// Starts the thread that waits for the handled signals.
pub fn spawn_handler() -> Result<(), Pid1Error> {
    std::thread::Builder::new()
        .name("pid1-signals".into())
        .spawn(handle_forever)
        .map(|_| ())
        .map_err(|err| Pid1Error::new("start the signal thread", err))
}

fn handle_forever() {
    let set = handled_set();
    loop {
        // SAFETY: valid set; siginfo is written by the kernel.
        let signal = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::sigwaitinfo(&set, &mut info)
        };
        match signal {
            libc::SIGCHLD => reaper::reap_all(),
            libc::SIGTERM => shutdown::begin(PowerAction::Reboot, "SIGTERM"),
            libc::SIGINT => shutdown::begin(PowerAction::Reboot, "ctrl-alt-del"),
            libc::SIGUSR2 | libc::SIGPWR => shutdown::begin(PowerAction::PowerOff, "signal"),
            // EINTR from a debugger or stray signal: wait again.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SigBlk line of a child started from a thread that blocks the handled signals,
    /// as PID 1's threads do.
    fn child_sigblk(reset: bool) -> String {
        std::thread::spawn(move || {
            let set = handled_set();
            // SAFETY: valid set; only this short-lived thread's mask changes.
            assert_eq!(unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) }, 0);
            let mut command = Command::new("grep");
            command.args(["^SigBlk:", "/proc/self/status"]);
            if reset {
                unblocked_in_child(&mut command);
            }
            let output = command.output().expect("run grep");
            String::from_utf8_lossy(&output.stdout).trim().to_owned()
        })
        .join()
        .expect("thread")
    }

    #[test]
    fn children_start_with_no_signal_blocked() {
        // The mask is inherited: without the reset the child has PID 1's blocked signals.
        assert_ne!(child_sigblk(false), "SigBlk:\t0000000000000000");
        assert_eq!(child_sigblk(true), "SigBlk:\t0000000000000000");
    }
}
