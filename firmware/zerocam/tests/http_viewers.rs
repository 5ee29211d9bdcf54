//! What viewers get: optional login, mjpg-streamer's numbered URLs, a per-viewer frame rate,
//! the Date header and the site icon.

mod common;

use base64::Engine as _;
use common::*;
use std::time::{Duration, Instant};
use zerocam::config::{HttpConfig, ViewerAccount};

/// `openssl passwd -6 -salt viewtest 'open sesame'`
const ANN_HASH: &str =
    "$6$viewtest$/vZ9/invTHqe9kX06PNx4EuN.NHCQBHfoFXHjhFSxt8iugZss3/0wLT3lV96Nb6rKK1l55FNtTQPiBSs0pNDB0";

fn with_login() -> HttpConfig {
    let mut http = http_config();
    http.viewers = vec![ViewerAccount { user: "ann".into(), password_hash: ANN_HASH.into() }];
    http.admin_token = Some("admin-secret".into());
    http
}

fn basic(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

fn get_with(addr: std::net::SocketAddr, path: &str, authorization: Option<&str>) -> Response {
    let auth = authorization.map_or(String::new(), |value| format!("Authorization: {value}\r\n"));
    raw(addr, format!("GET {path} HTTP/1.1\r\nHost: t\r\n{auth}Connection: close\r\n\r\n").as_bytes())
}

#[test]
fn viewer_login_guards_every_view_and_remembers_a_good_login() {
    let (camera, output) = manual_camera("cam0", 6, 64 * 1024, 64);
    let (server, _) = serve(vec![camera], with_login());
    let _feeder = Feeder::start(output, 25, 3000);
    let addr = server.local_addr();
    for path in ["/", "/stream.mjpg", "/snapshot.jpg", "/status", "/metrics", "/log", "/?action=stream"] {
        let refused = get_with(addr, path, None);
        assert_eq!(refused.status, 401, "{path}");
        assert_eq!(refused.header("www-authenticate"), Some("Basic realm=\"zerocam\", charset=\"UTF-8\""));
    }
    // The icon needs no login; admin actions keep their own token.
    assert_eq!(get_with(addr, "/favicon.ico", None).status, 200);
    let good = format!("Basic {}", basic("ann", "open sesame"));
    let page = get_with(addr, "/", Some(&good));
    assert_eq!(page.status, 200);
    assert!(page.text().contains("stream.mjpg"));
    // Once checked, the same credentials are cheap: the page polls /status every second.
    let started = Instant::now();
    for _ in 0..20 {
        assert_eq!(get_with(addr, "/status", Some(&good)).status, 200);
    }
    println!("20 logged-in /status requests took {:?}", started.elapsed());
    let lower = format!("basic {}", basic("ann", "open sesame"));
    assert_eq!(get_with(addr, "/snapshot.jpg", Some(&lower)).status, 200, "the scheme is case-insensitive");
    Stream::open_with(connect(addr), "/stream.mjpg", &format!("Authorization: {good}\r\n")).take(3);
    for wrong in [basic("ann", "open sesame!"), basic("bob", "open sesame"), "!!!".to_string()] {
        assert_eq!(get_with(addr, "/status", Some(&format!("Basic {wrong}"))).status, 401);
    }
    assert_eq!(status_json_as(addr, &good)["http"]["login_failures"], 3, "challenges are not failures");
    let log = get_with(addr, "/log", Some(&good)).text();
    assert!(!log.contains("open sesame") && !log.contains(&basic("ann", "open sesame")), "{log}");
    assert!(!log.contains(ANN_HASH));
}

#[test]
fn wrong_viewer_passwords_lock_the_peer_out() {
    let (camera, output) = manual_camera("cam0", 6, 64 * 1024, 64);
    let (server, _) = serve(vec![camera], with_login());
    let _feeder = Feeder::start(output, 25, 3000);
    let addr = server.local_addr();
    let statuses: Vec<u16> = (0..8)
        .map(|n| get_with(addr, "/status", Some(&format!("Basic {}", basic("ann", &n.to_string())))).status)
        .collect();
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429, 429]);
    let good = format!("Basic {}", basic("ann", "open sesame"));
    assert_eq!(get_with(addr, "/status", Some(&good)).status, 429, "locked out, whatever it sends");
}

