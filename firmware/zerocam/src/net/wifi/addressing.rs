//! wlan0's address: each time the link comes up (first association, or the access point
//! back after going away) DHCP runs again, asking for the address it had; while up, the
//! lease is renewed at half its time. Without an answer the static `[wifi] address` is
//! used if there is one, else DHCP is tried again while the link stays up. Once there is
//! an address the clock is set by SNTP (if the uplink has not done so already).

use super::config::WifiConfig;
use super::monitor::Link;
use super::status::{State, STATUS};
use crate::net::clock;
use crate::net::dhcp_client::{Client, Lease};
use crate::net::error::NetError;
use crate::net::link;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

/// With no static fallback, DHCP is tried again this often while the link is up.
const DHCP_RETRY: Duration = Duration::from_secs(20);
/// A renewal gets this long before the address is kept and tried again later.
const RENEW_TIMEOUT: Duration = Duration::from_secs(20);

pub struct Addressing {
    pub config: WifiConfig,
    pub hostname: String,
    /// `[network] ntp`, tried first when this link starts the clock.
    pub ntp: Vec<String>,
}

impl Addressing {
    /// Runs until the monitor goes away (never, on the board).
    pub fn run(&self, links: &Receiver<Link>) {
        let interface = self.config.interface.as_str();
        let client = if self.config.dhcp {
            match link::mac_address(interface).and_then(|mac| Client::new(interface, mac, &self.hostname)) {
                Ok(client) => Some(client),
                Err(err) => {
                    log::error!("wifi: {err}; only the static address can be used");
                    None
                }
            }
        } else {
            None
        };
        let mut previous: Option<Ipv4Addr> = None;
        loop {
            // Wait for the link.
            loop {
                match links.recv() {
                    Ok(Link::Up) => break,
                    Ok(Link::Down) => {}
                    Err(_) => return,
                }
            }
            match &client {
                Some(client) => match self.dhcp_while_up(client, links, &mut previous) {
                    Ok(()) => {}
                    Err(Gone) => return,
                },
                None => self.use_static(),
            }
        }
    }

    /// DHCP, then renewals, until the link goes down.
    fn dhcp_while_up(
        &self,
        client: &Client,
        links: &Receiver<Link>,
        previous: &mut Option<Ipv4Addr>,
    ) -> Result<(), Gone> {
        let timeout = Duration::from_secs(u64::from(self.config.dhcp_timeout_secs.max(1)));
        let mut lease = loop {
            match client.obtain(timeout, *previous) {
                Ok(lease) => break lease,
                Err(err) if self.config.static_address().is_some() => {
                    log::warn!("wifi: {err}; using the static address");
                    self.use_static();
                    return wait_for_down(links);
                }
                Err(err) => {
                    STATUS.update(|status| {
                        status.error = Some(format!("{err}: no DHCP server answered; retrying"));
                    });
                    match links.recv_timeout(DHCP_RETRY) {
                        Ok(Link::Down) => return Ok(()),
                        Ok(Link::Up) | Err(RecvTimeoutError::Timeout) => continue,
                        Err(RecvTimeoutError::Disconnected) => return Err(Gone),
                    }
                }
            }
        };
        self.apply(&lease, "dhcp");
        *previous = Some(lease.address);
        loop {
            match links.recv_timeout(Duration::from_secs(u64::from(lease.lease_secs / 2))) {
                Ok(Link::Down) => return Ok(()),
                // Associated again (roamed) without a loss seen in between: ask again.
                Ok(Link::Up) | Err(RecvTimeoutError::Timeout) => {
                    match client.obtain(RENEW_TIMEOUT, Some(lease.address)) {
                        Ok(renewed) if renewed == lease => log::debug!("wifi: dhcp lease renewed"),
                        Ok(renewed) => {
                            lease = renewed;
                            self.apply(&lease, "dhcp");
                            *previous = Some(lease.address);
                        }
                        Err(err) => log::warn!("wifi: {err}; keeping {}", lease.address),
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return Err(Gone),
            }
        }
    }

    fn apply(&self, lease: &Lease, method: &'static str) {
        let interface = &self.config.interface;
        match configure(interface, lease.address, lease.prefix, lease.router) {
            Ok(()) => {
                log::info!(
                    "wifi: {interface} {}/{} via {} (dhcp from {}, lease {} s)",
                    lease.address,
                    lease.prefix,
                    show(lease.router),
                    show(lease.server),
                    lease.lease_secs
                );
                self.mark_connected(lease.address, lease.prefix, method);
                let dns = if lease.dns.is_empty() { &self.config.dns } else { &lease.dns };
                self.start_clock(lease.ntp.clone(), lease.router, dns);
            }
            Err(err) => STATUS.update(|status| status.error = Some(err.to_string())),
        }
    }

    fn use_static(&self) {
        let interface = &self.config.interface;
        let Some((address, prefix)) = self.config.static_address() else {
            STATUS.update(|status| {
                status.error =
                    Some(format!("{interface} has no address: dhcp is off and [wifi] has no address"));
            });
            return;
        };
        match configure(interface, address, prefix, self.config.gateway) {
            Ok(()) => {
                log::info!("wifi: {interface} {address}/{prefix} via {} (static)", show(self.config.gateway));
                self.mark_connected(address, prefix, "static");
                self.start_clock(Vec::new(), self.config.gateway, &self.config.dns);
            }
            Err(err) => STATUS.update(|status| status.error = Some(err.to_string())),
        }
    }

    /// Only a link still waiting for its address becomes "connected": if it went down while
    /// DHCP ran, the monitor's "disconnected" stands.
    fn mark_connected(&self, address: Ipv4Addr, prefix: u8, method: &'static str) {
        STATUS.update(|status| {
            if matches!(status.state, State::GettingAddress | State::Connected) {
                status.state = State::Connected;
                status.address = Some((address, prefix));
                status.method = Some(method);
                status.error = None;
            }
        });
    }

    fn start_clock(&self, dhcp_ntp: Vec<Ipv4Addr>, gateway: Option<Ipv4Addr>, dns: &[Ipv4Addr]) {
        clock::start(clock::Sources {
            configured: self.ntp.clone(),
            dhcp: dhcp_ntp,
            gateway,
            dns: dns.iter().map(|&server| SocketAddrV4::new(server, clock::DNS_PORT)).collect(),
        });
    }
}

/// The monitor (the sending side) is gone.
struct Gone;

fn wait_for_down(links: &Receiver<Link>) -> Result<(), Gone> {
    loop {
        match links.recv() {
            Ok(Link::Down) => return Ok(()),
            Ok(Link::Up) => {}
            Err(_) => return Err(Gone),
        }
    }
}

fn configure(
    interface: &str,
    address: Ipv4Addr,
    prefix: u8,
    gateway: Option<Ipv4Addr>,
) -> Result<(), NetError> {
    link::set_address(interface, address, prefix)?;
    if let Some(gateway) = gateway {
        link::add_default_route(gateway)?;
    }
    Ok(())
}

fn show(address: Option<Ipv4Addr>) -> String {
    address.map_or_else(|| "-".to_owned(), |address| address.to_string())
}
