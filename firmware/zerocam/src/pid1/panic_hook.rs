//! As PID 1 a panic must not end the process: the kernel would panic in turn ("Attempted to
//! kill init") without syncing. The hook records the panic, then restarts the board after
//! making the data partition safe.
//!
//! It writes the message itself (a fresh /dev/kmsg handle, plus the console) instead of
//! going through `log`: the panic may have happened inside the logger, holding its lock.

use super::shutdown;
use std::io::Write;

pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("unnamed");
        let message = format!("panic in thread {name}: {info}; rebooting");
        if let Ok(mut kmsg) = std::fs::OpenOptions::new().write(true).open("/dev/kmsg") {
            // <2> = critical. One write is one kernel log record; cut it to the record size.
            let record = format!("<2>zerocam: {message}");
            let _ = kmsg.write_all(&record.as_bytes()[..record.len().min(1000)]);
        } else {
            let _ = writeln!(std::io::stderr(), "zerocam: {message}");
        }
        // Give the kernel log a moment to reach a slow serial console.
        std::thread::sleep(std::time::Duration::from_millis(300));
        shutdown::emergency_reboot();
    }));
}
