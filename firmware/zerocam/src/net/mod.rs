//! Network services of the board, apart from PID-1 duties (which only call [`start`]):
//! interface configuration ([`link`]), the DHCP client on the uplink ([`uplink`]), the clock
//! from SNTP ([`clock`], the board has no RTC), Wi-Fi ([`wifi`]: wpa_supplicant supervised,
//! DHCP on wlan0 each time it associates) and the request/reply UDP helper they share.
//!
//! Everything here runs on threads of its own, so the HTTP server (listening on 0.0.0.0) is
//! up before any address is.

pub mod clock;
pub mod config;
mod dhcp_client;
mod dhcp_packet;
pub mod error;
pub mod link;
mod udp;
mod uplink;
pub mod wifi;

pub use config::NetworkConfig;
pub use error::NetError;
pub use wifi::WifiConfig;

/// Brings the network up as `[network]` and `[wifi]` say, on threads of its own; returns at
/// once. Wi-Fi, when configured, owns its interface: the uplink's "auto" then leaves it.
pub fn start(network: NetworkConfig, wifi: WifiConfig, hostname: String) {
    if let Err(err) = link::set_up("lo") {
        log::error!("{err}");
    }
    let wifi_interface = wifi.enabled().then(|| wifi.interface.clone());
    wifi::start(wifi, hostname.clone(), network.ntp.clone());
    uplink::start(network, hostname, wifi_interface);
}
