//! Picks the camera and configures one YUV420 video stream at the configured size, with
//! mirroring through the configuration's orientation.

use super::controls::orientation;
use super::error::SessionError;
use super::plan::Flip;
use crate::config::Resolution;
use ::libcamera::camera::{ActiveCamera, Camera, CameraConfiguration, CameraConfigurationStatus};
use ::libcamera::camera_manager::CameraManager;
use ::libcamera::geometry::Size;
use ::libcamera::pixel_format::PixelFormat;
use ::libcamera::stream::{Stream, StreamRole};

/// libcamera's YUV420 (fourcc YU12, no modifier). Spelled out because libcamera-rs 0.7's
/// generated `formats` module comes out empty for headers that write `PixelFormat NAME{...}`,
/// as libcamera 0.4 does.
const YUV420: PixelFormat = PixelFormat::new(u32::from_le_bytes(*b"YU12"), 0);

/// Frame buffers per stream: enough for one being encoded, one being filled and one queued
/// ahead, while each 1080p buffer (3 MB of CMA) is precious on a 512 MB Pi Zero.
const BUFFERS: u32 = 4;

/// The camera with `id`, or the first one libcamera lists.
pub fn pick_camera<'a>(manager: &CameraManager, id: Option<&str>) -> Result<Camera<'a>, SessionError> {
    let cameras = manager.cameras();
    match id {
        Some(id) => manager.get(id).ok_or_else(|| SessionError::NoSuchCamera {
            id: id.to_string(),
            available: if cameras.is_empty() {
                "none".to_string()
            } else {
                cameras.iter().map(|camera| camera.id().to_string()).collect::<Vec<_>>().join(", ")
            },
        }),
        None => cameras.get(0).ok_or(SessionError::NoCameras),
    }
}

/// What the configured stream turned out to be.
pub struct Configured {
    /// Kept alive: libcamera's stream objects belong to the applied configuration.
    pub _configuration: CameraConfiguration,
    pub stream: Stream,
    pub size: Resolution,
    /// Bytes per Y row.
    pub stride: u32,
}

pub fn configure(
    camera: &mut ActiveCamera<'_>,
    size: Resolution,
    flip: Flip,
) -> Result<Configured, SessionError> {
    let id = camera.id().to_string();
    // VideoRecording: on the Raspberry Pi pipeline this is the ISP's YUV420 output with
    // video-grade denoise, the stream rpicam-vid uses.
    let mut configuration = camera
        .generate_configuration(&[StreamRole::VideoRecording])
        .ok_or_else(|| SessionError::NoConfiguration { id: id.clone() })?;
    {
        let mut stream =
            configuration.get_mut(0).ok_or_else(|| SessionError::NoConfiguration { id: id.clone() })?;
        stream.set_pixel_format(YUV420);
        stream.set_size(Size::new(size.width, size.height));
        stream.set_buffer_count(BUFFERS);
    }
    let wanted_orientation = orientation(flip);
    configuration.set_orientation(wanted_orientation);
    match configuration.validate() {
        CameraConfigurationStatus::Valid => {}
        CameraConfigurationStatus::Adjusted => {
            log::info!("camera {id}: configuration adjusted: {configuration:?}")
        }
        CameraConfigurationStatus::Invalid => return Err(SessionError::Unsupported { id, size }),
    }
    let got = configuration.get(0).map(|stream| stream.get_pixel_format());
    if got != Some(YUV420) {
        return Err(SessionError::NotYuv420 { id, got: format!("{got:?}") });
    }
    if configuration.orientation() != wanted_orientation {
        log::warn!(
            "camera {id}: cannot mirror as configured (hflip/vflip); got {:?}",
            configuration.orientation()
        );
    }
    camera.configure(&mut configuration).map_err(SessionError::Configure)?;

    let stream_config =
        configuration.get(0).ok_or_else(|| SessionError::NoConfiguration { id: id.clone() })?;
    let stream = stream_config.stream().ok_or_else(|| SessionError::NoConfiguration { id: id.clone() })?;
    let actual = stream_config.get_size();
    let stride = stream_config.get_stride();
    let actual = Resolution { width: actual.width, height: actual.height };
    if actual != size {
        log::warn!("camera {id}: delivers {actual} instead of the configured {size}");
    }
    Ok(Configured { _configuration: configuration, stream, size: actual, stride })
}
