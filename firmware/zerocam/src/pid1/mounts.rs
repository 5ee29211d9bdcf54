//! The filesystems PID 1 mounts, and the order they come down in at shutdown.
//!
//! The root filesystem is the initramfs (RAM): nothing the program writes there survives a
//! reboot, and a power cut cannot damage it. The FAT boot partition is mounted read-only, so
//! the only filesystem written at run time is the ext4 data partition (journalled).

use super::error::{Context, Pid1Error};
use rustix::mount::{mount, mount_remount, unmount, MountFlags, UnmountFlags};
use std::ffi::CStr;
use std::path::Path;
use std::time::{Duration, Instant};

/// One entry of the mount table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MountSpec {
    pub source: &'static str,
    pub target: &'static str,
    pub fstype: &'static str,
    pub flags: MountFlags,
    /// Filesystem options (the mount(2) data string).
    pub data: &'static CStr,
}

const SAFE: MountFlags = MountFlags::NOSUID.union(MountFlags::NODEV);

/// The kernel's virtual filesystems, mounted first (devtmpfs is not auto-mounted by this
/// kernel). /run and /tmp are RAM, sized so a runaway writer cannot eat the Zero's 512 MB.
pub const VIRTUAL_MOUNTS: [MountSpec; 5] = [
    MountSpec {
        source: "proc",
        target: "/proc",
        fstype: "proc",
        flags: SAFE.union(MountFlags::NOEXEC),
        data: c"",
    },
    MountSpec {
        source: "sysfs",
        target: "/sys",
        fstype: "sysfs",
        flags: SAFE.union(MountFlags::NOEXEC),
        data: c"",
    },
    MountSpec {
        source: "devtmpfs",
        target: "/dev",
        fstype: "devtmpfs",
        flags: MountFlags::NOSUID,
        data: c"mode=0755",
    },
    MountSpec { source: "tmpfs", target: "/run", fstype: "tmpfs", flags: SAFE, data: c"mode=0755,size=8m" },
    MountSpec { source: "tmpfs", target: "/tmp", fstype: "tmpfs", flags: SAFE, data: c"mode=1777,size=16m" },
];

/// The SD card's FAT partition: kernel, GPU firmware and zerocam.toml. Read-only at run time.
pub const BOOT_PARTITION: MountSpec = MountSpec {
    source: "/dev/mmcblk0p1",
    target: "/boot",
    fstype: "vfat",
    flags: SAFE.union(MountFlags::NOEXEC).union(MountFlags::RDONLY),
    data: c"",
};

/// The SD card's ext4 partition for state that must survive a reboot.
pub const DATA_PARTITION: MountSpec = MountSpec {
    source: "/dev/mmcblk0p4",
    target: "/data",
    fstype: "ext4",
    flags: SAFE.union(MountFlags::NOATIME),
    // data=journal would cost write bandwidth; ordered mode keeps metadata consistent across
    // a power cut, and errors=remount-ro stops a damaged card from being made worse.
    data: c"errors=remount-ro",
};

/// How long to wait for the SD card's partitions to appear: the MMC host probes
/// asynchronously and may still be busy when /init starts.
const DEVICE_WAIT: Duration = Duration::from_secs(5);

pub fn mount_spec(spec: &MountSpec) -> Result<(), Pid1Error> {
    let what = || format!("mount {} on {}", spec.source, spec.target);
    std::fs::create_dir_all(spec.target).context(what)?;
    let data = (!spec.data.is_empty()).then_some(spec.data);
    mount(spec.source, spec.target, spec.fstype, spec.flags, data).context(what)
}

/// Mounts a block-device filesystem once its device node exists.
pub fn mount_device(spec: &MountSpec) -> Result<(), Pid1Error> {
    if !wait_for_path(Path::new(spec.source), DEVICE_WAIT) {
        let why = format!("{} did not appear within {DEVICE_WAIT:?}", spec.source);
        return Err(Pid1Error::other(format!("mount {}", spec.target), why));
    }
    mount_spec(spec)
}

