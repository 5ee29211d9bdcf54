//! GET /status: what the camera is doing, as JSON.

use super::shared::Shared;
use std::fmt::Write;
use std::sync::atomic::Ordering;

pub fn json(shared: &Shared) -> String {
    let now_ms = shared.now_ms();
    let counters = &shared.counters;
    let mut out = String::with_capacity(1024);
    // The kernel's hostname: on the board, `[system] hostname` (the image test checks it
    // reached the board it booted).
    let hostname = rustix::system::uname().nodename().to_string_lossy().into_owned();
    let clients = shared.clients.views();
    let _ = write!(
        out,
        "{{\"version\":\"{}\",\"mode\":\"{}\",\"hostname\":{},\"uptime_s\":{},\"cameras\":[",
        env!("CARGO_PKG_VERSION"),
        shared.mode.name(),
        quoted(&hostname),
        now_ms / 1000
    );
    for (index, camera) in shared.cameras.iter().enumerate() {
        let pool = &camera.pool;
        let c = pool.counters();
        let usage = pool.usage();
        let fault = camera.fault();
        // The source running now: what `auto` picked, or the test pattern standing in.
        let in_use = camera.source_in_use();
        // What the source found when it opened its device (null until then, or for sources
        // without one); recorded by the source thread, so this makes no ioctls.
        let device = match &in_use {
            crate::config::SourceSpec::V4l2(path) => crate::source::v4l2::device_status_json(path),
            crate::config::SourceSpec::Libcamera(_) => crate::source::libcamera_status_json(),
            _ => "null".to_string(),
        };
        let _ = write!(
            out,
            "{}{{\"name\":{},\"source\":{},\"source_in_use\":{},\"resolution\":\"{}\",\"fps_target\":{},\"fps_in\":{},\"fps_out\":{},\
             \"viewers\":{},\"frames_published\":{},\"bytes_published\":{},\"fault\":{},\
             \"dropped\":{{\"no_free_slot\":{},\"too_large\":{},\"corrupt\":{}}},\
             \"pool\":{{\"slots\":{},\"slot_bytes\":{},\"leased\":{},\"writing\":{},\"leases\":{}}},\"device\":{}}}",
            if index > 0 { "," } else { "" },
            quoted(camera.name()),
            quoted(&camera.config.source.to_string()),
            quoted(&in_use.to_string()),
            camera.resolution(),
            camera.config.fps,
            hundredths(camera.fps_in_x100.load(Ordering::Relaxed)),
            hundredths(camera.fps_out_x100.load(Ordering::Relaxed)),
            // Streaming clients only: a page polling /status is not a viewer.
            clients.iter().filter(|client| client.camera == Some(index)).count(),
            c.published.load(Ordering::Relaxed),
            c.published_bytes.load(Ordering::Relaxed),
            fault.as_deref().map_or_else(|| "null".to_string(), quoted),
            c.dropped_no_slot.load(Ordering::Relaxed),
            c.dropped_too_large.load(Ordering::Relaxed),
            c.dropped_corrupt.load(Ordering::Relaxed),
            usage.slots,
            usage.slot_bytes,
            usage.leased,
            usage.writing,
            usage.leases,
            device,
        );
    }
    let _ = write!(
        out,
        "],\"http\":{{\"listen\":\"{}\",\"max_clients\":{},\"max_clients_per_peer\":{},\"clients_active\":{},\
         \"accepted\":{},\"requests\":{},\"rejected_full\":{},\"rejected_peer_limit\":{},\"bad_requests\":{},\
         \"timeouts\":{},\"login_failures\":{},\"frames_held\":{}}},\"clients\":[",
        shared.local_addr,
        shared.clients.capacity(),
        shared.config.max_clients_per_peer,
        clients.len(),
        counters.accepted.load(Ordering::Relaxed),
        counters.requests.load(Ordering::Relaxed),
        counters.rejected_full.load(Ordering::Relaxed),
        counters.rejected_peer_limit.load(Ordering::Relaxed),
        counters.bad_requests.load(Ordering::Relaxed),
        counters.timeouts.load(Ordering::Relaxed),
        counters.login_failures.load(Ordering::Relaxed),
        counters.frames_held.load(Ordering::Relaxed),
    );
    for (index, client) in clients.iter().enumerate() {
        let camera = client.camera.and_then(|i| shared.cameras.get(i)).map(|c| quoted(c.name()));
        let _ = write!(
            out,
            "{}{{\"id\":{},\"peer\":{},\"camera\":{},\"connected_s\":{},\"frames\":{},\"bytes\":{},\"fps\":{}}}",
            if index > 0 { "," } else { "" },
            client.id,
            client.peer.map_or_else(|| "null".to_string(), |peer| quoted(&peer.to_string())),
            camera.unwrap_or_else(|| "null".to_string()),
            now_ms.saturating_sub(client.connected_ms) / 1000,
            client.frames,
            client.bytes,
            hundredths(client.fps_x100),
        );
    }
    // Each link's address, state and last error (net::state; empty off the board).
    let _ = write!(out, "],\"network\":{}", crate::net::state::json());
    out.push_str(",\"ota\":");
    match &shared.updates {
        Some(updates) => out.push_str(&crate::ota::report::status_json(updates)),
        None => out.push_str("null"),
    }
    out.push_str("}\n");
    out
}

/// 2512 -> "25.12".
fn hundredths(value: u32) -> String {
    format!("{}.{:02}", value / 100, value % 100)
}

/// A JSON string literal.
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn strings_are_escaped() {
        assert_eq!(super::quoted("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"");
        assert_eq!(super::hundredths(2512), "25.12");
        assert_eq!(super::hundredths(5), "0.05");
    }
}
