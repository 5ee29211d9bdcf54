//! The USB link: loads the gadget modules, builds the gadget ([`super::usb_gadget`]), then
//! follows the computer at the other end. Whichever gadget interface has carrier (the
//! RNDIS one for Windows, the ECM one for macOS and Linux) gets the board's fixed address,
//! and the DHCP server ([`super::dhcp_server`]) answers on both. Runs on its own thread and
//! depends on no other network setting, so a wrong Wi-Fi or uplink value never costs the
//! way in over USB.

use super::config::{UsbConfig, UsbMode};
use super::dhcp_server::{Lease, Server};
use super::error::NetError;
use super::state::{self, Role};
use super::{link, usb_gadget};
use std::path::Path;
use std::time::{Duration, Instant};

/// The gadget's kernel modules (board/modules.extra ships them).
pub const MODULES: [&str; 3] = ["libcomposite", "usb_f_rndis", "usb_f_ecm"];
/// How often carrier is looked at, and the DHCP server's wait between looks.
const POLL: Duration = Duration::from_millis(250);

pub fn start(config: UsbConfig) {
    if !config.gadget_wanted() {
        state::update(Role::Usb, |link| link.status = "off: [usb] mode = \"host\"".into());
        log::info!("mode = host, no USB Ethernet gadget");
        return;
    }
    let spawned = std::thread::Builder::new().name("usb-link".into()).spawn(move || run(config));
    if let Err(err) = spawned {
        state::fail(Role::Usb, format!("cannot start the USB link thread: {err}"));
    }
}

fn run(mut config: UsbConfig) {
    if let Err(why) = config.check() {
        state::fail(Role::Usb, format!("{why}; using the default USB addresses"));
        config = UsbConfig { mode: config.mode, udc: config.udc, ..UsbConfig::default() };
    }
    let gadget = match bring_up(&config) {
        Ok(gadget) => gadget,
        Err(err) => return state::fail(Role::Usb, err),
    };
    log::info!(
        "gadget on {} ({} for Windows, {} for macOS/Linux); the board is {} there",
        gadget.udc,
        gadget.interfaces[0],
        gadget.interfaces.get(1).map_or("-", String::as_str),
        config.address
    );
    serve(&config, &gadget.interfaces);
}

fn bring_up(config: &UsbConfig) -> Result<usb_gadget::Gadget, NetError> {
    state::update(Role::Usb, |link| link.status = "loading the gadget modules".into());
    // Loading modules runs in this thread's context: at a lower priority it leaves the
    // single core to the first frame and the HTTP server. The thread stays there: answering
    // one computer's DHCP needs very little CPU.
    crate::pid1::modules::lower_thread_priority();
    let names: Vec<String> = MODULES.iter().map(|name| (*name).to_owned()).collect();
    for failure in crate::pid1::modules::load(&names).failed {
        log::warn!("{failure}");
    }
    usb_gadget::mount_configfs()?;
    if config.mode == UsbMode::Gadget {
        force_device_role();
    }
    state::update(Role::Usb, |link| {
        link.status = format!("waiting for USB device controller {}", config.udc)
    });
    let udc = wait_for_udc(&config.udc);
    usb_gadget::build(&Path::new(usb_gadget::CONFIGFS).join("usb_gadget"), &udc, &usb_gadget::board_serial())
}

