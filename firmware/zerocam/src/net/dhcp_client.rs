//! A small DHCP client: DISCOVER, OFFER, REQUEST, ACK over a UDP socket bound to port 68 on
//! one interface. Linux lets such a socket send to 255.255.255.255 before the interface has
//! an address, and our requests ask servers to answer by broadcast, so no raw socket is
//! needed.

use super::dhcp_packet::{parse_reply, MessageType, Reply, Request, CLIENT_PORT, SERVER_PORT};
use super::link::bind_to_device;
use crate::net::error::NetError;
use crate::net::udp::recv_until;
use std::io;
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::time::{Duration, Instant};

/// An address lease, ready to configure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub address: Ipv4Addr,
    pub prefix: u8,
    pub router: Option<Ipv4Addr>,
    pub dns: Vec<Ipv4Addr>,
    pub ntp: Vec<Ipv4Addr>,
    pub server: Option<Ipv4Addr>,
    pub lease_secs: u32,
}

/// Without a lease time, renew after an hour.
const DEFAULT_LEASE_SECS: u32 = 3600;

pub struct Client {
    socket: UdpSocket,
    mac: [u8; 6],
    hostname: String,
    interface: String,
}

impl Client {
    pub fn new(interface: &str, mac: [u8; 6], hostname: &str) -> Result<Client, NetError> {
        let what = || format!("open a DHCP socket on {interface}");
        // Tied to the interface before it takes port 68, so the uplink's and Wi-Fi's clients
        // can each hold port 68 on their own interface at the same time.
        let socket = UdpSocket::from(
            rustix::net::socket(rustix::net::AddressFamily::INET, rustix::net::SocketType::DGRAM, None)
                .map_err(|err| NetError::new(what(), err))?,
        );
        bind_to_device(&socket, interface).map_err(|err| NetError::new(what(), err))?;
        rustix::net::bind(&socket, &SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, CLIENT_PORT))
            .map_err(|err| NetError::new(what(), err))?;
        socket.set_broadcast(true).map_err(|err| NetError::new(what(), err))?;
        Ok(Client { socket, mac, hostname: hostname.to_owned(), interface: interface.to_owned() })
    }

    /// Runs the whole exchange, retrying with growing waits (1, 2, 4 ... s) until `limit`.
    /// `previous` is asked for again on renewal.
    pub fn obtain(&self, limit: Duration, previous: Option<Ipv4Addr>) -> Result<Lease, NetError> {
        let started = Instant::now();
        let mut wait = Duration::from_secs(1);
        let mut xid = transaction_id(&self.mac);
        while started.elapsed() < limit {
            let remaining = limit.saturating_sub(started.elapsed());
            let wait_now = wait.min(remaining).max(Duration::from_millis(100));
            match self.exchange(xid, wait_now, previous) {
                Ok(Some(lease)) => return Ok(lease),
                Ok(None) => {}
                Err(err) => log::debug!("dhcp on {}: {err}", self.interface),
            }
            wait = (wait * 2).min(Duration::from_secs(8));
            xid = xid.wrapping_add(1);
        }
        Err(NetError::other(format!("dhcp on {}", self.interface), format!("no lease within {limit:?}")))
    }

    /// One DISCOVER/OFFER/REQUEST/ACK round; Ok(None) when a step timed out or was refused.
    fn exchange(&self, xid: u32, wait: Duration, previous: Option<Ipv4Addr>) -> io::Result<Option<Lease>> {
        let request = |kind, requested, server| Request {
            kind,
            xid,
            mac: self.mac,
            hostname: &self.hostname,
            requested,
            server,
        };
        self.send(&request(MessageType::Discover, previous, None))?;
        let Some(offer) = self.receive(xid, wait, MessageType::Offer)? else { return Ok(None) };
        self.send(&request(MessageType::Request, Some(offer.your_address), offer.server))?;
        let Some(ack) = self.receive(xid, wait, MessageType::Ack)? else { return Ok(None) };
        Ok(Some(lease_from(&ack)))
    }

    fn send(&self, request: &Request) -> io::Result<()> {
        self.socket
            .send_to(&request.encode(), SocketAddrV4::new(Ipv4Addr::BROADCAST, SERVER_PORT))
            .map(|_| ())
    }

    /// Waits for a reply of `kind` to `xid`; a NAK ends the round early.
    fn receive(&self, xid: u32, wait: Duration, kind: MessageType) -> io::Result<Option<Reply>> {
        let deadline = Instant::now() + wait;
        let mut buffer = [0u8; 1500];
        loop {
            let Some((len, _)) = recv_until(&self.socket, deadline, &mut buffer)? else { return Ok(None) };
            match parse_reply(&buffer[..len], xid, &self.mac) {
                Some(reply) if reply.kind == kind => return Ok(Some(reply)),
                Some(reply) if reply.kind == MessageType::Nak => return Ok(None),
                _ => {} // Someone else's traffic.
            }
        }
    }
}

fn lease_from(ack: &Reply) -> Lease {
    Lease {
        address: ack.your_address,
        prefix: ack.netmask.map_or(24, super::link::prefix_of),
        router: ack.router,
        dns: ack.dns.clone(),
        ntp: ack.ntp.clone(),
        server: ack.server,
        lease_secs: ack.lease_secs.unwrap_or(DEFAULT_LEASE_SECS).max(60),
    }
}

/// Different for every board and boot: the MAC mixed with the clock.
fn transaction_id(mac: &[u8; 6]) -> u32 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let mac_bits = u32::from_be_bytes([mac[2], mac[3], mac[4], mac[5]]);
    mac_bits ^ now.subsec_nanos() ^ (now.as_secs() as u32).rotate_left(16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_defaults_for_missing_options() {
        let ack = Reply {
            kind: MessageType::Ack,
            your_address: Ipv4Addr::new(192, 168, 1, 50),
            server: None,
            netmask: Some(Ipv4Addr::new(255, 255, 0, 0)),
            router: None,
            dns: Vec::new(),
            ntp: Vec::new(),
            lease_secs: Some(10),
        };
        let lease = lease_from(&ack);
        assert_eq!(lease.prefix, 16);
        assert_eq!(lease.lease_secs, 60, "very short leases are stretched to a minute");
        assert_eq!(
            lease_from(&Reply { netmask: None, lease_secs: None, ..ack }).lease_secs,
            DEFAULT_LEASE_SECS
        );
    }
}
