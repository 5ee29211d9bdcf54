//! The small resources: live-view page, snapshot, log, power actions.

use super::auth::{bearer_token, same_secret, Verdict};
use super::clients::ClientGuard;
use super::connection::{send, send_body, send_error, Next};
use super::frame_send::FrameSender;
use super::request::Request;
use super::response::Head;
use super::shared::{HttpCounters, Shared};
use crate::pool::Lease;
use crate::system::PowerAction;
use async_io::Async;
use std::io;
use std::net::TcpStream;
use std::sync::Arc;

const PAGE_TEMPLATE: &str = include_str!("page.html");
/// The site icon: a small camera, as SVG (served for /favicon.ico too; browsers take it).
pub const ICON: &str = include_str!("icon.svg");

/// The live-view page of one camera: the picture plus stats refreshed from /status.
pub fn live_page(shared: &Shared, camera_index: usize) -> String {
    let name = shared.cameras[camera_index].name();
    let base = if camera_index == 0 { "/".to_string() } else { format!("/cam/{name}/") };
    // Every camera is one tap away when there are several (the current one is marked by the
    // page's script).
    let nav: String = if shared.cameras.len() > 1 {
        shared.cameras.iter().map(|camera| format!("<a href=\"/cam/{0}/\">{0}</a>", camera.name())).collect()
    } else {
        String::new()
    };
    // Camera names are restricted to [A-Za-z0-9_-] by the config, so they need no escaping.
    PAGE_TEMPLATE.replace("{{NAME}}", name).replace("{{BASE}}", &base).replace("{{NAV}}", &nav)
}

/// The newest frame as image/jpeg, or 503 before the first frame. Sent like a stream part:
/// only when the socket can take all of it, so a slow fetch holds no slot while it waits.
pub async fn snapshot(
    shared: &Arc<Shared>,
    socket: &mut Async<TcpStream>,
    client: &ClientGuard,
    camera_index: usize,
    head_only: bool,
    keep_alive: bool,
) -> io::Result<Next> {
    let pool = &shared.cameras[camera_index].pool;
    if pool.newest_seq() == 0 {
        return send_error(socket, client, shared, 503, "no frame yet", None, keep_alive).await;
    }
    let head_of = |lease: &Lease| {
        let captured = lease.captured_us();
        let mut head = Head::new(200);
        head.header("Content-Type", "image/jpeg")
            .header("Content-Length", lease.bytes().len())
            .header("Cache-Control", "no-store")
            .header("X-Timestamp", format_args!("{}.{:06}", captured / 1_000_000, captured % 1_000_000))
            .header("X-Sequence", lease.seq());
        head
    };
    if head_only {
        let Some(lease) = pool.lease_newest() else {
            return send_error(socket, client, shared, 503, "no frame yet", None, keep_alive).await;
        };
        let mut head = head_of(&lease);
        drop(lease);
        send(socket, client, shared, head.finish(keep_alive), &[]).await?;
        return Ok(Next::after(keep_alive));
    }
    let mut sender = FrameSender::new(shared, socket, client, &[]);
    let format_head = |lease: &Lease, buf: &mut [u8]| {
        let mut head = head_of(lease);
        let bytes = head.finish(keep_alive);
        let len = bytes.len().min(buf.len());
        buf[..len].copy_from_slice(&bytes[..len]);
        len
    };
    sender.send_newest(shared, socket, client, pool, 0, format_head).await?;
    client.clear_deadline();
    Ok(Next::after(keep_alive))
}

/// The recent log lines, oldest first.
pub fn log_text() -> Vec<u8> {
    let mut text = Vec::new();
    if let Some(ring) = crate::logging::ring() {
        ring.for_each(|line| {
            text.extend_from_slice(line);
            text.push(b'\n');
        });
    }
    text
}

/// POST /api/poweroff and /api/reboot: only with `Authorization: Bearer <admin_token>`.
pub async fn power(
    shared: &Arc<Shared>,
    socket: &mut Async<TcpStream>,
    client: &ClientGuard,
    action: PowerAction,
    request: &Request<'_>,
) -> io::Result<Next> {
    if let Some(refused) = check_admin(shared, socket, client, request, "power control").await {
        return refused;
    }
    match shared.control.request(action) {
        Ok(()) => {
            log::warn!("{} requested over HTTP", action.name());
            let body = format!("{} under way\n", action.name());
            send_body(socket, client, shared, 202, "text/plain; charset=utf-8", body.as_bytes(), false, false)
                .await
        }
        Err(why) => send_error(socket, client, shared, 500, &why, None, false).await,
    }
}

/// Checks the admin token of a request to an admin action (`what`, for the messages).
/// Returns None when the request may go on, or the reply already sent: 403 while no token
/// is configured, 401 for a missing or wrong one, 429 while the peer is locked out after
/// too many wrong ones (see auth.rs).
pub async fn check_admin(
    shared: &Shared,
    socket: &mut Async<TcpStream>,
    client: &ClientGuard,
    request: &Request<'_>,
    what: &str,
) -> Option<io::Result<Next>> {
    let keep_alive = request.keep_alive;
    let Some(token) = shared.config.admin_token.as_deref().filter(|token| !token.is_empty()) else {
        let reason = format!("{what} is disabled: set [http] admin_token");
        return Some(send_error(socket, client, shared, 403, &reason, None, keep_alive).await);
    };
    let peer = client.peer_ip();
    let now_ms = shared.now_ms();
    if let Verdict::LockedOut { .. } = shared.logins.verdict(peer, now_ms) {
        HttpCounters::bump(&shared.counters.login_failures);
        let reply =
            send_error(socket, client, shared, 429, "too many wrong tokens: wait and try again", None, false);
        return Some(reply.await);
    }
    let offered = bearer_token(request.authorization).unwrap_or("");
    if !same_secret(offered.as_bytes(), token.as_bytes()) {
        HttpCounters::bump(&shared.counters.login_failures);
        let what = if offered.is_empty() { "no admin token" } else { "wrong admin token" };
        let close = shared.logins.failed(peer, now_ms, what);
        let reply = send_error(
            socket,
            client,
            shared,
            401,
            "missing or wrong bearer token",
            None,
            keep_alive && !close,
        );
        return Some(reply.await);
    }
    shared.logins.succeeded(peer);
    None
}
