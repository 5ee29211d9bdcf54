//! Proves the per-frame path allocates nothing of ours: with a replay source and streaming
//! clients in steady state, the whole process makes almost no heap allocations while
//! hundreds of frames are published and delivered. What remains is smol's executor: its run
//! queue is an unbounded queue that allocates one block per 31 task wake-ups (measured: 26
//! allocations for 800 delivered frames). Anything of ours per frame would be >= 1 per frame.
//!
//! The same for the libcamera source (with the `libcamera` feature; ignored unless asked
//! for, as it needs a camera): ci/test-libcamera-guest runs it in its x86 guest against
//! libcamera's virtual pipeline, where everything zerocam and libcamera-rs allocate in Rust
//! is counted. (libcamera's own C++ allocations do not go through this allocator.)

mod common;

use common::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use zerocam::app::Running;

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const BOUNDARY_LINE: &[u8] = b"--zerocamframe\r\n";

#[test]
fn streaming_allocates_nothing_per_frame() {
    let server = replay_server(100, http_config());
    assert_no_allocation_per_frame(server, Duration::from_millis(1500), Duration::from_secs(2), 200);
}

#[cfg(feature = "libcamera")]
#[test]
#[ignore = "needs a libcamera camera: ci/test-libcamera-guest runs it in its guest"]
fn libcamera_streaming_allocates_nothing_per_frame() {
    use zerocam::config::{CameraConfig, Config, Resolution, SourceSpec};
    let camera = CameraConfig {
        source: SourceSpec::Libcamera(None),
        size: Resolution { width: 320, height: 240 },
        fps: 10,
        ..CameraConfig::default()
    };
    let config = Config { http: http_config(), cameras: vec![camera], ..Config::default() };
    let server = zerocam::app::start(
        &config,
        zerocam::system::RunMode::Process,
        Arc::new(RecordingControl::default()),
    )
    .expect("server starts");
    // Warm-up until past frame 30: the source snapshots libcamera's metadata for /status on
    // frames 1 and 30 (formatting it allocates), and the session and its buffers exist.
    let deadline = Instant::now() + Duration::from_secs(60);
    while status_json(server.local_addr())["cameras"][0]["frames_published"].as_u64().unwrap_or(0) < 40 {
        assert!(Instant::now() < deadline, "the libcamera camera did not reach 40 frames in 60 s");
        std::thread::sleep(Duration::from_millis(200));
    }
    // 8 s at 10 fps: about 80 frames published, 320 delivered to the 4 readers.
    assert_no_allocation_per_frame(server, Duration::from_secs(1), Duration::from_secs(8), 100);
}

/// Streams from `server` to 4 readers, counts every allocation in the process over
/// `window` after `warm_up`, and fails if there is more than one per 20 delivered frames.
fn assert_no_allocation_per_frame(server: Running, warm_up: Duration, window: Duration, min_delivered: u64) {
    let addr = server.local_addr();
    let stop = Arc::new(AtomicBool::new(false));
    let counted = Arc::new(AtomicU64::new(0));
    let counting = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (stop, counted, counting) = (stop.clone(), counted.clone(), counting.clone());
            let mut socket = connect(addr);
            socket.write_all(b"GET /stream.mjpg HTTP/1.1\r\nHost: t\r\n\r\n").expect("send");
            // The reader itself must not allocate: a fixed buffer and a byte scan.
            std::thread::spawn(move || {
                let mut buf = [0u8; 65536];
                let mut matched = 0;
                while !stop.load(Ordering::Relaxed) {
                    let Ok(n) = socket.read(&mut buf) else { return };
                    if n == 0 {
                        return;
                    }
                    for &byte in &buf[..n] {
                        matched = if byte == BOUNDARY_LINE[matched] {
                            matched + 1
                        } else {
                            usize::from(byte == b'-')
                        };
                        if matched == BOUNDARY_LINE.len() {
                            matched = 0;
                            if counting.load(Ordering::Relaxed) {
                                counted.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                }
            })
        })
        .collect();
    // Warm up: every task, timer and buffer exists by now.
    std::thread::sleep(warm_up);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    counting.store(true, Ordering::Relaxed);
    let started = Instant::now();
    std::thread::sleep(window);
    counting.store(false, Ordering::Relaxed);
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    let elapsed = started.elapsed();
    let delivered = counted.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    drop(server);
    for reader in readers {
        let _ = reader.join();
    }
    println!(
        "{delivered} frames delivered in {elapsed:?} with {allocations} allocations in the whole process"
    );
    assert!(delivered >= min_delivered, "too few frames to judge: {delivered}");
    // One allocation per 31 wake-ups is the executor's; allow up to one per 20 frames.
    assert!(allocations * 20 <= delivered, "{allocations} allocations for {delivered} frames");
}
