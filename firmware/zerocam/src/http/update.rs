//! POST /api/update: the body is an update bundle, streamed into the inactive slot while
//! everyone else keeps streaming. Only with `Authorization: Bearer <admin_token>`;
//! `?force=1` allows a downgrade. This task only moves bytes from the socket into the
//! installer's fixed buffers: checking, hashing and disk I/O run on its writer thread.

use super::clients::{ClientGuard, Deadline};
use super::connection::{send, send_body, send_error, Next};
use super::pages::check_admin;
use super::request::{query_value, Request};
use super::routes::{route, Route};
use super::shared::Shared;
use super::status::quoted;
use crate::ota::install::{BeginError, Installed, Upload};
use crate::system::PowerAction;
use async_io::Async;
use futures_lite::AsyncReadExt;
use std::io;
use std::net::TcpStream;
use std::sync::Arc;
use zerocam_bundle::Refusal;

/// After a refusal the rest of the body is read and dropped (so that the client, which
/// sends everything before it reads, gets the answer instead of a reset), up to this much.
const MAX_DRAIN: u64 = 256 * 1024 * 1024;

/// Whether the request may carry a body larger than the usual small limit.
pub fn takes_body(request: &Request<'_>) -> bool {
    route(request.path, request.query) == Route::Update
}

pub async fn update(
    shared: &Arc<Shared>,
    socket: &mut Async<TcpStream>,
    client: &ClientGuard,
    request: &Request<'_>,
    body_start: &[u8],
) -> io::Result<Next> {
    let early = &body_start[..body_start.len().min(request.content_length)];
    let declared = request.content_length as u64;
    let refused_early = match check_admin(shared, socket, client, request, "updates").await {
        Some(reply) => Err(reply),
        None => match begin(shared, request, declared) {
            Ok(upload) => Ok(upload),
            Err((status, reason)) => {
                Err(send_error(socket, client, shared, status, &reason, None, false).await)
            }
        },
    };
    let upload = match refused_early {
        Ok(upload) => upload,
        Err(reply) => {
            // Read the body the client is sending anyway, so that it gets this answer rather
            // than a reset (one that waits for 100 Continue sends none).
            let unread = declared - early.len() as u64;
            if !request.expect_continue && unread <= MAX_DRAIN {
                drain(shared, socket, client, unread).await;
            }
            return reply.map(|_| Next::Close);
        }
    };
    if request.expect_continue {
        send(socket, client, shared, b"HTTP/1.1 100 Continue\r\n\r\n", &[]).await?;
    }
    let (unread, client_stopped) = pump(shared, socket, client, &upload, early, declared).await;
    let outcome = upload.finish().await;
    let next = answer(shared, socket, client, &outcome).await;
    if outcome.is_err() && !client_stopped && unread > 0 && unread <= MAX_DRAIN {
        drain(shared, socket, client, unread).await;
    }
    next.map(|_| Next::Close)
}

/// Once the token is right: checks what else the request head can tell, then starts the
/// installer.
fn begin(shared: &Shared, request: &Request<'_>, declared: u64) -> Result<Upload, (u16, String)> {
    let Some(updater) = shared.updates.as_ref() else {
        return Err((501, "updates are only possible on the board".into()));
    };
    if declared == 0 {
        return Err((411, "Content-Length required: the body is the bundle".into()));
    }
    let force = query_value(request.query, "force") == Some("1");
    updater.begin(declared, force).map_err(|error| {
        let status = match error {
            BeginError::Busy => 409,
            BeginError::NoKeys => 503,
            BeginError::Thread(_) => 500,
        };
        (status, error.to_string())
    })
}

/// Moves the body into the installer's buffers until it is all there, the client stops
/// sending, or the installer refused. Returns the bytes left unread and whether the client
/// stopped (went away or let the body deadline pass).
async fn pump(
    shared: &Shared,
    socket: &mut Async<TcpStream>,
    client: &ClientGuard,
    upload: &Upload,
    mut early: &[u8],
    declared: u64,
) -> (u64, bool) {
    let stall_ms = shared.config.stall_timeout_secs as u64 * 1000;
    let mut remaining = declared - early.len() as u64;
    while !upload.ended() && (remaining > 0 || !early.is_empty()) {
        let Some(mut buf) = upload.buffer().await else { break };
        let mut filled = early.len().min(buf.len());
        buf[..filled].copy_from_slice(&early[..filled]);
        early = &early[filled..];
        let mut stopped = false;
        while filled < buf.len() && remaining > 0 {
            let want = (buf.len() - filled).min(remaining as usize);
            client.set_deadline(Deadline::Body, shared.now_ms() + stall_ms);
            match socket.read(&mut buf[filled..filled + want]).await {
                Ok(n) if n > 0 => {
                    filled += n;
                    remaining -= n as u64;
                }
                _ => {
                    stopped = true;
                    break;
                }
            }
        }
        client.clear_deadline();
        if filled > 0 && !upload.submit(buf, filled).await {
            break;
        }
        if stopped {
            return (remaining, true);
        }
    }
    (remaining, false)
}

async fn answer(
    shared: &Arc<Shared>,
    socket: &mut Async<TcpStream>,
    client: &ClientGuard,
    outcome: &Result<Installed, Refusal>,
) -> io::Result<Next> {
    let (status, body) = match outcome {
        Ok(installed) => {
            let reboot = shared.control.request(PowerAction::Reboot);
            if let Err(why) = &reboot {
                log::error!("update installed but the reboot failed: {why}");
            }
            let body = format!(
                "{{\"result\":\"ok\",\"slot\":\"{}\",\"version\":{},\"build_id\":{},\"rebooting\":{}{}}}\n",
                installed.slot.name,
                quoted(&installed.version),
                quoted(&installed.build_id),
                reboot.is_ok(),
                reboot.err().map_or_else(String::new, |why| format!(",\"reboot_error\":{}", quoted(&why))),
            );
            (200, body)
        }
        Err(refusal) => {
            let body = format!(
                "{{\"result\":\"refused\",\"code\":\"{}\",\"reason\":{}}}\n",
                refusal.code(),
                quoted(&refusal.to_string())
            );
            (refusal_status(refusal), body)
        }
    };
    send_body(socket, client, shared, status, "application/json", body.as_bytes(), false, false).await
}

fn refusal_status(refusal: &Refusal) -> u16 {
    match refusal {
        Refusal::Malformed(_)
        | Refusal::BadSignature { .. }
        | Refusal::UnknownKey { .. }
        | Refusal::WrongBoard { .. }
        | Refusal::HashMismatch { .. } => 422,
        Refusal::Downgrade { .. } => 409,
        Refusal::TooBig { .. } => 413,
        Refusal::SizeMismatch { .. } | Refusal::Truncated { .. } => 400,
        Refusal::Install(_) => 500,
    }
}

/// Reads and drops `count` body bytes, each read under the body deadline.
async fn drain(shared: &Shared, socket: &mut Async<TcpStream>, client: &ClientGuard, mut count: u64) {
    let stall_ms = shared.config.stall_timeout_secs as u64 * 1000;
    let mut sink = [0u8; 2048];
    while count > 0 {
        client.set_deadline(Deadline::Body, shared.now_ms() + stall_ms);
        let want = count.min(sink.len() as u64) as usize;
        match socket.read(&mut sink[..want]).await {
            Ok(n) if n > 0 => count -= n as u64,
            _ => break,
        }
    }
    client.clear_deadline();
}