/// Polls for a path (device nodes, interfaces in /sys); false if it did not appear within
/// `limit`.
pub fn wait_for_path(path: &Path, limit: Duration) -> bool {
    let started = Instant::now();
    while !path.exists() {
        if started.elapsed() >= limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// The mount points to unmount at shutdown, innermost (last mounted) first: every mount of a
/// real filesystem, i.e. not the kernel's virtual ones, which hold no data.
pub fn unmount_order(proc_mounts: &str) -> Vec<String> {
    const VIRTUAL: [&str; 12] = [
        "rootfs",
        "ramfs",
        "tmpfs",
        "proc",
        "sysfs",
        "devtmpfs",
        "devpts",
        "cgroup2",
        "configfs",
        "debugfs",
        "securityfs",
        "pstore",
    ];
    let mut targets: Vec<String> = proc_mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_ascii_whitespace();
            let (_source, target, fstype) = (fields.next()?, fields.next()?, fields.next()?);
            (!VIRTUAL.contains(&fstype) && target != "/").then(|| unescape_mount_field(target))
        })
        .collect();
    targets.reverse();
    targets
}

/// /proc/mounts writes space, tab, newline and backslash as \040, \011, \012, \134.
fn unescape_mount_field(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).filter(|digits| digits.iter().all(|d| (b'0'..=b'7').contains(d)));
        match (bytes[i], octal) {
            (b'\\', Some(digits)) => {
                out.push(digits.iter().fold(0u8, |value, d| value.wrapping_mul(8).wrapping_add(d - b'0')));
                i += 4;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Unmounts every real filesystem; one that is busy is remounted read-only instead, which
/// is just as safe for a power cut. Returns the failures (already logged).
pub fn unmount_all() -> Vec<Pid1Error> {
    let table = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    let mut failures = Vec::new();
    for target in unmount_order(&table) {
        match unmount(target.as_str(), UnmountFlags::empty()) {
            Ok(()) => log::info!("unmounted {target}"),
            Err(err) => {
                log::warn!("cannot unmount {target} ({err}), remounting read-only");
                if let Err(err) = mount_remount(target.as_str(), MountFlags::RDONLY, "") {
                    failures.push(Pid1Error::new(format!("remount {target} read-only"), err));
                }
            }
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOARD_MOUNTS: &str = "\
rootfs / rootfs rw,size=224k 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
devtmpfs /dev devtmpfs rw,nosuid,size=2k,mode=755 0 0
tmpfs /run tmpfs rw,nosuid,nodev,size=8192k,mode=755 0 0
/dev/mmcblk0p1 /boot vfat ro,nosuid,nodev,noexec,relatime 0 0
/dev/mmcblk0p4 /data ext4 rw,nosuid,nodev,noatime 0 0
/dev/sda1 /data/usb\\040stick vfat rw 0 0
";

    #[test]
    fn unmounts_real_filesystems_innermost_first() {
        assert_eq!(unmount_order(BOARD_MOUNTS), ["/data/usb stick", "/data", "/boot"]);
    }

    #[test]
    fn ignores_virtual_filesystems_and_short_lines() {
        assert!(unmount_order("proc /proc proc rw 0 0\nbroken\n\n").is_empty());
    }

    #[test]
    fn unescapes_octal_fields_and_leaves_other_backslashes() {
        assert_eq!(unescape_mount_field("/a\\040b\\011c"), "/a b\tc");
        assert_eq!(unescape_mount_field("/a\\x"), "/a\\x");
        assert_eq!(unescape_mount_field("/end\\04"), "/end\\04");
    }

    #[test]
    fn boot_is_read_only_and_data_is_not() {
        assert!(BOOT_PARTITION.flags.contains(MountFlags::RDONLY));
        assert!(!DATA_PARTITION.flags.contains(MountFlags::RDONLY));
        let targets: Vec<_> = VIRTUAL_MOUNTS.iter().map(|spec| spec.target).collect();
        assert_eq!(targets, ["/proc", "/sys", "/dev", "/run", "/tmp"]);
    }
}
