//! Helpers for tests that talk real HTTP to a real zerocam server on an ephemeral port.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use zerocam::app::{self, Running};
use zerocam::camera::{unix_now_us, Camera, FrameOutput};
use zerocam::config::{CameraConfig, Config, HttpConfig, SourceSpec};
use zerocam::system::{PowerAction, RunMode, SystemControl};

pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The shared VGA clip (../shared/clips beside the project).
pub fn vga_clip() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/clips/vga-640x480-125f.mjpeg");
    assert!(
        path.exists(),
        "test clip missing: {} (the shared/ folder must sit beside the project)",
        path.display()
    );
    path
}

/// Every test client comes from 127.0.0.1, so the per-peer cap is lifted except where a
/// test is about it.
pub fn http_config() -> HttpConfig {
    HttpConfig {
        listen: Some("127.0.0.1:0".parse().expect("addr")),
        max_clients_per_peer: 4096,
        ..HttpConfig::default()
    }
}

/// A server replaying the VGA clip.
pub fn replay_server(fps: usize, http: HttpConfig) -> Running {
    let camera = CameraConfig { source: SourceSpec::Replay(vga_clip()), fps, ..CameraConfig::default() };
    let config = Config { http, cameras: vec![camera], ..Config::default() };
    app::start(&config, RunMode::Process, Arc::new(RecordingControl::default())).expect("server starts")
}

/// Records power requests instead of acting on them.
#[derive(Default)]
pub struct RecordingControl {
    pub requests: Mutex<Vec<PowerAction>>,
}

impl SystemControl for RecordingControl {
    fn request(&self, action: PowerAction) -> Result<(), String> {
        self.requests.lock().map_err(|_| "poisoned".to_string())?.push(action);
        Ok(())
    }
}

/// A camera whose frames the test publishes by hand (or with a feeder thread).
pub fn manual_camera(
    name: &str,
    slots: usize,
    slot_bytes: usize,
    subscribers: usize,
) -> (Arc<Camera>, FrameOutput) {
    let config = CameraConfig { name: name.into(), slots, ..CameraConfig::default() };
    Camera::new(config, slot_bytes, subscribers)
}

/// A small valid-looking JPEG whose comment segment carries `seq`, padded to `len` bytes
/// with data derived from `seq`, so that a torn frame (parts of two frames) is detectable.
pub fn fake_jpeg(seq: u64, len: usize) -> Vec<u8> {
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xFE, 0x00, 0x0A];
    jpeg.extend_from_slice(&seq.to_be_bytes());
    jpeg.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02]);
    while jpeg.len() + 2 < len {
        jpeg.push(fake_payload_byte(seq, jpeg.len()));
    }
    jpeg.extend_from_slice(&[0xFF, 0xD9]);
    jpeg
}

/// Never 0xFF (no marker inside the data).
fn fake_payload_byte(seq: u64, position: usize) -> u8 {
    ((seq as usize).wrapping_mul(131).wrapping_add(position) % 251) as u8 & 0x7F
}

/// The `seq` a fake JPEG carries, if every byte of it is exactly what `fake_jpeg` wrote.
pub fn fake_jpeg_seq(jpeg: &[u8]) -> Option<u64> {
    let seq = u64::from_be_bytes(jpeg.get(6..14)?.try_into().ok()?);
    (jpeg == fake_jpeg(seq, jpeg.len()).as_slice()).then_some(seq)
}

pub fn publish(output: &mut FrameOutput, seq: u64, len: usize) {
    let frame = fake_jpeg(seq, len);
    output
        .publish_jpeg(unix_now_us(), |slot| {
            slot[..frame.len()].copy_from_slice(&frame);
            Ok(frame.len())
        })
        .expect("publish");
}

/// Publishes fake frames at `fps` until dropped.
pub struct Feeder {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Feeder {
    pub fn start(mut output: FrameOutput, fps: u64, len: usize) -> Feeder {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut seq = 0;
            while !flag.load(Ordering::Relaxed) {
                seq += 1;
                let frame = fake_jpeg(seq, len);
                // A full pool drops the frame (counted); feeding goes on.
                let _ = output.publish_jpeg(unix_now_us(), |slot| {
                    slot[..frame.len()].copy_from_slice(&frame);
                    Ok(frame.len())
                });
                std::thread::sleep(Duration::from_millis(1000 / fps));
            }
        });
        Feeder { stop, thread: Some(thread) }
    }
}

impl Drop for Feeder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub fn serve(cameras: Vec<Arc<Camera>>, http: HttpConfig) -> (Running, Arc<RecordingControl>) {
    let control = Arc::new(RecordingControl::default());
    let running =
        app::serve_cameras(cameras, &http, RunMode::Process, control.clone()).expect("server starts");
    (running, control)
}

pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    stream
}

