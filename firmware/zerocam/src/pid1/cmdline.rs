//! Switches on the kernel command line (cmdline.txt on the boot partition).

/// `zerocam.nowatchdog`: never arm the hardware watchdog. For emulation: QEMU's model of
/// the bcm2835 PM block resets the machine as soon as the watchdog is armed, instead of
/// when it expires.
pub const NO_WATCHDOG: &str = "zerocam.nowatchdog";

/// True if `flag` is one of the words of /proc/cmdline.
pub fn has_flag(flag: &str) -> bool {
    std::fs::read_to_string("/proc/cmdline").is_ok_and(|text| contains_flag(&text, flag))
}

fn contains_flag(cmdline: &str, flag: &str) -> bool {
    cmdline.split_ascii_whitespace().any(|word| word == flag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_only() {
        let cmdline = "rdinit=/init panic=10 zerocam.nowatchdog\n";
        assert!(contains_flag(cmdline, NO_WATCHDOG));
        assert!(!contains_flag("zerocam.nowatchdogs", NO_WATCHDOG));
        assert!(!contains_flag("", NO_WATCHDOG));
    }
}
