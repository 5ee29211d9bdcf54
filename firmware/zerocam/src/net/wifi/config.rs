//! The `[wifi]` table of zerocam.toml: the country, the networks to join in order of
//! preference, and how wlan0 gets its address (DHCP, with an optional static fallback,
//! like `[network]` for the uplink). Every value is checked while it is parsed, so a
//! mistake names its line, and no error message or `Debug` output ever holds a passphrase
//! or PSK (see [`Secret`]).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use std::fmt;
use std::net::Ipv4Addr;

/// `[wifi]`.
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct WifiConfig {
    /// ISO 3166 alpha-2 country code: which channels and transmit powers are legal. Without
    /// it the radio keeps to the "world" rules (channels 1-11, passive scanning elsewhere).
    #[serde(deserialize_with = "country_code")]
    pub country: Option<String>,
    /// The wireless interface (the Zero W's radio is wlan0).
    pub interface: String,
    /// How long to wait for the interface after loading the radio's driver.
    pub interface_wait_secs: u32,
    /// Ask a DHCP server for an address each time the link comes up.
    pub dhcp: bool,
    /// Give up on DHCP after this long and use `address` (if set); else retry.
    pub dhcp_timeout_secs: u32,
    /// Static address: used when `dhcp` is off, or when DHCP gets no answer.
    pub address: Option<Ipv4Addr>,
    pub prefix: u8,
    pub gateway: Option<Ipv4Addr>,
    /// Name servers used to resolve `[network] ntp` names when DHCP gives none.
    pub dns: Vec<Ipv4Addr>,
    /// `[[wifi.network]]`, most preferred first (unless `priority` says otherwise).
    #[serde(rename = "network")]
    pub networks: Vec<WifiNetwork>,
}

impl Default for WifiConfig {
    fn default() -> Self {
        WifiConfig {
            country: None,
            interface: "wlan0".into(),
            interface_wait_secs: 20,
            dhcp: true,
            dhcp_timeout_secs: 15,
            address: None,
            prefix: 24,
            gateway: None,
            dns: Vec::new(),
            networks: Vec::new(),
        }
    }
}

impl WifiConfig {
    /// Wi-Fi runs only when at least one network is configured.
    pub fn enabled(&self) -> bool {
        !self.networks.is_empty()
    }

    /// The static address and prefix, if configured and sane.
    pub fn static_address(&self) -> Option<(Ipv4Addr, u8)> {
        crate::net::config::static_address(self.address, self.prefix)
    }

    /// The SSIDs, quoted, for messages ("none of \"a\", \"b\" is in range").
    pub fn ssid_list(&self) -> String {
        self.networks.iter().map(|network| format!("{:?}", network.ssid)).collect::<Vec<_>>().join(", ")
    }
}

/// `[[wifi.network]]`: one network to join.
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(try_from = "NetworkEntry")]
pub struct WifiNetwork {
    pub ssid: String,
    pub key: NetworkKey,
    /// The network does not broadcast its name: probe for it by name.
    pub hidden: bool,
    /// Higher is preferred. None: by position in the file (earlier is preferred).
    pub priority: Option<u32>,
}

/// How the network is secured (WPA2-Personal, or WPA2/WPA3 transition mode).
#[derive(Debug, Clone, PartialEq)]
pub enum NetworkKey {
    /// 8 to 63 printable ASCII characters, as typed on the router.
    Passphrase(Secret),
    /// The 256-bit pre-shared key as 64 hex digits (what `wpa_passphrase` prints).
    Psk(Secret),
}

/// A passphrase or key: compared and cloned like a string, but its `Debug` and `Display`
/// print a placeholder, so neither a log line, /status, a panic message nor a config error
/// can show it. Only [`Secret::expose`] gives the text (to write wpa_supplicant.conf).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(text: impl Into<String>) -> Secret {
        Secret(text.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The keys as written; checked together by `TryFrom`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NetworkEntry {
    ssid: String,
    passphrase: Option<SecretText>,
    psk: Option<SecretText>,
    #[serde(default)]
    hidden: bool,
    priority: Option<u32>,
}

/// A string whose serde errors never quote it (serde's "invalid type" messages would).
struct SecretText(String);

impl<'de> Deserialize<'de> for SecretText {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = SecretText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a quoted string")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<SecretText, E> {
                Ok(SecretText(text.to_owned()))
            }
        }
        de.deserialize_str(Visitor)
    }
}

