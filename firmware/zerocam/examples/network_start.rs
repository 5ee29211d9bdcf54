//! The board's network start-up, run on its own for ci/test-net: `net::start` as PID 1 calls
//! it (pid1::start_network, less setting the hostname, which a test must not do to its host),
//! with the settings of a zerocam.toml read by zerocam's own parser, and every change of the
//! `network` object of /status printed as one line of JSON. The test runs it inside a
//! network namespace to plug an Ethernet link in after start-up and check that the uplink
//! finds it and gets a lease from a DHCP server nobody here wrote.
//!
//!   network_start CONFIG.toml
//!
//! Runs until killed.

use std::process::ExitCode;
use std::time::Duration;
use zerocam::net;
use zerocam::system::RunMode;

fn main() -> ExitCode {
    zerocam::logging::init(log::LevelFilter::Debug);
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: network_start CONFIG.toml");
        return ExitCode::from(2);
    };
    let config = match std::fs::read_to_string(&path)
        .map_err(|err| err.to_string())
        .and_then(|text| zerocam::config::parse_file_text(&text).map_err(|err| err.to_string()))
    {
        Ok(config) => config,
        Err(err) => {
            eprintln!("network_start: {path}: {err}");
            return ExitCode::from(2);
        }
    };
    let http_port = config.http.listen_addr(RunMode::Pid1).port();
    net::start(config.network, config.usb, config.wifi, config.system.hostname, http_port);
    let mut shown = String::new();
    loop {
        let now = net::state::json();
        if now != shown {
            println!("status {now}");
            shown = now;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
