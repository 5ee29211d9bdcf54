//! Finding a memory-to-memory JPEG encoder: one whose CAPTURE side offers JPEG and whose
//! OUTPUT side accepts the camera's raw format. The choice is a pure function over
//! descriptions, so it is tested without the hardware.

use super::super::abi;
use super::super::device::Device;
use super::super::enumerate::Fourcc;
use super::super::error::V4l2Error;
use super::ioctls;
use std::path::{Path, PathBuf};

/// What a /dev/video* node says about itself, as far as encoding goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecCandidate {
    pub path: PathBuf,
    pub driver: String,
    pub card: String,
    pub capabilities: u32,
    /// Formats its OUTPUT queue accepts (what it encodes from).
    pub raw_formats: Vec<u32>,
    /// Formats its CAPTURE queue produces.
    pub coded_formats: Vec<u32>,
}

impl CodecCandidate {
    /// Why this node cannot encode `fourcc` frames to JPEG, or `None` if it can.
    pub fn unsuitable_for(&self, fourcc: u32) -> Option<String> {
        let name = format!("{} ({})", self.path.display(), self.driver);
        if self.capabilities & abi::CAP_VIDEO_M2M_MPLANE == 0 {
            let single = self.capabilities & abi::CAP_VIDEO_M2M != 0;
            let what = if single {
                "a single-planar memory-to-memory device (not supported)"
            } else {
                "not a memory-to-memory device"
            };
            return Some(format!("{name} is {what}"));
        }
        if self.capabilities & abi::CAP_STREAMING == 0 {
            return Some(format!("{name} cannot stream"));
        }
        if !self.coded_formats.contains(&abi::PIX_FMT_JPEG) {
            return Some(format!("{name} does not produce JPEG"));
        }
        if !self.raw_formats.contains(&fourcc) {
            return Some(format!("{name} does not accept {}", Fourcc(fourcc)));
        }
        None
    }
}

/// The first suitable candidate, in /dev/videoN number order.
pub fn choose(candidates: &[CodecCandidate], fourcc: u32) -> Option<&CodecCandidate> {
    let mut suitable: Vec<&CodecCandidate> =
        candidates.iter().filter(|candidate| candidate.unsuitable_for(fourcc).is_none()).collect();
    suitable.sort_by_key(|candidate| node_number(&candidate.path));
    suitable.first().copied()
}

/// 31 for /dev/video31, so video31 sorts after video4 (names alone would not).
fn node_number(path: &Path) -> (u32, PathBuf) {
    let number = path
        .file_name()
        .and_then(|name| name.to_str())
        .and_then(|name| name.strip_prefix("video"))
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(u32::MAX);
    (number, path.to_path_buf())
}

/// Opens `path` and reads what it offers on both queues (only memory-to-memory nodes are
/// asked for formats: capture nodes, including streaming cameras, are only queried).
pub fn describe(path: &Path) -> Result<CodecCandidate, V4l2Error> {
    let device = Device::open(path)?;
    let caps = device.query_capability()?;
    let capabilities =
        if caps.capabilities & abi::CAP_DEVICE_CAPS != 0 { caps.device_caps } else { caps.capabilities };
    let mut candidate = CodecCandidate {
        path: path.to_path_buf(),
        driver: abi::c_text(&caps.driver),
        card: abi::c_text(&caps.card),
        capabilities,
        raw_formats: Vec::new(),
        coded_formats: Vec::new(),
    };
    if capabilities & abi::CAP_VIDEO_M2M_MPLANE != 0 {
        candidate.raw_formats = ioctls::formats(&device, abi::BUF_TYPE_VIDEO_OUTPUT_MPLANE)?;
        candidate.coded_formats = ioctls::formats(&device, abi::BUF_TYPE_VIDEO_CAPTURE_MPLANE)?;
    }
    Ok(candidate)
}

