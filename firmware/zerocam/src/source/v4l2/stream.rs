//! Memory-mapped streaming: a small fixed set of driver buffers, mapped read-only once,
//! cycled DQBUF -> (copy or encode into a pool slot) -> QBUF. Nothing is allocated per frame.

use super::abi::Buffer;
use super::device::Device;
use super::error::{Failure, V4l2Error};
use rustix::mm::{mmap, munmap, MapFlags, ProtFlags};
use std::ffi::c_void;
use std::time::Duration;

/// Enough to keep the driver filling one while we process another and one waits; more only
/// costs memory (each holds a whole raw frame).
pub const DRIVER_BUFFERS: u32 = 4;

/// A driver buffer mapped into our address space, unmapped on drop.
struct Mapping {
    address: *mut c_void,
    len: usize,
}

impl Mapping {
    fn bytes(&self) -> &[u8] {
        // SAFETY: `address` is a live PROT_READ mapping of `len` bytes until drop. The driver
        // writes it only while the buffer is queued; we read it only between DQBUF and QBUF.
        unsafe { std::slice::from_raw_parts(self.address.cast::<u8>(), self.len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the region mmap returned; no slice of it outlives `self`.
        let _ = unsafe { munmap(self.address, self.len) };
    }
}

/// A device that is streaming. Dropping it stops the stream, unmaps and closes the device.
pub struct Stream {
    // Field order matters: buffers are unmapped before the device is closed.
    buffers: Vec<Mapping>,
    device: Device,
}

/// One dequeued frame, valid until [`Stream::requeue`].
#[derive(Debug, Clone, Copy)]
pub struct Dequeued {
    pub index: u32,
    pub bytesused: usize,
    pub flags: u32,
}

impl Stream {
    /// Requests, maps and queues the driver buffers, then starts streaming.
    pub fn start(device: Device) -> Result<Stream, V4l2Error> {
        let granted = device.request_buffers(DRIVER_BUFFERS)?;
        if granted < 2 {
            return Err(device.error(Failure::Unexpected(format!(
                "the driver granted {granted} capture buffer(s); at least 2 are needed"
            ))));
        }
        let mut stream = Stream { buffers: Vec::with_capacity(granted as usize), device };
        for index in 0..granted {
            let info = stream.device.query_buffer(index)?;
            // SAFETY: maps a driver buffer at the offset and length the driver gave for it;
            // the mapping is owned by a Mapping that unmaps it before the fd is closed.
            let address = unsafe {
                mmap(
                    std::ptr::null_mut(),
                    info.length as usize,
                    ProtFlags::READ,
                    MapFlags::SHARED,
                    stream.device.fd(),
                    u64::from(info.offset()),
                )
            }
            .map_err(|errno| stream.device.error(Failure::Map(errno)))?;
            stream.buffers.push(Mapping { address, len: info.length as usize });
        }
        for index in 0..granted {
            stream.device.queue_buffer(index)?;
        }
        stream.device.stream_on()?;
        Ok(stream)
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Waits up to `timeout` for a filled buffer. `Ok(None)`: nothing came in time.
    pub fn next(&self, timeout: Duration) -> Result<Option<Dequeued>, V4l2Error> {
        let buffer = self.device.dequeue_within(timeout, || self.device.dequeue_buffer())?;
        buffer.map(|buffer| self.checked(buffer)).transpose()
    }

    fn checked(&self, buffer: Buffer) -> Result<Dequeued, V4l2Error> {
        if buffer.index as usize >= self.buffers.len() {
            return Err(self.device.error(Failure::Unexpected(format!(
                "VIDIOC_DQBUF returned buffer {} of {}",
                buffer.index,
                self.buffers.len()
            ))));
        }
        Ok(Dequeued { index: buffer.index, bytesused: buffer.bytesused as usize, flags: buffer.flags })
    }

    /// The whole mapped buffer of a dequeued frame (its capacity, not just bytesused).
    pub fn mapped(&self, frame: &Dequeued) -> &[u8] {
        self.buffers.get(frame.index as usize).map_or(&[], Mapping::bytes)
    }

    pub fn requeue(&self, frame: Dequeued) -> Result<(), V4l2Error> {
        self.device.queue_buffer(frame.index)
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        // Errors are moot here: the device may already be gone (unplugged).
        let _ = self.device.stream_off();
    }
}
