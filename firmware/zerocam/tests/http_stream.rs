//! The MJPEG stream over real HTTP: whole frames, increasing sequence numbers, many clients,
//! slow clients, clients that vanish mid-frame.

mod common;

use common::*;
use std::io::Read;
use std::time::{Duration, Instant};

#[test]
fn replayed_clip_streams_whole_decodable_jpegs() {
    let server = replay_server(25, http_config());
    let mut stream = Stream::open(server.local_addr(), "/stream.mjpg");
    let parts = stream.take(10);
    for part in &parts {
        let mut decoder = jpeg_decoder::Decoder::new(&part.jpeg[..]);
        decoder.read_info().expect("JPEG header");
        let info = decoder.info().expect("info");
        assert_eq!((info.width, info.height), (640, 480));
        assert!(part.timestamp > 1.0e9, "X-Timestamp is Unix time");
    }
    decode_fully(&parts[0].jpeg);
}

fn decode_fully(jpeg: &[u8]) {
    let pixels = jpeg_decoder::Decoder::new(jpeg).decode().expect("decodes");
    assert_eq!(pixels.len(), 640 * 480 * 3);
}

#[test]
fn every_url_alias_streams() {
    let server = replay_server(25, http_config());
    for path in ["/stream.mjpg", "/stream", "/?action=stream", "/cam/cam0/stream.mjpg"] {
        let mut stream = Stream::open(server.local_addr(), path);
        stream.take(2);
    }
}

#[test]
fn many_clients_each_get_increasing_whole_frames() {
    let (camera, output) = manual_camera("cam0", 8, 64 * 1024, 64);
    let (server, _) = serve(vec![camera], http_config());
    let _feeder = Feeder::start(output, 50, 20_000);
    let addr = server.local_addr();
    let clients: Vec<_> = (0..40)
        .map(|_| {
            std::thread::spawn(move || {
                let mut stream = Stream::open(addr, "/stream.mjpg");
                let parts = stream.take(25);
                parts.last().map(|part| part.seq).unwrap_or(0)
            })
        })
        .collect();
    for client in clients {
        assert!(client.join().expect("client thread") > 0);
    }
}

/// A client that reads slowly skips frames (never repeats one), and does not slow a fast
/// client down: the fast one gets its frames at the source's pace meanwhile.
#[test]
fn slow_client_skips_frames_and_does_not_hold_back_others() {
    let (camera, output) = manual_camera("cam0", 6, 64 * 1024, 8);
    let mut http = http_config();
    // A small kernel buffer, so that the slow reader is slow at the TCP level within a
    // frame or two instead of after the kernel has soaked up dozens of frames.
    http.send_buffer_kib = 16;
    let (server, _) = serve(vec![camera], http);
    let _feeder = Feeder::start(output, 50, 60_000);
    let addr = server.local_addr();
    let slow = std::thread::spawn(move || {
        let started = Instant::now();
        let mut stream = Stream::open_on(connect_small_buffer(addr), "/stream.mjpg");
        let mut seqs = Vec::new();
        for _ in 0..10 {
            seqs.push(stream.take(1)[0].seq);
            std::thread::sleep(Duration::from_millis(200));
        }
        (seqs, started.elapsed())
    });
    let started = Instant::now();
    let mut fast = Stream::open(addr, "/stream.mjpg");
    fast.take(30);
    let fast_took = started.elapsed();
    let (slow_seqs, slow_took) = slow.join().expect("slow client");
    assert!(slow_seqs.windows(2).all(|w| w[1] > w[0]), "slow client saw a frame twice: {slow_seqs:?}");
    assert!(slow_seqs.windows(2).any(|w| w[1] > w[0] + 1), "slow client should skip frames: {slow_seqs:?}");
    // 30 frames at the source's 50 fps take ~0.6 s; the slow reader needs over 2 s for 10.
    assert!(fast_took < slow_took, "fast client took {fast_took:?}, as long as the slow one ({slow_took:?})");
}

