//! The board's hostname, from `[system] hostname`.

use super::error::{Context, Pid1Error};

/// Sets the kernel hostname. Names that are not valid DNS labels are refused so they never
/// reach DHCP packets or logs half-formed.
pub fn set(name: &str) -> Result<(), Pid1Error> {
    if !is_valid(name) {
        return Err(Pid1Error::other(
            format!("set hostname {name:?}"),
            "use 1-63 letters, digits and '-', not starting or ending with '-'",
        ));
    }
    rustix::system::sethostname(name.as_bytes()).context(|| format!("set hostname {name:?}"))
}

pub fn is_valid(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn dns_labels_only() {
        assert!(is_valid("zerocam"));
        assert!(is_valid("cam-2"));
        assert!(!is_valid(""));
        assert!(!is_valid("-cam"));
        assert!(!is_valid("cam.local"));
        assert!(!is_valid("café"));
        assert!(!is_valid(&"a".repeat(64)));
    }
}
