//! DHCPv4 messages (RFC 2131/2132): the client's DISCOVER and REQUEST and the server's
//! OFFER/ACK/NAK, both ways (the board is a client on its uplink and the server on the USB
//! link). Only the options a camera needs: address, netmask, router, DNS, NTP servers,
//! lease time, server id, hostname.
//!
//! Why not the `dhcproto` crate: it is well kept, but it always pulls in `hickory-proto` (a
//! whole DNS library, for option 119's domain names). A size-tuned LTO test binary that only
//! decodes one message and encodes an OFFER grew by ~260 KB with it (x86-64, opt-level "s");
//! the Zero's static binary is ~1.5 MB. The handful of fixed-layout options here is ~300
//! lines with tests and a fuzz-style garbage test.

use std::net::Ipv4Addr;

pub const SERVER_PORT: u16 = 67;
pub const CLIENT_PORT: u16 = 68;

const BOOTREQUEST: u8 = 1;
const BOOTREPLY: u8 = 2;
const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];
/// Fixed BOOTP header length, before the magic cookie.
const HEADER_LEN: usize = 236;
/// Ask for broadcast replies: the client has no address yet to receive unicast on.
const FLAG_BROADCAST: u16 = 0x8000;

const OPT_PAD: u8 = 0;
const OPT_SUBNET_MASK: u8 = 1;
const OPT_ROUTER: u8 = 3;
const OPT_DNS: u8 = 6;
const OPT_HOSTNAME: u8 = 12;
const OPT_NTP_SERVERS: u8 = 42;
const OPT_REQUESTED_IP: u8 = 50;
const OPT_LEASE_TIME: u8 = 51;
const OPT_MESSAGE_TYPE: u8 = 53;
const OPT_SERVER_ID: u8 = 54;
const OPT_PARAMETER_LIST: u8 = 55;
const OPT_END: u8 = 255;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    Discover = 1,
    Offer = 2,
    Request = 3,
    Decline = 4,
    Ack = 5,
    Nak = 6,
    Release = 7,
    Inform = 8,
}

impl MessageType {
    fn from_code(code: u8) -> Option<MessageType> {
        Some(match code {
            1 => MessageType::Discover,
            2 => MessageType::Offer,
            3 => MessageType::Request,
            4 => MessageType::Decline,
            5 => MessageType::Ack,
            6 => MessageType::Nak,
            7 => MessageType::Release,
            8 => MessageType::Inform,
            _ => return None,
        })
    }
}

/// What the client sends.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub kind: MessageType,
    pub xid: u32,
    pub mac: [u8; 6],
    pub hostname: &'a str,
    /// REQUEST: the offered (or currently held) address.
    pub requested: Option<Ipv4Addr>,
    /// REQUEST after an OFFER: which server's offer is taken.
    pub server: Option<Ipv4Addr>,
}

impl Request<'_> {
    pub fn encode(&self) -> Vec<u8> {
        let mut packet = vec![0u8; HEADER_LEN];
        packet[0] = BOOTREQUEST;
        packet[1] = 1; // htype: Ethernet
        packet[2] = 6; // hlen
        packet[4..8].copy_from_slice(&self.xid.to_be_bytes());
        packet[10..12].copy_from_slice(&FLAG_BROADCAST.to_be_bytes());
        packet[28..34].copy_from_slice(&self.mac);
        packet.extend_from_slice(&MAGIC_COOKIE);
        push_option(&mut packet, OPT_MESSAGE_TYPE, &[self.kind as u8]);
        if let Some(address) = self.requested {
            push_option(&mut packet, OPT_REQUESTED_IP, &address.octets());
        }
        if let Some(server) = self.server {
            push_option(&mut packet, OPT_SERVER_ID, &server.octets());
        }
        if !self.hostname.is_empty() && self.hostname.len() <= 255 {
            push_option(&mut packet, OPT_HOSTNAME, self.hostname.as_bytes());
        }
        push_option(
            &mut packet,
            OPT_PARAMETER_LIST,
            &[OPT_SUBNET_MASK, OPT_ROUTER, OPT_DNS, OPT_NTP_SERVERS, OPT_LEASE_TIME],
        );
        packet.push(OPT_END);
        // Some old BOOTP relays drop anything shorter than the 300-byte BOOTP minimum.
        if packet.len() < 300 {
            packet.resize(300, OPT_PAD);
        }
        packet
    }
}

