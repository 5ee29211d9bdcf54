//! Network services of the board, apart from PID-1 duties (which only call [`start`]):
//! interface configuration ([`link`]), the DHCP client on the uplink ([`uplink`]), the USB
//! Ethernet gadget with its DHCP server ([`usb_link`], [`usb_gadget`], [`dhcp_server`]), the
//! mDNS/DNS-SD responder ([`mdns`]), Wi-Fi ([`wifi`]: wpa_supplicant supervised, DHCP on
//! wlan0 each time it associates), the clock from SNTP ([`clock`], the board has no RTC),
//! and what each link is doing for /status ([`state`]).
//!
//! Every service runs on a thread of its own and none waits for another, so the HTTP server
//! (listening on 0.0.0.0) is up before any address is, and the USB link comes up whatever
//! happens on the uplink.

pub mod clock;
pub mod config;
mod dhcp_client;
mod dhcp_packet;
pub mod dhcp_server;
pub mod error;
pub mod link;
pub mod mdns;
pub mod state;
mod udp;
mod uplink;
pub mod usb_gadget;
mod usb_link;
pub mod wifi;

pub use config::{NetworkConfig, UsbConfig, UsbMode};
pub use error::NetError;
pub use wifi::WifiConfig;

/// Brings the network up as `[network]`, `[usb]` and `[wifi]` say, on threads of their own;
/// returns at once. `http_port` is what mDNS advertises for the web page. Wi-Fi, when
/// configured, owns its interface: the uplink's "auto" then leaves it alone.
pub fn start(mut network: NetworkConfig, usb: UsbConfig, wifi: WifiConfig, hostname: String, http_port: u16) {
    if let Err(err) = link::set_up("lo") {
        log::error!("{err}");
    }
    let gadget = usb.gadget_wanted();
    if gadget {
        if let Some(why) = config::overlaps_usb(&network, &usb) {
            state::fail(state::Role::Uplink, format!("{why}; the static address is not used"));
            network.address = None;
        }
    }
    usb_link::start(usb);
    if network.mdns {
        mdns::start(mdns::Service::web_page(&hostname, http_port));
    }
    let wifi_interface = wifi.enabled().then(|| wifi.interface.clone());
    wifi::start(wifi, hostname.clone(), network.ntp.clone());
    uplink::start(network, hostname, gadget, wifi_interface);
}
