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
    /// Publishes so far: each starts waking at a different entry (see `wake_all`).
    rounds: AtomicUsize,
}

impl FrameSignal {
    pub fn new(capacity: usize) -> FrameSignal {
        FrameSignal {
            wakers: (0..capacity).map(|_| AtomicWaker::new()).collect(),
            in_use: AtomicUsize::new(0),
            rounds: AtomicUsize::new(0),
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

    /// Wakes every registered reader. Woken readers run in the order they were woken, and
    /// when the sender cannot keep up, where a reader stands in that order decides whether
    /// its socket has room yet. So each publish starts at a different entry, spread over
    /// the table by the golden ratio, and no reader is always first or always last.
    pub fn wake_all(&self) {
        let end = self.in_use.load(Ordering::Acquire).min(self.wakers.len());
        if end == 0 {
            return;
        }
        let round = self.rounds.fetch_add(1, Ordering::Relaxed) as u64;
        // round * 0.618... of the table, in 16-bit fixed point.
        let start = (((round.wrapping_mul(40_503) & 0xFFFF) * end as u64) >> 16) as usize;
        let (before, after) = self.wakers[..end].split_at(start);
        for entry in after.iter().chain(before) {
            entry.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::task::Wake;

    /// Records its reader's id when woken.
    struct Recorder {
        id: usize,
        woken: Arc<Mutex<Vec<usize>>>,
    }

    impl Wake for Recorder {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.woken.lock().expect("not poisoned").push(self.id);
        }
    }

    #[test]
    fn every_publish_wakes_everyone_once_starting_somewhere_else() {
        const READERS: usize = 100;
        let signal = FrameSignal::new(128);
        let woken = Arc::new(Mutex::new(Vec::new()));
        let wakers: Vec<Waker> = (0..READERS)
            .map(|id| Waker::from(Arc::new(Recorder { id, woken: Arc::clone(&woken) })))
            .collect();
        let mut firsts = Vec::new();
        for _ in 0..20 {
            for (id, waker) in wakers.iter().enumerate() {
                signal.register(id, waker);
            }
            signal.wake_all();
            let mut round = std::mem::take(&mut *woken.lock().expect("not poisoned"));
            firsts.push(round[0]);
            round.sort_unstable();
            assert_eq!(round, (0..READERS).collect::<Vec<_>>());
        }
        firsts.sort_unstable();
        firsts.dedup();
        assert_eq!(firsts.len(), 20, "each round starts at a different reader");
    }
}
