//! One frame slot: a buffer allocated at start-up plus the frame's metadata.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

pub(super) struct Slot {
    /// Lease count in the low bits, `WRITING` while the writer owns the slot.
    pub(super) state: AtomicU32,
    /// Sequence number of the frame in the slot; atomic so that a peek without a lease
    /// (`Pool::newest_seq`) is never a data race.
    seq: AtomicU64,
    frame: UnsafeCell<FrameMeta>,
    data: UnsafeCell<Box<[u8]>>,
}

struct FrameMeta {
    captured_us: u64,
    len: usize,
}

// SAFETY: `frame` and `data` are written only by the pool's single writer while it holds the
// WRITING bit, and read only under a lease, which excludes that bit (see pool/mod.rs).
unsafe impl Sync for Slot {}

impl Slot {
    pub(super) fn new(bytes: usize) -> Slot {
        Slot {
            state: AtomicU32::new(0),
            seq: AtomicU64::new(0),
            frame: UnsafeCell::new(FrameMeta { captured_us: 0, len: 0 }),
            // Zeroed allocation: the kernel maps pages only once a frame touches them, so a
            // generous slot size costs address space, not memory.
            data: UnsafeCell::new(vec![0u8; bytes].into_boxed_slice()),
        }
    }

    pub(super) fn published_seq(&self) -> u64 {
        self.seq.load(Ordering::Acquire)
    }

    pub(super) fn release_claim(&self) {
        self.state.fetch_and(!super::WRITING, Ordering::Release);
    }

    /// # Safety
    /// The caller must hold the WRITING bit.
    #[allow(clippy::mut_from_ref)]
    pub(super) unsafe fn buffer_mut(&self) -> &mut [u8] {
        unsafe { &mut *self.data.get() }
    }

    /// # Safety
    /// The caller must hold the WRITING bit.
    pub(super) unsafe fn set_frame(&self, seq: u64, captured_us: u64, len: usize) {
        unsafe { *self.frame.get() = FrameMeta { captured_us, len } };
        self.seq.store(seq, Ordering::Release);
    }

    /// Returns (seq, captured_us, bytes).
    ///
    /// # Safety
    /// The caller must hold a lease on this slot.
    pub(super) unsafe fn frame(&self) -> (u64, u64, &[u8]) {
        let meta = unsafe { &*self.frame.get() };
        let data = unsafe { &*self.data.get() };
        (self.published_seq(), meta.captured_us, &data[..meta.len])
    }
}
