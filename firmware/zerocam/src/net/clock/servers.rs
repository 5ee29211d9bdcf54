//! Which NTP servers to ask, in order: the ones in `[network] ntp`, then the ones DHCP
//! offers (option 42), then the default gateway, since many routers answer NTP.

use super::sntp;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};

/// Everything the network setup knows that the clock needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    /// `[network] ntp`: addresses or host names, optionally with ":port".
    pub configured: Vec<String>,
    /// DHCP option 42.
    pub dhcp: Vec<Ipv4Addr>,
    pub gateway: Option<Ipv4Addr>,
    /// For host names: DHCP option 6, else `[network] dns`.
    pub dns: Vec<SocketAddrV4>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Address(SocketAddrV4),
    Name { host: String, port: u16 },
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Address(address) if address.port() == sntp::PORT => write!(f, "{}", address.ip()),
            Target::Address(address) => write!(f, "{address}"),
            Target::Name { host, port } if *port == sntp::PORT => write!(f, "{host}"),
            Target::Name { host, port } => write!(f, "{host}:{port}"),
        }
    }
}

/// "10.0.0.1", "pool.ntp.org" or either with ":port"; None if it cannot be a server.
pub fn parse(spec: &str) -> Option<Target> {
    let spec = spec.trim();
    let (host, port) = match spec.rsplit_once(':') {
        Some((host, port)) => (host, port.parse::<u16>().ok().filter(|&port| port != 0)?),
        None => (spec, sntp::PORT),
    };
    if let Ok(address) = host.parse::<Ipv4Addr>() {
        return Some(Target::Address(SocketAddrV4::new(address, port)));
    }
    let valid = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
    // A numeric last label is a mistyped address ("10.0.0.300"), never a real name.
    let numeric_tld = host.rsplit('.').next().is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()));
    if host.is_empty() || !host.chars().all(valid) || numeric_tld {
        return None;
    }
    Some(Target::Name { host: host.to_owned(), port })
}

/// The servers to try, in order, each once. Entries that cannot be servers are logged.
pub fn targets(sources: &Sources) -> Vec<Target> {
    let configured = sources.configured.iter().filter_map(|spec| {
        let target = parse(spec);
        if target.is_none() {
            log::warn!("[network] ntp: {spec:?} is not an address or host name; ignored");
        }
        target
    });
    let offered = sources.dhcp.iter().chain(&sources.gateway);
    let offered = offered.map(|&address| Target::Address(SocketAddrV4::new(address, sntp::PORT)));
    let mut targets: Vec<Target> = Vec::new();
    for target in configured.chain(offered) {
        if !targets.contains(&target) {
            targets.push(target);
        }
    }
    targets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_addresses_names_and_ports() {
        let address =
            |a, b, c, d, port| Some(Target::Address(SocketAddrV4::new(Ipv4Addr::new(a, b, c, d), port)));
        assert_eq!(parse("10.0.0.1"), address(10, 0, 0, 1, 123));
        assert_eq!(parse(" 10.0.0.1:1123 "), address(10, 0, 0, 1, 1123));
        assert_eq!(parse("pool.ntp.org"), Some(Target::Name { host: "pool.ntp.org".into(), port: 123 }));
        for bad in ["", ":123", "10.0.0.1:0", "10.0.0.1:x", "a b", "10.0.0.300", "pool.ntp.org:99999"] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn order_is_config_then_dhcp_then_gateway_without_duplicates() {
        let sources = Sources {
            configured: vec!["10.0.2.2".into(), "pool.ntp.org".into(), "not valid".into()],
            dhcp: vec![Ipv4Addr::new(10, 0, 2, 4), Ipv4Addr::new(10, 0, 2, 2)],
            gateway: Some(Ipv4Addr::new(10, 0, 2, 1)),
            dns: Vec::new(),
        };
        let shown: Vec<String> = targets(&sources).iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["10.0.2.2", "pool.ntp.org", "10.0.2.4", "10.0.2.1"]);
        assert!(targets(&Sources::default()).is_empty());
    }
}
