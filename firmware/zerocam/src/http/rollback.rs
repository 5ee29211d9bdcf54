//! POST /api/rollback: go back to the system in the other slot, if it holds one that was
//! committed. Only with `Authorization: Bearer <admin_token>`. The other slot gets a trial
//! boot like an update (so a slot that no longer boots still brings the board back here),
//! then the board reboots.

use super::clients::ClientGuard;
use super::connection::{send_body, send_error, Next};
use super::pages::check_admin;
use super::request::Request;
use super::shared::Shared;
use crate::ota::OtaError;
use crate::system::PowerAction;
use async_io::Async;
use std::io;
use std::net::TcpStream;
use std::sync::Arc;

pub async fn rollback(
    shared: &Arc<Shared>,
    socket: &mut Async<TcpStream>,
    client: &ClientGuard,
    request: &Request<'_>,
) -> io::Result<Next> {
    if let Some(refused) = check_admin(shared, socket, client, request, "rollback").await {
        return refused;
    }
    let Some(updater) = shared.updates.as_ref() else {
        return send_error(
            socket,
            client,
            shared,
            501,
            "rollback is only possible on the board",
            None,
            false,
        )
        .await;
    };
    if updater.state().in_progress() {
        return send_error(socket, client, shared, 409, "an update is being installed", None, false).await;
    }
    // A few sector reads and one 4 KiB write with fsync: short enough for the event loop.
    match updater.target().rollback() {
        Ok((slot, version)) => {
            log::warn!("rollback to slot {slot} ({version}) requested over HTTP: rebooting");
            if let Err(why) = shared.control.request(PowerAction::Reboot) {
                return send_error(
                    socket,
                    client,
                    shared,
                    500,
                    &format!("trial armed, but cannot reboot: {why}"),
                    None,
                    false,
                )
                .await;
            }
            let body = format!("rolling back to slot {slot} ({version}): rebooting\n");
            send_body(socket, client, shared, 202, "text/plain; charset=utf-8", body.as_bytes(), false, false)
                .await
        }
        Err(err @ OtaError::Unsupported(_)) => {
            send_error(socket, client, shared, 501, &err.to_string(), None, false).await
        }
        Err(err @ OtaError::BootState(_)) => {
            send_error(socket, client, shared, 409, &err.to_string(), None, false).await
        }
        Err(err) => send_error(socket, client, shared, 500, &err.to_string(), None, false).await,
    }
}
