//! Follows wpa_supplicant through its control socket (the `wpa_ctrl` protocol, through the
//! `wpactrl` crate): attaches as a monitor, turns its events into the Wi-Fi status and into
//! link up/down for the addressing thread. When wpa_supplicant dies (the supervisor starts
//! it again) the socket goes quiet and PING fails: the monitor attaches to the new one.

use super::config::WifiConfig;
use super::events::{self, Event};
use super::status::{State, StatusCell, STATUS};
use super::supplicant_conf::CONTROL_DIR;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

/// What the addressing thread is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Up,
    Down,
}

/// Where zerocam binds its end of the control socket.
const CLIENT_DIR: &str = "/run/zerocam";
const POLL: Duration = Duration::from_millis(200);
/// A silent supplicant is asked whether it is still there this often.
const PING_EVERY: Duration = Duration::from_secs(5);
const REATTACH: Duration = Duration::from_secs(1);

/// Runs forever on the calling thread.
pub fn run(config: &WifiConfig, link: &Sender<Link>) -> ! {
    let socket = format!("{CONTROL_DIR}/{}", config.interface);
    let mut tracker = Tracker::new(config, link.clone(), &STATUS);
    let mut was_attached = false;
    loop {
        match attach(&socket) {
            Ok(client) => {
                was_attached = true;
                log::info!("wifi: following wpa_supplicant on {socket}");
                follow(client, &mut tracker);
                tracker.supplicant_gone();
            }
            Err(err) => {
                if was_attached {
                    log::debug!("wifi: cannot attach to {socket}: {err}");
                }
            }
        }
        std::thread::sleep(REATTACH);
    }
}

fn attach(socket: &str) -> Result<wpactrl::ClientAttached, wpactrl::Error> {
    std::fs::create_dir_all(CLIENT_DIR)?;
    wpactrl::Client::builder().cli_path(CLIENT_DIR).ctrl_path(socket).open()?.attach()
}

/// Reads events until the supplicant stops answering.
fn follow(mut client: wpactrl::ClientAttached, tracker: &mut Tracker<'_>) {
    // The link may be up already (zerocam attached to a supplicant that was running).
    match client.request("STATUS") {
        Ok(reply) => tracker.on_status(&events::parse_status(&reply)),
        Err(err) => {
            log::warn!("wifi: STATUS failed: {err}");
            return;
        }
    }
    let mut last_heard = Instant::now();
    loop {
        match client.recv() {
            Ok(Some(message)) => {
                last_heard = Instant::now();
                if let Some(event) = events::parse(&message) {
                    if event == Event::Connected {
                        if let Ok(reply) = client.request("STATUS") {
                            tracker.on_status(&events::parse_status(&reply));
                        }
                    }
                    let terminating = event == Event::Terminating;
                    tracker.on_event(&event);
                    if terminating {
                        return;
                    }
                }
            }
            Ok(None) => {
                if last_heard.elapsed() >= PING_EVERY {
                    match client.request("PING") {
                        Ok(reply) if reply.starts_with("PONG") => last_heard = Instant::now(),
                        _ => return,
                    }
                }
                std::thread::sleep(POLL);
            }
            Err(err) => {
                log::warn!("wifi: control socket: {err}");
                return;
            }
        }
    }
}

/// Turns events into status and link changes. Separate from the socket so it is tested
/// with recorded event sequences.
pub struct Tracker<'a> {
    ssids: String,
    link: Sender<Link>,
    up: bool,
    status: &'a StatusCell,
}

