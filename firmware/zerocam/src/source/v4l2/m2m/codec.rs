//! The real memory-to-memory JPEG encoder device (bcm2835-codec's image_encode node is the
//! one this is written for): multi-planar API, one plane per buffer, MMAP on both queues,
//! a few buffers mapped once when it is opened.

use super::super::abi::{self, PixFormatMplane, PlanePixFormat};
use super::super::device::Device;
use super::super::enumerate::Fourcc;
use super::super::error::{Failure, V4l2Error};
use super::encoder::CodecQueues;
use super::ioctls::{self, Finished};
use super::layout::CodecLayout;
use super::mapping::Mapping;
use crate::config::Resolution;
use std::path::Path;
use std::time::Duration;

const RAW: u32 = abi::BUF_TYPE_VIDEO_OUTPUT_MPLANE;
const JPEG: u32 = abi::BUF_TYPE_VIDEO_CAPTURE_MPLANE;
/// One frame with the codec, one being filled; a third JPEG buffer lets the driver finish
/// one while we copy another. Each raw buffer holds a whole frame, so no more than this.
const RAW_BUFFERS: u32 = 2;
const JPEG_BUFFERS: u32 = 2;

/// An encoder device set up for one camera format. Dropping it stops both queues, unmaps
/// and closes the device.
pub struct CodecDevice {
    // Field order matters: buffers are unmapped before the device is closed.
    raw: Vec<Mapping>,
    jpeg: Vec<Mapping>,
    device: Device,
}

/// What opening the encoder set up, for the per-frame copy and the log.
pub struct Configured {
    pub codec: CodecDevice,
    pub layout: CodecLayout,
    /// The driver's name, e.g. "bcm2835-codec".
    pub driver: String,
    /// Why the quality could not be set, if it could not (not fatal).
    pub quality_problem: Option<String>,
}

impl CodecDevice {
    /// Opens `path` and sets it up to turn `fourcc` frames of `size` into JPEGs.
    pub fn open(path: &Path, fourcc: u32, size: Resolution, quality: u8) -> Result<Configured, V4l2Error> {
        let device = Device::open(path)?;
        let caps = device.query_capability()?;
        let capabilities =
            if caps.capabilities & abi::CAP_DEVICE_CAPS != 0 { caps.device_caps } else { caps.capabilities };
        if capabilities & abi::CAP_VIDEO_M2M_MPLANE == 0 || capabilities & abi::CAP_STREAMING == 0 {
            return Err(device.error(Failure::Unexpected(format!(
                "not a multi-planar memory-to-memory device (capabilities {capabilities:#010x})"
            ))));
        }
        let raw = ioctls::set_format(&device, RAW, request(fourcc, size))?;
        let plane = raw.plane_fmt[0];
        if raw.pixelformat != fourcc
            || raw.width != size.width
            || raw.height < size.height
            || raw.num_planes != 1
        {
            return Err(device.error(Failure::Unexpected(format!(
                "the encoder wants {} {}x{} in {} plane(s) for {} {size}",
                Fourcc(raw.pixelformat),
                raw.width,
                raw.height,
                raw.num_planes,
                Fourcc(fourcc)
            ))));
        }
        let jpeg = ioctls::set_format(&device, JPEG, request(abi::PIX_FMT_JPEG, size))?;
        if jpeg.pixelformat != abi::PIX_FMT_JPEG {
            return Err(device.error(Failure::Unexpected(format!(
                "the encoder produces {}, not JPEG",
                Fourcc(jpeg.pixelformat)
            ))));
        }
        let quality_problem = device
            .set_control(abi::CID_JPEG_COMPRESSION_QUALITY, i32::from(quality))
            .err()
            .map(|errno| {
                device.error(Failure::Ioctl {
                    what: "setting the JPEG quality",
                    call: "VIDIOC_S_CTRL",
                    errno,
                })
            })
            .map(|err| err.to_string());
        let layout = CodecLayout {
            bytes_per_line: plane.bytesperline,
            buffer_height: raw.height,
            size_image: plane.sizeimage,
        };
        let raw = map_buffers(&device, RAW, RAW_BUFFERS, true)?;
        let jpeg = map_buffers(&device, JPEG, JPEG_BUFFERS, false)?;
        let codec = CodecDevice { raw, jpeg, device };
        for index in 0..codec.jpeg.len() {
            ioctls::queue_buffer(&codec.device, JPEG, index as u32, 0)?;
        }
        ioctls::stream(&codec.device, RAW, true)?;
        ioctls::stream(&codec.device, JPEG, true)?;
        Ok(Configured { codec, layout, driver: abi::c_text(&caps.driver), quality_problem })
    }
}

fn request(fourcc: u32, size: Resolution) -> PixFormatMplane {
    PixFormatMplane {
        width: size.width,
        height: size.height,
        pixelformat: fourcc,
        field: abi::FIELD_NONE,
        num_planes: 1,
        // bytesperline 0: the driver picks its own (aligned) stride.
        plane_fmt: [PlanePixFormat::default(); 8],
        ..PixFormatMplane::default()
    }
}

fn map_buffers(device: &Device, queue: u32, count: u32, writable: bool) -> Result<Vec<Mapping>, V4l2Error> {
    let granted = ioctls::request_buffers(device, queue, count)?;
    if granted == 0 {
        return Err(device.error(Failure::Unexpected("the encoder granted no buffers".to_string())));
    }
    let mut mappings = Vec::with_capacity(granted as usize);
    for index in 0..granted {
        let plane = ioctls::query_plane(device, queue, index)?;
        mappings.push(Mapping::new(device, plane.mem_offset(), plane.length as usize, writable)?);
    }
    Ok(mappings)
}

impl CodecQueues for CodecDevice {
    fn path(&self) -> &Path {
        self.device.path()
    }

    fn raw_buffer_count(&self) -> usize {
        self.raw.len()
    }

    fn raw_buffer(&mut self, index: usize) -> &mut [u8] {
        self.raw.get_mut(index).map_or(&mut [], Mapping::bytes_mut)
    }

    fn queue_raw(&mut self, index: usize, bytesused: usize) -> Result<(), V4l2Error> {
        ioctls::queue_buffer(&self.device, RAW, index as u32, bytesused as u32)
    }

    fn reclaim_raw(&mut self) -> Result<Option<usize>, V4l2Error> {
        Ok(ioctls::dequeue_buffer(&self.device, RAW)?.map(|done| done.index as usize))
    }

    fn wait_jpeg(&mut self, timeout: Duration) -> Result<Option<Finished>, V4l2Error> {
        let device = &self.device;
        device.dequeue_within(timeout, || ioctls::dequeue_buffer(device, JPEG))
    }

    fn jpeg_buffer(&self, index: usize) -> &[u8] {
        self.jpeg.get(index).map_or(&[], Mapping::bytes)
    }

    fn requeue_jpeg(&mut self, index: usize) -> Result<(), V4l2Error> {
        ioctls::queue_buffer(&self.device, JPEG, index as u32, 0)
    }
}

impl Drop for CodecDevice {
    fn drop(&mut self) {
        // Errors are moot here: the encoder is being given up on.
        let _ = ioctls::stream(&self.device, RAW, false);
        let _ = ioctls::stream(&self.device, JPEG, false);
    }
}
