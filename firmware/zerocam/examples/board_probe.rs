//! Host-side checker for ci/test-qemu: talks plain HTTP/1.1 to a zerocam (the emulated
//! board behind QEMU's port forward) and checks what the issue asks for, with no tool but
//! std. Exit status 0 only if every check passed.
//!
//!   board_probe wait ADDR SECS      until /snapshot.jpg is a JPEG; prints its X-Timestamp
//!   board_probe check ADDR FRAMES   /, /snapshot.jpg, /status (pid1 mode), FRAMES frames
//!                                   of /stream.mjpg as valid JPEGs
//!   board_probe camera ADDR NAME FRAMES [DRIVER]  camera NAME (a real V4L2 device, e.g.
//!                                   vivid, named or found by source auto) runs on that
//!                                   device (whose kernel driver is DRIVER, if given)
//!                                   without a fault and FRAMES frames of its own stream
//!                                   are whole JPEGs of its resolution that change
//!   board_probe fault ADDR NAME PATTERN SECS  within SECS, camera NAME's fault contains
//!                                   PATTERN; with "none", the fault clears and frames flow
//!   board_probe clock ADDR SECS     within SECS, a frame's X-Timestamp is within a few
//!                                   seconds of the host's clock (the board set its clock
//!                                   by NTP)
//!   board_probe poweroff ADDR TOKEN POST /api/poweroff with the bearer token
//!
//! With `--hostname NAME` first, every command first checks that the server on ADDR is the
//! board the test booted: its /status must report hostname NAME (ci/test-qemu writes a
//! random one into the card's zerocam.toml). Whatever else answers on the port fails the
//! check at once, instead of passing or timing out against it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::{Duration, Instant};

type Result<T> = std::result::Result<T, String>;

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    reader: BufReader<TcpStream>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    fn body(mut self) -> Result<Vec<u8>> {
        let mut body = Vec::new();
        match self.header("content-length").map(str::parse::<usize>) {
            Some(Ok(len)) => {
                body.resize(len, 0);
                self.reader.read_exact(&mut body).map_err(|err| format!("body: {err}"))?;
            }
            _ => {
                self.reader.read_to_end(&mut body).map_err(|err| format!("body: {err}"))?;
            }
        }
        Ok(body)
    }
}

fn request(addr: &str, method: &str, path: &str, extra_headers: &str) -> Result<Response> {
    request_within(addr, method, path, extra_headers, Duration::from_secs(30))
}

fn request_within(
    addr: &str,
    method: &str,
    path: &str,
    extra_headers: &str,
    limit: Duration,
) -> Result<Response> {
    let stream = TcpStream::connect(addr).map_err(|err| format!("connect {addr}: {err}"))?;
    stream.set_read_timeout(Some(limit)).map_err(|err| err.to_string())?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 0\r\n{extra_headers}\r\n"
    );
    (&stream).write_all(head.as_bytes()).map_err(|err| format!("send {path}: {err}"))?;
    let mut reader = BufReader::new(stream);
    let status_line = read_line(&mut reader)?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("{path}: bad status line {status_line:?}"))?;
    let headers = read_headers(&mut reader)?;
    Ok(Response { status, headers, reader })
}

fn read_line(reader: &mut impl BufRead) -> Result<String> {
    let mut line = String::new();
    let n = reader.read_line(&mut line).map_err(|err| format!("read: {err}"))?;
    if n == 0 {
        return Err("connection closed".into());
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn read_headers(reader: &mut impl BufRead) -> Result<Vec<(String, String)>> {
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader)?;
        if line.is_empty() {
            return Ok(headers);
        }
        if let Some((key, value)) = line.split_once(':') {
            headers.push((key.trim().to_owned(), value.trim().to_owned()));
        }
    }
}

fn check_jpeg(what: &str, data: &[u8]) -> Result<()> {
    if data.len() < 4 || data[..2] != [0xFF, 0xD8] || data[data.len() - 2..] != [0xFF, 0xD9] {
        return Err(format!("{what}: not a JPEG (SOI/EOI missing, {} bytes)", data.len()));
    }
    Ok(())
}

