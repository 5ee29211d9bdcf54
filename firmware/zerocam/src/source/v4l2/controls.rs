//! Applying `[camera.v4l2]` and the JPEG quality to a device, control by control. A control
//! the device lacks or refuses is reported, never fatal: a picture with the wrong brightness
//! beats no picture.

use super::abi;
use super::device::Device;
use crate::config::{AutoOr, V4l2Controls};

/// What a control setting needs from the device: read its range, set its value.
pub trait ControlAccess {
    /// (minimum, maximum, step) of the control, or `None` if the device lacks it.
    fn range(&self, id: u32) -> Option<(i32, i32, i32)>;
    fn set(&self, id: u32, value: i32) -> Result<(), String>;
}

impl ControlAccess for Device {
    fn range(&self, id: u32) -> Option<(i32, i32, i32)> {
        self.query_control(id).ok().flatten().map(|query| (query.minimum, query.maximum, query.step))
    }

    fn set(&self, id: u32, value: i32) -> Result<(), String> {
        self.set_control(id, value)
            .map_err(|errno| std::io::Error::from_raw_os_error(errno.raw_os_error()).to_string())
    }
}

/// Sets every configured control the device has; returns one line per control that could
/// not be applied, for the log.
pub fn apply(device: &impl ControlAccess, controls: &V4l2Controls, jpeg_quality: usize) -> Vec<String> {
    let mut problems = Vec::new();
    let set = |problems: &mut Vec<String>, name: &str, id: u32, value: i32, required: bool| match device
        .range(id)
    {
        Some((min, max, _)) => {
            if let Err(err) = device.set(id, value.clamp(min, max)) {
                problems.push(format!("{name} = {value}: {err}"));
            }
        }
        None if required => problems.push(format!("{name}: the device has no such control")),
        None => {}
    };

    // Cameras that encode JPEG themselves (the Pi camera via bcm2835-v4l2) take our quality.
    set(&mut problems, "jpeg quality", abi::CID_JPEG_COMPRESSION_QUALITY, jpeg_quality as i32, false);

    let (mut hflip, mut vflip) = (controls.hflip, controls.vflip);
    if controls.rotation != 0 {
        if device.range(abi::CID_ROTATE).is_some() {
            set(&mut problems, "rotation", abi::CID_ROTATE, controls.rotation as i32, true);
        } else if controls.rotation == 180 {
            // Turning by 180 degrees is flipping both ways.
            hflip = !hflip;
            vflip = !vflip;
        } else {
            problems.push(format!(
                "rotation {}: the device cannot rotate (only 180 works without it)",
                controls.rotation
            ));
        }
    }
    // Flips are set even when off, so a flip left over from an earlier run is undone; only
    // a flip that is wanted but impossible is worth a line in the log.
    set(&mut problems, "hflip", abi::CID_HFLIP, i32::from(hflip), hflip);
    set(&mut problems, "vflip", abi::CID_VFLIP, i32::from(vflip), vflip);

    for (name, id, percent) in [
        ("brightness", abi::CID_BRIGHTNESS, controls.brightness),
        ("contrast", abi::CID_CONTRAST, controls.contrast),
    ] {
        let Some(percent) = percent else { continue };
        match device.range(id) {
            Some(range) => set(&mut problems, name, id, from_percent(percent, range), true),
            None => problems.push(format!("{name}: the device has no such control")),
        }
    }

    match controls.exposure {
        None => {}
        // Full auto where offered; UVC webcams usually offer only "aperture priority"
        // (automatic exposure time with a fixed iris), which is what auto means there.
        Some(AutoOr::Auto) if device.set(abi::CID_EXPOSURE_AUTO, abi::EXPOSURE_AUTO).is_ok() => {}
        Some(AutoOr::Auto) => {
            set(&mut problems, "exposure", abi::CID_EXPOSURE_AUTO, abi::EXPOSURE_APERTURE_PRIORITY, true);
        }
        Some(AutoOr::Fixed(micros)) => {
            set(&mut problems, "exposure mode", abi::CID_EXPOSURE_AUTO, abi::EXPOSURE_MANUAL, true);
            // V4L2 counts exposure in 100 µs units.
            let units = i32::try_from(micros / 100).unwrap_or(i32::MAX).max(1);
            set(&mut problems, "exposure", abi::CID_EXPOSURE_ABSOLUTE, units, true);
        }
    }

    match controls.white_balance {
        None => {}
        Some(AutoOr::Auto) => set(&mut problems, "white balance", abi::CID_AUTO_WHITE_BALANCE, 1, true),
        Some(AutoOr::Fixed(kelvin)) => {
            set(&mut problems, "white balance mode", abi::CID_AUTO_WHITE_BALANCE, 0, true);
            let kelvin = i32::try_from(kelvin).unwrap_or(i32::MAX);
            set(&mut problems, "white balance temperature", abi::CID_WHITE_BALANCE_TEMPERATURE, kelvin, true);
        }
    }
    problems
}

