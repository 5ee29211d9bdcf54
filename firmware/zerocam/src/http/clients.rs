//! The fixed client table: one entry per open connection, allocated at start-up. It bounds
//! how many clients are served (one more gets 503), holds each client's counters for
//! /status, and its deadline, which the housekeeper enforces.

use super::socket_queue;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// What a client's current deadline is for; decides how it is enforced and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Deadline {
    None = 0,
    /// Its request head must be complete by then (slowloris).
    RequestHead = 1,
    /// An idle keep-alive connection is closed then.
    Idle = 2,
    /// A response write must make progress by then (a client that stopped draining), and a
    /// stream must keep moving: frames taken or its socket queue draining.
    Write = 3,
    /// A declared request body must have arrived by then.
    Body = 4,
    /// After an error reply, what the client still sends is read and dropped until then, so
    /// that closing with unread bytes does not reset the reply away.
    Linger = 5,
}

impl Deadline {
    fn from_u8(value: u8) -> Deadline {
        match value {
            1 => Deadline::RequestHead,
            2 => Deadline::Idle,
            3 => Deadline::Write,
            4 => Deadline::Body,
            5 => Deadline::Linger,
            _ => Deadline::None,
        }
    }
}

pub const NO_CAMERA: u32 = u32::MAX;

/// A write deadline that passes while the socket holds nothing unacknowledged is moved on by
/// this much instead of ending the connection.
const DRAINED_RECHECK_MS: u64 = 1000;

/// Why a new connection got no entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Every entry is in use.
    Full,
    /// This peer's address holds as many entries as one host may.
    PeerLimit,
}

#[derive(Default)]
pub struct ClientEntry {
    in_use: AtomicBool,
    fd: AtomicI32,
    peer: Mutex<Option<SocketAddr>>,
    connected_ms: AtomicU64,
    /// Index of the camera it streams from, or NO_CAMERA.
    camera: AtomicU32,
    deadline_ms: AtomicU64,
    deadline_kind: AtomicU8,
    /// Set by the housekeeper when the deadline passed.
    expired: AtomicBool,
    pub frames: AtomicU64,
    pub bytes: AtomicU64,
    /// Frames per second ×100 over the last measurement second.
    pub fps_x100: AtomicU32,
    frames_at_last_tick: AtomicU64,
}

/// A client's entry as shown in /status.
#[derive(Debug, Clone)]
pub struct ClientView {
    pub id: usize,
    pub peer: Option<SocketAddr>,
    pub camera: Option<usize>,
    pub connected_ms: u64,
    pub frames: u64,
    pub bytes: u64,
    pub fps_x100: u32,
}

pub struct ClientTable {
    entries: Box<[ClientEntry]>,
    active: AtomicUsize,
}

impl ClientTable {
    pub fn new(capacity: usize) -> ClientTable {
        ClientTable {
            entries: (0..capacity).map(|_| ClientEntry::default()).collect(),
            active: AtomicUsize::new(0),
        }
    }

    pub fn capacity(&self) -> usize {
        self.entries.len()
    }

    pub fn active(&self) -> usize {
        self.active.load(Ordering::Relaxed)
    }

    /// Takes a free entry for a new connection: refused when the table is full, or when the
    /// peer's address already holds `per_peer` entries (one host cannot take every place).
    pub fn acquire(
        self: &Arc<Self>,
        socket: &impl AsRawFd,
        peer: SocketAddr,
        now_ms: u64,
        per_peer: usize,
    ) -> Result<ClientGuard, Refused> {
        if self.connections_from(peer.ip()) >= per_peer {
            return Err(Refused::PeerLimit);
        }
        let id = self
            .entries
            .iter()
            .position(|entry| {
                entry.in_use.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_ok()
            })
            .ok_or(Refused::Full)?;
        let entry = &self.entries[id];
        entry.fd.store(socket.as_raw_fd(), Ordering::Relaxed);
        if let Ok(mut slot) = entry.peer.lock() {
            *slot = Some(peer);
        }
        entry.connected_ms.store(now_ms, Ordering::Relaxed);
        entry.camera.store(NO_CAMERA, Ordering::Relaxed);
        entry.deadline_kind.store(Deadline::None as u8, Ordering::Relaxed);
        entry.expired.store(false, Ordering::Relaxed);
        for counter in [&entry.frames, &entry.bytes, &entry.frames_at_last_tick] {
            counter.store(0, Ordering::Relaxed);
        }
        entry.fps_x100.store(0, Ordering::Relaxed);
        self.active.fetch_add(1, Ordering::Relaxed);
        Ok(ClientGuard { table: Arc::clone(self), id, peer })
    }

    /// How many entries in use belong to connections from `ip`. A scan of the fixed table:
    /// once per accepted connection, never per frame.
    pub fn connections_from(&self, ip: IpAddr) -> usize {
        self.in_use()
            .filter(|(_, entry)| entry.peer.lock().ok().and_then(|peer| *peer).is_some_and(|p| p.ip() == ip))
            .count()
    }

