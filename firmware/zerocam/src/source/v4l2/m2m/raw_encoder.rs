//! Who encodes a camera's raw frames: the memory-to-memory encoder when there is a usable
//! one, the software encoder otherwise, and the software encoder again, for good, as soon
//! as the hardware fails (a busy or stuck codec must never mean a dead camera).

use super::super::frames::{encode_raw, RawLayout};
use super::codec::CodecDevice;
use super::discover;
use super::encoder::{EncodeFailure, M2mJpegEncoder, ENCODE_TIMEOUT};
use super::select::{plan, Plan};
use crate::config::{EncoderSetting, Resolution};
use crate::jpeg::JpegEncoder;
use crate::pool::Dropped;
use std::path::Path;

pub struct RawEncoder {
    camera: String,
    software: JpegEncoder,
    hardware: Option<M2mJpegEncoder<CodecDevice>>,
    /// "by /dev/video31 (bcm2835-codec)" or "in software", for logs and /status.
    description: String,
    /// The encoder switched since [`RawEncoder::take_change`] was last asked.
    changed: bool,
}

/// The camera's raw frames, as the encoder needs to know them.
#[derive(Debug, Clone, Copy)]
pub struct RawFormat {
    pub fourcc: u32,
    pub size: Resolution,
}

impl RawEncoder {
    /// Software only, without looking for devices (cameras that send JPEG never encode).
    pub fn software(software: JpegEncoder) -> RawEncoder {
        RawEncoder {
            camera: String::new(),
            software,
            hardware: None,
            description: "in software".to_string(),
            changed: false,
        }
    }

    /// Opens the encoder `setting` asks for, or settles on software and logs why.
    pub fn open(
        camera: &str,
        setting: &EncoderSetting,
        camera_path: &Path,
        format: RawFormat,
        quality: u8,
        software: JpegEncoder,
    ) -> RawEncoder {
        let mut encoder = RawEncoder::software(software);
        encoder.camera = camera.to_string();
        let path = match plan(setting, format.fourcc, || discover::scan(camera_path), discover::describe) {
            Plan::Try(path) => path,
            Plan::Software(why) => {
                log::info!("camera {camera}: encoding in software: {why}");
                return encoder;
            }
        };
        match CodecDevice::open(&path, format.fourcc, format.size, quality) {
            Ok(configured) => {
                if let Some(problem) = configured.quality_problem {
                    log::warn!("camera {camera}: encoder quality not set: {problem}");
                }
                encoder.description = format!("by {} ({})", path.display(), configured.driver);
                log::info!("camera {camera}: encoding {}", encoder.description);
                encoder.hardware =
                    Some(M2mJpegEncoder::new(configured.codec, configured.layout, ENCODE_TIMEOUT));
            }
            Err(err) => log::warn!("camera {camera}: encoding in software: {err}"),
        }
        encoder
    }

    pub fn describe(&self) -> &str {
        &self.description
    }

    /// Whether the encoder changed (hardware gave up) since the last call.
    pub fn take_change(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }

    /// Encodes one raw frame into `slot`. A hardware failure is logged once, the encoder
    /// is closed, and this same frame is encoded in software instead.
    pub fn encode(&mut self, layout: &RawLayout, data: &[u8], slot: &mut [u8]) -> Result<usize, Dropped> {
        if let Some(hardware) = &mut self.hardware {
            match hardware.encode(layout, data, slot) {
                Ok(len) => return Ok(len),
                Err(EncodeFailure::Frame(why)) => return Err(why),
                Err(EncodeFailure::Device(err)) => {
                    log::warn!(
                        "camera {}: hardware JPEG encoder failed, encoding in software from now on: {err}",
                        self.camera
                    );
                    self.hardware = None;
                    self.description = "in software".to_string();
                    self.changed = true;
                }
            }
        }
        encode_raw(&self.software, layout, data, slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::jpeg_stream::looks_whole;
    use crate::source::v4l2::abi;
    use crate::source::v4l2::negotiate::PixelKind;

    fn open(setting: EncoderSetting) -> RawEncoder {
        let format = RawFormat { fourcc: abi::PIX_FMT_YUYV, size: Resolution { width: 32, height: 16 } };
        RawEncoder::open("test", &setting, Path::new("/dev/video0"), format, 80, JpegEncoder::new(80))
    }

    #[test]
    fn without_a_usable_device_frames_are_encoded_in_software() {
        let missing = EncoderSetting::Device("/dev/no-such-encoder".into());
        for mut encoder in [open(EncoderSetting::Software), open(missing)] {
            assert_eq!(encoder.describe(), "in software");
            assert!(!encoder.take_change());
            let layout = RawLayout {
                kind: PixelKind::Yuyv,
                size: Resolution { width: 32, height: 16 },
                bytes_per_line: 0,
            };
            let mut slot = vec![0u8; 16 * 1024];
            let len = encoder.encode(&layout, &[128u8; 32 * 16 * 2], &mut slot).expect("encodes");
            assert!(looks_whole(&slot[..len]));
        }
    }
}
