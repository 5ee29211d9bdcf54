//! zerocam's own `log` backend: one compact line per record, written to stderr on a PC or
//! to the kernel log when running as PID 1, and kept in an in-memory ring served at /log.

mod ring;

pub use ring::LogRing;

use log::{Level, LevelFilter, Log, Metadata, Record};
use std::fs::File;
use std::io::Write;
use std::sync::OnceLock;
use std::time::Instant;

struct Backend {
    started: Instant,
    /// /dev/kmsg once PID 1 has switched to it (stderr until then). One write() per record,
    /// which the kernel keeps whole, so no lock is held across the call: a low-priority
    /// thread (module loading) preempted in the middle of a log line must never make the
    /// HTTP thread wait for it.
    kmsg: OnceLock<File>,
    ring: LogRing,
}

static BACKEND: OnceLock<Backend> = OnceLock::new();

/// Line size cap: longer messages are cut (with a marker) rather than allocating.
const LINE_MAX: usize = 240;

/// Installs the backend (once; later calls only change the level). `RUST_LOG`-style level
/// names are accepted by [`parse_level`].
pub fn init(level: LevelFilter) {
    let backend = BACKEND.get_or_init(|| Backend {
        started: Instant::now(),
        kmsg: OnceLock::new(),
        ring: LogRing::new(),
    });
    // Err only means a logger is already installed (tests start several servers).
    let _ = log::set_logger(backend);
    log::set_max_level(level);
}

/// Sends lines to the kernel log from now on (PID 1). Stays on stderr if /dev/kmsg cannot
/// be opened, and says so.
pub fn use_kmsg() {
    let Some(backend) = BACKEND.get() else { return };
    match std::fs::OpenOptions::new().write(true).open("/dev/kmsg") {
        Ok(file) => {
            let _ = backend.kmsg.set(file);
        }
        Err(err) => log::warn!("cannot open /dev/kmsg, logging to the console: {err}"),
    }
}

/// The recent lines, oldest first, for /log.
pub fn ring() -> Option<&'static LogRing> {
    BACKEND.get().map(|backend| &backend.ring)
}

pub fn parse_level(name: &str) -> Option<LevelFilter> {
    name.parse().ok()
}

impl Log for Backend {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let mut line = [0u8; LINE_MAX];
        let len = format_line(&mut line, self.started.elapsed().as_millis(), record);
        let line = &line[..len];
        self.ring.push(line);
        // A lost log line must never take the camera down: write errors are ignored.
        let mut record_bytes = [0u8; LINE_MAX + 16];
        let mut cursor = &mut record_bytes[..];
        let kmsg = self.kmsg.get();
        if kmsg.is_some() {
            let _ = write!(cursor, "<{}>zerocam: ", syslog_priority(record.level()));
        }
        let _ = cursor.write_all(line);
        if kmsg.is_none() {
            let _ = cursor.write_all(b"\n");
        }
        let end = LINE_MAX + 16 - cursor.len();
        match kmsg {
            Some(mut file) => {
                let _ = file.write_all(&record_bytes[..end]);
            }
            None => {
                let _ = std::io::stderr().write_all(&record_bytes[..end]);
            }
        }
    }

    fn flush(&self) {}
}

/// `12.345 W http: message`, cut to the buffer; returns its length.
fn format_line(buf: &mut [u8; LINE_MAX], millis: u128, record: &Record) -> usize {
    let mut cursor = &mut buf[..];
    let level = match record.level() {
        Level::Error => 'E',
        Level::Warn => 'W',
        Level::Info => 'I',
        Level::Debug => 'D',
        Level::Trace => 'T',
    };
    let module = record.target().rsplit("::").next().unwrap_or("");
    let written =
        write!(cursor, "{}.{:03} {level} {module}: {}", millis / 1000, millis % 1000, record.args());
    let remaining = cursor.len();
    let len = LINE_MAX - remaining;
    if written.is_err() {
        // The message did not fit: mark the cut so nobody mistakes it for the whole line.
        buf[LINE_MAX - 3..].copy_from_slice(b"...");
        return LINE_MAX;
    }
    len
}

fn syslog_priority(level: Level) -> u8 {
    match level {
        Level::Error => 3,
        Level::Warn => 4,
        Level::Info => 6,
        Level::Debug | Level::Trace => 7,
    }
}
