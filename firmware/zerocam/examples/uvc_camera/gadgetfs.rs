//! The device side through gadgetfs: the whole USB device is this program. ep0's file takes
//! the descriptors and yields bus events and the control requests the kernel does not answer
//! itself; the bulk endpoint's file takes the stream.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

pub const MOUNT: &str = "/dev/gadget";

/// `enum usb_gadgetfs_event_type`.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    Connect,
    Disconnect,
    /// The 8-byte `struct usb_ctrlrequest`.
    Setup([u8; 8]),
    Other(u32),
}

/// `struct usb_gadgetfs_event`: an 8-byte union (the request, or the speed) and the type.
const EVENT_SIZE: usize = 12;

fn context(what: String) -> impl FnOnce(io::Error) -> io::Error {
    move |err| io::Error::new(err.kind(), format!("{what}: {err}"))
}

/// Loads gadgetfs from a module file (already loaded is fine).
pub fn load_module(path: &Path) -> io::Result<()> {
    let file = File::open(path).map_err(context(format!("open {}", path.display())))?;
    // SAFETY: finit_module reads the open file and an empty, NUL-terminated parameter string.
    let result = unsafe { libc::syscall(libc::SYS_finit_module, file.as_raw_fd(), c"".as_ptr(), 0) };
    if result != 0 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EEXIST) {
            return Err(context(format!("load {}", path.display()))(err));
        }
    }
    Ok(())
}

/// Mounts gadgetfs (once) and returns the ep0 file of controller `udc` ("auto": the only one).
pub fn controller_file(udc: &str) -> io::Result<PathBuf> {
    let mount = Path::new(MOUNT);
    // Mounted already (a restarted camera) when the controller's file is there.
    if !mount.exists() || std::fs::read_dir(mount)?.next().is_none() {
        std::fs::create_dir_all(mount)?;
        rustix::mount::mount("gadgetfs", mount, "gadgetfs", rustix::mount::MountFlags::empty(), None)
            .map_err(io::Error::from)
            .map_err(context(format!("mount gadgetfs on {MOUNT}")))?;
    }
    if udc != "auto" {
        return Ok(mount.join(udc));
    }
    // The ep0 file is the one named after the controller; endpoints appear once bound.
    let mut names: Vec<String> = std::fs::read_dir(mount)?
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with("ep"))
        .collect();
    names.sort();
    names
        .into_iter()
        .next()
        .map(|name| mount.join(name))
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no controller in gadgetfs"))
}

pub struct Ep0 {
    file: File,
    pending: Vec<u8>,
}

impl Ep0 {
    /// Opens ep0 and gives the kernel the descriptors, which binds the device to the controller
    /// and lets the host see it.
    pub fn open(path: &Path, full_speed: &[u8], high_speed: &[u8], device: &[u8]) -> io::Result<Ep0> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(context(format!("open {}", path.display())))?;
        let mut blob = 0u32.to_ne_bytes().to_vec(); // tag 0: device configuration
        blob.extend(full_speed);
        blob.extend(high_speed);
        blob.extend(device);
        file.write_all(&blob).map_err(context(format!("write descriptors to {}", path.display())))?;
        Ok(Ep0 { file, pending: Vec::new() })
    }

    /// The next event, waiting for it.
    pub fn next(&mut self) -> io::Result<Event> {
        while self.pending.len() < EVENT_SIZE {
            let mut buffer = [0u8; EVENT_SIZE * 5];
            let count = match self.file.read(&mut buffer) {
                Ok(count) => count,
                // A request that arrived after the one just answered was cancelled by the host
                // in the meantime: gadgetfs reports it on the next read. Read on.
                Err(err) if matches!(err.raw_os_error(), Some(libc::EIDRM | libc::EL2HLT)) => {
                    log::warn!("ep0: {err}");
                    continue;
                }
                Err(err) => return Err(context("read ep0 events".into())(err)),
            };
            self.pending.extend(&buffer[..count]);
        }
        let event: Vec<u8> = self.pending.drain(..EVENT_SIZE).collect();
        let kind = u32::from_ne_bytes([event[8], event[9], event[10], event[11]]);
        let mut request = [0u8; 8];
        request.copy_from_slice(&event[..8]);
        Ok(match kind {
            1 => Event::Connect,
            2 => Event::Disconnect,
            3 => Event::Setup(request),
            other => Event::Other(other),
        })
    }

    /// The data stage of an IN request. Errors are the OS's own (the caller tells EIDRM apart).
    pub fn send(&mut self, data: &[u8]) -> io::Result<()> {
        self.file.write_all(data)
    }

    /// The data stage of an OUT request (`length` bytes), or with 0 just its status stage.
    pub fn receive(&mut self, length: usize) -> io::Result<Vec<u8>> {
        let mut data = vec![0u8; length];
        let count = self.file.read(&mut data)?;
        data.truncate(count);
        Ok(data)
    }

    /// Refuses the request: gadgetfs stalls ep0 when it is read for an IN request or written
    /// for an OUT one.
    pub fn stall(&mut self, request: &[u8; 8]) {
        let result = if request[0] & 0x80 != 0 {
            self.file.read(&mut [0u8; 0]).map(drop)
        } else {
            self.file.write(&[]).map(drop)
        };
        // The stall itself comes back as an error (EL2HLT): that is the point.
        let _ = result;
    }
}

/// The streaming endpoint, configured for both speeds.
pub fn open_endpoint(name: &str, full_speed: &[u8; 7], high_speed: &[u8; 7]) -> io::Result<File> {
    let path = Path::new(MOUNT).join(name);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .map_err(context(format!("open {}", path.display())))?;
    let mut blob = 1u32.to_ne_bytes().to_vec(); // tag 1: endpoint configuration
    blob.extend(full_speed);
    blob.extend(high_speed);
    file.write_all(&blob).map_err(context(format!("configure {}", path.display())))?;
    Ok(file)
}
