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
/// later. Must run before any other thread exists; children started with
/// std::process::Command get an empty mask again (std resets it).
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
