//! The DHCP server of the USB link: one computer at the other end of the cable, so one
//! lease, always the same address (`[usb] host_address`). It offers a netmask and a lease
//! time and nothing else: no router and no name server, so a laptop keeps using its own
//! Wi-Fi or Ethernet for the internet and only reaches the camera over the cable.
//!
//! [`Lease::answer`] decides (no I/O, unit-tested); [`Server`] owns the socket.

use super::dhcp_packet::{parse_request, ClientMessage, MessageType, ServerReply, CLIENT_PORT, SERVER_PORT};
use super::error::{Context, NetError};
use super::link::{bind_to_device, netmask};
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::time::Instant;

/// The one lease and who holds it.
#[derive(Debug, Clone)]
pub struct Lease {
    pub server: Ipv4Addr,
    pub address: Ipv4Addr,
    pub prefix: u8,
    pub lease_secs: u32,
    /// The last client that took the lease: its MAC and the hostname it sent.
    pub holder: Option<([u8; 6], Option<String>)>,
}

impl Lease {
    pub fn new(server: Ipv4Addr, address: Ipv4Addr, prefix: u8, lease_secs: u32) -> Lease {
        Lease { server, address, prefix, lease_secs, holder: None }
    }

    /// The reply to one client message, or None when none is due (a RELEASE, a DECLINE, a
    /// REQUEST that took another server's offer). Whoever asks gets the address: a USB cable
    /// has one computer at its end, and a computer that comes back with a new MAC (another
    /// OS on the same laptop) must not wait for the old lease to run out.
    pub fn answer(&mut self, message: &ClientMessage) -> Option<ServerReply> {
        let reply = |kind, your_address, full: bool| ServerReply {
            kind,
            xid: message.xid,
            flags: message.flags,
            client_address: message.client_address,
            your_address,
            server: self.server,
            mac: message.mac,
            netmask: full.then(|| netmask(self.prefix)),
            lease_secs: full.then_some(self.lease_secs),
        };
        match message.kind {
            MessageType::Discover => Some(reply(MessageType::Offer, self.address, true)),
            MessageType::Request => {
                if message.server.is_some_and(|server| server != self.server) {
                    return None; // It took another server's offer.
                }
                // SELECTING/INIT-REBOOT name the address in option 50; RENEWING in ciaddr.
                let wanted = message.requested.unwrap_or(message.client_address);
                if wanted != self.address {
                    return Some(reply(MessageType::Nak, Ipv4Addr::UNSPECIFIED, false));
                }
                self.holder = Some((message.mac, message.hostname.clone()));
                Some(reply(MessageType::Ack, self.address, true))
            }
            // RFC 2131 4.3.5: an INFORM's ACK carries options but no address and no lease.
            MessageType::Inform => {
                Some(ServerReply { lease_secs: None, ..reply(MessageType::Ack, Ipv4Addr::UNSPECIFIED, true) })
            }
            MessageType::Release | MessageType::Decline => {
                self.holder = None;
                None
            }
            MessageType::Offer | MessageType::Ack | MessageType::Nak => None,
        }
    }
}

/// The server's socket on one interface.
pub struct Server {
    socket: UdpSocket,
    interface: String,
}

impl Server {
    pub fn bind(interface: &str) -> Result<Server, NetError> {
        let what = || format!("open the DHCP server socket on {interface}");
        let socket = bound_socket(interface).context(what)?;
        Ok(Server { socket, interface: interface.to_owned() })
    }

    pub fn socket(&self) -> &UdpSocket {
        &self.socket
    }

    /// Answers what has arrived by `deadline`. Returns true when a lease was acknowledged.
    pub fn serve_until(&self, lease: &mut Lease, deadline: Instant) -> Result<bool, NetError> {
        let mut buffer = [0u8; 1500];
        let mut acked = false;
        let what = || format!("dhcp server on {}", self.interface);
        while let Some((len, _)) =
            super::udp::recv_until(&self.socket, deadline, &mut buffer).context(what)?
        {
            let Some(message) = parse_request(&buffer[..len]) else { continue };
            let Some(reply) = lease.answer(&message) else { continue };
            acked |= reply.kind == MessageType::Ack && reply.your_address != Ipv4Addr::UNSPECIFIED;
            // A client with an address (renewing, INFORM) gets a unicast answer; one without
            // cannot receive unicast yet, so it gets a broadcast on this link.
            let to = if message.client_address.is_unspecified() {
                Ipv4Addr::BROADCAST
            } else {
                message.client_address
            };
            self.socket.send_to(&reply.encode(), SocketAddrV4::new(to, CLIENT_PORT)).context(what)?;
            log::debug!(
                "dhcp server on {}: {:?} -> {:?} {}",
                self.interface,
                message.kind,
                reply.kind,
                reply.your_address
            );
        }
        Ok(acked)
    }
}

