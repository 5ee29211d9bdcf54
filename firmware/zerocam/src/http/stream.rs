//! The MJPEG stream: multipart/x-mixed-replace, one part per frame, always the newest one.
//!
//! A client waits for a frame newer than the last it got and sends it through its
//! [`FrameSender`], which starts a frame only when the socket can take all of it at once,
//! so no slot is held while a client is slow. A slow client therefore skips frames but
//! never gets one twice and never builds a queue; a client that stops draining hits its
//! stall deadline and is dropped. Nothing here allocates per frame: the part head is
//! formatted into a buffer the sender owns.

use super::clients::ClientGuard;
use super::connection::send;
#[cfg(test)]
use super::frame_send::FRAME_HEAD_MAX;
use super::frame_send::{format_into, FrameSender};
use super::request::query_value;
use super::response::Head;
use super::shared::Shared;
use crate::pool::Lease;
use async_io::Async;
use std::io;
use std::net::TcpStream;
use std::sync::Arc;

pub const BOUNDARY: &str = "zerocamframe";

pub async fn serve(
    shared: &Arc<Shared>,
    socket: &mut Async<TcpStream>,
    client: &ClientGuard,
    camera_index: usize,
    head_only: bool,
    max_fps: Option<u32>,
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
    let mut sender = FrameSender::new(shared, socket, client, b"\r\n");
    if let Some(fps) = max_fps {
        sender.limit_rate(fps);
    }
    let mut last_seq = 0;
    let result = loop {
        let sent = sender
            .send_newest(shared, socket, client, pool, last_seq, |lease, buf| format_part_head(buf, lease))
            .await;
        match sent {
            Ok(seq) => last_seq = seq,
            Err(err) => break Err(err),
        }
    };
    pool.signal().unregister(client.id());
    result
}

/// The `fps` query parameter: a viewer's own frame-rate cap (a phone on a slow link).
pub fn max_fps(query: &str) -> Result<Option<u32>, &'static str> {
    match query_value(query, "fps") {
        None => Ok(None),
        Some(text) => match text.parse::<u32>() {
            Ok(fps) if (1..=120).contains(&fps) => Ok(Some(fps)),
            _ => Err("fps must be a whole number of frames per second, 1 to 120"),
        },
    }
}

/// `--boundary` plus the part's headers for the leased frame; the frame and a CRLF follow.
fn format_part_head(buf: &mut [u8], lease: &Lease) -> usize {
    part_head(buf, lease.bytes().len(), lease.captured_us(), lease.seq())
}

fn part_head(buf: &mut [u8], len: usize, captured_us: u64, seq: u64) -> usize {
    // The numbers are bounded (u64), so the head always fits FRAME_HEAD_MAX.
    format_into(
        buf,
        format_args!(
            "--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len}\r\nX-Timestamp: {}.{:06}\r\nX-Sequence: {seq}\r\n\r\n",
            captured_us / 1_000_000,
            captured_us % 1_000_000
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_head_carries_length_timestamp_and_sequence() {
        let mut buf = [0u8; FRAME_HEAD_MAX];
        let len = part_head(&mut buf, 12345, 1_700_000_000_123_456, 42);
        let text = std::str::from_utf8(&buf[..len]).expect("ascii");
        assert_eq!(
            text,
            "--zerocamframe\r\nContent-Type: image/jpeg\r\nContent-Length: 12345\r\n\
             X-Timestamp: 1700000000.123456\r\nX-Sequence: 42\r\n\r\n"
        );
        let worst = part_head(&mut buf, usize::MAX, u64::MAX, u64::MAX);
        assert!(worst < FRAME_HEAD_MAX);
    }

    #[test]
    fn the_fps_parameter() {
        assert_eq!(max_fps(""), Ok(None));
        assert_eq!(max_fps("action=stream&fps=5"), Ok(Some(5)));
        for bad in ["fps=0", "fps=121", "fps=x", "fps=", "fps=2.5"] {
            assert!(max_fps(bad).is_err(), "{bad}");
        }
    }
}
