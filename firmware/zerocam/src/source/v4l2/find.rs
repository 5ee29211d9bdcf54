//! Finding a camera to stream from, for the `auto` source: the first /dev/videoN node (in
//! number order, from `listing::video_nodes`) that `enumerate::describe_path` shows is a
//! capture device zerocam can use. The choice is a pure function over descriptions, so it
//! is tested without a camera.

use super::abi;
use super::enumerate::{describe_path, DeviceInfo};
use super::error::V4l2Error;
use super::listing::video_nodes;
use super::negotiate::PixelKind;
use std::path::{Path, PathBuf};

/// Why zerocam cannot stream from this node, or `None` if it can: a single-planar capture
/// node with streaming I/O and a format it knows. USB webcams' metadata nodes, encoders
/// (memory-to-memory) and output nodes are not cameras.
pub fn unusable_because(info: &DeviceInfo) -> Option<&'static str> {
    let caps = info.capabilities;
    if caps & (abi::CAP_VIDEO_M2M | abi::CAP_VIDEO_M2M_MPLANE) != 0 {
        return Some("a memory-to-memory device (an encoder or decoder)");
    }
    if !info.is_capture() {
        return Some("not a video capture node");
    }
    if !info.can_stream() {
        return Some("no streaming I/O");
    }
    if !info.formats.iter().any(|format| PixelKind::of(format.fourcc.0).is_some()) {
        return Some("no format zerocam can use (MJPEG, JPEG, YUYV, NV12, YUV420 or GREY)");
    }
    None
}

/// The first node of `nodes` not in `taken` that `describe` shows is usable. Nodes are
/// described one at a time and the search stops at the first camera, so a scan opens as
/// few devices as it can.
pub fn first_usable(
    nodes: impl IntoIterator<Item = PathBuf>,
    taken: &[PathBuf],
    mut describe: impl FnMut(&Path) -> Result<DeviceInfo, V4l2Error>,
) -> Option<PathBuf> {
    nodes.into_iter().filter(|node| !taken.contains(node)).find(|node| match describe(node) {
        Ok(info) => match unusable_because(&info) {
            None => true,
            Some(why) => {
                log::debug!("{}: {} ({}) is {why}", node.display(), info.card, info.driver);
                false
            }
        },
        Err(err) => {
            log::debug!("{err}");
            false
        }
    })
}

/// The first usable camera among the /dev/videoN nodes under `dev`, skipping `taken` (the
/// devices other cameras are configured to use).
pub fn first_camera(dev: &Path, taken: &[PathBuf]) -> Option<PathBuf> {
    first_usable(video_nodes(dev), taken, describe_path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Resolution;
    use crate::source::v4l2::enumerate::{FormatInfo, Fourcc, Intervals, SizeInfo, SizeRange};
    use crate::source::v4l2::error::Failure;
    use rustix::io::Errno;

    fn format(fourcc: u32) -> FormatInfo {
        FormatInfo {
            fourcc: Fourcc(fourcc),
            description: String::new(),
            compressed: fourcc == abi::PIX_FMT_MJPEG,
            sizes: vec![SizeInfo {
                range: SizeRange::Discrete(Resolution::VGA),
                intervals: Intervals::Unknown,
            }],
        }
    }

    fn device(path: &str, driver: &str, capabilities: u32, formats: &[u32]) -> DeviceInfo {
        DeviceInfo {
            path: path.into(),
            driver: driver.into(),
            card: driver.into(),
            bus: String::new(),
            version: 0,
            capabilities,
            formats: formats.iter().copied().map(format).collect(),
        }
    }

    const CAMERA: u32 = abi::CAP_VIDEO_CAPTURE | abi::CAP_STREAMING;
    /// A 4CC zerocam does not know (10-bit Bayer, as unicam offers).
    const BAYER: u32 = u32::from_le_bytes(*b"pBAA");

    /// What a Pi with a USB webcam and an M2M encoder might show.
    fn devices() -> Vec<DeviceInfo> {
        vec![
            device("/dev/video0", "unicam", CAMERA, &[BAYER]),
            device("/dev/video1", "uvcvideo", abi::CAP_META_CAPTURE | abi::CAP_STREAMING, &[]),
            device("/dev/video2", "bcm2835-codec", abi::CAP_VIDEO_M2M_MPLANE | abi::CAP_STREAMING, &[]),
            device("/dev/video3", "readonly", abi::CAP_VIDEO_CAPTURE, &[abi::PIX_FMT_MJPEG]),
            device("/dev/video4", "uvcvideo", CAMERA, &[abi::PIX_FMT_YUYV, abi::PIX_FMT_MJPEG]),
            device("/dev/video5", "bcm2835 mmal", CAMERA, &[abi::PIX_FMT_JPEG]),
        ]
    }

    fn describe_from(list: &[DeviceInfo]) -> impl FnMut(&Path) -> Result<DeviceInfo, V4l2Error> + '_ {
        |path| {
            list.iter()
                .find(|info| info.path == path)
                .cloned()
                .ok_or_else(|| V4l2Error::new(path, Failure::Open(Errno::NOENT)))
        }
    }

    fn nodes(list: &[DeviceInfo]) -> Vec<PathBuf> {
        list.iter().map(|info| info.path.clone()).collect()
    }

    #[test]
    fn the_first_usable_capture_node_is_picked() {
        let list = devices();
        let reasons: Vec<Option<&str>> = list.iter().map(unusable_because).collect();
        assert!(reasons[0].is_some_and(|why| why.starts_with("no format")), "{reasons:?}");
        assert_eq!(reasons[1], Some("not a video capture node"));
        assert!(reasons[2].is_some_and(|why| why.contains("memory-to-memory")));
        assert_eq!(reasons[3], Some("no streaming I/O"));
        assert_eq!(reasons[4..], [None, None]);
        assert_eq!(first_usable(nodes(&list), &[], describe_from(&list)), Some("/dev/video4".into()));
    }

    #[test]
    fn taken_and_vanished_nodes_are_skipped() {
        let list = devices();
        let taken = [PathBuf::from("/dev/video4")];
        assert_eq!(first_usable(nodes(&list), &taken, describe_from(&list)), Some("/dev/video5".into()));
        // A node that cannot be opened (unplugged between the listing and the open).
        let mut listed = nodes(&list);
        listed.insert(0, "/dev/video9".into());
        assert_eq!(first_usable(listed, &taken, describe_from(&list)), Some("/dev/video5".into()));
    }

    #[test]
    fn none_when_there_is_no_camera() {
        let list = devices();
        assert_eq!(first_usable(nodes(&list[..4]), &[], describe_from(&list)), None);
        assert_eq!(first_usable(Vec::new(), &[], describe_from(&list)), None);
        // Plain files named like nodes are not devices.
        let dir = std::env::temp_dir().join(format!("zerocam-find-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("video0"), b"").expect("file");
        assert_eq!(first_camera(&dir, &[]), None);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn describing_stops_at_the_first_camera() {
        let list = devices();
        let mut described = Vec::new();
        let mut describe = describe_from(&list);
        let found = first_usable(nodes(&list), &[], |path| {
            described.push(path.to_path_buf());
            describe(path)
        });
        assert_eq!(found, Some("/dev/video4".into()));
        assert_eq!(described.len(), 5, "video5 is never opened");
    }
}
