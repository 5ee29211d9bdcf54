//! zerocam as the init process (PID 1) of the Pi Zero: brings the system up, keeps it up,
//! and takes it down cleanly. Separate from streaming: main.rs calls [`early_boot`] before
//! reading the config, [`start_network`] right after it, [`start_services`] once streaming
//! runs, and hands the returned control to the HTTP server for authenticated power actions.
//!
//! Each duty lives in its own file. Order matters in [`early_boot`]: signals are blocked
//! before any thread exists, so every later thread inherits the mask.

mod cmdline;
pub mod config;
pub mod console;
mod error;
mod hostname;
pub mod modules;
pub mod mounts;
mod panic_hook;
mod reaper;
mod shutdown;
mod signals;
mod supervisor;
pub mod udev_db;
mod watchdog;

pub use config::SystemConfig;
pub use error::Pid1Error;
pub use shutdown::Pid1Control;

use crate::system::{SharedControl, SharedHealth};
use std::sync::Arc;
use std::time::Duration;

/// Where the user-editable config lives on the board (the FAT boot partition).
pub const CONFIG_PATH: &str = "/boot/zerocam.toml";

/// True when this process is the system's init.
pub fn is_init() -> bool {
    rustix::process::getpid().is_init()
}

/// What happened during [`early_boot`], for the log and /status.
#[derive(Debug, Default, Clone)]
pub struct BootInfo {
    /// /boot (FAT, read-only) is mounted: the config can be read from [`CONFIG_PATH`].
    pub boot_mounted: bool,
    pub modules_loaded: Vec<String>,
    /// Every step that failed, as "what: why". The system still runs.
    pub failures: Vec<String>,
    /// Time since the kernel started, when early_boot finished.
    pub uptime_at_ready: Duration,
}

/// Before the config is read: virtual filesystems, kernel-log logging, signals and reaping,
/// modules, then the SD card's partitions. Never fails: what fails is logged and listed.
pub fn early_boot() -> BootInfo {
    let mut info = BootInfo::default();
    if !is_init() {
        log::warn!("pid1::early_boot called but zerocam is not PID 1: doing nothing");
        return info;
    }
    let note = |result: Result<(), Pid1Error>, info: &mut BootInfo| {
        if let Err(err) = result {
            log::error!("{err}");
            info.failures.push(err.to_string());
        }
    };
    // Signals first: no other thread may exist yet, and a SIGTERM or child exit arriving
    // during boot must be queued, not lost.
    note(signals::block(), &mut info);
    for spec in &mounts::VIRTUAL_MOUNTS {
        note(mounts::mount_spec(spec), &mut info);
    }
    note(console::attach(), &mut info);
    // The kernel rate-limits /dev/kmsg writers to a burst of 10 lines; as the system's only
    // logger we need every line.
    note(write_sysctl("/proc/sys/kernel/printk_devkmsg", "on\n"), &mut info);
    // A viewer's frame is sent only when its socket can take the whole frame at once (so
    // no slot is held while it is slow): the socket must be allowed a send buffer larger
    // than the largest frame, which the kernel's 208 KiB default is not for big pictures.
    note(write_sysctl("/proc/sys/net/core/wmem_max", "4194304\n"), &mut info);
    let level = match log::max_level() {
        log::LevelFilter::Off => log::LevelFilter::Info,
        level => level,
    };
    crate::logging::init(level);
    crate::logging::use_kmsg();
    panic_hook::install();
    note(signals::spawn_handler(), &mut info);
    log::info!("zerocam {} starting as init", env!("CARGO_PKG_VERSION"));

    let report = modules::load(&modules::read_list(modules::BOOT_LIST));
    for failure in report.failed {
        note(Err(failure), &mut info);
    }
    log::info!("modules loaded: {}", report.loaded.join(" "));
    info.modules_loaded = report.loaded;

    let boot = mounts::mount_device(&mounts::BOOT_PARTITION);
    info.boot_mounted = boot.is_ok();
    note(boot, &mut info);
    finish_boot_in_background();

    info.uptime_at_ready = uptime();
    log::info!("early boot done at {:.3} s since kernel start", info.uptime_at_ready.as_secs_f64());
    info
}

