//! What to ask of the sensor, decided from the configuration alone (no libcamera types), so
//! the decisions are unit-tested on any machine; controls.rs turns a plan into libcamera
//! controls.

use crate::config::{AutofocusSetting, AwbSetting, CameraConfig};

/// Mirroring done by the sensor: libcamera expresses it as the configuration's orientation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flip {
    None,
    Horizontal,
    Vertical,
    /// Both mirrors: the picture turned by 180°.
    Both,
}

impl Flip {
    pub fn new(hflip: bool, vflip: bool) -> Flip {
        match (hflip, vflip) {
            (false, false) => Flip::None,
            (true, false) => Flip::Horizontal,
            (false, true) => Flip::Vertical,
            (true, true) => Flip::Both,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ControlPlan {
    /// FrameDurationLimits, both ends: the sensor runs at exactly the configured rate.
    pub frame_duration_us: i64,
    /// Fixed exposure; `None` leaves exposure automatic.
    pub exposure_us: Option<i32>,
    /// True when the configured exposure was longer than a frame and was shortened to fit.
    pub exposure_clamped: bool,
    /// Fixed analogue gain; `None` leaves gain automatic.
    pub analogue_gain: Option<f32>,
    pub awb: AwbSetting,
    /// AfMode continuous, on cameras with a focus motor.
    pub continuous_af: bool,
    pub flip: Flip,
}

impl ControlPlan {
    pub fn new(config: &CameraConfig) -> ControlPlan {
        let controls = &config.libcamera;
        let frame_duration_us = frame_duration_us(config.fps);
        // The configured frame rate wins: an exposure longer than a frame would slow the
        // stream down, which is never what a streaming camera wants.
        let wanted = controls.exposure_us.map(|us| i64::try_from(us).unwrap_or(i64::MAX));
        let exposure_us = wanted.map(|us| us.min(frame_duration_us) as i32);
        ControlPlan {
            frame_duration_us,
            exposure_clamped: wanted.is_some_and(|us| us > frame_duration_us),
            exposure_us,
            analogue_gain: controls.analogue_gain,
            awb: controls.awb,
            continuous_af: controls.autofocus == AutofocusSetting::Continuous,
            flip: Flip::new(controls.hflip, controls.vflip),
        }
    }
}

/// One frame at `fps`, in microseconds (libcamera's FrameDurationLimits unit).
pub fn frame_duration_us(fps: usize) -> i64 {
    1_000_000 / fps.clamp(1, 1_000_000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LibcameraControls;

    fn config(fps: usize, controls: LibcameraControls) -> CameraConfig {
        CameraConfig { fps, libcamera: controls, ..CameraConfig::default() }
    }

    #[test]
    fn defaults_leave_everything_automatic() {
        let plan = ControlPlan::new(&config(25, LibcameraControls::default()));
        assert_eq!(plan.frame_duration_us, 40_000);
        assert_eq!((plan.exposure_us, plan.analogue_gain), (None, None));
        assert_eq!(plan.awb, AwbSetting::Auto);
        assert!(plan.continuous_af);
        assert_eq!(plan.flip, Flip::None);
    }

    #[test]
    fn fixed_settings_are_carried_over() {
        let controls = LibcameraControls {
            exposure_us: Some(8_000),
            analogue_gain: Some(4.0),
            awb: AwbSetting::Daylight,
            autofocus: AutofocusSetting::Off,
            hflip: true,
            vflip: true,
        };
        let plan = ControlPlan::new(&config(30, controls));
        assert_eq!(plan.frame_duration_us, 33_333);
        assert_eq!((plan.exposure_us, plan.exposure_clamped), (Some(8_000), false));
        assert_eq!(plan.analogue_gain, Some(4.0));
        assert_eq!(plan.awb, AwbSetting::Daylight);
        assert!(!plan.continuous_af);
        assert_eq!(plan.flip, Flip::Both);
    }

    #[test]
    fn exposure_longer_than_a_frame_is_shortened() {
        let controls = LibcameraControls { exposure_us: Some(500_000), ..LibcameraControls::default() };
        let plan = ControlPlan::new(&config(10, controls));
        assert_eq!((plan.exposure_us, plan.exposure_clamped), (Some(100_000), true));
    }

    #[test]
    fn flips_map_to_four_orientations() {
        assert_eq!(Flip::new(false, false), Flip::None);
        assert_eq!(Flip::new(true, false), Flip::Horizontal);
        assert_eq!(Flip::new(false, true), Flip::Vertical);
        assert_eq!(Flip::new(true, true), Flip::Both);
        assert_eq!(frame_duration_us(0), 1_000_000, "fps 0 cannot occur, but must not divide by zero");
    }
}
