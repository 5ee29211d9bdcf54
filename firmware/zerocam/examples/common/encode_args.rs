//! The command line of the encoder benchmarks (jpeg_encode, raw_encode): a time budget in
//! seconds and a JPEG quality, both optional, in that order. Flags (anything starting with
//! "-", such as the test harness's) are ignored.

use zerocam::jpeg::DEFAULT_QUALITY;

pub fn seconds_and_quality() -> Result<(f64, u8), String> {
    let mut numbers = std::env::args().skip(1).filter(|arg| !arg.starts_with('-'));
    let seconds = match numbers.next() {
        None => 2.0,
        Some(text) => match text.parse::<f64>() {
            Ok(seconds) if seconds > 0.0 && seconds.is_finite() => seconds,
            _ => return Err(format!("time budget {text:?} is not a positive number of seconds")),
        },
    };
    let quality = match numbers.next() {
        None => DEFAULT_QUALITY,
        Some(text) => match text.parse::<u8>() {
            Ok(quality @ 1..=100) => quality,
            _ => return Err(format!("quality {text:?} is not in 1..=100")),
        },
    };
    Ok((seconds, quality))
}
