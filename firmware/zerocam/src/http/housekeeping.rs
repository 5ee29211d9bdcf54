//! The housekeeper: one periodic task for the whole server that enforces every client's
//! deadline and measures rates, so the per-frame path needs no timers of its own.
//!
//! Its tick comes from a plain thread rather than an async-io timer: with any timer
//! registered, async-io rebuilds its timer map (a heap allocation) on every reactor turn,
//! which would put allocations back on the per-frame path. The task itself runs on the
//! executor thread, next to the connection tasks, which the deadline enforcement relies on.

use super::shared::{HttpCounters, Shared};
use atomic_waker::AtomicWaker;
use std::future::poll_fn;
use std::sync::atomic::Ordering;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

const TICK: Duration = Duration::from_millis(200);
const RATE_WINDOW_MS: u64 = 1000;

pub async fn run(shared: Arc<Shared>) {
    let mut last_rates_ms = shared.now_ms();
    let mut published_before: Vec<u64> = shared.cameras.iter().map(|_| 0).collect();
    let mut out_sums: Vec<u32> = shared.cameras.iter().map(|_| 0).collect();
    let ticker = Ticker::start();
    loop {
        ticker.next().await;
        let now_ms = shared.now_ms();
        shared.housekeeper_tick_ms.store(now_ms, Ordering::Relaxed);
        let wake_stream = |id: usize, camera: Option<usize>| {
            // A stream task waits for its camera's next frame, not on its socket: wake it.
            if let Some(camera) = camera.and_then(|index| shared.cameras.get(index)) {
                camera.pool.signal().wake(id);
            }
        };
        for _ in 0..shared.clients.expire_overdue(now_ms, wake_stream) {
            HttpCounters::bump(&shared.counters.timeouts);
        }
        let window = now_ms - last_rates_ms;
        if window < RATE_WINDOW_MS {
            continue;
        }
        last_rates_ms = now_ms;
        for (index, camera) in shared.cameras.iter().enumerate() {
            let published = camera.pool.counters().published.load(Ordering::Relaxed);
            let fps_x100 = (published - published_before[index]) * 100_000 / window;
            published_before[index] = published;
            camera.fps_in_x100.store(fps_x100 as u32, Ordering::Relaxed);
        }
        out_sums.iter_mut().for_each(|sum| *sum = 0);
        shared.clients.measure_rates(window, |camera, fps_x100| {
            if let Some(sum) = out_sums.get_mut(camera) {
                *sum += fps_x100;
            }
        });
        for (camera, sum) in shared.cameras.iter().zip(&out_sums) {
            camera.fps_out_x100.store(*sum, Ordering::Relaxed);
        }
    }
}

/// Ticks every TICK from a helper thread, which ends when the ticker is dropped.
struct Ticker {
    state: Arc<TickerState>,
    seen: u64,
}

struct TickerState {
    ticks: AtomicU64,
    waker: AtomicWaker,
    stop: AtomicBool,
}

impl Ticker {
    fn start() -> Ticker {
        let state = Arc::new(TickerState {
            ticks: AtomicU64::new(0),
            waker: AtomicWaker::new(),
            stop: AtomicBool::new(false),
        });
        let thread_state = Arc::clone(&state);
        let spawned = std::thread::Builder::new().name("http-tick".into()).spawn(move || {
            while !thread_state.stop.load(Ordering::Relaxed) {
                std::thread::sleep(TICK);
                thread_state.ticks.fetch_add(1, Ordering::Release);
                thread_state.waker.wake();
            }
        });
        if let Err(err) = spawned {
            // Without ticks no deadline is enforced; say so loudly, keep streaming.
            log::error!("cannot start the housekeeping thread: {err}");
        }
        Ticker { state, seen: 0 }
    }

    async fn next(&self) {
        let seen = self.seen_ticks();
        poll_fn(|cx| {
            self.state.waker.register(cx.waker());
            if self.state.ticks.load(Ordering::Acquire) > seen {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
    }

    fn seen_ticks(&self) -> u64 {
        self.seen.max(self.state.ticks.load(Ordering::Acquire))
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::Relaxed);
    }
}
