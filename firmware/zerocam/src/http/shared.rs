//! State the HTTP side shares between its tasks (and with /status readers).

use super::clients::ClientTable;
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
    /// Connections ended by a deadline (slow request head, idle, stalled stream).
    pub timeouts: AtomicU64,
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
}

impl Shared {
    pub fn new(
        cameras: Vec<Arc<Camera>>,
        config: HttpConfig,
        local_addr: SocketAddr,
        mode: RunMode,
        control: SharedControl,
    ) -> Shared {
        Shared {
            cameras,
            clients: Arc::new(ClientTable::new(config.max_clients)),
            config,
            local_addr,
            counters: HttpCounters::default(),
            mode,
            control,
            updates: None,
            started: Instant::now(),
            housekeeper_tick_ms: AtomicU64::new(0),
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
