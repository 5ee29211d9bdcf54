//! The narrow interface between the streaming side and whoever runs the system around it
//! (the PID-1 code on the board, or nothing on a PC).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Whether the wall clock is known to be right. A PC's is; the Pi Zero has no clock battery
/// and counts from 1970 until NTP sets it. RFC 9110 wants no Date header before that.
static CLOCK_RELIABLE: AtomicBool = AtomicBool::new(false);

pub fn mark_clock_reliable() {
    CLOCK_RELIABLE.store(true, Ordering::Relaxed);
}

pub fn clock_reliable() -> bool {
    CLOCK_RELIABLE.load(Ordering::Relaxed)
}

/// A power action asked for over HTTP (authenticated) or by a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerAction {
    PowerOff,
    Reboot,
}

impl PowerAction {
    pub fn name(self) -> &'static str {
        match self {
            PowerAction::PowerOff => "poweroff",
            PowerAction::Reboot => "reboot",
        }
    }
}

/// Carries out power actions. On a PC the default ends the process; as PID 1 the system
/// code syncs, unmounts and calls reboot(2).
pub trait SystemControl: Send + Sync {
    /// Starts the action; returns once it is under way (the caller answers its client
    /// before the system goes down), or an error saying why it cannot be done.
    fn request(&self, action: PowerAction) -> Result<(), String>;
}

/// Lets the system side ask whether streaming is alive (the watchdog is fed only then).
pub trait HealthProbe: Send + Sync {
    /// True while the HTTP event loop keeps turning and every camera keeps publishing
    /// frames (real ones or "no camera" cards).
    fn pipeline_healthy(&self) -> bool;
}

/// How the process runs, shown in /status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    /// An ordinary program on a PC.
    Process,
    /// The init process of the board.
    Pid1,
}

impl RunMode {
    pub fn name(self) -> &'static str {
        match self {
            RunMode::Process => "process",
            RunMode::Pid1 => "pid1",
        }
    }
}

/// The PC default: power actions stop the program (exit status 0).
pub struct ExitProcess;

impl SystemControl for ExitProcess {
    fn request(&self, action: PowerAction) -> Result<(), String> {
        log::warn!("{} requested: stopping zerocam", action.name());
        std::thread::spawn(|| {
            // Give the HTTP reply a moment to leave before the process goes.
            std::thread::sleep(std::time::Duration::from_millis(200));
            std::process::exit(0);
        });
        Ok(())
    }
}

pub type SharedControl = Arc<dyn SystemControl>;

/// A control decided after the HTTP server has started (as PID 1 the system services that
/// provide it start once streaming runs, so that the watchdog can watch streaming).
#[derive(Default)]
pub struct LateControl {
    inner: std::sync::OnceLock<SharedControl>,
}

impl LateControl {
    /// Sets the control once; later calls are ignored.
    pub fn set(&self, control: SharedControl) {
        let _ = self.inner.set(control);
    }
}

impl SystemControl for LateControl {
    fn request(&self, action: PowerAction) -> Result<(), String> {
        match self.inner.get() {
            Some(control) => control.request(action),
            None => Err("the system is still starting; try again in a moment".into()),
        }
    }
}
pub type SharedHealth = Arc<dyn HealthProbe>;
