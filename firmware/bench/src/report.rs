//! Output: the text tables on stdout and the optional JSON file.

use crate::stats::{ratio, RunStats};
use std::fmt::Write as _;

/// Settings echoed at the top of the report, so that a pasted table says what it measured.
#[derive(Debug, Clone)]
pub struct Setup {
    pub clip: String,
    pub fps: f64,
    pub window_s: f64,
    pub warmup_s: f64,
    pub client_threads: usize,
}

fn num(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
}

fn mib(kib: Option<u64>) -> Option<f64> {
    kib.map(|k| k as f64 / 1024.0)
}

/// Rows grouped by server (seed first), then by client count in the order given.
fn ordered<'a>(runs: &'a [RunStats], clients: &[usize]) -> Vec<&'a RunStats> {
    let mut rows = Vec::new();
    for server in ["seed", "zerocam"] {
        for &n in clients {
            rows.extend(runs.iter().filter(|r| r.server == server && r.clients == n));
        }
    }
    rows
}

pub fn text(setup: &Setup, runs: &[RunStats], clients: &[usize]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "clip {} at {} fps; {:.0} s window after {:.0} s warm-up; {} client thread(s)\n",
        setup.clip, setup.fps, setup.window_s, setup.warmup_s, setup.client_threads
    );
    let _ = writeln!(
        out,
        "{:<8} {:>7} {:>8} {:>7} {:>5} {:>7} {:>7} {:>10} {:>8} {:>7} {:>7} {:>9} {:>8} {:>8} {:>5} {:>5} {:>5} {:>10}",
        "server",
        "clients",
        "fps/cl",
        "min",
        "fair",
        "frames",
        "MB/s",
        "cpu ms/kf",
        "srv cpu%",
        "p50 ms",
        "p99 ms",
        "rss start",
        "rss end",
        "rss peak",
        "zero",
        "fail",
        "err",
        "bench cpu%"
    );
    for r in ordered(runs, clients) {
        let _ = writeln!(
            out,
            "{:<8} {:>7} {:>8} {:>7} {:>5} {:>7} {:>7} {:>10} {:>8} {:>7} {:>7} {:>9} {:>8} {:>8} {:>5} {:>5} {:>5} {:>10}",
            r.server,
            r.clients,
            num(Some(r.fps_mean), 2),
            num(Some(r.fps_min), 2),
            num(r.fairness(), 2),
            r.frames,
            num(Some(r.mbytes_per_s), 1),
            num(r.cpu_per_kframe(), 1),
            num(r.server_cpu_pct(), 1),
            num(r.latency_p50_ms, 1),
            num(r.latency_p99_ms, 1),
            num(mib(r.rss_start_kib), 1),
            num(mib(r.rss_end_kib), 1),
            num(mib(r.rss_peak_kib), 1),
            r.zero_frame_clients,
            r.connect_failures,
            r.stream_errors,
            num(r.bench_cpu_pct(), 1),
        );
    }
    let _ = writeln!(
        out,
        "(rss in MiB; cpu ms/kf = server CPU ms per 1000 delivered frames; fair = slowest / median client fps)"
    );

    let pairs = pairs(runs, clients);
    if !pairs.is_empty() {
        let _ = writeln!(out, "\nzerocam / seed (below 1 = zerocam uses less / is faster)");
        let _ = writeln!(
            out,
            "{:>7} {:>10} {:>8} {:>9} {:>8} {:>8}",
            "clients", "cpu ms/kf", "p99", "rss peak", "rss end", "fps/cl"
        );
        for (seed, zc) in pairs {
            let _ = writeln!(
                out,
                "{:>7} {:>10} {:>8} {:>9} {:>8} {:>8}",
                seed.clients,
                num(ratio(zc.cpu_per_kframe(), seed.cpu_per_kframe()), 3),
                num(ratio(zc.latency_p99_ms, seed.latency_p99_ms), 3),
                num(ratio(mib(zc.rss_peak_kib), mib(seed.rss_peak_kib)), 3),
                num(ratio(mib(zc.rss_end_kib), mib(seed.rss_end_kib)), 3),
                num(ratio(Some(zc.fps_mean), Some(seed.fps_mean)), 3),
            );
        }
    }

    let notes: Vec<String> = ordered(runs, clients)
        .into_iter()
        .flat_map(|r| {
            let exit = r
                .server_exit
                .iter()
                .map(move |s| format!("{} x{}: server exited ({s})", r.server, r.clients));
            let errors = r.error_samples.iter().map(move |e| format!("{} x{}: {e}", r.server, r.clients));
            exit.chain(errors)
        })
        .collect();
    if !notes.is_empty() {
        let _ = writeln!(out, "\nnotes:");
        for note in notes {
            let _ = writeln!(out, "  {note}");
        }
    }
    out
}

