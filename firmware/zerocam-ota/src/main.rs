//! zerocam-ota: make an update key, sign bundles, push them to a camera and follow the
//! update to its end (the new version, or the rollback and its reason).
//!
//! ```text
//! zerocam-ota keygen [--out PREFIX]
//! zerocam-ota bundle --image FILE --version V [--build-id ID] [--board B] --key FILE [--out FILE]
//! zerocam-ota verify BUNDLE --key PUBFILE [--extract DIR]
//! zerocam-ota push CAMERA BUNDLE [--force] [--no-wait] [--wait-secs N]
//! zerocam-ota status CAMERA [--json]
//! zerocam-ota rollback CAMERA [--no-wait] [--wait-secs N]
//! ```
//!
//! The camera's admin token comes from `--token` or the ZEROCAM_TOKEN environment variable.

mod args;
mod bundle_cmd;
mod camera;
mod failure;
mod keys;
mod push;
mod status_cmd;

use args::Command;
use failure::Failure;
use std::process::ExitCode;

fn main() -> ExitCode {
    let command = match args::parse(std::env::args_os().skip(1)) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("zerocam-ota: {message}\n\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    match run(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("zerocam-ota: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Help => {
            print!("{}", args::USAGE);
            Ok(())
        }
        Command::Keygen { out } => keys::keygen(&out),
        Command::Bundle(options) => bundle_cmd::bundle(&options),
        Command::Verify { bundle, key, extract } => bundle_cmd::verify(&bundle, &key, extract.as_deref()),
        Command::Push { camera, bundle, token, force, wait } => {
            push::push(&camera, &bundle, &token, force, wait)
        }
        Command::Status { camera, json } => status_cmd::status(&camera, json),
        Command::Rollback { camera, token, wait } => push::rollback(&camera, &token, wait),
    }
}
