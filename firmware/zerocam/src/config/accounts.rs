//! Viewer accounts (`[[http.viewer]]`): a user name and a password hash, never a password.

use serde::de::{Deserializer, Error as _};
use serde::Deserialize;
use std::fmt;

/// One viewer who may watch when viewer login is on.
#[derive(Clone, PartialEq, Eq)]
pub struct ViewerAccount {
    pub user: String,
    /// A SHA-crypt hash (`$6$...` SHA-512 or `$5$...` SHA-256), as `openssl passwd -6` and
    /// `zerocam hash-password` print it.
    pub password_hash: String,
}

/// The hash is not the password, but it is what a guesser would want: keep it out of
/// anything printed.
impl fmt::Debug for ViewerAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ViewerAccount").field("user", &self.user).finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccount {
    user: String,
    password_hash: String,
}

impl<'de> Deserialize<'de> for ViewerAccount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawAccount::deserialize(deserializer)?;
        if raw.user.is_empty() || raw.user.contains(':') || raw.user.chars().any(char::is_control) {
            return Err(D::Error::custom(format!(
                "viewer user {:?}: must be non-empty, without ':' or control characters",
                raw.user
            )));
        }
        check_hash(&raw.password_hash)
            .map_err(|why| D::Error::custom(format!("viewer {:?}: {why}", raw.user)))?;
        Ok(ViewerAccount { user: raw.user, password_hash: raw.password_hash })
    }
}

/// A plain password where a hash belongs is the mistake to catch here.
pub fn check_hash(hash: &str) -> Result<(), String> {
    let scheme = hash.get(..3);
    if !matches!(scheme, Some("$6$") | Some("$5$")) || hash.matches('$').count() < 3 {
        return Err("password_hash must be a SHA-crypt hash ($6$... or $5$...), never the password itself: \
                    make one with `openssl passwd -6` or `zerocam hash-password`"
            .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_passwords_are_refused_and_hashes_never_printed() {
        assert!(check_hash("hunter2").is_err());
        assert!(check_hash("$1$abc$def").is_err(), "MD5-crypt is too weak");
        assert!(check_hash("$6$salt$hash").is_ok());
        let account = ViewerAccount { user: "ann".into(), password_hash: "$6$salt$secrethash".into() };
        assert!(!format!("{account:?}").contains("secrethash"));
    }
}
