//! GET /metrics: the same figures as /status in Prometheus text format.

use super::shared::Shared;
use std::fmt::Write;
use std::sync::atomic::Ordering;

pub fn prometheus(shared: &Shared) -> String {
    let mut out = String::with_capacity(2048);
    let mut family = |name: &str, kind: &str, help: &str, samples: &[(String, f64)]| {
        let _ = writeln!(out, "# HELP zerocam_{name} {help}\n# TYPE zerocam_{name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(out, "zerocam_{name}{labels} {value}");
        }
    };
    let per_camera = |value: &dyn Fn(usize) -> f64| -> Vec<(String, f64)> {
        shared
            .cameras
            .iter()
            .enumerate()
            .map(|(index, camera)| (format!("{{camera=\"{}\"}}", camera.name()), value(index)))
            .collect()
    };
    let counter = |index: usize, pick: fn(&crate::pool::PoolCounters) -> u64| -> f64 {
        pick(shared.cameras[index].pool.counters()) as f64
    };
    family(
        "uptime_seconds",
        "gauge",
        "Seconds since zerocam started.",
        &[(String::new(), shared.now_ms() as f64 / 1000.0)],
    );
    family(
        "frames_published_total",
        "counter",
        "Frames the source put into the pool.",
        &per_camera(&|i| counter(i, |c| c.published.load(Ordering::Relaxed))),
    );
    family(
        "bytes_published_total",
        "counter",
        "JPEG bytes the source put into the pool.",
        &per_camera(&|i| counter(i, |c| c.published_bytes.load(Ordering::Relaxed))),
    );
    let mut dropped = Vec::new();
    for (index, camera) in shared.cameras.iter().enumerate() {
        let c = camera.pool.counters();
        for (cause, value) in [
            ("no_free_slot", c.dropped_no_slot.load(Ordering::Relaxed)),
            ("too_large", c.dropped_too_large.load(Ordering::Relaxed)),
            ("corrupt", c.dropped_corrupt.load(Ordering::Relaxed)),
        ] {
            dropped.push((
                format!("{{camera=\"{}\",cause=\"{cause}\"}}", shared.cameras[index].name()),
                value as f64,
            ));
        }
    }
    family("frames_dropped_total", "counter", "Frames dropped before publishing, by cause.", &dropped);
    family(
        "fps_in",
        "gauge",
        "Frames published per second over the last second.",
        &per_camera(&|i| f64::from(shared.cameras[i].fps_in_x100.load(Ordering::Relaxed)) / 100.0),
    );
    family(
        "fps_out",
        "gauge",
        "Frames sent to all clients per second over the last second.",
        &per_camera(&|i| f64::from(shared.cameras[i].fps_out_x100.load(Ordering::Relaxed)) / 100.0),
    );
    family(
        "pool_slots_leased",
        "gauge",
        "Slots held by at least one client.",
        &per_camera(&|i| shared.cameras[i].pool.usage().leased as f64),
    );
    family(
        "camera_fault",
        "gauge",
        "1 while the camera's source reports a fault.",
        &per_camera(&|i| if shared.cameras[i].fault().is_some() { 1.0 } else { 0.0 }),
    );
    let c = &shared.counters;
    family(
        "clients",
        "gauge",
        "Open client connections.",
        &[(String::new(), shared.clients.active() as f64)],
    );
    family(
        "clients_max",
        "gauge",
        "Size of the client table.",
        &[(String::new(), shared.clients.capacity() as f64)],
    );
    for (name, help, value) in [
        ("connections_total", "Connections accepted.", &c.accepted),
        ("requests_total", "Requests parsed.", &c.requests),
        ("rejected_full_total", "Connections refused with 503: client table full.", &c.rejected_full),
        ("bad_requests_total", "Requests refused as malformed or too large.", &c.bad_requests),
        ("timeouts_total", "Connections ended by a deadline.", &c.timeouts),
        (
            "rejected_peer_limit_total",
            "Connections refused with 429: max_clients_per_peer.",
            &c.rejected_peer_limit,
        ),
        ("login_failures_total", "Wrong or missing admin credentials.", &c.login_failures),
        ("frames_held_total", "Frames whose slot stayed leased while a socket drained.", &c.frames_held),
    ] {
        family(name, "counter", help, &[(String::new(), value.load(Ordering::Relaxed) as f64)]);
    }
    if let Some(updates) = &shared.updates {
        out.push_str(&crate::ota::report::prometheus(updates));
    }
    out
}
