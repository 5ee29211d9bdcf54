//! What a device offers: its identity, capture formats, frame sizes and frame intervals.
//! Read once per open (it allocates; frames never do) and used by negotiation, by
//! `zerocam cameras` and by /status.

use super::abi::{self, Fract};
use super::device::Device;
use super::error::{Failure, V4l2Error};
use crate::config::Resolution;
use std::fmt;
use std::path::{Path, PathBuf};

/// Enumerations stop here even if a buggy driver never says "no more".
const MAX_ENTRIES: u32 = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub path: PathBuf,
    pub driver: String,
    pub card: String,
    pub bus: String,
    /// Kernel version of the driver, as KERNEL_VERSION packs it.
    pub version: u32,
    /// The capabilities of this node (device_caps when the driver reports them).
    pub capabilities: u32,
    pub formats: Vec<FormatInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatInfo {
    pub fourcc: Fourcc,
    pub description: String,
    pub compressed: bool,
    pub sizes: Vec<SizeInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeInfo {
    pub range: SizeRange,
    /// For a stepwise range: the intervals at its largest size.
    pub intervals: Intervals,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeRange {
    Discrete(Resolution),
    /// Any size from `min` to `max` in steps (continuous ranges have steps of 1).
    Stepwise {
        min: Resolution,
        max: Resolution,
        step_width: u32,
        step_height: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intervals {
    Discrete(Vec<Fract>),
    Stepwise {
        min: Fract,
        max: Fract,
        step: Fract,
    },
    /// The driver does not enumerate intervals.
    Unknown,
}

/// A pixel format code, shown as its four characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fourcc(pub u32);

impl fmt::Display for Fourcc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0.to_le_bytes() {
            let shown = if byte.is_ascii_graphic() || byte == b' ' { byte as char } else { '?' };
            write!(f, "{shown}")?;
        }
        Ok(())
    }
}

/// Frames per second of an interval (seconds per frame as a fraction).
pub fn fps_of(interval: Fract) -> f64 {
    if interval.numerator == 0 {
        0.0
    } else {
        f64::from(interval.denominator) / f64::from(interval.numerator)
    }
}

impl DeviceInfo {
    /// Whether this node captures single-planar video (what zerocam streams from).
    pub fn is_capture(&self) -> bool {
        self.capabilities & abi::CAP_VIDEO_CAPTURE != 0
    }

    pub fn can_stream(&self) -> bool {
        self.capabilities & abi::CAP_STREAMING != 0
    }
}

/// Reads identity and, for capture nodes, every format with its sizes and intervals.
pub fn describe(device: &Device) -> Result<DeviceInfo, V4l2Error> {
    let caps = device.query_capability()?;
    let capabilities =
        if caps.capabilities & abi::CAP_DEVICE_CAPS != 0 { caps.device_caps } else { caps.capabilities };
    let mut info = DeviceInfo {
        path: device.path().to_path_buf(),
        driver: abi::c_text(&caps.driver),
        card: abi::c_text(&caps.card),
        bus: abi::c_text(&caps.bus_info),
        version: caps.version,
        capabilities,
        formats: Vec::new(),
    };
    if info.is_capture() {
        info.formats = formats(device)?;
    }
    Ok(info)
}

/// Opens `path` just to describe it.
pub fn describe_path(path: &Path) -> Result<DeviceInfo, V4l2Error> {
    describe(&Device::open(path)?)
}

fn formats(device: &Device) -> Result<Vec<FormatInfo>, V4l2Error> {
    let mut formats = Vec::new();
    for index in 0..MAX_ENTRIES {
        let Some(desc) = device.format_at(index)? else { break };
        // Formats emulated by libv4l do not exist at the kernel ABI; skip them if a shim
        // ever reports one.
        if desc.flags & abi::FMT_FLAG_EMULATED != 0 {
            continue;
        }
        formats.push(FormatInfo {
            fourcc: Fourcc(desc.pixelformat),
            description: abi::c_text(&desc.description),
            compressed: desc.flags & abi::FMT_FLAG_COMPRESSED != 0,
            sizes: sizes(device, desc.pixelformat)?,
        });
    }
    Ok(formats)
}

fn sizes(device: &Device, fourcc: u32) -> Result<Vec<SizeInfo>, V4l2Error> {
    let mut sizes = Vec::new();
    for index in 0..MAX_ENTRIES {
        let Some(entry) = device.frame_size_at(fourcc, index)? else { break };
        let [a, b, c, d, e, f] = entry.size;
        let range = match entry.kind {
            abi::FRMSIZE_TYPE_DISCRETE => SizeRange::Discrete(Resolution { width: a, height: b }),
            abi::FRMSIZE_TYPE_STEPWISE | abi::FRMSIZE_TYPE_CONTINUOUS => SizeRange::Stepwise {
                min: Resolution { width: a, height: d },
                max: Resolution { width: b, height: e },
                step_width: c.max(1),
                step_height: f.max(1),
            },
            other => {
                return Err(device.error(Failure::Unexpected(format!(
                    "VIDIOC_ENUM_FRAMESIZES returned unknown type {other} for {}",
                    Fourcc(fourcc)
                ))))
            }
        };
        let at = match range {
            SizeRange::Discrete(size) => size,
            SizeRange::Stepwise { max, .. } => max,
        };
        sizes.push(SizeInfo { range, intervals: intervals(device, fourcc, at)? });
        if !matches!(range, SizeRange::Discrete(_)) {
            // Stepwise and continuous ranges are the only entry (index 0).
            break;
        }
    }
    Ok(sizes)
}

pub fn intervals(device: &Device, fourcc: u32, size: Resolution) -> Result<Intervals, V4l2Error> {
    let mut discrete = Vec::new();
    for index in 0..MAX_ENTRIES {
        let Some(entry) = device.frame_interval_at(fourcc, size.width, size.height, index)? else { break };
        if entry.kind != abi::FRMIVAL_TYPE_DISCRETE {
            let [min, max, step] = entry.interval;
            return Ok(Intervals::Stepwise { min, max, step });
        }
        discrete.push(entry.interval[0]);
    }
    Ok(if discrete.is_empty() { Intervals::Unknown } else { Intervals::Discrete(discrete) })
}