fn push_option(packet: &mut Vec<u8>, code: u8, value: &[u8]) {
    packet.push(code);
    packet.push(value.len() as u8);
    packet.extend_from_slice(value);
}

/// A server's answer, with the options we use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub kind: MessageType,
    pub your_address: Ipv4Addr,
    pub server: Option<Ipv4Addr>,
    pub netmask: Option<Ipv4Addr>,
    pub router: Option<Ipv4Addr>,
    pub dns: Vec<Ipv4Addr>,
    /// Option 42: the board has no RTC, so the clock is set from these first.
    pub ntp: Vec<Ipv4Addr>,
    pub lease_secs: Option<u32>,
}

/// Parses a reply meant for us (matching transaction id and hardware address); None for
/// anything else on the wire, malformed or not.
pub fn parse_reply(packet: &[u8], xid: u32, mac: &[u8; 6]) -> Option<Reply> {
    if packet.len() < HEADER_LEN + 4 || packet[0] != BOOTREPLY {
        return None;
    }
    if packet[4..8] != xid.to_be_bytes() || packet[28..34] != mac[..] || packet[236..240] != MAGIC_COOKIE {
        return None;
    }
    let mut reply = Reply {
        kind: MessageType::Nak,
        your_address: ipv4(&packet[16..20])?,
        server: None,
        netmask: None,
        router: None,
        dns: Vec::new(),
        ntp: Vec::new(),
        lease_secs: None,
    };
    let mut kind = None;
    for (code, value) in options(&packet[240..])? {
        match code {
            OPT_MESSAGE_TYPE => kind = value.first().copied().and_then(MessageType::from_code),
            OPT_SUBNET_MASK => reply.netmask = ipv4(value),
            OPT_ROUTER => reply.router = value.get(..4).and_then(ipv4),
            OPT_DNS => reply.dns = value.chunks_exact(4).filter_map(ipv4).collect(),
            OPT_NTP_SERVERS => reply.ntp = value.chunks_exact(4).filter_map(ipv4).collect(),
            OPT_SERVER_ID => reply.server = ipv4(value),
            OPT_LEASE_TIME => reply.lease_secs = value.try_into().ok().map(u32::from_be_bytes),
            _ => {}
        }
    }
    reply.kind = kind?;
    Some(reply)
}

/// The options after the magic cookie as (code, value), up to END; None if one runs past
/// the packet (a truncated or forged packet is dropped whole).
fn options(mut rest: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut found = Vec::new();
    while let Some((&code, after)) = rest.split_first() {
        match code {
            OPT_PAD => rest = after,
            OPT_END => break,
            _ => {
                let (&len, after) = after.split_first()?;
                let value = after.get(..usize::from(len))?;
                rest = &after[usize::from(len)..];
                found.push((code, value));
            }
        }
    }
    Some(found)
}

/// What a client sent to the server on the USB link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientMessage {
    pub kind: MessageType,
    pub xid: u32,
    /// The BOOTP flags word (the broadcast bit is echoed back).
    pub flags: u16,
    /// ciaddr: set when the client already has an address (renewing, INFORM).
    pub client_address: Ipv4Addr,
    pub mac: [u8; 6],
    /// Option 50.
    pub requested: Option<Ipv4Addr>,
    /// Option 54: which server's offer a REQUEST takes.
    pub server: Option<Ipv4Addr>,
    /// Option 12, only if it is printable ASCII (it reaches the log and /status).
    pub hostname: Option<String>,
}

