//! Turning per-client results and process samples into the figures of one report row.

use crate::client::{ClientError, ClientResult};
use crate::procfs::ThreadCpu;

/// Figures for one server at one client count.
#[derive(Debug, Clone)]
pub struct RunStats {
    pub server: &'static str,
    pub clients: usize,
    /// Measured length of the window, seconds.
    pub window_s: f64,
    pub fps_mean: f64,
    pub fps_min: f64,
    pub fps_median: f64,
    pub fps_max: f64,
    pub frames: u64,
    /// Bytes received by all clients during the window (parts, headers and boundaries).
    pub bytes: u64,
    pub mbytes_per_s: f64,
    /// Server CPU (user+system, all threads) during the window, ms.
    pub server_cpu_ms: Option<f64>,
    /// The bench's own CPU during the window, ms: if it nears 100% per client thread, the
    /// clients, not the server, are the bottleneck.
    pub bench_cpu_ms: Option<f64>,
    pub latency_p50_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub rss_start_kib: Option<u64>,
    pub rss_end_kib: Option<u64>,
    pub rss_peak_kib: Option<u64>,
    pub zero_frame_clients: usize,
    pub connect_failures: usize,
    pub stream_errors: usize,
    /// A few distinct client error messages, to explain the counts above.
    pub error_samples: Vec<String>,
    /// Set when the server process was gone by the end of the window.
    pub server_exit: Option<String>,
    /// Server CPU during the window by thread name, ms, busiest first.
    pub threads_cpu_ms: Vec<ThreadCpu>,
    /// The last lines of the server's log (stdout and stderr) at the end of the run.
    pub log_tail: String,
}

impl RunStats {
    /// Server CPU milliseconds per 1000 delivered frames.
    pub fn cpu_per_kframe(&self) -> Option<f64> {
        let cpu = self.server_cpu_ms?;
        (self.frames > 0).then(|| cpu * 1000.0 / self.frames as f64)
    }

    /// Server CPU as a percentage of one core over the window.
    /// Server CPU milliseconds per delivered frame: from the threads' exact scheduler
    /// times where every thread has one (the peer bench's short windows on a 1-core board
    /// add up to a few 10 ms ticks of utime+stime), else from /proc/PID/stat.
    pub fn cpu_ms_per_frame(&self) -> Option<f64> {
        let exact: Option<f64> = if self.threads_cpu_ms.is_empty() {
            None
        } else {
            self.threads_cpu_ms.iter().map(|t| t.exec_ms).sum()
        };
        match exact {
            Some(ms) if self.frames > 0 => Some(ms / self.frames as f64),
            _ => self.cpu_per_kframe().map(|ms| ms / 1000.0),
        }
    }

    /// Bytes on the wire per delivered frame (the JPEG plus its part headers).
    pub fn bytes_per_frame(&self) -> Option<f64> {
        (self.frames > 0).then(|| self.bytes as f64 / self.frames as f64)
    }

    /// The slowest client's fps over the median client's: 1 is perfectly even sharing.
    pub fn fairness(&self) -> Option<f64> {
        ratio(Some(self.fps_min), Some(self.fps_median))
    }

    pub fn server_cpu_pct(&self) -> Option<f64> {
        Some(self.server_cpu_ms? / (self.window_s * 10.0))
    }

    pub fn bench_cpu_pct(&self) -> Option<f64> {
        Some(self.bench_cpu_ms? / (self.window_s * 10.0))
    }
}

/// Process-level samples taken around the measuring window.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    pub window_s: f64,
    pub server_cpu_ms: Option<f64>,
    pub bench_cpu_ms: Option<f64>,
    pub rss_start_kib: Option<u64>,
    pub rss_end_kib: Option<u64>,
    pub rss_peak_kib: Option<u64>,
    pub server_exit: Option<String>,
    pub threads_cpu_ms: Vec<ThreadCpu>,
    pub log_tail: String,
}

const MAX_ERROR_SAMPLES: usize = 3;

