//! The uplink: the one interface on which the board is a DHCP client (an Ethernet adapter
//! on the OTG port, QEMU's usb-net in emulation, or Wi-Fi), an address by DHCP with the static
//! address from `[network]` as the fallback, and lease renewal. Runs on its own thread so the
//! HTTP server (listening on 0.0.0.0) is up before the address is. Once there is an address
//! the clock thread starts (the board has no RTC).

use super::clock;
use super::config::NetworkConfig;
use super::dhcp_client::{Client, Lease};
use super::error::NetError;
use super::link;
use super::state::{self, Role};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::Path;
use std::time::Duration;

/// Interfaces "auto" picks from, in order of preference. usb0 is the USB gadget's when it
/// is on (see `usb_link`); only with `[usb] mode = "host"` can it be an adapter.
const AUTO_INTERFACES: [&str; 2] = ["eth0", "wlan0"];
const AUTO_INTERFACES_NO_GADGET: [&str; 3] = ["eth0", "usb0", "wlan0"];
/// With no static fallback, DHCP is retried this often until a server answers.
const DHCP_RETRY: Duration = Duration::from_secs(30);

/// `wifi`: the interface the Wi-Fi service runs itself (DHCP on each association), which
/// "auto" must not pick.
pub fn start(config: NetworkConfig, hostname: String, gadget: bool, wifi: Option<String>) {
    let spawned = std::thread::Builder::new()
        .name("network".into())
        .spawn(move || run(&config, &hostname, gadget, wifi.as_deref()));
    if let Err(err) = spawned {
        state::fail(Role::Uplink, format!("cannot start the network thread: {err}"));
    }
}

fn run(config: &NetworkConfig, hostname: &str, gadget: bool, wifi: Option<&str>) {
    state::update(Role::Uplink, |link| link.status = "waiting for an interface".into());
    let interface = wait_for_interface(config, gadget, wifi);
    state::update(Role::Uplink, |link| {
        link.interface = interface.clone();
        link.status = "getting an address".into();
        link.error = None;
    });
    while let Err(err) = link::bring_up(&interface, link::REGISTER_WAIT) {
        state::fail(Role::Uplink, format!("{err}; retrying in {} s", DHCP_RETRY.as_secs()));
        std::thread::sleep(DHCP_RETRY);
    }
    if !config.dhcp {
        use_static(config, &interface);
        return;
    }
    let client = match link::mac_address(&interface).and_then(|mac| Client::new(&interface, mac, hostname)) {
        Ok(client) => client,
        Err(err) => {
            state::fail(Role::Uplink, err);
            use_static(config, &interface);
            return;
        }
    };
    let timeout = Duration::from_secs(u64::from(config.dhcp_timeout_secs.max(1)));
    let mut lease = loop {
        match client.obtain(timeout, None) {
            Ok(lease) => break lease,
            Err(err) if config.static_address().is_some() => {
                log::warn!("{err}; using the static address");
                use_static(config, &interface);
                return;
            }
            Err(err) => {
                log::warn!("{err}; no static address configured, retrying in {} s", DHCP_RETRY.as_secs());
                state::update(Role::Uplink, |link| {
                    link.status = "no DHCP answer yet".into();
                    link.error = Some(err.to_string());
                });
                std::thread::sleep(DHCP_RETRY);
            }
        }
    };
    apply_lease(&interface, &lease);
    let dns = if lease.dns.is_empty() { &config.dns } else { &lease.dns };
    start_clock(config, lease.ntp.clone(), lease.router, dns);
    renew_forever(&client, &interface, &mut lease);
}

/// Renews at half the lease time (RFC 2131's T1); on failure keeps the address and retries.
fn renew_forever(client: &Client, interface: &str, lease: &mut Lease) -> ! {
    loop {
        std::thread::sleep(Duration::from_secs(u64::from(lease.lease_secs / 2)));
        match client.obtain(Duration::from_secs(30), Some(lease.address)) {
            Ok(renewed) if renewed == *lease => log::debug!("dhcp lease renewed"),
            Ok(renewed) => {
                *lease = renewed;
                apply_lease(interface, lease);
            }
            Err(err) => log::warn!("{err}; keeping {}", lease.address),
        }
    }
}

fn apply_lease(interface: &str, lease: &Lease) {
    let result = configure(interface, lease.address, lease.prefix, lease.router, &lease.dns);
    match result {
        Ok(()) => {
            log::info!(
                "{interface} {}/{} via {} (dhcp from {}, lease {} s)",
                lease.address,
                lease.prefix,
                show(lease.router),
                show(lease.server),
                lease.lease_secs
            );
            record_address(lease.address, lease.prefix, "dhcp");
        }
        Err(err) => state::fail(Role::Uplink, err),
    }
}

