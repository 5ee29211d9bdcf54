//! wpa_supplicant.conf, written from `[wifi]` at every start into /run (RAM) with mode 0600,
//! and never logged. SSIDs are written as hex and passphrases as the PSK they stand for
//! (PBKDF2-HMAC-SHA1 over the SSID, 4096 rounds: IEEE 802.11i's derivation, the same
//! wpa_supplicant would do), so no user text is ever parsed by wpa_supplicant's config
//! reader, whose quoting and `#` comments a passphrase could otherwise break.

use super::config::{NetworkKey, WifiConfig};
use crate::net::error::{Context, NetError};
use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Where wpa_supplicant puts its control socket (one per interface, named after it).
pub const CONTROL_DIR: &str = "/run/wpa_supplicant";

/// The file's text. `wpa_supplicant -c` reads it once at start.
pub fn render(config: &WifiConfig) -> String {
    let mut out = String::from(
        "# Written by zerocam from zerocam.toml ([wifi]) at every start; edit that file instead.\n",
    );
    let _ = writeln!(out, "ctrl_interface={CONTROL_DIR}");
    out.push_str("update_config=0\np2p_disabled=1\n");
    if let Some(country) = &config.country {
        let _ = writeln!(out, "country={country}");
    }
    let count = config.networks.len();
    for (index, network) in config.networks.iter().enumerate() {
        // Earlier in the file is preferred: the first of n networks gets priority n.
        let priority = network.priority.unwrap_or((count - index) as u32);
        let psk = match &network.key {
            NetworkKey::Passphrase(passphrase) => psk_hex(passphrase.expose(), &network.ssid),
            NetworkKey::Psk(psk) => psk.expose().to_owned(),
        };
        let _ = write!(
            out,
            "network={{\n\tssid={}\n\tkey_mgmt=WPA-PSK WPA-PSK-SHA256\n\tpsk={psk}\n\tpriority={priority}\n",
            hex(network.ssid.as_bytes())
        );
        if network.hidden {
            out.push_str("\tscan_ssid=1\n");
        }
        out.push_str("}\n");
    }
    out
}

/// The 256-bit PSK of a WPA passphrase for an SSID, as 64 hex digits.
pub fn psk_hex(passphrase: &str, ssid: &str) -> String {
    let mut key = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(passphrase.as_bytes(), ssid.as_bytes(), 4096, &mut key);
    hex(&key)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

/// Writes the file readable by root only. A file left from an earlier run is replaced, and
/// the new one is created with mode 0600 from the start (no window with wider rights).
pub fn write(path: &Path, text: &str) -> Result<(), NetError> {
    let what = || format!("write {}", path.display());
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).context(what)?;
    }
    match std::fs::remove_file(path) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(NetError::new(what(), err)),
        _ => {}
    }
    let mut file =
        std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).context(what)?;
    file.write_all(text.as_bytes()).context(what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::wifi::config::{Secret, WifiNetwork};
    use std::os::unix::fs::PermissionsExt;

    fn network(ssid: &str, key: NetworkKey) -> WifiNetwork {
        WifiNetwork { ssid: ssid.into(), key, hidden: false, priority: None }
    }

    #[test]
    fn psk_matches_the_ieee_test_vector() {
        // IEEE 802.11i-2004, H.4.1 test vectors.
        assert_eq!(
            psk_hex("password", "IEEE"),
            "f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e"
        );
        assert_eq!(
            psk_hex("ThisIsAPassword", "ThisIsASSID"),
            "0dc0d6eb90555ed6419756b9a15ec3e3209b63df707dd508d14581f8982721af"
        );
    }

    #[test]
    fn renders_networks_in_preference_order_with_no_passphrase_text() {
        let passphrase = "pass \"word\" # not a comment";
        let config = WifiConfig {
            country: Some("GB".into()),
            networks: vec![
                network("Home", NetworkKey::Passphrase(Secret::new(passphrase))),
                WifiNetwork {
                    hidden: true,
                    ..network("Attic", NetworkKey::Psk(Secret::new("ab".repeat(32))))
                },
                WifiNetwork {
                    priority: Some(9),
                    ..network("Café", NetworkKey::Psk(Secret::new("cd".repeat(32))))
                },
            ],
            ..WifiConfig::default()
        };
        let text = render(&config);
        assert!(!text.contains("word"), "the passphrase never reaches the file:\n{text}");
        assert!(text.contains("ctrl_interface=/run/wpa_supplicant\n"));
        assert!(text.contains("country=GB\n"));
        let blocks: Vec<&str> = text.split("network={").skip(1).collect();
        assert_eq!(blocks.len(), 3);
        assert!(blocks[0].contains("ssid=486f6d65\n") && blocks[0].contains("priority=3\n"), "{}", blocks[0]);
        assert!(blocks[0].contains(&format!("psk={}\n", psk_hex(passphrase, "Home"))));
        assert!(blocks[1].contains("priority=2\n") && blocks[1].contains("scan_ssid=1\n"), "{}", blocks[1]);
        assert!(
            blocks[2].contains("ssid=436166c3a9\n") && blocks[2].contains("priority=9\n"),
            "{}",
            blocks[2]
        );
        assert!(!blocks[0].contains("scan_ssid"));
    }

    #[test]
    fn the_file_is_private() {
        let dir = std::env::temp_dir().join(format!("zerocam-wpa-conf-{}", std::process::id()));
        let path = dir.join("wpa_supplicant.conf");
        write(&path, "first").expect("written");
        write(&path, "second").expect("replaced");
        let meta = std::fs::metadata(&path).expect("exists");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_to_string(&path).expect("readable"), "second");
        let _ = std::fs::remove_dir_all(dir);
    }
}
