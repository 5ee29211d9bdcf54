//! Reaping: PID 1 inherits every orphaned process and must collect each one's exit status,
//! or zombies pile up. One place calls waitpid(-1); children someone is waiting for (the
//! supervisor's helpers) are handed their status through a channel.
//!
//! Nothing else in the program may call waitpid or `Child::wait` while running as PID 1:
//! the reaper would race it for the status.

use rustix::process::{Pid, WaitOptions, WaitStatus};
use std::collections::HashMap;
use std::sync::mpsc::Sender;
use std::sync::{Mutex, MutexGuard, OnceLock};

/// How a watched child ended.
#[derive(Debug, Clone, Copy)]
pub struct Exit {
    pub pid: i32,
    pub status: WaitStatus,
}

type Watchers = HashMap<i32, Sender<Exit>>;

fn watchers() -> MutexGuard<'static, Watchers> {
    static WATCHERS: OnceLock<Mutex<Watchers>> = OnceLock::new();
    // A poisoned map is still a valid map: a panic elsewhere must not stop reaping.
    WATCHERS.get_or_init(Default::default).lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `spawn` and registers the pid it returns, with the watcher table locked throughout,
/// so a child that dies at once cannot be reaped before anyone listens for it.
pub fn spawn_watched<E>(spawn: impl FnOnce() -> Result<u32, E>, notify: Sender<Exit>) -> Result<u32, E> {
    let mut table = watchers();
    let pid = spawn()?;
    if let Ok(pid_signed) = i32::try_from(pid) {
        table.insert(pid_signed, notify);
    }
    Ok(pid)
}

/// Collects every child that has ended (non-blocking); call on each SIGCHLD.
///
/// Any child, whatever its process group: `wait`, that is waitpid(-1). (rustix's
/// `waitpid(None, ..)` is waitpid(0), which skips every orphan that had its own group or
/// session, such as a daemon, and left it a zombie for good.)
pub fn reap_all() {
    loop {
        match rustix::process::wait(WaitOptions::NOHANG) {
            Ok(Some((pid, status))) => dispatch(pid, status),
            // No child has ended (Ok(None)), or there are no children at all (ECHILD).
            Ok(None) | Err(_) => return,
        }
    }
}

fn dispatch(pid: Pid, status: WaitStatus) {
    let pid = pid.as_raw_nonzero().get();
    let watcher = watchers().remove(&pid);
    match watcher {
        // The watcher may have gone (supervisor shutting down): nothing to tell.
        Some(notify) => {
            let _ = notify.send(Exit { pid, status });
        }
        None => log::debug!("reaped orphan {pid} ({})", describe(status)),
    }
}

pub fn describe(status: WaitStatus) -> String {
    match (status.exit_status(), status.terminating_signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        _ => "stopped".to_owned(),
    }
}
