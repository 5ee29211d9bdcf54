//! The slice of the kernel's V4L2 userspace ABI (include/uapi/linux/videodev2.h) that zerocam
//! uses: structs laid out exactly as the kernel expects, ioctl numbers and constants.
//!
//! Sizes differ between x86_64 (the PC) and 32-bit ARM (the Pi Zero): `long` and pointers
//! are 4 bytes there, and `struct timeval` is two `long`s. zerocam's ARM build uses glibc's
//! 32-bit `time_t` (the Rust target's default), so on ARM `struct v4l2_buffer` is the 68-byte
//! layout that 32-bit kernels accept as VIDIOC_*_TIME32 (the size is part of the ioctl number,
//! so the kernel sees which layout it gets). The tests pin every size for both.

use rustix::ioctl::{opcode, Opcode};
use std::ffi::{c_long, c_ulong};

/// A four-character code such as `MJPG` as the kernel stores it (first character lowest).
pub type FourccCode = u32;

pub const fn fourcc(code: &[u8; 4]) -> FourccCode {
    u32::from_le_bytes(*code)
}

pub const PIX_FMT_MJPEG: FourccCode = fourcc(b"MJPG");
pub const PIX_FMT_JPEG: FourccCode = fourcc(b"JPEG");
pub const PIX_FMT_YUYV: FourccCode = fourcc(b"YUYV");
pub const PIX_FMT_NV12: FourccCode = fourcc(b"NV12");
/// V4L2_PIX_FMT_YUV420: planar I420.
pub const PIX_FMT_YUV420: FourccCode = fourcc(b"YU12");
pub const PIX_FMT_GREY: FourccCode = fourcc(b"GREY");

pub const BUF_TYPE_VIDEO_CAPTURE: u32 = 1;
/// The multi-planar queue types memory-to-memory codecs such as bcm2835-codec use: OUTPUT
/// carries frames to the codec, CAPTURE brings results back.
pub const BUF_TYPE_VIDEO_CAPTURE_MPLANE: u32 = 9;
pub const BUF_TYPE_VIDEO_OUTPUT_MPLANE: u32 = 10;
pub const MEMORY_MMAP: u32 = 1;
pub const FIELD_NONE: u32 = 1;

pub const CAP_VIDEO_CAPTURE: u32 = 0x0000_0001;
pub const CAP_VIDEO_OUTPUT: u32 = 0x0000_0002;
pub const CAP_VIDEO_CAPTURE_MPLANE: u32 = 0x0000_1000;
pub const CAP_VIDEO_OUTPUT_MPLANE: u32 = 0x0000_2000;
pub const CAP_VIDEO_M2M_MPLANE: u32 = 0x0000_4000;
pub const CAP_VIDEO_M2M: u32 = 0x0000_8000;
pub const CAP_META_CAPTURE: u32 = 0x0080_0000;
pub const CAP_READWRITE: u32 = 0x0100_0000;
pub const CAP_STREAMING: u32 = 0x0400_0000;
pub const CAP_DEVICE_CAPS: u32 = 0x8000_0000;
/// In `v4l2_captureparm.capability`: the device accepts a frame interval.
pub const CAP_TIMEPERFRAME: u32 = 0x1000;

pub const FMT_FLAG_COMPRESSED: u32 = 0x0001;
pub const FMT_FLAG_EMULATED: u32 = 0x0002;

pub const FRMSIZE_TYPE_DISCRETE: u32 = 1;
pub const FRMSIZE_TYPE_CONTINUOUS: u32 = 2;
pub const FRMSIZE_TYPE_STEPWISE: u32 = 3;
pub const FRMIVAL_TYPE_DISCRETE: u32 = 1;

/// The driver could not fill the buffer properly; its contents are not a usable frame.
pub const BUF_FLAG_ERROR: u32 = 0x0040;

pub const CTRL_FLAG_DISABLED: u32 = 0x0001;

