//! What each network link is doing, for /status and the live page: its role, interface,
//! address and how it got it, the computer on the other end of the USB link, and the last
//! error (a wrong setting shows here as well as in /log). Written by the service threads,
//! read by the HTTP server; a few entries, each replaced in place, so memory stays bounded.

use std::fmt::Write;
use std::net::Ipv4Addr;
use std::sync::Mutex;

/// What a link is for. One entry per role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Where the board is a DHCP client (Ethernet adapter, or Wi-Fi when it is the uplink).
    Uplink,
    /// The USB Ethernet gadget: fixed address, our DHCP server, one computer.
    Usb,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Uplink => "uplink",
            Role::Usb => "usb",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub role: Role,
    /// The interface (usb0, eth0 ...); empty until one is found.
    pub interface: String,
    pub address: Option<(Ipv4Addr, u8)>,
    /// "dhcp", "static", "fixed" (the USB link's own address).
    pub method: Option<&'static str>,
    /// A short state in words: "waiting for a computer", "up", "no lease" ...
    pub status: String,
    /// USB link: the address leased to the computer and the name it sent.
    pub peer: Option<(Ipv4Addr, Option<String>)>,
    /// The last thing that went wrong, or None once the link works.
    pub error: Option<String>,
}

impl Link {
    fn new(role: Role) -> Link {
        Link {
            role,
            interface: String::new(),
            address: None,
            method: None,
            status: "starting".into(),
            peer: None,
            error: None,
        }
    }
}

struct State {
    links: Vec<Link>,
    /// The `.local` name the mDNS responder holds (after any conflict renaming).
    mdns_name: Option<String>,
}

static STATE: Mutex<State> = Mutex::new(State { links: Vec::new(), mdns_name: None });

fn with_state<T>(f: impl FnOnce(&mut State) -> T) -> T {
    // A panicking writer leaves plain data behind; keep serving it.
    let mut state = STATE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    f(&mut state)
}

/// Changes the entry of `role` (created on first use).
pub fn update(role: Role, change: impl FnOnce(&mut Link)) {
    with_state(|state| {
        let index = match state.links.iter().position(|link| link.role == role) {
            Some(index) => index,
            None => {
                state.links.push(Link::new(role));
                state.links.len() - 1
            }
        };
        change(&mut state.links[index]);
    });
}

/// Records an error on `role` (and logs it once, here).
pub fn fail(role: Role, error: impl std::fmt::Display) {
    let text = error.to_string();
    log::error!("{text}");
    update(role, |link| link.error = Some(text));
}

pub fn links() -> Vec<Link> {
    with_state(|state| state.links.clone())
}

pub fn link(role: Role) -> Option<Link> {
    with_state(|state| state.links.iter().find(|link| link.role == role).cloned())
}

pub fn set_mdns_name(name: Option<String>) {
    with_state(|state| state.mdns_name = name);
}

pub fn mdns_name() -> Option<String> {
    with_state(|state| state.mdns_name.clone())
}

/// The `network` object of /status.
pub fn json() -> String {
    use crate::http::status::quoted;
    let opt = |text: Option<&str>| text.map_or_else(|| "null".to_string(), quoted);
    let mut out = String::from("{\"links\":[");
    for (index, link) in links().iter().enumerate() {
        let _ = write!(
            out,
            "{}{{\"role\":\"{}\",\"interface\":{},\"address\":{},\"method\":{},\"status\":{},\"peer\":{},\"error\":{}}}",
            if index > 0 { "," } else { "" },
            link.role.name(),
            quoted(&link.interface),
            opt(link.address.map(|(address, prefix)| format!("{address}/{prefix}")).as_deref()),
            opt(link.method),
            quoted(&link.status),
            link.peer.as_ref().map_or_else(
                || "null".to_string(),
                |(address, name)| format!("{{\"address\":\"{address}\",\"hostname\":{}}}", opt(name.as_deref()))
            ),
            opt(link.error.as_deref()),
        );
    }
    let _ = write!(
        out,
        "],\"mdns\":{},\"wifi\":{}}}",
        opt(mdns_name().map(|name| format!("{name}.local")).as_deref()),
        crate::net::wifi::status::STATUS.json()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_replaced_in_place_and_shown_as_json() {
        update(Role::Usb, |link| {
            link.interface = "usb0".into();
            link.address = Some((Ipv4Addr::new(192, 168, 7, 1), 24));
            link.method = Some("fixed");
            link.status = "up".into();
            link.peer = Some((Ipv4Addr::new(192, 168, 7, 2), Some("lap\"top".into())));
        });
        update(Role::Usb, |link| link.status = "computer connected".into());
        let usb: Vec<_> = links().into_iter().filter(|link| link.role == Role::Usb).collect();
        assert_eq!(usb.len(), 1);
        assert_eq!(usb[0].status, "computer connected");
        let json = json();
        assert!(json.contains(
            "{\"role\":\"usb\",\"interface\":\"usb0\",\"address\":\"192.168.7.1/24\",\"method\":\"fixed\",\
             \"status\":\"computer connected\",\"peer\":{\"address\":\"192.168.7.2\",\"hostname\":\"lap\\\"top\"},\"error\":null}"
        ), "{json}");
        let parsed: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        assert!(parsed["links"].is_array());
    }
}
