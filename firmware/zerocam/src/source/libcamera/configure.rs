//! Picks the camera and configures one 4:2:0 video stream at the configured size, with
//! mirroring through the configuration's orientation. YUV420 is asked for (the Raspberry Pi
//! ISP's native output); NV12 is taken when the camera offers that instead (libcamera's
//! virtual pipeline, many other ISPs).

use super::controls::orientation;
use super::error::SessionError;
use super::layout::YuvFormat;
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
const NV12: PixelFormat = PixelFormat::new(u32::from_le_bytes(*b"NV12"), 0);

fn yuv_format(format: PixelFormat) -> Option<YuvFormat> {
    // PixelFormat's PartialEq is hand-written, so no `match` on the constants.
    if format == YUV420 {
        Some(YuvFormat::I420)
    } else if format == NV12 {
        Some(YuvFormat::Nv12)
    } else {
        None
    }
}

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
    pub format: YuvFormat,
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
    let Some(format) = got.and_then(yuv_format) else {
        let got = got.map_or_else(|| "no format".to_string(), |format| format!("{format:?}"));
        return Err(SessionError::NotYuv { id, got });
    };
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
    Ok(Configured { _configuration: configuration, stream, size: actual, format, stride })
}