/// Every /dev/video* node except `camera` that can be described (others are skipped: a
/// node that cannot be opened is no encoder for us).
pub fn scan(camera: &Path) -> Vec<CodecCandidate> {
    let Ok(entries) = std::fs::read_dir("/dev") else { return Vec::new() };
    entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name().and_then(|name| name.to_str()).is_some_and(|name| name.starts_with("video"))
        })
        .filter(|path| path != camera)
        .filter_map(|path| describe(&path).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const M2M: u32 = abi::CAP_VIDEO_M2M_MPLANE | abi::CAP_STREAMING | abi::CAP_DEVICE_CAPS;

    fn node(number: u32, card: &str, capabilities: u32, raw: &[u32], coded: &[u32]) -> CodecCandidate {
        CodecCandidate {
            path: PathBuf::from(format!("/dev/video{number}")),
            driver: "bcm2835-codec".into(),
            card: card.into(),
            capabilities,
            raw_formats: raw.to_vec(),
            coded_formats: coded.to_vec(),
        }
    }

    /// What the Raspberry Pi kernel's bcm2835-codec registers, plus a webcam.
    fn pi_nodes() -> Vec<CodecCandidate> {
        let h264 = abi::fourcc(b"H264");
        let raw = [abi::PIX_FMT_YUV420, abi::PIX_FMT_NV12, abi::PIX_FMT_YUYV];
        vec![
            node(0, "USB Camera", abi::CAP_VIDEO_CAPTURE | abi::CAP_STREAMING, &[], &[]),
            node(10, "bcm2835-codec-decode", M2M, &[h264, abi::PIX_FMT_JPEG], &raw),
            node(11, "bcm2835-codec-encode", M2M, &raw, &[h264]),
            node(12, "bcm2835-codec-isp", M2M, &raw, &raw),
            node(31, "bcm2835-codec-image_encode", M2M, &raw, &[abi::PIX_FMT_JPEG]),
        ]
    }

    #[test]
    fn the_image_encoder_is_found_among_the_pi_codec_nodes() {
        let nodes = pi_nodes();
        let chosen = choose(&nodes, abi::PIX_FMT_YUYV).expect("found");
        assert_eq!(chosen.path, Path::new("/dev/video31"));
        assert_eq!(choose(&nodes, abi::PIX_FMT_GREY), None, "does not accept GREY");
    }

    #[test]
    fn lower_node_numbers_win_and_reasons_are_given() {
        let mut nodes = pi_nodes();
        nodes.push(node(4, "second encoder", M2M, &[abi::PIX_FMT_YUYV], &[abi::PIX_FMT_JPEG]));
        assert_eq!(choose(&nodes, abi::PIX_FMT_YUYV).map(|n| n.path.clone()), Some("/dev/video4".into()));
        assert_eq!(choose(&nodes, abi::PIX_FMT_NV12).map(|n| n.path.clone()), Some("/dev/video31".into()));
        let reason = |index: usize| nodes[index].unsuitable_for(abi::PIX_FMT_YUYV).unwrap_or_default();
        assert!(reason(0).contains("not a memory-to-memory device"), "{}", reason(0));
        assert!(reason(2).contains("does not produce JPEG"), "{}", reason(2));
        let vim2m = node(5, "vim2m", abi::CAP_VIDEO_M2M | abi::CAP_STREAMING, &[], &[]);
        assert!(vim2m.unsuitable_for(abi::PIX_FMT_YUYV).is_some_and(|why| why.contains("single-planar")));
        let grey = nodes[4].unsuitable_for(abi::PIX_FMT_GREY).unwrap_or_default();
        assert!(grey.contains("does not accept GREY"), "{grey}");
    }

    #[test]
    fn no_encoder_anywhere_chooses_nothing() {
        assert_eq!(choose(&[], abi::PIX_FMT_YUYV), None);
        assert_eq!(node_number(Path::new("/dev/video31")).0, 31);
        assert_eq!(node_number(Path::new("/dev/video-status")).0, u32::MAX);
    }
}
