//! What a client's socket can take right now, asked of the kernel.
//!
//! A frame is started for a viewer only when its socket can take the whole part in one
//! write (see frame_send.rs), so the slot it comes from is never held while the viewer is
//! slow. Two numbers decide that: the bytes still queued in the socket (sent but not yet
//! acknowledged, plus not yet sent), and the socket's capacity.

use std::io;
use std::os::fd::{AsFd, AsRawFd};

/// Bytes in the socket's send queue that the peer has not acknowledged yet (`SIOCOUTQ`).
/// One ioctl; no allocation.
pub fn queued_bytes(socket: &impl AsFd) -> io::Result<usize> {
    let mut queued: libc::c_int = 0;
    // SAFETY: TIOCOUTQ (= SIOCOUTQ for TCP sockets) writes one int through the pointer,
    // which points at a live c_int; the descriptor is borrowed for the call.
    let result = unsafe { libc::ioctl(socket.as_fd().as_raw_fd(), libc::TIOCOUTQ, &mut queued) };
    if result < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(usize::try_from(queued).unwrap_or(0))
}

/// Asks for a send buffer of at least `bytes` and returns the payload one write is then
/// sure to be taken whole when the queue is empty: half of what the kernel grants, since
/// it counts its own bookkeeping per packet against the same limit (the kernel doubles the
/// value asked for to leave room for exactly that).
///
/// An unprivileged process is capped at `net.core.wmem_max`; a privileged one (the board's
/// PID 1, or root) may go past it, which is tried when the plain request fell short.
pub fn size_send_buffer(socket: &impl AsFd, bytes: usize) -> usize {
    use rustix::net::sockopt;
    let _ = sockopt::set_socket_send_buffer_size(socket, bytes);
    let mut granted = sockopt::socket_send_buffer_size(socket).unwrap_or(0);
    if granted / 2 < bytes && sockopt::set_socket_send_buffer_size_force(socket, bytes).is_ok() {
        granted = sockopt::socket_send_buffer_size(socket).unwrap_or(granted);
    }
    granted / 2
}

/// The send-side state of one connection, read before each frame.
#[derive(Debug, Clone, Copy)]
pub struct SendRoom {
    /// The payload the socket takes whole when empty ([`size_send_buffer`]).
    pub capacity: usize,
    /// How much may still be queued when a new frame is started: the lag budget.
    pub budget: usize,
}

/// Whether a part of `part_len` bytes may be started with `queued` bytes still in the
/// socket: it must be taken whole, and a slow client must not be buried in frames. A part
/// larger than the lag budget is started only into an empty queue.
pub fn fits(room: SendRoom, queued: usize, part_len: usize) -> bool {
    let after = queued.saturating_add(part_len);
    after <= room.capacity && (queued == 0 || after <= room.budget)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOM: SendRoom = SendRoom { capacity: 200_000, budget: 100_000 };

    #[test]
    fn a_part_fits_only_whole_and_within_the_lag_budget() {
        assert!(fits(ROOM, 0, 30_000));
        assert!(fits(ROOM, 60_000, 30_000));
        assert!(!fits(ROOM, 80_000, 30_000), "over the lag budget");
        // Larger than the budget: only into an empty queue.
        assert!(fits(ROOM, 0, 150_000));
        assert!(!fits(ROOM, 1, 150_000));
        // Larger than the socket can take at all: never whole.
        assert!(!fits(ROOM, 0, 250_000));
        assert!(!fits(ROOM, usize::MAX, 1));
    }

    #[test]
    fn the_kernel_reports_what_a_socket_has_queued() {
        use std::io::Write;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let mut sender = std::net::TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (_receiver, _) = listener.accept().expect("accept");
        let capacity = size_send_buffer(&sender, 64 * 1024);
        assert!(capacity >= 32 * 1024, "capacity {capacity}");
        assert_eq!(queued_bytes(&sender).expect("SIOCOUTQ"), 0);
        // The receiver reads nothing, so what it cannot take stays queued on this side.
        sender.set_nonblocking(true).expect("nonblocking");
        let chunk = [0x55u8; 4096];
        let mut written = 0;
        while let Ok(n) = sender.write(&chunk) {
            written += n;
        }
        let queued = queued_bytes(&sender).expect("SIOCOUTQ");
        assert!(queued > 0 && queued <= written, "queued {queued} of {written}");
    }
}
