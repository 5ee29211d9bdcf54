//! Turns a [`ControlPlan`] into the libcamera controls the camera starts with. Only controls
//! the camera lists are set; an explicit setting the camera lacks is logged, not fatal.
//!
//! libcamera 0.5 split manual exposure/gain into ExposureTimeMode / AnalogueGainMode while
//! 0.4 (Debian trixie, used by CI) has neither, and libcamera-rs generates its control types
//! from the installed version. The mode controls are therefore looked up by name at run
//! time, so one source builds against 0.4 to 0.7.

use super::plan::{ControlPlan, Flip};
use crate::config::AwbSetting;
use ::libcamera::camera::{Camera, Orientation};
use ::libcamera::control::{Control, ControlInfoMap, ControlList};
use ::libcamera::control_value::ControlValue;
use ::libcamera::controls::{self, ControlId};
use ::libcamera::utils::UniquePtr;

/// The mode value meaning "manual" for ExposureTimeMode and AnalogueGainMode.
const MODE_MANUAL: i32 = 1;

/// libcamera's orientation for the configured mirroring (EXIF-style names).
pub fn orientation(flip: Flip) -> Orientation {
    match flip {
        Flip::None => Orientation::Rotate0,
        Flip::Horizontal => Orientation::Rotate0Mirror,
        Flip::Vertical => Orientation::Rotate180Mirror,
        Flip::Both => Orientation::Rotate180,
    }
}

/// The controls to pass to `ActiveCamera::start`, with what was set and what the camera
/// lacked (for /status).
pub struct StartControls {
    pub list: UniquePtr<ControlList>,
    /// Name and value of each control set.
    pub requested: Vec<(String, String)>,
    /// Explicit settings the camera has no control for.
    pub ignored: Vec<String>,
}

pub fn start_controls(camera: &Camera<'_>, plan: &ControlPlan, name: &str) -> StartControls {
    let info = camera.controls();
    let mut list = ControlList::from_info_map(info).unwrap_or_default();
    let mut set = Setter { info, list: &mut list, name, requested: Vec::new(), ignored: Vec::new() };

    set.typed(controls::FrameDurationLimits([plan.frame_duration_us; 2]), true);
    if plan.exposure_clamped {
        log::warn!(
            "camera {name}: exposure_us shortened to one frame ({} µs) to keep the frame rate",
            plan.frame_duration_us
        );
    }
    if let Some(us) = plan.exposure_us {
        set.mode_by_name("ExposureTimeMode");
        set.typed(controls::ExposureTime(us), true);
    }
    if let Some(gain) = plan.analogue_gain {
        set.mode_by_name("AnalogueGainMode");
        set.typed(controls::AnalogueGain(gain), true);
    }
    set.typed(controls::AwbEnable(true), false);
    set.typed(awb_mode(plan.awb), plan.awb != AwbSetting::Auto);
    if plan.continuous_af {
        // Only Camera Module 3 (IMX708) has a focus motor: elsewhere this is silently skipped.
        set.typed(controls::AfMode::Continuous, false);
    }
    let (requested, ignored) = (set.requested, set.ignored);
    StartControls { list, requested, ignored }
}

/// The camera's controls and their ranges, e.g. ("ExposureTime", "1..66666, default 20000").
pub fn offered(info: &ControlInfoMap) -> Vec<(String, String)> {
    let mut offered: Vec<(String, String)> = info
        .into_iter()
        .map(|(id, range)| {
            let mut text = format!("{}..{}", value_text(&range.min()), value_text(&range.max()));
            let default = value_text(&range.def());
            if !default.is_empty() {
                text.push_str(", default ");
                text.push_str(&default);
            }
            (control_name(id), text)
        })
        .collect();
    offered.sort();
    offered
}

/// A request's metadata as names and values.
pub fn metadata(list: &ControlList) -> Vec<(String, String)> {
    let mut values: Vec<(String, String)> =
        list.into_iter().map(|(id, value)| (control_name(id), value_text(&value))).collect();
    values.sort();
    values
}

fn control_name(id: u32) -> String {
    ControlId::try_from(id).map_or_else(|_| format!("control 0x{id:x}"), |control| control.name())
}

/// A value as plain text: "20000", "1.5", "[0, 0, 640, 480]" for arrays and rectangles.
fn value_text(value: &ControlValue) -> String {
    fn join<T: std::fmt::Debug>(items: &[T]) -> String {
        match items {
            [one] => format!("{one:?}"),
            many => format!("{many:?}"),
        }
    }
    match value {
        ControlValue::None => String::new(),
        ControlValue::Bool(v) => join(v),
        ControlValue::Byte(v) => join(v),
        ControlValue::Uint16(v) => join(v),
        ControlValue::Uint32(v) => join(v),
        ControlValue::Int32(v) => join(v),
        ControlValue::Int64(v) => join(v),
        ControlValue::Float(v) => join(v),
        ControlValue::String(v) => v.join(", "),
        ControlValue::Rectangle(v) => join(v),
        ControlValue::Size(v) => join(v),
        ControlValue::Point(v) => join(v),
    }
}

fn awb_mode(awb: AwbSetting) -> controls::AwbMode {
    match awb {
        AwbSetting::Auto => controls::AwbMode::AwbAuto,
        AwbSetting::Incandescent => controls::AwbMode::AwbIncandescent,
        AwbSetting::Tungsten => controls::AwbMode::AwbTungsten,
        AwbSetting::Fluorescent => controls::AwbMode::AwbFluorescent,
        AwbSetting::Indoor => controls::AwbMode::AwbIndoor,
        AwbSetting::Daylight => controls::AwbMode::AwbDaylight,
        AwbSetting::Cloudy => controls::AwbMode::AwbCloudy,
    }
}

struct Setter<'a> {
    info: &'a ControlInfoMap,
    list: &'a mut ControlList,
    name: &'a str,
    requested: Vec<(String, String)>,
    ignored: Vec<String>,
}

impl Setter<'_> {
    /// Sets `value` if the camera has the control; `explicit` settings the camera lacks are
    /// worth a warning, defaults are not.
    fn typed<C: Control>(&mut self, value: C, explicit: bool) {
        if self.info.find(C::ID).is_err() {
            if explicit {
                log::warn!("camera {}: has no {:?} control; setting ignored", self.name, value);
                self.ignored.push(control_name(C::ID));
            }
            return;
        }
        let text = format!("{value:?}");
        match self.list.set(value) {
            Ok(()) => self.requested.push((control_name(C::ID), text)),
            Err(err) => log::warn!("camera {}: cannot set control {}: {err}", self.name, C::ID),
        }
    }

    /// Sets a libcamera >= 0.5 mode control to manual when the camera has it.
    fn mode_by_name(&mut self, wanted: &str) {
        let id = self
            .info
            .into_iter()
            .map(|(id, _)| id)
            .find(|&id| ControlId::try_from(id).is_ok_and(|control| control.name() == wanted));
        if let Some(id) = id {
            match self.list.set_raw(id, ControlValue::from(MODE_MANUAL)) {
                Ok(()) => self.requested.push((wanted.to_string(), "Manual".to_string())),
                Err(err) => log::warn!("camera {}: cannot set {wanted}: {err}", self.name),
            }
        }
    }
}
