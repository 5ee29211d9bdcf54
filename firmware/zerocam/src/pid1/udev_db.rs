//! Stands in for udev's device database, so that a libcamera built with udev (Debian's)
//! finds the cameras of a board with no udevd.
//!
//! libcamera's udev enumerator lists only devices udev has "initialized": those with a
//! database entry, `/run/udev/data/c<major>:<minor>`. With zerocam as PID 1 no udevd runs,
//! so it would see no camera at all. Before each libcamera session zerocam, as PID 1,
//! writes an entry for every media and video4linux device node that has none. The entry
//! says only when it was made (`I:`), as udev's own do; the node's name comes from sysfs.
//! Entries udev wrote are never touched. (The Buildroot image's libcamera reads sysfs
//! and needs none of this.)

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Where sysfs lists the devices of the two subsystems libcamera enumerates: media devices
/// are on a bus (a class on old kernels), V4L2 nodes in a class.
const DEVICE_DIRS: [&str; 3] = ["bus/media/devices", "class/media", "class/video4linux"];

/// Writes missing entries under `data_dir` (`/run/udev/data`) for the media and V4L2
/// devices under `sys` (`/sys`). Returns how many it wrote.
pub fn publish_camera_devices(sys: &Path, data_dir: &Path, now_us: u64) -> io::Result<usize> {
    let mut written = 0;
    for dir in DEVICE_DIRS {
        let entries = match fs::read_dir(sys.join(dir)) {
            Ok(entries) => entries,
            // Not there: the subsystem's driver is not loaded (yet), or an older layout.
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err),
        };
        for entry in entries {
            let Ok(numbers) = fs::read_to_string(entry?.path().join("dev")) else {
                continue;
            };
            let Some(name) = entry_name(&numbers) else {
                continue;
            };
            fs::create_dir_all(data_dir)?;
            match fs::OpenOptions::new().write(true).create_new(true).open(data_dir.join(name)) {
                Ok(mut file) => {
                    writeln!(file, "I:{now_us}")?;
                    written += 1;
                }
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
                Err(err) => return Err(err),
            }
        }
    }
    Ok(written)
}

/// `c<major>:<minor>` for the contents of a sysfs `dev` file ("81:3\n"), if well-formed.
fn entry_name(numbers: &str) -> Option<String> {
    let (major, minor) = numbers.trim().split_once(':')?;
    let (major, minor): (u32, u32) = (major.parse().ok()?, minor.parse().ok()?);
    Some(format!("c{major}:{minor}"))
}

/// The board's call: `/sys` into `/run/udev/data`, errors logged, not returned (a
/// camera that stays invisible shows up as libcamera's "no cameras" fault).
pub fn publish_for_libcamera() {
    let now_us = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    let now_us = u64::try_from(now_us.tv_sec).unwrap_or(0) * 1_000_000
        + u64::try_from(now_us.tv_nsec).unwrap_or(0) / 1_000;
    match publish_camera_devices(Path::new("/sys"), Path::new("/run/udev/data"), now_us) {
        Ok(0) => {}
        Ok(count) => log::info!("udev stand-in: {count} camera device node(s) made visible to libcamera"),
        Err(err) => log::warn!("udev stand-in: cannot write /run/udev/data: {err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("zerocam-udev-db-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn device(sys: &Path, dir: &str, name: &str, dev: &str) {
        let dir = sys.join(dir).join(name);
        fs::create_dir_all(&dir).expect("mkdir");
        fs::write(dir.join("dev"), dev).expect("write dev");
    }

    #[test]
    fn writes_one_entry_per_node_and_keeps_existing_ones() {
        let root = scratch("entries");
        let (sys, data) = (root.join("sys"), root.join("run/udev/data"));
        device(&sys, "bus/media/devices", "media0", "239:0\n");
        device(&sys, "class/media", "media1", "239:1\n");
        device(&sys, "class/video4linux", "video0", "81:0\n");
        device(&sys, "class/video4linux", "v4l-subdev0", "81:4\n");
        // Not a device node, and a malformed one: skipped.
        fs::create_dir_all(sys.join("class/video4linux/broken")).expect("mkdir");
        device(&sys, "class/video4linux", "odd", "eighty-one\n");
        // udev's own entry stays as udev wrote it.
        fs::create_dir_all(&data).expect("mkdir");
        fs::write(data.join("c81:4"), "I:5\nE:ID_V4L_CAPABILITIES=capture\n").expect("write");

        assert_eq!(publish_camera_devices(&sys, &data, 1234).expect("publish"), 3);
        assert_eq!(fs::read_to_string(data.join("c239:0")).expect("media0"), "I:1234\n");
        assert_eq!(fs::read_to_string(data.join("c239:1")).expect("media1"), "I:1234\n");
        assert_eq!(fs::read_to_string(data.join("c81:0")).expect("video0"), "I:1234\n");
        assert!(fs::read_to_string(data.join("c81:4")).expect("subdev").contains("ID_V4L"));
        // A second pass finds nothing to do.
        assert_eq!(publish_camera_devices(&sys, &data, 99).expect("again"), 0);
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn no_camera_classes_is_not_an_error() {
        let root = scratch("none");
        fs::create_dir_all(&root).expect("mkdir");
        let data = root.join("data");
        assert_eq!(publish_camera_devices(&root, &data, 1).expect("publish"), 0);
        assert!(!data.exists(), "nothing to write, no folder made");
        let _ = fs::remove_dir_all(&root);
    }
}