/// Parses a client's message (BOOTREQUEST over Ethernet); None for anything else.
pub fn parse_request(packet: &[u8]) -> Option<ClientMessage> {
    if packet.len() < HEADER_LEN + 4 || packet[0] != BOOTREQUEST || packet[1] != 1 || packet[2] != 6 {
        return None;
    }
    if packet[236..240] != MAGIC_COOKIE {
        return None;
    }
    let mut message = ClientMessage {
        kind: MessageType::Discover,
        xid: u32::from_be_bytes(packet[4..8].try_into().ok()?),
        flags: u16::from_be_bytes([packet[10], packet[11]]),
        client_address: ipv4(&packet[12..16])?,
        mac: packet[28..34].try_into().ok()?,
        requested: None,
        server: None,
        hostname: None,
    };
    let mut kind = None;
    for (code, value) in options(&packet[240..])? {
        match code {
            OPT_MESSAGE_TYPE => kind = value.first().copied().and_then(MessageType::from_code),
            OPT_REQUESTED_IP => message.requested = ipv4(value),
            OPT_SERVER_ID => message.server = ipv4(value),
            OPT_HOSTNAME => {
                message.hostname = std::str::from_utf8(value)
                    .ok()
                    .filter(|name| name.bytes().all(|b| b.is_ascii_graphic()))
                    .map(str::to_owned)
            }
            _ => {}
        }
    }
    message.kind = kind?;
    Some(message)
}

/// What the server on the USB link answers. No router and no DNS server on purpose: the
/// laptop must keep its own internet connection and name servers.
#[derive(Debug, Clone)]
pub struct ServerReply {
    pub kind: MessageType,
    pub xid: u32,
    pub flags: u16,
    pub client_address: Ipv4Addr,
    /// yiaddr: the leased address (unspecified for a NAK or an INFORM's ACK).
    pub your_address: Ipv4Addr,
    pub server: Ipv4Addr,
    pub mac: [u8; 6],
    /// Netmask and lease time; left out of a NAK.
    pub netmask: Option<Ipv4Addr>,
    pub lease_secs: Option<u32>,
}

impl ServerReply {
    pub fn encode(&self) -> Vec<u8> {
        let mut packet = vec![0u8; HEADER_LEN];
        packet[0] = BOOTREPLY;
        packet[1] = 1;
        packet[2] = 6;
        packet[4..8].copy_from_slice(&self.xid.to_be_bytes());
        packet[10..12].copy_from_slice(&self.flags.to_be_bytes());
        packet[12..16].copy_from_slice(&self.client_address.octets());
        packet[16..20].copy_from_slice(&self.your_address.octets());
        packet[20..24].copy_from_slice(&self.server.octets());
        packet[28..34].copy_from_slice(&self.mac);
        packet.extend_from_slice(&MAGIC_COOKIE);
        push_option(&mut packet, OPT_MESSAGE_TYPE, &[self.kind as u8]);
        push_option(&mut packet, OPT_SERVER_ID, &self.server.octets());
        if let Some(netmask) = self.netmask {
            push_option(&mut packet, OPT_SUBNET_MASK, &netmask.octets());
        }
        if let Some(secs) = self.lease_secs {
            push_option(&mut packet, OPT_LEASE_TIME, &secs.to_be_bytes());
        }
        packet.push(OPT_END);
        if packet.len() < 300 {
            packet.resize(300, OPT_PAD);
        }
        packet
    }
}

