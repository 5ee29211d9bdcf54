//! Test servers on 127.0.0.1 (ephemeral ports), one thread each, answering a fixed number
//! of requests: an NTP server whose clock runs a known offset ahead, and a DNS server with
//! one name.

use super::timestamp::{now_unix_nanos, to_ntp};
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::thread::JoinHandle;
use std::time::Duration;

fn bind() -> (UdpSocket, SocketAddrV4) {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind a test socket");
    socket.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let std::net::SocketAddr::V4(address) = socket.local_addr().expect("address") else {
        panic!("IPv4 socket without an IPv4 address")
    };
    (socket, address)
}

/// Answers `requests` SNTP requests as a stratum-2 server `offset_nanos` ahead of us.
pub fn ntp_server(offset_nanos: i128, requests: usize) -> (SocketAddrV4, JoinHandle<()>) {
    let (socket, address) = bind();
    let handle = std::thread::spawn(move || {
        let mut buffer = [0u8; 512];
        for _ in 0..requests {
            let Ok((len, from)) = socket.recv_from(&mut buffer) else { return };
            if len < 48 {
                continue;
            }
            let server_now = to_ntp(now_unix_nanos() + offset_nanos);
            let mut reply = [0u8; 48];
            reply[0] = (4 << 3) | 4;
            reply[1] = 2;
            reply[24..32].copy_from_slice(&buffer[40..48]);
            reply[32..40].copy_from_slice(&server_now.to_be_bytes());
            reply[40..48].copy_from_slice(&server_now.to_be_bytes());
            let _ = socket.send_to(&reply, from);
        }
    });
    (address, handle)
}

/// A socket nobody answers on: a server that is down (without ICMP errors).
pub fn silent_server() -> (UdpSocket, SocketAddrV4) {
    bind()
}

/// Answers `requests` A queries: `address` for any name, echoing the question.
pub fn dns_server(address: Ipv4Addr, requests: usize) -> (SocketAddrV4, JoinHandle<()>) {
    let (socket, server) = bind();
    let handle = std::thread::spawn(move || {
        let mut buffer = [0u8; 512];
        for _ in 0..requests {
            let Ok((len, from)) = socket.recv_from(&mut buffer) else { return };
            let mut reply = buffer[..len].to_vec();
            reply[2] = 0x81;
            reply[3] = 0x80;
            reply[6..8].copy_from_slice(&1u16.to_be_bytes());
            reply.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1, 0, 0, 1, 0, 0, 4]);
            reply.extend_from_slice(&address.octets());
            let _ = socket.send_to(&reply, from);
        }
    });
    (server, handle)
}
