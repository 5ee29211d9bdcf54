//! Wall-clock text for the cards, formatted without allocating.

use core::fmt::Write;

/// "HH:MM:SS.mmm UTC" is 16 characters.
pub type ClockText = heapless::String<20>;

/// Formats the UTC time of day of `unix_time_us` as `HH:MM:SS.mmm UTC`. The date is left out:
/// the clock is there to show the picture is live, and a viewer's own clock gives the date.
pub fn utc_clock(unix_time_us: u64) -> ClockText {
    let millis_of_day = (unix_time_us / 1000) % (24 * 60 * 60 * 1000);
    let (hours, rest) = (millis_of_day / 3_600_000, millis_of_day % 3_600_000);
    let (minutes, rest) = (rest / 60_000, rest % 60_000);
    let (seconds, millis) = (rest / 1000, rest % 1000);
    let mut text = ClockText::new();
    // Cannot fail: the text always has exactly 16 characters.
    let _ = write!(text, "{hours:02}:{minutes:02}:{seconds:02}.{millis:03} UTC");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_time_of_day() {
        assert_eq!(utc_clock(0).as_str(), "00:00:00.000 UTC");
        // 2024-03-09 13:45:07.089 UTC
        assert_eq!(utc_clock(1_709_991_907_089_999).as_str(), "13:45:07.089 UTC");
        assert_eq!(utc_clock(u64::MAX).len(), 16);
    }
}
