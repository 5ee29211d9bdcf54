//! What /status shows about the libcamera camera: recorded by the source thread when a
//! session starts (the camera, its stream, the controls it offers, what zerocam asked of it
//! and what it had to leave out) and on two frames (the first, and one after the automatic
//! controls have had time to settle) what libcamera reported back in the request's metadata.
//! The HTTP side only reads the record; it never touches libcamera.
//!
//! Plain strings, no libcamera types: the record and its JSON build and are tested without
//! the `libcamera` feature.

use crate::http::status::quoted;
use std::sync::Mutex;

/// The camera as the current (or last) session found it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CameraStatus {
    pub id: String,
    /// libcamera's Model property, when the camera has one.
    pub model: Option<String>,
    /// e.g. "NV12 640x480 (stride 640), 4 buffers".
    pub streaming: String,
    /// The controls the camera offers: name and libcamera's description of its range.
    pub controls: Vec<(String, String)>,
    /// The controls zerocam started the camera with: name and value.
    pub requested: Vec<(String, String)>,
    /// Settings from the configuration the camera has no control for.
    pub ignored: Vec<String>,
    /// The latest metadata snapshot, if a frame arrived yet.
    pub metadata: Option<Metadata>,
}

/// One completed request's metadata.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    /// Frames published in this session when it was taken (1 = the first).
    pub frame: u64,
    pub values: Vec<(String, String)>,
}

static STATUS: Mutex<Option<CameraStatus>> = Mutex::new(None);

/// A session started with `status` (its metadata comes later).
pub fn record(status: CameraStatus) {
    if let Ok(mut slot) = STATUS.lock() {
        *slot = Some(status);
    }
}

/// What libcamera reported with a frame; taken on a few frames only (it allocates).
pub fn record_metadata(metadata: Metadata) {
    if let Ok(mut slot) = STATUS.lock() {
        if let Some(status) = slot.as_mut() {
            status.metadata = Some(metadata);
        }
    }
}

/// The hardware encoder gave up mid-session: the stream is now encoded as `how`.
pub fn update_streaming(how: &str) {
    if let Ok(mut slot) = STATUS.lock() {
        if let Some(status) = slot.as_mut() {
            if let Some(at) = status.streaming.find(", encoded ") {
                status.streaming.truncate(at);
            }
            status.streaming.push_str(", encoded ");
            status.streaming.push_str(how);
        }
    }
}

pub fn current() -> Option<CameraStatus> {
    STATUS.lock().ok()?.clone()
}

fn object(pairs: &[(String, String)]) -> String {
    let fields: Vec<String> =
        pairs.iter().map(|(name, value)| format!("{}:{}", quoted(name), quoted(value))).collect();
    format!("{{{}}}", fields.join(","))
}

impl CameraStatus {
    /// {"id":…,"model":…,"streaming":…,"controls":{…},"requested":{…},"ignored":[…],
    ///  "metadata":{"frame":N,"values":{…}}|null}
    pub fn json(&self) -> String {
        let ignored: Vec<String> = self.ignored.iter().map(|name| quoted(name)).collect();
        let metadata = self.metadata.as_ref().map_or_else(
            || "null".to_string(),
            |metadata| format!("{{\"frame\":{},\"values\":{}}}", metadata.frame, object(&metadata.values)),
        );
        format!(
            "{{\"id\":{},\"model\":{},\"streaming\":{},\"controls\":{},\"requested\":{},\"ignored\":[{}],\"metadata\":{}}}",
            quoted(&self.id),
            self.model.as_deref().map_or_else(|| "null".to_string(), quoted),
            quoted(&self.streaming),
            object(&self.controls),
            object(&self.requested),
            ignored.join(","),
            metadata
        )
    }
}

/// For /status: the camera's JSON object, or `null` before any session opened one.
pub fn status_json() -> String {
    current().map_or_else(|| "null".to_string(), |status| status.json())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(name: &str, value: &str) -> (String, String) {
        (name.to_string(), value.to_string())
    }

    #[test]
    fn a_recorded_camera_shows_as_json_with_its_metadata() {
        let status = CameraStatus {
            id: "Virtual0".into(),
            model: Some("zerocam \"CI\"".into()),
            streaming: "NV12 640x480 (stride 640), 4 buffers".into(),
            controls: vec![pair("ExposureTime", "[1..66666]")],
            requested: vec![pair("ExposureTime", "20000")],
            ignored: vec!["AwbMode".into()],
            metadata: None,
        };
        record(status.clone());
        let json: serde_json::Value = serde_json::from_str(&status_json()).expect("valid JSON");
        assert_eq!(json["model"], "zerocam \"CI\"");
        assert_eq!(json["controls"]["ExposureTime"], "[1..66666]");
        assert_eq!(json["requested"]["ExposureTime"], "20000");
        assert_eq!(json["ignored"][0], "AwbMode");
        assert!(json["metadata"].is_null());
        record_metadata(Metadata { frame: 30, values: vec![pair("SensorTimestamp", "123")] });
        let json: serde_json::Value = serde_json::from_str(&status_json()).expect("valid JSON");
        assert_eq!(json["metadata"]["frame"], 30);
        assert_eq!(json["metadata"]["values"]["SensorTimestamp"], "123");
        assert_eq!(current().map(|current| current.streaming), Some(status.streaming));
        update_streaming("by /dev/video31 (bcm2835-codec)");
        update_streaming("in software");
        let streaming = current().map(|current| current.streaming);
        assert_eq!(streaming.as_deref(), Some("NV12 640x480 (stride 640), 4 buffers, encoded in software"));
    }
}
