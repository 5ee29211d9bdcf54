//! SNTPv4 (RFC 4330): one 48-byte client request, the server's reply checked for sanity,
//! and the clock offset from the four timestamps.

use super::timestamp::{from_ntp, now_unix_nanos, to_ntp};
use crate::net::error::{Context, NetError};
use crate::net::udp::recv_until;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::time::{Duration, Instant};

pub const PORT: u16 = 123;
const PACKET_LEN: usize = 48;
const VERSION: u8 = 4;
const MODE_CLIENT: u8 = 3;
const MODE_SERVER: u8 = 4;
/// Leap indicator 3: the server's own clock is not synchronized.
const LEAP_ALARM: u8 = 3;

/// The request: only version, mode and our transmit time, which the server echoes back as
/// the origin time (our proof the reply answers this request).
pub fn request(transmit: u64) -> [u8; PACKET_LEN] {
    let mut packet = [0u8; PACKET_LEN];
    packet[0] = (VERSION << 3) | MODE_CLIENT;
    packet[40..48].copy_from_slice(&transmit.to_be_bytes());
    packet
}

/// Why a reply is not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadReply {
    Length(usize),
    Mode(u8),
    Unsynchronized,
    /// 0 is a kiss-o'-death ("go away"), 16 unsynchronized.
    Stratum(u8),
    ZeroTransmit,
    /// Not an answer to our request (late, duplicated or forged).
    Origin,
}

impl fmt::Display for BadReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadReply::Length(len) => write!(f, "{len}-byte reply"),
            BadReply::Mode(mode) => write!(f, "reply in mode {mode}, not server"),
            BadReply::Unsynchronized => write!(f, "server clock unsynchronized"),
            BadReply::Stratum(stratum) => write!(f, "stratum {stratum}"),
            BadReply::ZeroTransmit => write!(f, "reply without transmit time"),
            BadReply::Origin => write!(f, "reply does not echo our request"),
        }
    }
}

/// The server's receive (T2) and transmit (T3) times, as NTP timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerTimes {
    pub receive: u64,
    pub transmit: u64,
}

pub fn parse_reply(packet: &[u8], sent: u64) -> Result<ServerTimes, BadReply> {
    let packet: &[u8; PACKET_LEN] = packet
        .get(..PACKET_LEN)
        .and_then(|head| head.try_into().ok())
        .ok_or(BadReply::Length(packet.len()))?;
    let word = |at: usize| u64::from_be_bytes(packet[at..at + 8].try_into().unwrap_or_default());
    let (leap, mode, stratum) = (packet[0] >> 6, packet[0] & 7, packet[1]);
    if mode != MODE_SERVER {
        return Err(BadReply::Mode(mode));
    }
    if word(24) != sent {
        return Err(BadReply::Origin);
    }
    if leap == LEAP_ALARM {
        return Err(BadReply::Unsynchronized);
    }
    if !(1..=15).contains(&stratum) {
        return Err(BadReply::Stratum(stratum));
    }
    let times = ServerTimes { receive: word(32), transmit: word(40) };
    if times.transmit == 0 {
        return Err(BadReply::ZeroTransmit);
    }
    Ok(times)
}

/// One measurement, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Add this to our clock to get the server's.
    pub offset: i128,
    pub round_trip: i128,
}

/// RFC 4330 section 5: T1 sent, T2 received by the server, T3 sent by it, T4 received.
pub fn sample(t1: i128, server: ServerTimes, t4: i128) -> Sample {
    let (t2, t3) = (from_ntp(server.receive), from_ntp(server.transmit));
    Sample { offset: ((t2 - t1) + (t3 - t4)) / 2, round_trip: (t4 - t1) - (t3 - t2) }
}

/// Asks one server, waiting up to `timeout` for a usable answer.
pub fn query(server: SocketAddrV4, timeout: Duration) -> Result<Sample, NetError> {
    let action = || format!("ntp query to {server}");
    // Connected: the kernel drops datagrams from anyone else.
    let socket = UdpSocket::bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)).context(action)?;
    socket.connect(server).context(action)?;
    let t1 = now_unix_nanos();
    let sent = to_ntp(t1);
    socket.send(&request(sent)).context(action)?;
    let deadline = Instant::now() + timeout;
    let mut buffer = [0u8; 512];
    loop {
        let Some((len, _)) = recv_until(&socket, deadline, &mut buffer).context(action)? else {
            return Err(NetError::other(action(), format!("no answer within {timeout:?}")));
        };
        let t4 = now_unix_nanos();
        match parse_reply(&buffer[..len], sent) {
            Ok(times) => return Ok(sample(t1, times, t4)),
            // A late answer to an earlier request: keep waiting for ours.
            Err(BadReply::Origin) => continue,
            Err(bad) => return Err(NetError::other(action(), bad.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::clock::timestamp::NANOS_PER_SEC;

    /// A server reply: leap/version/mode byte, stratum, then origin, receive, transmit.
    fn reply(first: u8, stratum: u8, origin: u64, receive: u64, transmit: u64) -> [u8; PACKET_LEN] {
        let mut packet = [0u8; PACKET_LEN];
        packet[0] = first;
        packet[1] = stratum;
        packet[24..32].copy_from_slice(&origin.to_be_bytes());
        packet[32..40].copy_from_slice(&receive.to_be_bytes());
        packet[40..48].copy_from_slice(&transmit.to_be_bytes());
        packet
    }

    #[test]
    fn request_is_version_4_client_with_our_time() {
        let packet = request(0x0102_0304_0506_0708);
        assert_eq!(packet[0], 0x23);
        assert!(packet[1..40].iter().all(|&byte| byte == 0));
        assert_eq!(&packet[40..], &[1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn reply_sanity_checks() {
        let sent = 77;
        let good = reply(0x24, 2, sent, 100, 200);
        assert_eq!(parse_reply(&good, sent), Ok(ServerTimes { receive: 100, transmit: 200 }));
        assert_eq!(parse_reply(&good[..47], sent), Err(BadReply::Length(47)));
        assert_eq!(parse_reply(&[], sent), Err(BadReply::Length(0)));
        assert_eq!(parse_reply(&reply(0x23, 2, sent, 1, 2), sent), Err(BadReply::Mode(3)));
        assert_eq!(parse_reply(&reply(0xE4, 2, sent, 1, 2), sent), Err(BadReply::Unsynchronized));
        assert_eq!(parse_reply(&reply(0x24, 0, sent, 1, 2), sent), Err(BadReply::Stratum(0)));
        assert_eq!(parse_reply(&reply(0x24, 16, sent, 1, 2), sent), Err(BadReply::Stratum(16)));
        assert_eq!(parse_reply(&reply(0x24, 1, sent, 1, 0), sent), Err(BadReply::ZeroTransmit));
        assert_eq!(parse_reply(&reply(0x24, 1, sent + 1, 1, 2), sent), Err(BadReply::Origin));
    }

    #[test]
    fn offset_and_round_trip_from_the_four_times() {
        let secs = |s: i128| s * NANOS_PER_SEC;
        // Server 1000 s ahead; 0.2 s each way; 0.1 s inside the server.
        let t1 = secs(23);
        let server = ServerTimes {
            receive: to_ntp(secs(1023) + secs(1) / 5),
            transmit: to_ntp(secs(1023) + secs(3) / 10),
        };
        let t4 = secs(23) + secs(1) / 2;
        let got = sample(t1, server, t4);
        assert!((got.offset - secs(1000)).abs() < 10, "offset {}", got.offset);
        assert!((got.round_trip - secs(4) / 10).abs() < 10, "round trip {}", got.round_trip);
    }
}
