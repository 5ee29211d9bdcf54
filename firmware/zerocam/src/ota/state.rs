//! What the camera tells about updates: the last update's result (for /status and
//! /metrics), and whether one is under way. Written by the installer, read by HTTP.

use super::SlotName;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

/// How the last update attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastUpdate {
    pub ok: bool,
    /// "ok", or the refusal's code ("bad_signature", "truncated", ...).
    pub code: &'static str,
    /// For people: "installed version 0.2.0 in slot b" or the refusal's text.
    pub reason: String,
    /// The bundle's version, once its manifest was trusted.
    pub version: Option<String>,
    /// The slot written (a successful update only).
    pub slot: Option<SlotName>,
}

impl LastUpdate {
    /// One line for /status and the log: "ok version 0.2.0" or "refused: bad signature: ...".
    pub fn summary(&self) -> String {
        if self.ok {
            format!("ok version {}", self.version.as_deref().unwrap_or("?"))
        } else {
            format!("refused: {}", self.reason)
        }
    }
}

#[derive(Debug, Default)]
pub struct UpdateState {
    last: Mutex<Option<LastUpdate>>,
    busy: AtomicBool,
    /// Bytes of the running (or last) upload received so far, and its declared length.
    received: AtomicU64,
    expected: AtomicU64,
    /// Counts for /metrics.
    pub installed: AtomicU64,
    pub refused: AtomicU64,
}

impl UpdateState {
    /// Takes the "one update at a time" flag; false if an update is already under way.
    pub fn try_begin(&self, expected: u64) -> bool {
        let taken = self.busy.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).is_ok();
        if taken {
            self.received.store(0, Ordering::Relaxed);
            self.expected.store(expected, Ordering::Relaxed);
        }
        taken
    }

    pub fn add_received(&self, bytes: u64) {
        self.received.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Records how the update ended and frees the flag.
    pub fn end(&self, outcome: LastUpdate) {
        let counter = if outcome.ok { &self.installed } else { &self.refused };
        counter.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut last) = self.last.lock() {
            *last = Some(outcome);
        }
        self.busy.store(false, Ordering::Release);
    }

    pub fn in_progress(&self) -> bool {
        self.busy.load(Ordering::Acquire)
    }

    /// (received, expected) bytes of the current or last upload.
    pub fn progress(&self) -> (u64, u64) {
        (self.received.load(Ordering::Relaxed), self.expected.load(Ordering::Relaxed))
    }

    pub fn last(&self) -> Option<LastUpdate> {
        self.last.lock().ok().and_then(|last| last.clone())
    }
}