/// The rest of the boot, on a low-priority thread while streaming starts: the ext4 data
/// partition (nothing the stream needs lives there; its modules cost ~0.3 s) and then the
/// camera modules (camera sources retry until their device appears).
fn finish_boot_in_background() {
    let spawned = std::thread::Builder::new().name("boot-late".into()).spawn(|| {
        modules::lower_thread_priority();
        modules::load_list(modules::DATA_LIST);
        match mounts::mount_device(&mounts::DATA_PARTITION) {
            Ok(()) => log::info!("data partition mounted at {}", mounts::DATA_PARTITION.target),
            Err(err) => log::error!("{err}"),
        }
        modules::load_list(modules::LATE_LIST);
    });
    if let Err(err) = spawned {
        log::error!("cannot start the late boot thread: {err}");
    }
}

/// As soon as the config is read: the hostname, then the network services (`crate::net`, on
/// threads of their own), so the address is being obtained while the cameras and the server
/// start.
pub fn start_network(config: &crate::config::Config) {
    let system = &config.system;
    if !is_init() {
        log::warn!("pid1::start_network called but zerocam is not PID 1: leaving the network alone");
        return;
    }
    if let Err(err) = hostname::set(&system.hostname) {
        log::error!("{err}");
    }
    let http_port = config.http.listen_addr(crate::system::RunMode::Pid1).port();
    crate::net::start(
        config.network.clone(),
        config.usb.clone(),
        config.wifi.clone(),
        system.hostname.clone(),
        http_port,
    );
}

/// Once streaming runs: helpers, extra modules and the watchdog (which watches streaming).
/// `trial_window` is set in an update's trial boot (see watchdog.rs). Returns the control
/// the HTTP server uses for power actions.
pub fn start_services(
    system: &SystemConfig,
    health: SharedHealth,
    trial_window: Option<Duration>,
) -> SharedControl {
    if !is_init() {
        log::warn!("pid1::start_services called but zerocam is not PID 1: power actions stop the process");
        return Arc::new(crate::system::ExitProcess);
    }
    if !system.modules.is_empty() {
        let report = modules::load(&system.modules);
        for failure in report.failed {
            log::error!("{failure}");
        }
    }
    supervisor::start(&system.helpers);
    if cmdline::has_flag(cmdline::NO_WATCHDOG) {
        log::warn!("watchdog disabled by {} on the kernel command line", cmdline::NO_WATCHDOG);
    } else if system.watchdog {
        watchdog::start(system.watchdog_timeout_secs.clamp(1, 15), health, trial_window);
    } else if trial_window.is_some() {
        // The boot script armed it for the trial: it must be fed, or the board resets.
        log::warn!("watchdog disabled in [system], but fed during this trial boot");
        watchdog::start(system.watchdog_timeout_secs.clamp(1, 15), health, trial_window);
    } else {
        log::warn!("watchdog disabled in [system]: a hang will not reset the board");
    }
    Arc::new(Pid1Control)
}

/// Starts helper programs that PID 1 restarts whenever they exit (the Wi-Fi supplicant).
pub fn supervise(helpers: &[config::HelperConfig]) {
    supervisor::start(helpers);
}

fn write_sysctl(path: &str, value: &str) -> Result<(), Pid1Error> {
    std::fs::write(path, value).map_err(|err| Pid1Error::new(format!("write {path}"), err))
}

/// Time since the kernel started (CLOCK_BOOTTIME), the clock of the kernel log.
pub fn uptime() -> Duration {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
    Duration::new(now.tv_sec.max(0) as u64, now.tv_nsec.clamp(0, 999_999_999) as u32)
}
