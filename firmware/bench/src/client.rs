//! One stream client: connect, GET /stream.mjpg, then parse parts until told to stop.
//!
//! Clients are async tasks on a small executor (one or two threads for hundreds of them), so
//! that the bench costs little CPU next to the server it measures. A client only copies
//! bytes out of the socket into one reusable buffer; the parser counts bodies off in place.

use crate::http::{self, HeadError};
use crate::multipart::{MultipartParser, ParseError};
use smol::channel::Receiver;
use smol::future::FutureExt;
use smol::io::{AsyncReadExt, AsyncWriteExt};
use smol::lock::Semaphore;
use smol::net::TcpStream;
use smol::Timer;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Socket read size. Large reads keep the syscall count per frame low (a VGA frame is ~60 KB).
const READ_BUF: usize = 64 * 1024;

/// Which part of a run we are in; parts are only counted during `MEASURE`.
pub mod phase {
    pub const WARMUP: u8 = 0;
    pub const MEASURE: u8 = 1;
    pub const DONE: u8 = 2;
}

/// State shared by the clients of one run and the task that times it.
#[derive(Debug)]
pub struct Shared {
    pub phase: AtomicU8,
    /// Clients that have finished connecting, successfully or not.
    pub settled: AtomicUsize,
}

impl Shared {
    pub fn new() -> Self {
        Shared { phase: AtomicU8::new(phase::WARMUP), settled: AtomicUsize::new(0) }
    }
}

#[derive(Debug)]
pub enum ClientError {
    /// Could not connect or got no valid response head in time.
    Connect(String),
    /// The stream broke after it had started.
    Stream(String),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Connect(msg) => write!(f, "connect: {msg}"),
            ClientError::Stream(msg) => write!(f, "stream: {msg}"),
        }
    }
}

/// What one client saw during the measuring window.
#[derive(Debug, Default)]
pub struct ClientResult {
    pub frames: u64,
    pub bytes: u64,
    /// now - X-Timestamp for each part, taken when its last byte arrived.
    pub latencies_us: Vec<i64>,
    /// Parts that carried no X-Timestamp (counted as frames, no latency).
    pub untimed: u64,
    pub error: Option<ClientError>,
}

/// Settings common to all clients of a run.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub addr: SocketAddr,
    pub path: String,
    pub connect_timeout: Duration,
}

/// Runs one client until `stop` is closed (or its stream fails) and returns what it saw.
/// `gate` bounds how many clients connect at once, so that 500 simultaneous SYNs do not
/// overflow a small listen backlog (the seed server's is 5) and turn into retransmit delays.
pub async fn run(
    config: &ClientConfig,
    shared: &Shared,
    gate: &Semaphore,
    stop: Receiver<()>,
) -> ClientResult {
    let mut result = ClientResult::default();
    let work = async {
        let connected = {
            let _permit = gate.acquire().await;
            connect(config).or(timeout(config.connect_timeout)).await
        };
        shared.settled.fetch_add(1, Ordering::SeqCst);
        let (stream, parser, leftover) = connected.map_err(ClientError::Connect)?;
        receive(stream, parser, leftover, shared, &mut result).await.map_err(ClientError::Stream)
    };
    // `stop` closing ends the client wherever it is; its counters are kept.
    let outcome = work.or(async {
        let _ = stop.recv().await;
        Ok(())
    });
    if let Err(err) = outcome.await {
        result.error = Some(err);
    }
    result
}

async fn timeout<T>(after: Duration) -> Result<T, String> {
    Timer::after(after).await;
    Err(format!("timed out after {after:?}"))
}

/// Connects, sends the GET and reads the response head. Returns the stream, a parser for the
/// boundary named in the head, and the body bytes that arrived with the head.
async fn connect(config: &ClientConfig) -> Result<(TcpStream, MultipartParser, Vec<u8>), String> {
    let mut stream = TcpStream::connect(config.addr).await.map_err(|e| e.to_string())?;
    // Small writes matter only for the request; responses are what we measure.
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let request = http::stream_request(&config.addr.to_string(), &config.path);
    stream.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed before the response head".into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(len) = http::head_len(&buf) {
            let head = http::parse_head(&buf[..len]).map_err(|e: HeadError| e.to_string())?;
            return Ok((stream, MultipartParser::new(&head.boundary), buf.split_off(len)));
        }
        if buf.len() > http::MAX_HEAD {
            return Err(HeadError::TooLong.to_string());
        }
    }
}

async fn receive(
    mut stream: TcpStream,
    mut parser: MultipartParser,
    leftover: Vec<u8>,
    shared: &Shared,
    result: &mut ClientResult,
) -> Result<(), String> {
    consume(&mut parser, &leftover, shared, result).map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; READ_BUF];
    loop {
        let n = stream.read(&mut buf).await.map_err(|e: io::Error| e.to_string())?;
        if n == 0 {
            return Err("server closed the connection".into());
        }
        consume(&mut parser, &buf[..n], shared, result).map_err(|e| e.to_string())?;
        if parser.is_closed() {
            return Err("server ended the multipart stream".into());
        }
        if shared.phase.load(Ordering::Relaxed) == phase::DONE {
            return Ok(());
        }
    }
}

/// Parses received bytes; parts completed during the window are counted and timed.
fn consume(
    parser: &mut MultipartParser,
    data: &[u8],
    shared: &Shared,
    result: &mut ClientResult,
) -> Result<(), ParseError> {
    let measuring = shared.phase.load(Ordering::Relaxed) == phase::MEASURE;
    if measuring {
        result.bytes += data.len() as u64;
    }
    parser.feed(data, |part| {
        if !measuring {
            return;
        }
        result.frames += 1;
        match part.timestamp_us {
            Some(stamp) => result.latencies_us.push(now_us() - stamp),
            None => result.untimed += 1,
        }
    })
}

fn now_us() -> i64 {
    // A clock before 1970 would be a broken machine; latency then reads as huge, not a crash.
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64)
}

/// Resolves when every one of `clients` has settled (connected or failed).
pub async fn all_settled(shared: &Shared, clients: usize) {
    while shared.settled.load(Ordering::SeqCst) < clients {
        Timer::after(Duration::from_millis(20)).await;
    }
}
