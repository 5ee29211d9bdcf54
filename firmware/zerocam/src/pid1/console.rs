//! Standard input/output/error for PID 1. The kernel opens /dev/console for init only if the
//! initramfs has that node; otherwise fds 0-2 are closed and the first files opened would
//! take their numbers (a stray eprintln! would then write into /dev/kmsg or a socket).
//! After devtmpfs is mounted, /dev/console exists: point fds 0-2 at it.

use super::error::{Context, Pid1Error};
use std::os::fd::IntoRawFd;

pub fn attach() -> Result<(), Pid1Error> {
    let console = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/console")
        .context(|| "open /dev/console".into())?;
    // Ownership moves to the raw fd: it stays open for the life of PID 1 if it landed on
    // 0-2 itself, and is closed below otherwise.
    let fd = console.into_raw_fd();
    for standard in 0..=2 {
        if standard == fd {
            continue;
        }
        // SAFETY: dup2 onto the standard descriptors, which are ours to replace.
        if unsafe { libc::dup2(fd, standard) } < 0 {
            return Err(Pid1Error::new(
                format!("attach fd {standard} to the console"),
                std::io::Error::last_os_error(),
            ));
        }
    }
    if fd > 2 {
        // SAFETY: fd is the console file we opened above and nobody else holds.
        unsafe { libc::close(fd) };
    }
    Ok(())
}
