//! One update in flight: the HTTP side's handle and the writer thread behind it.

use super::slot_writer::{Installed, SlotWriter};
use super::{BUFFERS, BUFFER_LEN};
use crate::ota::state::{LastUpdate, UpdateState};
use crate::ota::UpdateTarget;
use async_channel::{Receiver, Sender};
use std::fmt;
use std::sync::Arc;
use zerocam_bundle::{BundleReader, Keyring, Refusal};

#[derive(Debug)]
pub enum BeginError {
    /// Another update is under way.
    Busy,
    /// The image carries no keys, so no bundle could ever verify.
    NoKeys,
    /// The writer thread could not start.
    Thread(std::io::Error),
}

impl fmt::Display for BeginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BeginError::Busy => write!(f, "another update is under way"),
            BeginError::NoKeys => write!(f, "this camera's image carries no update keys"),
            BeginError::Thread(err) => write!(f, "cannot start the update writer: {err}"),
        }
    }
}

impl std::error::Error for BeginError {}

/// A buffer with `len` bytes of the bundle in it.
struct Filled {
    buf: Vec<u8>,
    len: usize,
}

/// The HTTP side of an update: take a free buffer, fill it from the socket, submit it;
/// then `finish`. Dropping it without `finish` ends the update as truncated.
pub struct Upload {
    full: Sender<Filled>,
    free: Receiver<Vec<u8>>,
    outcome: Receiver<Result<Installed, Refusal>>,
    state: Arc<UpdateState>,
}

impl Upload {
    pub(super) fn start(
        target: Arc<dyn UpdateTarget>,
        keyring: Keyring,
        state: Arc<UpdateState>,
        declared_len: u64,
        force: bool,
    ) -> Result<Upload, super::BeginError> {
        let (full_tx, full_rx) = async_channel::bounded::<Filled>(BUFFERS);
        let (free_tx, free_rx) = async_channel::bounded::<Vec<u8>>(BUFFERS);
        let (outcome_tx, outcome_rx) = async_channel::bounded(1);
        for _ in 0..BUFFERS {
            // Capacity is BUFFERS: these cannot fail.
            let _ = free_tx.try_send(vec![0u8; BUFFER_LEN]);
        }
        let thread_state = Arc::clone(&state);
        let spawned = std::thread::Builder::new().name("ota-writer".into()).spawn(move || {
            let outcome = write_bundle(&*target, &keyring, force, declared_len, &full_rx, &free_tx);
            thread_state.end(last_update(&outcome));
            let _ = outcome_tx.try_send(outcome);
        });
        if let Err(err) = spawned {
            state.end(LastUpdate {
                ok: false,
                code: "install_failed",
                reason: format!("cannot start the update writer: {err}"),
                version: None,
                slot: None,
            });
            return Err(super::BeginError::Thread(err));
        }
        Ok(Upload { full: full_tx, free: free_rx, outcome: outcome_rx, state })
    }

    /// A free buffer to fill, or None once the writer stopped (it refused the bundle).
    pub async fn buffer(&self) -> Option<Vec<u8>> {
        self.free.recv().await.ok()
    }

    /// Hands `len` bytes of `buf` to the writer; false once the writer stopped.
    pub async fn submit(&self, buf: Vec<u8>, len: usize) -> bool {
        self.state.add_received(len as u64);
        self.full.send(Filled { buf, len }).await.is_ok()
    }

    /// Whether the writer already ended the update (a refusal from the first bytes).
    pub fn ended(&self) -> bool {
        !self.outcome.is_empty() || self.outcome.is_closed()
    }

    /// No more bytes: waits for the writer's verdict.
    pub async fn finish(self) -> Result<Installed, Refusal> {
        drop(self.full);
        self.outcome
            .recv()
            .await
            .unwrap_or_else(|_| Err(Refusal::Install("the update writer stopped unexpectedly".into())))
    }
}

/// The writer thread's whole job.
fn write_bundle(
    target: &dyn UpdateTarget,
    keyring: &Keyring,
    force: bool,
    declared_len: u64,
    full: &Receiver<Filled>,
    free: &Sender<Vec<u8>>,
) -> Result<Installed, Refusal> {
    let mut reader = BundleReader::new(keyring);
    let mut slot = SlotWriter::new(target, force, declared_len);
    let mut fed = Ok(());
    // The channel closes when the HTTP side finished (or gave up: then it is short).
    while let Ok(piece) = full.recv_blocking() {
        fed = reader.feed(&piece.buf[..piece.len], &mut slot);
        let _ = free.try_send(piece.buf);
        if fed.is_err() {
            break;
        }
    }
    let outcome = fed.and_then(|()| reader.finish().cloned()).and_then(|manifest| slot.commit(&manifest));
    match &outcome {
        Ok(installed) => log::warn!(
            "update: version {} ({}) verified in slot {}; its trial boot is armed",
            installed.version,
            installed.build_id,
            installed.slot.name
        ),
        Err(refusal) => {
            slot.abandon();
            log::warn!("update refused: {refusal}");
        }
    }
    outcome
}

fn last_update(outcome: &Result<Installed, Refusal>) -> LastUpdate {
    match outcome {
        Ok(installed) => LastUpdate {
            ok: true,
            code: "ok",
            reason: format!("installed version {} in slot {}", installed.version, installed.slot.name),
            version: Some(installed.version.clone()),
            slot: Some(installed.slot.name),
        },
        Err(refusal) => LastUpdate {
            ok: false,
            code: refusal.code(),
            reason: refusal.to_string(),
            version: None,
            slot: None,
        },
    }
}