#[test]
fn clients_that_vanish_mid_frame_do_not_disturb_the_stream() {
    let (camera, output) = manual_camera("cam0", 6, 256 * 1024, 32);
    let (server, _) = serve(vec![camera], http_config());
    let _feeder = Feeder::start(output, 40, 200_000);
    let addr = server.local_addr();
    let mut watcher = Stream::open(addr, "/stream.mjpg");
    for _ in 0..10 {
        let mut quitter = Stream::open(addr, "/stream.mjpg");
        let mut half = [0u8; 1000];
        quitter.reader.read_exact(&mut half).expect("part of a frame");
        drop(quitter);
    }
    watcher.take(20);
    eventually("vanished clients are gone and their leases released", || {
        let status = status_json(addr);
        // The watcher plus the /status request itself.
        status["http"]["clients_active"] == 2 && status["cameras"][0]["pool"]["leases"].as_u64() <= Some(1)
    });
}

#[test]
fn each_camera_has_its_own_urls_and_the_first_is_also_plain() {
    let (front, front_output) = manual_camera("front", 4, 32 * 1024, 8);
    let (back, back_output) = manual_camera("back", 4, 32 * 1024, 8);
    let (server, _) = serve(vec![front, back], http_config());
    let _front_feed = Feeder::start(front_output, 30, 1000);
    let _back_feed = Feeder::start(back_output, 30, 3000);
    let addr = server.local_addr();
    assert_eq!(Stream::open(addr, "/stream.mjpg").next_part().jpeg.len(), 1000);
    assert_eq!(Stream::open(addr, "/cam/front/stream.mjpg").next_part().jpeg.len(), 1000);
    assert_eq!(Stream::open(addr, "/cam/back/stream.mjpg").next_part().jpeg.len(), 3000);
    assert_eq!(get(addr, "/cam/back/snapshot.jpg").body.len(), 3000);
    assert_eq!(get(addr, "/cam/nope/stream.mjpg").status, 404);
    let page = get(addr, "/cam/back/");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("/cam/back/stream.mjpg"));
    let status = status_json(addr);
    assert_eq!(status["cameras"].as_array().map(Vec::len), Some(2));
}

/// The pool's stress test, end to end over HTTP: a writer publishing as fast as it can
/// (frames of changing sizes), a small pool, many fast readers and a few slow ones with
/// tiny socket buffers. Every frame any client receives must be byte-for-byte one whole
/// frame, and each client's frames only get newer.
#[test]
fn stress_no_torn_or_recycled_frame_is_ever_sent() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let (camera, mut output) = manual_camera("cam0", 4, 64 * 1024, 64);
    let mut http = http_config();
    http.send_buffer_kib = 16;
    let (server, _) = serve(vec![camera], http);
    let addr = server.local_addr();
    let stop = Arc::new(AtomicBool::new(false));
    let writer_stop = Arc::clone(&stop);
    let writer = std::thread::spawn(move || {
        let mut seq = 0u64;
        let mut frame = Vec::new();
        while !writer_stop.load(Ordering::Relaxed) {
            seq += 1;
            frame.clear();
            frame.extend_from_slice(&fake_jpeg(seq, 2_000 + (seq as usize * 7_919) % 50_000));
            let _ = output.publish_jpeg(zerocam::camera::unix_now_us(), |slot| {
                slot[..frame.len()].copy_from_slice(&frame);
                Ok(frame.len())
            });
        }
        seq
    });
    let clients: Vec<_> = (0..20)
        .map(|client| {
            std::thread::spawn(move || {
                let slow = client % 5 == 0;
                let socket = if slow { connect_small_buffer(addr) } else { connect(addr) };
                let mut stream = Stream::open_on(socket, "/stream.mjpg");
                let (mut last_seq, mut last_embedded) = (0, 0);
                for _ in 0..if slow { 15 } else { 150 } {
                    let part = stream.next_part();
                    let embedded = fake_jpeg_seq(&part.jpeg).expect("a torn or rewritten frame was sent");
                    assert!(
                        part.seq > last_seq && embedded > last_embedded,
                        "a frame was sent twice or out of order"
                    );
                    (last_seq, last_embedded) = (part.seq, embedded);
                    if slow {
                        std::thread::sleep(Duration::from_millis(40));
                    }
                }
            })
        })
        .collect();
    for client in clients {
        client.join().expect("client saw only whole, newer frames");
    }
    stop.store(true, Ordering::Relaxed);
    let attempted = writer.join().expect("writer");
    assert!(attempted > 500, "the writer should have run flat out: {attempted} frames");
}