fn bound_socket(interface: &str) -> std::io::Result<UdpSocket> {
    // The device binding must come before bind(2): two servers (the RNDIS and the ECM
    // interface) share port 67, told apart by their device.
    let socket = rustix::net::socket(rustix::net::AddressFamily::INET, rustix::net::SocketType::DGRAM, None)?;
    rustix::net::sockopt::set_socket_reuseaddr(&socket, true)?;
    let socket = UdpSocket::from(socket);
    bind_to_device(&socket, interface)?;
    rustix::net::bind(&socket, &SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, SERVER_PORT))?;
    socket.set_broadcast(true)?;
    Ok(socket)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: [u8; 6] = [2, 0, 0, 0, 0, 9];
    const SERVER: Ipv4Addr = Ipv4Addr::new(192, 168, 7, 1);
    const HOST: Ipv4Addr = Ipv4Addr::new(192, 168, 7, 2);

    fn message(kind: MessageType) -> ClientMessage {
        ClientMessage {
            kind,
            xid: 5,
            flags: 0,
            client_address: Ipv4Addr::UNSPECIFIED,
            mac: MAC,
            requested: None,
            server: None,
            hostname: Some("laptop".into()),
        }
    }

    #[test]
    fn discover_request_ack() {
        let mut lease = Lease::new(SERVER, HOST, 24, 3600);
        let offer = lease.answer(&message(MessageType::Discover)).expect("an offer");
        assert_eq!(
            (offer.kind, offer.your_address, offer.lease_secs),
            (MessageType::Offer, HOST, Some(3600))
        );
        assert_eq!(offer.netmask, Some(Ipv4Addr::new(255, 255, 255, 0)));
        assert!(lease.holder.is_none(), "an offer is not a lease");
        let request =
            ClientMessage { requested: Some(HOST), server: Some(SERVER), ..message(MessageType::Request) };
        let ack = lease.answer(&request).expect("an ack");
        assert_eq!((ack.kind, ack.your_address, ack.lease_secs), (MessageType::Ack, HOST, Some(3600)));
        assert_eq!(lease.holder, Some((MAC, Some("laptop".into()))));
    }

    #[test]
    fn renewal_by_ciaddr_and_wrong_addresses() {
        let mut lease = Lease::new(SERVER, HOST, 24, 3600);
        let renew = ClientMessage { client_address: HOST, ..message(MessageType::Request) };
        assert_eq!(lease.answer(&renew).map(|r| r.kind), Some(MessageType::Ack));
        let stale =
            ClientMessage { requested: Some(Ipv4Addr::new(10, 0, 0, 9)), ..message(MessageType::Request) };
        let nak = lease.answer(&stale).expect("a nak");
        assert_eq!(
            (nak.kind, nak.your_address, nak.netmask),
            (MessageType::Nak, Ipv4Addr::UNSPECIFIED, None)
        );
        let other_server =
            ClientMessage { server: Some(Ipv4Addr::new(10, 0, 0, 1)), ..message(MessageType::Request) };
        assert!(lease.answer(&other_server).is_none(), "it took someone else's offer");
    }

    #[test]
    fn inform_release_decline() {
        let mut lease = Lease::new(SERVER, HOST, 24, 3600);
        let inform = lease.answer(&ClientMessage { client_address: HOST, ..message(MessageType::Inform) });
        let inform = inform.expect("an ack");
        assert_eq!(
            (inform.kind, inform.your_address, inform.lease_secs),
            (MessageType::Ack, Ipv4Addr::UNSPECIFIED, None)
        );
        lease.holder = Some((MAC, None));
        assert!(lease.answer(&message(MessageType::Release)).is_none());
        assert!(lease.holder.is_none());
        assert!(lease.answer(&message(MessageType::Offer)).is_none(), "servers' messages are ignored");
    }
}
