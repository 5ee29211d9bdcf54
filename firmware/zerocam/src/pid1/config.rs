//! The `[system]` table of zerocam.toml (on the board: /boot/zerocam.toml); `[network]` is
//! in `net::config`.
//! The lead's loader deserializes them with these structs; every key has a default so an
//! empty file boots.

use serde::Deserialize;

/// `[system]`: what the board does as PID 1.
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SystemConfig {
    /// Set with sethostname(2) and sent in DHCP requests (routers show it in their lease list).
    pub hostname: String,
    /// Feed /dev/watchdog while the stream pipeline is healthy, so a hang reboots the board.
    pub watchdog: bool,
    /// Hardware timeout; the bcm2835 watchdog cannot count beyond 15 s.
    pub watchdog_timeout_secs: u32,
    /// Kernel modules to load after start-up, by name (e.g. "vivid", "brcmfmac"); they must
    /// be in the initramfs. The ones the board always needs are loaded before this.
    pub modules: Vec<String>,
    /// Helper programs to start and restart when they exit (e.g. a Wi-Fi supplicant kept on
    /// the data partition).
    #[serde(rename = "helper")]
    pub helpers: Vec<HelperConfig>,
}

impl Default for SystemConfig {
    fn default() -> Self {
        SystemConfig {
            hostname: "zerocam".into(),
            watchdog: true,
            watchdog_timeout_secs: 15,
            modules: Vec::new(),
            helpers: Vec::new(),
        }
    }
}

/// `[[system.helper]]`: one supervised program.
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HelperConfig {
    /// Shown in logs.
    pub name: String,
    /// Absolute path of the program (the initramfs has no PATH search worth the name).
    pub path: String,
    #[serde(default)]
    pub args: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::NetworkConfig;
    use std::net::Ipv4Addr;

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct File {
        system: SystemConfig,
        network: NetworkConfig,
    }

    #[test]
    fn empty_file_gives_defaults() {
        let file: File = toml::from_str("").expect("empty file parses");
        assert_eq!(file.system, SystemConfig::default());
        assert_eq!(file.network, NetworkConfig::default());
        assert_eq!(file.system.hostname, "zerocam");
        assert!(file.network.dhcp);
        assert_eq!(file.network.static_address(), None);
    }

    #[test]
    fn full_tables_parse() {
        let text = r#"
            [system]
            hostname = "garden"
            watchdog = false
            modules = ["vivid"]
            [[system.helper]]
            name = "wifi"
            path = "/data/bin/wpa_supplicant"
            args = ["-i", "wlan0"]

            [network]
            interface = "eth0"
            dhcp = true
            address = "10.0.2.15"
            prefix = 24
            gateway = "10.0.2.2"
            dns = ["10.0.2.3"]
            ntp = ["10.0.0.1", "pool.ntp.org"]
        "#;
        let file: File = toml::from_str(text).expect("parses");
        assert_eq!(file.system.hostname, "garden");
        assert!(!file.system.watchdog);
        assert_eq!(file.system.helpers[0].args, ["-i", "wlan0"]);
        assert_eq!(file.network.static_address(), Some((Ipv4Addr::new(10, 0, 2, 15), 24)));
        assert_eq!(file.network.gateway, Some(Ipv4Addr::new(10, 0, 2, 2)));
        assert_eq!(file.network.dns, [Ipv4Addr::new(10, 0, 2, 3)]);
        assert_eq!(file.network.ntp, ["10.0.0.1", "pool.ntp.org"]);
    }

    #[test]
    fn unknown_keys_and_bad_addresses_are_errors() {
        assert!(toml::from_str::<File>("[network]\nadress = \"10.0.0.1\"").is_err());
        assert!(toml::from_str::<File>("[network]\naddress = \"10.0.0.300\"").is_err());
        assert!(toml::from_str::<File>("[system]\nwatchdog = \"yes\"").is_err());
        assert!(toml::from_str::<File>("[network]\nntp = \"pool.ntp.org\"").is_err(), "a list, not a string");
    }

    #[test]
    fn bad_prefix_disables_the_static_address() {
        let network =
            NetworkConfig { address: Some(Ipv4Addr::new(192, 168, 1, 9)), prefix: 33, ..Default::default() };
        assert_eq!(network.static_address(), None);
    }
}
