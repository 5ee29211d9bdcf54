//! Wakes the tasks waiting for the next frame, without allocating per frame.
//!
//! Each waiting reader owns one fixed entry (its HTTP client-table index); the writer wakes
//! every entry in use after each publish. A woken reader re-registers before it waits again.

use atomic_waker::AtomicWaker;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Waker;

/// Index of a waiting reader's entry; the HTTP client table hands these out.
pub type SubscriberId = usize;

pub struct FrameSignal {
    wakers: Box<[AtomicWaker]>,
    /// One past the highest entry ever registered, so a small table is scanned quickly.
    in_use: AtomicUsize,
}

impl FrameSignal {
    pub fn new(capacity: usize) -> FrameSignal {
        FrameSignal {
            wakers: (0..capacity).map(|_| AtomicWaker::new()).collect(),
            in_use: AtomicUsize::new(0),
        }
    }

    pub fn capacity(&self) -> usize {
        self.wakers.len()
    }

    /// Registers `waker` to be woken by the next publish. Ids beyond the capacity are a
    /// programming error and are ignored (the reader then only wakes on its timers).
    pub fn register(&self, id: SubscriberId, waker: &Waker) {
        if let Some(entry) = self.wakers.get(id) {
            entry.register(waker);
            self.in_use.fetch_max(id + 1, Ordering::AcqRel);
        }
    }

    /// Forgets the waker at `id` (its reader has gone).
    pub fn unregister(&self, id: SubscriberId) {
        if let Some(entry) = self.wakers.get(id) {
            drop(entry.take());
        }
    }

    /// Wakes one reader (e.g. to tell it that its connection was ended).
    pub fn wake(&self, id: SubscriberId) {
        if let Some(entry) = self.wakers.get(id) {
            entry.wake();
        }
    }

    pub fn wake_all(&self) {
        let end = self.in_use.load(Ordering::Acquire).min(self.wakers.len());
        for entry in &self.wakers[..end] {
            entry.wake();
        }
    }
}