impl TryFrom<NetworkEntry> for WifiNetwork {
    type Error = String;

    fn try_from(entry: NetworkEntry) -> Result<WifiNetwork, String> {
        let ssid = entry.ssid;
        if ssid.is_empty() || ssid.len() > 32 {
            return Err(format!("ssid {ssid:?} has {} bytes: a network name has 1 to 32", ssid.len()));
        }
        let key = match (entry.passphrase, entry.psk) {
            (Some(passphrase), None) => NetworkKey::Passphrase(check_passphrase(&ssid, passphrase.0)?),
            (None, Some(psk)) => NetworkKey::Psk(check_psk(&ssid, psk.0)?),
            (Some(_), Some(_)) => {
                return Err(format!("network {ssid:?} has both passphrase and psk: keep one"));
            }
            (None, None) => {
                return Err(format!(
                    "network {ssid:?} needs passphrase = \"...\" (8 to 63 characters) or psk = \"64 hex digits\""
                ));
            }
        };
        Ok(WifiNetwork { ssid, key, hidden: entry.hidden, priority: entry.priority })
    }
}

/// WPA's rule (IEEE 802.11 Annex M.4): 8 to 63 characters from space to tilde.
fn check_passphrase(ssid: &str, text: String) -> Result<Secret, String> {
    let length = text.chars().count();
    if !(8..=63).contains(&length) {
        return Err(format!("the passphrase of {ssid:?} has {length} characters: WPA needs 8 to 63"));
    }
    if !text.bytes().all(|byte| (b' '..=b'~').contains(&byte)) {
        return Err(format!(
            "the passphrase of {ssid:?} has a character WPA does not allow (only printable ASCII, space to ~)"
        ));
    }
    Ok(Secret::new(text))
}

fn check_psk(ssid: &str, text: String) -> Result<Secret, String> {
    if text.len() != 64 || !text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Err(format!(
            "the psk of {ssid:?} must be 64 hex digits (a passphrase goes in passphrase = \"...\")"
        ));
    }
    Ok(Secret::new(text.to_ascii_lowercase()))
}

fn country_code<'de, D: Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    let code = String::deserialize(de)?;
    if code.len() == 2 && code.bytes().all(|byte| byte.is_ascii_alphabetic()) {
        Ok(Some(code.to_ascii_uppercase()))
    } else {
        Err(D::Error::custom(format!(
            "country {code:?} is not a two-letter country code (ISO 3166-1 alpha-2, e.g. \"GB\", \"US\", \"DE\")"
        )))
    }
}

