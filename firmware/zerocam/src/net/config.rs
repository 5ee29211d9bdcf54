//! The `[network]` table of zerocam.toml: how the board gets an address. Every key has a
//! default so an empty file boots.

use serde::Deserialize;
use std::net::Ipv4Addr;

/// `[network]`: how the board gets an address.
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkConfig {
    /// Interface name, or "auto": the first of eth0, usb0, wlan0 to appear.
    pub interface: String,
    /// How long to wait for the interface to appear (USB adapters enumerate late).
    pub interface_wait_secs: u32,
    /// Ask a DHCP server for an address first.
    pub dhcp: bool,
    /// Give up on DHCP after this long and use the static address (if one is set).
    pub dhcp_timeout_secs: u32,
    /// Static address: used when `dhcp` is off, or as the fallback when DHCP gets no answer.
    pub address: Option<Ipv4Addr>,
    /// Prefix length of the static address.
    pub prefix: u8,
    pub gateway: Option<Ipv4Addr>,
    /// Name servers written to /etc/resolv.conf and used to resolve `ntp` host names
    /// (DHCP's are used when it gives some).
    pub dns: Vec<Ipv4Addr>,
    /// NTP servers to set the clock from (the board has no RTC): addresses or host names,
    /// optionally with ":port". Tried before DHCP option 42's servers and the gateway.
    pub ntp: Vec<String>,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            interface: "auto".into(),
            interface_wait_secs: 10,
            dhcp: true,
            dhcp_timeout_secs: 10,
            address: None,
            prefix: 24,
            gateway: None,
            dns: Vec::new(),
            ntp: Vec::new(),
        }
    }
}

impl NetworkConfig {
    /// The static address and prefix, if configured and sane.
    pub fn static_address(&self) -> Option<(Ipv4Addr, u8)> {
        self.address.filter(|_| (1..=32).contains(&self.prefix)).map(|address| (address, self.prefix))
    }
}
