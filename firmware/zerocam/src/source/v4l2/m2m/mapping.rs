//! An encoder buffer mapped into our address space once, unmapped on drop.

use super::super::device::Device;
use super::super::error::{Failure, V4l2Error};
use rustix::mm::{mmap, munmap, MapFlags, ProtFlags};
use std::ffi::c_void;

pub struct Mapping {
    address: *mut c_void,
    len: usize,
}

impl Mapping {
    /// Maps `len` bytes at the driver's `offset`, writable for OUTPUT buffers (we fill them).
    pub fn new(device: &Device, offset: u32, len: usize, writable: bool) -> Result<Mapping, V4l2Error> {
        let protection = if writable { ProtFlags::READ | ProtFlags::WRITE } else { ProtFlags::READ };
        // SAFETY: maps a driver buffer at the offset and length the driver reported for it;
        // the Mapping owns the region and unmaps it before the device is closed (field
        // order in CodecDevice).
        let address = unsafe {
            mmap(std::ptr::null_mut(), len, protection, MapFlags::SHARED, device.fd(), u64::from(offset))
        }
        .map_err(|errno| device.error(Failure::Map(errno)))?;
        Ok(Mapping { address, len })
    }

    pub fn bytes(&self) -> &[u8] {
        // SAFETY: a live mapping of `len` bytes until drop; the driver writes a CAPTURE buffer
        // only while it is queued, and we read it only between DQBUF and QBUF.
        unsafe { std::slice::from_raw_parts(self.address.cast::<u8>(), self.len) }
    }

    /// Only for OUTPUT buffers (mapped writable), and only while we hold them (not queued).
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as above, and `&mut self` makes this the only slice of the mapping.
        unsafe { std::slice::from_raw_parts_mut(self.address.cast::<u8>(), self.len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the region mmap returned; no slice of it outlives `self`.
        let _ = unsafe { munmap(self.address, self.len) };
    }
}