/// Config error messages quote the offending line of the file (toml's snippet). When that
/// line sets a passphrase or psk, the value is replaced, so not even a typo'd key (an
/// unterminated string, say) reaches the log or /status.
pub fn redact_keys(message: &str) -> String {
    message
        .lines()
        .map(|line| {
            let lower = line.to_ascii_lowercase();
            let at = ["passphrase", "psk"].iter().filter_map(|key| lower.find(key)).min();
            match at.and_then(|start| line[start..].find('=').map(|equals| start + equals)) {
                Some(equals) => format!("{} <redacted>", &line[..=equals]),
                None => line.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Default, Debug)]
    #[serde(default)]
    struct File {
        wifi: WifiConfig,
    }

    fn parse(text: &str) -> Result<WifiConfig, String> {
        toml::from_str::<File>(text).map(|file| file.wifi).map_err(|err| err.to_string())
    }

    const PASSPHRASE: &str = "correct horse battery";

    #[test]
    fn defaults_leave_wifi_off() {
        let wifi = parse("").expect("empty file");
        assert!(!wifi.enabled());
        assert_eq!(wifi.interface, "wlan0");
        assert!(wifi.dhcp);
    }

    #[test]
    fn several_networks_parse_in_file_order() {
        let wifi = parse(&format!(
            r#"
            [wifi]
            country = "gb"
            [[wifi.network]]
            ssid = "Home"
            passphrase = "{PASSPHRASE}"
            [[wifi.network]]
            ssid = "Attic"
            psk = "{}"
            hidden = true
            priority = 7
            "#,
            "AB".repeat(32)
        ))
        .expect("valid");
        assert!(wifi.enabled());
        assert_eq!(wifi.country.as_deref(), Some("GB"));
        assert_eq!(wifi.networks[0].ssid, "Home");
        assert_eq!(wifi.networks[0].key, NetworkKey::Passphrase(Secret::new(PASSPHRASE)));
        assert_eq!(wifi.networks[1].key, NetworkKey::Psk(Secret::new("ab".repeat(32))));
        assert!(wifi.networks[1].hidden);
        assert_eq!(wifi.networks[1].priority, Some(7));
        assert_eq!(wifi.ssid_list(), "\"Home\", \"Attic\"");
    }

    #[test]
    fn debug_output_never_shows_a_key() {
        let wifi = parse(&format!("[[wifi.network]]\nssid = \"Home\"\npassphrase = \"{PASSPHRASE}\"\n"))
            .expect("valid");
        let shown = format!("{wifi:?} {:#?}", wifi.networks[0]);
        assert!(!shown.contains(PASSPHRASE), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
        assert_eq!(Secret::new(PASSPHRASE).to_string(), "<redacted>");
    }

    #[test]
    fn bad_values_name_the_problem_and_the_line() {
        let cases = [
            ("[wifi]\ncountry = \"Britain\"", "two-letter"),
            ("[wifi]\ncontry = \"GB\"", "unknown field"),
            ("[[wifi.network]]\nssid = \"Home\"\npassphrase = \"short12\"", "7 characters"),
            ("[[wifi.network]]\nssid = \"Home\"\npassphrase = \"tab\there-and-more\"", "printable ASCII"),
            ("[[wifi.network]]\nssid = \"Home\"\npsk = \"abc123\"", "64 hex digits"),
            ("[[wifi.network]]\nssid = \"Home\"", "needs passphrase"),
            ("[[wifi.network]]\nssid = \"\"\npsk = \"x\"", "1 to 32"),
            ("[[wifi.network]]\nssid = \"Home\"\npasphrase = \"short12\"", "unknown field"),
            ("[[wifi.network]]\nssid = \"Home\"\npassphrase = 12345678", "a quoted string"),
        ];
        for (text, expected) in cases {
            let err = parse(text).expect_err(text);
            assert!(err.contains(expected), "{text:?}: {err}");
            assert!(err.contains("line"), "names the line: {err}");
        }
        let both = format!(
            "[[wifi.network]]\nssid = \"Home\"\npassphrase = \"{PASSPHRASE}\"\npsk = \"{}\"",
            "a".repeat(64)
        );
        let err = parse(&both).expect_err("both keys");
        assert!(err.contains("keep one"), "{err}");
    }

    #[test]
    fn config_errors_never_quote_a_key() {
        let secret = "my secret wifi key";
        for text in [
            format!("[[wifi.network]]\nssid = \"Home\"\npassphrase = \"{secret}\n"),
            format!("[[wifi.network]]\nssid = \"Home\"\npsk = \"{secret}\" x\n"),
            format!("[[wifi.network]]\nssid = \"Home\"\n\"passphrase\" = {secret}\n"),
        ] {
            let err = crate::config::parse_file_text(&text).expect_err("bad file").to_string();
            assert!(!err.contains("secret"), "{err}");
            assert!(err.contains("line 3") && err.contains("<redacted>"), "{err}");
        }
        assert_eq!(redact_keys("3 | ssid = \"Home\""), "3 | ssid = \"Home\"");
    }

    #[test]
    fn config_errors_say_when_they_are_in_wifi() {
        let in_wifi = crate::config::parse_file_text("[http]\nmax_clients = 5\n[wifi]\ncontry = \"GB\"\n");
        assert_eq!(in_wifi.expect_err("unknown key").table.as_deref(), Some("wifi"));
        let in_network =
            crate::config::parse_file_text("[wifi]\ncountry = \"GB\"\n[[wifi.network]]\nssid = \"x\"\n");
        assert_eq!(in_network.expect_err("no key").table.as_deref(), Some("wifi"));
        let elsewhere = crate::config::parse_file_text("[wifi]\ncountry = \"GB\"\n[http]\nmax_clients = 0\n");
        assert_eq!(elsewhere.expect_err("out of range").table.as_deref(), Some("http"));
    }
}
