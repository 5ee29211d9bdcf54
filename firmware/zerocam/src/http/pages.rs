//! The small resources: live-view page, snapshot, log, power actions.

use super::clients::ClientGuard;
use super::connection::{send, send_body, send_error, Next};
use super::request::Request;
use super::response::Head;
use super::shared::Shared;
use crate::system::PowerAction;
use async_io::Async;
use std::io;
use std::net::TcpStream;
use std::sync::Arc;

const PAGE_TEMPLATE: &str = include_str!("page.html");

/// The live-view page of one camera: the picture plus stats refreshed from /status.
pub fn live_page(shared: &Shared, camera_index: usize) -> String {
    let name = shared.cameras[camera_index].name();
    let base = if camera_index == 0 { "/".to_string() } else { format!("/cam/{name}/") };
    let nav: String = if shared.cameras.len() > 1 {
        shared.cameras.iter().map(|camera| format!("<a href=\"/cam/{0}/\">{0}</a>", camera.name())).collect()
    } else {
        String::new()
    };
    // Camera names are restricted to [A-Za-z0-9_-] by the config, so they need no escaping.
    PAGE_TEMPLATE.replace("{{NAME}}", name).replace("{{BASE}}", &base).replace("{{NAV}}", &nav)
}

/// The newest frame as image/jpeg, or 503 before the first frame.
pub async fn snapshot(
    shared: &Arc<Shared>,
    socket: &mut Async<TcpStream>,
    client: &ClientGuard,
    camera_index: usize,
    head_only: bool,
    keep_alive: bool,
) -> io::Result<Next> {
    let Some(lease) = shared.cameras[camera_index].pool.lease_newest() else {
        return send_error(socket, client, shared, 503, "no frame yet", None).await;
    };
    let captured = lease.captured_us();
    let mut head = Head::new(200);
    head.header("Content-Type", "image/jpeg")
        .header("Content-Length", lease.bytes().len())
        .header("Cache-Control", "no-store")
        .header("X-Timestamp", format_args!("{}.{:06}", captured / 1_000_000, captured % 1_000_000))
        .header("X-Sequence", lease.seq());
    let body = if head_only { &[][..] } else { lease.bytes() };
    send(socket, client, shared, head.finish(keep_alive), body).await?;
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
    let Some(token) = shared.config.admin_token.as_deref().filter(|token| !token.is_empty()) else {
        return send_error(
            socket,
            client,
            shared,
            403,
            "power control is disabled: set [http] admin_token",
            None,
        )
        .await;
    };
    let offered = request.authorization.and_then(|value| value.strip_prefix("Bearer ")).unwrap_or("");
    if !same_secret(offered.as_bytes(), token.as_bytes()) {
        log::warn!("refused {} request without the right token", action.name());
        return send_error(socket, client, shared, 401, "missing or wrong bearer token", None).await;
    }
    match shared.control.request(action) {
        Ok(()) => {
            log::warn!("{} requested over HTTP", action.name());
            let body = format!("{} under way\n", action.name());
            send_body(socket, client, shared, 202, "text/plain; charset=utf-8", body.as_bytes(), false, false)
                .await
        }
        Err(why) => send_error(socket, client, shared, 500, &why, None).await,
    }
}

/// Compares secrets in time independent of where they differ.
pub(super) fn same_secret(offered: &[u8], expected: &[u8]) -> bool {
    let mut difference = offered.len() ^ expected.len();
    for (index, &byte) in expected.iter().enumerate() {
        difference |= usize::from(byte ^ offered.get(index).copied().unwrap_or(0));
    }
    difference == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_compare() {
        assert!(super::same_secret(b"abc", b"abc"));
        assert!(!super::same_secret(b"abd", b"abc"));
        assert!(!super::same_secret(b"ab", b"abc"));
        assert!(!super::same_secret(b"abcd", b"abc"));
        assert!(!super::same_secret(b"", b"abc"));
    }
}
