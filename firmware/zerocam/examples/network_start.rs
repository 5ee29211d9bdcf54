//! The board's network start-up, run on its own for ci/test-net: `net::start` exactly as
//! PID 1 calls it, with the `[network]`, `[usb]` and `[wifi]` tables of a zerocam.toml, and
//! every change of the `network` object of /status printed as one line of JSON. The test runs
//! it inside a network namespace to plug an Ethernet link in after start-up and check that
//! the uplink finds it and gets a lease from a DHCP server nobody here wrote.
//!
//!   network_start CONFIG.toml [HOSTNAME]
//!
//! Runs until killed.

use serde::Deserialize;
use std::process::ExitCode;
use std::time::Duration;
use zerocam::net::{self, NetworkConfig, UsbConfig, WifiConfig};

#[derive(Deserialize, Default)]
#[serde(default)]
struct Tables {
    network: NetworkConfig,
    usb: UsbConfig,
    wifi: WifiConfig,
}

fn main() -> ExitCode {
    zerocam::logging::init(log::LevelFilter::Debug);
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: network_start CONFIG.toml [HOSTNAME]");
        return ExitCode::from(2);
    };
    let hostname = args.next().unwrap_or_else(|| "zerocam".into());
    let tables: Tables = match std::fs::read_to_string(&path)
        .map_err(|err| err.to_string())
        .and_then(|text| toml::from_str(&text).map_err(|err| err.to_string()))
    {
        Ok(tables) => tables,
        Err(err) => {
            eprintln!("network_start: {path}: {err}");
            return ExitCode::from(2);
        }
    };
    net::start(tables.network, tables.usb, tables.wifi, hostname, 80);
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
