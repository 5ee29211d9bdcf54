//! One client connection: read a request head into the fixed buffer, answer it, repeat while
//! keep-alive allows; hand over to the stream loop for MJPEG.

use super::clients::{ClientGuard, Deadline};
use super::request::{self, Method, ParseError, Request};
use super::response::Head;
use super::routes::{route, CameraRef, Route};
use super::shared::{HttpCounters, Shared};
use super::viewer_auth::ViewerCheck;
use super::write::write_all_vectored;
use super::{pages, stream};
use async_io::Async;
use futures_lite::AsyncReadExt;
use std::io::{self, IoSlice};
use std::net::TcpStream;
use std::sync::Arc;

/// The request buffer. Browsers' heads are well under this; larger ones get 431.
pub const REQUEST_BUFFER: usize = 4096;
/// Request bodies (only the power API takes one, and ignores it) are read and dropped up
/// to this size; larger ones get 413.
const MAX_BODY: usize = 1024;

/// What to do with the connection after a response.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    KeepAlive,
    Close,
}

impl Next {
    /// What follows a complete response to a request that did or did not ask to keep alive.
    pub fn after(keep_alive: bool) -> Next {
        if keep_alive {
            Next::KeepAlive
        } else {
            Next::Close
        }
    }
}

pub async fn serve(shared: Arc<Shared>, mut socket: Async<TcpStream>, client: ClientGuard) {
    let mut buf = [0u8; REQUEST_BUFFER];
    let mut filled = 0;
    let mut first_request = true;
    loop {
        let (wait, kind) = if first_request {
            (shared.config.header_timeout_secs, Deadline::RequestHead)
        } else {
            (shared.config.idle_timeout_secs, Deadline::Idle)
        };
        client.set_deadline(kind, shared.now_ms() + wait as u64 * 1000);
        let head = match read_head(&shared, &mut socket, &client, &mut buf, &mut filled).await {
            Ok(Some(head)) => head,
            Ok(None) => return,
            Err(error) => {
                HttpCounters::bump(&shared.counters.bad_requests);
                let _ =
                    send_error(&mut socket, &client, &shared, error.status(), error.reason(), None, false)
                        .await;
                linger_close(&shared, &mut socket, &client).await;
                return;
            }
        };
        client.clear_deadline();
        first_request = false;
        HttpCounters::bump(&shared.counters.requests);
        let Some(meta) = request::parse(&buf[..head], false).ok().flatten().map(BodyMeta::of) else { return };
        // POST /api/update streams its (large) body itself, into the installer.
        let streams_body =
            request::parse(&buf[..head], false).ok().flatten().is_some_and(|r| super::update::takes_body(&r));
        if meta.length > MAX_BODY && !streams_body {
            HttpCounters::bump(&shared.counters.bad_requests);
            let _ =
                send_error(&mut socket, &client, &shared, 413, "request body too large", None, false).await;
            linger_close(&shared, &mut socket, &client).await;
            return;
        }
        // The body comes before the answer, under its own deadline: a request that declares
        // a body and never sends it must not hold its place.
        let in_buffer = meta.length.min(filled - head);
        if !streams_body
            && in_buffer < meta.length
            && !take_body(&shared, &mut socket, &client, meta, meta.length - in_buffer).await
        {
            return;
        }
        let Some(request) = request::parse(&buf[..head], false).ok().flatten() else { return };
        let next = respond(&shared, &mut socket, &client, &request, &buf[head..head + in_buffer]).await;
        if streams_body || !matches!(next, Ok(Next::KeepAlive)) || !request.keep_alive {
            return;
        }
        // Keep any pipelined bytes that followed the request.
        let consumed = head + in_buffer;
        buf.copy_within(consumed..filled, 0);
        filled -= consumed;
    }
}

/// What the connection needs to know of a request's body before answering it.
#[derive(Debug, Clone, Copy)]
struct BodyMeta {
    length: usize,
    expect_continue: bool,
}

impl BodyMeta {
    fn of(request: Request<'_>) -> BodyMeta {
        BodyMeta { length: request.content_length, expect_continue: request.expect_continue }
    }
}

