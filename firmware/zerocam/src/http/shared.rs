//! State the HTTP side shares between its tasks (and with /status readers).

use super::auth::LoginLimiter;
use super::clients::ClientTable;
use super::fd_limit;
use super::frame_send::FRAME_HEAD_MAX;
use super::viewer_auth::ViewerGate;
use crate::camera::Camera;
use crate::config::HttpConfig;
use crate::ota::Updater;
use crate::system::{RunMode, SharedControl};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, Default)]
pub struct HttpCounters {
    pub accepted: AtomicU64,
    pub requests: AtomicU64,
    /// Connections answered 503 because the client table was full.
    pub rejected_full: AtomicU64,
    /// Requests answered 4xx/5xx because they were malformed or too large.
    pub bad_requests: AtomicU64,
    /// Connections ended by a deadline (slow request head or body, idle, stalled stream).
    pub timeouts: AtomicU64,
    /// Connections answered 429 because their address held `max_clients_per_peer` places.
    pub rejected_peer_limit: AtomicU64,
    /// Wrong or missing admin credentials, and attempts during a lockout.
    pub login_failures: AtomicU64,
    /// Frames whose slot stayed leased while a client's socket drained: a frame larger than
    /// the socket can take, or a write the kernel took only in part. Zero in normal use.
    pub frames_held: AtomicU64,
}

impl HttpCounters {
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

pub struct Shared {
    pub cameras: Vec<Arc<Camera>>,
    pub clients: Arc<ClientTable>,
    pub config: HttpConfig,
    /// The address actually listened on.
    pub local_addr: SocketAddr,
    pub counters: HttpCounters,
    pub mode: RunMode,
    pub control: SharedControl,
    /// Over-the-air updates (POST /api/update, /status "ota"): only on a board with slots.
    pub updates: Option<Arc<Updater>>,
    started: Instant,
    /// Milliseconds since start at the housekeeper's last turn (health check).
    pub housekeeper_tick_ms: AtomicU64,
    /// Failed logins (admin token, viewer passwords) per peer.
    pub logins: LoginLimiter,
    /// Viewer login, when `[[http.viewer]]` accounts are set.
    pub viewers: ViewerGate,
    /// The send buffer asked for each client: room for the largest frame of any camera, so
    /// that a frame can always be taken in one write (see frame_send.rs).
    pub socket_send_buffer: usize,
}

impl Shared {
    pub fn new(
        cameras: Vec<Arc<Camera>>,
        config: HttpConfig,
        local_addr: SocketAddr,
        mode: RunMode,
        control: SharedControl,
    ) -> Shared {
        if mode == RunMode::Process {
            // An ordinary program trusts the machine's clock; the board waits for NTP.
            crate::system::mark_clock_reliable();
        }
        let largest_frame = cameras.iter().map(|camera| camera.pool.slot_bytes()).max().unwrap_or(0);
        let socket_send_buffer = (config.send_buffer_kib * 1024).max(largest_frame + FRAME_HEAD_MAX + 2);
        Shared {
            clients: Arc::new(ClientTable::new(fd_limit::clients_within_limit(config.max_clients))),
            cameras,
            config,
            local_addr,
            counters: HttpCounters::default(),
            mode,
            control,
            updates: None,
            started: Instant::now(),
            housekeeper_tick_ms: AtomicU64::new(0),
            logins: LoginLimiter::default(),
            viewers: ViewerGate::default(),
            socket_send_buffer,
        }
    }

    /// Milliseconds since the server started: the clock of deadlines and uptime.
    pub fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    pub fn camera_index(&self, name: &str) -> Option<usize> {
        self.cameras.iter().position(|camera| camera.name() == name)
    }
}
