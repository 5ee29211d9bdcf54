//! The board's USB-link network services, run on their own for ci/test-net: the DHCP server
//! (one lease) on one interface and the mDNS/DNS-SD responder on every interface, the same
//! code zerocam runs as PID 1 (net::dhcp_server, net::mdns). The test runs this inside a
//! network namespace, with real clients (udhcpc, dig, avahi) in another one across a veth.
//!
//!   net_services --interface IF --address A.B.C.D/PREFIX --lease A.B.C.E \
//!                --hostname NAME --port PORT
//!
//! The interface must already have the address (the test sets it with `ip`). Prints
//! "ready" once both services run, then logs what they do; runs until killed.

use std::net::Ipv4Addr;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use zerocam::net::{dhcp_server, mdns};

struct Args {
    interface: String,
    address: Ipv4Addr,
    prefix: u8,
    lease: Ipv4Addr,
    hostname: String,
    port: u16,
}

fn parse() -> Result<Args, String> {
    let mut parser = lexopt::Parser::from_env();
    let (mut interface, mut address, mut lease, mut hostname, mut port) = (None, None, None, None, None);
    while let Some(arg) = parser.next().map_err(|err| err.to_string())? {
        let lexopt::Arg::Long(name) = arg else { return Err(format!("unexpected {arg:?}")) };
        let name = name.to_owned();
        let value = parser.value().map_err(|err| err.to_string())?.into_string().map_err(|_| "not UTF-8")?;
        match name.as_str() {
            "interface" => interface = Some(value),
            "address" => address = Some(value),
            "lease" => lease = Some(value.parse().map_err(|err| format!("--lease: {err}"))?),
            "hostname" => hostname = Some(value),
            "port" => port = Some(value.parse().map_err(|err| format!("--port: {err}"))?),
            _ => return Err(format!("unknown option --{name}")),
        }
    }
    let address = address.ok_or("--address is required")?;
    let (address, prefix) = address.split_once('/').ok_or("--address needs /PREFIX")?;
    Ok(Args {
        interface: interface.ok_or("--interface is required")?,
        address: address.parse().map_err(|err| format!("--address: {err}"))?,
        prefix: prefix.parse().map_err(|err| format!("--address prefix: {err}"))?,
        lease: lease.ok_or("--lease is required")?,
        hostname: hostname.unwrap_or_else(|| "zerocam".into()),
        port: port.unwrap_or(80),
    })
}

fn main() -> ExitCode {
    zerocam::logging::init(log::LevelFilter::Debug);
    let args = match parse() {
        Ok(args) => args,
        Err(err) => {
            eprintln!("net_services: {err}");
            return ExitCode::from(2);
        }
    };
    let server = match dhcp_server::Server::bind(&args.interface) {
        Ok(server) => server,
        Err(err) => {
            eprintln!("net_services: {err}");
            return ExitCode::FAILURE;
        }
    };
    mdns::start(mdns::Service::web_page(&args.hostname, args.port));
    println!("ready");
    let mut lease = dhcp_server::Lease::new(args.address, args.lease, args.prefix, 3600);
    loop {
        match server.serve_until(&mut lease, Instant::now() + Duration::from_secs(1)) {
            Ok(true) => {
                let name = lease.holder.as_ref().and_then(|(_, name)| name.clone());
                println!("leased {} to {}", args.lease, name.as_deref().unwrap_or("?"));
            }
            Ok(false) => {}
            Err(err) => eprintln!("net_services: {err}"),
        }
    }
}
