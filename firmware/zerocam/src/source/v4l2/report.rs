//! Describing a device in words: for `zerocam cameras` and /status.

use super::abi;
use super::enumerate::{fps_of, DeviceInfo, FormatInfo, Intervals, SizeInfo, SizeRange};
use super::negotiate::PixelKind;
use std::fmt::Write;

const CAPABILITY_NAMES: [(u32, &str); 9] = [
    (abi::CAP_VIDEO_CAPTURE, "video-capture"),
    (abi::CAP_VIDEO_CAPTURE_MPLANE, "video-capture-mplane"),
    (abi::CAP_VIDEO_OUTPUT, "video-output"),
    (abi::CAP_VIDEO_OUTPUT_MPLANE, "video-output-mplane"),
    (abi::CAP_VIDEO_M2M, "m2m"),
    (abi::CAP_VIDEO_M2M_MPLANE, "m2m-mplane"),
    (abi::CAP_META_CAPTURE, "metadata-capture"),
    (abi::CAP_READWRITE, "read-write"),
    (abi::CAP_STREAMING, "streaming"),
];

pub fn capability_names(capabilities: u32) -> Vec<&'static str> {
    CAPABILITY_NAMES.iter().filter(|(bit, _)| capabilities & bit != 0).map(|(_, name)| *name).collect()
}

/// "30", "29.97", "7.5": rates without noise.
pub fn rate(fps: f64) -> String {
    let text = format!("{fps:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// "30/15/5 fps", "1-90 fps", or "" when the driver does not say.
pub fn intervals_text(intervals: &Intervals) -> String {
    match intervals {
        Intervals::Discrete(list) => {
            let rates: Vec<String> = list.iter().map(|interval| rate(fps_of(*interval))).collect();
            format!("{} fps", rates.join("/"))
        }
        // The longest interval is the lowest rate.
        Intervals::Stepwise { min, max, .. } => format!("{}-{} fps", rate(fps_of(*max)), rate(fps_of(*min))),
        Intervals::Unknown => String::new(),
    }
}

/// "1280x720 @ 30/15 fps" or "32x32 to 2592x1944 step 2x2 @ 1-90 fps".
pub fn size_text(size: &SizeInfo) -> String {
    let mut text = match size.range {
        SizeRange::Discrete(size) => size.to_string(),
        SizeRange::Stepwise { min, max, step_width, step_height } => {
            format!("{min} to {max} step {step_width}x{step_height}")
        }
    };
    let rates = intervals_text(&size.intervals);
    if !rates.is_empty() {
        let _ = write!(text, " @ {rates}");
    }
    text
}

/// How zerocam would use a format.
pub fn usage_text(format: &FormatInfo) -> &'static str {
    match PixelKind::of(format.fourcc.0) {
        Some(kind) if kind.is_passthrough() => "passed through",
        Some(_) => "encoded by zerocam",
        None => "not usable by zerocam",
    }
}

/// One line per format: "MJPG: 1280x720 @ 30/15 fps, 640x480 @ 30 fps".
pub fn format_summary(format: &FormatInfo) -> String {
    let sizes: Vec<String> = format.sizes.iter().map(size_text).collect();
    if sizes.is_empty() {
        format!("{}: sizes not listed by the driver", format.fourcc)
    } else {
        format!("{}: {}", format.fourcc, sizes.join(", "))
    }
}

/// The full description `zerocam cameras` prints for one node.
pub fn device_text(info: &DeviceInfo) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}: {}", info.path.display(), info.card);
    let version = info.version;
    let _ = writeln!(
        out,
        "  driver {} {}.{}.{}, bus {}",
        info.driver,
        version >> 16,
        (version >> 8) & 0xFF,
        version & 0xFF,
        info.bus
    );
    let _ = writeln!(out, "  capabilities: {}", capability_names(info.capabilities).join(", "));
    if !info.is_capture() {
        let _ = writeln!(out, "  not a video capture node (zerocam cannot stream from it)");
        return out;
    }
    if info.formats.is_empty() {
        let _ = writeln!(out, "  no formats listed");
    }
    for format in &info.formats {
        let compressed = if format.compressed { ", compressed" } else { "" };
        let _ =
            writeln!(out, "  {} ({}{compressed}): {}", format.fourcc, format.description, usage_text(format));
        if format.sizes.is_empty() {
            let _ = writeln!(out, "    sizes not listed by the driver");
        }
        for size in &format.sizes {
            let _ = writeln!(out, "    {}", size_text(size));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Resolution;
    use crate::source::v4l2::abi::Fract;
    use crate::source::v4l2::enumerate::Fourcc;

    fn webcam() -> DeviceInfo {
        let fract = |numerator, denominator| Fract { numerator, denominator };
        DeviceInfo {
            path: "/dev/video0".into(),
            driver: "uvcvideo".into(),
            card: "HD Webcam C270".into(),
            bus: "usb-20980000.usb-1".into(),
            version: (6 << 16) | (1 << 8) | 21,
            capabilities: abi::CAP_VIDEO_CAPTURE | abi::CAP_STREAMING,
            formats: vec![
                FormatInfo {
                    fourcc: Fourcc(abi::PIX_FMT_MJPEG),
                    description: "Motion-JPEG".into(),
                    compressed: true,
                    sizes: vec![SizeInfo {
                        range: SizeRange::Discrete(Resolution { width: 1280, height: 720 }),
                        intervals: Intervals::Discrete(vec![fract(1, 30), fract(1001, 30000), fract(2, 15)]),
                    }],
                },
                FormatInfo {
                    fourcc: Fourcc(abi::fourcc(b"RGB3")),
                    description: "RGB".into(),
                    compressed: false,
                    sizes: vec![SizeInfo {
                        range: SizeRange::Stepwise {
                            min: Resolution { width: 32, height: 32 },
                            max: Resolution { width: 2592, height: 1944 },
                            step_width: 2,
                            step_height: 2,
                        },
                        intervals: Intervals::Stepwise {
                            min: fract(1, 90),
                            max: fract(1, 1),
                            step: fract(1, 1),
                        },
                    }],
                },
            ],
        }
    }

    #[test]
    fn a_device_is_described_for_people() {
        let text = device_text(&webcam());
        let expected = "\
/dev/video0: HD Webcam C270
  driver uvcvideo 6.1.21, bus usb-20980000.usb-1
  capabilities: video-capture, streaming
  MJPG (Motion-JPEG, compressed): passed through
    1280x720 @ 30/29.97/7.5 fps
  RGB3 (RGB): not usable by zerocam
    32x32 to 2592x1944 step 2x2 @ 1-90 fps
";
        assert_eq!(text, expected);
        assert_eq!(format_summary(&webcam().formats[0]), "MJPG: 1280x720 @ 30/29.97/7.5 fps");
    }

    #[test]
    fn non_capture_nodes_say_so() {
        let mut metadata = webcam();
        metadata.capabilities = abi::CAP_META_CAPTURE | abi::CAP_STREAMING;
        let text = device_text(&metadata);
        assert!(text.contains("metadata-capture, streaming"), "{text}");
        assert!(text.contains("not a video capture node"), "{text}");
        assert!(!text.contains("MJPG"), "{text}");
    }
}
