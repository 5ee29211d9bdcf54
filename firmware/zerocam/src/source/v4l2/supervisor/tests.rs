use super::*;
use crate::camera::{unix_now_us, Camera};
use crate::config::CameraConfig;
use crate::source::v4l2::error::Failure;
use rustix::io::Errno;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

const CARD: Resolution = Resolution { width: 160, height: 120 };

/// What a fake camera frame looks like: a whole (if undecodable) JPEG with a comment.
const CAMERA_FRAME: [u8; 10] = [0xFF, 0xD8, 0xFF, 0xFE, 0x00, 0x04, b'c', b'm', 0xFF, 0xD9];

#[test]
fn backoff_doubles_to_the_cap_and_resets() {
    let mut backoff = Backoff::new(Timing::DEFAULT.first_retry, Timing::DEFAULT.max_retry);
    let delays: Vec<u64> = (0..7).map(|_| backoff.next_delay().as_millis() as u64).collect();
    assert_eq!(delays, [500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    backoff.reset();
    assert_eq!(backoff.next_delay(), Duration::from_millis(500));
}

/// A camera the test plugs in and out, recording when it was opened.
#[derive(Default)]
struct FakeCamera {
    plugged: AtomicBool,
    attempts: Mutex<Vec<Instant>>,
}

struct FakeConnector(Arc<FakeCamera>);
struct FakeSession(Arc<FakeCamera>);

const PATH: &str = "/dev/video7";

impl Connect for FakeConnector {
    type Session = FakeSession;
    fn connect(&mut self) -> Result<FakeSession, V4l2Error> {
        self.0.attempts.lock().expect("attempts").push(Instant::now());
        if self.0.plugged.load(Ordering::SeqCst) {
            Ok(FakeSession(Arc::clone(&self.0)))
        } else {
            Err(V4l2Error::new(Path::new(PATH), Failure::Open(Errno::NOENT)))
        }
    }
}

impl Pump for FakeSession {
    fn resolution(&self) -> Resolution {
        Resolution { width: 32, height: 16 }
    }

    fn pump(&mut self, output: &mut FrameOutput) -> Result<Pumped, V4l2Error> {
        if !self.0.plugged.load(Ordering::SeqCst) {
            return Err(V4l2Error::new(Path::new(PATH), Failure::Stalled(Duration::from_millis(2100))));
        }
        std::thread::sleep(Duration::from_millis(5));
        output
            .publish_jpeg(unix_now_us(), |slot| {
                slot[..CAMERA_FRAME.len()].copy_from_slice(&CAMERA_FRAME);
                Ok(CAMERA_FRAME.len())
            })
            .map(|_| Pumped::Published)
            .or(Ok(Pumped::Dropped))
    }
}

fn newest_frame(camera: &Camera) -> Option<Vec<u8>> {
    camera.pool.lease_newest().map(|lease| lease.bytes().to_vec())
}

fn is_card(frame: &[u8]) -> bool {
    let mut decoder = jpeg_decoder::Decoder::new(frame);
    decoder.decode().is_ok()
        && decoder.info().is_some_and(|info| (u32::from(info.width), u32::from(info.height)) == (160, 120))
}

fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("timed out waiting for: {what}");
}

#[test]
fn missing_camera_shows_cards_retries_with_backoff_and_recovers() {
    let config = CameraConfig { size: CARD, ..CameraConfig::default() };
    let (camera, mut output) = Camera::new(config, 64 * 1024, 4);
    let fake = Arc::new(FakeCamera::default());
    let timing = Timing {
        first_retry: Duration::from_millis(40),
        max_retry: Duration::from_millis(160),
        card_every: Duration::from_millis(20),
    };
    let thread = {
        let fake = Arc::clone(&fake);
        std::thread::spawn(move || {
            let mut card = FaultCard::new(CARD, 80);
            supervise(&mut FakeConnector(fake), &mut output, &mut card, timing);
        })
    };

    // Unplugged from the start: the fault names the device and errno; cards are streamed.
    wait_for("fault reported", || camera.fault().is_some());
    let fault = camera.fault().unwrap_or_default();
    assert!(fault.starts_with("/dev/video7: cannot open: No such file"), "{fault}");
    wait_for("a card", || newest_frame(&camera).is_some_and(|frame| is_card(&frame)));
    assert_eq!(camera.resolution(), CARD);
    wait_for("five attempts", || fake.attempts.lock().map_or(0, |a| a.len()) >= 5);

    // The gaps between attempts follow the backoff: 40, 80, 160, 160 ms. Sleeps never
    // undershoot; on a loaded machine they overshoot by a lot, hence the wide upper bound.
    let attempts = fake.attempts.lock().expect("attempts").clone();
    let gaps: Vec<Duration> = attempts.windows(2).map(|pair| pair[1] - pair[0]).collect();
    for (gap, expected_ms) in gaps.iter().zip([40u64, 80, 160, 160]) {
        let expected = Duration::from_millis(expected_ms);
        assert!(*gap >= expected && *gap < expected + Duration::from_millis(2000), "{gaps:?}");
    }
    let cards_while_missing = camera.pool.counters().published.load(Ordering::Relaxed);
    assert!(cards_while_missing >= 5, "about one card per 20 ms and per attempt: {cards_while_missing}");

    // Plugged in: frames flow, the fault clears, by itself.
    fake.plugged.store(true, Ordering::SeqCst);
    wait_for("fault cleared", || camera.fault().is_none());
    wait_for("camera frames", || newest_frame(&camera).is_some_and(|frame| frame == CAMERA_FRAME));
    assert_eq!(camera.resolution(), Resolution { width: 32, height: 16 });

    // Stalls: the fault says so, the cards come back, and the first retry is quick again.
    fake.plugged.store(false, Ordering::SeqCst);
    wait_for("stall reported", || camera.fault().is_some_and(|fault| fault.contains("stalled")));
    wait_for("a card again", || newest_frame(&camera).is_some_and(|frame| is_card(&frame)));
    let before = fake.attempts.lock().expect("attempts").len();
    fake.plugged.store(true, Ordering::SeqCst);
    wait_for("recovered again", || camera.fault().is_none());
    let after = fake.attempts.lock().expect("attempts").len();
    assert!(after - before <= 2, "the backoff was reset by the frames: {before} -> {after}");

    camera.stop();
    thread.join().expect("supervisor ends when the camera stops");
}

#[test]
fn card_says_no_camera_and_why() {
    let config = CameraConfig { size: CARD, ..CameraConfig::default() };
    let (camera, mut output) = Camera::new(config, 64 * 1024, 1);
    let mut card = FaultCard::new(CARD, 80);
    card.publish(&mut output, "/dev/video0: cannot open: No such file or directory").expect("fits");
    assert_eq!(card.text, "no camera: /dev/video0: cannot open: No such file or directory");
    assert!(newest_frame(&camera).is_some_and(|frame| is_card(&frame)));
}
