//! Credentials: the admin token's check, and failed attempts limited per peer.
//!
//! Each peer address gets [`MAX_FAILURES`] wrong credentials per [`WINDOW_MS`]; after that
//! it is locked out for [`LOCKOUT_MS`]: every attempt is answered 429 and its connection
//! closed, without looking at the credential. The log gets one line for a peer's first
//! failure and one when it is locked out; attempts during a lockout are only counted and
//! summed up in a single line when the lockout ends, so guessing cannot flush `/log` or the
//! kernel log. The table is fixed: the oldest peer makes room for a new one.

use std::net::IpAddr;
use std::sync::Mutex;

pub const MAX_FAILURES: u32 = 5;
pub const WINDOW_MS: u64 = 60_000;
pub const LOCKOUT_MS: u64 = 60_000;
/// After this many failures in a window the connection is closed after its 401, so a
/// client must reconnect to guess again.
pub const CLOSE_AFTER: u32 = 3;
const PEERS: usize = 32;

/// What to do with a request that carries (or lacks) a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Check the credential.
    Check,
    /// Locked out: answer 429 with this Retry-After and close.
    LockedOut { retry_after_s: u64 },
}

#[derive(Debug, Clone, Copy, Default)]
struct PeerEntry {
    ip: Option<IpAddr>,
    window_start_ms: u64,
    failures: u32,
    locked_until_ms: u64,
    /// Attempts refused during the lockout, not logged one by one.
    refused_while_locked: u32,
    last_ms: u64,
}

pub struct LoginLimiter {
    peers: Mutex<[PeerEntry; PEERS]>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter { peers: Mutex::new([PeerEntry::default(); PEERS]) }
    }
}

impl LoginLimiter {
    /// Before a credential is looked at.
    pub fn verdict(&self, ip: IpAddr, now_ms: u64) -> Verdict {
        let Ok(mut peers) = self.peers.lock() else { return Verdict::Check };
        let Some(entry) = peers.iter_mut().find(|entry| entry.ip == Some(ip)) else { return Verdict::Check };
        entry.last_ms = now_ms;
        if now_ms < entry.locked_until_ms {
            entry.refused_while_locked += 1;
            return Verdict::LockedOut { retry_after_s: (entry.locked_until_ms - now_ms).div_ceil(1000) };
        }
        if entry.locked_until_ms != 0 {
            if entry.refused_while_locked > 0 {
                log::warn!(
                    "login: {} more attempts from {ip} were refused during its lockout",
                    entry.refused_while_locked
                );
            }
            *entry = PeerEntry { ip: Some(ip), last_ms: now_ms, ..PeerEntry::default() };
        }
        Verdict::Check
    }

    /// A wrong or missing credential from `ip`. Returns whether its connection should be
    /// closed after the reply.
    pub fn failed(&self, ip: IpAddr, now_ms: u64, what: &str) -> bool {
        let Ok(mut peers) = self.peers.lock() else { return true };
        let entry = match peers.iter().position(|entry| entry.ip == Some(ip)) {
            Some(index) => &mut peers[index],
            None => {
                let oldest = peers
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, entry)| (entry.ip.is_some(), entry.last_ms))
                    .map_or(0, |(index, _)| index);
                peers[oldest] = PeerEntry { ip: Some(ip), window_start_ms: now_ms, ..PeerEntry::default() };
                &mut peers[oldest]
            }
        };
        if now_ms.saturating_sub(entry.window_start_ms) >= WINDOW_MS {
            entry.window_start_ms = now_ms;
            entry.failures = 0;
        }
        entry.failures += 1;
        entry.last_ms = now_ms;
        if entry.failures == 1 {
            log::warn!("login: {what} from {ip}");
        }
        if entry.failures >= MAX_FAILURES {
            entry.locked_until_ms = now_ms + LOCKOUT_MS;
            log::warn!(
                "login: {ip} locked out for {} s after {} failed attempts",
                LOCKOUT_MS / 1000,
                entry.failures
            );
        }
        entry.failures >= CLOSE_AFTER
    }

    /// A right credential: the peer's count starts again.
    pub fn succeeded(&self, ip: IpAddr) {
        if let Ok(mut peers) = self.peers.lock() {
            if let Some(entry) = peers.iter_mut().find(|entry| entry.ip == Some(ip)) {
                *entry = PeerEntry::default();
            }
        }
    }
}

/// The token of an `Authorization: Bearer <token>` value; the scheme is case-insensitive
/// (RFC 9110 section 11.1).
pub fn bearer_token(authorization: Option<&str>) -> Option<&str> {
    let (scheme, token) = authorization?.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim_start())
}

/// Compares secrets in time independent of where they differ.
pub fn same_secret(offered: &[u8], expected: &[u8]) -> bool {
    let mut difference = offered.len() ^ expected.len();
    for (index, &byte) in expected.iter().enumerate() {
        difference |= usize::from(byte ^ offered.get(index).copied().unwrap_or(0));
    }
    difference == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 7));
    const OTHER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 8));

    #[test]
    fn secrets_compare() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abd", b"abc"));
        assert!(!same_secret(b"ab", b"abc"));
        assert!(!same_secret(b"abcd", b"abc"));
        assert!(!same_secret(b"", b"abc"));
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer_token(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(Some("bearer abc")), Some("abc"));
        assert_eq!(bearer_token(Some("BEARER  abc")), Some("abc"));
        assert_eq!(bearer_token(Some("Basic abc")), None);
        assert_eq!(bearer_token(Some("Bearer")), None);
        assert_eq!(bearer_token(None), None);
    }

    #[test]
    fn a_peer_is_locked_out_after_its_failures_and_others_are_not() {
        let limiter = LoginLimiter::default();
        let mut closes = Vec::new();
        for attempt in 0..MAX_FAILURES {
            assert_eq!(limiter.verdict(PEER, 1000 + u64::from(attempt)), Verdict::Check);
            closes.push(limiter.failed(PEER, 1000 + u64::from(attempt), "wrong token"));
        }
        assert_eq!(closes, [false, false, true, true, true], "closed after {CLOSE_AFTER}");
        assert!(matches!(limiter.verdict(PEER, 2000), Verdict::LockedOut { retry_after_s: 60 }));
        assert_eq!(limiter.verdict(OTHER, 2000), Verdict::Check);
        // The lockout ends by itself.
        assert_eq!(limiter.verdict(PEER, 1004 + LOCKOUT_MS), Verdict::Check);
        assert!(!limiter.failed(PEER, 1005 + LOCKOUT_MS, "wrong token"), "a fresh count");
    }

    #[test]
    fn failures_spread_out_never_lock_out_and_success_resets() {
        let limiter = LoginLimiter::default();
        for step in 0..20u64 {
            let now = step * WINDOW_MS / 2;
            assert_eq!(limiter.verdict(PEER, now), Verdict::Check);
            limiter.failed(PEER, now, "wrong token");
        }
        for step in 0..(MAX_FAILURES - 1) {
            limiter.failed(OTHER, u64::from(step), "wrong token");
        }
        limiter.succeeded(OTHER);
        limiter.failed(OTHER, 10, "wrong token");
        assert_eq!(limiter.verdict(OTHER, 11), Verdict::Check);
    }

    #[test]
    fn the_table_is_fixed_and_makes_room() {
        let limiter = LoginLimiter::default();
        for host in 0..(PEERS as u8 + 10) {
            limiter.failed(
                IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, host)),
                u64::from(host),
                "wrong token",
            );
        }
        let peers = limiter.peers.lock().expect("lock");
        assert_eq!(peers.iter().filter(|entry| entry.ip.is_some()).count(), PEERS);
    }
}