/// Reads the `missing` body bytes not yet in the buffer (and drops them: no resource here
/// uses a body) within the head's time. Sends `100 Continue` first when the client waits
/// for it. Returns false when the connection is to end (gone, or 408 for a late body).
async fn take_body(
    shared: &Shared,
    socket: &mut Async<TcpStream>,
    client: &ClientGuard,
    meta: BodyMeta,
    missing: usize,
) -> bool {
    let wait_ms = shared.config.header_timeout_secs as u64 * 1000;
    if meta.expect_continue
        && send(socket, client, shared, b"HTTP/1.1 100 Continue\r\n\r\n", &[]).await.is_err()
    {
        return false;
    }
    client.set_deadline(Deadline::Body, shared.now_ms() + wait_ms);
    let taken = discard(socket, missing).await;
    if taken.is_err() {
        if client.expired() == Some(Deadline::Body) {
            let _ = send_error(socket, client, shared, 408, "request body took too long", None, false).await;
        }
        return false;
    }
    client.clear_deadline();
    true
}

/// Closes a connection after an error reply without losing the reply: the kernel resets a
/// connection closed with unread bytes, and a reset can destroy a reply the client has not
/// read yet. So the sending side is shut (the client sees the reply, then end of stream)
/// and whatever the client still sends is read and dropped, for a short while at most.
async fn linger_close(shared: &Shared, socket: &mut Async<TcpStream>, client: &ClientGuard) {
    const LINGER_MS: u64 = 2000;
    const LINGER_BYTES: usize = 256 * 1024;
    let _ = socket.get_ref().shutdown(std::net::Shutdown::Write);
    client.set_deadline(Deadline::Linger, shared.now_ms() + LINGER_MS);
    let mut sink = [0u8; 1024];
    let mut drained = 0;
    while drained < LINGER_BYTES {
        match socket.read(&mut sink).await {
            Ok(n) if n > 0 => drained += n,
            _ => break,
        }
    }
    client.clear_deadline();
}

/// Reads until a whole head is in `buf`; returns its length, or None when the client went
/// away (or its deadline passed, answered with 408 where still possible).
async fn read_head(
    shared: &Shared,
    socket: &mut Async<TcpStream>,
    client: &ClientGuard,
    buf: &mut [u8; REQUEST_BUFFER],
    filled: &mut usize,
) -> Result<Option<usize>, ParseError> {
    loop {
        if let Some(request) = request::parse(&buf[..*filled], *filled == buf.len())? {
            return Ok(Some(request.head_len));
        }
        let read = socket.read(&mut buf[*filled..]).await;
        match read {
            Ok(n) if n > 0 => {
                if *filled == 0 && client.expired().is_none() {
                    // The first byte of a request on a kept-alive connection: from now on
                    // the head must arrive in the usual time.
                    let wait = shared.config.header_timeout_secs as u64 * 1000;
                    client.set_deadline(Deadline::RequestHead, shared.now_ms() + wait);
                }
                *filled += n;
            }
            _ => {
                // (The housekeeper counted the timeout when it ended the connection.)
                if client.expired() == Some(Deadline::RequestHead) {
                    let _ =
                        send_error(socket, client, shared, 408, "request head took too long", None, false)
                            .await;
                }
                return Ok(None);
            }
        }
    }
}

async fn discard(socket: &mut Async<TcpStream>, mut count: usize) -> io::Result<()> {
    let mut sink = [0u8; 256];
    while count > 0 {
        let want = count.min(sink.len());
        let n = socket.read(&mut sink[..want]).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        count -= n;
    }
    Ok(())
}

