//! The frame buffers' dmabufs, memory-mapped once when the session starts and read in place
//! by the JPEG encoder (YUV) or the RGB conversion: no copy of the picture is ever made.

use super::error::SessionError;
use super::extents::plan_maps;
use super::layout::{BufferLayout, StreamFormat};
use super::rgb::{RgbFrame, RgbOrder};
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

/// What a buffer holds: YUV the encoder reads as it is, or RGB to convert first.
pub enum Picture<'a> {
    Yuv(Frame<'a>),
    Rgb(RgbFrame<'a>),
}

/// One YUV420, NV12, BGR888 or RGB888 frame buffer, readable as a [`Picture`].
pub struct MappedBuffer {
    maps: heapless::Vec<Mapping, 3>,
    layout: BufferLayout,
    /// For each plane of `layout`: index into `maps` and offset inside that mapping.
    planes: heapless::Vec<(usize, usize), 3>,
    /// The whole picture as one slice (mapping, offset, len), when it is packed the way a
    /// V4L2 M2M encoder takes it ([`BufferLayout::packed`]).
    packed: Option<(usize, usize, usize)>,
}

impl MappedBuffer {
    pub fn new(layout: BufferLayout) -> Result<MappedBuffer, SessionError> {
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

    /// The picture as the encoder (or the RGB conversion) reads it. Only valid to read while
    /// the camera does not write the buffer: between the request's completion and its requeue.
    pub fn picture(&self) -> Picture<'_> {
        let plane = |index: usize| Plane::new(self.plane_bytes(index), self.plane_stride(index));
        let (width, height) = (self.layout.width, self.layout.height);
        let yuv = |pixels| Picture::Yuv(Frame { width, height, pixels });
        let rgb = |order: RgbOrder| {
            let (bytes, stride) = (self.plane_bytes(0), self.plane_stride(0));
            Picture::Rgb(RgbFrame { bytes, stride, width, height, order })
        };
        match self.layout.format {
            StreamFormat::I420 => yuv(Pixels::I420 { y: plane(0), u: plane(1), v: plane(2) }),
            StreamFormat::Nv12 => yuv(Pixels::Nv12 { y: plane(0), uv: plane(1) }),
            StreamFormat::Bgr888 => rgb(RgbOrder::RedFirst),
            StreamFormat::Rgb888 => rgb(RgbOrder::BlueFirst),
        }
    }

    fn plane_stride(&self, index: usize) -> usize {
        self.layout.planes.get(index).map_or(1, |layout| layout.stride)
    }

    /// The bytes of plane `index`; empty if there is none (cannot happen with a plan from
    /// plan_maps), which makes the encoder or the conversion refuse the frame rather than
    /// read out of bounds.
    fn plane_bytes(&self, index: usize) -> &[u8] {
        let (Some(&(map, offset)), Some(layout)) = (self.planes.get(index), self.layout.planes.get(index))
        else {
            return &[];
        };
        match self.maps.get(map) {
            // SAFETY: plan_maps put offset..offset+len of this plane inside the mapping,
            // which lives as long as &self.
            Some(mapping) if offset + layout.len <= mapping.len => unsafe {
                std::slice::from_raw_parts(mapping.ptr.cast::<u8>().add(offset), layout.len)
            },
            _ => &[],
        }
    }
}
