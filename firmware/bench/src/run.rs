//! One measurement: a fresh server, N clients, warm-up, a timed window, teardown.
//!
//! Each (server, client count) pair gets its own server process so that VmHWM (peak RSS)
//! and the thread/connection state of one row do not leak into the next.

use crate::client::{self, phase, ClientConfig, ClientResult, Shared};
use crate::error::Result;
use crate::procfs::{self, ThreadCpu};
use crate::server_proc::{ServerCommand, ServerProc};
use crate::stats::{self, RunStats, Samples};
use smol::lock::Semaphore;
use smol::{Executor, Timer};
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct RunConfig {
    pub clients: usize,
    pub warmup: Duration,
    pub window: Duration,
    pub start_timeout: Duration,
    pub connect_timeout: Duration,
    /// How many clients may be connecting at the same moment.
    pub connect_concurrency: usize,
    pub client_threads: usize,
}

/// How much of a server's log a row keeps (its warnings explain odd figures).
const LOG_TAIL_LINES: usize = 6;

pub fn run(server_cmd: &ServerCommand, config: &RunConfig) -> Result<RunStats> {
    let mut server = ServerProc::start(server_cmd, config.start_timeout)?;
    let client_config = ClientConfig {
        addr: server.addr(),
        path: server_cmd.stream_path.into(),
        connect_timeout: config.connect_timeout,
    };
    let (results, mut samples) = drive_clients(&server, &client_config, config);
    if let Some(status) = server.exited() {
        samples.server_exit = Some(status.to_string());
    }
    samples.log_tail = server.log_tail(LOG_TAIL_LINES);
    let stats = stats::summarize(server.name(), &results, samples);
    server.stop();
    Ok(stats)
}

/// Runs the clients and the timing task on `client_threads` threads until the window ends.
fn drive_clients(
    server: &ServerProc,
    client_config: &ClientConfig,
    config: &RunConfig,
) -> (Vec<ClientResult>, Samples) {
    // Declared before the executor so that they outlive the tasks that borrow them.
    let shared = Shared::new();
    let gate = Semaphore::new(config.connect_concurrency.max(1));
    let executor = Executor::new();
    // Closing this channel (dropping the sender) tells every client to stop.
    let (stop_tx, stop_rx) = smol::channel::bounded::<()>(1);
    // And this one lets the extra executor threads go.
    let (idle_tx, idle_rx) = smol::channel::bounded::<()>(1);

    thread::scope(|scope| {
        for _ in 1..config.client_threads.max(1) {
            scope.spawn(|| smol::block_on(executor.run(idle_rx.recv())));
        }
        let tasks: Vec<_> = (0..config.clients)
            .map(|_| executor.spawn(client::run(client_config, &shared, &gate, stop_rx.clone())))
            .collect();
        let outcome = smol::block_on(executor.run(async {
            let samples = time_window(server, &shared, config).await;
            drop(stop_tx);
            let mut results = Vec::with_capacity(tasks.len());
            for task in tasks {
                results.push(task.await);
            }
            (results, samples)
        }));
        drop(idle_tx);
        outcome
    })
}

/// Waits for all clients to connect, lets them warm up, then measures the window.
async fn time_window(server: &ServerProc, shared: &Shared, config: &RunConfig) -> Samples {
    client::all_settled(shared, config.clients).await;
    Timer::after(config.warmup).await;

    let bench_pid = std::process::id();
    let cpu0 = server.cpu_ms();
    let bench0 = procfs::cpu_ms(bench_pid).ok();
    let rss_start = server.memory().map(|m| m.rss_kib);
    let threads0 = procfs::thread_cpu_ms(server.pid()).unwrap_or_default();
    let started = Instant::now();
    shared.phase.store(phase::MEASURE, Ordering::SeqCst);

    Timer::after(config.window).await;

    shared.phase.store(phase::DONE, Ordering::SeqCst);
    let window_s = started.elapsed().as_secs_f64();
    let cpu1 = server.cpu_ms();
    let bench1 = procfs::cpu_ms(bench_pid).ok();
    let memory = server.memory();
    let threads1 = procfs::thread_cpu_ms(server.pid()).unwrap_or_default();
    let diff = |a: Option<f64>, b: Option<f64>| Some(b? - a?);
    Samples {
        window_s,
        server_cpu_ms: diff(cpu0, cpu1),
        bench_cpu_ms: diff(bench0, bench1),
        rss_start_kib: rss_start,
        rss_end_kib: memory.map(|m| m.rss_kib),
        rss_peak_kib: memory.map(|m| m.hwm_kib),
        server_exit: None,
        threads_cpu_ms: thread_deltas(&threads0, &threads1),
        log_tail: String::new(),
    }
}

/// CPU per thread name between two samples, busiest first (a thread born in the window
/// counts from zero).
fn thread_deltas(before: &[ThreadCpu], after: &[ThreadCpu]) -> Vec<ThreadCpu> {
    let mut deltas: Vec<ThreadCpu> = after
        .iter()
        .map(|end| {
            let start = before.iter().find(|known| known.name == end.name);
            ThreadCpu {
                name: end.name.clone(),
                user_ms: (end.user_ms - start.map_or(0.0, |s| s.user_ms)).max(0.0),
                system_ms: (end.system_ms - start.map_or(0.0, |s| s.system_ms)).max(0.0),
                exec_ms: match start {
                    Some(start) => end.exec_ms.zip(start.exec_ms).map(|(b, a)| (b - a).max(0.0)),
                    None => end.exec_ms,
                },
            }
        })
        .collect();
    deltas.sort_by(|a, b| b.total_ms().total_cmp(&a.total_ms()));
    deltas
}
