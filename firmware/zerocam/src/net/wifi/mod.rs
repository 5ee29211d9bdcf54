//! Wi-Fi for the Zero W, when zerocam.toml has `[[wifi.network]]` entries:
//!
//! 1. mount the bundle with wpa_supplicant ([`bundle`], after the loop and squashfs
//!    modules), then load the Wi-Fi modules (/etc/modules.wifi: brcmfmac with its vendor
//!    modules; their firmware is in the initramfs);
//! 2. write wpa_supplicant.conf into /run, mode 0600 ([`supplicant_conf`]);
//! 3. wait for wlan0, then hand `wpa_supplicant` to PID 1's supervisor, which restarts it
//!    whenever it exits;
//! 4. follow it on its control socket ([`monitor`]): association, loss, a wrong key, no
//!    network in range, shown on /status ([`status`]) and in the log;
//! 5. run DHCP each time the link comes up ([`addressing`]).
//!
//! wpa_supplicant itself roams, rescans and reconnects when an access point comes back;
//! zerocam only has to notice and ask for an address again. Nothing here logs or shows a
//! passphrase: [`config::Secret`] prints as `<redacted>`.

mod addressing;
pub mod bundle;
pub mod config;
pub mod events;
pub mod monitor;
pub mod status;
pub mod supplicant_conf;

pub use config::WifiConfig;

use crate::pid1::config::HelperConfig;
use crate::pid1::modules;
use status::{State, STATUS};
use std::path::Path;
use std::time::Duration;

/// Module list loaded before the radio is used (installed by ci/build-image).
pub const MODULE_LIST: &str = "/etc/modules.wifi";
/// wpa_supplicant's configuration, in RAM.
pub const SUPPLICANT_CONF: &str = "/run/zerocam/wpa_supplicant.conf";

/// Starts Wi-Fi on a thread of its own if networks are configured; returns at once.
/// `ntp` is `[network] ntp` (the clock starts from whichever link gets an address first).
pub fn start(config: WifiConfig, hostname: String, ntp: Vec<String>) {
    if !config.enabled() {
        return;
    }
    let spawned = std::thread::Builder::new().name("wifi".into()).spawn(move || run(config, hostname, ntp));
    if let Err(err) = spawned {
        log::error!("cannot start the Wi-Fi thread: {err}");
    }
}

/// Shows a `[wifi]` mistake on /status: the rest of the file was rejected with it, so
/// Wi-Fi stays off, and the other links (USB) keep the board reachable.
pub fn config_rejected(message: &str) {
    STATUS.update(|status| {
        status.state = State::ConfigError;
        status.error = Some(message.to_owned());
    });
}

fn run(config: WifiConfig, hostname: String, ntp: Vec<String>) {
    let interface = config.interface.clone();
    STATUS.update(|status| {
        status.state = State::Starting;
        status.interface = interface.clone();
    });
    let fail = |state: State, error: String| {
        STATUS.update(|status| {
            status.state = state;
            status.error = Some(error);
        });
    };
    // Module loading runs in this thread's context in the kernel: at a lower priority it
    // leaves the single core to the cameras and the server starting meanwhile.
    modules::lower_thread_priority();
    // The bundle, then the radio's modules (cfg80211 and brcmfmac read their firmware files
    // from the initramfs's /lib/firmware as they load): a missing bundle is reported before
    // the radio is brought up for nothing.
    let load = |names: &[String]| {
        for failure in modules::load(names).failed {
            log::error!("wifi: {failure}");
        }
    };
    load(&bundle::MODULES.map(str::to_owned));
    if let Err(err) = bundle::mount_bundle() {
        return fail(State::SupplicantDown, format!("{err}; Wi-Fi cannot start"));
    }
    load(&modules::read_list(MODULE_LIST));
    if let Err(err) = supplicant_conf::write(Path::new(SUPPLICANT_CONF), &supplicant_conf::render(&config)) {
        return fail(State::SupplicantDown, format!("{err}; Wi-Fi cannot start"));
    }
    let wait = Duration::from_secs(u64::from(config.interface_wait_secs));
    if !crate::pid1::mounts::wait_for_path(&Path::new("/sys/class/net").join(&interface), wait) {
        return fail(
            State::NoRadio,
            format!(
                "no Wi-Fi interface {interface} appeared within {} s (a Pi Zero without W has no radio)",
                wait.as_secs()
            ),
        );
    }
    if let Err(err) = crate::net::link::bring_up(&interface, crate::net::link::REGISTER_WAIT) {
        log::error!("wifi: {err}");
    }
    let (links, events) = std::sync::mpsc::channel();
    let addressing = addressing::Addressing { config: config.clone(), hostname, ntp };
    let spawned = std::thread::Builder::new().name("wifi-dhcp".into()).spawn(move || addressing.run(&events));
    if let Err(err) = spawned {
        return fail(State::SupplicantDown, format!("cannot start the Wi-Fi DHCP thread: {err}"));
    }
    crate::pid1::supervise(&[supplicant_helper(&interface)]);
    monitor::run(&config, &links);
}

/// wpa_supplicant as PID 1 runs it: nl80211 driver, our config, no daemonizing (the
/// supervisor waits for it), output to the console.
pub fn supplicant_helper(interface: &str) -> HelperConfig {
    HelperConfig {
        name: "wpa_supplicant".into(),
        path: bundle::SUPPLICANT.into(),
        args: ["-i", interface, "-D", "nl80211", "-c", SUPPLICANT_CONF].map(str::to_owned).to_vec(),
    }
}
