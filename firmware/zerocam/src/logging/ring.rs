//! A fixed ring of recent log lines, allocated once.

use std::sync::Mutex;

const LINES: usize = 256;
const LINE_BYTES: usize = super::LINE_MAX;

struct Lines {
    text: Box<[[u8; LINE_BYTES]]>,
    lens: Box<[u8]>,
    /// Index the next line goes to.
    next: usize,
    /// Lines ever pushed (so readers know how many were lost to wrapping).
    total: u64,
}

pub struct LogRing {
    lines: Mutex<Lines>,
}

impl LogRing {
    pub(super) fn new() -> LogRing {
        LogRing {
            lines: Mutex::new(Lines {
                text: vec![[0u8; LINE_BYTES]; LINES].into_boxed_slice(),
                lens: vec![0u8; LINES].into_boxed_slice(),
                next: 0,
                total: 0,
            }),
        }
    }

    pub(super) fn push(&self, line: &[u8]) {
        let Ok(mut lines) = self.lines.lock() else { return };
        let len = line.len().min(LINE_BYTES).min(u8::MAX as usize);
        let at = lines.next;
        lines.text[at][..len].copy_from_slice(&line[..len]);
        lines.lens[at] = len as u8;
        lines.next = (at + 1) % LINES;
        lines.total += 1;
    }

    /// Calls `each` with every kept line, oldest first.
    pub fn for_each(&self, mut each: impl FnMut(&[u8])) {
        let Ok(lines) = self.lines.lock() else { return };
        let kept = lines.total.min(LINES as u64) as usize;
        let first = (lines.next + LINES - kept) % LINES;
        for offset in 0..kept {
            let at = (first + offset) % LINES;
            each(&lines.text[at][..lines.lens[at] as usize]);
        }
    }
}