const CID_USER_BASE: u32 = 0x0098_0900;
pub const CID_BRIGHTNESS: u32 = CID_USER_BASE;
pub const CID_CONTRAST: u32 = CID_USER_BASE + 1;
pub const CID_AUTO_WHITE_BALANCE: u32 = CID_USER_BASE + 12;
pub const CID_HFLIP: u32 = CID_USER_BASE + 20;
pub const CID_VFLIP: u32 = CID_USER_BASE + 21;
pub const CID_WHITE_BALANCE_TEMPERATURE: u32 = CID_USER_BASE + 26;
pub const CID_ROTATE: u32 = CID_USER_BASE + 34;
const CID_CAMERA_BASE: u32 = 0x009A_0900;
pub const CID_EXPOSURE_AUTO: u32 = CID_CAMERA_BASE + 1;
/// In units of 100 µs.
pub const CID_EXPOSURE_ABSOLUTE: u32 = CID_CAMERA_BASE + 2;
const CID_JPEG_BASE: u32 = 0x009D_0900;
pub const CID_JPEG_COMPRESSION_QUALITY: u32 = CID_JPEG_BASE + 3;

/// Values of the V4L2_CID_EXPOSURE_AUTO menu.
pub const EXPOSURE_AUTO: i32 = 0;
pub const EXPOSURE_MANUAL: i32 = 1;
/// What most UVC webcams offer instead of full auto: auto shutter, fixed aperture.
pub const EXPOSURE_APERTURE_PRIORITY: i32 = 3;

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Capability {
    pub driver: [u8; 16],
    pub card: [u8; 32],
    pub bus_info: [u8; 32],
    pub version: u32,
    pub capabilities: u32,
    pub device_caps: u32,
    pub reserved: [u32; 3],
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct FmtDesc {
    pub index: u32,
    pub kind: u32,
    pub flags: u32,
    pub description: [u8; 32],
    pub pixelformat: u32,
    pub mbus_code: u32,
    pub reserved: [u32; 3],
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fract {
    pub numerator: u32,
    pub denominator: u32,
}

/// `struct v4l2_frmsizeenum`. The union is read as six words: `discrete` uses the first two
/// (width, height), `stepwise` all six (min/max/step width, then min/max/step height).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct FrmSizeEnum {
    pub index: u32,
    pub pixel_format: u32,
    pub kind: u32,
    pub size: [u32; 6],
    pub reserved: [u32; 2],
}

/// `struct v4l2_frmivalenum`. The union is `discrete` (one fraction) or `stepwise` (min,
/// max, step fractions).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct FrmIvalEnum {
    pub index: u32,
    pub pixel_format: u32,
    pub width: u32,
    pub height: u32,
    pub kind: u32,
    pub interval: [Fract; 3],
    pub reserved: [u32; 2],
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct PixFormat {
    pub width: u32,
    pub height: u32,
    pub pixelformat: u32,
    pub field: u32,
    pub bytesperline: u32,
    pub sizeimage: u32,
    pub colorspace: u32,
    pub private: u32,
    pub flags: u32,
    pub ycbcr_enc: u32,
    pub quantization: u32,
    pub xfer_func: u32,
}

/// `struct v4l2_format`: the type, then a 200-byte union. One union member (`v4l2_window`)
/// holds pointers, so the union is pointer-aligned: 4 bytes of padding on 64-bit kernels.
/// `_align` reproduces that without a Rust union; only the `pix` member is used.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Format {
    pub kind: u32,
    _align: [c_ulong; 0],
    pub pix: PixFormat,
    _rest: [u8; 200 - std::mem::size_of::<PixFormat>()],
}

impl Format {
    pub fn capture(pix: PixFormat) -> Format {
        Format { kind: BUF_TYPE_VIDEO_CAPTURE, _align: [], pix, _rest: [0; 152] }
    }
}

/// `struct v4l2_plane_pix_format` (packed in C, but naturally 20 bytes with no padding).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanePixFormat {
    pub sizeimage: u32,
    pub bytesperline: u32,
    pub reserved: [u16; 6],
}

/// `struct v4l2_pix_format_mplane` (packed in C; this order has no padding either). The
/// `ycbcr_enc` byte is a union with `hsv_enc`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct PixFormatMplane {
    pub width: u32,
    pub height: u32,
    pub pixelformat: u32,
    pub field: u32,
    pub colorspace: u32,
    pub plane_fmt: [PlanePixFormat; 8],
    pub num_planes: u8,
    pub flags: u8,
    pub ycbcr_enc: u8,
    pub quantization: u8,
    pub xfer_func: u8,
    pub reserved: [u8; 7],
}

