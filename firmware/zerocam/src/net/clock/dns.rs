//! A minimal DNS resolver for A records over UDP (RFC 1035), only for NTP server names:
//! the initramfs has a static glibc without NSS, so getaddrinfo cannot be used. Messages
//! are built and parsed by `simple-dns` (which the mDNS responder uses too); what is ours
//! is the exchange: which servers, how long to wait, which answers count.

use crate::net::error::{Context, NetError};
use crate::net::udp::recv_until;
use simple_dns::rdata::RData;
use simple_dns::{Name, Packet, PacketFlag, Question, CLASS, RCODE, TYPE};
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::time::{Duration, Instant};

pub const PORT: u16 = 53;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadAnswer {
    /// Not a DNS message: cut short, a record running past the end, a bad name (including
    /// compression pointers that loop).
    Malformed,
    NotAResponse,
    /// Not an answer to our query (other id or other question).
    NotOurs,
    /// The server's response code, e.g. 3: no such name.
    Rcode(u8),
    NoAddress,
}

impl fmt::Display for BadAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadAnswer::Malformed => write!(f, "malformed answer"),
            BadAnswer::NotAResponse => write!(f, "not a response"),
            BadAnswer::NotOurs => write!(f, "answer to another query"),
            BadAnswer::Rcode(3) => write!(f, "no such name"),
            BadAnswer::Rcode(code) => write!(f, "server error (rcode {code})"),
            BadAnswer::NoAddress => write!(f, "no IPv4 address in the answer"),
        }
    }
}

fn without_root(name: &str) -> &str {
    name.strip_suffix('.').unwrap_or(name)
}

/// A standard recursive query for `name`'s A records; None if `name` is not a valid name.
pub fn build_query(id: u16, name: &str) -> Option<Vec<u8>> {
    let name = without_root(name);
    // simple-dns takes "a..b" as two labels; a host name has no empty label.
    if name.is_empty() || name.split('.').any(str::is_empty) {
        return None;
    }
    let mut packet = Packet::new_query(id);
    packet.set_flags(PacketFlag::RECURSION_DESIRED);
    packet.questions.push(Question::new(Name::new(name).ok()?, TYPE::A.into(), CLASS::IN.into(), false));
    packet.build_bytes_vec().ok()
}

/// The A records answering our query `id` for `name`. CNAME and other records are skipped:
/// recursive servers put the addresses of the CNAME's target in the same answer.
pub fn parse_answer(bytes: &[u8], id: u16, name: &str) -> Result<Vec<Ipv4Addr>, BadAnswer> {
    let packet = Packet::parse(bytes).map_err(|_| BadAnswer::Malformed)?;
    if packet.id() != id {
        return Err(BadAnswer::NotOurs);
    }
    if !packet.has_flags(PacketFlag::RESPONSE) {
        return Err(BadAnswer::NotAResponse);
    }
    if packet.rcode() != RCODE::NoError {
        // The code's 4 bits, straight from the header (the enum folds unknown ones).
        return Err(BadAnswer::Rcode(bytes[3] & 0xF));
    }
    match packet.questions.as_slice() {
        [question] if question.qname.to_string().eq_ignore_ascii_case(without_root(name)) => {}
        _ => return Err(BadAnswer::NotOurs),
    }
    let addresses: Vec<Ipv4Addr> = packet
        .answers
        .iter()
        .filter(|record| record.class == CLASS::IN)
        .filter_map(|record| match &record.rdata {
            RData::A(a) => Some(Ipv4Addr::from(a.address)),
            _ => None,
        })
        .collect();
    if addresses.is_empty() {
        return Err(BadAnswer::NoAddress);
    }
    Ok(addresses)
}

/// Asks each server in turn, waiting up to `timeout` for each; the first answer with
/// addresses wins.
pub fn resolve(name: &str, servers: &[SocketAddrV4], timeout: Duration) -> Result<Vec<Ipv4Addr>, NetError> {
    let action = || format!("resolve {name}");
    if servers.is_empty() {
        return Err(NetError::other(action(), "no DNS server (DHCP gave none, [network] dns is empty)"));
    }
    let socket = UdpSocket::bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)).context(action)?;
    let mut last = NetError::other(action(), "no answer");
    for (n, server) in servers.iter().enumerate() {
        let id = query_id(n);
        let query =
            build_query(id, name).ok_or_else(|| NetError::other(action(), "not a valid host name"))?;
        match ask(&socket, *server, &query, id, name, timeout) {
            Ok(addresses) => return Ok(addresses),
            Err(err) => last = NetError::new(format!("{} via {server}", action()), err),
        }
    }
    Err(last)
}

fn ask(
    socket: &UdpSocket,
    server: SocketAddrV4,
    query: &[u8],
    id: u16,
    name: &str,
    timeout: Duration,
) -> io::Result<Vec<Ipv4Addr>> {
    socket.send_to(query, server)?;
    let deadline = Instant::now() + timeout;
    let mut buffer = [0u8; 1500];
    loop {
        let Some((len, from)) = recv_until(socket, deadline, &mut buffer)? else {
            return Err(io::Error::new(io::ErrorKind::TimedOut, format!("no answer within {timeout:?}")));
        };
        if from != SocketAddr::V4(server) {
            continue;
        }
        match parse_answer(&buffer[..len], id, name) {
            Ok(addresses) => return Ok(addresses),
            // Late answers to earlier queries: keep waiting for ours.
            Err(BadAnswer::NotOurs) => continue,
            Err(bad) => return Err(io::Error::other(bad.to_string())),
        }
    }
}

