//! An open V4L2 device node and safe wrappers around the ioctls zerocam makes on it.
//!
//! Every wrapper passes a struct of exactly the kernel's layout (abi.rs, size-tested) with
//! the matching ioctl number, which is what makes the `unsafe` calls sound.

use super::abi::{self, Buffer, Capability, Control, FmtDesc, Format, FrmIvalEnum, FrmSizeEnum, QueryCtrl};
use super::abi::{RequestBuffers, StreamParm};
use super::error::{Failure, V4l2Error};
use rustix::event::{poll, PollFd, PollFlags, Timespec};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use rustix::ioctl::{ioctl, Opcode, Setter, Updater};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub struct Device {
    path: PathBuf,
    fd: OwnedFd,
}

impl Device {
    /// Opens the node non-blocking: DQBUF then returns EAGAIN instead of hanging, and frames
    /// are waited for with poll() and a timeout (a stalled camera must not hang the thread).
    pub fn open(path: &Path) -> Result<Device, V4l2Error> {
        let flags = OFlags::RDWR | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let fd = rustix::fs::open(path, flags, Mode::empty())
            .map_err(|errno| V4l2Error::new(path, Failure::Open(errno)))?;
        Ok(Device { path: path.to_path_buf(), fd })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Dequeues a finished buffer with `dequeue`, waiting up to `timeout` for one (POLLIN:
    /// on a capture device a filled frame, on an M2M device a filled CAPTURE buffer).
    /// `Ok(None)`: nothing came in time; an error or hang-up from poll() without a buffer
    /// is a device failure.
    ///
    /// poll() first, then one VIDIOC_DQBUF: a camera's next frame is almost never ready
    /// the moment the last one was handed back, so trying DQBUF first cost a failed ioctl
    /// per frame, a system call being most of the passthrough camera thread's work next to
    /// its one copy (ci/bench-peer prints that thread's time). A buffer that is ready
    /// makes poll() return at once.
    pub fn dequeue_within<T>(
        &self,
        timeout: Duration,
        mut dequeue: impl FnMut() -> Result<Option<T>, V4l2Error>,
    ) -> Result<Option<T>, V4l2Error> {
        // Only absurd durations fail to convert; a second is then a safe wait.
        let timeout = Timespec::try_from(timeout).unwrap_or(Timespec { tv_sec: 1, tv_nsec: 0 });
        let fd = self.fd();
        let mut fds = [PollFd::new(&fd, PollFlags::IN)];
        match poll(&mut fds, Some(&timeout)) {
            Ok(0) | Err(Errno::INTR) => return Ok(None),
            Ok(_) => {}
            Err(errno) => return Err(self.error(Failure::Poll(errno))),
        }
        let events = fds[0].revents();
        match dequeue()? {
            Some(done) => Ok(Some(done)),
            None if events.intersects(PollFlags::ERR | PollFlags::HUP | PollFlags::NVAL) => {
                Err(self.error(Failure::DeviceError))
            }
            None => Ok(None),
        }
    }

    pub fn error(&self, failure: Failure) -> V4l2Error {
        V4l2Error::new(&self.path, failure)
    }

    /// Runs an updater ioctl (the kernel reads and writes `value`), retrying on EINTR.
    fn update<const OPCODE: Opcode, T>(&self, value: &mut T) -> Result<(), Errno> {
        loop {
            // SAFETY: every caller pairs OPCODE with the abi.rs struct of the kernel's layout
            // for that ioctl; the kernel writes at most size_of::<T>() bytes (encoded in the
            // ioctl number) into `value`, which is a live, exclusive borrow.
            let result = unsafe { ioctl(&self.fd, Updater::<OPCODE, T>::new(value)) };
            match result {
                Err(Errno::INTR) => continue,
                other => return other,
            }
        }
    }

    fn step(&self, what: &'static str, call: &'static str) -> impl Fn(Errno) -> V4l2Error + '_ {
        move |errno| self.error(Failure::Ioctl { what, call, errno })
    }

    pub fn query_capability(&self) -> Result<Capability, V4l2Error> {
        let mut caps = Capability {
            driver: [0; 16],
            card: [0; 32],
            bus_info: [0; 32],
            version: 0,
            capabilities: 0,
            device_caps: 0,
            reserved: [0; 3],
        };
        // QUERYCAP is a read-only ioctl for the kernel (_IOR) but filling a struct is an
        // update from our side; the Updater pattern passes the same pointer.
        self.update::<{ abi::VIDIOC_QUERYCAP }, _>(&mut caps)
            .map_err(self.step("querying capabilities", "VIDIOC_QUERYCAP"))?;
        Ok(caps)
    }

    /// The `index`-th capture format, or `None` past the last one.
    pub fn format_at(&self, index: u32) -> Result<Option<FmtDesc>, V4l2Error> {
        let mut desc = FmtDesc {
            index,
            kind: abi::BUF_TYPE_VIDEO_CAPTURE,
            flags: 0,
            description: [0; 32],
            pixelformat: 0,
            mbus_code: 0,
            reserved: [0; 3],
        };
        match self.update::<{ abi::VIDIOC_ENUM_FMT }, _>(&mut desc) {
            Ok(()) => Ok(Some(desc)),
            Err(Errno::INVAL) => Ok(None),
            Err(errno) => Err(self.step("listing formats", "VIDIOC_ENUM_FMT")(errno)),
        }
    }

    pub fn frame_size_at(&self, fourcc: u32, index: u32) -> Result<Option<FrmSizeEnum>, V4l2Error> {
        let mut size = FrmSizeEnum { index, pixel_format: fourcc, kind: 0, size: [0; 6], reserved: [0; 2] };
        match self.update::<{ abi::VIDIOC_ENUM_FRAMESIZES }, _>(&mut size) {
            Ok(()) => Ok(Some(size)),
            // INVAL ends the list; NOTTY: the driver does not enumerate sizes at all.
            Err(Errno::INVAL | Errno::NOTTY) => Ok(None),
            Err(errno) => Err(self.step("listing frame sizes", "VIDIOC_ENUM_FRAMESIZES")(errno)),
        }
    }

    pub fn frame_interval_at(
        &self,
        fourcc: u32,
        width: u32,
        height: u32,
        index: u32,
    ) -> Result<Option<FrmIvalEnum>, V4l2Error> {
        let mut interval = FrmIvalEnum {
            index,
            pixel_format: fourcc,
            width,
            height,
            kind: 0,
            interval: [abi::Fract::default(); 3],
            reserved: [0; 2],
        };
        match self.update::<{ abi::VIDIOC_ENUM_FRAMEINTERVALS }, _>(&mut interval) {
            Ok(()) => Ok(Some(interval)),
            Err(Errno::INVAL | Errno::NOTTY) => Ok(None),
            Err(errno) => Err(self.step("listing frame intervals", "VIDIOC_ENUM_FRAMEINTERVALS")(errno)),
        }
    }

    /// Asks for a format; the driver adjusts it to what it can do and returns that.
    pub fn set_format(&self, pix: abi::PixFormat) -> Result<abi::PixFormat, V4l2Error> {
        let mut format = Format::capture(pix);
        self.update::<{ abi::VIDIOC_S_FMT }, _>(&mut format)
            .map_err(self.step("setting the format", "VIDIOC_S_FMT"))?;
        Ok(format.pix)
    }

    /// What the driver would make of a format, without changing anything.
    pub fn try_format(&self, pix: abi::PixFormat) -> Result<abi::PixFormat, V4l2Error> {
        let mut format = Format::capture(pix);
        self.update::<{ abi::VIDIOC_TRY_FMT }, _>(&mut format)
            .map_err(self.step("trying a format", "VIDIOC_TRY_FMT"))?;
        Ok(format.pix)
    }

    pub fn stream_parm(&self) -> Result<StreamParm, V4l2Error> {
        let mut parm = StreamParm::capture(abi::CaptureParm::default());
        self.update::<{ abi::VIDIOC_G_PARM }, _>(&mut parm)
            .map_err(self.step("reading the frame rate", "VIDIOC_G_PARM"))?;
        Ok(parm)
    }

    /// Sets the frame interval; returns the one the driver chose.
    pub fn set_frame_interval(&self, interval: abi::Fract) -> Result<abi::Fract, V4l2Error> {
        let mut parm = StreamParm::capture(abi::CaptureParm { timeperframe: interval, ..Default::default() });
        self.update::<{ abi::VIDIOC_S_PARM }, _>(&mut parm)
            .map_err(self.step("setting the frame rate", "VIDIOC_S_PARM"))?;
        Ok(parm.capture.timeperframe)
    }

    pub fn request_buffers(&self, count: u32) -> Result<u32, V4l2Error> {
        let mut request = RequestBuffers {
            count,
            kind: abi::BUF_TYPE_VIDEO_CAPTURE,
            memory: abi::MEMORY_MMAP,
            ..Default::default()
        };
        self.update::<{ abi::VIDIOC_REQBUFS }, _>(&mut request)
            .map_err(self.step("requesting capture buffers", "VIDIOC_REQBUFS"))?;
        Ok(request.count)
    }

    pub fn query_buffer(&self, index: u32) -> Result<Buffer, V4l2Error> {
        let mut buffer = Buffer::mmap_capture(index);
        self.update::<{ abi::VIDIOC_QUERYBUF }, _>(&mut buffer)
            .map_err(self.step("querying a capture buffer", "VIDIOC_QUERYBUF"))?;
        Ok(buffer)
    }

    pub fn queue_buffer(&self, index: u32) -> Result<(), V4l2Error> {
        let mut buffer = Buffer::mmap_capture(index);
        self.update::<{ abi::VIDIOC_QBUF }, _>(&mut buffer)
            .map_err(self.step("queueing a capture buffer", "VIDIOC_QBUF"))
    }

    /// Takes a filled buffer, or `None` when none is ready yet (EAGAIN: the fd is non-blocking).
    pub fn dequeue_buffer(&self) -> Result<Option<Buffer>, V4l2Error> {
        let mut buffer = Buffer::mmap_capture(0);
        match self.update::<{ abi::VIDIOC_DQBUF }, _>(&mut buffer) {
            Ok(()) => Ok(Some(buffer)),
            Err(Errno::AGAIN) => Ok(None),
            Err(errno) => Err(self.step("taking a frame", "VIDIOC_DQBUF")(errno)),
        }
    }

    pub fn stream_on(&self) -> Result<(), V4l2Error> {
        self.set_int::<{ abi::VIDIOC_STREAMON }>(abi::BUF_TYPE_VIDEO_CAPTURE as i32)
            .map_err(self.step("starting the stream", "VIDIOC_STREAMON"))
    }

    pub fn stream_off(&self) -> Result<(), V4l2Error> {
        self.set_int::<{ abi::VIDIOC_STREAMOFF }>(abi::BUF_TYPE_VIDEO_CAPTURE as i32)
            .map_err(self.step("stopping the stream", "VIDIOC_STREAMOFF"))
    }

    fn set_int<const OPCODE: Opcode>(&self, value: i32) -> Result<(), Errno> {
        // SAFETY: STREAMON/STREAMOFF take a pointer to an int (_IOW with size 4), which
        // Setter passes; the kernel only reads it.
        unsafe { ioctl(&self.fd, Setter::<OPCODE, i32>::new(value)) }
    }

    /// The control's range, or `None` when the device has no such control (or it is
    /// disabled).
    pub fn query_control(&self, id: u32) -> Result<Option<QueryCtrl>, V4l2Error> {
        let mut query = QueryCtrl {
            id,
            kind: 0,
            name: [0; 32],
            minimum: 0,
            maximum: 0,
            step: 0,
            default_value: 0,
            flags: 0,
            reserved: [0; 2],
        };
        match self.update::<{ abi::VIDIOC_QUERYCTRL }, _>(&mut query) {
            Ok(()) if query.flags & abi::CTRL_FLAG_DISABLED == 0 => Ok(Some(query)),
            Ok(()) | Err(Errno::INVAL | Errno::NOTTY) => Ok(None),
            Err(errno) => Err(self.step("querying a control", "VIDIOC_QUERYCTRL")(errno)),
        }
    }

    pub fn set_control(&self, id: u32, value: i32) -> Result<(), Errno> {
        let mut control = Control { id, value };
        self.update::<{ abi::VIDIOC_S_CTRL }, _>(&mut control)
    }
}
