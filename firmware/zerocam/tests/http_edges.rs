//! Every wait has a deadline, limits that hold, failed logins held back, and the edges of
//! HTTP/1.1 as RFC 9112 has them. Each test talks to a server it started on a free port.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use zerocam::config::HttpConfig;

fn fed(http: HttpConfig) -> (zerocam::app::Running, Feeder, std::sync::Arc<RecordingControl>) {
    let (camera, output) = manual_camera("cam0", 6, 64 * 1024, 64);
    let (server, control) = serve(vec![camera], http);
    (server, Feeder::start(output, 25, 4000), control)
}

/// Reads until the server closes; what it sent, and whether it closed within `within`.
fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (String, bool) {
    stream.set_read_timeout(Some(within)).expect("timeout");
    let mut got = Vec::new();
    let closed = stream.read_to_end(&mut got).is_ok();
    (String::from_utf8_lossy(&got).into_owned(), closed)
}

/// A client bound to another loopback address: another peer, as far as the server knows.
fn connect_from(ip: [u8; 4], addr: SocketAddr) -> TcpStream {
    use rustix::net::{AddressFamily, SocketType};
    let socket = rustix::net::socket(AddressFamily::INET, SocketType::STREAM, None).expect("socket");
    rustix::net::bind(&socket, &SocketAddr::from((ip, 0))).expect("bind to the other loopback address");
    rustix::net::connect(&socket, &addr).expect("connect");
    let stream = TcpStream::from(socket);
    stream.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    stream
}

#[test]
fn a_declared_body_that_never_comes_gets_408_and_frees_the_place() {
    let mut http = http_config();
    http.header_timeout_secs = 1;
    let (server, _feeder, control) = fed(http);
    let addr = server.local_addr();
    for request in [
        "POST /api/reboot HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n",
        "POST /api/reboot HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 100\r\n\r\n",
    ] {
        let started = Instant::now();
        let mut stream = connect(addr);
        stream.write_all(request.as_bytes()).expect("head");
        let (reply, closed) = read_until_closed(&mut stream, Duration::from_secs(5));
        assert!(closed, "the connection must be closed by the body deadline");
        assert!(started.elapsed() < Duration::from_secs(4), "took {:?}", started.elapsed());
        if request.contains("Expect") {
            assert!(reply.starts_with("HTTP/1.1 100 Continue\r\n\r\n"), "{reply:?}");
        }
        assert!(reply.contains("HTTP/1.1 408 "), "{reply:?}");
        assert!(reply.contains("Connection: close"), "{reply:?}");
    }
    eventually("both places are free again", || status_json(addr)["http"]["clients_active"] == 1);
    assert!(control.requests.lock().expect("lock").is_empty(), "nothing may have been done");
}

#[test]
fn an_idle_keep_alive_connection_is_closed_by_its_deadline() {
    let mut http = http_config();
    http.idle_timeout_secs = 1;
    let (server, _feeder, _) = fed(http);
    let mut stream = connect(server.local_addr());
    stream.write_all(b"GET /status HTTP/1.1\r\nHost: t\r\n\r\n").expect("send");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    assert_eq!(read_response(&mut reader, false).status, 200);
    let started = Instant::now();
    let mut rest = Vec::new();
    reader.get_mut().set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    assert!(reader.read_to_end(&mut rest).is_ok(), "closed, not timed out on our side");
    assert!(started.elapsed() < Duration::from_secs(4), "took {:?}", started.elapsed());
}

#[test]
fn a_request_body_within_the_limit_is_read_and_the_connection_goes_on() {
    let mut http = http_config();
    http.admin_token = Some("s3cret".into());
    let (server, _feeder, control) = fed(http);
    let mut stream = connect(server.local_addr());
    // The body arrives late, after the 100; the answer waits for it, then a pipelined GET.
    stream
        .write_all(b"POST /api/poweroff HTTP/1.1\r\nHost: t\r\nAuthorization: bearer s3cret\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n")
        .expect("head");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("100 line");
    assert_eq!(line, "HTTP/1.1 100 Continue\r\n");
    reader.read_line(&mut line).expect("blank line");
    stream.write_all(b"hello").expect("body");
    let reply = read_response(&mut reader, false);
    assert_eq!(reply.status, 202, "the lower-case bearer scheme is accepted");
    assert_eq!(reply.header("connection"), Some("close"));
    assert_eq!(control.requests.lock().expect("lock").len(), 1);
}