/// Unpredictable enough that a stale answer does not match: clock bits mixed with a counter.
fn query_id(n: usize) -> u16 {
    let nanos = super::timestamp::now_unix_nanos();
    (nanos as u16) ^ ((nanos >> 16) as u16) ^ (n as u16).rotate_left(8)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An answer to `query` with `records` appended (each already encoded).
    fn answer(query: &[u8], rcode: u8, records: &[Vec<u8>]) -> Vec<u8> {
        let mut packet = query.to_vec();
        packet[2] = 0x81;
        packet[3] = 0x80 | rcode;
        packet[6..8].copy_from_slice(&(records.len() as u16).to_be_bytes());
        for record in records {
            packet.extend_from_slice(record);
        }
        packet
    }

    /// A record whose owner is a pointer to the question name (offset 12).
    fn record(kind: u16, data: &[u8]) -> Vec<u8> {
        let mut record = vec![0xC0, 12];
        record.extend_from_slice(&kind.to_be_bytes());
        record.extend_from_slice(&1u16.to_be_bytes()); // class IN
        record.extend_from_slice(&300u32.to_be_bytes());
        record.extend_from_slice(&(data.len() as u16).to_be_bytes());
        record.extend_from_slice(data);
        record
    }

    #[test]
    fn builds_a_query() {
        let query = build_query(0xBEEF, "pool.ntp.org.").expect("valid name");
        assert_eq!(&query[..12], &[0xBE, 0xEF, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&query[12..], b"\x04pool\x03ntp\x03org\x00\x00\x01\x00\x01");
        assert!(build_query(1, "").is_none());
        assert!(build_query(1, "a..b").is_none());
        assert!(build_query(1, &"x".repeat(64)).is_none());
    }

    #[test]
    fn parses_addresses_and_skips_cnames() {
        let query = build_query(7, "time.example").expect("valid");
        // CNAME whose target is "ntp" + pointer to "example" inside the question (offset 17).
        let cname = record(5, b"\x03ntp\xC0\x11");
        let reply = answer(&query, 0, &[cname, record(1, &[192, 0, 2, 1]), record(1, &[192, 0, 2, 2])]);
        assert_eq!(
            parse_answer(&reply, 7, "TIME.example"),
            Ok(vec![Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(192, 0, 2, 2)])
        );
    }

    #[test]
    fn rejects_foreign_and_failed_answers() {
        let query = build_query(7, "time.example").expect("valid");
        let good = answer(&query, 0, &[record(1, &[192, 0, 2, 1])]);
        assert_eq!(parse_answer(&good, 8, "time.example"), Err(BadAnswer::NotOurs));
        assert_eq!(parse_answer(&good, 7, "other.example"), Err(BadAnswer::NotOurs));
        assert_eq!(parse_answer(&query, 7, "time.example"), Err(BadAnswer::NotAResponse));
        assert_eq!(parse_answer(&answer(&query, 3, &[]), 7, "time.example"), Err(BadAnswer::Rcode(3)));
        assert_eq!(parse_answer(&answer(&query, 0, &[]), 7, "time.example"), Err(BadAnswer::NoAddress));
        let aaaa_only = answer(&query, 0, &[record(28, &[0; 16])]);
        assert_eq!(parse_answer(&aaaa_only, 7, "time.example"), Err(BadAnswer::NoAddress));
    }

    #[test]
    fn truncated_or_malformed_answers_never_panic() {
        let query = build_query(7, "time.example").expect("valid");
        let good = answer(&query, 0, &[record(5, b"\x03ntp\xC0\x11"), record(1, &[192, 0, 2, 1])]);
        for len in 0..good.len() {
            assert!(parse_answer(&good[..len], 7, "time.example").is_err(), "cut at {len}");
        }
        // An A record too short for an address.
        let mut bad_length = answer(&query, 0, &[record(1, &[192, 0, 2])]);
        assert!(parse_answer(&bad_length, 7, "time.example").is_err());
        bad_length[12] = 0x40; // reserved label type
        assert_eq!(parse_answer(&bad_length, 7, "time.example"), Err(BadAnswer::Malformed));
        // Every byte value at every position: must not panic.
        for at in 0..good.len() {
            for value in [0x00, 0x3F, 0xC0, 0xFF] {
                let mut mutated = good.clone();
                mutated[at] = value;
                let _ = parse_answer(&mutated, 7, "time.example");
            }
        }
    }

    #[test]
    fn compression_loops_are_rejected() {
        let query = build_query(7, "time.example").expect("valid");
        // A record whose owner name points at itself.
        let mut looped = answer(&query, 0, &[]);
        let at = looped.len();
        looped[6..8].copy_from_slice(&1u16.to_be_bytes());
        looped.extend_from_slice(&[0xC0 | (at >> 8) as u8, at as u8]);
        looped.extend_from_slice(&record(1, &[1, 2, 3, 4])[2..]);
        assert_eq!(parse_answer(&looped, 7, "time.example"), Err(BadAnswer::Malformed));
        // Two pointers pointing at each other: the forward one is refused.
        let mut pair = looped.clone();
        let owner = pair.len();
        pair[6..8].copy_from_slice(&2u16.to_be_bytes());
        pair[at..at + 2].copy_from_slice(&[0xC0, owner as u8]);
        pair.extend_from_slice(&[0xC0, at as u8]);
        pair.extend_from_slice(&record(1, &[1, 2, 3, 4])[2..]);
        assert_eq!(parse_answer(&pair, 7, "time.example"), Err(BadAnswer::Malformed));
    }
}
