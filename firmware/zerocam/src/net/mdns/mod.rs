//! The mDNS responder (RFC 6762) with DNS-SD (RFC 6763): answers `<hostname>.local` (A, and
//! AAAA where the interface has IPv6 addresses) and advertises the web page as an
//! `_http._tcp` service (PTR, SRV with the HTTP port, TXT `path=/`) on every interface that
//! is up. The name is claimed by probing first, and renamed `zerocam-2` etc. when someone
//! else holds it ([`claim`]).
//!
//! One thread, one socket per interface, one receive buffer; the interface list is re-read
//! every [`RESCAN`] so Wi-Fi or a USB cable arriving later is covered. Memory is bounded:
//! at most [`interfaces::MAX_INTERFACES`] sockets, and packets are built per answer.
//!
//! Why our own loop on `simple-dns` rather than the `mdns-sd` crate: mdns-sd runs its own
//! daemon thread with channels (flume) and interface watching, is built for browsing as
//! much as for answering, and costs noticeably more code size on the Zero; a responder
//! for one host name and one service is a few hundred lines over a packet codec. mDNS is
//! answered over IPv4 (224.0.0.251); AAAA records are given in those IPv4 answers.

mod claim;
mod interfaces;
mod records;

use crate::net::state;
use claim::{Action, Claim};
use interfaces::Found;
use records::{Context, Delivery};
use simple_dns::Packet;
use std::net::{IpAddr, SocketAddr, SocketAddrV4, UdpSocket};
use std::time::{Duration, Instant};

/// How often the interface list is read again.
const RESCAN: Duration = Duration::from_secs(2);
/// The largest mDNS packet we accept (RFC 6762 section 17: 9000 bytes on the link).
const MAX_PACKET: usize = 9000;

/// What is advertised.
#[derive(Debug, Clone)]
pub struct Service {
    /// The host label, "zerocam" for zerocam.local; also the service instance name.
    pub label: String,
    pub port: u16,
    pub txt: Vec<String>,
}

impl Service {
    pub fn web_page(hostname: &str, port: u16) -> Service {
        Service { label: hostname.to_owned(), port, txt: vec!["path=/".to_owned()] }
    }
}

/// Starts the responder thread; returns at once.
pub fn start(service: Service) {
    let spawned = std::thread::Builder::new().name("mdns".into()).spawn(move || run(service));
    if let Err(err) = spawned {
        log::error!("cannot start the mDNS thread: {err}");
    }
}

struct Link {
    found: Found,
    socket: UdpSocket,
}

/// Runs the responder forever on this thread.
pub fn run(service: Service) -> ! {
    let mut links: Vec<Link> = Vec::new();
    let mut claim = Claim::new(&service.label, Instant::now(), jitter());
    let mut held: Option<String> = None;
    let mut buffer = vec![0u8; MAX_PACKET];
    let mut next_scan = Instant::now();
    loop {
        let now = Instant::now();
        if now >= next_scan {
            if rescan(&mut links) {
                claim.restart(now);
            }
            next_scan = now + RESCAN;
        }
        if let Some(action) = claim.due(now) {
            send_all(&links, &service, &claim, action);
        }
        if claim.phase() == claim::Phase::Holding && held.as_deref() != Some(&claim.label()) {
            held = Some(claim.label());
            announce_held(&links, &claim);
        } else if !claim.is_ours() && held.is_some() {
            held = None;
            state::set_mdns_name(None);
        }
        let wake = claim.next_wakeup().map_or(next_scan, |at| at.min(next_scan));
        wait_readable(&links, wake.saturating_duration_since(Instant::now()));
        for link in &links {
            while let Ok((len, from)) = link.socket.recv_from(&mut buffer) {
                if is_ours(&links, from) {
                    continue;
                }
                handle(link, &buffer[..len], from, &service, &mut claim);
            }
        }
    }
}

fn announce_held(links: &[Link], claim: &Claim) {
    let label = claim.label();
    let on: Vec<String> =
        links.iter().map(|link| format!("{} ({})", link.found.name, link.found.v4)).collect();
    log::info!(
        "{label}.local is ours on {}",
        if on.is_empty() { "no interface yet".into() } else { on.join(", ") }
    );
    state::set_mdns_name(Some(label));
}

