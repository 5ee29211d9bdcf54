//! A minimal DNS resolver for A records over UDP (RFC 1035), only for NTP server names:
//! the initramfs has a static glibc without NSS, so getaddrinfo cannot be used.

use crate::net::error::{Context, NetError};
use crate::net::udp::recv_until;
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::time::{Duration, Instant};

pub const PORT: u16 = 53;
const HEADER_LEN: usize = 12;
const TYPE_A: u16 = 1;
const CLASS_IN: u16 = 1;
const FLAG_RESPONSE: u16 = 0x8000;
const FLAG_RECURSION_DESIRED: u16 = 0x0100;
/// More compression hops than any honest message needs.
const MAX_POINTER_HOPS: usize = 16;
const MAX_NAME_LEN: usize = 253;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadAnswer {
    /// Ends early, a label or record runs past the end, or a bad label type.
    Malformed,
    /// A compression pointer that does not point strictly backwards, or too many of them.
    CompressionLoop,
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
            BadAnswer::CompressionLoop => write!(f, "name compression loop"),
            BadAnswer::NotAResponse => write!(f, "not a response"),
            BadAnswer::NotOurs => write!(f, "answer to another query"),
            BadAnswer::Rcode(3) => write!(f, "no such name"),
            BadAnswer::Rcode(code) => write!(f, "server error (rcode {code})"),
            BadAnswer::NoAddress => write!(f, "no IPv4 address in the answer"),
        }
    }
}

/// A standard recursive query for `name`'s A records; None if `name` is not a valid name.
pub fn build_query(id: u16, name: &str) -> Option<Vec<u8>> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return None;
    }
    let mut packet = Vec::with_capacity(HEADER_LEN + name.len() + 6);
    packet.extend_from_slice(&id.to_be_bytes());
    packet.extend_from_slice(&FLAG_RECURSION_DESIRED.to_be_bytes());
    packet.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // one question
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return None;
        }
        packet.push(label.len() as u8);
        packet.extend_from_slice(label.as_bytes());
    }
    packet.push(0);
    packet.extend_from_slice(&TYPE_A.to_be_bytes());
    packet.extend_from_slice(&CLASS_IN.to_be_bytes());
    Some(packet)
}

/// The A records answering our query `id` for `name`. CNAME and other records are skipped:
/// recursive servers put the addresses of the CNAME's target in the same answer.
pub fn parse_answer(packet: &[u8], id: u16, name: &str) -> Result<Vec<Ipv4Addr>, BadAnswer> {
    let header = packet.get(..HEADER_LEN).ok_or(BadAnswer::Malformed)?;
    let field = |at: usize| u16::from_be_bytes([header[at], header[at + 1]]);
    if field(0) != id {
        return Err(BadAnswer::NotOurs);
    }
    let flags = field(2);
    if flags & FLAG_RESPONSE == 0 {
        return Err(BadAnswer::NotAResponse);
    }
    let rcode = (flags & 0xF) as u8;
    if rcode != 0 {
        return Err(BadAnswer::Rcode(rcode));
    }
    let (questions, answers) = (field(4), field(6));
    if questions != 1 {
        return Err(BadAnswer::NotOurs);
    }
    let (asked, mut at) = read_name(packet, HEADER_LEN)?;
    if !asked.eq_ignore_ascii_case(name.strip_suffix('.').unwrap_or(name)) {
        return Err(BadAnswer::NotOurs);
    }
    at = skip(packet, at, 4)?; // question type and class
    let mut addresses = Vec::new();
    for _ in 0..answers {
        let (_, after_name) = read_name(packet, at)?;
        let fixed = packet.get(after_name..after_name + 10).ok_or(BadAnswer::Malformed)?;
        let kind = u16::from_be_bytes([fixed[0], fixed[1]]);
        let class = u16::from_be_bytes([fixed[2], fixed[3]]);
        let data_len = usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
        let data_at = after_name + 10;
        let data = packet.get(data_at..data_at + data_len).ok_or(BadAnswer::Malformed)?;
        if kind == TYPE_A && class == CLASS_IN {
            let octets: [u8; 4] = data.try_into().map_err(|_| BadAnswer::Malformed)?;
            addresses.push(Ipv4Addr::from(octets));
        }
        at = data_at + data_len;
    }
    if addresses.is_empty() {
        return Err(BadAnswer::NoAddress);
    }
    Ok(addresses)
}