/// The controller appears when its driver probes (dummy_hcd is loaded late in emulation).
fn wait_for_udc(wanted: &str) -> String {
    let started = Instant::now();
    let mut warned = false;
    loop {
        if let Some(udc) = usb_gadget::pick_udc(&usb_gadget::list_udcs(), wanted) {
            return udc;
        }
        if !warned && started.elapsed() > Duration::from_secs(30) {
            state::fail(Role::Usb, format!("no USB device controller {wanted:?} in /sys/class/udc yet"));
            warned = true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `[usb] mode = "gadget"`: where the controller has a USB role switch, ask for the device
/// role instead of trusting the cable's ID pin. The Zero's dwc2 usually has none.
fn force_device_role() {
    let Ok(entries) = std::fs::read_dir("/sys/class/usb_role") else { return };
    for entry in entries.flatten() {
        let path = entry.path().join("role");
        match std::fs::write(&path, "device") {
            Ok(()) => log::info!("{} set to device", path.display()),
            Err(err) => log::warn!("cannot set {} to device: {err}", path.display()),
        }
    }
}

/// Follows carrier between the gadget's interfaces and answers DHCP on them, forever.
fn serve(config: &UsbConfig, interfaces: &[String]) {
    for name in interfaces {
        if let Err(err) = link::bring_up(name, link::REGISTER_WAIT) {
            state::fail(Role::Usb, err);
        }
    }
    let servers: Vec<Server> = interfaces
        .iter()
        .filter_map(|name| Server::bind(name).inspect_err(|err| state::fail(Role::Usb, err)).ok())
        .collect();
    let mut lease = Lease::new(config.address, config.host_address, config.prefix, config.lease_secs);
    let mut active: Option<String> = None;
    let mut connected = false;
    state::update(Role::Usb, |link| link.status = "waiting for a computer".into());
    loop {
        let carrier = interfaces.iter().find(|name| link::has_carrier(name)).cloned();
        match &carrier {
            Some(name) if carrier != active => {
                if let Some(old) = active.take() {
                    let _ = link::clear_address(&old);
                }
                match link::set_address(name, config.address, config.prefix) {
                    Ok(()) => {
                        log::info!("a computer chose {name}; {}/{} there", config.address, config.prefix);
                        active = carrier.clone();
                        connected = true;
                        state::update(Role::Usb, |link| {
                            link.interface = name.clone();
                            link.address = Some((config.address, config.prefix));
                            link.method = Some("fixed");
                            link.status = "computer connected".into();
                            link.error = None;
                        });
                    }
                    Err(err) => state::fail(Role::Usb, err),
                }
            }
            Some(name) if !connected => {
                log::info!("a computer is back on {name}");
                connected = true;
                state::update(Role::Usb, |link| link.status = "computer connected".into());
            }
            None if connected => {
                log::info!("the computer went away");
                connected = false;
                state::update(Role::Usb, |link| {
                    link.status = "waiting for a computer".into();
                    link.peer = None;
                });
            }
            _ => {}
        }
        serve_for(&servers, &mut lease, config);
    }
}

/// Answers DHCP on every gadget interface for one [`POLL`].
fn serve_for(servers: &[Server], lease: &mut Lease, config: &UsbConfig) {
    use rustix::event::{poll, PollFd, PollFlags};
    if servers.is_empty() {
        std::thread::sleep(POLL);
        return;
    }
    let mut fds: Vec<PollFd> =
        servers.iter().map(|server| PollFd::new(server.socket(), PollFlags::IN)).collect();
    let timeout = rustix::time::Timespec { tv_sec: 0, tv_nsec: POLL.as_nanos() as i64 };
    if poll(&mut fds, Some(&timeout)).is_err() {
        return;
    }
    let ready: Vec<bool> = fds.iter().map(|fd| fd.revents().contains(PollFlags::IN)).collect();
    for (server, ready) in servers.iter().zip(ready) {
        if !ready {
            continue;
        }
        // Everything queued now; the deadline only stops a flood from starving carrier.
        match server.serve_until(lease, Instant::now() + Duration::from_millis(20)) {
            Ok(true) => {
                let holder = lease.holder.clone();
                let name = holder.as_ref().and_then(|(_, name)| name.clone());
                log::info!("leased {} to {}", config.host_address, name.as_deref().unwrap_or("the computer"));
                state::update(Role::Usb, |link| link.peer = Some((config.host_address, name)));
            }
            Ok(false) => {}
            Err(err) => log::warn!("{err}"),
        }
    }
}
