//! Sending a frame without ever holding its slot while a viewer is slow.
//!
//! A lease pins a slot: while any client holds one, the camera cannot reuse that slot. If a
//! client kept its lease until a whole frame had gone into a slow socket, a handful of
//! viewers on a poor link (or viewers that stopped reading) would pin every slot and the
//! camera would have to drop every frame, freezing the stream for everyone.
//!
//! So a frame is started only when the client's socket can take the whole part in one
//! write ([`socket_queue::fits`]). Then the lease lives for one non-blocking `writev` and
//! is gone before the task waits for anything. When the socket cannot take the part, the
//! frame is skipped for that client (it gets a newer one later) and no lease is held while
//! it waits. Viewers on a poor link skip frames; viewers that stop reading hold nothing and
//! are dropped by their stall deadline.
//!
//! Two cases still hold a lease across a wait, both counted in /status (`frames_held`):
//! a part larger than the socket can ever take (raise `net.core.wmem_max`, which the board
//! does), and a write the kernel unexpectedly took only in part.

use super::clients::{ClientGuard, Deadline};
use super::connection::send_parts;
use super::shared::{HttpCounters, Shared};
use super::socket_queue::{self, SendRoom};
use crate::pool::{Lease, Pool};
use async_io::Async;
use std::future::poll_fn;
use std::io::{self, IoSlice, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Poll;

/// Whether the "sockets too small for the largest frame" warning was given (once is enough).
static WARNED_SMALL_BUFFER: AtomicBool = AtomicBool::new(false);

/// The longest head a frame may be sent with (a stream part's, or a snapshot's response).
pub const FRAME_HEAD_MAX: usize = 512;

/// One client's sending state: how much its socket can take, and the progress seen so far.
pub struct FrameSender {
    room: SendRoom,
    /// What the socket had queued at the last look, to tell a draining client from a
    /// stopped one.
    last_queued: usize,
    head: [u8; FRAME_HEAD_MAX],
    /// What follows each frame (a stream part's CRLF).
    trailer: &'static [u8],
    /// A viewer's own rate cap (`?fps=N`): frames are spaced at least this far apart, on
    /// average, and no frame is taken before `next_due_ms`.
    interval_ms: u64,
    next_due_ms: u64,
}

impl FrameSender {
    /// Sizes the socket for whole frames and arms the client's stall deadline, which every
    /// frame taken or every sign of the queue draining pushes on.
    pub fn new(
        shared: &Shared,
        socket: &Async<TcpStream>,
        client: &ClientGuard,
        trailer: &'static [u8],
    ) -> FrameSender {
        let stall_ms = shared.config.stall_timeout_secs as u64 * 1000;
        client.set_deadline(Deadline::Write, shared.now_ms() + stall_ms);
        let capacity = socket_queue::size_send_buffer(socket, shared.socket_send_buffer);
        if capacity < shared.socket_send_buffer && !WARNED_SMALL_BUFFER.swap(true, Ordering::Relaxed) {
            log::info!(
                "sockets may buffer only {} KiB, less than a slot ({} KiB): a frame larger than \
                 that holds its slot while a slow viewer takes it; raise net.core.wmem_max",
                capacity / 1024,
                shared.socket_send_buffer / 1024
            );
        }
        FrameSender {
            room: SendRoom { capacity, budget: shared.config.send_buffer_kib * 1024 },
            last_queued: 0,
            head: [0; FRAME_HEAD_MAX],
            trailer,
            interval_ms: 0,
            next_due_ms: 0,
        }
    }

    /// Sends at most `fps` frames a second (still always the newest one when it is due).
    pub fn limit_rate(&mut self, fps: u32) {
        self.interval_ms = 1000 / u64::from(fps.max(1));
    }

    /// Whether a frame may be taken at `now_ms` under the rate cap. Due times advance by the
    /// interval, so the long-run rate never exceeds the cap, and a frame arriving a tenth of
    /// an interval early still counts (camera frames do not land exactly on the due time).
    fn due(&self, now_ms: u64) -> bool {
        now_ms + self.interval_ms / 10 >= self.next_due_ms
    }

    fn schedule_next(&mut self, now_ms: u64) {
        if self.interval_ms > 0 {
            let next = self.next_due_ms + self.interval_ms;
            // After a pause (no frames, or a slow socket) start afresh instead of catching up.
            self.next_due_ms =
                if next + self.interval_ms < now_ms { now_ms + self.interval_ms } else { next };
        }
    }

    /// Sends the newest frame newer than `after_seq`, as `head` formats it (into the buffer
    /// it is given, returning the length) followed by the frame and the trailer, and returns
    /// the frame's sequence number. Waits (holding nothing) until a frame exists that the
    /// socket can take whole. Ends with an error when the client's deadline passed.
    pub async fn send_newest(
        &mut self,
        shared: &Shared,
        socket: &mut Async<TcpStream>,
        client: &ClientGuard,
        pool: &Arc<Pool>,
        after_seq: u64,
        mut head: impl FnMut(&Lease, &mut [u8]) -> usize,
    ) -> io::Result<u64> {
        let trailer = self.trailer;
        let stall_ms = shared.config.stall_timeout_secs as u64 * 1000;
        let mut checked = after_seq;
        loop {
            let lease = next_frame(pool, client, checked).await?;
            checked = lease.seq();
            let now_ms = shared.now_ms();
            if !self.due(now_ms) {
                continue;
            }
            let queued = socket_queue::queued_bytes(socket.get_ref())?;
            if queued < self.last_queued || queued == 0 {
                // The client drains (or is empty): it is slow at worst, not stalled.
                client.set_deadline(Deadline::Write, shared.now_ms() + stall_ms);
            }
            self.last_queued = queued;
            let head_len = head(&lease, &mut self.head);
            let frame = lease.bytes();
            let part_len = head_len + frame.len() + trailer.len();
            let whole = socket_queue::fits(self.room, queued, part_len);
            let too_large_ever = part_len > self.room.capacity;
            if !(whole || too_large_ever && queued == 0) {
                // Skipped for this client; the lease goes before anything waits.
                continue;
            }
            let mut parts =
                [IoSlice::new(&self.head[..head_len]), IoSlice::new(frame), IoSlice::new(trailer)];
            let taken = match socket.get_ref().write_vectored(&parts) {
                Ok(n) => n,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => 0,
                Err(err) => return Err(err),
            };
            if taken < part_len {
                // Held across a wait: counted, bounded by the stall deadline.
                HttpCounters::bump(&shared.counters.frames_held);
                let mut rest: &mut [IoSlice<'_>] = &mut parts;
                IoSlice::advance_slices(&mut rest, taken);
                send_parts(socket, client, shared, rest).await?;
            }
            self.last_queued = queued + part_len;
            self.schedule_next(now_ms);
            client.set_deadline(Deadline::Write, shared.now_ms() + stall_ms);
            client.count_sent(1, part_len as u64);
            return Ok(checked);
        }
    }
}

/// Waits until the pool has a frame newer than `after_seq` and leases it; fails once the
/// housekeeper has ended the client (it wakes this task to say so).
async fn next_frame(pool: &Arc<Pool>, client: &ClientGuard, after_seq: u64) -> io::Result<Lease> {
    poll_fn(|cx| {
        if client.expired().is_some() {
            return Poll::Ready(Err(io::ErrorKind::TimedOut.into()));
        }
        // Register first, then look: a publish between the two still wakes us.
        pool.signal().register(client.id(), cx.waker());
        if pool.newest_seq() > after_seq {
            if let Some(lease) = pool.lease_newest() {
                if lease.seq() > after_seq {
                    return Poll::Ready(Ok(lease));
                }
            }
        }
        Poll::Pending
    })
    .await
}

/// Formats into `buf` and returns the length; the heads are built from short values of ours
/// and always fit (a cut head would be a bug and shows as a broken part).
pub fn format_into(buf: &mut [u8], args: std::fmt::Arguments<'_>) -> usize {
    let mut cursor = &mut buf[..];
    let before = cursor.len();
    let _ = cursor.write_fmt(args);
    before - cursor.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capped(fps: u32) -> FrameSender {
        let mut sender = FrameSender {
            room: SendRoom { capacity: 1 << 20, budget: 1 << 17 },
            last_queued: 0,
            head: [0; FRAME_HEAD_MAX],
            trailer: b"",
            interval_ms: 0,
            next_due_ms: 0,
        };
        sender.limit_rate(fps);
        sender
    }

    /// Frames every 40 ms (25 fps, with jitter) against a 5 fps cap: exactly five a second.
    #[test]
    fn the_rate_cap_takes_every_nth_frame_and_never_more() {
        let mut sender = capped(5);
        let mut taken = Vec::new();
        for frame in 0..250u64 {
            let now = frame * 40 + [0, 3, 1, 2][frame as usize % 4];
            if sender.due(now) {
                taken.push(now);
                sender.schedule_next(now);
            }
        }
        assert_eq!(taken.len(), 50, "10 s at 5 fps: {taken:?}");
        let uncapped = FrameSender { interval_ms: 0, ..capped(1) };
        assert!((0..10).all(|now| uncapped.due(now)));
    }

    #[test]
    fn after_a_pause_the_cap_starts_afresh() {
        let mut sender = capped(10);
        sender.schedule_next(0);
        sender.schedule_next(5_000);
        assert!(!sender.due(5_050));
        assert!(sender.due(5_100));
    }
}
