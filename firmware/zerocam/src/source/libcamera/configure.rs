//! Picks the camera and configures one video stream at the configured size, with mirroring
//! through the configuration's orientation. Of the formats the camera lists, the first of
//! YUV420 (the Raspberry Pi ISP's native output), NV12 (libcamera's virtual pipeline, many
//! other ISPs), BGR888 and RGB888 (vimc, the software ISP) is asked for; whatever the camera
//! then settles on must be one of them.

use super::controls::orientation;
use super::error::SessionError;
use super::layout::StreamFormat;
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
/// libcamera's BGR888 (DRM BG24): bytes R, G, B in memory.
const BGR888: PixelFormat = PixelFormat::new(u32::from_le_bytes(*b"BG24"), 0);
/// libcamera's RGB888 (DRM RG24): bytes B, G, R in memory.
const RGB888: PixelFormat = PixelFormat::new(u32::from_le_bytes(*b"RG24"), 0);

/// The formats the source takes, the one it prefers first.
const FORMATS: [(PixelFormat, StreamFormat); 4] = [
    (YUV420, StreamFormat::I420),
    (NV12, StreamFormat::Nv12),
    (BGR888, StreamFormat::Bgr888),
    (RGB888, StreamFormat::Rgb888),
];

fn stream_format(format: PixelFormat) -> Option<StreamFormat> {
    // PixelFormat's PartialEq is hand-written, so no `match` on the constants.
    FORMATS.iter().find(|(known, _)| *known == format).map(|&(_, format)| format)
}

/// The first of [`FORMATS`] that `offered` lists; YUV420 when it lists none of them (or
/// nothing), so that validation adjusts it to what the camera has.
fn preferred(offered: &[PixelFormat]) -> PixelFormat {
    FORMATS.iter().map(|&(format, _)| format).find(|format| offered.contains(format)).unwrap_or(YUV420)
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
    pub format: StreamFormat,
    /// Bytes per Y (or RGB) row.
    pub stride: u32,
}

pub fn configure(
    camera: &mut ActiveCamera<'_>,
    size: Resolution,
    flip: Flip,
) -> Result<Configured, SessionError> {
    let id = camera.id().to_string();
    // VideoRecording: on the Raspberry Pi pipeline this is the ISP's YUV420 output with
    // video-grade denoise, the stream rpicam-vid uses. vimc and the software ISP offer
    // BGR888 and RGB888 only.
    let mut configuration = camera
        .generate_configuration(&[StreamRole::VideoRecording])
        .ok_or_else(|| SessionError::NoConfiguration { id: id.clone() })?;
    {
        let mut stream =
            configuration.get_mut(0).ok_or_else(|| SessionError::NoConfiguration { id: id.clone() })?;
        let offered: Vec<PixelFormat> = stream.formats().pixel_formats().into_iter().collect();
        stream.set_pixel_format(preferred(&offered));
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
    let Some(format) = got.and_then(stream_format) else {
        let got = got.map_or_else(|| "no format".to_string(), |format| format!("{format:?}"));
        return Err(SessionError::NoUsableFormat { id, got });
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