/// (seed, zerocam) rows with the same client count.
fn pairs<'a>(runs: &'a [RunStats], clients: &[usize]) -> Vec<(&'a RunStats, &'a RunStats)> {
    clients
        .iter()
        .filter_map(|&n| {
            let find = |server: &str| runs.iter().find(|r| r.server == server && r.clients == n);
            Some((find("seed")?, find("zerocam")?))
        })
        .collect()
}

fn json_num(value: Option<f64>) -> String {
    match value {
        Some(v) if v.is_finite() => format!("{v:.3}"),
        _ => "null".to_owned(),
    }
}

fn json_str(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The same figures as the tables, unrounded where it matters, for tracking over time.
pub fn json(setup: &Setup, runs: &[RunStats], clients: &[usize]) -> String {
    let kib = |v: Option<u64>| v.map_or_else(|| "null".to_owned(), |k| k.to_string());
    let rows: Vec<String> = ordered(runs, clients)
        .into_iter()
        .map(|r| {
            let errors: Vec<String> = r.error_samples.iter().map(|e| json_str(e)).collect();
            format!(
                "    {{\"server\": {}, \"clients\": {}, \"window_s\": {}, \"fps_mean\": {}, \"fps_min\": {}, \
                 \"fps_median\": {}, \"frames\": {}, \"mbytes_per_s\": {}, \"server_cpu_ms\": {}, \"cpu_ms_per_1000_frames\": {}, \
                 \"server_cpu_pct\": {}, \"bench_cpu_pct\": {}, \"latency_p50_ms\": {}, \"latency_p99_ms\": {}, \
                 \"rss_start_kib\": {}, \"rss_end_kib\": {}, \"rss_peak_kib\": {}, \"zero_frame_clients\": {}, \
                 \"connect_failures\": {}, \"stream_errors\": {}, \"server_exit\": {}, \"errors\": [{}]}}",
                json_str(r.server),
                r.clients,
                json_num(Some(r.window_s)),
                json_num(Some(r.fps_mean)),
                json_num(Some(r.fps_min)),
                json_num(Some(r.fps_median)),
                r.frames,
                json_num(Some(r.mbytes_per_s)),
                json_num(r.server_cpu_ms),
                json_num(r.cpu_per_kframe()),
                json_num(r.server_cpu_pct()),
                json_num(r.bench_cpu_pct()),
                json_num(r.latency_p50_ms),
                json_num(r.latency_p99_ms),
                kib(r.rss_start_kib),
                kib(r.rss_end_kib),
                kib(r.rss_peak_kib),
                r.zero_frame_clients,
                r.connect_failures,
                r.stream_errors,
                r.server_exit.as_deref().map_or_else(|| "null".to_owned(), json_str),
                errors.join(", "),
            )
        })
        .collect();
    let ratios: Vec<String> = pairs(runs, clients)
        .into_iter()
        .map(|(seed, zc)| {
            format!(
                "    {{\"clients\": {}, \"cpu_per_frame\": {}, \"latency_p99\": {}, \"rss_peak\": {}, \
                 \"rss_end\": {}, \"fps_mean\": {}}}",
                seed.clients,
                json_num(ratio(zc.cpu_per_kframe(), seed.cpu_per_kframe())),
                json_num(ratio(zc.latency_p99_ms, seed.latency_p99_ms)),
                json_num(ratio(mib(zc.rss_peak_kib), mib(seed.rss_peak_kib))),
                json_num(ratio(mib(zc.rss_end_kib), mib(seed.rss_end_kib))),
                json_num(ratio(Some(zc.fps_mean), Some(seed.fps_mean))),
            )
        })
        .collect();
    format!(
        "{{\n  \"clip\": {},\n  \"fps\": {},\n  \"window_s\": {},\n  \"warmup_s\": {},\n  \
         \"client_threads\": {},\n  \"runs\": [\n{}\n  ],\n  \"ratios_zerocam_over_seed\": [\n{}\n  ]\n}}\n",
        json_str(&setup.clip),
        json_num(Some(setup.fps)),
        json_num(Some(setup.window_s)),
        json_num(Some(setup.warmup_s)),
        setup.client_threads,
        rows.join(",\n"),
        ratios.join(",\n"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_str("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
        assert_eq!(json_num(None), "null");
        assert_eq!(json_num(Some(f64::NAN)), "null");
    }
}