/// Re-reads the interfaces; true when one is new (or has a new address), so the name must
/// be probed there.
fn rescan(links: &mut Vec<Link>) -> bool {
    let found = match interfaces::scan() {
        Ok(found) => found,
        Err(err) => {
            log::warn!("cannot list interfaces: {err}");
            return false;
        }
    };
    links.retain(|link| found.iter().any(|f| f.name == link.found.name && f.v4 == link.found.v4));
    let mut added = false;
    for interface in found {
        if let Some(link) = links.iter_mut().find(|link| link.found.name == interface.name) {
            link.found.v6 = interface.v6; // New IPv6 addresses need no probe of the v4 name.
            continue;
        }
        match interfaces::open(&interface) {
            Ok(socket) => {
                log::debug!("answering on {} ({})", interface.name, interface.v4);
                links.push(Link { found: interface, socket });
                added = true;
            }
            Err(err) => log::warn!("cannot listen on {}: {err}", interface.name),
        }
    }
    added
}

fn context(service: &Service, claim: &Claim, link: &Link) -> Context {
    Context::new(&claim.label(), service.port, &service.txt, link.found.v4, &link.found.v6)
}

fn send_all(links: &[Link], service: &Service, claim: &Claim, action: Action) {
    for link in links {
        let context = context(service, claim, link);
        let packet = match action {
            Action::Probe => records::probe(&context),
            Action::Announce => records::announcement(&context),
        };
        send(link, &packet, SocketAddrV4::new(interfaces::GROUP, interfaces::PORT).into());
    }
}

fn send(link: &Link, packet: &[u8], to: SocketAddr) {
    if let Err(err) = link.socket.send_to(packet, to) {
        log::debug!("send on {} to {to}: {err}", link.found.name);
    }
}

/// Whether a packet came from one of our own addresses. Two of our interfaces on one network
/// (USB Ethernet and Wi-Fi on the same LAN, or both ends of a USB loop in one kernel) hear
/// each other's multicasts: taken for another host's, they would look like a name conflict
/// with ourselves and start a storm of probes and renames.
fn is_ours(links: &[Link], from: SocketAddr) -> bool {
    links.iter().any(|link| from.ip() == IpAddr::V4(link.found.v4))
}

fn handle(link: &Link, bytes: &[u8], from: SocketAddr, service: &Service, claim: &mut Claim) {
    let Ok(packet) = Packet::parse(bytes) else { return };
    let context = context(service, claim, link);
    let now = Instant::now();
    if records::conflicts(&packet, &context) {
        let before = claim.label();
        claim.conflict(now);
        log::warn!(
            "{from} on {} also claims {before}.local; probing for {}.local",
            link.found.name,
            claim.label()
        );
        return;
    }
    if !claim.is_ours() {
        if records::loses_tiebreak(&packet, &context) {
            claim.lost_tiebreak(now);
        }
        return;
    }
    let Some((reply, delivery)) = records::answer(&packet, &context, from.port() == interfaces::PORT) else {
        return;
    };
    let to = match delivery {
        Delivery::Multicast => SocketAddrV4::new(interfaces::GROUP, interfaces::PORT).into(),
        Delivery::Unicast | Delivery::Legacy => from,
    };
    send(link, &reply, to);
}

fn wait_readable(links: &[Link], timeout: Duration) {
    use rustix::event::{poll, PollFd, PollFlags};
    let timeout = timeout.min(RESCAN);
    if links.is_empty() {
        std::thread::sleep(timeout);
        return;
    }
    let mut fds: Vec<PollFd> = links.iter().map(|link| PollFd::new(&link.socket, PollFlags::IN)).collect();
    let spec = rustix::time::Timespec {
        tv_sec: timeout.as_secs() as i64,
        tv_nsec: i64::from(timeout.subsec_nanos()),
    };
    let _ = poll(&mut fds, Some(&spec));
}

/// 0-250 ms, from the clock: hosts powered on together must not probe in step.
fn jitter() -> Duration {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().subsec_nanos();
    Duration::from_millis(u64::from(nanos % 251))
}
