//! Viewer login: HTTP Basic against the `[[http.viewer]]` accounts, when any is set.
//!
//! Basic is what browsers, ffmpeg, VLC, OctoPrint, go2rtc and Home Assistant send. A
//! password is checked against its SHA-crypt hash on a helper thread (the hash is slow on
//! purpose, and the executor thread serves every viewer); a credential that passed is
//! remembered by its SHA-256 in a small fixed cache, so the live page's status polling
//! costs a hash of a few bytes, not a password check. Wrong credentials count against the
//! peer in the same limiter as admin tokens (auth.rs). Nothing of a credential is logged.

use super::auth::Verdict;
use super::shared::{HttpCounters, Shared};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

const CACHE: usize = 16;
/// Password checks running at once; more get 503 for a moment rather than a thread each.
const CHECKS_IN_FLIGHT: usize = 2;
/// Checked against when the user is unknown, so that an unknown user takes as long as a
/// wrong password (no user names are told by timing). Its password is not known to anyone.
const DUMMY_HASH: &str =
    "$6$zerocamdummy$0Bq353js9Y.V4GJbhuvgppkOIpROVCGBL7e1s3HCkY3FFbfNyq99YjehKlA2t9aV1kieY/GlPIhKqct3WInYh1";

/// What a request's credentials allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewerCheck {
    Allowed,
    /// 401 with a Basic challenge; `close` once the peer has failed a few times.
    Challenge {
        close: bool,
    },
    /// 429: the peer failed too often.
    LockedOut,
    /// 503: too many password checks at once.
    Busy,
}

#[derive(Default)]
pub struct ViewerGate {
    /// SHA-256 of Authorization values that passed, oldest overwritten first.
    passed: Mutex<[[u8; 32]; CACHE]>,
    next: AtomicUsize,
    in_flight: AtomicUsize,
}

impl ViewerGate {
    pub async fn check(&self, shared: &Shared, peer: IpAddr, authorization: Option<&str>) -> ViewerCheck {
        if shared.config.viewers.is_empty() {
            return ViewerCheck::Allowed;
        }
        if let Verdict::LockedOut { .. } = shared.logins.verdict(peer, shared.now_ms()) {
            return ViewerCheck::LockedOut;
        }
        // No credentials yet is how every browser starts: a challenge, not a failure.
        let Some(encoded) = basic_credentials(authorization) else {
            return ViewerCheck::Challenge { close: false };
        };
        let key: [u8; 32] = Sha256::digest(encoded.as_bytes()).into();
        if self.passed.lock().is_ok_and(|passed| passed.contains(&key)) {
            return ViewerCheck::Allowed;
        }
        if self.in_flight.fetch_add(1, Ordering::AcqRel) >= CHECKS_IN_FLIGHT {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            return ViewerCheck::Busy;
        }
        let right = match decode(encoded) {
            Some((user, password)) => {
                let account = shared.config.viewers.iter().find(|account| account.user == user);
                let known = account.is_some();
                let hash = account.map_or(DUMMY_HASH, |account| account.password_hash.as_str()).to_string();
                let matches = smol::unblock(move || password_matches(&password, &hash)).await;
                known && matches
            }
            None => false,
        };
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
        if right {
            shared.logins.succeeded(peer);
            if let Ok(mut passed) = self.passed.lock() {
                passed[self.next.fetch_add(1, Ordering::Relaxed) % CACHE] = key;
            }
            return ViewerCheck::Allowed;
        }
        // Counted only here: a request without credentials is how a login starts.
        HttpCounters::bump(&shared.counters.login_failures);
        let close = shared.logins.failed(peer, shared.now_ms(), "wrong viewer user or password");
        ViewerCheck::Challenge { close }
    }
}

/// The base64 part of `Authorization: Basic <credentials>` (scheme case-insensitive).
fn basic_credentials(authorization: Option<&str>) -> Option<&str> {
    let (scheme, value) = authorization?.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("basic").then(|| value.trim())
}

/// `user:password` from the base64 credentials.
fn decode(encoded: &str) -> Option<(String, String)> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

fn password_matches(password: &str, hash: &str) -> bool {
    if hash.starts_with("$5$") {
        sha_crypt::sha256_check(password, hash).is_ok()
    } else {
        sha_crypt::sha512_check(password, hash).is_ok()
    }
}

/// A new hash for `password` (`zerocam hash-password`): SHA-512-crypt with a random salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    let params = sha_crypt::Sha512Params::new(sha_crypt::ROUNDS_DEFAULT).map_err(|err| format!("{err:?}"))?;
    sha_crypt::sha512_simple(password, &params).map_err(|err| format!("cannot hash: {err:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_parsed_case_insensitively() {
        assert_eq!(basic_credentials(Some("Basic YTpi")), Some("YTpi"));
        assert_eq!(basic_credentials(Some("basic  YTpi ")), Some("YTpi"));
        assert_eq!(basic_credentials(Some("Bearer YTpi")), None);
        assert_eq!(decode("YTpi"), Some(("a".into(), "b".into())));
        assert_eq!(decode("YTpiOmM="), Some(("a".into(), "b:c".into())), "a password may hold ':'");
        assert_eq!(decode("not base64!"), None);
    }

    #[test]
    fn hashes_made_here_check_and_openssl_style_hashes_too() {
        let hash = hash_password("correct horse").expect("hash");
        assert!(hash.starts_with("$6$"));
        assert!(password_matches("correct horse", &hash));
        assert!(!password_matches("Correct horse", &hash));
        // `openssl passwd -5 -salt saltsalt secret`
        let sha256 = "$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA";
        assert!(password_matches("secret", sha256));
        assert!(!password_matches("secret", DUMMY_HASH));
    }
}