fn get_ok(addr: &str, path: &str) -> Result<Response> {
    let response = request(addr, "GET", path, "")?;
    if response.status != 200 {
        return Err(format!("GET {path}: status {}", response.status));
    }
    Ok(response)
}

/// Checks that the server on `addr` is the board this test booted: /status reports the
/// hostname the test gave it. Any HTTP answer that is not that is another server.
fn verify_board(addr: &str, expected: &str) -> Result<()> {
    let not_the_board = |why: String| format!("http://{addr}/ is not the board this test booted ({why})");
    let response = request_within(addr, "GET", "/status", "", Duration::from_secs(10))?;
    if response.status != 200 {
        return Err(not_the_board(format!("GET /status: status {}", response.status)));
    }
    let body = response.body()?;
    let status: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|err| not_the_board(format!("/status is not zerocam's JSON: {err}")))?;
    match status["hostname"].as_str() {
        Some(hostname) if hostname == expected => Ok(()),
        other => Err(not_the_board(format!("/status hostname {other:?}, expected {expected:?}"))),
    }
}

/// What one poll for the first frame found.
enum Poll {
    Frame(String),
    /// No HTTP answer yet (the board is still booting): poll again.
    NoAnswer(String),
    /// An HTTP answer that is not a frame (zerocam says 503 before its first frame).
    NotAFrame(String),
}

