//! The fixed pool of frame slots that sits between a frame source and the HTTP clients.
//!
//! All memory is allocated once, in [`Pool::new`]. One writer (the camera's source thread)
//! claims a free slot, fills it with one JPEG and publishes it; any number of readers take a
//! counted [`Lease`] on the newest published slot. A slot is handed to the writer again only
//! when no lease holds it, so a frame is never rewritten while a client is sending it. When
//! every slot is leased the writer drops the frame (counted) instead of waiting: a slow
//! client can cost frames, never stall the camera.
//!
//! Slot state is one atomic word: the number of leases in the low bits plus a WRITING bit.
//! The writer claims a slot only by swapping a plain `0` (no lease, not being written) for
//! `WRITING`, and readers back off from a slot whose WRITING bit they see, so claiming and
//! leasing exclude each other without locks.

mod signal;
mod slot;

pub use signal::{FrameSignal, SubscriberId};
use slot::Slot;

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

const WRITING: u32 = 1 << 31;
const NONE: u32 = u32::MAX;

/// Sizes of a pool, fixed at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolShape {
    /// How many frames can exist at once (published, leased or being written).
    pub slots: usize,
    /// The largest JPEG one slot can hold, in bytes.
    pub slot_bytes: usize,
    /// How many readers can wait for frames at once (the HTTP client table's size).
    pub subscribers: usize,
}

/// Why a frame did not become the newest frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// Every slot was leased or newest: the writer never waits for readers.
    NoFreeSlot,
    /// The frame is larger than a slot; it is dropped rather than truncated.
    TooLarge,
    /// The source said the bytes are not a usable frame.
    Corrupt,
}

/// Counters of the pool's life, readable at any time.
#[derive(Debug, Default)]
pub struct PoolCounters {
    pub published: AtomicU64,
    pub published_bytes: AtomicU64,
    pub dropped_no_slot: AtomicU64,
    pub dropped_too_large: AtomicU64,
    pub dropped_corrupt: AtomicU64,
}

