//! The MJPEG stream: multipart/x-mixed-replace, one part per frame, always the newest one.
//!
//! A client waits for a frame newer than the last it got, leases it, writes it, lets it go.
//! A slow client therefore skips frames but never gets one twice and never builds a queue;
//! a client that stops draining hits its write deadline and is dropped, freeing its lease.
//! Nothing here allocates per frame: the part head is formatted into a buffer on the task.

use super::clients::ClientGuard;
use super::connection::{send, send_parts};
use super::response::Head;
use super::shared::Shared;
use crate::pool::{Lease, Pool};
use async_io::Async;
use std::future::poll_fn;
use std::io::{self, IoSlice, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::task::Poll;

pub const BOUNDARY: &str = "zerocamframe";
const PART_HEAD_MAX: usize = 192;

pub async fn serve(
    shared: &Arc<Shared>,
    socket: &mut Async<TcpStream>,
    client: &ClientGuard,
    camera_index: usize,
    head_only: bool,
) -> io::Result<()> {
    let camera = &shared.cameras[camera_index];
    let mut head = Head::new(200);
    head.header("Content-Type", format_args!("multipart/x-mixed-replace; boundary={BOUNDARY}"))
        .header("Cache-Control", "no-cache, no-store, must-revalidate")
        .header("Pragma", "no-cache")
        .header("Age", 0);
    send(socket, client, shared, head.finish(false), &[]).await?;
    if head_only {
        return Ok(());
    }
    client.set_camera(camera_index);
    let pool = &camera.pool;
    let mut last_seq = 0;
    let mut part_head = [0u8; PART_HEAD_MAX];
    let result = loop {
        let lease = next_frame(pool, client.id(), last_seq).await;
        last_seq = lease.seq();
        let frame = lease.bytes();
        let head_len = format_part_head(&mut part_head, frame.len(), lease.captured_us(), last_seq);
        let mut parts = [IoSlice::new(&part_head[..head_len]), IoSlice::new(frame), IoSlice::new(b"\r\n")];
        if let Err(err) = send_parts(socket, client, shared, &mut parts).await {
            break Err(err);
        }
        client.count_sent(1, (head_len + frame.len() + 2) as u64);
    };
    pool.signal().unregister(client.id());
    result
}

/// Waits until the pool has a frame newer than `last_seq` and leases it.
async fn next_frame(pool: &Arc<Pool>, subscriber: usize, last_seq: u64) -> Lease {
    poll_fn(|cx| {
        // Register first, then look: a publish between the two still wakes us.
        pool.signal().register(subscriber, cx.waker());
        if pool.newest_seq() > last_seq {
            if let Some(lease) = pool.lease_newest() {
                if lease.seq() > last_seq {
                    return Poll::Ready(lease);
                }
            }
        }
        Poll::Pending
    })
    .await
}

/// `--boundary` plus the part's headers; the frame and a CRLF follow.
fn format_part_head(buf: &mut [u8; PART_HEAD_MAX], len: usize, captured_us: u64, seq: u64) -> usize {
    let mut cursor = &mut buf[..];
    // The numbers are bounded (u64), so the head always fits PART_HEAD_MAX.
    let _ = write!(
        cursor,
        "--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len}\r\nX-Timestamp: {}.{:06}\r\nX-Sequence: {seq}\r\n\r\n",
        captured_us / 1_000_000,
        captured_us % 1_000_000
    );
    PART_HEAD_MAX - cursor.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_head_carries_length_timestamp_and_sequence() {
        let mut buf = [0u8; PART_HEAD_MAX];
        let len = format_part_head(&mut buf, 12345, 1_700_000_000_123_456, 42);
        let text = std::str::from_utf8(&buf[..len]).expect("ascii");
        assert_eq!(
            text,
            "--zerocamframe\r\nContent-Type: image/jpeg\r\nContent-Length: 12345\r\n\
             X-Timestamp: 1700000000.123456\r\nX-Sequence: 42\r\n\r\n"
        );
        let worst = format_part_head(&mut buf, usize::MAX, u64::MAX, u64::MAX);
        assert!(worst < PART_HEAD_MAX);
    }
}
