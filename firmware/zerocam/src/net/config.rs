//! The `[network]` table of zerocam.toml: how the board gets an address. Every key has a
//! default so an empty file boots.

use serde::Deserialize;
use std::net::Ipv4Addr;

/// `[network]`: how the board gets an address. `[wifi]` repeats the addressing keys
/// (`dhcp` ... `dns`) with its own defaults instead of sharing a flattened struct: serde's
/// `flatten` cannot be combined with `deny_unknown_fields`, which names a misspelt key.
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkConfig {
    /// The uplink's interface name (where the board is a DHCP client), or "auto": the first
    /// of eth0 and wlan0 to appear (and usb0 when `[usb] mode = "host"`, for adapters that
    /// name themselves so). The USB gadget link is not the uplink: see `[usb]`.
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
    /// Answer `<hostname>.local` by multicast DNS and advertise the web page by DNS-SD
    /// (`_http._tcp`) on every interface that is up.
    pub mdns: bool,
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
            mdns: true,
        }
    }
}

impl NetworkConfig {
    /// The static address and prefix, if configured and sane.
    pub fn static_address(&self) -> Option<(Ipv4Addr, u8)> {
        static_address(self.address, self.prefix)
    }
}

/// `[usb]`: the Zero's OTG port ("USB", not "PWR"). By default it offers a USB Ethernet
/// link to a computer plugged into it, with a fixed address for the board and one DHCP lease
/// for the computer, and no route or name server, so the computer keeps its own internet.
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct UsbConfig {
    pub mode: UsbMode,
    /// The board's address on the USB link.
    pub address: Ipv4Addr,
    /// The one address leased to the computer at the other end.
    pub host_address: Ipv4Addr,
    /// Prefix length of the USB link's subnet.
    pub prefix: u8,
    /// The USB device controller to bind the gadget to (a name in /sys/class/udc), or "auto":
    /// the first one, preferring a real controller over the emulated `dummy_udc`.
    pub udc: String,
    pub lease_secs: u32,
}

/// How the OTG port is used.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum UsbMode {
    /// Offer the USB Ethernet gadget and let the cable decide: a plain cable to a computer
    /// makes the port a device (the gadget), an OTG adapter (ID pin grounded) makes it a
    /// host for adapters and webcams. The default.
    Auto,
    /// As `auto`, and where the kernel has a USB role switch, force the device role.
    Gadget,
    /// Never offer the gadget: the port is only a USB host (an Ethernet adapter, a webcam).
    Host,
}

impl Default for UsbConfig {
    fn default() -> Self {
        UsbConfig {
            mode: UsbMode::Auto,
            address: Ipv4Addr::new(192, 168, 7, 1),
            host_address: Ipv4Addr::new(192, 168, 7, 2),
            prefix: 24,
            udc: "auto".into(),
            lease_secs: 3600,
        }
    }
}

impl UsbConfig {
    pub fn gadget_wanted(&self) -> bool {
        self.mode != UsbMode::Host
    }

    /// The addresses make one usable link: same subnet, different, neither the network nor
    /// the broadcast address. The error says what to fix.
    pub fn check(&self) -> Result<(), String> {
        if !(8..=30).contains(&self.prefix) {
            return Err(format!("[usb] prefix = {} must be 8 to 30", self.prefix));
        }
        let mask = u32::MAX << (32 - u32::from(self.prefix));
        let (board, host) = (u32::from(self.address), u32::from(self.host_address));
        if board & mask != host & mask {
            return Err(format!(
                "[usb] address {} and host_address {} are not in one /{} subnet",
                self.address, self.host_address, self.prefix
            ));
        }
        if board == host {
            return Err(format!("[usb] address and host_address are both {}", self.address));
        }
        for value in [board, host] {
            if value & !mask == 0 || value & !mask == !mask {
                return Err(format!(
                    "[usb] {} is the subnet's network or broadcast address",
                    Ipv4Addr::from(value)
                ));
            }
        }
        if self.lease_secs < 60 {
            return Err(format!("[usb] lease_secs = {} is below 60", self.lease_secs));
        }
        Ok(())
    }
}

/// A static uplink address inside the USB link's subnet would make the two links fight
/// over one route; says so, for the log and /status.
pub fn overlaps_usb(network: &NetworkConfig, usb: &UsbConfig) -> Option<String> {
    let (address, prefix) = network.static_address()?;
    let shorter = prefix.min(usb.prefix).clamp(1, 32);
    let mask = u32::MAX << (32 - u32::from(shorter));
    (u32::from(address) & mask == u32::from(usb.address) & mask).then(|| {
        format!(
            "[network] address {address}/{prefix} overlaps the USB link {}/{} ([usb] address)",
            usb.address, usb.prefix
        )
    })
}

/// A static address with its prefix length, if the address is set and the prefix sane
/// (shared by `[network]` and `[wifi]`).
pub fn static_address(address: Option<Ipv4Addr>, prefix: u8) -> Option<(Ipv4Addr, u8)> {
    address.filter(|_| (1..=32).contains(&prefix)).map(|address| (address, prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_static_uplink_inside_the_usb_subnet_is_refused() {
        let usb = UsbConfig::default();
        let inside = NetworkConfig { address: Some(Ipv4Addr::new(192, 168, 7, 2)), ..Default::default() };
        assert!(overlaps_usb(&inside, &usb).is_some_and(|why| why.contains("overlaps the USB link")));
        let outside = NetworkConfig { address: Some(Ipv4Addr::new(192, 168, 1, 50)), ..Default::default() };
        assert_eq!(overlaps_usb(&outside, &usb), None);
        assert_eq!(overlaps_usb(&NetworkConfig::default(), &usb), None, "no static address");
    }

    #[test]
    fn usb_defaults_make_a_working_link() {
        let usb = UsbConfig::default();
        assert_eq!(usb.check(), Ok(()));
        assert!(usb.gadget_wanted());
        let parsed: UsbConfig = toml::from_str("mode = \"host\"").expect("parses");
        assert!(!parsed.gadget_wanted());
        assert!(toml::from_str::<UsbConfig>("mode = \"otg\"").is_err(), "unknown mode");
        assert!(toml::from_str::<UsbConfig>("adress = \"192.168.7.1\"").is_err(), "unknown key");
    }

    #[test]
    fn usb_addresses_are_checked() {
        let bad = |usb: UsbConfig| usb.check().expect_err("refused");
        let base = UsbConfig::default();
        assert!(
            bad(UsbConfig { host_address: Ipv4Addr::new(192, 168, 8, 2), ..base.clone() }).contains("subnet")
        );
        assert!(bad(UsbConfig { host_address: base.address, ..base.clone() }).contains("both"));
        assert!(bad(UsbConfig { host_address: Ipv4Addr::new(192, 168, 7, 255), ..base.clone() })
            .contains("broadcast"));
        assert!(bad(UsbConfig { prefix: 31, ..base.clone() }).contains("prefix"));
        assert!(bad(UsbConfig { lease_secs: 5, ..base }).contains("60"));
    }
}
