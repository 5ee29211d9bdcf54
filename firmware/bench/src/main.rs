//! zerocam-bench: the seed server and zerocam, one after the other, each streaming the same
//! clip to 10, 100, 500 loopback clients; prints fps, CPU per frame, latency and memory.
//! Figures only: the exit status is non-zero only when the bench itself could not run.

mod cli;
mod client;
mod error;
mod http;
mod multipart;
mod peer;
mod procfs;
mod report;
mod rlimit;
mod run;
mod server_proc;
mod stats;

use cli::{Command, Options};
use error::{Error, IoContext, Result};
use server_proc::ServerCommand;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Descriptors beyond the client sockets: stdio, the executor's epoll and pipes, logs.
const SPARE_FDS: u64 = 64;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1).peekable();
    if args.peek().is_some_and(|first| first == "peer") {
        args.next();
        return peer::main(args);
    }
    match cli::parse(args) {
        Ok(Command::Help) => {
            print!("{}", cli::HELP);
            ExitCode::SUCCESS
        }
        Ok(Command::Run(opts)) => match bench(&opts) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("zerocam-bench: {err}");
                ExitCode::FAILURE
            }
        },
        Err(err) => {
            eprintln!("zerocam-bench: {err}");
            ExitCode::from(2)
        }
    }
}

fn bench(opts: &Options) -> Result<()> {
    let servers = server_commands(opts)?;
    let max_clients = opts.clients.iter().copied().max().unwrap_or(0) as u64;
    rlimit::raise_nofile(max_clients + SPARE_FDS)?;

    let run_config = |clients| run::RunConfig {
        clients,
        warmup: opts.warmup,
        window: opts.seconds,
        start_timeout: opts.start_timeout,
        connect_timeout: opts.connect_timeout,
        connect_concurrency: opts.connect_concurrency,
        client_threads: opts.client_threads,
    };
    // Client count outermost, so that the two servers of a pair run back to back, under the
    // most similar machine conditions.
    let mut runs = Vec::new();
    for &clients in &opts.clients {
        for server in &servers {
            eprintln!("zerocam-bench: {} with {clients} clients ...", server.name);
            runs.push(run::run(server, &run_config(clients))?);
        }
    }

    let setup = report::Setup {
        clip: opts.clip.display().to_string(),
        fps: opts.fps,
        window_s: opts.seconds.as_secs_f64(),
        warmup_s: opts.warmup.as_secs_f64(),
        client_threads: opts.client_threads,
    };
    print!("{}", report::text(&setup, &runs, &opts.clients));
    if let Some(path) = &opts.json {
        std::fs::write(path, report::json(&setup, &runs, &opts.clients))
            .context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// The servers to compare, after checking that their files exist.
fn server_commands(opts: &Options) -> Result<Vec<ServerCommand>> {
    require("clip", &opts.clip)?;
    let fps = opts.fps.to_string();
    let mut servers = Vec::new();
    if opts.only.seed() {
        require("seed server script", &opts.seed_server)?;
        let args: [OsString; 7] = [
            opts.seed_server.clone().into(),
            "--clip".into(),
            opts.clip.clone().into(),
            "--fps".into(),
            fps.clone().into(),
            "--port".into(),
            "{port}".into(),
        ];
        servers.push(ServerCommand {
            name: "seed",
            stream_path: "/stream.mjpg",
            program: opts.python.clone(),
            args: args.into(),
        });
    }
    if opts.only.zerocam() {
        let binary = match &opts.zerocam {
            Some(path) => path.clone(),
            None => default_zerocam()?,
        };
        require("zerocam binary", &binary)?;
        let mut source = OsString::from("replay:");
        source.push(&opts.clip);
        // Every benchmark client comes from 127.0.0.1: lift the per-peer cap.
        let args: [OsString; 8] = [
            "--source".into(),
            source,
            "--fps".into(),
            fps.into(),
            "--listen".into(),
            "127.0.0.1:{port}".into(),
            "--max-clients-per-peer".into(),
            "4096".into(),
        ];
        servers.push(ServerCommand {
            name: "zerocam",
            stream_path: "/stream.mjpg",
            program: binary.into(),
            args: args.into(),
        });
    }
    Ok(servers)
}

/// target/<profile>/zerocam: built by the same `cargo build` as this program.
fn default_zerocam() -> Result<PathBuf> {
    let exe = std::env::current_exe().context(|| "finding this program's path".into())?;
    Ok(exe.with_file_name("zerocam"))
}

fn require(what: &'static str, path: &Path) -> Result<()> {
    if path.is_file() {
        Ok(())
    } else {
        Err(Error::Missing { what, path: path.to_owned() })
    }
}
