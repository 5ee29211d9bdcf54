//! What the Wi-Fi link is doing, in words a user acts on ("wrong passphrase", "network not
//! found"), for /status and the live page. Written by the Wi-Fi threads, read by the HTTP
//! server; one small record replaced in place. Never holds a passphrase or key: only SSIDs,
//! addresses and messages built from them.

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::sync::Mutex;

/// The state shown as `network.wifi.state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// No `[[wifi.network]]` configured.
    Off,
    /// `[wifi]` has a mistake; Wi-Fi stays off until it is fixed.
    ConfigError,
    /// Mounting the bundle, loading the driver, starting wpa_supplicant.
    Starting,
    /// The radio never appeared (a Zero without W, or the driver failed).
    NoRadio,
    Scanning,
    /// Associated and keyed, waiting for DHCP.
    GettingAddress,
    Connected,
    Disconnected,
    WrongPassphrase,
    NetworkNotFound,
    /// wpa_supplicant gave a network a rest for a reason other than the key.
    CannotConnect,
    /// wpa_supplicant is not running (it is restarted).
    SupplicantDown,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Off => "off",
            State::ConfigError => "config error",
            State::Starting => "starting",
            State::NoRadio => "no radio",
            State::Scanning => "scanning",
            State::GettingAddress => "getting an address",
            State::Connected => "connected",
            State::Disconnected => "disconnected",
            State::WrongPassphrase => "wrong passphrase",
            State::NetworkNotFound => "network not found",
            State::CannotConnect => "cannot connect",
            State::SupplicantDown => "wpa_supplicant restarting",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WifiStatus {
    pub state: State,
    pub interface: String,
    /// The network associated with (or last tried).
    pub ssid: Option<String>,
    pub address: Option<(Ipv4Addr, u8)>,
    /// "dhcp" or "static".
    pub method: Option<&'static str>,
    /// What went wrong last, in words; cleared once connected.
    pub error: Option<String>,
    /// Times the link came up (the first association counts).
    pub connections: u32,
}

impl WifiStatus {
    const fn new() -> WifiStatus {
        WifiStatus {
            state: State::Off,
            interface: String::new(),
            ssid: None,
            address: None,
            method: None,
            error: None,
            connections: 0,
        }
    }
}

/// The record behind a lock. The board has one ([`STATUS`]); tests make their own.
pub struct StatusCell(Mutex<WifiStatus>);

/// The board's Wi-Fi status.
pub static STATUS: StatusCell = StatusCell::new();

impl Default for StatusCell {
    fn default() -> Self {
        StatusCell::new()
    }
}

impl StatusCell {
    pub const fn new() -> StatusCell {
        StatusCell(Mutex::new(WifiStatus::new()))
    }

    /// Changes the record; logs the state when it changes, and any new error.
    pub fn update(&self, change: impl FnOnce(&mut WifiStatus)) {
        // A panicking writer leaves plain data behind; keep serving it.
        let mut status = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let before = status.clone();
        change(&mut status);
        if status.state != before.state {
            log::info!("wifi: {}", describe(&status));
        }
        if status.error != before.error {
            if let Some(error) = &status.error {
                log::error!("wifi: {error}");
            }
        }
    }

    pub fn get(&self) -> WifiStatus {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// The `wifi` object of /status.
    pub fn json(&self) -> String {
        use crate::http::status::quoted;
        let status = self.get();
        let opt = |text: Option<&str>| text.map_or_else(|| "null".to_string(), quoted);
        format!(
            "{{\"state\":{},\"interface\":{},\"ssid\":{},\"address\":{},\"method\":{},\"error\":{},\"connections\":{}}}",
            quoted(status.state.name()),
            opt((!status.interface.is_empty()).then_some(status.interface.as_str())),
            opt(status.ssid.as_deref()),
            opt(status.address.map(|(address, prefix)| format!("{address}/{prefix}")).as_deref()),
            opt(status.method),
            opt(status.error.as_deref()),
            status.connections,
        )
    }
}

fn describe(status: &WifiStatus) -> String {
    let mut out = status.state.name().to_owned();
    if let Some(ssid) = &status.ssid {
        let _ = write!(out, " ({ssid:?})");
    }
    if let (Some((address, prefix)), Some(method)) = (status.address, status.method) {
        let _ = write!(out, ", {} {address}/{prefix} by {method}", status.interface);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_valid_and_says_what_is_wrong() {
        let cell = StatusCell::new();
        cell.update(|status| {
            status.state = State::WrongPassphrase;
            status.interface = "wlan0".into();
            status.ssid = Some("Home \"5G\"".into());
            status.error = Some("wrong passphrase for \"Home \\\"5G\\\"\"".into());
        });
        let parsed: serde_json::Value = serde_json::from_str(&cell.json()).expect("valid JSON");
        assert_eq!(parsed["state"], "wrong passphrase");
        assert_eq!(parsed["ssid"], "Home \"5G\"");
        assert_eq!(parsed["address"], serde_json::Value::Null);
        cell.update(|status| {
            status.state = State::Connected;
            status.address = Some((Ipv4Addr::new(192, 168, 50, 10), 24));
            status.method = Some("dhcp");
            status.error = None;
        });
        let parsed: serde_json::Value = serde_json::from_str(&cell.json()).expect("valid JSON");
        assert_eq!(parsed["address"], "192.168.50.10/24");
        assert_eq!(parsed["error"], serde_json::Value::Null);
    }
}
