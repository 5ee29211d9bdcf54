//! Time as SNTP needs it: nanoseconds since the Unix epoch (signed, wide enough for any
//! offset), NTP's 32.32 fixed-point timestamps, and RFC 3339 text for the log.

use std::time::{SystemTime, UNIX_EPOCH};

pub const NANOS_PER_SEC: i128 = 1_000_000_000;
/// Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01).
const NTP_TO_UNIX_SECS: i128 = 2_208_988_800;
/// NTP seconds wrap in 2036 (era 1). RFC 4330 section 3: a timestamp whose top bit is clear
/// is taken to be in era 1; this keeps working until 2104.
const ERA_SECS: i128 = 1 << 32;

/// The wall clock now, in Unix nanoseconds (negative if the clock is before 1970).
pub fn now_unix_nanos() -> i128 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(since) => since.as_nanos() as i128,
        Err(before) => -(before.duration().as_nanos() as i128),
    }
}

pub fn to_ntp(unix_nanos: i128) -> u64 {
    let secs = unix_nanos.div_euclid(NANOS_PER_SEC) + NTP_TO_UNIX_SECS;
    let nanos = unix_nanos.rem_euclid(NANOS_PER_SEC);
    let fraction = (nanos << 32) / NANOS_PER_SEC;
    ((secs.rem_euclid(ERA_SECS) as u64) << 32) | fraction as u64
}

pub fn from_ntp(timestamp: u64) -> i128 {
    let mut secs = i128::from(timestamp >> 32);
    if secs & 0x8000_0000 == 0 {
        secs += ERA_SECS;
    }
    let nanos = (i128::from(timestamp & 0xFFFF_FFFF) * NANOS_PER_SEC) >> 32;
    (secs - NTP_TO_UNIX_SECS) * NANOS_PER_SEC + nanos
}

/// "2026-11-25T22:49:28.123Z" (UTC, milliseconds).
pub fn rfc3339(unix_nanos: i128) -> String {
    let secs = unix_nanos.div_euclid(NANOS_PER_SEC);
    let millis = unix_nanos.rem_euclid(NANOS_PER_SEC) / 1_000_000;
    let (days, of_day) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_date(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01, counted in 400-year cycles
/// (146097 days each) starting on March 1st so the leap day is the last day of a year.
fn civil_date(days: i128) -> (i128, u32, u32) {
    let shifted = days + 719_468; // 0000-03-01 to 1970-01-01
    let cycle = shifted.div_euclid(146_097);
    let day_of_cycle = shifted.rem_euclid(146_097);
    let year_of_cycle =
        (day_of_cycle - day_of_cycle / 1460 + day_of_cycle / 36_524 - day_of_cycle / 146_096) / 365;
    let day_of_year = day_of_cycle - (365 * year_of_cycle + year_of_cycle / 4 - year_of_cycle / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 } as u32;
    let year = year_of_cycle + cycle * 400 + i128::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ntp_round_trip_and_eras() {
        for unix_nanos in [0, 23_500_000_000, 1_764_110_968_250_000_000, 2_200_000_000_000_000_000] {
            let back = from_ntp(to_ntp(unix_nanos));
            assert!((back - unix_nanos).abs() <= 1, "{unix_nanos} came back as {back}");
        }
        assert_eq!(to_ntp(0) >> 32, 2_208_988_800);
        // 2036-02-07T06:28:16Z is NTP second 0 of era 1.
        assert_eq!(from_ntp(0), 2_085_978_496 * NANOS_PER_SEC);
    }

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(23_250_000_000), "1970-01-01T00:00:23.250Z");
        assert_eq!(rfc3339(951_782_400 * NANOS_PER_SEC), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339(1_764_110_968 * NANOS_PER_SEC), "2025-11-25T22:49:28.000Z");
        assert_eq!(rfc3339(-NANOS_PER_SEC), "1969-12-31T23:59:59.000Z");
    }
}