fn ipv4(bytes: &[u8]) -> Option<Ipv4Addr> {
    <[u8; 4]>::try_from(bytes).ok().map(Ipv4Addr::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];

    /// A server reply as QEMU's user-mode network (slirp) sends it.
    fn server_reply(kind: u8, xid: u32, options: &[u8]) -> Vec<u8> {
        let mut packet = vec![0u8; HEADER_LEN];
        packet[0] = BOOTREPLY;
        packet[1] = 1;
        packet[2] = 6;
        packet[4..8].copy_from_slice(&xid.to_be_bytes());
        packet[16..20].copy_from_slice(&[10, 0, 2, 15]);
        packet[28..34].copy_from_slice(&MAC);
        packet.extend_from_slice(&MAGIC_COOKIE);
        packet.extend_from_slice(&[OPT_MESSAGE_TYPE, 1, kind]);
        packet.extend_from_slice(options);
        packet.push(OPT_END);
        packet
    }

    #[test]
    fn discover_has_the_fixed_fields_and_options() {
        let request = Request {
            kind: MessageType::Discover,
            xid: 0x1234_5678,
            mac: MAC,
            hostname: "zerocam",
            requested: None,
            server: None,
        };
        let packet = request.encode();
        assert_eq!(packet.len(), 300);
        assert_eq!(&packet[..3], &[1, 1, 6]);
        assert_eq!(&packet[4..8], &[0x12, 0x34, 0x56, 0x78]);
        assert_eq!(&packet[10..12], &[0x80, 0]);
        assert_eq!(&packet[28..34], &MAC);
        assert_eq!(&packet[236..240], &MAGIC_COOKIE);
        assert_eq!(&packet[240..243], &[OPT_MESSAGE_TYPE, 1, 1]);
        assert_eq!(&packet[243..252], b"\x0c\x07zerocam");
    }

    #[test]
    fn request_names_the_address_and_server() {
        let request = Request {
            kind: MessageType::Request,
            xid: 7,
            mac: MAC,
            hostname: "",
            requested: Some(Ipv4Addr::new(10, 0, 2, 15)),
            server: Some(Ipv4Addr::new(10, 0, 2, 2)),
        };
        let packet = request.encode();
        assert_eq!(&packet[240..255], &[53, 1, 3, 50, 4, 10, 0, 2, 15, 54, 4, 10, 0, 2, 2]);
    }

    #[test]
    fn parses_an_ack_with_every_option() {
        let options = [
            &[OPT_PAD, OPT_SUBNET_MASK, 4, 255, 255, 255, 0][..],
            &[OPT_ROUTER, 8, 10, 0, 2, 2, 10, 0, 2, 1],
            &[OPT_DNS, 8, 10, 0, 2, 3, 1, 1, 1, 1],
            &[OPT_NTP_SERVERS, 9, 10, 0, 2, 4, 10, 0, 2, 5, 99],
            &[OPT_SERVER_ID, 4, 10, 0, 2, 2],
            &[OPT_LEASE_TIME, 4, 0, 1, 81, 128],
            &[99, 2, 0, 0],
        ]
        .concat();
        let reply = parse_reply(&server_reply(5, 42, &options), 42, &MAC).expect("valid ack");
        assert_eq!(reply.kind, MessageType::Ack);
        assert_eq!(reply.your_address, Ipv4Addr::new(10, 0, 2, 15));
        assert_eq!(reply.netmask, Some(Ipv4Addr::new(255, 255, 255, 0)));
        assert_eq!(reply.router, Some(Ipv4Addr::new(10, 0, 2, 2)));
        assert_eq!(reply.dns, [Ipv4Addr::new(10, 0, 2, 3), Ipv4Addr::new(1, 1, 1, 1)]);
        assert_eq!(reply.ntp, [Ipv4Addr::new(10, 0, 2, 4), Ipv4Addr::new(10, 0, 2, 5)], "odd byte ignored");
        assert_eq!(reply.server, Some(Ipv4Addr::new(10, 0, 2, 2)));
        assert_eq!(reply.lease_secs, Some(86400));
    }

    #[test]
    fn ignores_replies_for_someone_else_or_broken_ones() {
        let offer = server_reply(2, 42, &[]);
        assert!(parse_reply(&offer, 42, &MAC).is_some());
        assert!(parse_reply(&offer, 43, &MAC).is_none(), "other transaction");
        assert!(parse_reply(&offer, 42, &[0; 6]).is_none(), "other client");
        assert!(parse_reply(&offer[..200], 42, &MAC).is_none(), "truncated header");
        let mut no_type = offer.clone();
        no_type[240] = OPT_PAD;
        no_type[241] = OPT_PAD;
        no_type[242] = OPT_PAD;
        assert!(parse_reply(&no_type, 42, &MAC).is_none(), "no message type");
        let overlong = server_reply(2, 42, &[OPT_DNS, 200, 1, 2]);
        assert!(parse_reply(&overlong, 42, &MAC).is_none(), "option runs past the end");
    }

    /// A DISCOVER as busybox udhcpc sends it (client id, hostname, parameter list).
    fn client_message(kind: u8, options: &[u8]) -> Vec<u8> {
        let mut packet = vec![0u8; HEADER_LEN];
        packet[0] = BOOTREQUEST;
        packet[1] = 1;
        packet[2] = 6;
        packet[4..8].copy_from_slice(&0xdead_beef_u32.to_be_bytes());
        packet[28..34].copy_from_slice(&MAC);
        packet.extend_from_slice(&MAGIC_COOKIE);
        packet.extend_from_slice(&[OPT_MESSAGE_TYPE, 1, kind]);
        packet.extend_from_slice(options);
        packet.push(OPT_END);
        packet
    }

    #[test]
    fn parses_client_messages() {
        let options =
            [&[61, 7, 1][..], &MAC, &[OPT_HOSTNAME, 6], b"laptop", &[OPT_REQUESTED_IP, 4, 192, 168, 7, 2]]
                .concat();
        let message = parse_request(&client_message(3, &options)).expect("valid request");
        assert_eq!(message.kind, MessageType::Request);
        assert_eq!(message.xid, 0xdead_beef);
        assert_eq!(message.mac, MAC);
        assert_eq!(message.requested, Some(Ipv4Addr::new(192, 168, 7, 2)));
        assert_eq!(message.hostname.as_deref(), Some("laptop"));
        let odd_name = [&[OPT_HOSTNAME, 3][..], b"a\nb"].concat();
        assert_eq!(
            parse_request(&client_message(1, &odd_name)).expect("valid").hostname,
            None,
            "not printable"
        );
        assert!(parse_request(&client_message(1, &[OPT_HOSTNAME, 40, 1])).is_none(), "option past the end");
        assert!(parse_request(&server_reply(2, 1, &[])).is_none(), "a reply is not a request");
        assert!(parse_request(&client_message(1, &[])[..239]).is_none(), "truncated");
    }

    #[test]
    fn server_reply_round_trips_through_the_client_parser() {
        let reply = ServerReply {
            kind: MessageType::Offer,
            xid: 9,
            flags: FLAG_BROADCAST,
            client_address: Ipv4Addr::UNSPECIFIED,
            your_address: Ipv4Addr::new(192, 168, 7, 2),
            server: Ipv4Addr::new(192, 168, 7, 1),
            mac: MAC,
            netmask: Some(Ipv4Addr::new(255, 255, 255, 0)),
            lease_secs: Some(3600),
        };
        let parsed = parse_reply(&reply.encode(), 9, &MAC).expect("our own reply parses");
        assert_eq!(parsed.kind, MessageType::Offer);
        assert_eq!(parsed.your_address, Ipv4Addr::new(192, 168, 7, 2));
        assert_eq!(parsed.server, Some(Ipv4Addr::new(192, 168, 7, 1)));
        assert_eq!(parsed.lease_secs, Some(3600));
        assert_eq!((parsed.router, parsed.dns.len()), (None, 0), "no route or DNS for the laptop");
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x2545_f491_u32;
        for len in 0..600 {
            let packet: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    seed as u8
                })
                .collect();
            let _ = parse_request(&packet);
            let mut framed = client_message(1, &[]);
            framed.truncate(240);
            framed.extend_from_slice(&packet);
            let _ = parse_request(&framed);
            let _ = parse_reply(&framed, 0, &MAC);
        }
    }
}