async fn respond(
    shared: &Arc<Shared>,
    socket: &mut Async<TcpStream>,
    client: &ClientGuard,
    request: &Request<'_>,
    body_start: &[u8],
) -> io::Result<Next> {
    let keep_alive = request.keep_alive;
    if request.method == Method::Options && request.path == "*" {
        return send_options(socket, client, shared, SERVER_METHODS, keep_alive).await;
    }
    let route = route(request.path, request.query);
    if request.method == Method::Options && route != Route::NotFound {
        return send_options(socket, client, shared, route.allow_with_options(), keep_alive).await;
    }
    let allowed = match route {
        Route::Power(_) | Route::Update | Route::Rollback => request.method == Method::Post,
        Route::NotFound => true,
        _ => matches!(request.method, Method::Get | Method::Head),
    };
    if !allowed {
        return send_error(
            socket,
            client,
            shared,
            405,
            "method not allowed",
            Some(route.allow()),
            keep_alive,
        )
        .await;
    }
    if route.needs_viewer_login() {
        match shared.viewers.check(shared, client.peer_ip(), request.authorization).await {
            ViewerCheck::Allowed => {}
            ViewerCheck::Challenge { close } => {
                return send_basic_challenge(socket, client, shared, keep_alive && !close).await;
            }
            ViewerCheck::LockedOut => {
                HttpCounters::bump(&shared.counters.login_failures);
                let reason = "too many wrong logins: wait and try again";
                return send_error(socket, client, shared, 429, reason, None, false).await;
            }
            ViewerCheck::Busy => {
                return send_error(socket, client, shared, 503, "busy checking logins", None, keep_alive)
                    .await;
            }
        }
    }
    let head_only = request.method == Method::Head;
    let camera_index = |camera: CameraRef<'_>| match camera {
        CameraRef::First => (!shared.cameras.is_empty()).then_some(0),
        CameraRef::Named(name) => shared.camera_index(name),
        CameraRef::Index(index) => (index < shared.cameras.len()).then_some(index),
    };
    match route {
        Route::Stream { camera } => match (camera_index(camera), stream::max_fps(request.query)) {
            (Some(index), Ok(max_fps)) => {
                stream::serve(shared, socket, client, index, head_only, max_fps).await.map(|_| Next::Close)
            }
            (None, _) => send_error(socket, client, shared, 404, "no such camera", None, keep_alive).await,
            (_, Err(why)) => send_error(socket, client, shared, 400, why, None, false).await,
        },
        Route::Icon => {
            let kind = "image/svg+xml";
            send_body(socket, client, shared, 200, kind, pages::ICON.as_bytes(), head_only, keep_alive).await
        }
        Route::Snapshot { camera } => match camera_index(camera) {
            Some(index) => {
                pages::snapshot(shared, socket, client, index, head_only, request.keep_alive).await
            }
            None => send_error(socket, client, shared, 404, "no such camera", None, keep_alive).await,
        },
        Route::Page { camera } => match camera_index(camera) {
            Some(index) => {
                let body = pages::live_page(shared, index);
                send_body(
                    socket,
                    client,
                    shared,
                    200,
                    "text/html; charset=utf-8",
                    body.as_bytes(),
                    head_only,
                    request.keep_alive,
                )
                .await
            }
            None => send_error(socket, client, shared, 404, "no such camera", None, keep_alive).await,
        },
        Route::Status => {
            let body = super::status::json(shared);
            send_body(
                socket,
                client,
                shared,
                200,
                "application/json",
                body.as_bytes(),
                head_only,
                request.keep_alive,
            )
            .await
        }
        Route::Metrics => {
            let body = super::metrics::prometheus(shared);
            let kind = "text/plain; version=0.0.4; charset=utf-8";
            send_body(socket, client, shared, 200, kind, body.as_bytes(), head_only, request.keep_alive).await
        }
        Route::Log => {
            let body = pages::log_text();
            send_body(
                socket,
                client,
                shared,
                200,
                "text/plain; charset=utf-8",
                &body,
                head_only,
                request.keep_alive,
            )
            .await
        }
        Route::Power(action) => pages::power(shared, socket, client, action, request).await,
        Route::Update => super::update::update(shared, socket, client, request, body_start).await,
        Route::Rollback => super::rollback::rollback(shared, socket, client, request).await,
        Route::NotFound => send_error(socket, client, shared, 404, "not found", None, keep_alive).await,
    }
}

/// Sends a complete response with a body (or only its head, for HEAD).
#[allow(clippy::too_many_arguments)]
pub async fn send_body(
    socket: &mut Async<TcpStream>,
    client: &ClientGuard,
    shared: &Shared,
    status: u16,
    content_type: &str,
    body: &[u8],
    head_only: bool,
    keep_alive: bool,
) -> io::Result<Next> {
    let mut head = Head::new(status);
    head.header("Content-Type", content_type)
        .header("Content-Length", body.len())
        .header("Cache-Control", "no-store");
    send(socket, client, shared, head.finish(keep_alive), if head_only { &[] } else { body }).await?;
    Ok(Next::after(keep_alive))
}