/// Connects with a small receive buffer, so that a client that reads slowly is slow at the
/// TCP level too (instead of the kernel soaking up many frames for it).
pub fn connect_small_buffer(addr: SocketAddr) -> TcpStream {
    use rustix::net::{sockopt, AddressFamily, SocketType};
    let socket = rustix::net::socket(AddressFamily::INET, SocketType::STREAM, None).expect("socket");
    sockopt::set_socket_recv_buffer_size(&socket, 8 * 1024).expect("SO_RCVBUF");
    rustix::net::connect(&socket, &addr).expect("connect");
    let stream = TcpStream::from(socket);
    stream.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    stream
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Reads a status line and headers.
pub fn read_head(reader: &mut impl BufRead) -> (u16, HashMap<String, String>) {
    let mut line = String::new();
    reader.read_line(&mut line).expect("status line");
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {line:?}"));
    (status, read_headers(reader))
}

pub fn read_headers(reader: &mut impl BufRead) -> HashMap<String, String> {
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("header line");
        let line = line.trim_end();
        if line.is_empty() {
            return headers;
        }
        let (name, value) = line.split_once(':').unwrap_or_else(|| panic!("bad header {line:?}"));
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
    }
}

/// Reads one response with a Content-Length body (or none for HEAD).
pub fn read_response(reader: &mut impl BufRead, head_request: bool) -> Response {
    let (status, headers) = read_head(reader);
    let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0; if head_request { 0 } else { len }];
    reader.read_exact(&mut body).expect("body");
    Response { status, headers, body }
}

/// Sends raw bytes and reads one response.
pub fn raw(addr: SocketAddr, request: &[u8]) -> Response {
    let mut stream = connect(addr);
    stream.write_all(request).expect("send");
    read_response(&mut BufReader::new(stream), request.starts_with(b"HEAD"))
}

pub fn get(addr: SocketAddr, path: &str) -> Response {
    raw(addr, format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").as_bytes())
}

pub fn status_json(addr: SocketAddr) -> serde_json::Value {
    let response = get(addr, "/status");
    assert_eq!(response.status, 200);
    serde_json::from_slice(&response.body).expect("status is JSON")
}

/// One part of a multipart stream.
#[derive(Debug)]
pub struct Part {
    pub seq: u64,
    pub timestamp: f64,
    pub jpeg: Vec<u8>,
}

/// An open MJPEG stream.
pub struct Stream {
    pub reader: BufReader<TcpStream>,
    pub boundary: String,
}

impl Stream {
    pub fn open(addr: SocketAddr, path: &str) -> Stream {
        Stream::open_on(connect(addr), path)
    }

    pub fn open_on(stream: TcpStream, path: &str) -> Stream {
        Stream::open_with(stream, path, "")
    }

    /// Opens a stream with extra header lines (each ending in CRLF).
    pub fn open_with(mut stream: TcpStream, path: &str, headers: &str) -> Stream {
        write!(stream, "GET {path} HTTP/1.1\r\nHost: test\r\n{headers}\r\n").expect("send");
        let mut reader = BufReader::new(stream);
        let (status, headers) = read_head(&mut reader);
        assert_eq!(status, 200, "stream status");
        let kind = headers.get("content-type").expect("content type");
        assert!(kind.starts_with("multipart/x-mixed-replace"), "{kind}");
        let boundary = kind.split("boundary=").nth(1).expect("boundary").trim_matches('"').to_string();
        Stream { reader, boundary }
    }

    /// Reads the next part and checks its framing: boundary, headers, Content-Length bytes
    /// that form a whole JPEG, then CRLF.
    pub fn next_part(&mut self) -> Part {
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("boundary line");
        assert_eq!(line.trim_end(), format!("--{}", self.boundary), "part must start with the boundary");
        let headers = read_headers(&mut self.reader);
        assert_eq!(headers.get("content-type").map(String::as_str), Some("image/jpeg"));
        let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).expect("Content-Length");
        let timestamp: f64 = headers.get("x-timestamp").and_then(|v| v.parse().ok()).expect("X-Timestamp");
        let seq: u64 = headers.get("x-sequence").and_then(|v| v.parse().ok()).expect("X-Sequence");
        let mut jpeg = vec![0; len];
        self.reader.read_exact(&mut jpeg).expect("frame bytes");
        let mut crlf = [0u8; 2];
        self.reader.read_exact(&mut crlf).expect("part end");
        assert_eq!(&crlf, b"\r\n");
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "frame must start with SOI");
        assert_eq!(&jpeg[len - 2..], &[0xFF, 0xD9], "frame must end with EOI");
        Part { seq, timestamp, jpeg }
    }

    /// Reads `count` parts, checking that sequence numbers strictly increase.
    pub fn take(&mut self, count: usize) -> Vec<Part> {
        let mut parts: Vec<Part> = Vec::with_capacity(count);
        for _ in 0..count {
            let part = self.next_part();
            if let Some(last) = parts.last() {
                assert!(part.seq > last.seq, "sequence must increase: {} after {}", part.seq, last.seq);
            }
            parts.push(part);
        }
        parts
    }
}

/// Polls `check` until it holds or the timeout passes.
pub fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + TIMEOUT;
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for: {what}");
}
