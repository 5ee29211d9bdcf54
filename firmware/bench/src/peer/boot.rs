//! The bench as the emulated board's init (PID 1): the few duties zerocam's own PID 1 does
//! that the servers depend on, and nothing else (no network, no SD card, no watchdog).
//! Reuses zerocam's code for each duty, so the bench board is set up the way the real one is.

use crate::error::{Error, Result};
use std::ffi::CString;
use std::fs::File;
use std::path::{Path, PathBuf};
use zerocam::pid1::modules::{self, ModuleIndex};
use zerocam::pid1::{console, mounts};

/// vivid with one video capture node only (no output, VBI, radio, SDR, touch or meta
/// nodes: the bench has no use for them and each costs the single core time), at
/// /dev/video0. Its first input is the webcam, which offers YUYV 640x480 at 25 fps.
const VIVID_PARAMS: &str = "n_devs=1 node_types=0x1 vid_cap_nr=0";

/// The v4l2loopback device the MJPEG feeder writes into and the servers read from.
/// exclusive_caps=1: once the feeder is writing, the node says "capture" only, as a
/// webcam's does (both servers look for a capture device).
pub const LOOPBACK_NR: u32 = 9;

pub fn is_init() -> bool {
    zerocam::pid1::is_init()
}

/// Virtual filesystems, console, the sysctl the servers need, loopback, the V4L2 modules.
pub fn prepare() -> Result<()> {
    for spec in &mounts::VIRTUAL_MOUNTS {
        mounts::mount_spec(spec).map_err(|err| boot_error("mount", err))?;
    }
    console::attach().map_err(|err| boot_error("console", err))?;
    // As zerocam's PID 1 sets it on the board (pid1/mod.rs): the largest send buffer a
    // socket may ask for. It is a ceiling, not a default: µStreamer keeps the kernel's.
    std::fs::write("/proc/sys/net/core/wmem_max", "4194304\n").map_err(|err| boot_error("wmem_max", err))?;
    zerocam::net::link::set_up("lo").map_err(|err| boot_error("loopback up", err))?;
    load_module("vivid", VIVID_PARAMS)?;
    load_module("v4l2loopback", &format!("video_nr={LOOPBACK_NR} exclusive_caps=1 max_buffers=4"))?;
    for device in ["/dev/video0".to_owned(), format!("/dev/video{LOOPBACK_NR}")] {
        if !mounts::wait_for_path(Path::new(&device), std::time::Duration::from_secs(10)) {
            return Err(Error::Board(format!("{device} did not appear after loading the V4L2 modules")));
        }
    }
    Ok(())
}

/// Restarts the board; QEMU runs with -no-reboot, so this ends the emulation.
pub fn finish() -> ! {
    rustix::fs::sync();
    let err = rustix::system::reboot(rustix::system::RebootCommand::Restart);
    eprintln!("zerocam-bench: reboot failed: {err:?}");
    loop {
        std::thread::sleep(std::time::Duration::from_secs(60));
    }
}

fn boot_error(what: &str, err: impl std::fmt::Display) -> Error {
    Error::Board(format!("{what}: {err}"))
}

/// Loads `name` after its dependencies (from modules.dep, as zerocam does), passing
/// `params` to `name` itself.
fn load_module(name: &str, params: &str) -> Result<()> {
    let release = rustix::system::uname().release().to_string_lossy().into_owned();
    let dir = PathBuf::from("/lib/modules").join(release);
    let dep = std::fs::read_to_string(dir.join("modules.dep"))
        .map_err(|err| boot_error(&format!("read {}/modules.dep", dir.display()), err))?;
    let order = ModuleIndex::parse(&dep)
        .load_order(&[name])
        .map_err(|err| boot_error(&format!("module {name}"), format!("{err:?}")))?;
    let Some((own, deps)) = order.split_last() else {
        return Err(boot_error(&format!("module {name}"), "not in modules.dep"));
    };
    for file in deps {
        modules::load_file(&dir.join(file)).map_err(|err| boot_error("load module", err))?;
    }
    let path = dir.join(own);
    let file = File::open(&path).map_err(|err| boot_error(&format!("open {}", path.display()), err))?;
    let params = CString::new(params).map_err(|err| boot_error("module parameters", err))?;
    match rustix::system::finit_module(&file, &params, 0) {
        Ok(()) | Err(rustix::io::Errno::EXIST) => Ok(()),
        Err(err) => Err(boot_error(&format!("load {}", path.display()), err)),
    }
}
