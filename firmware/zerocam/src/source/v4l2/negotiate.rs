//! Choosing what to ask the device for: pixel format, frame size, frame interval. Pure
//! functions over an enumeration, so they are tested without a camera.

use super::abi::{self, Fract};
use super::enumerate::{fps_of, FormatInfo, Intervals, SizeInfo, SizeRange};
use crate::config::Resolution;

/// How frames of a pixel format become JPEGs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelKind {
    /// Already JPEG (MJPG from USB webcams and bcm2835-v4l2, JPEG from the latter): copied
    /// through unchanged.
    Jpeg,
    Yuyv,
    Nv12,
    Yuv420,
    Grey,
}

/// The formats zerocam can use, best first: JPEG formats cost one copy; raw ones a software
/// encode, where packed 4:2:2 keeps the camera's chroma and needs no plane arithmetic.
const PREFERENCE: [(u32, PixelKind); 6] = [
    (abi::PIX_FMT_MJPEG, PixelKind::Jpeg),
    (abi::PIX_FMT_JPEG, PixelKind::Jpeg),
    (abi::PIX_FMT_YUYV, PixelKind::Yuyv),
    (abi::PIX_FMT_NV12, PixelKind::Nv12),
    (abi::PIX_FMT_YUV420, PixelKind::Yuv420),
    (abi::PIX_FMT_GREY, PixelKind::Grey),
];

impl PixelKind {
    pub fn of(fourcc: u32) -> Option<PixelKind> {
        PREFERENCE.iter().find(|(code, _)| *code == fourcc).map(|(_, kind)| *kind)
    }

    pub fn is_passthrough(self) -> bool {
        self == PixelKind::Jpeg
    }
}

/// What to ask for with VIDIOC_S_FMT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatChoice {
    pub fourcc: u32,
    pub kind: PixelKind,
    pub size: Resolution,
}

/// The most preferred usable format, at the offered size nearest to `wanted`. A format
/// whose sizes the driver does not enumerate is asked for at `wanted` (S_FMT adjusts it).
/// Fails with the list of what was offered, for the error message.
pub fn choose_format(formats: &[FormatInfo], wanted: Resolution) -> Result<FormatChoice, String> {
    for (fourcc, kind) in PREFERENCE {
        if let Some(format) = formats.iter().find(|format| format.fourcc.0 == fourcc) {
            let size = nearest_size(&format.sizes, wanted).unwrap_or(wanted);
            return Ok(FormatChoice { fourcc, kind, size });
        }
    }
    let offered: Vec<String> = formats.iter().map(|format| format.fourcc.to_string()).collect();
    Err(if offered.is_empty() { "nothing".into() } else { offered.join(", ") })
}

/// The offered size closest to `wanted` (sum of the width and height differences); on a
/// tie the larger one, since scaling down in a viewer looks better than up.
pub fn nearest_size(sizes: &[SizeInfo], wanted: Resolution) -> Option<Resolution> {
    let distance = |size: Resolution| size.width.abs_diff(wanted.width) + size.height.abs_diff(wanted.height);
    let area = |size: Resolution| u64::from(size.width) * u64::from(size.height);
    sizes
        .iter()
        .map(|size| match size.range {
            SizeRange::Discrete(size) => size,
            SizeRange::Stepwise { min, max, step_width, step_height } => Resolution {
                width: snap(wanted.width, min.width, max.width, step_width),
                height: snap(wanted.height, min.height, max.height, step_height),
            },
        })
        .min_by(|a, b| distance(*a).cmp(&distance(*b)).then(area(*b).cmp(&area(*a))))
}

/// `value` clamped into min..=max and moved onto the grid min + k*step.
fn snap(value: u32, min: u32, max: u32, step: u32) -> u32 {
    let clamped = value.clamp(min, max.max(min));
    let step = step.max(1);
    let steps = (clamped - min + step / 2) / step;
    (min + steps * step).min(max.max(min))
}

