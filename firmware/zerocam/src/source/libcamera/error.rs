//! Why a libcamera session ended. The text becomes the camera's fault (in /status) and the
//! "no camera: ..." card, so each says what failed in words a user can act on.

use super::layout::LayoutError;
use crate::config::Resolution;
use std::fmt;
use std::io;

#[derive(Debug)]
pub enum SessionError {
    /// CameraManager::start failed; ENODEV means no media device exists at all.
    Manager(io::Error),
    NoCameras,
    NoSuchCamera {
        id: String,
        available: String,
    },
    Acquire {
        id: String,
        err: io::Error,
    },
    NoConfiguration {
        id: String,
    },
    Unsupported {
        id: String,
        size: Resolution,
    },
    NoUsableFormat {
        id: String,
        got: String,
    },
    Configure(io::Error),
    Allocate(io::Error),
    Layout(LayoutError),
    Map {
        len: usize,
        err: io::Error,
    },
    CreateRequest,
    AddBuffer(io::Error),
    Start(io::Error),
    Queue(io::Error),
    Disconnected,
    Stalled {
        secs: u64,
    },
    RequestsFailing {
        count: u32,
        last: &'static str,
    },
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::Manager(err) if err.raw_os_error() == Some(libc::ENODEV) => f.write_str(
                "libcamera found no media devices (camera driver not loaded, or camera not connected)",
            ),
            SessionError::Manager(err) => write!(f, "cannot start libcamera: {err}"),
            SessionError::NoCameras => {
                f.write_str("libcamera found no cameras (is the ribbon cable seated?)")
            }
            SessionError::NoSuchCamera { id, available } => {
                write!(f, "no camera with id {id:?}; libcamera has: {available}")
            }
            SessionError::Acquire { id, err } => write!(f, "camera {id} is busy or gone: {err}"),
            SessionError::NoConfiguration { id } => write!(f, "camera {id} offers no video stream"),
            SessionError::Unsupported { id, size } => {
                write!(f, "camera {id} cannot deliver YUV420, NV12, BGR888 or RGB888 at {size}")
            }
            SessionError::NoUsableFormat { id, got } => {
                write!(f, "camera {id} offers {got}, none of YUV420, NV12, BGR888 or RGB888")
            }
            SessionError::Configure(err) => write!(f, "cannot configure the camera: {err}"),
            SessionError::Allocate(err) => write!(f, "cannot allocate frame buffers: {err}"),
            SessionError::Layout(err) => write!(f, "unusable frame buffer: {err}"),
            SessionError::Map { len, err } => write!(f, "cannot map a {len}-byte frame buffer: {err}"),
            SessionError::CreateRequest => f.write_str("cannot create a capture request"),
            SessionError::AddBuffer(err) => write!(f, "cannot attach a buffer to a request: {err}"),
            SessionError::Start(err) => write!(f, "cannot start the camera: {err}"),
            SessionError::Queue(err) => write!(f, "cannot queue a capture request: {err}"),
            SessionError::Disconnected => f.write_str("camera disconnected"),
            SessionError::Stalled { secs } => write!(f, "camera delivered no frame for {secs} s"),
            SessionError::RequestsFailing { count, last } => {
                write!(f, "{count} capture requests in a row failed (the last: {last})")
            }
        }
    }
}

impl std::error::Error for SessionError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enodev_from_the_manager_reads_as_no_camera_hardware() {
        let text = SessionError::Manager(io::Error::from_raw_os_error(libc::ENODEV)).to_string();
        assert!(text.contains("no media devices"), "{text}");
        let other = SessionError::Manager(io::Error::from_raw_os_error(libc::EACCES)).to_string();
        assert!(other.starts_with("cannot start libcamera"), "{other}");
    }
}