impl PoolCounters {
    fn count_drop(&self, why: Dropped) {
        let counter = match why {
            Dropped::NoFreeSlot => &self.dropped_no_slot,
            Dropped::TooLarge => &self.dropped_too_large,
            Dropped::Corrupt => &self.dropped_corrupt,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// A snapshot of how the slots are used right now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolUsage {
    pub slots: usize,
    pub slot_bytes: usize,
    /// Slots held by at least one lease.
    pub leased: usize,
    /// Slots the writer is filling.
    pub writing: usize,
    /// Leases held in total (one per client sending that frame).
    pub leases: u32,
}

pub struct Pool {
    slots: Box<[Slot]>,
    slot_bytes: usize,
    /// Index of the newest published slot, or NONE before the first frame.
    newest: AtomicU32,
    signal: FrameSignal,
    counters: PoolCounters,
}

impl Pool {
    /// Allocates every slot now and returns the pool with its only writer.
    pub fn new(shape: PoolShape) -> (Arc<Pool>, PoolWriter) {
        let slots = (0..shape.slots.max(2)).map(|_| Slot::new(shape.slot_bytes)).collect();
        let pool = Arc::new(Pool {
            slots,
            slot_bytes: shape.slot_bytes,
            newest: AtomicU32::new(NONE),
            signal: FrameSignal::new(shape.subscribers),
            counters: PoolCounters::default(),
        });
        let writer = PoolWriter { pool: Arc::clone(&pool), next: 0, seq: 0 };
        (pool, writer)
    }

    pub fn slot_bytes(&self) -> usize {
        self.slot_bytes
    }

    pub fn counters(&self) -> &PoolCounters {
        &self.counters
    }

    pub fn signal(&self) -> &FrameSignal {
        &self.signal
    }

    /// Sequence number of the newest frame (0 before the first).
    pub fn newest_seq(&self) -> u64 {
        match self.newest.load(Ordering::Acquire) {
            NONE => 0,
            i => self.slots[i as usize].published_seq(),
        }
    }

    /// A lease on the newest published frame, or `None` before the first frame.
    ///
    /// The frame may already have been superseded by the time the caller looks at it; it is
    /// still whole and unchanged for as long as the lease lives.
    pub fn lease_newest(self: &Arc<Self>) -> Option<Lease> {
        loop {
            let index = self.newest.load(Ordering::Acquire);
            if index == NONE {
                return None;
            }
            let slot = &self.slots[index as usize];
            let before = slot.state.fetch_add(1, Ordering::AcqRel);
            if before & WRITING == 0 {
                return Some(Lease { pool: Arc::clone(self), index });
            }
            // The writer claimed this slot after it stopped being newest: let go and look
            // again (the writer's next publish moved `newest` on already).
            slot.state.fetch_sub(1, Ordering::Release);
            std::hint::spin_loop();
        }
    }

    pub fn usage(&self) -> PoolUsage {
        let mut usage =
            PoolUsage { slots: self.slots.len(), slot_bytes: self.slot_bytes, ..Default::default() };
        for slot in self.slots.iter() {
            let state = slot.state.load(Ordering::Relaxed);
            let leases = state & !WRITING;
            if state & WRITING != 0 {
                usage.writing += 1;
            } else if leases > 0 {
                usage.leased += 1;
                usage.leases += leases;
            }
        }
        usage
    }
}

/// The one writer of a pool. It is `Send` so a source thread can own it.
pub struct PoolWriter {
    pool: Arc<Pool>,
    next: usize,
    seq: u64,
}

impl PoolWriter {
    pub fn pool(&self) -> &Arc<Pool> {
        &self.pool
    }

    /// Claims a free slot, lets `fill` write one frame into it and publishes the frame.
    ///
    /// `fill` gets the whole slot and returns how many bytes it wrote, or why the frame is
    /// unusable. Returns the new frame's sequence number. Never blocks and never allocates.
    pub fn publish_with<F>(&mut self, captured_us: u64, fill: F) -> Result<u64, Dropped>
    where
        F: FnOnce(&mut [u8]) -> Result<usize, Dropped>,
    {
        let result = self.try_publish(captured_us, fill);
        if let Err(why) = result {
            self.pool.counters.count_drop(why);
        }
        result
    }

    /// Counts a frame the source lost before it reached the pool (for example a capture
    /// error), so every lost frame shows up in one place.
    pub fn count_dropped(&self, why: Dropped) {
        self.pool.counters.count_drop(why);
    }

    fn try_publish<F>(&mut self, captured_us: u64, fill: F) -> Result<u64, Dropped>
    where
        F: FnOnce(&mut [u8]) -> Result<usize, Dropped>,
    {
        let index = self.claim_free_slot().ok_or(Dropped::NoFreeSlot)?;
        let slot = &self.pool.slots[index];
        // SAFETY: the WRITING bit is ours (claim_free_slot), so no reader holds or can take a
        // lease on this slot until we clear it.
        let buffer = unsafe { slot.buffer_mut() };
        let len = match fill(buffer) {
            Ok(len) if len <= buffer.len() => len,
            Ok(_) => Err(Dropped::TooLarge).inspect_err(|_| slot.release_claim())?,
            Err(why) => Err(why).inspect_err(|_| slot.release_claim())?,
        };
        self.seq += 1;
        // SAFETY: still exclusively ours, as above.
        unsafe { slot.set_frame(self.seq, captured_us, len) };
        // Release: a reader that sees the WRITING bit cleared also sees the frame.
        slot.state.fetch_and(!WRITING, Ordering::Release);
        self.pool.newest.store(index as u32, Ordering::Release);
        self.next = (index + 1) % self.pool.slots.len();
        let counters = &self.pool.counters;
        counters.published.fetch_add(1, Ordering::Relaxed);
        counters.published_bytes.fetch_add(len as u64, Ordering::Relaxed);
        self.pool.signal.wake_all();
        Ok(self.seq)
    }

    /// Round-robin from the slot after the last one written, so frames spread over the
    /// pool; the newest frame is never taken (a reader may be about to lease it).
    fn claim_free_slot(&mut self) -> Option<usize> {
        let count = self.pool.slots.len();
        let newest = self.pool.newest.load(Ordering::Relaxed);
        (0..count).map(|step| (self.next + step) % count).find(|&index| {
            index as u32 != newest
                && self.pool.slots[index]
                    .state
                    .compare_exchange(0, WRITING, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
        })
    }
}

/// A counted hold on one published frame. While it lives the frame's bytes do not change.
pub struct Lease {
    pool: Arc<Pool>,
    index: u32,
}

impl Lease {
    fn slot(&self) -> &Slot {
        &self.pool.slots[self.index as usize]
    }

    pub fn seq(&self) -> u64 {
        self.slot().published_seq()
    }

    /// Capture time, microseconds since the Unix epoch.
    pub fn captured_us(&self) -> u64 {
        // SAFETY: a lease keeps the writer out of this slot.
        unsafe { self.slot().frame().1 }
    }

    pub fn bytes(&self) -> &[u8] {
        // SAFETY: a lease keeps the writer out of this slot.
        unsafe { self.slot().frame().2 }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        // Release: our reads of the frame happen before the writer may claim the slot.
        self.slot().state.fetch_sub(1, Ordering::Release);
    }
}

impl std::fmt::Debug for Lease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lease").field("slot", &self.index).field("seq", &self.seq()).finish()
    }
}

#[cfg(test)]
mod tests;
