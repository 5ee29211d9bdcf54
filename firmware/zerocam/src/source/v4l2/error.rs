//! Why a V4L2 camera is unusable, worded for the "no camera: <reason>" card and /status.

use rustix::io::Errno;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A failure of one device, with its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V4l2Error {
    pub path: PathBuf,
    pub failure: Failure,
}

/// What failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Open(Errno),
    /// An ioctl failed; `what` says which step in words, `call` names the ioctl.
    Ioctl {
        what: &'static str,
        call: &'static str,
        errno: Errno,
    },
    /// The node is not a single-planar video capture device (a metadata node, an encoder...).
    NotCapture {
        capabilities: u32,
    },
    NoStreaming,
    /// None of the offered pixel formats is one zerocam can pass through or encode.
    NoUsableFormat {
        offered: String,
    },
    /// The driver answered with something zerocam cannot use (a format it did not ask for).
    Unexpected(String),
    Map(Errno),
    Poll(Errno),
    /// No frame arrived for this long: the camera stalled.
    Stalled(Duration),
    /// Frames arrive but for this long every one was corrupt or too large for a slot.
    OnlyBadFrames(Duration),
    /// poll() reported an error condition on the device (typically: unplugged).
    DeviceError,
}

impl V4l2Error {
    pub fn new(path: &Path, failure: Failure) -> V4l2Error {
        V4l2Error { path: path.to_path_buf(), failure }
    }

    /// The errno behind the failure, if there is one.
    pub fn errno(&self) -> Option<Errno> {
        match self.failure {
            Failure::Open(errno) | Failure::Map(errno) | Failure::Poll(errno) => Some(errno),
            Failure::Ioctl { errno, .. } => Some(errno),
            _ => None,
        }
    }
}

impl fmt::Display for V4l2Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.failure)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Open(errno) => write!(f, "cannot open: {}", describe(*errno)),
            Failure::Ioctl { what, call, errno } => write!(f, "{what} ({call}) failed: {}", describe(*errno)),
            Failure::NotCapture { capabilities } => {
                write!(f, "not a video capture device (capabilities {capabilities:#010x})")
            }
            Failure::NoStreaming => f.write_str("the device cannot stream (no V4L2_CAP_STREAMING)"),
            Failure::NoUsableFormat { offered } => {
                write!(f, "no usable format (offered: {offered}; need MJPG, JPEG, YUYV, NV12, YU12 or GREY)")
            }
            Failure::Unexpected(what) => f.write_str(what),
            Failure::Map(errno) => write!(f, "cannot map a capture buffer: {}", describe(*errno)),
            Failure::Poll(errno) => write!(f, "waiting for a frame failed: {}", describe(*errno)),
            Failure::Stalled(waited) => {
                write!(f, "no frame for {:.1} s (camera stalled)", waited.as_secs_f32())
            }
            Failure::OnlyBadFrames(during) => write!(
                f,
                "every frame for {:.1} s was corrupt or too large (see dropped counts)",
                during.as_secs_f32()
            ),
            Failure::DeviceError => f.write_str("the device reported an error (unplugged?)"),
        }
    }
}

impl std::error::Error for V4l2Error {}

/// "No such file or directory (os error 2)": the words and the number, for bug reports.
fn describe(errno: Errno) -> String {
    std::io::Error::from_raw_os_error(errno.raw_os_error()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_device_the_step_and_the_errno() {
        let missing = V4l2Error::new(Path::new("/dev/video9"), Failure::Open(Errno::NOENT));
        let text = missing.to_string();
        assert!(text.starts_with("/dev/video9: cannot open: "), "{text}");
        assert!(text.contains("os error 2"), "{text}");
        let busy = V4l2Error::new(
            Path::new("/dev/video0"),
            Failure::Ioctl { what: "setting the format", call: "VIDIOC_S_FMT", errno: Errno::BUSY },
        );
        assert!(busy.to_string().contains("VIDIOC_S_FMT"), "{busy}");
        assert_eq!(busy.errno(), Some(Errno::BUSY));
        let stalled = Failure::Stalled(Duration::from_millis(2080)).to_string();
        assert_eq!(stalled, "no frame for 2.1 s (camera stalled)");
    }
}
