//! The peer benchmark (`zerocam-bench peer`, run by ci/bench-peer): zerocam against
//! Debian's µStreamer on the emulated Pi Zero, the servers in turn on the same V4L2
//! sources, the clients in the same guest on loopback.
//!
//! * boot.rs: the bench as the board's init (mounts, console, modules, loopback).
//! * feeder.rs: the MJPEG passthrough source (the clip written into v4l2loopback).
//! * report.rs: the table and the zerocam/µStreamer ratios.
//!
//! Each row is measured by the same code as the seed bench (run.rs: a fresh server, all
//! clients connected, warm-up, a timed window; CPU from /proc/PID/stat, peak RSS VmHWM).

mod boot;
pub mod cli;
mod feeder;
mod report;

use crate::error::{Error, Result};
use crate::rlimit;
use crate::run::{self, RunConfig};
use crate::server_proc::ServerCommand;
use cli::{PeerCommand, PeerOptions, Server, Source};
use feeder::Feeder;
use std::ffi::OsString;
use std::process::ExitCode;
use std::time::Duration;

/// Frame size of both sources (the VGA clip's, and what vivid is asked for).
const WIDTH: u32 = 640;
const HEIGHT: u32 = 480;

/// One measured row: which source it was.
pub struct PeerRow {
    pub source: Source,
    pub stats: crate::stats::RunStats,
}

/// Entry point for `zerocam-bench peer ...`. As init, the board is set up first and
/// restarted (ending the emulation) at the end, whatever happened.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let init = boot::is_init();
    let code = match cli::parse(args) {
        Ok(PeerCommand::Help) => {
            print!("{}", cli::HELP);
            ExitCode::SUCCESS
        }
        Ok(PeerCommand::Run(opts)) => match run_all(&opts, init) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                println!("{}", report::failure_line(&err));
                ExitCode::FAILURE
            }
        },
        Err(err) => {
            println!("{}", report::failure_line(&err));
            ExitCode::from(2)
        }
    };
    if init {
        boot::finish();
    }
    code
}

fn run_all(opts: &PeerOptions, init: bool) -> Result<()> {
    if init {
        boot::prepare()?;
    }
    for path in [&opts.zerocam, &opts.ustreamer] {
        if !path.is_file() {
            return Err(Error::Missing { what: "server binary", path: path.clone() });
        }
    }
    let max_clients = opts.clients.iter().copied().max().unwrap_or(0) as u64;
    rlimit::raise_nofile(max_clients + 64)?;
    let config = |clients| RunConfig {
        clients,
        warmup: opts.warmup,
        window: opts.seconds,
        start_timeout: opts.start_timeout,
        connect_timeout: Duration::from_secs(20),
        connect_concurrency: 8,
        client_threads: 1,
    };
    println!("{}", report::setup_line(opts));
    let mut rows = Vec::new();
    for &source in &opts.sources {
        // The feeder runs for every row of the passthrough source, servers come and go.
        let _feeder = match source {
            Source::Mjpeg => Some(Feeder::start(&opts.loopback, &opts.clip, WIDTH, HEIGHT, opts.fps as f64)?),
            Source::Raw => None,
        };
        for &clients in &opts.clients {
            for &server in &opts.servers {
                let command = server_command(opts, server, source);
                let stats = run::run(&command, &config(clients))?;
                let row = PeerRow { source, stats };
                // One line per row as it is measured: a run cut short still says something.
                println!("{}", report::progress_line(&row));
                print!("{}", report::log_lines(&row));
                rows.push(row);
            }
        }
    }
    print!("{}", report::text(opts, &rows));
    Ok(())
}

/// Each server with its own defaults, asked for the same size, rate and quality.
fn server_command(opts: &PeerOptions, server: Server, source: Source) -> ServerCommand {
    let device = match source {
        Source::Raw => &opts.camera,
        Source::Mjpeg => &opts.loopback,
    };
    let size = format!("{WIDTH}x{HEIGHT}");
    let words: Vec<OsString> = match server {
        Server::Zerocam => {
            let mut spec = OsString::from("v4l2:");
            spec.push(device);
            vec![
                "--source".into(),
                spec,
                "--size".into(),
                size.into(),
                "--fps".into(),
                opts.fps.to_string().into(),
                "--quality".into(),
                opts.quality.to_string().into(),
                "--listen".into(),
                "127.0.0.1:{port}".into(),
                // Every client comes from 127.0.0.1.
                "--max-clients-per-peer".into(),
                "4096".into(),
                "--log-level".into(),
                "warn".into(),
            ]
        }
        Server::Ustreamer => {
            let (format, encoder) = match source {
                Source::Raw => ("YUYV", "CPU"),
                Source::Mjpeg => ("MJPEG", "HW"),
            };
            vec![
                "--device".into(),
                device.into(),
                "--format".into(),
                format.into(),
                "--encoder".into(),
                encoder.into(),
                "--resolution".into(),
                size.into(),
                "--desired-fps".into(),
                opts.fps.to_string().into(),
                "--quality".into(),
                opts.quality.to_string().into(),
                "--host".into(),
                "127.0.0.1".into(),
                "--port".into(),
                "{port}".into(),
            ]
        }
    };
    let (program, stream_path) = match server {
        Server::Zerocam => (&opts.zerocam, "/stream.mjpg"),
        Server::Ustreamer => (&opts.ustreamer, "/stream"),
    };
    ServerCommand { name: server.label(), stream_path, program: program.into(), args: words }
}