/// 401 for viewer login: the Basic challenge browsers answer with their login prompt.
async fn send_basic_challenge(
    socket: &mut Async<TcpStream>,
    client: &ClientGuard,
    shared: &Shared,
    keep_alive: bool,
) -> io::Result<Next> {
    let body = b"401 this camera needs a viewer login\n";
    let mut head = Head::new(401);
    head.header("Content-Type", "text/plain; charset=utf-8")
        .header("Content-Length", body.len())
        .header("WWW-Authenticate", "Basic realm=\"zerocam\", charset=\"UTF-8\"");
    send(socket, client, shared, head.finish(keep_alive), body).await?;
    Ok(Next::after(keep_alive))
}

/// Methods of the server as a whole, for `OPTIONS *`.
const SERVER_METHODS: &str = "GET, HEAD, POST, OPTIONS";

/// `OPTIONS`: 200 with the methods the resource (or the server) answers.
async fn send_options(
    socket: &mut Async<TcpStream>,
    client: &ClientGuard,
    shared: &Shared,
    allow: &str,
    keep_alive: bool,
) -> io::Result<Next> {
    let mut head = Head::new(200);
    head.header("Allow", allow).header("Content-Length", 0);
    send(socket, client, shared, head.finish(keep_alive), &[]).await?;
    Ok(Next::after(keep_alive))
}

/// A short plain-text error reply. The connection stays open after it only if the client
/// wants that (`keep_alive`) and the error leaves the connection in a known state (401,
/// 404, 405, 503 before the first frame...); otherwise the reply says `Connection: close`.
#[allow(clippy::too_many_arguments)]
pub async fn send_error(
    socket: &mut Async<TcpStream>,
    client: &ClientGuard,
    shared: &Shared,
    status: u16,
    reason: &str,
    allow: Option<&str>,
    keep_alive: bool,
) -> io::Result<Next> {
    let keep_alive = keep_alive && matches!(status, 401 | 404 | 405 | 503);
    let mut body = [0u8; 160];
    let body_len = {
        let mut cursor = &mut body[..];
        let before = cursor.len();
        let _ = io::Write::write_fmt(&mut cursor, format_args!("{status} {reason}\n"));
        before - cursor.len()
    };
    let mut head = Head::new(status);
    head.header("Content-Type", "text/plain; charset=utf-8").header("Content-Length", body_len);
    if let Some(allow) = allow {
        head.header("Allow", allow);
    }
    if status == 401 {
        head.header("WWW-Authenticate", "Bearer realm=\"zerocam\"");
    }
    if status == 503 {
        head.header("Retry-After", 1);
    }
    if status == 429 {
        head.header("Retry-After", super::auth::LOCKOUT_MS / 1000);
    }
    send(socket, client, shared, head.finish(keep_alive), &body[..body_len]).await?;
    Ok(Next::after(keep_alive))
}

/// Writes head and body under a write deadline.
pub async fn send(
    socket: &mut Async<TcpStream>,
    client: &ClientGuard,
    shared: &Shared,
    head: &[u8],
    body: &[u8],
) -> io::Result<()> {
    send_parts(socket, client, shared, &mut [IoSlice::new(head), IoSlice::new(body)]).await?;
    client.count_sent(0, (head.len() + body.len()) as u64);
    Ok(())
}

/// Writes every part, gathered, under the client's write deadline: each write that moves
/// bytes pushes the deadline on, so only a client that stops draining is dropped.
pub async fn send_parts(
    socket: &mut Async<TcpStream>,
    client: &ClientGuard,
    shared: &Shared,
    parts: &mut [IoSlice<'_>],
) -> io::Result<()> {
    let stall_ms = shared.config.stall_timeout_secs as u64 * 1000;
    client.set_deadline(Deadline::Write, shared.now_ms() + stall_ms);
    let result = write_all_vectored(socket, parts, || {
        client.set_deadline(Deadline::Write, shared.now_ms() + stall_ms);
    })
    .await;
    client.clear_deadline();
    result
}