fn use_static(config: &NetworkConfig, interface: &str) {
    let Some((address, prefix)) = config.static_address() else {
        state::update(Role::Uplink, |link| link.status = "no address".into());
        state::fail(
            Role::Uplink,
            format!("no DHCP lease and no static address in [network]; {interface} has no address"),
        );
        return;
    };
    match configure(interface, address, prefix, config.gateway, &config.dns) {
        Ok(()) => {
            log::info!("{interface} {address}/{prefix} via {} (static)", show(config.gateway));
            record_address(address, prefix, "static");
            start_clock(config, Vec::new(), config.gateway, &config.dns);
        }
        Err(err) => state::fail(Role::Uplink, err),
    }
}

fn record_address(address: Ipv4Addr, prefix: u8, method: &'static str) {
    state::update(Role::Uplink, |link| {
        link.address = Some((address, prefix));
        link.method = Some(method);
        link.status = "up".into();
        link.error = None;
    });
}

fn start_clock(config: &NetworkConfig, dhcp_ntp: Vec<Ipv4Addr>, gateway: Option<Ipv4Addr>, dns: &[Ipv4Addr]) {
    clock::start(clock::Sources {
        configured: config.ntp.clone(),
        dhcp: dhcp_ntp,
        gateway,
        dns: dns.iter().map(|&server| SocketAddrV4::new(server, clock::DNS_PORT)).collect(),
    });
}

fn configure(
    interface: &str,
    address: Ipv4Addr,
    prefix: u8,
    gateway: Option<Ipv4Addr>,
    dns: &[Ipv4Addr],
) -> Result<(), NetError> {
    link::set_address(interface, address, prefix)?;
    if let Some(gateway) = gateway {
        link::add_default_route(gateway)?;
    }
    if !dns.is_empty() {
        write_resolv_conf(dns);
    }
    Ok(())
}

/// For helpers that resolve names (zerocam resolves NTP server names itself, see net/clock/dns.rs,
/// since the static glibc has no NSS). The root filesystem is RAM.
fn write_resolv_conf(dns: &[Ipv4Addr]) {
    let text: String = dns.iter().map(|server| format!("nameserver {server}\n")).collect();
    if let Err(err) = std::fs::write("/etc/resolv.conf", text) {
        log::warn!("cannot write /etc/resolv.conf: {err}");
    }
}

/// Waits for the uplink's interface, for as long as it takes: an adapter plugged in an hour
/// after power-on is still used. Past `interface_wait_secs` the wait is reported on /status
/// (and polled less often), so a user who expected an adapter sees why there is no network.
fn wait_for_interface(config: &NetworkConfig, gadget: bool, wifi: Option<&str>) -> String {
    let limit = Duration::from_secs(u64::from(config.interface_wait_secs));
    let started = std::time::Instant::now();
    let mut reported = false;
    loop {
        if let Some(found) = present_interface(config, gadget, wifi) {
            if reported {
                log::info!("uplink: {found} appeared {} s after start-up", started.elapsed().as_secs());
            }
            return found;
        }
        if !reported && started.elapsed() >= limit {
            reported = true;
            let reach = if gadget {
                "reach the camera over USB"
            } else {
                "the camera is unreachable until one appears"
            };
            state::update(Role::Uplink, |link| link.status = "no interface".into());
            state::fail(
                Role::Uplink,
                format!("no interface {} appeared within {} s; {reach}", config.interface, limit.as_secs()),
            );
        }
        std::thread::sleep(if reported { Duration::from_secs(1) } else { Duration::from_millis(50) });
    }
}

/// The interface to use, if it exists now: the configured one, or the first of the "auto"
/// candidates (never the one the Wi-Fi service runs).
fn present_interface(config: &NetworkConfig, gadget: bool, wifi: Option<&str>) -> Option<String> {
    let exists = |name: &str| Path::new("/sys/class/net").join(name).exists();
    if config.interface != "auto" {
        return exists(&config.interface).then(|| config.interface.clone());
    }
    let candidates: &[&str] = if gadget { &AUTO_INTERFACES } else { &AUTO_INTERFACES_NO_GADGET };
    candidates.iter().find(|name| Some(**name) != wifi && exists(name)).map(|name| (*name).to_owned())
}

fn show(address: Option<Ipv4Addr>) -> String {
    address.map_or_else(|| "-".to_owned(), |address| address.to_string())
}
