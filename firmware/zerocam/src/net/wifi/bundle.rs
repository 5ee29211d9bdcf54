//! The Wi-Fi bundle: wpa_supplicant and its libraries, kept in a squashfs image on the boot
//! partition (built by ci/lib-wifi.sh; it belongs to no system slot, docs/OTA.md) and
//! mounted read-only at /opt/wifi only when Wi-Fi is configured, so a board without it does
//! not unpack ~13 MB into RAM at every boot. The initramfs links /lib/ld-linux.so.3 and
//! /lib/arm-linux-gnueabi into it. What the kernel loads (the radio's firmware and NVRAM, the
//! regulatory database) is not here but in the slot's initramfs, under /lib/firmware, so it
//! always comes with the kernel that asks for it.

use crate::net::error::{Context, NetError};
use rustix::mount::{mount, MountFlags};
use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::time::Duration;

pub const IMAGE: &str = "/boot/wifi.sqfs";
/// What mounting it takes (also in board/modules.wifi, so the image ships them).
pub const MODULES: [&str; 2] = ["loop", "squashfs"];
pub const MOUNT_POINT: &str = "/opt/wifi";
pub const SUPPLICANT: &str = "/opt/wifi/sbin/wpa_supplicant";

const LOOP_CONTROL: &str = "/dev/loop-control";
const LOOP_CTL_GET_FREE: libc::c_ulong = 0x4C82;
const LOOP_CONFIGURE: libc::c_ulong = 0x4C0A;
const LO_FLAGS_READ_ONLY: u32 = 1;
/// The loop device lets go of the file when the filesystem is unmounted (at shutdown),
/// so /boot can be unmounted after it.
const LO_FLAGS_AUTOCLEAR: u32 = 4;

/// `struct loop_info64` (linux/loop.h).
#[repr(C)]
struct LoopInfo64 {
    device: u64,
    inode: u64,
    rdevice: u64,
    offset: u64,
    size_limit: u64,
    number: u32,
    encrypt_type: u32,
    encrypt_key_size: u32,
    flags: u32,
    file_name: [u8; 64],
    crypt_name: [u8; 64],
    encrypt_key: [u8; 32],
    init: [u64; 2],
}

/// `struct loop_config` (linux/loop.h, LOOP_CONFIGURE since Linux 5.8): attach and set
/// flags in one step.
#[repr(C)]
struct LoopConfig {
    fd: u32,
    block_size: u32,
    info: LoopInfo64,
    reserved: [u64; 8],
}

/// Mounts the bundle (once; a second call finds it mounted). The loop and squashfs modules
/// must be loaded.
pub fn mount_bundle() -> Result<(), NetError> {
    if Path::new(SUPPLICANT).exists() {
        return Ok(());
    }
    if !Path::new(IMAGE).is_file() {
        return Err(NetError::other(
            format!("mount the Wi-Fi bundle {IMAGE}"),
            "the file is missing from the boot partition (copy it from the image)",
        ));
    }
    // The loop device stays open until the mount holds it: with AUTOCLEAR, its last close
    // would detach the file again.
    let (device, _open_until_mounted) = attach_loop(Path::new(IMAGE))?;
    let what = || format!("mount {IMAGE} ({device}) on {MOUNT_POINT}");
    std::fs::create_dir_all(MOUNT_POINT).context(what)?;
    let flags = MountFlags::RDONLY | MountFlags::NODEV | MountFlags::NOSUID;
    mount(device.as_str(), MOUNT_POINT, "squashfs", flags, None).context(what)?;
    log::info!("wifi: bundle {IMAGE} mounted on {MOUNT_POINT}");
    Ok(())
}

/// Attaches `file` read-only to a free loop device; returns the device's path and the
/// open device.
fn attach_loop(file: &Path) -> Result<(String, File), NetError> {
    let what = || format!("attach {} to a loop device", file.display());
    if !crate::pid1::mounts::wait_for_path(Path::new(LOOP_CONTROL), Duration::from_secs(2)) {
        return Err(NetError::other(
            what(),
            format!("{LOOP_CONTROL} is missing (is the loop module loaded?)"),
        ));
    }
    let control = File::open(LOOP_CONTROL).context(what)?;
    // SAFETY: LOOP_CTL_GET_FREE takes no argument and returns a device number.
    let number = unsafe { libc::ioctl(control.as_raw_fd(), LOOP_CTL_GET_FREE as _) };
    if number < 0 {
        return Err(NetError::new(what(), std::io::Error::last_os_error()));
    }
    let device = format!("/dev/loop{number}");
    if !crate::pid1::mounts::wait_for_path(Path::new(&device), Duration::from_secs(2)) {
        return Err(NetError::other(what(), format!("{device} did not appear")));
    }
    let backing = File::open(file).context(what)?;
    let loop_device = OpenOptions::new().read(true).open(&device).context(what)?;
    // SAFETY: both structures are plain data; all-zero is their "nothing set" value.
    let mut config: LoopConfig = unsafe { std::mem::zeroed() };
    config.fd = backing.as_raw_fd() as u32;
    config.info.flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
    // SAFETY: LOOP_CONFIGURE reads a struct loop_config; the backing fd stays open until
    // the kernel has taken its own reference.
    let result =
        unsafe { libc::ioctl(loop_device.as_raw_fd(), LOOP_CONFIGURE as _, &config as *const LoopConfig) };
    if result < 0 {
        return Err(NetError::new(what(), std::io::Error::last_os_error()));
    }
    Ok((device, loop_device))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loop_structures_have_the_kernel_layout() {
        // linux/loop.h: 232 and 304 bytes on every architecture (fixed-width fields only).
        assert_eq!(std::mem::size_of::<LoopInfo64>(), 232);
        assert_eq!(std::mem::size_of::<LoopConfig>(), 304);
        assert_eq!(std::mem::offset_of!(LoopConfig, info), 8);
        assert_eq!(std::mem::offset_of!(LoopInfo64, flags), 52);
    }
}
