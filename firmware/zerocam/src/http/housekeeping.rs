//! The housekeeper: one timer for the whole server that enforces every client's deadline
//! and measures rates, so the per-frame path needs no timers of its own.

use super::shared::{HttpCounters, Shared};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

const TICK: Duration = Duration::from_millis(200);
const RATE_WINDOW_MS: u64 = 1000;

pub async fn run(shared: Arc<Shared>) {
    let mut last_rates_ms = shared.now_ms();
    let mut published_before: Vec<u64> = shared.cameras.iter().map(|_| 0).collect();
    let mut out_sums: Vec<u32> = shared.cameras.iter().map(|_| 0).collect();
    let mut timer = async_io::Timer::interval(TICK);
    loop {
        futures_lite::StreamExt::next(&mut timer).await;
        let now_ms = shared.now_ms();
        shared.housekeeper_tick_ms.store(now_ms, Ordering::Relaxed);
        for _ in 0..shared.clients.expire_overdue(now_ms) {
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
