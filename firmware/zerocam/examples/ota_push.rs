//! What an over-the-air update costs the camera: pushes a signed bundle of a realistic size
//! into a loopback zerocam with file-backed slots while viewers stream, and prints the push
//! time, the device-side CPU it took (per thread) and the viewers' frame rate before and
//! during the upload.
//!
//!     cargo run --release -p zerocam --example ota_push [-- MIB [VIEWERS [MBIT_PER_S]]]
//!
//! Defaults: a 24 MiB slot image, 10 viewers of a 25 fps VGA replay (the test pattern if the
//! shared clip is missing), upload as fast as loopback goes (MBIT_PER_S caps it, e.g. 12 for
//! a Pi Zero's USB link). Device-side CPU is the sum over zerocam's own threads (http,
//! ota-writer, async-io, http-tick, cam-*), read from /proc/self/task: the viewers and the
//! uploader run in this process too but are not counted.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use zerocam::app;
use zerocam::config::{CameraConfig, Config, HttpConfig, SourceSpec};
use zerocam::ota::{FileTarget, SlotName, Updater};
use zerocam::system::{PowerAction, RunMode, SystemControl};
use zerocam_bundle::{build_manifest, generate_keypair, write_bundle, Keyring, SecretKey, SLOT_IMAGE};

struct NoReboot;

