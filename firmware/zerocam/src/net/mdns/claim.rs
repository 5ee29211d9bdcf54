//! Claiming a name (RFC 6762 sections 8 and 9): probe three times 250 ms apart, then
//! announce twice a second apart, then hold it. Someone answering for the name while we
//! probe makes us pick the next one ("zerocam" -> "zerocam-2" -> "zerocam-3" ...); a
//! conflict seen later sends us back to probing. No I/O: the responder asks [`Claim::due`]
//! what to send and when.

use std::time::{Duration, Instant};

const PROBES: u8 = 3;
const PROBE_INTERVAL: Duration = Duration::from_millis(250);
const ANNOUNCEMENTS: u8 = 2;
const ANNOUNCE_INTERVAL: Duration = Duration::from_secs(1);
/// Lost a simultaneous probe: wait this long, then probe again (RFC 6762 section 8.2).
const TIEBREAK_WAIT: Duration = Duration::from_secs(1);
/// After 15 conflicts in 10 s, probe at most every 5 s (RFC 6762 section 8.1).
const CONFLICT_BURST: usize = 15;
const CONFLICT_WINDOW: Duration = Duration::from_secs(10);
const CONFLICT_BACKOFF: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Probing { sent: u8 },
    Announcing { sent: u8 },
    Holding,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Probe,
    Announce,
}

#[derive(Debug)]
pub struct Claim {
    base: String,
    /// 1 for the name as configured, 2 for "base-2" ...
    attempt: u32,
    phase: Phase,
    next: Instant,
    /// Times of recent conflicts, for the rate limit (at most CONFLICT_BURST kept).
    conflicts: Vec<Instant>,
}

impl Claim {
    /// `jitter` (0-250 ms, RFC 6762 section 8.1) spreads hosts that power on together.
    pub fn new(base: &str, now: Instant, jitter: Duration) -> Claim {
        Claim {
            base: base.to_owned(),
            attempt: 1,
            phase: Phase::Probing { sent: 0 },
            next: now + jitter,
            conflicts: Vec::new(),
        }
    }

