//! As PID 1 a panic must not end the process: the kernel would panic in turn ("Attempted to
//! kill init") without syncing. The hook logs the panic to the kernel log, then restarts the
//! board after making the data partition safe.

use super::shutdown;

pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("unnamed");
        log::error!("panic in thread {name}: {info}; rebooting");
        // Give the kernel log a moment to reach a slow serial console.
        std::thread::sleep(std::time::Duration::from_millis(200));
        shutdown::emergency_reboot();
    }));
}
