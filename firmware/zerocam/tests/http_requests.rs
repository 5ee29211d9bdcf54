//! Ordinary requests over real HTTP: status codes, HEAD, keep-alive, the small resources.

mod common;

use common::*;
use std::io::{BufReader, Write};
use zerocam::system::PowerAction;

fn fed_server() -> (zerocam::app::Running, Feeder, std::sync::Arc<RecordingControl>) {
    let (camera, output) = manual_camera("cam0", 4, 16 * 1024, 16);
    let mut http = http_config();
    http.admin_token = Some("s3cret".into());
    let (server, control) = serve(vec![camera], http);
    let feeder = Feeder::start(output, 30, 5000);
    // On a loaded machine the feeder's first frame can come late: tests that want a frame
    // (a snapshot is 503 before the first) start once there is one.
    let addr = server.local_addr();
    eventually("the first frame", || status_json(addr)["cameras"][0]["frames_published"].as_u64() > Some(0));
    (server, feeder, control)
}

#[test]
fn snapshot_is_503_before_the_first_frame_then_the_newest_frame() {
    let (camera, mut output) = manual_camera("cam0", 4, 16 * 1024, 16);
    let (server, _) = serve(vec![camera], http_config());
    let addr = server.local_addr();
    let early = get(addr, "/snapshot.jpg");
    assert_eq!(early.status, 503);
    assert_eq!(early.header("retry-after"), Some("1"));
    publish(&mut output, 1, 900);
    publish(&mut output, 2, 1200);
    for path in ["/snapshot.jpg", "/?action=snapshot", "/cam/cam0/snapshot.jpg"] {
        let snap = get(addr, path);
        assert_eq!(snap.status, 200, "{path}");
        assert_eq!(snap.header("content-type"), Some("image/jpeg"));
        assert_eq!(snap.body, fake_jpeg(2, 1200), "{path} must give the newest frame");
        assert_eq!(snap.header("x-sequence"), Some("2"));
    }
}

#[test]
fn page_status_metrics_and_log() {
    let (server, _feeder, _) = fed_server();
    let addr = server.local_addr();
    let page = get(addr, "/");
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").is_some_and(|t| t.starts_with("text/html")));
    assert!(page.text().contains("<img") && page.text().contains("stream.mjpg"));
    eventually("fps measured", || status_json(addr)["cameras"][0]["fps_in"].as_f64() > Some(1.0));
    let status = status_json(addr);
    assert_eq!(status["mode"], "process");
    let camera = &status["cameras"][0];
    for key in ["name", "source", "resolution", "fps_in", "fps_out", "dropped", "pool", "frames_published"] {
        assert!(!camera[key].is_null(), "status lacks cameras[0].{key}: {camera}");
    }
    for key in ["no_free_slot", "too_large", "corrupt"] {
        assert!(camera["dropped"][key].is_u64(), "dropped.{key}");
    }
    assert!(
        status["uptime_s"].is_u64() && status["clients"].is_array() && status["http"]["max_clients"].is_u64()
    );
    let metrics = get(addr, "/metrics");
    assert_eq!(metrics.status, 200);
    let text = metrics.text();
    assert!(text.contains("# TYPE zerocam_frames_published_total counter"));
    assert!(text.contains("zerocam_frames_dropped_total{camera=\"cam0\",cause=\"no_free_slot\"}"));
    assert!(text.lines().filter(|l| !l.starts_with('#')).all(|l| l.split(' ').count() == 2), "{text}");
    let log = get(addr, "/log");
    assert_eq!(log.status, 200);
    assert!(log.header("content-type").is_some_and(|t| t.starts_with("text/plain")));
}

#[test]
fn clients_show_up_in_status_with_their_rates() {
    let (server, _feeder, _) = fed_server();
    let addr = server.local_addr();
    let mut stream = Stream::open(addr, "/stream.mjpg");
    stream.take(5);
    let reader = std::thread::spawn(move || stream.take(80).len());
    eventually("a streaming client with fps and bytes", || {
        let status = status_json(addr);
        status["clients"].as_array().is_some_and(|clients| {
            clients.iter().any(|c| {
                c["camera"] == "cam0" && c["fps"].as_f64() > Some(1.0) && c["bytes"].as_u64() > Some(0)
            })
        })
    });
    assert_eq!(reader.join().expect("reader"), 80);
}

