//! Network services of the board, apart from PID-1 duties (which only call [`start`]):
//! interface configuration ([`link`]), the DHCP client on the uplink ([`uplink`]), the clock
//! from SNTP ([`clock`], the board has no RTC) and the request/reply UDP helper they share.
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

pub use config::NetworkConfig;
pub use error::NetError;

/// Brings the network up as `[network]` says, on threads of its own; returns at once.
pub fn start(network: NetworkConfig, hostname: String) {
    if let Err(err) = link::set_up("lo") {
        log::error!("{err}");
    }
    uplink::start(network, hostname);
}
