//! Accepting connections: each gets an entry in the fixed client table and a task; when the
//! table is full the connection gets a 503 and is closed at once, costing no entry.

use super::clients::ClientTable;
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
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                // Usually EMFILE/ENFILE: back off a little instead of spinning.
                log::warn!("accept failed: {err}");
                async_io::Timer::after(Duration::from_millis(100)).await;
                continue;
            }
        };
        HttpCounters::bump(&shared.counters.accepted);
        // Frames go out as soon as they are written; nothing to gain from Nagle here.
        let _ = socket.get_ref().set_nodelay(true);
        let _ =
            rustix::net::sockopt::set_socket_send_buffer_size(&socket, shared.config.send_buffer_kib * 1024);
        match shared.clients.acquire(&socket, peer, shared.now_ms()) {
            Some(client) => executor.spawn(connection::serve(Arc::clone(&shared), socket, client)).detach(),
            None => {
                HttpCounters::bump(&shared.counters.rejected_full);
                reject_full(socket.get_ref(), &shared.clients);
            }
        }
    }
}

/// A best-effort 503: one non-blocking write (a fresh socket's buffer takes it), then close.
/// Whatever request bytes already arrived are read first: closing a socket with unread data
/// makes the kernel send a reset, which can destroy the 503 before the client reads it.
fn reject_full(mut socket: &TcpStream, table: &ClientTable) {
    let mut unread = [0u8; 2048];
    let _ = std::io::Read::read(&mut socket, &mut unread);
    let body = format!("503 all {} client places are taken; try again later\n", table.capacity());
    let reply = format!(
        "HTTP/1.1 503 Service Unavailable\r\nServer: zerocam\r\nContent-Type: text/plain; charset=utf-8\r\n\
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
