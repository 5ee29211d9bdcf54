//! The peer bench's output on the serial console: one progress line per row while it runs,
//! then the table and the zerocam/µStreamer ratios between two marker lines (ci/bench-peer
//! copies what lies between them).

use super::cli::{PeerOptions, Server, Source};
use super::PeerRow;
use crate::error::Error;
use crate::stats::{ratio, RunStats};
use std::fmt::Write as _;

pub const PREFIX: &str = "zerocam-bench peer:";
pub const BEGIN: &str = "zerocam-bench peer: report begins";
pub const END: &str = "zerocam-bench peer: report ends";

fn num(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
}

fn mib(kib: Option<u64>) -> Option<f64> {
    kib.map(|k| k as f64 / 1024.0)
}

pub fn setup_line(opts: &PeerOptions) -> String {
    format!(
        "{PREFIX} {} fps, quality {}, {:.0} s window after {:.0} s warm-up, clients {:?}",
        opts.fps,
        opts.quality,
        opts.seconds.as_secs_f64(),
        opts.warmup.as_secs_f64(),
        opts.clients
    )
}

pub fn progress_line(row: &PeerRow) -> String {
    let r = &row.stats;
    format!(
        "{PREFIX} {} x{} {}: fps {:.1}/{:.1}/{:.1}, {} ms cpu/frame, {} B/frame",
        row.source.label(),
        r.clients,
        r.server,
        r.fps_min,
        r.fps_median,
        r.fps_max,
        num(r.cpu_ms_per_frame(), 3),
        num(r.bytes_per_frame(), 0)
    )
}

/// The server's last log lines, for the console log only (unprefixed: ci/bench-peer shows
/// prefixed lines as they come and keeps the whole log in out/bench-peer/console.log).
pub fn log_lines(row: &PeerRow) -> String {
    let r = &row.stats;
    r.log_tail
        .lines()
        .map(|line| format!("  [{} x{} {} log] {line}\n", row.source.label(), r.clients, r.server))
        .collect()
}

/// Where a row's server CPU went, by thread, in ms per delivered frame (of it in the kernel).
fn threads_line(r: &RunStats) -> Option<String> {
    let frames = (r.frames > 0).then_some(r.frames as f64)?;
    let busy: Vec<String> = r
        .threads_cpu_ms
        .iter()
        .filter(|t| t.total_ms() > 0.0)
        .take(4)
        .map(|t| format!("{} {:.3} (sys {:.3})", t.name, t.total_ms() / frames, t.kernel_ms() / frames))
        .collect();
    (!busy.is_empty()).then(|| busy.join(", "))
}

pub fn failure_line(err: &Error) -> String {
    format!("{PREFIX} failed: {err}")
}

fn find(rows: &[PeerRow], source: Source, clients: usize, server: Server) -> Option<&RunStats> {
    rows.iter()
        .find(|row| {
            row.source == source && row.stats.clients == clients && row.stats.server == server.label()
        })
        .map(|row| &row.stats)
}

pub fn text(opts: &PeerOptions, rows: &[PeerRow]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{BEGIN}");
    let _ = writeln!(
        out,
        "{:<6} {:>7} {:<10} {:>6} {:>6} {:>6} {:>8} {:>8} {:>9} {:>8} {:>5} {:>5} {:>5}",
        "source",
        "clients",
        "server",
        "fps min",
        "median",
        "max",
        "cpu ms/f",
        "srv cpu%",
        "rss peak",
        "B/frame",
        "zero",
        "fail",
        "err"
    );
    for &source in &opts.sources {
        for &clients in &opts.clients {
            for &server in &opts.servers {
                let Some(r) = find(rows, source, clients, server) else { continue };
                let _ = writeln!(
                    out,
                    "{:<6} {:>7} {:<10} {:>6} {:>6} {:>6} {:>8} {:>8} {:>9} {:>8} {:>5} {:>5} {:>5}",
                    source.label(),
                    clients,
                    r.server,
                    num(Some(r.fps_min), 1),
                    num(Some(r.fps_median), 1),
                    num(Some(r.fps_max), 1),
                    num(r.cpu_ms_per_frame(), 3),
                    num(r.server_cpu_pct(), 1),
                    num(mib(r.rss_peak_kib), 1),
                    num(r.bytes_per_frame(), 0),
                    r.zero_frame_clients,
                    r.connect_failures,
                    r.stream_errors,
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "(fps per client; cpu ms/f = server CPU ms per delivered frame; rss peak = VmHWM, MiB;"
    );
    let _ = writeln!(out, " B/frame = bytes received per frame, part headers included)");

    let _ =
        writeln!(out, "\nzerocam / ustreamer (below 1 = zerocam uses less); fairness = slowest / median fps");
    let _ = writeln!(
        out,
        "{:<6} {:>7} {:>9} {:>9} {:>8} {:>8} {:>10} {:>10}",
        "source", "clients", "cpu/frame", "rss peak", "B/frame", "fps med", "fair zc", "fair us"
    );
    for &source in &opts.sources {
        for &clients in &opts.clients {
            let (Some(zc), Some(us)) = (
                find(rows, source, clients, Server::Zerocam),
                find(rows, source, clients, Server::Ustreamer),
            ) else {
                continue;
            };
            let _ = writeln!(
                out,
                "{:<6} {:>7} {:>9} {:>9} {:>8} {:>8} {:>10} {:>10}",
                source.label(),
                clients,
                num(ratio(zc.cpu_ms_per_frame(), us.cpu_ms_per_frame()), 3),
                num(ratio(mib(zc.rss_peak_kib), mib(us.rss_peak_kib)), 3),
                num(ratio(zc.bytes_per_frame(), us.bytes_per_frame()), 3),
                num(ratio(Some(zc.fps_median), Some(us.fps_median)), 3),
                num(zc.fairness(), 2),
                num(us.fairness(), 2),
            );
        }
    }
    let _ = writeln!(
        out,
        "\nserver CPU by thread, ms per delivered frame, busiest first (sys: of it in the kernel)"
    );
    for row in rows {
        if let Some(line) = threads_line(&row.stats) {
            let r = &row.stats;
            let _ = writeln!(out, "{:<6} {:>7} {:<10} {line}", row.source.label(), r.clients, r.server);
        }
    }
    let notes: Vec<String> = rows
        .iter()
        .flat_map(|row| {
            let r = &row.stats;
            let label = format!("{} x{} {}", row.source.label(), r.clients, r.server);
            let exit = r.server_exit.iter().map({
                let label = label.clone();
                move |s| format!("{label}: server exited ({s})")
            });
            let errors = r.error_samples.iter().map(move |e| format!("{label}: {e}"));
            exit.chain(errors).collect::<Vec<_>>()
        })
        .collect();
    if !notes.is_empty() {
        let _ = writeln!(out, "\nnotes:");
        for note in notes {
            let _ = writeln!(out, "  {note}");
        }
    }
    let _ = writeln!(out, "{END}");
    out
}