    pub fn views(&self) -> Vec<ClientView> {
        self.in_use()
            .map(|(id, entry)| {
                let camera = entry.camera.load(Ordering::Relaxed);
                ClientView {
                    id,
                    peer: entry.peer.lock().ok().and_then(|peer| *peer),
                    camera: (camera != NO_CAMERA).then_some(camera as usize),
                    connected_ms: entry.connected_ms.load(Ordering::Relaxed),
                    frames: entry.frames.load(Ordering::Relaxed),
                    bytes: entry.bytes.load(Ordering::Relaxed),
                    fps_x100: entry.fps_x100.load(Ordering::Relaxed),
                }
            })
            .collect()
    }

    fn in_use(&self) -> impl Iterator<Item = (usize, &ClientEntry)> {
        self.entries.iter().enumerate().filter(|(_, entry)| entry.in_use.load(Ordering::Acquire))
    }

    /// Ends the connections whose deadline has passed and returns how many. The socket is
    /// shut down, which wakes the task's pending read or write with EOF or an error; a
    /// request-head timeout shuts only the read side so the task can still answer 408.
    /// `on_expired` gets each ended client's id and camera, so that a stream task waiting
    /// for its camera's next frame can be woken to notice.
    pub fn expire_overdue(&self, now_ms: u64, mut on_expired: impl FnMut(usize, Option<usize>)) -> usize {
        let mut expired = 0;
        for (id, entry) in self.in_use() {
            let kind = Deadline::from_u8(entry.deadline_kind.load(Ordering::Acquire));
            if kind == Deadline::None || now_ms < entry.deadline_ms.load(Ordering::Acquire) {
                continue;
            }
            let fd = entry.fd.load(Ordering::Acquire);
            // SAFETY: the entry is in use, so its connection task still owns this open socket;
            // the task and this housekeeper run on the same executor thread, so the socket
            // cannot be closed (and its number reused) between the check and these calls.
            let socket = unsafe { BorrowedFd::borrow_raw(fd) };
            if kind == Deadline::Write && socket_queue::queued_bytes(&socket).is_ok_and(|queued| queued == 0)
            {
                // The viewer has taken everything: it waits for the camera (a slow or
                // starved source), it is not stalling. Looked at again in a while.
                entry.deadline_ms.store(now_ms + DRAINED_RECHECK_MS, Ordering::Release);
                continue;
            }
            if entry.expired.swap(true, Ordering::AcqRel) {
                continue;
            }
            let how = if matches!(kind, Deadline::Write) {
                rustix::net::Shutdown::Both
            } else {
                rustix::net::Shutdown::Read
            };
            // Already shut down or reset: either way the task will see it.
            let _ = rustix::net::shutdown(socket, how);
            let camera = entry.camera.load(Ordering::Relaxed);
            on_expired(id, (camera != NO_CAMERA).then_some(camera as usize));
            expired += 1;
        }
        expired
    }

    /// Updates every client's frames-per-second over the elapsed `window_ms`, and returns the
    /// sum per camera (frames ×100 per second) through `per_camera`.
    pub fn measure_rates(&self, window_ms: u64, mut per_camera: impl FnMut(usize, u32)) {
        for (_, entry) in self.in_use() {
            let frames = entry.frames.load(Ordering::Relaxed);
            let before = entry.frames_at_last_tick.swap(frames, Ordering::Relaxed);
            let fps_x100 = ((frames - before) * 100_000 / window_ms.max(1)) as u32;
            entry.fps_x100.store(fps_x100, Ordering::Relaxed);
            let camera = entry.camera.load(Ordering::Relaxed);
            if camera != NO_CAMERA {
                per_camera(camera as usize, fps_x100);
            }
        }
    }
}

/// Holds a client's entry for as long as its connection lives.
pub struct ClientGuard {
    table: Arc<ClientTable>,
    id: usize,
    peer: SocketAddr,
}

impl ClientGuard {
    pub fn id(&self) -> usize {
        self.id
    }

    pub fn peer_ip(&self) -> IpAddr {
        self.peer.ip()
    }

    fn entry(&self) -> &ClientEntry {
        &self.table.entries[self.id]
    }

    pub fn set_deadline(&self, kind: Deadline, at_ms: u64) {
        let entry = self.entry();
        entry.deadline_ms.store(at_ms, Ordering::Release);
        entry.deadline_kind.store(kind as u8, Ordering::Release);
    }

    pub fn clear_deadline(&self) {
        self.entry().deadline_kind.store(Deadline::None as u8, Ordering::Release);
    }

    /// Whether the housekeeper ended this connection, and for what.
    pub fn expired(&self) -> Option<Deadline> {
        let entry = self.entry();
        entry
            .expired
            .load(Ordering::Acquire)
            .then(|| Deadline::from_u8(entry.deadline_kind.load(Ordering::Acquire)))
    }

    pub fn set_camera(&self, camera: usize) {
        self.entry().camera.store(camera as u32, Ordering::Relaxed);
    }

    pub fn count_sent(&self, frames: u64, bytes: u64) {
        let entry = self.entry();
        entry.frames.fetch_add(frames, Ordering::Relaxed);
        entry.bytes.fetch_add(bytes, Ordering::Relaxed);
    }
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        let entry = self.entry();
        entry.deadline_kind.store(Deadline::None as u8, Ordering::Release);
        entry.fd.store(-1, Ordering::Release);
        entry.in_use.store(false, Ordering::Release);
        self.table.active.fetch_sub(1, Ordering::Relaxed);
    }
}
