//! The zerocam program: on a PC an ordinary server; on the board, process 1.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use zerocam::config::{self, CameraConfig, Command, Config, SourceSpec};
use zerocam::system::{ExitProcess, LateControl, PowerAction, RunMode, SystemControl};
use zerocam::{app, logging, pid1};

fn main() -> ExitCode {
    if pid1::is_init() {
        run_as_init()
    }
    logging::init(log::LevelFilter::Info);
    let command = match config::parse_args(std::env::args_os().skip(1), None) {
        Ok(command) => command,
        Err(err) => {
            eprintln!("zerocam: {err}");
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Help => {
            print!("{}", config::HELP);
            ExitCode::SUCCESS
        }
        Command::Version => {
            println!("zerocam {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Command::ListCameras => match zerocam::source::v4l2::list_cameras() {
            // Finding no camera is an answer ("no V4L2 cameras found"), not a failure.
            Ok(_) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("zerocam: cannot print the camera list: {err}");
                ExitCode::FAILURE
            }
        },
        Command::HashPassword => hash_password(),
        Command::Serve(config) => {
            log::set_max_level(config.log.level);
            match app::start(&config, RunMode::Process, Arc::new(ExitProcess)) {
                Ok(running) => {
                    running.wait();
                    ExitCode::SUCCESS
                }
                // Like a config parse error, in full: a log line would be cut at 240 bytes.
                Err(err) => {
                    eprintln!("zerocam: {err}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// `zerocam hash-password`: one line from stdin (so the password stays out of the shell's
/// history and the process list), its SHA-512-crypt hash on stdout.
fn hash_password() -> ExitCode {
    let mut line = String::new();
    if let Err(err) = std::io::stdin().read_line(&mut line) {
        eprintln!("zerocam: cannot read the password: {err}");
        return ExitCode::FAILURE;
    }
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        eprintln!("zerocam: give the password on standard input, e.g. `zerocam hash-password` then type it");
        return ExitCode::from(2);
    }
    match zerocam::http::viewer_auth::hash_password(password) {
        Ok(hash) => {
            println!("{hash}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("zerocam: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The board's defaults: those of the program, with the camera found by itself (`auto`:
/// the first camera there, else the test pattern) instead of the plain test pattern.
fn board_defaults() -> Config {
    let camera = CameraConfig { source: SourceSpec::Auto, ..CameraConfig::default() };
    Config { cameras: vec![camera], ..Config::default() }
}

/// Process 1 never returns: a bad config falls back to the board's defaults and a camera
/// that cannot start to the built-in test pattern (the reason is in the log at /log and in
/// /status), so the board always answers.
fn run_as_init() -> ! {
    let boot = pid1::early_boot();
    let config_path = boot.boot_mounted.then(|| PathBuf::from(pid1::CONFIG_PATH));
    let mut config = match config::parse_args(std::env::args_os().skip(1), config_path) {
        Ok(Command::Serve(config)) => *config,
        Ok(_) => board_defaults(),
        Err(err) => {
            log::error!("{err}; starting with the default settings");
            if err.table.as_deref() == Some("wifi") {
                zerocam::net::wifi::config_rejected(&err.to_string());
            }
            board_defaults()
        }
    };
    if config.cameras.is_empty() {
        config.cameras = board_defaults().cameras;
    }
    log::set_max_level(config.log.level);
    pid1::start_network(&config);
    let control = Arc::new(LateControl::default());
    let board = zerocam::ota::board::open_board();
    let updates = board.as_ref().map(|(_, updater)| updater.clone());
    // The configured cameras; else the default camera on the configured HTTP settings; else
    // everything default (for example when the configured address cannot be bound).
    let attempts = [
        config.clone(),
        Config { http: config.http.clone(), origin: config.origin.clone(), ..board_defaults() },
        board_defaults(),
    ];
    let running = loop {
        let started = attempts.iter().find_map(|attempt| {
            app::start_with_updates(attempt, RunMode::Pid1, control.clone(), updates.clone())
                .inspect_err(|err| log::error!("{err}; trying simpler settings"))
                .ok()
        });
        if let Some(running) = started {
            break running;
        }
        std::thread::sleep(std::time::Duration::from_secs(2));
    };
    let trial_timeout = std::time::Duration::from_secs(config.update.trial_timeout_secs as u64);
    let trial = board.as_ref().is_some_and(|(target, _)| target.is_pending_trial().unwrap_or(false));
    // The watchdog is fed through the trial window; the trial monitor decides before it ends.
    let trial_window = trial.then(|| trial_timeout + std::time::Duration::from_secs(15));
    control.set(pid1::start_services(&config.system, running.health(), trial_window));
    if let Some((target, _)) = board {
        zerocam::ota::trial::start(
            target,
            running.health(),
            running.local_addr().port(),
            trial_timeout,
            control.clone(),
        );
    }
    running.wait();
    // The HTTP thread never ends on its own; if it does, the board must not hang silently.
    log::error!("the HTTP server stopped; rebooting");
    let _ = pid1::Pid1Control.request(PowerAction::Reboot);
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}