pub fn summarize(server: &'static str, results: &[ClientResult], samples: Samples) -> RunStats {
    let window = samples.window_s.max(f64::EPSILON);
    // Failed clients count as 0 fps: the mean and min are over every client that was asked
    // for, so a server that refuses clients cannot look better for it.
    let fps: Vec<f64> = results.iter().map(|r| r.frames as f64 / window).collect();
    let mut sorted_fps = fps.clone();
    sorted_fps.sort_unstable_by(f64::total_cmp);
    let mut latencies: Vec<i64> = results.iter().flat_map(|r| r.latencies_us.iter().copied()).collect();
    latencies.sort_unstable();
    let mut error_samples: Vec<String> = Vec::new();
    for err in results.iter().filter_map(|r| r.error.as_ref()) {
        let text = err.to_string();
        if error_samples.len() < MAX_ERROR_SAMPLES && !error_samples.contains(&text) {
            error_samples.push(text);
        }
    }
    let count_errors = |pred: fn(&ClientError) -> bool| {
        results.iter().filter(|r| r.error.as_ref().is_some_and(pred)).count()
    };
    RunStats {
        server,
        clients: results.len(),
        window_s: samples.window_s,
        fps_mean: if fps.is_empty() { 0.0 } else { fps.iter().sum::<f64>() / fps.len() as f64 },
        fps_min: sorted_fps.first().copied().unwrap_or(0.0),
        fps_median: median(&sorted_fps),
        fps_max: sorted_fps.last().copied().unwrap_or(0.0),
        frames: results.iter().map(|r| r.frames).sum(),
        bytes: results.iter().map(|r| r.bytes).sum(),
        mbytes_per_s: results.iter().map(|r| r.bytes).sum::<u64>() as f64 / window / 1e6,
        server_cpu_ms: samples.server_cpu_ms,
        bench_cpu_ms: samples.bench_cpu_ms,
        latency_p50_ms: percentile(&latencies, 50.0).map(|us| us as f64 / 1000.0),
        latency_p99_ms: percentile(&latencies, 99.0).map(|us| us as f64 / 1000.0),
        rss_start_kib: samples.rss_start_kib,
        rss_end_kib: samples.rss_end_kib,
        rss_peak_kib: samples.rss_peak_kib,
        zero_frame_clients: results.iter().filter(|r| r.frames == 0).count(),
        connect_failures: count_errors(|e| matches!(e, ClientError::Connect(_))),
        stream_errors: count_errors(|e| matches!(e, ClientError::Stream(_))),
        error_samples,
        server_exit: samples.server_exit,
        threads_cpu_ms: samples.threads_cpu_ms,
        log_tail: samples.log_tail,
    }
}

/// The median of sorted values (the mean of the middle two for an even count); 0 if none.
pub fn median(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// zerocam / seed, when both figures exist and the divisor is not zero.
pub fn ratio(zerocam: Option<f64>, seed: Option<f64>) -> Option<f64> {
    match (zerocam, seed) {
        (Some(z), Some(s)) if s > 0.0 => Some(z / s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), Some(50));
        assert_eq!(percentile(&v, 99.0), Some(99));
        assert_eq!(percentile(&v, 100.0), Some(100));
        assert_eq!(percentile(&[7], 99.0), Some(7));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[]), 0.0);
        assert_eq!(median(&[1.0, 2.0, 9.0]), 2.0);
        assert_eq!(median(&[1.0, 2.0, 4.0, 9.0]), 3.0);
    }

    #[test]
    fn failed_clients_pull_the_mean_down() {
        let ok = ClientResult { frames: 250, latencies_us: vec![1000; 250], ..Default::default() };
        let failed =
            ClientResult { error: Some(ClientError::Connect("refused".into())), ..Default::default() };
        let stats = summarize("seed", &[ok, failed], Samples { window_s: 10.0, ..Default::default() });
        assert_eq!(stats.fps_mean, 12.5);
        assert_eq!(stats.fps_min, 0.0);
        assert_eq!((stats.fps_median, stats.fps_max), (12.5, 25.0));
        assert_eq!((stats.zero_frame_clients, stats.connect_failures, stats.stream_errors), (1, 1, 0));
        assert_eq!(stats.latency_p99_ms, Some(1.0));
        assert_eq!(stats.error_samples, vec!["connect: refused".to_owned()]);
    }
}