impl<'a> Tracker<'a> {
    pub fn new(config: &WifiConfig, link: Sender<Link>, status: &'a StatusCell) -> Tracker<'a> {
        Tracker { ssids: config.ssid_list(), link, up: false, status }
    }

    fn set_link(&mut self, up: bool) {
        if self.up != up {
            self.up = up;
            // The addressing thread outlives this; a send error means it is gone already.
            let _ = self.link.send(if up { Link::Up } else { Link::Down });
        }
    }

    pub fn on_status(&mut self, reply: &events::Status) {
        if reply.state == "COMPLETED" {
            let ssid = reply.ssid.clone();
            self.status.update(|status| status.ssid = ssid);
            if !self.up {
                self.on_event(&Event::Connected);
            }
        }
    }

    pub fn on_event(&mut self, event: &Event) {
        match event {
            Event::Connected => {
                self.status.update(|status| {
                    status.state = State::GettingAddress;
                    status.error = None;
                    status.connections += 1;
                });
                self.set_link(true);
            }
            Event::Disconnected { reason } => {
                if self.up {
                    let reason = reason.map_or_else(String::new, |code| format!(" (reason {code})"));
                    log::warn!("wifi: link lost{reason}");
                    self.status.update(|status| {
                        status.state = State::Disconnected;
                        status.address = None;
                        status.method = None;
                    });
                }
                self.set_link(false);
            }
            Event::TempDisabled { ssid, wrong_key: true } => {
                let error = format!(
                    "wrong passphrase for {ssid:?}: the access point refused the key; check passphrase \
                     (or psk) of that [[wifi.network]] in zerocam.toml"
                );
                self.status.update(|status| {
                    status.state = State::WrongPassphrase;
                    status.ssid = Some(ssid.clone());
                    status.error = Some(error);
                });
            }
            Event::TempDisabled { ssid, wrong_key: false } => {
                let error =
                    format!("cannot connect to {ssid:?}: the access point did not accept us; retrying");
                self.status.update(|status| {
                    status.state = State::CannotConnect;
                    status.ssid = Some(ssid.clone());
                    status.error = Some(error);
                });
            }
            Event::NetworkNotFound => {
                // A wrong key stays the news: the network is in range but refuses us.
                let error = format!("none of the configured networks ({}) is in range", self.ssids);
                self.status.update(|status| {
                    if !matches!(
                        status.state,
                        State::Connected
                            | State::GettingAddress
                            | State::WrongPassphrase
                            | State::CannotConnect
                    ) {
                        status.state = State::NetworkNotFound;
                        status.error = Some(error);
                    }
                });
            }
            Event::Scanning => self.status.update(|status| {
                if matches!(status.state, State::Starting | State::SupplicantDown) {
                    status.state = State::Scanning;
                }
            }),
            Event::Terminating => self.supplicant_gone(),
        }
    }

    /// wpa_supplicant exited or stopped answering: the link is down until it is back.
    pub fn supplicant_gone(&mut self) {
        self.status.update(|status| {
            status.state = State::SupplicantDown;
            status.address = None;
            status.method = None;
        });
        self.set_link(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::wifi::config::{NetworkKey, Secret, WifiNetwork};
    use std::sync::mpsc;

    /// The status record is one per process: these steps run in one test, in order.
    #[test]
    fn events_drive_the_status_and_the_link() {
        let config = WifiConfig {
            networks: vec![WifiNetwork {
                ssid: "zerocam-test".into(),
                key: NetworkKey::Passphrase(Secret::new("not shown anywhere")),
                hidden: false,
                priority: None,
            }],
            ..WifiConfig::default()
        };
        let (sender, links) = mpsc::channel();
        let cell = StatusCell::new();
        let mut tracker = Tracker::new(&config, sender, &cell);
        let feed = |tracker: &mut Tracker, line: &str| tracker.on_event(&events::parse(line).expect(line));

        feed(&mut tracker, "<3>CTRL-EVENT-SCAN-STARTED ");
        feed(&mut tracker, "<3>CTRL-EVENT-NETWORK-NOT-FOUND");
        assert_eq!(cell.get().state, State::NetworkNotFound);
        assert!(cell.get().error.expect("an error").contains("\"zerocam-test\""));

        feed(
            &mut tracker,
            "<3>CTRL-EVENT-CONNECTED - Connection to 02:00:00:00:01:00 completed [id=0 id_str=]",
        );
        assert_eq!(links.try_recv(), Ok(Link::Up));
        assert_eq!(cell.get().state, State::GettingAddress);
        assert_eq!(cell.get().error, None, "connecting clears the last error");

        feed(&mut tracker, "<3>CTRL-EVENT-DISCONNECTED bssid=02:00:00:00:01:00 reason=4");
        assert_eq!(links.try_recv(), Ok(Link::Down));
        assert_eq!(cell.get().state, State::Disconnected);
        feed(&mut tracker, "<3>CTRL-EVENT-DISCONNECTED bssid=02:00:00:00:01:00 reason=4");
        assert!(links.try_recv().is_err(), "a second down is no news");

        feed(
            &mut tracker,
            "<3>CTRL-EVENT-SSID-TEMP-DISABLED id=0 ssid=\"zerocam-test\" auth_failures=1 duration=10 reason=WRONG_KEY",
        );
        feed(&mut tracker, "<3>CTRL-EVENT-NETWORK-NOT-FOUND");
        let shown = cell.get();
        assert_eq!(shown.state, State::WrongPassphrase, "not-found does not hide a wrong key");
        assert!(shown.error.as_deref().is_some_and(|error| error.contains("wrong passphrase")));
        assert!(!cell.json().contains("not shown anywhere"));

        tracker.on_status(&events::parse_status("wpa_state=COMPLETED\nssid=zerocam-test\n"));
        assert_eq!(links.try_recv(), Ok(Link::Up));
        assert_eq!(cell.get().ssid.as_deref(), Some("zerocam-test"));
        tracker.supplicant_gone();
        assert_eq!(links.try_recv(), Ok(Link::Down));
        assert_eq!(cell.get().state, State::SupplicantDown);
    }
}