/// `struct v4l2_format` seen through its `pix_mp` member: same size, so the same ioctl
/// numbers as [`Format`].
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct FormatMplane {
    pub kind: u32,
    _align: [c_ulong; 0],
    pub pix_mp: PixFormatMplane,
    _rest: [u8; 200 - std::mem::size_of::<PixFormatMplane>()],
}

impl FormatMplane {
    pub fn new(kind: u32, pix_mp: PixFormatMplane) -> FormatMplane {
        FormatMplane { kind, _align: [], pix_mp, _rest: [0; 8] }
    }
}

/// `struct v4l2_plane`. The `m` union is `mem_offset` (u32), `userptr` (unsigned long) or
/// `fd`, so it is a `c_ulong`: 8 bytes and 8-aligned on x86_64, 4 on 32-bit ARM.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct Plane {
    pub bytesused: u32,
    pub length: u32,
    pub m: c_ulong,
    pub data_offset: u32,
    pub reserved: [u32; 11],
}

impl Plane {
    /// The mmap offset of an MMAP plane (the union's low 32 bits on little-endian).
    #[allow(clippy::unnecessary_cast)]
    pub fn mem_offset(&self) -> u32 {
        self.m as u32
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestBuffers {
    pub count: u32,
    pub kind: u32,
    pub memory: u32,
    pub capabilities: u32,
    pub flags: u8,
    pub reserved: [u8; 3],
}

/// `struct timeval` with the C library's `long`s: 8 bytes on 32-bit ARM, 16 on x86_64.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct Timeval {
    pub sec: c_long,
    pub usec: c_long,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct Timecode {
    pub kind: u32,
    pub flags: u32,
    pub frames: u8,
    pub seconds: u8,
    pub minutes: u8,
    pub hours: u8,
    pub userbits: [u8; 4],
}

/// `struct v4l2_buffer`. The `m` union is `offset` (u32) for mmap buffers but as wide as a
/// pointer (`userptr`, `planes`), so it is a `c_ulong` here; its low 32 bits are the offset
/// on little-endian machines.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct Buffer {
    pub index: u32,
    pub kind: u32,
    pub bytesused: u32,
    pub flags: u32,
    pub field: u32,
    pub timestamp: Timeval,
    pub timecode: Timecode,
    pub sequence: u32,
    pub memory: u32,
    pub m: c_ulong,
    pub length: u32,
    pub reserved2: u32,
    pub request_fd: i32,
}

impl Buffer {
    pub fn mmap_capture(index: u32) -> Buffer {
        Buffer { index, kind: BUF_TYPE_VIDEO_CAPTURE, memory: MEMORY_MMAP, ..Buffer::default() }
    }

