//! Installing a bundle: the HTTP task hands the upload over in fixed buffers, a writer
//! thread checks, writes, syncs and verifies it, and arms the trial boot. Nothing of the
//! bundle's disk I/O or hashing runs on the HTTP executor thread, which serves every viewer.
//!
//! ```text
//!  HTTP task (executor)                         writer thread ("ota-writer")
//!  socket ─► free buffer ─► full channel ─────► BundleReader (signature, manifest, SHA-256)
//!            ▲                                    └► SlotWriter ─► inactive slot device
//!            └───────────── free channel ◄──────── buffer back
//!                         outcome channel ◄──────── Installed or Refusal (once)
//! ```
//!
//! BUFFERS buffers of BUFFER_LEN bytes are allocated once per update, never per chunk;
//! with the slot writer's held head that bounds an update's memory to about 256 KiB.

mod slot_writer;
mod upload;

pub use slot_writer::{Installed, HEAD_HOLD};
pub use upload::{BeginError, Upload};

use super::state::UpdateState;
use super::UpdateTarget;
use std::sync::Arc;
use zerocam_bundle::Keyring;

/// Bytes per I/O buffer between the HTTP task and the writer thread.
pub const BUFFER_LEN: usize = 64 * 1024;
/// Buffers in flight: one being filled from the socket, the others queued or being written.
pub const BUFFERS: usize = 3;

/// Where the image keeps the keys it trusts (built in by ci/build-image).
pub const KEYRING_PATH: &str = "/etc/zerocam/ota-keys.pub";

/// Everything updates need: the slots, the trusted keys, and what the last update did.
pub struct Updater {
    target: Arc<dyn UpdateTarget>,
    keyring: Keyring,
    state: Arc<UpdateState>,
    boot_id: String,
}

impl Updater {
    pub fn new(target: Arc<dyn UpdateTarget>, keyring: Keyring) -> Updater {
        Updater { target, keyring, state: Arc::new(UpdateState::default()), boot_id: new_boot_id() }
    }

    /// Different every time zerocam starts (on the board: every boot), so that a client
    /// waiting for the reboot after an update can tell the new system from the old one.
    pub fn boot_id(&self) -> &str {
        &self.boot_id
    }

    /// The board's updater: `target`'s slots and the keyring the image carries at
    /// KEYRING_PATH. A missing or broken keyring is logged and leaves the ring empty, so the
    /// camera still starts and refuses every update with a reason (503, "no update keys").
    pub fn for_board(target: Arc<dyn UpdateTarget>) -> Updater {
        let keyring = Updater::load_keyring(std::path::Path::new(KEYRING_PATH)).unwrap_or_else(|err| {
            log::error!("update keys: {err}; updates are refused until an image with keys is flashed");
            Keyring::default()
        });
        Updater::new(target, keyring)
    }

    /// Reads the keyring at `path` (see zerocam_bundle::Keyring::parse for the format).
    pub fn load_keyring(path: &std::path::Path) -> Result<Keyring, String> {
        let text = std::fs::read_to_string(path).map_err(|err| format!("{}: {err}", path.display()))?;
        Keyring::parse(&text).map_err(|err| format!("{}: {err}", path.display()))
    }

    pub fn target(&self) -> &Arc<dyn UpdateTarget> {
        &self.target
    }

    pub fn state(&self) -> &UpdateState {
        &self.state
    }

    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// Starts an update of `declared_len` bytes: takes the one-at-a-time flag, allocates the
    /// buffers and starts the writer thread.
    pub fn begin(&self, declared_len: u64, force: bool) -> Result<Upload, BeginError> {
        if self.keyring.is_empty() {
            return Err(BeginError::NoKeys);
        }
        if !self.state.try_begin(declared_len) {
            return Err(BeginError::Busy);
        }
        Upload::start(
            Arc::clone(&self.target),
            self.keyring.clone(),
            Arc::clone(&self.state),
            declared_len,
            force,
        )
    }
}

/// 16 hex digits from std's randomly keyed hasher, the clock and the process id.
fn new_boot_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    hasher.write_u128(now.as_nanos());
    hasher.write_u32(std::process::id());
    format!("{:016x}", hasher.finish())
}