#[test]
fn numbered_mjpg_streamer_urls_pick_the_camera() {
    let (front, front_output) = manual_camera("front", 4, 32 * 1024, 8);
    let (back, back_output) = manual_camera("back", 4, 32 * 1024, 8);
    let (server, _) = serve(vec![front, back], http_config());
    let _front = Feeder::start(front_output, 30, 1000);
    let _back = Feeder::start(back_output, 30, 3000);
    let addr = server.local_addr();
    assert_eq!(Stream::open(addr, "/?action=stream_0").next_part().jpeg.len(), 1000);
    assert_eq!(Stream::open(addr, "/?action=stream_1&extra=ignored").next_part().jpeg.len(), 3000);
    assert_eq!(get(addr, "/?action=snapshot_1").body.len(), 3000);
    assert_eq!(get(addr, "/?action=snapshot_0").body.len(), 1000);
    assert_eq!(get(addr, "/?action=stream_2").status, 404);
}

#[test]
fn a_viewer_can_cap_its_own_frame_rate() {
    let (camera, output) = manual_camera("cam0", 6, 32 * 1024, 16);
    let (server, _) = serve(vec![camera], http_config());
    let _feeder = Feeder::start(output, 40, 2000);
    let addr = server.local_addr();
    let mut capped = Stream::open(addr, "/stream.mjpg?fps=5");
    let mut full = Stream::open(addr, "/stream.mjpg");
    let started = Instant::now();
    let parts = capped.take(11);
    let took = started.elapsed();
    let full_parts = full.take(20);
    // 10 intervals at 5 fps: about 2 s; never faster than the cap.
    assert!(took >= Duration::from_millis(1800), "11 frames at fps=5 took {took:?}");
    let span = parts[10].timestamp - parts[0].timestamp;
    assert!(span >= 1.8, "capture times span {span} s");
    assert!(full_parts.len() == 20);
    assert_eq!(get(addr, "/stream.mjpg?fps=0").status, 400);
    assert_eq!(get(addr, "/stream.mjpg?fps=fast").status, 400);
}

#[test]
fn replies_carry_a_date_and_the_icon_is_served() {
    let (camera, output) = manual_camera("cam0", 4, 32 * 1024, 8);
    let (server, _) = serve(vec![camera], http_config());
    let _feeder = Feeder::start(output, 25, 1000);
    let addr = server.local_addr();
    let status = get(addr, "/status");
    let date = status.header("date").expect("a Date header: a PC's clock is trusted");
    let parsed = httpdate::parse_http_date(date).expect("IMF-fixdate");
    let skew = parsed.duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs_f64()
        - std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("now").as_secs_f64();
    assert!(skew.abs() < 5.0, "Date is {skew} s off");
    let icon = get(addr, "/favicon.ico");
    assert_eq!((icon.status, icon.header("content-type")), (200, Some("image/svg+xml")));
    assert!(icon.text().starts_with("<svg"));
    let status = status_json(addr);
    assert_eq!(status["cameras"][0]["viewers"], 0, "a /status poll is not a viewer");
    let _watch = Stream::open(addr, "/stream.mjpg");
    assert_eq!(status_json(addr)["cameras"][0]["viewers"], 1);
}

fn status_json_as(addr: std::net::SocketAddr, authorization: &str) -> serde_json::Value {
    let response = get_with(addr, "/status", Some(authorization));
    assert_eq!(response.status, 200);
    serde_json::from_slice(&response.body).expect("status is JSON")
}
