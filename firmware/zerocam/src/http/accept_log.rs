//! Logging accept(2) failures once per burst: a descriptor shortage makes every accept
//! fail at once, and the loop retries ten times a second, which must not flush /log or the
//! kernel log. The first failure of a burst is logged; the rest are counted and summed up
//! in one line when accepting works again, or once a minute while the burst lasts.

const SUMMARY_EVERY_MS: u64 = 60_000;

#[derive(Debug, Default)]
pub struct AcceptFailures {
    /// Failures since the last line, and when the burst began.
    unlogged: u64,
    burst_started_ms: Option<u64>,
    last_line_ms: u64,
}

impl AcceptFailures {
    /// A failed accept: the line to log now, if any.
    pub fn failed(&mut self, now_ms: u64, error: &std::io::Error) -> Option<String> {
        match self.burst_started_ms {
            None => {
                self.burst_started_ms = Some(now_ms);
                self.last_line_ms = now_ms;
                Some(format!("accept failed: {error} (retrying; repeats are summed up)"))
            }
            Some(started) => {
                self.unlogged += 1;
                if now_ms.saturating_sub(self.last_line_ms) < SUMMARY_EVERY_MS {
                    return None;
                }
                self.last_line_ms = now_ms;
                let line = format!(
                    "accept failed {} more times in {} s, still failing: {error}",
                    self.unlogged,
                    now_ms.saturating_sub(started) / 1000
                );
                self.unlogged = 0;
                Some(line)
            }
        }
    }

    /// A successful accept: ends the burst, with the line to log if repeats went unlogged.
    pub fn succeeded(&mut self, now_ms: u64) -> Option<String> {
        let started = self.burst_started_ms.take()?;
        let unlogged = std::mem::take(&mut self.unlogged);
        (unlogged > 0).then(|| {
            format!(
                "accept works again after {} s; it failed {unlogged} more times",
                now_ms.saturating_sub(started) / 1000
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_storm_is_one_line_then_a_summary() {
        let error = std::io::Error::from_raw_os_error(24);
        let mut failures = AcceptFailures::default();
        let mut lines = Vec::new();
        // Ten failures a second for two and a half minutes.
        for tick in 0..1500u64 {
            lines.extend(failures.failed(tick * 100, &error));
        }
        lines.extend(failures.succeeded(150_000));
        assert_eq!(lines.len(), 4, "{lines:#?}");
        assert!(lines[0].starts_with("accept failed: "));
        assert!(lines[1].contains("600 more times in 60 s"), "{}", lines[1]);
        assert!(lines[2].contains("600 more times in 120 s"), "{}", lines[2]);
        assert!(
            lines[3].contains("accept works again after 150 s; it failed 299 more times"),
            "{}",
            lines[3]
        );
        // A quiet accept after a single failure says nothing more.
        failures.failed(200_000, &error);
        assert_eq!(failures.succeeded(200_100), None);
    }
}
