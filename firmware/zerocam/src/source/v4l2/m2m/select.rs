//! What the `encoder` key asks for, turned into "try this device" or "software, because".
//! Pure over its two look-ups, so every branch is tested without devices.

use super::super::enumerate::Fourcc;
use super::super::error::V4l2Error;
use super::discover::{choose, CodecCandidate};
use crate::config::EncoderSetting;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Open this encoder (and fall back to software if that fails).
    Try(PathBuf),
    /// Encode in software; the reason is logged.
    Software(String),
}

/// `scan` lists the candidates (for "auto"); `describe` reads one named node.
pub fn plan(
    setting: &EncoderSetting,
    fourcc: u32,
    scan: impl FnOnce() -> Vec<CodecCandidate>,
    describe: impl FnOnce(&Path) -> Result<CodecCandidate, V4l2Error>,
) -> Plan {
    match setting {
        EncoderSetting::Software => Plan::Software("encoder = \"software\" in the config".to_string()),
        EncoderSetting::Auto => match choose(&scan(), fourcc) {
            Some(found) => Plan::Try(found.path.clone()),
            None => Plan::Software(format!("no memory-to-memory JPEG encoder accepts {}", Fourcc(fourcc))),
        },
        EncoderSetting::Device(path) => match describe(path) {
            Err(err) => Plan::Software(err.to_string()),
            Ok(candidate) => match candidate.unsuitable_for(fourcc) {
                Some(why) => Plan::Software(why),
                None => Plan::Try(path.clone()),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::v4l2::abi;
    use crate::source::v4l2::error::Failure;
    use rustix::io::Errno;

    fn image_encoder() -> CodecCandidate {
        CodecCandidate {
            path: "/dev/video31".into(),
            driver: "bcm2835-codec".into(),
            card: "bcm2835-codec-image_encode".into(),
            capabilities: abi::CAP_VIDEO_M2M_MPLANE | abi::CAP_STREAMING,
            raw_formats: vec![abi::PIX_FMT_YUYV],
            coded_formats: vec![abi::PIX_FMT_JPEG],
        }
    }

    fn unused(_: &Path) -> Result<CodecCandidate, V4l2Error> {
        panic!("describe must not be called")
    }

    #[test]
    fn auto_uses_a_found_encoder_or_says_why_not() {
        let yuyv = abi::PIX_FMT_YUYV;
        assert_eq!(
            plan(&EncoderSetting::Auto, yuyv, || vec![image_encoder()], unused),
            Plan::Try("/dev/video31".into())
        );
        match plan(&EncoderSetting::Auto, abi::PIX_FMT_NV12, || vec![image_encoder()], unused) {
            Plan::Software(why) => assert!(why.contains("accepts NV12"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(plan(&EncoderSetting::Auto, yuyv, Vec::new, unused), Plan::Software(_)));
    }

    #[test]
    fn software_never_looks_at_devices() {
        let plan = plan(&EncoderSetting::Software, abi::PIX_FMT_YUYV, || panic!("no scan"), unused);
        assert!(matches!(plan, Plan::Software(why) if why.contains("software")));
    }

    #[test]
    fn a_named_device_is_checked_before_use() {
        let setting = EncoderSetting::Device("/dev/video31".into());
        let yuyv = abi::PIX_FMT_YUYV;
        let found = plan(&setting, yuyv, || panic!("no scan"), |_| Ok(image_encoder()));
        assert_eq!(found, Plan::Try("/dev/video31".into()));
        let missing =
            plan(&setting, yuyv, Vec::new, |path| Err(V4l2Error::new(path, Failure::Open(Errno::NOENT))));
        assert!(
            matches!(&missing, Plan::Software(why) if why.starts_with("/dev/video31: cannot open")),
            "{missing:?}"
        );
        let wrong = plan(&setting, abi::PIX_FMT_GREY, Vec::new, |_| Ok(image_encoder()));
        assert!(matches!(&wrong, Plan::Software(why) if why.contains("does not accept GREY")), "{wrong:?}");
    }
}
