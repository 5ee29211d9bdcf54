//! What /status shows about a V4L2 device: recorded by the source thread each time it opens
//! the device, read by the HTTP side without touching the device (no ioctls from the
//! server's thread, no second open of a streaming camera).

use super::capture::Negotiated;
use super::enumerate::DeviceInfo;
use super::negotiate::PixelKind;
use super::report::format_summary;
use crate::http::status::quoted;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A device as last opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceStatus {
    pub path: PathBuf,
    pub driver: String,
    pub card: String,
    pub bus: String,
    /// What is streamed, e.g. "MJPG 1280x720 at 30 fps, passed through".
    pub streaming: String,
    /// One line per offered format zerocam can use, e.g. "YUYV: 640x480 @ 30/15 fps".
    /// Formats it cannot use are left out: /status is polled every second by the live page,
    /// and virtual devices such as vivid offer dozens (`zerocam cameras` lists them all).
    pub offered: Vec<String>,
}

impl DeviceStatus {
    pub fn new(info: &DeviceInfo, format: &Negotiated) -> DeviceStatus {
        DeviceStatus {
            path: info.path.clone(),
            driver: info.driver.clone(),
            card: info.card.clone(),
            bus: info.bus.clone(),
            streaming: format.describe(),
            offered: info
                .formats
                .iter()
                .filter(|format| PixelKind::of(format.fourcc.0).is_some())
                .map(format_summary)
                .collect(),
        }
    }

    /// A JSON object: {"path":…,"driver":…,"card":…,"bus":…,"streaming":…,"offered":[…]}.
    pub fn json(&self) -> String {
        let offered: Vec<String> = self.offered.iter().map(|line| quoted(line)).collect();
        format!(
            "{{\"path\":{},\"driver\":{},\"card\":{},\"bus\":{},\"streaming\":{},\"offered\":[{}]}}",
            quoted(&self.path.display().to_string()),
            quoted(&self.driver),
            quoted(&self.card),
            quoted(&self.bus),
            quoted(&self.streaming),
            offered.join(",")
        )
    }
}

static DEVICES: Mutex<Vec<DeviceStatus>> = Mutex::new(Vec::new());

/// Remembers what the device at `status.path` is (replacing an earlier record).
pub fn record(status: DeviceStatus) {
    if let Ok(mut devices) = DEVICES.lock() {
        devices.retain(|known| known.path != status.path);
        devices.push(status);
    }
}

/// Replaces what the device at `path` is said to stream (its encoder changed mid-session).
pub fn update_streaming(path: &Path, streaming: String) {
    if let Ok(mut devices) = DEVICES.lock() {
        if let Some(known) = devices.iter_mut().find(|known| known.path == path) {
            known.streaming = streaming;
        }
    }
}

/// The device at `path` as last opened by a source, if it ever was.
pub fn device_status(path: &Path) -> Option<DeviceStatus> {
    DEVICES.lock().ok()?.iter().find(|known| known.path == path).cloned()
}

/// For /status: the device's JSON object, or `null` if it has not been opened yet.
pub fn device_status_json(path: &Path) -> String {
    device_status(path).map_or_else(|| "null".to_string(), |status| status.json())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_devices_show_as_json() {
        let path = Path::new("/dev/video-status-test");
        assert_eq!(device_status_json(path), "null");
        let status = DeviceStatus {
            path: path.into(),
            driver: "vivid".into(),
            card: "vivid \"A\"".into(),
            bus: "platform:vivid-000".into(),
            streaming: "YUYV 640x480 at 30 fps, encoded".into(),
            offered: vec!["YUYV: 640x480 @ 30 fps".into(), "NV12: 640x480 @ 30 fps".into()],
        };
        record(status.clone());
        record(status.clone());
        assert_eq!(device_status(path).as_ref(), Some(&status));
        let json: serde_json::Value = serde_json::from_str(&device_status_json(path)).expect("valid JSON");
        assert_eq!(json["card"], "vivid \"A\"");
        assert_eq!(json["offered"][1], "NV12: 640x480 @ 30 fps");
        assert_eq!(json["streaming"], "YUYV 640x480 at 30 fps, encoded");
        // The hardware encoder gave up mid-session: only the description changes.
        update_streaming(path, "YUYV 640x480 at 30 fps, encoded in software".into());
        let updated = device_status(path).expect("still recorded");
        assert_eq!(updated.streaming, "YUYV 640x480 at 30 fps, encoded in software");
        assert_eq!(updated.offered, status.offered);
    }
}