#[test]
fn rfc9112_host_absolute_form_and_options() {
    let (server, _feeder, _) = fed(http_config());
    let addr = server.local_addr();
    for bad in ["GET /status HTTP/1.1\r\n\r\n", "GET /status HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"] {
        let reply = raw(addr, bad.as_bytes());
        assert_eq!(reply.status, 400, "{bad:?}");
        assert_eq!(reply.header("connection"), Some("close"), "{bad:?}");
    }
    // HTTP/1.0 needs no Host.
    assert_eq!(raw(addr, b"GET /status HTTP/1.0\r\n\r\n").status, 200);
    let absolute = raw(addr, format!("GET http://{addr}/status HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes());
    assert_eq!(absolute.status, 200);
    assert!(absolute.text().contains("\"cameras\""));
    let star = raw(addr, b"OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(star.status, 200);
    assert_eq!(star.header("allow"), Some("GET, HEAD, POST, OPTIONS"));
    let stream = raw(addr, b"OPTIONS /stream.mjpg HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!((stream.status, stream.header("allow")), (200, Some("GET, HEAD, OPTIONS")));
    let power = raw(addr, b"OPTIONS /api/reboot HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(power.header("allow"), Some("POST, OPTIONS"));
    assert_eq!(raw(addr, b"POST / HTTP/1.1\r\nHost: t\r\nExpect: tea\r\n\r\n").status, 417);
}

#[test]
fn connection_close_is_sent_whenever_the_server_closes() {
    let (server, _feeder, _) = fed(http_config());
    let addr = server.local_addr();
    // HTTP/1.0 without keep-alive: the server closes after any reply, errors included.
    for request in
        ["GET /nope HTTP/1.0\r\n\r\n", "DELETE /status HTTP/1.0\r\n\r\n", "GET /status HTTP/1.0\r\n\r\n"]
    {
        let mut stream = connect(addr);
        stream.write_all(request.as_bytes()).expect("send");
        let (reply, closed) = read_until_closed(&mut stream, Duration::from_secs(5));
        assert!(closed, "{request:?}");
        assert!(reply.contains("\r\nConnection: close\r\n"), "{request:?}: {reply:?}");
    }
}

#[test]
fn error_replies_survive_a_client_that_keeps_sending() {
    let (server, _feeder, _) = fed(http_config());
    let addr = server.local_addr();
    // Far more than the request buffer. Closing with these bytes unread makes the kernel
    // reset the connection, and a reset can destroy the reply on its way (always so for
    // some clients, and for a reply still in flight): the server must end with a clean
    // close after the reply, never a reset.
    let junk = format!("GET / HTTP/1.1\r\nHost: t\r\nCookie: {}\r\n\r\n", "c".repeat(60_000));
    let long_target = format!("GET /{} HTTP/1.1\r\nHost: t\r\n\r\n{}", "a".repeat(2000), "x".repeat(60_000));
    for (request, status) in [(junk, "431"), (long_target, "414")] {
        for _ in 0..5 {
            let mut stream = connect(addr);
            stream.write_all(request.as_bytes()).expect("send");
            let (reply, clean_close) = read_until_closed(&mut stream, Duration::from_secs(5));
            assert!(
                reply.starts_with(&format!("HTTP/1.1 {status} ")),
                "got {:?}",
                &reply[..reply.len().min(80)]
            );
            assert!(clean_close, "the connection was reset after the {status}, not closed");
        }
    }
}

#[test]
fn one_peer_cannot_take_every_place() {
    let mut http = http_config();
    http.max_clients_per_peer = 3;
    let (server, _feeder, _) = fed(http);
    let addr = server.local_addr();
    let mut streams: Vec<Stream> = (0..3).map(|_| Stream::open(addr, "/stream.mjpg")).collect();
    let refused = get(addr, "/status");
    assert_eq!(refused.status, 429);
    assert!(refused.text().contains("3 connections"), "{}", refused.text());
    // Another host still gets in.
    let mut other = Stream::open_on(connect_from([127, 0, 0, 2], addr), "/stream.mjpg");
    other.take(2);
    for stream in &mut streams {
        stream.take(1);
    }
    drop(streams);
    eventually("the places free up", || get(addr, "/status").status == 200);
    assert!(status_json(addr)["http"]["rejected_peer_limit"].as_u64() >= Some(1));
}

#[test]
fn failed_logins_are_limited_per_peer_and_logged_in_summary() {
    let mut http = http_config();
    http.admin_token = Some("s3cret".into());
    let (server, _feeder, control) = fed(http);
    let addr = server.local_addr();
    let attempt = |from: [u8; 4], token: &str| {
        let mut stream = connect_from(from, addr);
        let request =
            format!("POST /api/reboot HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\n\r\n");
        stream.write_all(request.as_bytes()).expect("send");
        read_response(&mut BufReader::new(stream), false)
    };
    let guesser = [127, 0, 0, 3];
    let statuses: Vec<u16> = (0..40).map(|n| attempt(guesser, &format!("guess{n}")).status).collect();
    assert_eq!(&statuses[..5], &[401; 5]);
    assert!(statuses[5..].iter().all(|&status| status == 429), "{statuses:?}");
    // Locked out even with the right token; another peer is not.
    assert_eq!(attempt(guesser, "s3cret").status, 429);
    assert_eq!(attempt([127, 0, 0, 4], "s3cret").status, 202);
    assert_eq!(control.requests.lock().expect("lock").len(), 1);
    // Keep-alive ends after a few wrong tokens on one connection.
    let mut stream = connect_from([127, 0, 0, 5], addr);
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut closes = Vec::new();
    for n in 0..3 {
        let request = format!("POST /api/reboot HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer no{n}\r\n\r\n");
        stream.write_all(request.as_bytes()).expect("send");
        closes.push(read_response(&mut reader, false).header("connection").map(str::to_string));
    }
    assert_eq!(closes, [None, None, Some("close".to_string())]);
    let log = get(addr, "/log").text();
    let lines = log.lines().filter(|line| line.contains("login:") && line.contains("127.0.0.3")).count();
    assert!(lines <= 2, "40 guesses must not flush the log: {lines} lines\n{log}");
    assert!(!log.contains("guess"), "the offered tokens never reach the log");
    assert!(status_json(addr)["http"]["login_failures"].as_u64() >= Some(40));
}

/// The client table fits the open-file limit: with room for 16 clients, the 17th gets a
/// 503 at once instead of waiting in the listen backlog while accept(2) fails.
#[test]
fn max_clients_is_capped_by_the_open_file_limit() {
    use std::os::unix::process::CommandExt;
    let limit = 48 + 16;
    let mut command = Command::new(env!("CARGO_BIN_EXE_zerocam"));
    command
        .args(["--listen", "127.0.0.1:0", "--max-clients", "600", "--max-clients-per-peer", "4096"])
        .args(["--size", "160x120", "--fps", "5"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe and touches nothing of the parent's.
    unsafe {
        command.pre_exec(move || {
            let rlimit = rustix::process::Rlimit { current: Some(limit), maximum: Some(limit) };
            rustix::process::setrlimit(rustix::process::Resource::Nofile, rlimit)
                .map_err(std::io::Error::from)
        });
    }
    let mut child = command.spawn().expect("start zerocam");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut warned = false;
    let addr: SocketAddr = loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).expect("log line") == 0 {
            let _ = child.kill();
            panic!("zerocam exited before serving");
        }
        warned |= line.contains("does not fit the open-file limit") && line.contains("at most 16 clients");
        if let Some(rest) = line.split("serving http://").nth(1) {
            break rest.split('/').next().and_then(|a| a.parse().ok()).expect("address in the log");
        }
    };
    let result = std::panic::catch_unwind(|| {
        assert!(warned, "the cap must be logged with what to change");
        let status = status_json(addr);
        assert_eq!(status["http"]["max_clients"], 16, "talking to the server this test started");
        let held: Vec<TcpStream> = (0..16)
            .map(|_| {
                let mut stream = connect(addr);
                stream.write_all(b"GET /stream.mjpg HTTP/1.1\r\nHost: t\r\n\r\n").expect("send");
                let mut first = [0u8; 12];
                stream.read_exact(&mut first).expect("a stream starts");
                assert_eq!(&first, b"HTTP/1.1 200");
                stream
            })
            .collect();
        let refused = get(addr, "/status");
        assert_eq!(refused.status, 503);
        drop(held);
    });
    let _ = child.kill();
    let _ = child.wait();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}
