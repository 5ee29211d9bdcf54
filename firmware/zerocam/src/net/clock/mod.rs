//! The board has no RTC: its clock starts at 1970 on every boot. Once the network is up this
//! sets it by SNTP (RFC 4330) from the servers in [`servers`], on its own thread: retrying
//! with growing waits until one answers, then checking again every hour. A large error is
//! corrected in one step; nothing here needs the smooth slewing of a full NTP daemon.

mod dns;
#[cfg(test)]
mod fakes;
mod servers;
mod sntp;
mod timestamp;

pub use dns::PORT as DNS_PORT;
pub use servers::Sources;

use super::error::{Context, NetError};
use servers::Target;
use std::net::SocketAddrV4;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use timestamp::{now_unix_nanos, rfc3339, NANOS_PER_SEC};

/// Smaller errors are left alone: nothing on the board cares about half a second.
const STEP_THRESHOLD_NANOS: i128 = NANOS_PER_SEC / 2;
/// Per server and per DNS query.
const QUERY_TIMEOUT: Duration = Duration::from_secs(2);
const FIRST_RETRY: Duration = Duration::from_secs(2);
const MAX_RETRY: Duration = Duration::from_secs(300);
const RESYNC: Duration = Duration::from_secs(3600);
/// A pool name resolves to several servers; a few are enough.
const ADDRESSES_PER_NAME: usize = 4;

static STARTED: AtomicBool = AtomicBool::new(false);

/// Starts the clock thread; later calls (a renewed lease) do nothing.
pub fn start(sources: Sources) {
    if STARTED.swap(true, Ordering::SeqCst) {
        return;
    }
    let syncer = Syncer::new(&sources, QUERY_TIMEOUT, SystemClock);
    if syncer.targets.is_empty() {
        log::warn!("no NTP server ([network] ntp, DHCP or gateway): the clock stays at 1970");
        return;
    }
    let spawned = std::thread::Builder::new().name("clock".into()).spawn(move || run(syncer));
    if let Err(err) = spawned {
        log::error!("cannot start the clock thread: {err}");
    }
}

fn run<C: StepClock>(mut syncer: Syncer<C>) {
    let mut retry = FIRST_RETRY;
    loop {
        match syncer.sync_once() {
            Ok(_) => {
                retry = FIRST_RETRY;
                std::thread::sleep(RESYNC);
            }
            Err(err) => {
                log::warn!("{err}; clock not set, next try in {} s", retry.as_secs());
                std::thread::sleep(retry);
                retry = (retry * 2).min(MAX_RETRY);
            }
        }
    }
}

/// Moves the wall clock; injectable so tests never touch the host's.
pub trait StepClock {
    fn step(&mut self, offset_nanos: i128) -> Result<(), NetError>;
}

/// CLOCK_REALTIME (needs CAP_SYS_TIME, which PID 1 has).
pub struct SystemClock;

impl StepClock for SystemClock {
    fn step(&mut self, offset_nanos: i128) -> Result<(), NetError> {
        let target = now_unix_nanos() + offset_nanos;
        let time = rustix::time::Timespec {
            tv_sec: target.div_euclid(NANOS_PER_SEC) as i64,
            tv_nsec: target.rem_euclid(NANOS_PER_SEC) as i64,
        };
        rustix::time::clock_settime(rustix::time::ClockId::Realtime, time)
            .context(|| "set the clock".to_owned())
    }
}

/// The outcome of one successful round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Synced {
    pub server: SocketAddrV4,
    pub offset_nanos: i128,
    pub stepped: bool,
}

pub struct Syncer<C> {
    targets: Vec<Target>,
    dns: Vec<SocketAddrV4>,
    timeout: Duration,
    clock: C,
}

impl<C: StepClock> Syncer<C> {
    pub fn new(sources: &Sources, timeout: Duration, clock: C) -> Syncer<C> {
        Syncer { targets: servers::targets(sources), dns: sources.dns.clone(), timeout, clock }
    }

    /// Asks the servers in order until one answers, and steps the clock if it is off.
    pub fn sync_once(&mut self) -> Result<Synced, NetError> {
        let mut last = None;
        for target in &self.targets {
            let addresses = match target {
                Target::Address(address) => vec![*address],
                Target::Name { host, port } => match dns::resolve(host, &self.dns, self.timeout) {
                    Ok(found) => found.into_iter().map(|ip| SocketAddrV4::new(ip, *port)).collect(),
                    Err(err) => {
                        log::debug!("{err}");
                        last = Some(err);
                        continue;
                    }
                },
            };
            for address in addresses.into_iter().take(ADDRESSES_PER_NAME) {
                match sntp::query(address, self.timeout) {
                    Ok(sample) => return step_if_off(&mut self.clock, target, address, sample),
                    Err(err) => {
                        log::debug!("{err}");
                        last = Some(err);
                    }
                }
            }
        }
        Err(last.unwrap_or_else(|| NetError::other("ntp", "no server to ask")))
    }
}

fn step_if_off<C: StepClock>(
    clock: &mut C,
    target: &Target,
    address: SocketAddrV4,
    sample: sntp::Sample,
) -> Result<Synced, NetError> {
    let offset = sample.offset;
    let stepped = offset.abs() > STEP_THRESHOLD_NANOS;
    let shown = match target {
        Target::Name { .. } => format!("{target} ({})", address.ip()),
        Target::Address(_) => target.to_string(),
    };
    if stepped {
        let server_now = now_unix_nanos() + offset;
        clock.step(offset)?;
        // ci/test-qemu reads the step to turn frame times back into time since boot.
        log::info!(
            "clock set from {shown}: {} (step {:.3} s)",
            rfc3339(server_now),
            offset as f64 / NANOS_PER_SEC as f64
        );
    } else {
        log::debug!("clock within {} ms of {shown}", offset / 1_000_000);
    }
    // From now on the wall clock may be shown to others (HTTP Date headers).
    crate::system::mark_clock_reliable();
    Ok(Synced { server: address, offset_nanos: offset, stepped })
}

#[cfg(test)]
mod tests;