    /// The mmap offset the driver chose for this buffer.
    // c_ulong is u32 on 32-bit ARM (the cast is a no-op there) and u64 on x86_64.
    #[allow(clippy::unnecessary_cast)]
    pub fn offset(&self) -> u32 {
        self.m as u32
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct CaptureParm {
    pub capability: u32,
    pub capturemode: u32,
    pub timeperframe: Fract,
    pub extendedmode: u32,
    pub readbuffers: u32,
    pub reserved: [u32; 4],
}

/// `struct v4l2_streamparm`: the type and a 200-byte union of byte-aligned contents.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct StreamParm {
    pub kind: u32,
    pub capture: CaptureParm,
    _rest: [u8; 200 - std::mem::size_of::<CaptureParm>()],
}

impl StreamParm {
    pub fn capture(capture: CaptureParm) -> StreamParm {
        StreamParm { kind: BUF_TYPE_VIDEO_CAPTURE, capture, _rest: [0; 160] }
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct Control {
    pub id: u32,
    pub value: i32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct QueryCtrl {
    pub id: u32,
    pub kind: u32,
    pub name: [u8; 32],
    pub minimum: i32,
    pub maximum: i32,
    pub step: i32,
    pub default_value: i32,
    pub flags: u32,
    pub reserved: [u32; 2],
}

impl Buffer {
    /// A multi-planar MMAP buffer description: `m` points at `planes` and `length` is their
    /// count. The pointer is only valid while `planes` is borrowed, i.e. for one ioctl.
    pub fn mmap_planes(kind: u32, index: u32, planes: &mut [Plane]) -> Buffer {
        Buffer {
            index,
            kind,
            memory: MEMORY_MMAP,
            m: planes.as_mut_ptr() as c_ulong,
            length: planes.len() as u32,
            ..Buffer::default()
        }
    }
}

const V: u8 = b'V';
pub const VIDIOC_QUERYCAP: Opcode = opcode::read::<Capability>(V, 0);
pub const VIDIOC_ENUM_FMT: Opcode = opcode::read_write::<FmtDesc>(V, 2);
pub const VIDIOC_S_FMT: Opcode = opcode::read_write::<Format>(V, 5);
pub const VIDIOC_REQBUFS: Opcode = opcode::read_write::<RequestBuffers>(V, 8);
pub const VIDIOC_QUERYBUF: Opcode = opcode::read_write::<Buffer>(V, 9);
pub const VIDIOC_QBUF: Opcode = opcode::read_write::<Buffer>(V, 15);
pub const VIDIOC_DQBUF: Opcode = opcode::read_write::<Buffer>(V, 17);
pub const VIDIOC_STREAMON: Opcode = opcode::write::<i32>(V, 18);
pub const VIDIOC_STREAMOFF: Opcode = opcode::write::<i32>(V, 19);
pub const VIDIOC_G_PARM: Opcode = opcode::read_write::<StreamParm>(V, 21);
pub const VIDIOC_S_PARM: Opcode = opcode::read_write::<StreamParm>(V, 22);
pub const VIDIOC_S_CTRL: Opcode = opcode::read_write::<Control>(V, 28);
pub const VIDIOC_QUERYCTRL: Opcode = opcode::read_write::<QueryCtrl>(V, 36);
pub const VIDIOC_S_FMT_MPLANE: Opcode = opcode::read_write::<FormatMplane>(V, 5);
pub const VIDIOC_TRY_FMT: Opcode = opcode::read_write::<Format>(V, 64);
pub const VIDIOC_ENUM_FRAMESIZES: Opcode = opcode::read_write::<FrmSizeEnum>(V, 74);
pub const VIDIOC_ENUM_FRAMEINTERVALS: Opcode = opcode::read_write::<FrmIvalEnum>(V, 75);

/// A C string field (NUL-padded bytes) as text.
pub fn c_text(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{align_of, offset_of, size_of};

    /// Sizes that do not depend on the word size (checked against videodev2.h).
    #[test]
    fn fixed_sizes_match_the_kernel() {
        assert_eq!(size_of::<Capability>(), 104);
        assert_eq!(size_of::<FmtDesc>(), 64);
        assert_eq!(size_of::<FrmSizeEnum>(), 44);
        assert_eq!(size_of::<FrmIvalEnum>(), 52);
        assert_eq!(size_of::<PixFormat>(), 48);
        assert_eq!(size_of::<RequestBuffers>(), 20);
        assert_eq!(size_of::<Timecode>(), 16);
        assert_eq!(size_of::<CaptureParm>(), 40);
        assert_eq!(size_of::<StreamParm>(), 204);
        assert_eq!(size_of::<Control>(), 8);
        assert_eq!(size_of::<QueryCtrl>(), 68);
        assert_eq!(size_of::<PlanePixFormat>(), 20);
        assert_eq!(size_of::<PixFormatMplane>(), 192);
        assert_eq!(offset_of!(PixFormatMplane, plane_fmt), 20);
        assert_eq!(offset_of!(PixFormatMplane, num_planes), 180);
        assert_eq!(offset_of!(PixFormatMplane, xfer_func), 184);
        // The multi-planar view of v4l2_format is the same size: same ioctl number.
        assert_eq!(size_of::<FormatMplane>(), size_of::<Format>());
        assert_eq!(offset_of!(FormatMplane, pix_mp), offset_of!(Format, pix));
        assert_eq!(u64::from(VIDIOC_S_FMT_MPLANE), u64::from(VIDIOC_S_FMT));
    }

    #[cfg(target_pointer_width = "64")]
    #[test]
    fn word_sized_layouts_match_a_64_bit_kernel() {
        assert_eq!(size_of::<Format>(), 208);
        assert_eq!(offset_of!(Format, pix), 8);
        assert_eq!(size_of::<Buffer>(), 88);
        assert_eq!(offset_of!(Buffer, timestamp), 24);
        assert_eq!(offset_of!(Buffer, timecode), 40);
        assert_eq!(offset_of!(Buffer, m), 64);
        assert_eq!(offset_of!(Buffer, length), 72);
        assert_eq!(offset_of!(Buffer, request_fd), 80);
        assert_eq!(align_of::<Buffer>(), 8);
        // The numbers v4l2-ctl and strace show on x86_64.
        assert_eq!(u64::from(VIDIOC_S_FMT), 0xC0D0_5605);
        assert_eq!(u64::from(VIDIOC_QUERYBUF), 0xC058_5609);
        assert_eq!(u64::from(VIDIOC_DQBUF), 0xC058_5611);
        assert_eq!(size_of::<Plane>(), 64);
        assert_eq!(offset_of!(Plane, m), 8);
        assert_eq!(offset_of!(Plane, data_offset), 16);
        assert_eq!(align_of::<Plane>(), 8);
    }

    /// 32-bit ARM with 32-bit time_t (Debian armel, arm-unknown-linux-gnueabi): the
    /// VIDIOC_*_TIME32 layout of a 32-bit kernel.
    #[cfg(target_pointer_width = "32")]
    #[test]
    fn word_sized_layouts_match_a_32_bit_kernel() {
        assert_eq!(size_of::<Timeval>(), 8, "32-bit time_t expected");
        assert_eq!(size_of::<Format>(), 204);
        assert_eq!(offset_of!(Format, pix), 4);
        assert_eq!(size_of::<Buffer>(), 68);
        assert_eq!(align_of::<Buffer>(), 4);
        assert_eq!(offset_of!(Buffer, timestamp), 20);
        assert_eq!(offset_of!(Buffer, timecode), 28);
        assert_eq!(offset_of!(Buffer, m), 52);
        assert_eq!(offset_of!(Buffer, length), 56);
        assert_eq!(offset_of!(Buffer, request_fd), 64);
        assert_eq!(u64::from(VIDIOC_S_FMT), 0xC0CC_5605);
        assert_eq!(u64::from(VIDIOC_QUERYBUF), 0xC044_5609);
        assert_eq!(u64::from(VIDIOC_DQBUF), 0xC044_5611);
        assert_eq!(size_of::<Plane>(), 60);
        assert_eq!(offset_of!(Plane, m), 8);
        assert_eq!(offset_of!(Plane, data_offset), 12);
        assert_eq!(align_of::<Plane>(), 4);
    }

    #[test]
    fn ioctl_numbers_that_do_not_depend_on_the_word_size() {
        assert_eq!(u64::from(VIDIOC_QUERYCAP), 0x8068_5600);
        assert_eq!(u64::from(VIDIOC_ENUM_FMT), 0xC040_5602);
        assert_eq!(u64::from(VIDIOC_REQBUFS), 0xC014_5608);
        assert_eq!(u64::from(VIDIOC_STREAMON), 0x4004_5612);
        assert_eq!(u64::from(VIDIOC_STREAMOFF), 0x4004_5613);
        assert_eq!(u64::from(VIDIOC_S_PARM), 0xC0CC_5616);
        assert_eq!(u64::from(VIDIOC_S_CTRL), 0xC008_561C);
        assert_eq!(u64::from(VIDIOC_QUERYCTRL), 0xC044_5624);
        assert_eq!(u64::from(VIDIOC_ENUM_FRAMESIZES), 0xC02C_564A);
        assert_eq!(u64::from(VIDIOC_ENUM_FRAMEINTERVALS), 0xC034_564B);
    }

    #[test]
    fn fourcc_codes() {
        assert_eq!(PIX_FMT_MJPEG, 0x4750_4A4D);
        assert_eq!(PIX_FMT_YUYV, 0x5659_5559);
        assert_eq!(c_text(b"uvcvideo\0\0\0"), "uvcvideo");
        assert_eq!(c_text(b"full"), "full");
    }
}