    /// The label being claimed or held: "zerocam", or "zerocam-2" after one conflict.
    pub fn label(&self) -> String {
        if self.attempt == 1 {
            self.base.clone()
        } else {
            format!("{}-{}", self.base, self.attempt)
        }
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// We may answer queries only for a name that survived probing.
    pub fn is_ours(&self) -> bool {
        !matches!(self.phase, Phase::Probing { .. })
    }

    pub fn next_wakeup(&self) -> Option<Instant> {
        (self.phase != Phase::Holding).then_some(self.next)
    }

    /// What to send now, if anything; moves to the next step.
    pub fn due(&mut self, now: Instant) -> Option<Action> {
        if self.phase == Phase::Holding || now < self.next {
            return None;
        }
        match self.phase {
            Phase::Probing { sent } if sent < PROBES => {
                self.phase = Phase::Probing { sent: sent + 1 };
                self.next = now + PROBE_INTERVAL;
                Some(Action::Probe)
            }
            // Three probes and 250 ms of silence: the name is ours.
            Phase::Probing { .. } => self.announce(now, 0),
            Phase::Announcing { sent } if sent < ANNOUNCEMENTS => self.announce(now, sent),
            Phase::Announcing { .. } | Phase::Holding => {
                self.phase = Phase::Holding;
                None
            }
        }
    }

    fn announce(&mut self, now: Instant, sent: u8) -> Option<Action> {
        self.phase = Phase::Announcing { sent: sent + 1 };
        self.next = now + ANNOUNCE_INTERVAL;
        Some(Action::Announce)
    }

    /// Someone else answered for our name. While probing, take the next name; once the name
    /// was ours, probe it again (RFC 6762 section 9), which renames if they are still there.
    pub fn conflict(&mut self, now: Instant) {
        if matches!(self.phase, Phase::Probing { .. }) {
            self.attempt += 1;
        }
        self.conflicts.retain(|at| now.duration_since(*at) < CONFLICT_WINDOW);
        if self.conflicts.len() >= CONFLICT_BURST {
            self.conflicts.remove(0);
        }
        self.conflicts.push(now);
        let wait = if self.conflicts.len() >= CONFLICT_BURST { CONFLICT_BACKOFF } else { Duration::ZERO };
        self.phase = Phase::Probing { sent: 0 };
        self.next = now + wait;
    }

    /// Another host probing the same name at the same time won the tie-break.
    pub fn lost_tiebreak(&mut self, now: Instant) {
        if matches!(self.phase, Phase::Probing { .. }) {
            self.phase = Phase::Probing { sent: 0 };
            self.next = now + TIEBREAK_WAIT;
        }
    }

    /// A new interface came up: probe there too, keeping the name (RFC 6762 section 8).
    pub fn restart(&mut self, now: Instant) {
        self.phase = Phase::Probing { sent: 0 };
        self.next = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_until_quiet(claim: &mut Claim, mut now: Instant) -> (Vec<Action>, Instant) {
        let mut actions = Vec::new();
        while let Some(at) = claim.next_wakeup() {
            now = now.max(at);
            actions.extend(claim.due(now));
        }
        (actions, now)
    }

    #[test]
    fn probes_three_times_then_announces_twice() {
        let start = Instant::now();
        let mut claim = Claim::new("zerocam", start, Duration::from_millis(100));
        assert_eq!(claim.due(start), None, "jitter first");
        assert!(!claim.is_ours());
        let (actions, end) = run_until_quiet(&mut claim, start);
        use Action::*;
        assert_eq!(actions, [Probe, Probe, Probe, Announce, Announce]);
        assert_eq!(claim.phase(), Phase::Holding);
        assert!(claim.is_ours());
        assert_eq!(claim.label(), "zerocam");
        // 100 ms jitter, probes at 100/350/600, announce at 850 and 1850, holding at 2850.
        assert_eq!(end - start, Duration::from_millis(2850));
    }

    #[test]
    fn a_conflict_while_probing_renames() {
        let start = Instant::now();
        let mut claim = Claim::new("zerocam", start, Duration::ZERO);
        assert_eq!(claim.due(start), Some(Action::Probe));
        claim.conflict(start);
        assert_eq!(claim.label(), "zerocam-2");
        claim.conflict(start);
        assert_eq!(claim.label(), "zerocam-3");
        let (actions, _) = run_until_quiet(&mut claim, start);
        assert_eq!(actions.iter().filter(|a| **a == Action::Probe).count(), 3, "probing starts over");
        assert_eq!(claim.label(), "zerocam-3");
    }

    #[test]
    fn a_conflict_after_probing_probes_the_same_name_again() {
        let start = Instant::now();
        let mut claim = Claim::new("cam", start, Duration::ZERO);
        let (_, now) = run_until_quiet(&mut claim, start);
        claim.conflict(now);
        assert_eq!(claim.label(), "cam", "first probe again; rename only if it is still taken");
        assert!(!claim.is_ours());
        assert_eq!(claim.due(now), Some(Action::Probe));
    }

    #[test]
    fn many_conflicts_slow_probing_down() {
        let start = Instant::now();
        let mut claim = Claim::new("cam", start, Duration::ZERO);
        for _ in 0..CONFLICT_BURST {
            claim.conflict(start);
        }
        assert_eq!(claim.next_wakeup(), Some(start + CONFLICT_BACKOFF));
        assert_eq!(claim.label(), format!("cam-{}", CONFLICT_BURST + 1));
    }

    #[test]
    fn losing_a_tiebreak_waits_a_second() {
        let start = Instant::now();
        let mut claim = Claim::new("cam", start, Duration::ZERO);
        claim.due(start);
        claim.lost_tiebreak(start);
        assert_eq!(claim.next_wakeup(), Some(start + TIEBREAK_WAIT));
        assert_eq!(claim.label(), "cam");
    }
}
