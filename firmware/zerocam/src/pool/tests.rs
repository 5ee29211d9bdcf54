use super::*;
use std::sync::atomic::AtomicBool;
use std::thread;
use std::time::Duration;

fn shape(slots: usize, slot_bytes: usize) -> PoolShape {
    PoolShape { slots, slot_bytes, subscribers: 4 }
}

/// Fills a frame whose every byte is derived from its sequence number, so a reader can tell
/// a torn or rewritten frame from a whole one.
fn fill_for(seq: u64, len: usize, buf: &mut [u8]) -> Result<usize, Dropped> {
    if len > buf.len() {
        return Err(Dropped::TooLarge);
    }
    buf[..8].copy_from_slice(&seq.to_le_bytes());
    for (i, byte) in buf[8..len].iter_mut().enumerate() {
        *byte = (seq as usize).wrapping_mul(31).wrapping_add(i) as u8;
    }
    Ok(len)
}

fn frame_is_whole(bytes: &[u8]) -> Option<u64> {
    let seq = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?);
    let whole = bytes[8..]
        .iter()
        .enumerate()
        .all(|(i, &b)| b == (seq as usize).wrapping_mul(31).wrapping_add(i) as u8);
    whole.then_some(seq)
}

#[test]
fn nothing_to_lease_before_the_first_frame() {
    let (pool, _writer) = Pool::new(shape(3, 64));
    assert!(pool.lease_newest().is_none());
    assert_eq!(pool.newest_seq(), 0);
}

#[test]
fn newest_frame_is_leased_with_its_metadata() {
    let (pool, mut writer) = Pool::new(shape(3, 64));
    let seq = writer.publish_with(1234, |buf| fill_for(1, 40, buf)).expect("publish");
    assert_eq!(seq, 1);
    let lease = pool.lease_newest().expect("a frame");
    assert_eq!(lease.seq(), 1);
    assert_eq!(lease.captured_us(), 1234);
    assert_eq!(lease.bytes().len(), 40);
    assert_eq!(frame_is_whole(lease.bytes()), Some(1));
}

#[test]
fn oversized_frame_is_dropped_and_counted_not_truncated() {
    let (pool, mut writer) = Pool::new(shape(3, 64));
    assert_eq!(writer.publish_with(0, |buf| fill_for(1, 100, buf)), Err(Dropped::TooLarge));
    // A fill that claims more bytes than the slot has is refused the same way.
    assert_eq!(writer.publish_with(0, |_| Ok(65)), Err(Dropped::TooLarge));
    assert_eq!(pool.counters().dropped_too_large.load(Ordering::Relaxed), 2);
    assert!(pool.lease_newest().is_none());
    // The slot was given back: the pool still works.
    writer.publish_with(0, |buf| fill_for(1, 10, buf)).expect("publish after drop");
    assert_eq!(pool.usage().writing, 0);
}

#[test]
fn leased_slots_are_never_reused_and_full_pool_drops_frames() {
    let (pool, mut writer) = Pool::new(shape(3, 64));
    writer.publish_with(0, |buf| fill_for(1, 20, buf)).expect("frame 1");
    let first = pool.lease_newest().expect("lease 1");
    writer.publish_with(0, |buf| fill_for(2, 20, buf)).expect("frame 2");
    let second = pool.lease_newest().expect("lease 2");
    writer.publish_with(0, |buf| fill_for(3, 20, buf)).expect("frame 3");
    // Slot of frame 3 is newest, 1 and 2 are leased: nothing is free.
    assert_eq!(writer.publish_with(0, |buf| fill_for(4, 20, buf)), Err(Dropped::NoFreeSlot));
    assert_eq!(pool.counters().dropped_no_slot.load(Ordering::Relaxed), 1);
    assert_eq!(frame_is_whole(first.bytes()), Some(1));
    assert_eq!(frame_is_whole(second.bytes()), Some(2));
    let usage = pool.usage();
    assert_eq!((usage.leased, usage.leases), (2, 2));
    drop(first);
    assert_eq!(writer.publish_with(0, |buf| fill_for(4, 20, buf)), Ok(4));
}

#[test]
fn failed_fill_releases_the_slot() {
    let (pool, mut writer) = Pool::new(shape(2, 64));
    for _ in 0..5 {
        assert_eq!(writer.publish_with(0, |_| Err(Dropped::Corrupt)), Err(Dropped::Corrupt));
    }
    assert_eq!(pool.counters().dropped_corrupt.load(Ordering::Relaxed), 5);
    assert_eq!(writer.publish_with(0, |buf| fill_for(1, 9, buf)), Ok(1));
}

/// A writer at full speed, many fast readers and a few slow ones that hold leases for a
/// while: every frame any reader sees is whole and stays whole while leased, and each
/// reader's sequence numbers only increase.
#[test]
fn stress_no_torn_or_recycled_frame() {
    let (pool, mut writer) = Pool::new(PoolShape { slots: 4, slot_bytes: 4096, subscribers: 16 });
    let stop = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for reader in 0..12 {
        let pool = Arc::clone(&pool);
        let stop = Arc::clone(&stop);
        readers.push(thread::spawn(move || {
            let slow = reader % 4 == 0;
            let (mut last, mut seen) = (0u64, 0u64);
            while !stop.load(Ordering::Relaxed) {
                let Some(lease) = pool.lease_newest() else { continue };
                let seq = lease.seq();
                assert!(seq >= last, "sequence went back: {seq} after {last}");
                assert_eq!(frame_is_whole(lease.bytes()), Some(seq), "torn frame");
                if slow {
                    thread::sleep(Duration::from_micros(300));
                    // Still the same bytes after the writer has moved on many times.
                    assert_eq!(frame_is_whole(lease.bytes()), Some(seq), "frame rewritten under lease");
                }
                if seq > last {
                    seen += 1;
                }
                last = seq;
            }
            seen
        }));
    }
    let mut published = 0u64;
    let deadline = std::time::Instant::now() + Duration::from_millis(1500);
    let mut next = 1u64;
    while std::time::Instant::now() < deadline {
        let len = 64 + (next as usize * 97) % 4000;
        // The writer's own count of the sequence number it will get on success.
        if writer.publish_with(0, |buf| fill_for(next, len, buf)).is_ok() {
            published += 1;
            next += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        let seen = reader.join().expect("reader panicked");
        assert!(seen > 0, "a reader saw no frame");
    }
    // Low enough for qemu-arm emulating an ARM1176, where the whole test runs ~10x slower.
    assert!(published > 100, "writer was starved: {published} frames");
    let usage = pool.usage();
    assert_eq!((usage.leases, usage.writing), (0, 0), "leases leaked");
}
