//! The ioctls of a multi-planar memory-to-memory device, on both of its queues. Like
//! device.rs, each wrapper pairs an ioctl number with the abi.rs struct of its layout.

use super::super::abi::{self, Buffer, FmtDesc, FormatMplane, PixFormatMplane, Plane, RequestBuffers};
use super::super::device::Device;
use super::super::error::{Failure, V4l2Error};
use rustix::io::Errno;
use rustix::ioctl::{ioctl, Opcode, Setter, Updater};

/// Enumerations stop here even if a driver never says "no more" (bcm2835-codec lists ~50).
const MAX_FORMATS: u32 = 128;

fn update<const OPCODE: Opcode, T>(device: &Device, value: &mut T) -> Result<(), Errno> {
    loop {
        // SAFETY: every caller pairs OPCODE with the abi.rs struct of the kernel's layout for
        // that ioctl (size-tested); `value` is a live, exclusive borrow for the whole call,
        // and so is any plane array a Buffer in it points at.
        match unsafe { ioctl(device.fd(), Updater::<OPCODE, T>::new(value)) } {
            Err(Errno::INTR) => continue,
            other => return other,
        }
    }
}

fn failed<'a>(
    device: &'a Device,
    what: &'static str,
    call: &'static str,
) -> impl Fn(Errno) -> V4l2Error + 'a {
    move |errno| device.error(Failure::Ioctl { what, call, errno })
}

/// The pixel formats a queue accepts.
pub fn formats(device: &Device, queue: u32) -> Result<Vec<u32>, V4l2Error> {
    let mut found = Vec::new();
    for index in 0..MAX_FORMATS {
        let mut desc = FmtDesc {
            index,
            kind: queue,
            flags: 0,
            description: [0; 32],
            pixelformat: 0,
            mbus_code: 0,
            reserved: [0; 3],
        };
        match update::<{ abi::VIDIOC_ENUM_FMT }, _>(device, &mut desc) {
            Ok(()) => found.push(desc.pixelformat),
            Err(Errno::INVAL) => break,
            Err(errno) => return Err(failed(device, "listing encoder formats", "VIDIOC_ENUM_FMT")(errno)),
        }
    }
    Ok(found)
}

/// Sets a queue's format; returns what the driver made of it.
pub fn set_format(
    device: &Device,
    queue: u32,
    pix_mp: PixFormatMplane,
) -> Result<PixFormatMplane, V4l2Error> {
    let mut format = FormatMplane::new(queue, pix_mp);
    update::<{ abi::VIDIOC_S_FMT_MPLANE }, _>(device, &mut format).map_err(failed(
        device,
        "setting an encoder format",
        "VIDIOC_S_FMT",
    ))?;
    Ok(format.pix_mp)
}

pub fn request_buffers(device: &Device, queue: u32, count: u32) -> Result<u32, V4l2Error> {
    let mut request = RequestBuffers { count, kind: queue, memory: abi::MEMORY_MMAP, ..Default::default() };
    update::<{ abi::VIDIOC_REQBUFS }, _>(device, &mut request).map_err(failed(
        device,
        "requesting encoder buffers",
        "VIDIOC_REQBUFS",
    ))?;
    Ok(request.count)
}

/// The one plane of buffer `index`: its length and mmap offset.
pub fn query_plane(device: &Device, queue: u32, index: u32) -> Result<Plane, V4l2Error> {
    let mut planes = [Plane::default()];
    let mut buffer = Buffer::mmap_planes(queue, index, &mut planes);
    update::<{ abi::VIDIOC_QUERYBUF }, _>(device, &mut buffer).map_err(failed(
        device,
        "querying an encoder buffer",
        "VIDIOC_QUERYBUF",
    ))?;
    Ok(planes[0])
}

/// Hands buffer `index` to the driver; `bytesused` matters on the OUTPUT queue only.
pub fn queue_buffer(device: &Device, queue: u32, index: u32, bytesused: u32) -> Result<(), V4l2Error> {
    let mut planes = [Plane { bytesused, ..Plane::default() }];
    let mut buffer = Buffer::mmap_planes(queue, index, &mut planes);
    update::<{ abi::VIDIOC_QBUF }, _>(device, &mut buffer).map_err(failed(
        device,
        "queueing an encoder buffer",
        "VIDIOC_QBUF",
    ))
}

/// A buffer the driver is done with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finished {
    pub index: u32,
    pub bytesused: usize,
    pub flags: u32,
}

/// Takes a finished buffer, or `None` when none is (the fd is non-blocking).
pub fn dequeue_buffer(device: &Device, queue: u32) -> Result<Option<Finished>, V4l2Error> {
    let mut planes = [Plane::default()];
    let mut buffer = Buffer::mmap_planes(queue, 0, &mut planes);
    match update::<{ abi::VIDIOC_DQBUF }, _>(device, &mut buffer) {
        Ok(()) => Ok(Some(Finished {
            index: buffer.index,
            bytesused: planes[0].bytesused as usize,
            flags: buffer.flags,
        })),
        Err(Errno::AGAIN) => Ok(None),
        Err(errno) => Err(failed(device, "taking an encoder buffer", "VIDIOC_DQBUF")(errno)),
    }
}

pub fn stream(device: &Device, queue: u32, on: bool) -> Result<(), V4l2Error> {
    let kind = queue as i32;
    // SAFETY: STREAMON/STREAMOFF take a pointer to an int (_IOW, size 4), which Setter
    // passes; the kernel only reads it.
    let result = if on {
        unsafe { ioctl(device.fd(), Setter::<{ abi::VIDIOC_STREAMON }, i32>::new(kind)) }
    } else {
        unsafe { ioctl(device.fd(), Setter::<{ abi::VIDIOC_STREAMOFF }, i32>::new(kind)) }
    };
    result.map_err(failed(
        device,
        "switching an encoder queue",
        if on { "VIDIOC_STREAMON" } else { "VIDIOC_STREAMOFF" },
    ))
}
