//! The trial boot: after an update (or a rollback request) the boot script boots the new
//! slot once. zerocam then checks its own health: frames flowing, HTTP answering, the
//! network up. Healthy on a few checks in a row within `[update] trial_timeout_secs` of the
//! kernel starting: the slot is committed. Otherwise the failure is recorded in the boot
//! state and the board reboots into the committed slot. A trial that never gets this far
//! (kernel panic, hang, crash) is caught by the boot script: the trial count is spent
//! before the kernel starts, so any reboot without a commit goes back.

use super::board::BoardTarget;
use crate::system::{PowerAction, SharedControl, SharedHealth};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// Consecutive healthy checks, one a second, before the slot is committed: one good moment
/// is not a working system.
const HEALTHY_CHECKS: u32 = 3;
const CHECK_PERIOD: Duration = Duration::from_secs(1);
const HTTP_TIMEOUT: Duration = Duration::from_secs(2);

/// One round of checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checks {
    /// Every camera publishes frames and the HTTP event loop turns (the watchdog's test).
    pub frames: bool,
    /// GET /status over loopback gets an HTTP answer (any status: with viewer login on it
    /// is 401, and that is the server answering too).
    pub http: bool,
    /// An interface other than loopback has an IPv4 address.
    pub network: bool,
}

impl Checks {
    pub fn healthy(&self) -> bool {
        self.frames && self.http && self.network
    }

    /// What is wrong, for the rollback reason.
    pub fn failing(&self) -> String {
        let mut failing = Vec::new();
        if !self.frames {
            failing.push("no frames");
        }
        if !self.http {
            failing.push("HTTP not answering");
        }
        if !self.network {
            failing.push("network not up");
        }
        failing.join(", ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Wait,
    Commit(String),
    Fail(String),
}

/// Decides from the checks seen so far and the time since the kernel started.
#[derive(Debug)]
pub struct Judge {
    timeout: Duration,
    streak: u32,
    slot_label: String,
}

impl Judge {
    pub fn new(timeout: Duration, slot_label: String) -> Judge {
        Judge { timeout, streak: 0, slot_label }
    }

    pub fn observe(&mut self, checks: Checks, since_kernel_start: Duration) -> Verdict {
        self.streak = if checks.healthy() { self.streak + 1 } else { 0 };
        if self.streak >= HEALTHY_CHECKS {
            return Verdict::Commit(format!(
                "healthy {:.0} s after the kernel started (frames, HTTP, network)",
                since_kernel_start.as_secs_f64()
            ));
        }
        if since_kernel_start >= self.timeout {
            return Verdict::Fail(format!(
                "{} did not become healthy in {} s: {}",
                self.slot_label,
                self.timeout.as_secs(),
                if checks.healthy() { "healthy only at the very end".to_owned() } else { checks.failing() }
            ));
        }
        Verdict::Wait
    }
}

/// Starts the trial monitor if this boot is a pending trial. `http_port` is the port
/// zerocam serves on.
pub fn start(
    target: Arc<BoardTarget>,
    health: SharedHealth,
    http_port: u16,
    timeout: Duration,
    control: SharedControl,
) {
    match target.is_pending_trial() {
        Ok(true) => {}
        Ok(false) => return,
        Err(err) => {
            // Cannot read the boot state: the boot script still counts the trial as spent, so
            // not committing is the safe side.
            log::error!("cannot tell whether this boot is a trial ({err}); not committing");
            return;
        }
    }
    let slot = target.boot_args().slot;
    let version = target.state().ok().and_then(|state| state.version(slot).map(str::to_owned));
    let label = format!("slot {slot} ({})", version.as_deref().unwrap_or("?"));
    log::warn!(
        "trial boot of {label}: it must be healthy within {} s of the kernel start",
        timeout.as_secs()
    );
    let spawned = std::thread::Builder::new()
        .name("ota-trial".into())
        .spawn(move || monitor(&target, &health, http_port, Judge::new(timeout, label), &control));
    if let Err(err) = spawned {
        log::error!("cannot start the trial monitor: {err}; the trial will not commit");
    }
}

fn monitor(
    target: &BoardTarget,
    health: &SharedHealth,
    http_port: u16,
    mut judge: Judge,
    control: &SharedControl,
) {
    loop {
        let checks = Checks {
            frames: health.pipeline_healthy(),
            http: http_answers(http_port),
            network: network_up(),
        };
        match judge.observe(checks, crate::pid1::uptime()) {
            Verdict::Wait => std::thread::sleep(CHECK_PERIOD),
            Verdict::Commit(how) => {
                match target.commit(&how) {
                    Ok(_) => log::warn!("update committed: {how}"),
                    // Not committed: the next reboot goes back, which is safe.
                    Err(err) => log::error!("cannot commit the trial ({err}); the next boot goes back"),
                }
                return;
            }
            Verdict::Fail(why) => {
                log::error!("trial failed: {why}; rebooting into the committed slot");
                if let Err(err) = target.fail_trial(&why) {
                    // The boot script rolls back anyway (the trial count is spent); only the
                    // reason is lost.
                    log::error!("cannot record the failed trial: {err}");
                }
                if let Err(err) = control.request(PowerAction::Reboot) {
                    log::error!("cannot reboot after the failed trial: {err}");
                }
                return;
            }
        }
    }
}

/// GET /status over loopback gets an HTTP status line back.
fn http_answers(port: u16) -> bool {
    let exchange = || -> std::io::Result<bool> {
        let mut stream = TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], port)), HTTP_TIMEOUT)?;
        stream.set_read_timeout(Some(HTTP_TIMEOUT))?;
        stream.set_write_timeout(Some(HTTP_TIMEOUT))?;
        stream.write_all(b"GET /status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head)?;
        Ok(head.starts_with(b"HTTP/1.") && head[9].is_ascii_digit())
    };
    exchange().unwrap_or(false)
}

