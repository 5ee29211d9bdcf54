//! Bad and hostile clients: malformed or oversized requests, slowloris, clients that stop
//! reading, a full client table. Each is refused or dropped while the stream goes on for
//! everyone else.

mod common;

use common::*;
use std::io::{Read, Write};
use std::time::{Duration, Instant};
use zerocam::config::HttpConfig;

fn server_with(http: HttpConfig, frame_len: usize) -> (zerocam::app::Running, Feeder) {
    let (camera, output) = manual_camera("cam0", 6, 256 * 1024, 64);
    let (server, _) = serve(vec![camera], http);
    (server, Feeder::start(output, 40, frame_len))
}

#[test]
fn malformed_and_oversized_requests_get_4xx_while_streaming_goes_on() {
    let (server, _feeder) = server_with(http_config(), 8000);
    let addr = server.local_addr();
    let mut watcher = Stream::open(addr, "/stream.mjpg");
    let long_target = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(2000));
    let huge_header = format!("GET / HTTP/1.1\r\nCookie: {}\r\n\r\n", "c".repeat(5000));
    let many_headers = format!("GET / HTTP/1.1\r\n{}\r\n", "X-A: b\r\n".repeat(40));
    let cases: Vec<(&[u8], u16)> = vec![
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nbad header\r\n\r\n", 400),
        (b"GET /\x01 HTTP/1.1\r\n\r\n", 400),
        (b"GET / HTTP/3.0\r\n\r\n", 505),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400),
        (long_target.as_bytes(), 414),
        (huge_header.as_bytes(), 431),
        (many_headers.as_bytes(), 431),
        (b"POST /api/reboot HTTP/1.1\r\nHost: t\r\nContent-Length: 99999\r\n\r\n", 413),
        (b"POST /api/reboot HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
    ];
    for (request, expected) in cases {
        let response = raw(addr, request);
        assert_eq!(
            response.status,
            expected,
            "{:?}",
            String::from_utf8_lossy(&request[..request.len().min(60)])
        );
        watcher.take(1);
    }
    assert!(status_json(addr)["http"]["bad_requests"].as_u64() >= Some(9));
}

#[test]
fn slowloris_is_dropped_by_the_head_deadline() {
    let mut http = http_config();
    http.header_timeout_secs = 1;
    let (server, _feeder) = server_with(http, 8000);
    let addr = server.local_addr();
    let mut watcher = Stream::open(addr, "/stream.mjpg");
    let started = Instant::now();
    let mut slow = connect(addr);
    slow.write_all(b"GET / HTTP/1.1\r\nX-Slow: ").expect("partial head");
    // Trickle a byte now and then: it must not extend the deadline.
    let mut reply = Vec::new();
    for _ in 0..6 {
        std::thread::sleep(Duration::from_millis(300));
        if slow.write_all(b"a").is_err() {
            break;
        }
    }
    let _ = slow.read_to_end(&mut reply);
    let text = String::from_utf8_lossy(&reply);
    assert!(text.starts_with("HTTP/1.1 408"), "expected 408, got {text:?}");
    assert!(started.elapsed() < Duration::from_secs(8));
    watcher.take(3);
    assert!(status_json(addr)["http"]["timeouts"].as_u64() >= Some(1));
}

#[test]
fn stalled_stream_client_is_dropped_and_its_lease_released() {
    let mut http = http_config();
    http.stall_timeout_secs = 1;
    http.send_buffer_kib = 16;
    let (server, _feeder) = server_with(http, 100_000);
    let addr = server.local_addr();
    // Connects, asks for the stream and never reads again.
    let stuck = connect_small_buffer(addr);
    (&stuck).write_all(b"GET /stream.mjpg HTTP/1.1\r\nHost: t\r\n\r\n").expect("send");
    let mut watcher = Stream::open(addr, "/stream.mjpg");
    eventually("the stuck client is timed out", || status_json(addr)["http"]["timeouts"].as_u64() >= Some(1));
    eventually("only the watcher and this request remain, holding at most one lease", || {
        let status = status_json(addr);
        status["http"]["clients_active"] == 2 && status["cameras"][0]["pool"]["leases"].as_u64() <= Some(1)
    });
    watcher.take(5);
    drop(stuck);
}

#[test]
fn viewer_waiting_for_a_silent_camera_is_not_taken_for_stalled() {
    // A camera that sends nothing for longer than the stall timeout (a starved or very
    // slow source) must not cost its viewers their connection: they have taken every byte.
    let mut http = http_config();
    http.stall_timeout_secs = 1;
    let (camera, mut output) = manual_camera("cam0", 6, 256 * 1024, 64);
    let (server, _) = serve(vec![camera], http);
    let addr = server.local_addr();
    publish(&mut output, 1, 8000);
    let mut viewer = Stream::open(addr, "/stream.mjpg");
    assert_eq!(fake_jpeg_seq(&viewer.next_part().jpeg), Some(1));
    std::thread::sleep(Duration::from_millis(3500));
    publish(&mut output, 2, 8000);
    assert_eq!(fake_jpeg_seq(&viewer.next_part().jpeg), Some(2), "the viewer lost its stream");
    assert_eq!(status_json(addr)["http"]["timeouts"].as_u64(), Some(0));
}

#[test]
fn full_client_table_answers_503_and_frees_up_again() {
    let mut http = http_config();
    http.max_clients = 3;
    let (server, _feeder) = server_with(http, 2000);
    let addr = server.local_addr();
    let mut streams: Vec<Stream> = (0..3).map(|_| Stream::open(addr, "/stream.mjpg")).collect();
    for stream in &mut streams {
        stream.take(1);
    }
    let refused = get(addr, "/status");
    assert_eq!(refused.status, 503);
    assert!(refused.header("retry-after").is_some());
    streams.pop();
    eventually("a place frees up", || get(addr, "/status").status == 200);
    for stream in &mut streams {
        stream.take(2);
    }
    assert!(status_json_when_free(addr)["http"]["rejected_full"].as_u64() >= Some(1));
}

fn status_json_when_free(addr: std::net::SocketAddr) -> serde_json::Value {
    let mut value = serde_json::Value::Null;
    eventually("status answers", || {
        let response = get(addr, "/status");
        if response.status == 200 {
            value = serde_json::from_slice(&response.body).expect("JSON");
        }
        response.status == 200
    });
    value
}
