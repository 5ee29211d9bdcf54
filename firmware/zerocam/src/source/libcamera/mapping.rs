//! The frame buffers' dmabufs, memory-mapped once when the session starts and read in place
//! by the JPEG encoder: no copy of the picture is ever made.

use super::error::SessionError;
use super::extents::plan_maps;
use super::layout::{YuvFormat, YuvLayout};
use crate::jpeg::{Frame, Pixels, Plane};
use rustix::mm::{mmap, munmap, MapFlags, ProtFlags};
use std::ffi::c_void;
use std::os::fd::BorrowedFd;

/// One read-only shared mapping, unmapped on drop.
struct Mapping {
    ptr: *mut c_void,
    len: usize,
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: ptr/len came from a successful mmap and nothing borrows them any more
        // (frames borrow the MappedBuffer that owns this).
        unsafe {
            let _ = munmap(self.ptr, self.len);
        }
    }
}

/// One YUV420 or NV12 frame buffer, readable as a [`Frame`] for the encoder.
pub struct MappedBuffer {
    maps: heapless::Vec<Mapping, 3>,
    layout: YuvLayout,
    /// For each plane of `layout`: index into `maps` and offset inside that mapping.
    planes: heapless::Vec<(usize, usize), 3>,
    /// The whole picture as one slice (mapping, offset, len), when it is packed the way a
    /// V4L2 M2M encoder takes it ([`YuvLayout::packed`]).
    packed: Option<(usize, usize, usize)>,
}

impl MappedBuffer {
    pub fn new(layout: YuvLayout) -> Result<MappedBuffer, SessionError> {
        let plan = plan_maps(&layout.planes, rustix::param::page_size());
        let mut maps: heapless::Vec<Mapping, 3> = heapless::Vec::new();
        for extent in &plan.extents {
            let bad_fd =
                || SessionError::Map { len: extent.len, err: std::io::Error::from_raw_os_error(libc::EBADF) };
            if extent.fd < 0 {
                return Err(bad_fd());
            }
            // SAFETY: the fd belongs to libcamera's FrameBuffer, open for the session. The
            // mapping holds its own reference to the dmabuf, so it outlives the fd safely.
            let fd = unsafe { BorrowedFd::borrow_raw(extent.fd) };
            // SAFETY: a fresh read-only mapping at an address the kernel chooses aliases no
            // Rust memory.
            let ptr = unsafe {
                mmap(
                    std::ptr::null_mut(),
                    extent.len,
                    ProtFlags::READ,
                    MapFlags::SHARED,
                    fd,
                    extent.start as u64,
                )
            }
            .map_err(|errno| SessionError::Map { len: extent.len, err: errno.into() })?;
            maps.push(Mapping { ptr, len: extent.len }).map_err(|_| bad_fd())?;
        }
        // All planes of a packed buffer share one dmabuf, so one mapping holds them.
        let packed = layout.packed().and_then(|(_, _, len)| {
            let &(map, offset) = plan.planes.first()?;
            let mapping = maps.get(map)?;
            (offset + len <= mapping.len).then_some((map, offset, len))
        });
        Ok(MappedBuffer { maps, layout, planes: plan.planes, packed })
    }

    /// The whole picture as V4L2's single-plane YUV420 / NV12, if the buffer is laid out so.
    /// Same validity as [`MappedBuffer::frame`].
    pub fn packed(&self) -> Option<&[u8]> {
        let (map, offset, len) = self.packed?;
        let mapping = self.maps.get(map)?;
        // SAFETY: checked in `new` to lie inside the mapping, which lives as long as &self.
        Some(unsafe { std::slice::from_raw_parts(mapping.ptr.cast::<u8>().add(offset), len) })
    }

    pub fn is_packed(&self) -> bool {
        self.packed.is_some()
    }

    /// The picture as the encoder reads it. Only valid to read while the camera does not
    /// write the buffer: between the request's completion and its requeue.
    pub fn frame(&self) -> Frame<'_> {
        let plane = |index: usize| {
            let (Some(&(map, offset)), Some(layout)) =
                (self.planes.get(index), self.layout.planes.get(index))
            else {
                return Plane::new(&[], 1);
            };
            let bytes = match self.maps.get(map) {
                // SAFETY: plan_maps put offset..offset+len of this plane inside the mapping,
                // which lives as long as &self.
                Some(mapping) if offset + layout.len <= mapping.len => unsafe {
                    std::slice::from_raw_parts(mapping.ptr.cast::<u8>().add(offset), layout.len)
                },
                // Cannot happen with a plan from plan_maps; an empty plane makes the
                // encoder refuse the frame rather than read out of bounds.
                _ => &[],
            };
            Plane::new(bytes, layout.stride)
        };
        let pixels = match self.layout.format {
            YuvFormat::I420 => Pixels::I420 { y: plane(0), u: plane(1), v: plane(2) },
            YuvFormat::Nv12 => Pixels::Nv12 { y: plane(0), uv: plane(1) },
        };
        Frame { width: self.layout.width, height: self.layout.height, pixels }
    }
}
