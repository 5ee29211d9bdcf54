//! The client against the fake servers of [`super::fakes`]: real sockets, a recorded clock.

use super::fakes::{dns_server, ntp_server, silent_server};
use super::*;
use std::net::Ipv4Addr;

const SHORT: Duration = Duration::from_millis(300);
const THOUSAND_SECS: i128 = 1000 * NANOS_PER_SEC;
/// Loopback round trips plus thread wake-ups, generously.
const TOLERANCE: i128 = NANOS_PER_SEC / 20;

#[derive(Default)]
struct RecordedClock(Vec<i128>);

impl StepClock for RecordedClock {
    fn step(&mut self, offset_nanos: i128) -> Result<(), NetError> {
        self.0.push(offset_nanos);
        Ok(())
    }
}

fn sources(configured: &[String]) -> Sources {
    Sources { configured: configured.to_vec(), ..Sources::default() }
}

#[test]
fn query_measures_the_offset_of_a_fake_server() {
    let (server, handle) = ntp_server(THOUSAND_SECS, 1);
    let sample = sntp::query(server, Duration::from_secs(2)).expect("fake server answers");
    assert!((sample.offset - THOUSAND_SECS).abs() < TOLERANCE, "offset {}", sample.offset);
    assert!(sample.round_trip >= 0 && sample.round_trip < TOLERANCE, "round trip {}", sample.round_trip);
    handle.join().expect("server thread");
}

#[test]
fn steps_from_the_first_server_that_answers() {
    let (_socket, silent) = silent_server();
    let (server, handle) = ntp_server(THOUSAND_SECS, 1);
    let mut syncer =
        Syncer::new(&sources(&[silent.to_string(), server.to_string()]), SHORT, RecordedClock::default());
    let synced = syncer.sync_once().expect("second server answers");
    assert_eq!(synced.server, server);
    assert!(synced.stepped);
    assert_eq!(syncer.clock.0.len(), 1);
    assert!((syncer.clock.0[0] - THOUSAND_SECS).abs() < TOLERANCE, "step {}", syncer.clock.0[0]);
    handle.join().expect("server thread");
}

#[test]
fn small_offsets_leave_the_clock_alone() {
    let (server, handle) = ntp_server(NANOS_PER_SEC / 10, 1);
    let mut syncer = Syncer::new(&sources(&[server.to_string()]), SHORT, RecordedClock::default());
    let synced = syncer.sync_once().expect("answers");
    assert!(!synced.stepped);
    assert!(syncer.clock.0.is_empty());
    handle.join().expect("server thread");
}

#[test]
fn host_names_are_resolved_with_the_given_dns_servers() {
    let (ntp, ntp_handle) = ntp_server(-THOUSAND_SECS, 1);
    let (dns, dns_handle) = dns_server(Ipv4Addr::LOCALHOST, 1);
    let (_socket, silent_dns) = silent_server();
    let mut with_names = sources(&[format!("time.test:{}", ntp.port())]);
    with_names.dns = vec![silent_dns, dns];
    let mut syncer = Syncer::new(&with_names, SHORT, RecordedClock::default());
    let synced = syncer.sync_once().expect("resolved and answered");
    assert_eq!(synced.server, ntp);
    assert!((syncer.clock.0[0] + THOUSAND_SECS).abs() < TOLERANCE, "step {}", syncer.clock.0[0]);
    ntp_handle.join().expect("ntp thread");
    dns_handle.join().expect("dns thread");
}

#[test]
fn fails_with_the_last_error_when_nobody_answers() {
    let (_socket, silent) = silent_server();
    let mut syncer =
        Syncer::new(&sources(&[silent.to_string(), "time.test".into()]), SHORT, RecordedClock::default());
    let err = syncer.sync_once().expect_err("nobody answers");
    assert!(err.to_string().contains("resolve time.test"), "{err}");
    assert!(syncer.clock.0.is_empty());
    let mut empty = Syncer::new(&Sources::default(), SHORT, RecordedClock::default());
    assert!(empty.sync_once().is_err());
}

#[test]
fn resolver_returns_the_fake_servers_address() {
    let (dns, handle) = dns_server(Ipv4Addr::new(192, 0, 2, 7), 1);
    let found = dns::resolve("pool.ntp.org", &[dns], SHORT).expect("answers");
    assert_eq!(found, [Ipv4Addr::new(192, 0, 2, 7)]);
    handle.join().expect("dns thread");
    assert!(dns::resolve("pool.ntp.org", &[], SHORT).is_err());
}