/// Polls /snapshot.jpg until it is a JPEG; prints its X-Timestamp: the first frame served.
/// With `board` (the expected hostname), the first HTTP answer of any kind is checked to
/// come from that board, and anything else fails at once.
fn wait(addr: &str, secs: u64, board: Option<&str>) -> Result<()> {
    let started = Instant::now();
    let poll = || -> Poll {
        // QEMU's port forward accepts at once and retries its SYN to the guest only after
        // a second: a short limit and a fresh connection time the boot more closely.
        let response = match request_within(addr, "GET", "/snapshot.jpg", "", Duration::from_millis(400)) {
            Ok(response) => response,
            Err(err) => return Poll::NoAnswer(err),
        };
        if response.status != 200 {
            return Poll::NotAFrame(format!("GET /snapshot.jpg: status {}", response.status));
        }
        let timestamp = response.header("x-timestamp").unwrap_or("").to_owned();
        match response.body().and_then(|body| check_jpeg("/snapshot.jpg", &body)) {
            Ok(()) => Poll::Frame(timestamp),
            Err(err) => Poll::NotAFrame(err),
        }
    };
    let mut verified = board.is_none();
    loop {
        let last = match poll() {
            Poll::Frame(timestamp) => {
                if !verified {
                    verify_board(addr, board.unwrap_or_default())?;
                }
                println!("first_frame_timestamp={timestamp}");
                return Ok(());
            }
            Poll::NotAFrame(err) => {
                if !verified {
                    verify_board(addr, board.unwrap_or_default())?;
                    verified = true;
                }
                err
            }
            Poll::NoAnswer(err) => err,
        };
        if started.elapsed() >= Duration::from_secs(secs) {
            return Err(format!("no frame from http://{addr}/snapshot.jpg within {secs} s (last: {last})"));
        }
        // Often enough to time the boot to a tenth of a second, rarely enough to leave
        // the emulated CPU to the board.
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn check(addr: &str, frames: usize) -> Result<()> {
    let index = get_ok(addr, "/")?.body()?;
    println!("ok: / answered ({} bytes)", index.len());

    let snapshot = get_ok(addr, "/snapshot.jpg")?.body()?;
    check_jpeg("/snapshot.jpg", &snapshot)?;
    println!("ok: /snapshot.jpg is a JPEG ({} bytes)", snapshot.len());

    let status = String::from_utf8_lossy(&get_ok(addr, "/status")?.body()?).into_owned();
    let compact: String = status.chars().filter(|c| !c.is_whitespace()).collect();
    if !compact.contains("\"mode\":\"pid1\"") {
        return Err(format!("/status does not say pid1 mode: {status}"));
    }
    println!("ok: /status reports \"mode\":\"pid1\"");

    check_stream(addr, "/stream.mjpg", frames)?;
    Ok(())
}

/// How long a late-loaded camera module and the source's retry backoff may take.
const CAMERA_WAIT: Duration = Duration::from_secs(90);

fn camera_status(addr: &str, name: &str) -> Result<serde_json::Value> {
    let body = get_ok(addr, "/status")?.body()?;
    let status: serde_json::Value = serde_json::from_slice(&body).map_err(|err| format!("/status: {err}"))?;
    status["cameras"]
        .as_array()
        .and_then(|cameras| cameras.iter().find(|camera| camera["name"] == name))
        .cloned()
        .ok_or_else(|| format!("/status has no camera {name:?}"))
}

/// A real camera (vivid or a webcam through V4L2, vimc through libcamera, in emulation) goes
/// through capture and encoding end to end.
fn check_camera(addr: &str, name: &str, frames: usize, driver: Option<&str>) -> Result<()> {
    let started = Instant::now();
    // (frames published, resolution) at the first poll that saw the V4L2 device in use.
    let mut switched: Option<(u64, String)> = None;
    let camera = loop {
        let camera = camera_status(addr, name)?;
        // For source auto: once it has picked a V4L2 device (not the test pattern it shows
        // while it looks), and that device has published frames of its own: the pool's count
        // and the resolution on /status still describe the test pattern for a moment after
        // the switch.
        let on_device = camera["source_in_use"]
            .as_str()
            .is_some_and(|source| source.starts_with("v4l2:") || source.starts_with("libcamera"));
        let published = camera["frames_published"].as_u64().unwrap_or(0);
        let resolution = camera["resolution"].as_str().unwrap_or("").to_owned();
        if on_device && camera["fault"].is_null() {
            match &switched {
                Some((first, seen)) if published >= first + 2 && *seen == resolution => break camera,
                Some((first, _)) => switched = Some((*first, resolution)),
                None => switched = Some((published, resolution)),
            }
        }
        if started.elapsed() > CAMERA_WAIT {
            return Err(format!("camera {name} did not start delivering: {camera}"));
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    println!(
        "ok: camera {name} delivers after {:.1} s: {} (in use: {}) {}, driver {}, {}",
        started.elapsed().as_secs_f64(),
        camera["source"],
        camera["source_in_use"],
        camera["resolution"],
        camera["device"]["driver"],
        camera["device"]["streaming"]
    );
    if let Some(driver) = driver {
        // A V4L2 device names its driver; a libcamera camera's id names its pipeline's device.
        let id = camera["device"]["id"].as_str().unwrap_or("");
        if camera["device"]["driver"] != driver && !id.contains(driver) {
            return Err(format!(
                "camera {name} runs on driver {} (id {id:?}), not {driver}",
                camera["device"]["driver"]
            ));
        }
    }
    let before = camera["frames_published"].as_u64().unwrap_or(0);
    let jpegs = check_stream(addr, &format!("/cam/{name}/stream.mjpg"), frames)?;
    let resolution = camera["resolution"].as_str().unwrap_or("");
    for (index, jpeg) in jpegs.iter().enumerate() {
        let mut decoder = jpeg_decoder::Decoder::new(&jpeg[..]);
        decoder.decode().map_err(|err| format!("camera {name} frame {index} does not decode: {err}"))?;
        let info = decoder.info().ok_or_else(|| format!("camera {name} frame {index}: no JPEG info"))?;
        let size = format!("{}x{}", info.width, info.height);
        if size != resolution {
            return Err(format!("camera {name} frame {index} is {size}, /status says {resolution}"));
        }
    }
    if jpegs.windows(2).all(|pair| pair[0] == pair[1]) {
        return Err(format!("camera {name}: all {frames} frames are identical"));
    }
    println!("ok: camera {name}: {frames} frames decode at {resolution} and change");
    let after = camera_status(addr, name)?;
    let published = after["frames_published"].as_u64().unwrap_or(0);
    if published <= before {
        return Err(format!("camera {name}: frames_published did not grow ({before} -> {published})"));
    }
    for cause in ["corrupt", "too_large"] {
        if after["dropped"][cause].as_u64() != Some(0) {
            return Err(format!("camera {name}: dropped {cause} frames: {after}"));
        }
    }
    println!("ok: camera {name}: frames_published {before} -> {published}, no corrupt or oversized frames");
    Ok(())
}

/// Reads `frames` parts of the multipart stream at `path`, each a JPEG with its own
/// headers, and returns them.
fn check_stream(addr: &str, path: &str, frames: usize) -> Result<Vec<Vec<u8>>> {
    let mut response = get_ok(addr, path)?;
    let content_type = response.header("content-type").unwrap_or("").to_owned();
    let boundary = content_type
        .split(';')
        .find_map(|param| param.trim().strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_owned())
        .ok_or_else(|| format!("/stream.mjpg: no boundary in {content_type:?}"))?;
    let started = Instant::now();
    let mut bytes = 0usize;
    let mut jpegs = Vec::with_capacity(frames);
    for frame in 0..frames {
        let at = |err: String| {
            format!("{path}: frame {frame} of {frames}, {:.1} s in: {err}", started.elapsed().as_secs_f64())
        };
        // Skip blank lines up to the boundary line.
        let delimiter = loop {
            let line = read_line(&mut response.reader).map_err(at)?;
            if !line.is_empty() {
                break line;
            }
        };
        if delimiter.trim_start_matches("--") != boundary {
            return Err(format!("frame {frame}: expected boundary {boundary:?}, got {delimiter:?}"));
        }
        let headers = read_headers(&mut response.reader).map_err(at)?;
        let header =
            |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
        if header("content-type").as_deref() != Some("image/jpeg") {
            return Err(format!("frame {frame}: part Content-Type is {:?}", header("content-type")));
        }
        let len: usize = header("content-length")
            .and_then(|value| value.parse().ok())
            .ok_or_else(|| format!("frame {frame}: no Content-Length"))?;
        header("x-timestamp").ok_or_else(|| format!("frame {frame}: no X-Timestamp"))?;
        let mut jpeg = vec![0u8; len];
        response.reader.read_exact(&mut jpeg).map_err(|err| at(err.to_string()))?;
        check_jpeg(&format!("frame {frame}"), &jpeg)?;
        bytes += len;
        jpegs.push(jpeg);
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "ok: {frames} frames on {path} are JPEGs ({bytes} bytes, {secs:.1} s, {:.1} fps)",
        frames as f64 / secs.max(0.001)
    );
    Ok(jpegs)
}

/// How far the board's frame times may be from the host's: capture-to-request latency on
/// the emulated CPU plus the NTP exchange through QEMU's user networking.
const CLOCK_TOLERANCE_SECS: f64 = 5.0;

/// Polls /snapshot.jpg until its X-Timestamp is close to the host's time: the board has no
/// RTC, so that only happens once its NTP client has set the clock.
fn check_clock(addr: &str, secs: u64) -> Result<()> {
    let started = Instant::now();
    loop {
        let response = get_ok(addr, "/snapshot.jpg")?;
        let stamp = response.header("x-timestamp").unwrap_or("").to_owned();
        let board: f64 = stamp.parse().map_err(|_| format!("/snapshot.jpg: bad X-Timestamp {stamp:?}"))?;
        let host = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|err| format!("host clock: {err}"))?
            .as_secs_f64();
        let error = board - host;
        if error.abs() <= CLOCK_TOLERANCE_SECS {
            println!(
                "ok: board clock set after {:.1} s of polling: frame time {stamp} is {error:+.2} s from the host's",
                started.elapsed().as_secs_f64()
            );
            return Ok(());
        }
        if started.elapsed() >= Duration::from_secs(secs) {
            return Err(format!("frame time {stamp} is still {error:+.0} s from the host's after {secs} s"));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Waits up to `secs` for camera `name`'s fault to contain `pattern` (a camera that stopped
/// delivering, or was unplugged), or with pattern "none" for the fault to clear and three
/// more frames to be published (it came back).
fn wait_fault(addr: &str, name: &str, pattern: &str, secs: u64) -> Result<()> {
    let started = Instant::now();
    let first = camera_status(addr, name)?["frames_published"].as_u64().unwrap_or(0);
    loop {
        let camera = camera_status(addr, name)?;
        let fault = camera["fault"].as_str();
        let published = camera["frames_published"].as_u64().unwrap_or(0);
        let reached = match fault {
            Some(fault) => pattern != "none" && fault.contains(pattern),
            None => pattern == "none" && published >= first + 3,
        };
        if reached {
            let seen = fault.map_or_else(
                || format!("no fault, frames_published {first} -> {published}"),
                |f| format!("fault {f:?}"),
            );
            println!("ok: camera {name} after {:.1} s: {seen}", started.elapsed().as_secs_f64());
            return Ok(());
        }
        if started.elapsed() >= Duration::from_secs(secs) {
            return Err(format!(
                "camera {name}: no fault {pattern:?} within {secs} s (now {:?})",
                camera["fault"]
            ));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn poweroff(addr: &str, token: &str) -> Result<()> {
    let response = request(addr, "POST", "/api/poweroff", &format!("Authorization: Bearer {token}\r\n"))?;
    let status = response.status;
    let body = String::from_utf8_lossy(&response.body().unwrap_or_default()).into_owned();
    if !(200..300).contains(&status) {
        return Err(format!("POST /api/poweroff: status {status}: {body}"));
    }
    println!("ok: POST /api/poweroff accepted ({status})");
    Ok(())
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let board = match args.first().map(String::as_str) {
        Some("--hostname") if args.len() >= 2 => {
            let name = args.remove(1);
            args.remove(0);
            Some(name)
        }
        _ => None,
    };
    let board = board.as_deref();
    let command: Vec<&str> = args.iter().map(String::as_str).collect();
    // Every command but wait (which checks the first answer it gets) starts by checking it
    // talks to the board.
    let result = match (board, command.first()) {
        (Some(name), Some(&command)) if command != "wait" => verify_board_at(&args, name),
        _ => Ok(()),
    }
    .and_then(|()| run(&command, board));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("board_probe: FAIL: {err}");
            ExitCode::FAILURE
        }
    }
}

/// `verify_board` on the ADDR argument of a command (its second word).
fn verify_board_at(args: &[String], name: &str) -> Result<()> {
    match args.get(1) {
        Some(addr) => verify_board(addr, name),
        None => Err("no ADDR".into()),
    }
}

fn run(command: &[&str], board: Option<&str>) -> Result<()> {
    match command[..] {
        ["wait", addr, secs] => {
            secs.parse().map_err(|_| "bad SECS".to_owned()).and_then(|secs| wait(addr, secs, board))
        }
        ["check", addr, frames] => {
            frames.parse().map_err(|_| "bad FRAMES".to_owned()).and_then(|frames| check(addr, frames))
        }
        ["camera", addr, name, frames] => frames
            .parse()
            .map_err(|_| "bad FRAMES".to_owned())
            .and_then(|frames| check_camera(addr, name, frames, None)),
        ["camera", addr, name, frames, driver] => frames
            .parse()
            .map_err(|_| "bad FRAMES".to_owned())
            .and_then(|frames| check_camera(addr, name, frames, Some(driver))),
        ["clock", addr, secs] => {
            secs.parse().map_err(|_| "bad SECS".to_owned()).and_then(|secs| check_clock(addr, secs))
        }
        ["fault", addr, name, pattern, secs] => {
            secs.parse().map_err(|_| "bad SECS".to_owned()).and_then(|secs| wait_fault(addr, name, pattern, secs))
        }
        ["poweroff", addr, token] => poweroff(addr, token),
        _ => Err("usage: board_probe [--hostname NAME] wait ADDR SECS | check ADDR FRAMES \
                  | camera ADDR NAME FRAMES [DRIVER] | fault ADDR NAME PATTERN|none SECS | clock ADDR SECS | poweroff ADDR TOKEN"
            .into()),
    }
}
