//! Starting, watching and stopping one server process.
//!
//! A server must never outlive the bench: it is stopped on drop (which covers `?` error
//! paths), and the kernel kills it if the bench itself dies without unwinding (release builds
//! abort on panic; Ctrl-C or SIGKILL skip destructors) through PR_SET_PDEATHSIG.

use crate::error::{Error, IoContext, Result};
use crate::procfs;
use rustix::process::{kill_process, set_parent_process_death_signal, Pid, Signal};
use std::ffi::OsString;
use std::fs::{self, File};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// How long a server gets to exit after SIGTERM before it is SIGKILLed.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// The command line of a server, minus the port, which is picked per run.
#[derive(Debug, Clone)]
pub struct ServerCommand {
    /// "seed", "zerocam" or "ustreamer": used in the report and in messages.
    pub name: &'static str,
    /// The URL path of the MJPEG stream (zerocam and the seed: /stream.mjpg).
    pub stream_path: &'static str,
    pub program: OsString,
    /// Arguments; `{port}` in any of them is replaced by the port.
    pub args: Vec<OsString>,
}

impl ServerCommand {
    fn build(&self, port: u16) -> Command {
        let mut cmd = Command::new(&self.program);
        for arg in &self.args {
            match arg.to_str() {
                Some(text) if text.contains("{port}") => cmd.arg(text.replace("{port}", &port.to_string())),
                _ => cmd.arg(arg),
            };
        }
        cmd
    }
}

/// A running server; stopped when dropped.
#[derive(Debug)]
pub struct ServerProc {
    name: &'static str,
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl ServerProc {
    /// Spawns the server on a free loopback port and waits until that port accepts
    /// connections, or fails if the process exits or `timeout` passes first.
    pub fn start(command: &ServerCommand, timeout: Duration) -> Result<Self> {
        let port = free_port()?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let log = std::env::temp_dir().join(format!("zerocam-bench-{}-{port}.log", command.name));
        let log_file = File::create(&log).context(|| format!("creating {}", log.display()))?;
        let log_err = log_file.try_clone().context(|| format!("duplicating {}", log.display()))?;
        let mut cmd = command.build(port);
        cmd.stdin(Stdio::null()).stdout(log_file).stderr(log_err);
        // SAFETY: the closure runs between fork and exec and only makes one prctl syscall,
        // which is async-signal-safe; it allocates nothing and takes no locks.
        unsafe {
            cmd.pre_exec(|| set_parent_process_death_signal(Some(Signal::KILL)).map_err(Into::into));
        }
        let child = cmd.spawn().map_err(|err| Error::ServerStart {
            server: command.name.to_owned(),
            reason: format!("cannot run {:?}: {err}", command.program),
            log: log.clone(),
            log_tail: String::new(),
        })?;
        let mut server = ServerProc { name: command.name, child, addr, log };
        server.wait_ready(timeout)?;
        Ok(server)
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Some(status) if the server has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    pub fn cpu_ms(&self) -> Option<f64> {
        procfs::cpu_ms(self.pid()).ok()
    }

    pub fn memory(&self) -> Option<procfs::Memory> {
        procfs::memory(self.pid()).ok()
    }

    /// Stops the server (SIGTERM, then SIGKILL after a grace period) and removes its log.
    pub fn stop(mut self) {
        self.terminate();
        // The log only matters when something went wrong, and then we keep it.
        let _ = fs::remove_file(&self.log);
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.exited() {
                return Err(self.start_error(format!("exited with {status}")));
            }
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(
                    self.start_error(format!("{} did not accept connections within {timeout:?}", self.addr))
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// The last `lines` lines of the server's log so far ("" if it cannot be read).
    pub fn log_tail(&self, lines: usize) -> String {
        fs::read_to_string(&self.log)
            .map(|text| {
                let all: Vec<&str> = text.lines().collect();
                all[all.len().saturating_sub(lines)..].join("\n")
            })
            .unwrap_or_default()
    }

    fn start_error(&self, reason: String) -> Error {
        let log_tail = self.log_tail(15);
        Error::ServerStart { server: self.name.to_owned(), reason, log: self.log.clone(), log_tail }
    }

    fn terminate(&mut self) {
        if self.exited().is_some() {
            return;
        }
        if let Some(pid) = Pid::from_raw(self.child.id() as i32) {
            let _ = kill_process(pid, Signal::TERM);
        }
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            if self.exited().is_some() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// A loopback port that nothing listens on right now. The kernel picks it; another process
/// could take it before the server binds, in which case the server fails to start and says so.
fn free_port() -> Result<u16> {
    let listener =
        TcpListener::bind(("127.0.0.1", 0)).context(|| "binding a probe socket on 127.0.0.1".into())?;
    let port = listener.local_addr().context(|| "reading the probe socket's port".into())?.port();
    Ok(port)
}
