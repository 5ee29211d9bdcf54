//! Accepting connections: each gets an entry in the fixed client table and a task; when the
//! table is full the connection gets a 503 and is closed at once, costing no entry.

use super::accept_log::AcceptFailures;
use super::clients::Refused;
use super::connection;
use super::shared::{HttpCounters, Shared};
use crate::camera::monotonic_ms;
use crate::system::HealthProbe;
use async_io::Async;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

pub fn bind(addr: SocketAddr) -> std::io::Result<Async<TcpListener>> {
    Async::<TcpListener>::bind(addr)
}

/// Accepts forever, spawning one task per connection on `executor`.
pub async fn accept_loop(
    shared: Arc<Shared>,
    listener: Async<TcpListener>,
    executor: &smol::LocalExecutor<'_>,
) {
    executor.spawn(super::housekeeping::run(Arc::clone(&shared))).detach();
    let mut failures = AcceptFailures::default();
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                // Usually EMFILE/ENFILE: back off a little instead of spinning.
                if let Some(line) = failures.failed(shared.now_ms(), &err) {
                    log::warn!("{line}");
                }
                async_io::Timer::after(Duration::from_millis(100)).await;
                continue;
            }
        };
        if let Some(line) = failures.succeeded(shared.now_ms()) {
            log::warn!("{line}");
        }
        HttpCounters::bump(&shared.counters.accepted);
        // Frames go out as soon as they are written; nothing to gain from Nagle here.
        let _ = socket.get_ref().set_nodelay(true);
        let per_peer = shared.config.max_clients_per_peer;
        match shared.clients.acquire(&socket, peer, shared.now_ms(), per_peer) {
            Ok(client) => executor.spawn(connection::serve(Arc::clone(&shared), socket, client)).detach(),
            Err(Refused::Full) => {
                HttpCounters::bump(&shared.counters.rejected_full);
                let why =
                    format!("all {} client places are taken; try again later", shared.clients.capacity());
                refuse(socket.get_ref(), 503, "Service Unavailable", &why);
            }
            Err(Refused::PeerLimit) => {
                HttpCounters::bump(&shared.counters.rejected_peer_limit);
                let why = format!("your address already holds {per_peer} connections, the most one host may");
                refuse(socket.get_ref(), 429, "Too Many Requests", &why);
            }
        }
    }
}

/// A best-effort refusal: one non-blocking write (a fresh socket's buffer takes it), then
/// close. Whatever request bytes already arrived are read first: closing a socket with
/// unread data makes the kernel send a reset, which can destroy the reply before the client
/// reads it.
fn refuse(mut socket: &TcpStream, status: u16, phrase: &str, why: &str) {
    let mut unread = [0u8; 2048];
    let _ = std::io::Read::read(&mut socket, &mut unread);
    let body = format!("{status} {why}\n");
    let reply = format!(
        "HTTP/1.1 {status} {phrase}\r\nServer: zerocam\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nRetry-After: 5\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = socket.write(reply.as_bytes());
}

/// The streaming side is healthy while the event loop turns and every camera publishes.
pub struct ServerHealth {
    pub shared: Arc<Shared>,
}

/// How stale the housekeeper's tick or a camera's last frame may be before the pipeline is
/// called stuck (sources publish "no camera" cards while faulty, so frames never stop).
const STALE_MS: u64 = 5000;

impl HealthProbe for ServerHealth {
    fn pipeline_healthy(&self) -> bool {
        let shared = &self.shared;
        let loop_alive =
            shared.now_ms().saturating_sub(shared.housekeeper_tick_ms.load(Ordering::Relaxed)) < STALE_MS;
        let now_ms = monotonic_ms();
        let cameras_alive = shared.cameras.iter().all(|camera| {
            camera.last_publish_ms().is_some_and(|published| now_ms.saturating_sub(published) < STALE_MS)
        });
        loop_alive && cameras_alive
    }
}