/// The frame interval to ask for: the slowest offered rate that is at least `fps` (frames
/// beyond the configured rate are skipped, so the stream still runs at `fps`), else the
/// fastest one. `None` if the device offers nothing usable.
pub fn choose_interval(intervals: &Intervals, fps: usize) -> Option<Fract> {
    let wanted = Fract { numerator: 1, denominator: u32::try_from(fps.max(1)).unwrap_or(u32::MAX) };
    let wanted_fps = fps_of(wanted);
    match intervals {
        Intervals::Unknown => Some(wanted),
        Intervals::Discrete(list) => {
            let usable = || list.iter().copied().filter(|interval| fps_of(*interval) > 0.0);
            let at_least = usable()
                .filter(|interval| fps_of(*interval) + 0.01 >= wanted_fps)
                .min_by(|a, b| fps_of(*a).total_cmp(&fps_of(*b)));
            at_least.or_else(|| usable().max_by(|a, b| fps_of(*a).total_cmp(&fps_of(*b))))
        }
        Intervals::Stepwise { min, max, .. } => {
            // min is the shortest interval, i.e. the highest rate.
            let (fastest, slowest) = (fps_of(*min), fps_of(*max));
            if wanted_fps > fastest {
                Some(*min)
            } else if wanted_fps < slowest {
                Some(*max)
            } else {
                Some(wanted)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::v4l2::enumerate::Fourcc;

    fn size(width: u32, height: u32) -> Resolution {
        Resolution { width, height }
    }

    fn fract(numerator: u32, denominator: u32) -> Fract {
        Fract { numerator, denominator }
    }

    fn discrete(sizes: &[(u32, u32)]) -> Vec<SizeInfo> {
        sizes
            .iter()
            .map(|&(w, h)| SizeInfo {
                range: SizeRange::Discrete(size(w, h)),
                intervals: Intervals::Discrete(vec![fract(1, 30)]),
            })
            .collect()
    }

    fn format(code: &[u8; 4], sizes: Vec<SizeInfo>) -> FormatInfo {
        FormatInfo { fourcc: Fourcc(abi::fourcc(code)), description: String::new(), compressed: false, sizes }
    }

    /// A typical UVC webcam: YUYV listed first, MJPEG second.
    fn webcam() -> Vec<FormatInfo> {
        vec![
            format(b"YUYV", discrete(&[(640, 480), (320, 240)])),
            format(b"MJPG", discrete(&[(1280, 720), (640, 480), (1920, 1080)])),
        ]
    }

    #[test]
    fn mjpeg_is_preferred_wherever_it_is_listed() {
        let choice = choose_format(&webcam(), size(1280, 720)).expect("usable");
        assert_eq!(
            choice,
            FormatChoice { fourcc: abi::PIX_FMT_MJPEG, kind: PixelKind::Jpeg, size: size(1280, 720) }
        );
    }

    #[test]
    fn raw_formats_in_order_when_there_is_no_jpeg() {
        // vivid offers many raw formats; YUYV wins over NV12 and planar 4:2:0.
        let vivid = vec![
            format(b"NV12", discrete(&[(640, 480)])),
            format(b"RGB3", discrete(&[(640, 480)])),
            format(b"YU12", discrete(&[(640, 480)])),
            format(b"YUYV", discrete(&[(640, 480)])),
        ];
        assert_eq!(choose_format(&vivid, size(640, 480)).map(|c| c.kind), Ok(PixelKind::Yuyv));
        let planar_only = vec![format(b"YU12", vec![]), format(b"GREY", vec![])];
        let choice = choose_format(&planar_only, size(800, 600)).expect("usable");
        assert_eq!(
            (choice.kind, choice.size),
            (PixelKind::Yuv420, size(800, 600)),
            "unenumerated: as wanted"
        );
        let grey = choose_format(&[format(b"GREY", vec![])], size(640, 480)).expect("usable");
        assert_eq!(grey.kind, PixelKind::Grey);
    }

    #[test]
    fn unusable_devices_say_what_they_offer() {
        let rgb = vec![format(b"RGB3", vec![]), format(b"BA81", vec![])];
        assert_eq!(choose_format(&rgb, size(640, 480)), Err("RGB3, BA81".into()));
        assert_eq!(choose_format(&[], size(640, 480)), Err("nothing".into()));
    }

    #[test]
    fn nearest_discrete_size() {
        let sizes = discrete(&[(640, 480), (1280, 720), (1920, 1080), (320, 240)]);
        assert_eq!(nearest_size(&sizes, size(1280, 720)), Some(size(1280, 720)));
        assert_eq!(nearest_size(&sizes, size(1280, 960)), Some(size(1280, 720)));
        assert_eq!(nearest_size(&sizes, size(4000, 3000)), Some(size(1920, 1080)));
        assert_eq!(nearest_size(&sizes, size(16, 16)), Some(size(320, 240)));
        // 800x600 is 160+120 from VGA and 480+120 from 720p.
        assert_eq!(nearest_size(&sizes, size(800, 600)), Some(size(640, 480)));
        assert_eq!(nearest_size(&[], size(640, 480)), None);
    }

    #[test]
    fn ties_go_to_the_larger_size() {
        let sizes = discrete(&[(600, 400), (700, 500)]);
        assert_eq!(nearest_size(&sizes, size(650, 450)), Some(size(700, 500)));
    }

    #[test]
    fn stepwise_sizes_snap_to_the_grid() {
        // bcm2835-v4l2 offers 32x32..2592x1944 in steps of 2 by 2.
        let pi_camera = vec![SizeInfo {
            range: SizeRange::Stepwise {
                min: size(32, 32),
                max: size(2592, 1944),
                step_width: 2,
                step_height: 2,
            },
            intervals: Intervals::Unknown,
        }];
        assert_eq!(nearest_size(&pi_camera, size(1280, 720)), Some(size(1280, 720)));
        assert_eq!(nearest_size(&pi_camera, size(4096, 4096)), Some(size(2592, 1944)));
        assert_eq!(nearest_size(&pi_camera, size(16, 16)), Some(size(32, 32)));
        assert_eq!(nearest_size(&pi_camera, size(641, 481)), Some(size(642, 482)));
        let coarse = vec![SizeInfo {
            range: SizeRange::Stepwise {
                min: size(16, 16),
                max: size(100, 100),
                step_width: 16,
                step_height: 16,
            },
            intervals: Intervals::Unknown,
        }];
        assert_eq!(nearest_size(&coarse, size(100, 41)), Some(size(96, 48)));
    }

    #[test]
    fn interval_is_the_slowest_rate_at_least_the_wanted_one() {
        let offered = Intervals::Discrete(vec![fract(1, 30), fract(1, 15), fract(1, 5)]);
        assert_eq!(choose_interval(&offered, 10), Some(fract(1, 15)));
        assert_eq!(choose_interval(&offered, 15), Some(fract(1, 15)));
        assert_eq!(choose_interval(&offered, 25), Some(fract(1, 30)));
        assert_eq!(choose_interval(&offered, 60), Some(fract(1, 30)), "too fast: the fastest offered");
        assert_eq!(choose_interval(&offered, 1), Some(fract(1, 5)));
        // NTSC-style 30000/1001 counts as 30 fps.
        let ntsc = Intervals::Discrete(vec![fract(1001, 30000), fract(1, 15)]);
        assert_eq!(choose_interval(&ntsc, 30), Some(fract(1001, 30000)));
        assert_eq!(choose_interval(&Intervals::Discrete(vec![fract(0, 0)]), 30), None);
    }

    #[test]
    fn interval_from_a_range_or_unknown() {
        let range = Intervals::Stepwise { min: fract(1, 90), max: fract(1, 2), step: fract(1, 1) };
        assert_eq!(choose_interval(&range, 25), Some(fract(1, 25)));
        assert_eq!(choose_interval(&range, 120), Some(fract(1, 90)));
        assert_eq!(choose_interval(&range, 1), Some(fract(1, 2)));
        assert_eq!(choose_interval(&Intervals::Unknown, 12), Some(fract(1, 12)));
    }
}
