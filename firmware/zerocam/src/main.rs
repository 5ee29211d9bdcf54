//! The zerocam program: on a PC an ordinary server; on the board, process 1.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use zerocam::config::{self, Command, Config};
use zerocam::system::{ExitProcess, RunMode, SharedControl};
use zerocam::{app, logging};

/// Where the board keeps its user-editable config (the FAT boot partition).
const BOARD_CONFIG: &str = "/boot/zerocam.toml";

fn main() -> ExitCode {
    logging::init(log::LevelFilter::Info);
    let mode = RunMode::Process;
    let default_config = (mode == RunMode::Pid1).then(|| PathBuf::from(BOARD_CONFIG));
    let command = match config::parse_args(std::env::args_os().skip(1), default_config) {
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
        Command::ListCameras => {
            eprintln!("zerocam: camera listing needs V4L2 support, which this build does not have");
            ExitCode::FAILURE
        }
        Command::Serve(config) => serve(&config, mode, Arc::new(ExitProcess)),
    }
}

fn serve(config: &Config, mode: RunMode, control: SharedControl) -> ExitCode {
    log::set_max_level(config.log.level);
    match app::start(config, mode, control) {
        Ok(running) => {
            running.wait();
            ExitCode::SUCCESS
        }
        Err(err) => {
            log::error!("{err}");
            ExitCode::FAILURE
        }
    }
}