impl SystemControl for NoReboot {
    fn request(&self, _action: PowerAction) -> Result<(), String> {
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut numbers = std::env::args().skip(1).filter(|arg| !arg.starts_with('-'));
    let mib: u64 = numbers.next().map_or(Ok(24), |text| text.parse())?;
    let viewers: usize = numbers.next().map_or(Ok(10), |text| text.parse())?;
    let mbit: Option<f64> = numbers.next().map(|text| text.parse()).transpose()?;
    let dir = std::env::temp_dir().join(format!("zerocam-ota-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = run(&dir, mib, viewers, mbit);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run(dir: &Path, mib: u64, viewers: usize, mbit: Option<f64>) -> Result<(), Box<dyn std::error::Error>> {
    let image_len = mib * 1024 * 1024;
    let bundle = make_bundle(dir, image_len)?;
    let keyring = Keyring::parse(&std::fs::read_to_string(dir.join("key.pub"))?)?;
    let slot_len = image_len + 8 * 1024 * 1024;
    let (slot_a, slot_b) = (dir.join("a.img"), dir.join("b.img"));
    for slot in [&slot_a, &slot_b] {
        std::fs::File::create(slot)?.set_len(slot_len)?;
    }
    let target = Arc::new(FileTarget::new("pizero", slot_a, slot_b, SlotName::A, "0.1.0"));
    let clip = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/clips/vga-640x480-125f.mjpeg");
    let source = if clip.exists() { SourceSpec::Replay(clip) } else { SourceSpec::TestPattern };
    let camera = CameraConfig { source, fps: 25, ..CameraConfig::default() };
    let http = HttpConfig {
        listen: Some("127.0.0.1:0".parse()?),
        admin_token: Some("bench".into()),
        ..HttpConfig::default()
    };
    let config = Config { http, cameras: vec![camera], ..Config::default() };
    let updater = Arc::new(Updater::new(target, keyring));
    let server = app::start_with_updates(&config, RunMode::Process, Arc::new(NoReboot), Some(updater))?;
    let addr = server.local_addr();
    let frames: Arc<Vec<AtomicU64>> = Arc::new((0..viewers).map(|_| AtomicU64::new(0)).collect());
    let stop = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = (0..viewers)
        .map(|index| {
            let (frames, stop) = (Arc::clone(&frames), Arc::clone(&stop));
            std::thread::Builder::new().name("viewer".into()).spawn(move || view(addr, &frames[index], &stop))
        })
        .collect::<Result<_, _>>()?;
    std::thread::sleep(Duration::from_secs(2));
    // The streaming alone, over the same threads, to tell the upload's own cost apart.
    let idle = CpuSampler::start();
    let before = fps_over(&frames, Duration::from_secs(2));
    let idle_per_s: f64 =
        idle.stop().iter().filter(|(name, _)| is_device_thread(name)).map(|(_, s)| s).sum::<f64>() / 2.0;
    let cpu = CpuSampler::start();
    let started = Instant::now();
    let counting_from: Vec<u64> = frames.iter().map(|f| f.load(Ordering::Relaxed)).collect();
    let answer = upload(addr, &bundle, mbit)?;
    let seconds = started.elapsed().as_secs_f64();
    let during: Vec<f64> = frames
        .iter()
        .zip(&counting_from)
        .map(|(f, from)| (f.load(Ordering::Relaxed) - from) as f64 / seconds)
        .collect();
    let cpu = cpu.stop();
    stop.store(true, Ordering::Relaxed);
    for handle in handles {
        let _ = handle.join();
    }
    let bundle_len = std::fs::metadata(&bundle)?.len();
    println!("answer: {}", answer.trim());
    println!(
        "pushed {:.1} MiB in {seconds:.2} s: {:.1} MiB/s{}",
        bundle_len as f64 / 1048576.0,
        bundle_len as f64 / 1048576.0 / seconds,
        mbit.map_or_else(String::new, |m| format!(" (capped at {m} Mbit/s)"))
    );
    let device: f64 = cpu.iter().filter(|(name, _)| is_device_thread(name)).map(|(_, s)| s).sum();
    let mut threads: Vec<_> = cpu.iter().filter(|(name, _)| is_device_thread(name)).collect();
    threads.sort_by(|a, b| b.1.total_cmp(a.1));
    let detail: Vec<String> = threads.iter().map(|(name, s)| format!("{name} {s:.2}")).collect();
    println!(
        "device CPU during the push: {device:.2} s ({:.0} % of one core): {}",
        device / seconds * 100.0,
        detail.join(", ")
    );
    let own = (device - idle_per_s * seconds).max(0.0);
    println!(
        "  streaming alone takes {:.1} % of a core, so the upload's own cost is about {own:.2} s ({:.1} ms per MiB)",
        idle_per_s * 100.0,
        own * 1000.0 / (bundle_len as f64 / 1048576.0)
    );
    let summary = |fps: &[f64]| {
        let min = fps.iter().copied().fold(f64::INFINITY, f64::min);
        let mean = fps.iter().sum::<f64>() / fps.len().max(1) as f64;
        format!("mean {mean:.1}, min {min:.1}")
    };
    println!(
        "viewers' fps ({viewers} viewers, 25 fps source): before {}; during the push {}",
        summary(&before),
        summary(&during)
    );
    Ok(())
}

fn make_bundle(dir: &Path, len: u64) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let pair = generate_keypair("")?;
    std::fs::write(dir.join("key.sec"), &pair.secret)?;
    std::fs::write(dir.join("key.pub"), &pair.public)?;
    let key = SecretKey::load(&dir.join("key.sec"), "")?;
    let image = dir.join("slot.img");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&image)?);
    let mut state = 0x1234_5678u32;
    let mut block = vec![0u8; 65536];
    for _ in 0..len / 65536 {
        for byte in block.iter_mut() {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            *byte = state as u8;
        }
        file.write_all(&block)?;
    }
    file.flush()?;
    drop(file);
    let manifest = build_manifest("pizero", "0.2.0", "bench", &[(SLOT_IMAGE, &image)])?;
    let bundle = dir.join("bench.bundle");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&bundle)?);
    write_bundle(&mut out, &manifest, &[image], &key)?;
    out.flush()?;
    Ok(bundle)
}

