//! What wpa_supplicant tells its control-socket monitors (`ATTACH`), reduced to what the
//! board acts on and shows. Messages look like `<3>CTRL-EVENT-CONNECTED - Connection to
//! 02:00:00:00:01:00 completed [id=0 id_str=]`; the `<N>` is a priority. Unknown messages
//! are ignored: wpa_supplicant sends many more than these.

/// One event that changes the link or what /status says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Associated and keyed: the link carries traffic (DHCP may start).
    Connected,
    /// The link is gone (access point off, out of range, deauthenticated).
    Disconnected { reason: Option<u16> },
    /// wpa_supplicant stopped trying a network for a while; `wrong_key` when the 4-way
    /// handshake failed, i.e. the passphrase does not match the access point's.
    TempDisabled { ssid: String, wrong_key: bool },
    /// A scan found none of the configured networks.
    NetworkNotFound,
    /// A scan started (the first one tells that wpa_supplicant is up and looking).
    Scanning,
    /// wpa_supplicant is exiting.
    Terminating,
}

/// Reads one unsolicited message; None for those the board does not act on.
pub fn parse(message: &str) -> Option<Event> {
    let text = strip_priority(message.trim_end());
    let (name, rest) = text.split_once(' ').unwrap_or((text, ""));
    match name {
        "CTRL-EVENT-CONNECTED" => Some(Event::Connected),
        "CTRL-EVENT-DISCONNECTED" => {
            Some(Event::Disconnected { reason: field(rest, "reason").and_then(|value| value.parse().ok()) })
        }
        "CTRL-EVENT-SSID-TEMP-DISABLED" => Some(Event::TempDisabled {
            ssid: quoted_field(rest, "ssid").unwrap_or_default(),
            wrong_key: field(rest, "reason") == Some("WRONG_KEY"),
        }),
        "CTRL-EVENT-NETWORK-NOT-FOUND" => Some(Event::NetworkNotFound),
        "CTRL-EVENT-SCAN-STARTED" => Some(Event::Scanning),
        "CTRL-EVENT-TERMINATING" => Some(Event::Terminating),
        _ => None,
    }
}

fn strip_priority(text: &str) -> &str {
    match text.strip_prefix('<').and_then(|rest| rest.split_once('>')) {
        Some((level, rest)) if level.bytes().all(|byte| byte.is_ascii_digit()) => rest,
        _ => text,
    }
}

/// `key=value` among space-separated fields.
fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.split(' ').find_map(|part| part.strip_prefix(key).and_then(|rest| rest.strip_prefix('=')))
}

/// `key="value"`: the value may hold spaces. wpa_supplicant escapes quotes and odd bytes in
/// SSIDs (printf_encode), so the first unescaped quote ends it.
fn quoted_field(text: &str, key: &str) -> Option<String> {
    let start = text.find(&format!("{key}=\""))? + key.len() + 2;
    let mut value = String::new();
    let mut chars = text[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(value),
            '\\' => value.extend(chars.next()),
            c => value.push(c),
        }
    }
    None
}

/// `STATUS` reply lines (`key=value`): the fields /status shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    /// wpa_state: COMPLETED, SCANNING, ASSOCIATING, 4WAY_HANDSHAKE, DISCONNECTED ...
    pub state: String,
    pub ssid: Option<String>,
    pub bssid: Option<String>,
    pub frequency_mhz: Option<u32>,
}

pub fn parse_status(reply: &str) -> Status {
    let mut status = Status::default();
    for line in reply.lines() {
        match line.split_once('=') {
            Some(("wpa_state", value)) => status.state = value.to_owned(),
            Some(("ssid", value)) => status.ssid = Some(value.to_owned()),
            Some(("bssid", value)) => status.bssid = Some(value.to_owned()),
            Some(("freq", value)) => status.frequency_mhz = value.parse().ok(),
            _ => {}
        }
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_events_of_wpa_supplicant_2_10() {
        assert_eq!(
            parse("<3>CTRL-EVENT-CONNECTED - Connection to 02:00:00:00:01:00 completed [id=0 id_str=]"),
            Some(Event::Connected)
        );
        assert_eq!(
            parse("<3>CTRL-EVENT-DISCONNECTED bssid=02:00:00:00:01:00 reason=3 locally_generated=1\n"),
            Some(Event::Disconnected { reason: Some(3) })
        );
        assert_eq!(
            parse("<3>CTRL-EVENT-SSID-TEMP-DISABLED id=0 ssid=\"zerocam test\" auth_failures=1 duration=10 reason=WRONG_KEY"),
            Some(Event::TempDisabled { ssid: "zerocam test".into(), wrong_key: true })
        );
        assert_eq!(
            parse("<3>CTRL-EVENT-SSID-TEMP-DISABLED id=1 ssid=\"a\\\"b\" auth_failures=2 duration=20 reason=CONN_FAILED"),
            Some(Event::TempDisabled { ssid: "a\"b".into(), wrong_key: false })
        );
        assert_eq!(parse("<3>CTRL-EVENT-NETWORK-NOT-FOUND"), Some(Event::NetworkNotFound));
        assert_eq!(parse("<3>CTRL-EVENT-SCAN-STARTED "), Some(Event::Scanning));
        assert_eq!(parse("<3>CTRL-EVENT-TERMINATING"), Some(Event::Terminating));
        assert_eq!(parse("<3>CTRL-EVENT-SCAN-RESULTS "), None);
        assert_eq!(parse("<2>Trying to associate with 02:00:00:00:01:00"), None);
        assert_eq!(parse(""), None);
        assert_eq!(parse("<x>CTRL-EVENT-CONNECTED"), None, "not a priority prefix");
    }

    #[test]
    fn reads_a_status_reply() {
        let reply = "bssid=02:00:00:00:01:00\nfreq=2412\nssid=zerocam test\nid=0\nmode=station\n\
                     pairwise_cipher=CCMP\nkey_mgmt=WPA2-PSK\nwpa_state=COMPLETED\naddress=02:00:00:00:00:00\n";
        let status = parse_status(reply);
        assert_eq!(status.state, "COMPLETED");
        assert_eq!(status.ssid.as_deref(), Some("zerocam test"));
        assert_eq!(status.frequency_mhz, Some(2412));
        assert_eq!(parse_status("wpa_state=SCANNING\n").ssid, None);
    }
}