/// `percent` of the way from min to max, on the control's step grid.
fn from_percent(percent: usize, (min, max, step): (i32, i32, i32)) -> i32 {
    let span = i64::from(max) - i64::from(min);
    let step = i64::from(step.max(1));
    let raw = span * percent.min(100) as i64 / 100;
    let snapped = (raw + step / 2) / step * step;
    (i64::from(min) + snapped).clamp(i64::from(min), i64::from(max)) as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::HashMap;

    /// A device with some controls, recording what was set.
    struct FakeControls {
        ranges: HashMap<u32, (i32, i32, i32)>,
        refuse: Vec<(u32, i32)>,
        set: RefCell<Vec<(u32, i32)>>,
    }

    impl FakeControls {
        fn new(ranges: &[(u32, (i32, i32, i32))]) -> FakeControls {
            FakeControls {
                ranges: ranges.iter().copied().collect(),
                refuse: Vec::new(),
                set: RefCell::default(),
            }
        }

        fn value(&self, id: u32) -> Option<i32> {
            self.set.borrow().iter().rev().find(|(set_id, _)| *set_id == id).map(|(_, value)| *value)
        }
    }

    impl ControlAccess for FakeControls {
        fn range(&self, id: u32) -> Option<(i32, i32, i32)> {
            self.ranges.get(&id).copied()
        }
        fn set(&self, id: u32, value: i32) -> Result<(), String> {
            if !self.ranges.contains_key(&id) || self.refuse.contains(&(id, value)) {
                return Err("Invalid argument (os error 22)".into());
            }
            self.set.borrow_mut().push((id, value));
            Ok(())
        }
    }

    /// Roughly a UVC webcam: no rotate, no JPEG quality, aperture-priority exposure.
    fn webcam() -> FakeControls {
        let mut fake = FakeControls::new(&[
            (abi::CID_BRIGHTNESS, (-64, 64, 1)),
            (abi::CID_CONTRAST, (0, 95, 1)),
            (abi::CID_HFLIP, (0, 1, 1)),
            (abi::CID_VFLIP, (0, 1, 1)),
            (abi::CID_EXPOSURE_AUTO, (0, 3, 1)),
            (abi::CID_EXPOSURE_ABSOLUTE, (1, 5000, 1)),
            (abi::CID_AUTO_WHITE_BALANCE, (0, 1, 1)),
            (abi::CID_WHITE_BALANCE_TEMPERATURE, (2800, 6500, 10)),
        ]);
        fake.refuse.push((abi::CID_EXPOSURE_AUTO, abi::EXPOSURE_AUTO));
        fake
    }

    #[test]
    fn webcam_controls_are_mapped_onto_the_device_ranges() {
        let device = webcam();
        let controls = V4l2Controls {
            rotation: 180,
            brightness: Some(50),
            contrast: Some(100),
            exposure: Some(AutoOr::Auto),
            white_balance: Some(AutoOr::Fixed(4000)),
            ..V4l2Controls::default()
        };
        let problems = apply(&device, &controls, 80);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(device.value(abi::CID_BRIGHTNESS), Some(0));
        assert_eq!(device.value(abi::CID_CONTRAST), Some(95));
        assert_eq!(
            (device.value(abi::CID_HFLIP), device.value(abi::CID_VFLIP)),
            (Some(1), Some(1)),
            "180 = both flips"
        );
        assert_eq!(device.value(abi::CID_EXPOSURE_AUTO), Some(abi::EXPOSURE_APERTURE_PRIORITY));
        assert_eq!(device.value(abi::CID_AUTO_WHITE_BALANCE), Some(0));
        assert_eq!(device.value(abi::CID_WHITE_BALANCE_TEMPERATURE), Some(4000));
    }

    #[test]
    fn pi_camera_rotates_and_takes_the_jpeg_quality() {
        let device = FakeControls::new(&[
            (abi::CID_ROTATE, (0, 360, 90)),
            (abi::CID_HFLIP, (0, 1, 1)),
            (abi::CID_VFLIP, (0, 1, 1)),
            (abi::CID_JPEG_COMPRESSION_QUALITY, (1, 100, 1)),
            (abi::CID_EXPOSURE_AUTO, (0, 3, 1)),
            (abi::CID_EXPOSURE_ABSOLUTE, (1, 10000, 1)),
        ]);
        let controls =
            V4l2Controls { rotation: 90, exposure: Some(AutoOr::Fixed(20_000)), ..V4l2Controls::default() };
        let problems = apply(&device, &controls, 75);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(device.value(abi::CID_ROTATE), Some(90));
        assert_eq!(device.value(abi::CID_HFLIP), Some(0));
        assert_eq!(device.value(abi::CID_JPEG_COMPRESSION_QUALITY), Some(75));
        assert_eq!(device.value(abi::CID_EXPOSURE_AUTO), Some(abi::EXPOSURE_MANUAL));
        assert_eq!(device.value(abi::CID_EXPOSURE_ABSOLUTE), Some(200), "20 ms in 100 µs units");
    }

    #[test]
    fn missing_controls_are_reported_not_fatal() {
        let device = FakeControls::new(&[]);
        let controls = V4l2Controls {
            rotation: 270,
            vflip: true,
            brightness: Some(10),
            exposure: Some(AutoOr::Auto),
            ..V4l2Controls::default()
        };
        let problems = apply(&device, &controls, 80);
        let text = problems.join("\n");
        for needle in ["rotation 270", "vflip", "brightness", "exposure"] {
            assert!(text.contains(needle), "{needle} missing from {text}");
        }
        assert!(!text.contains("hflip") && !text.contains("jpeg"), "unwanted or optional: {text}");
        assert!(apply(&device, &V4l2Controls::default(), 80).is_empty(), "defaults ask nothing");
    }

    #[test]
    fn percent_maps_onto_stepped_ranges() {
        assert_eq!(from_percent(0, (-64, 64, 1)), -64);
        assert_eq!(from_percent(100, (-64, 64, 1)), 64);
        assert_eq!(from_percent(50, (0, 255, 1)), 127);
        assert_eq!(from_percent(33, (0, 100, 10)), 30);
        assert_eq!(from_percent(100, (0, 99, 10)), 99);
        assert_eq!(from_percent(50, (i32::MIN, i32::MAX, 0)), -1);
    }
}