fn upload(addr: SocketAddr, bundle: &Path, mbit: Option<f64>) -> Result<String, Box<dyn std::error::Error>> {
    let len = std::fs::metadata(bundle)?.len();
    let mut socket = TcpStream::connect(addr)?;
    write!(
        socket,
        "POST /api/update HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer bench\r\nContent-Length: {len}\r\n\r\n"
    )?;
    let mut file = std::fs::File::open(bundle)?;
    let mut buf = vec![0u8; 64 * 1024];
    let started = Instant::now();
    let mut sent = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        socket.write_all(&buf[..n])?;
        sent += n as u64;
        if let Some(mbit) = mbit {
            let due = Duration::from_secs_f64(sent as f64 * 8.0 / (mbit * 1e6));
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
    }
    let mut answer = String::new();
    BufReader::new(socket).read_to_string(&mut answer)?;
    Ok(answer.lines().last().unwrap_or("").to_string())
}

/// Reads a stream, counting parts, until told to stop.
fn view(addr: SocketAddr, frames: &AtomicU64, stop: &AtomicBool) {
    let Ok(mut socket) = TcpStream::connect(addr) else { return };
    let _ = socket.set_read_timeout(Some(Duration::from_secs(5)));
    if socket.write_all(b"GET /stream.mjpg HTTP/1.1\r\nHost: bench\r\n\r\n").is_err() {
        return;
    }
    let mut reader = BufReader::with_capacity(256 * 1024, socket);
    let mut line = String::new();
    let mut length = 0usize;
    while !stop.load(Ordering::Relaxed) {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let lower = line.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        } else if line == "\r\n" && length > 0 {
            let mut skip = vec![0u8; length];
            if reader.read_exact(&mut skip).is_err() {
                return;
            }
            length = 0;
            frames.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn fps_over(frames: &[AtomicU64], window: Duration) -> Vec<f64> {
    let start: Vec<u64> = frames.iter().map(|f| f.load(Ordering::Relaxed)).collect();
    std::thread::sleep(window);
    frames
        .iter()
        .zip(start)
        .map(|(f, s)| (f.load(Ordering::Relaxed) - s) as f64 / window.as_secs_f64())
        .collect()
}

fn is_device_thread(name: &str) -> bool {
    matches!(name, "http" | "ota-writer" | "async-io" | "http-tick") || name.starts_with("cam-")
}

/// Samples every thread's CPU time (from /proc/self/task) so that threads that end during
/// the push (the writer) are counted too. Returns seconds per thread name.
struct CpuSampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<HashMap<String, f64>>,
}

impl CpuSampler {
    fn start() -> CpuSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut start: HashMap<String, (String, u64)> = HashMap::new();
            let mut last: HashMap<String, (String, u64)> = HashMap::new();
            let mut first_round = true;
            while !flag.load(Ordering::Relaxed) {
                for (tid, name, ticks) in threads() {
                    if first_round {
                        start.insert(tid.clone(), (name.clone(), ticks));
                    }
                    last.insert(tid, (name, ticks));
                }
                first_round = false;
                std::thread::sleep(Duration::from_millis(20));
            }
            let hz = 100.0; // USER_HZ on Linux
            let mut per_name: HashMap<String, f64> = HashMap::new();
            for (tid, (name, ticks)) in last {
                let from = start.get(&tid).map_or(0, |(_, t)| *t);
                *per_name.entry(name).or_default() += (ticks - from) as f64 / hz;
            }
            per_name
        });
        CpuSampler { stop, thread }
    }

    fn stop(self) -> HashMap<String, f64> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// (tid, name, utime + stime in ticks) of every thread of this process.
fn threads() -> Vec<(String, String, u64)> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return Vec::new() };
    tasks
        .filter_map(|task| {
            let task = task.ok()?;
            let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
            let name = stat.get(stat.find('(')? + 1..stat.rfind(')')?)?.to_string();
            let fields: Vec<&str> = stat[stat.rfind(')')? + 2..].split(' ').collect();
            let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
            Some((task.file_name().to_string_lossy().into_owned(), name, ticks))
        })
        .collect()
}