fn skip(packet: &[u8], at: usize, len: usize) -> Result<usize, BadAnswer> {
    if packet.len() < at + len {
        return Err(BadAnswer::Malformed);
    }
    Ok(at + len)
}

/// Reads the (possibly compressed) name at `start`: the dotted name and where the record
/// continues after it.
fn read_name(packet: &[u8], start: usize) -> Result<(String, usize), BadAnswer> {
    let mut name = String::new();
    let mut at = start;
    let mut resume = None;
    let mut hops = 0;
    loop {
        let len = *packet.get(at).ok_or(BadAnswer::Malformed)?;
        match len & 0xC0 {
            0x00 if len == 0 => return Ok((name, resume.unwrap_or(at + 1))),
            0x00 => {
                let label = packet.get(at + 1..at + 1 + usize::from(len)).ok_or(BadAnswer::Malformed)?;
                if !name.is_empty() {
                    name.push('.');
                }
                name.extend(label.iter().map(|&byte| char::from(byte)));
                if name.len() > MAX_NAME_LEN {
                    return Err(BadAnswer::Malformed);
                }
                at += 1 + usize::from(len);
            }
            0xC0 => {
                let low = *packet.get(at + 1).ok_or(BadAnswer::Malformed)?;
                let target = usize::from(len & 0x3F) << 8 | usize::from(low);
                hops += 1;
                // Strictly backwards, so every jump makes progress toward the start.
                if target >= at || hops > MAX_POINTER_HOPS {
                    return Err(BadAnswer::CompressionLoop);
                }
                resume.get_or_insert(at + 2);
                at = target;
            }
            _ => return Err(BadAnswer::Malformed), // 0x40 and 0x80 label types are unused
        }
    }
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
        record.extend_from_slice(&CLASS_IN.to_be_bytes());
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
        let reply =
            answer(&query, 0, &[cname, record(TYPE_A, &[192, 0, 2, 1]), record(TYPE_A, &[192, 0, 2, 2])]);
        assert_eq!(
            parse_answer(&reply, 7, "TIME.example"),
            Ok(vec![Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(192, 0, 2, 2)])
        );
        // The CNAME's data (after the 30-byte query and a 12-byte record head) is compressed.
        assert_eq!(read_name(&reply, 42), Ok(("ntp.example".to_owned(), 48)));
    }

    #[test]
    fn rejects_foreign_and_failed_answers() {
        let query = build_query(7, "time.example").expect("valid");
        let good = answer(&query, 0, &[record(TYPE_A, &[192, 0, 2, 1])]);
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
        let good = answer(&query, 0, &[record(5, b"\x03ntp\xC0\x11"), record(TYPE_A, &[192, 0, 2, 1])]);
        for len in 0..good.len() {
            assert!(parse_answer(&good[..len], 7, "time.example").is_err(), "cut at {len}");
        }
        let mut bad_length = answer(&query, 0, &[record(TYPE_A, &[192, 0, 2, 1, 5])]);
        assert_eq!(parse_answer(&bad_length, 7, "time.example"), Err(BadAnswer::Malformed));
        bad_length[HEADER_LEN] = 0x40; // reserved label type
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
        looped.extend_from_slice(&record(TYPE_A, &[1, 2, 3, 4])[2..]);
        assert_eq!(parse_answer(&looped, 7, "time.example"), Err(BadAnswer::CompressionLoop));
        // Two pointers pointing at each other: the forward one is refused.
        let mut pair = looped.clone();
        let owner = pair.len();
        pair[6..8].copy_from_slice(&2u16.to_be_bytes());
        pair[at..at + 2].copy_from_slice(&[0xC0, owner as u8]);
        pair.extend_from_slice(&[0xC0, at as u8]);
        pair.extend_from_slice(&record(TYPE_A, &[1, 2, 3, 4])[2..]);
        assert_eq!(parse_answer(&pair, 7, "time.example"), Err(BadAnswer::CompressionLoop));
        assert_eq!(read_name(&pair, owner), Err(BadAnswer::CompressionLoop));
    }
}
