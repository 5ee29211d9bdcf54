//! Waiting for a datagram until a deadline: the request/reply loop DHCP, DNS and SNTP share.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::Instant;

/// Receives one datagram into `buffer`, or `Ok(None)` once `deadline` has passed. Signals
/// and spurious wake-ups do not end the wait early.
pub fn recv_until(
    socket: &UdpSocket,
    deadline: Instant,
    buffer: &mut [u8],
) -> io::Result<Option<(usize, SocketAddr)>> {
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Ok(None);
        }
        socket.set_read_timeout(Some(remaining))?;
        match socket.recv_from(buffer) {
            Ok(received) => return Ok(Some(received)),
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                ) => {}
            Err(err) => return Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::recv_until;
    use std::net::UdpSocket;
    use std::time::{Duration, Instant};

    #[test]
    fn returns_a_datagram_or_none_at_the_deadline() {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let sender = UdpSocket::bind("127.0.0.1:0").expect("bind");
        sender.send_to(b"hello", socket.local_addr().expect("addr")).expect("send");
        let mut buffer = [0u8; 16];
        let deadline = Instant::now() + Duration::from_secs(5);
        let (len, from) = recv_until(&socket, deadline, &mut buffer).expect("recv").expect("a datagram");
        assert_eq!((&buffer[..len], from), (&b"hello"[..], sender.local_addr().expect("addr")));
        let soon = Instant::now() + Duration::from_millis(50);
        assert!(recv_until(&socket, soon, &mut buffer).expect("recv").is_none());
    }
}