#[test]
fn head_requests_get_heads_only() {
    let (server, _feeder, _) = fed_server();
    let addr = server.local_addr();
    for path in ["/", "/snapshot.jpg", "/status"] {
        let response =
            raw(addr, format!("HEAD {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").as_bytes());
        assert_eq!(response.status, 200, "{path}");
        assert!(response.header("content-length").is_some_and(|len| len != "0"), "{path}");
        assert!(response.body.is_empty());
    }
    let mut stream = connect(addr);
    stream.write_all(b"HEAD /stream.mjpg HTTP/1.1\r\nHost: t\r\n\r\n").expect("send");
    let mut reader = BufReader::new(stream);
    let (status, headers) = read_head(&mut reader);
    assert_eq!(status, 200);
    assert!(headers["content-type"].starts_with("multipart/x-mixed-replace"));
    let mut rest = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut rest).expect("closed after head");
    assert!(rest.is_empty(), "HEAD on the stream must send no frames");
}

#[test]
fn keep_alive_serves_several_requests_including_pipelined_ones() {
    let (server, _feeder, _) = fed_server();
    let mut stream = connect(server.local_addr());
    stream.write_all(b"GET /status HTTP/1.1\r\nHost: x\r\n\r\n").expect("send");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    assert_eq!(read_response(&mut reader, false).status, 200);
    stream
        .write_all(
            b"GET /snapshot.jpg HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        .expect("send");
    assert_eq!(read_response(&mut reader, false).status, 200);
    assert_eq!(read_response(&mut reader, true).status, 200);
    assert_eq!(read_response(&mut reader, false).status, 404);
    stream.write_all(b"GET / HTTP/1.0\r\n\r\n").expect("send");
    let last = read_response(&mut reader, false);
    assert_eq!(last.status, 200);
    assert_eq!(last.header("connection"), Some("close"), "HTTP/1.0 without keep-alive closes");
}

#[test]
fn wrong_methods_and_unknown_paths() {
    let (server, _feeder, _) = fed_server();
    let addr = server.local_addr();
    let post = raw(addr, b"POST /stream.mjpg HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
    let delete = raw(addr, b"DELETE /status HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(delete.status, 405);
    let get_power = raw(addr, b"GET /api/poweroff HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!((get_power.status, get_power.header("allow")), (405, Some("POST")));
    assert_eq!(get(addr, "/etc/passwd").status, 404);
    assert_eq!(get(addr, "/?action=nothing").status, 404);
}

#[test]
fn power_actions_need_the_token() {
    let (server, _feeder, control) = fed_server();
    let addr = server.local_addr();
    let none = raw(addr, b"POST /api/reboot HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(none.status, 401);
    assert!(none.header("www-authenticate").is_some());
    let wrong = raw(addr, b"POST /api/reboot HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer guess\r\n\r\n");
    assert_eq!(wrong.status, 401);
    assert!(control.requests.lock().expect("lock").is_empty());
    let right = raw(addr, b"POST /api/poweroff HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer s3cret\r\n\r\n");
    assert_eq!(right.status, 202);
    assert_eq!(*control.requests.lock().expect("lock"), vec![PowerAction::PowerOff]);

    // Without a configured token the API is off.
    let (camera, _output) = manual_camera("cam0", 2, 16 * 1024, 4);
    let (plain, _) = serve(vec![camera], http_config());
    let off =
        raw(plain.local_addr(), b"POST /api/poweroff HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \r\n\r\n");
    assert_eq!(off.status, 403);
}

/// What the board's watchdog watches: unhealthy until the camera publishes, healthy after.
#[test]
fn pipeline_health_follows_the_camera() {
    let (camera, mut output) = manual_camera("cam0", 4, 16 * 1024, 16);
    let (server, _) = serve(vec![camera], http_config());
    let health = server.health();
    assert!(!health.pipeline_healthy(), "no frame yet: not healthy");
    publish(&mut output, 1, 500);
    assert!(health.pipeline_healthy(), "a fresh frame and a turning event loop: healthy");
}