/// An interface other than loopback has a route, i.e. an IPv4 address with its prefix.
fn network_up() -> bool {
    std::fs::read_to_string("/proc/net/route").is_ok_and(|table| has_non_loopback_route(&table))
}

fn has_non_loopback_route(table: &str) -> bool {
    table.lines().skip(1).filter_map(|line| line.split_ascii_whitespace().next()).any(|iface| iface != "lo")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: Checks = Checks { frames: true, http: true, network: true };
    const NO_NET: Checks = Checks { frames: true, http: true, network: false };

    #[test]
    fn commits_after_consecutive_healthy_checks() {
        let mut judge = Judge::new(Duration::from_secs(60), "slot b (0.2.0)".into());
        assert_eq!(judge.observe(ALL, Duration::from_secs(5)), Verdict::Wait);
        assert_eq!(
            judge.observe(NO_NET, Duration::from_secs(6)),
            Verdict::Wait,
            "a failure restarts the count"
        );
        assert_eq!(judge.observe(ALL, Duration::from_secs(7)), Verdict::Wait);
        assert_eq!(judge.observe(ALL, Duration::from_secs(8)), Verdict::Wait);
        assert!(matches!(judge.observe(ALL, Duration::from_secs(9)), Verdict::Commit(_)));
    }

    #[test]
    fn fails_at_the_deadline_and_says_what_was_wrong() {
        let mut judge = Judge::new(Duration::from_secs(60), "slot b (0.2.0)".into());
        assert_eq!(judge.observe(NO_NET, Duration::from_secs(59)), Verdict::Wait);
        match judge.observe(NO_NET, Duration::from_secs(60)) {
            Verdict::Fail(why) => {
                assert_eq!(why, "slot b (0.2.0) did not become healthy in 60 s: network not up")
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn failing_lists_every_check() {
        let none = Checks { frames: false, http: false, network: false };
        assert_eq!(none.failing(), "no frames, HTTP not answering, network not up");
        assert!(ALL.healthy() && !NO_NET.healthy());
    }

    #[test]
    fn routes_on_loopback_only_do_not_count() {
        let header = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";
        assert!(!has_non_loopback_route(header));
        assert!(!has_non_loopback_route(&format!(
            "{header}lo\t0000007F\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0\n"
        )));
        assert!(has_non_loopback_route(&format!(
            "{header}eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
        )));
    }
}
