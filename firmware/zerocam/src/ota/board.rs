//! The Pi Zero's [`UpdateTarget`]: slot A is /dev/mmcblk0p2, slot B /dev/mmcblk0p3, and the
//! boot state sits in raw sectors of /dev/mmcblk0 (see boot_state.rs and board/boot.cmd).
//! The running slot and whether this boot is a trial come from the kernel command line the
//! boot script wrote (`zerocam.slot=a zerocam.trial=1`).

use super::boot_state::{BootState, BootStateStore, UpdateResult};
use super::target::{OtaError, SlotInfo, SlotName, UpdateTarget};
use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Mutex;

/// Board name bundles are built for.
pub const BOARD: &str = "pizero";
/// The whole card, where the boot state lives.
pub const CARD: &str = "/dev/mmcblk0";
/// Slot A's and slot B's partitions.
pub const SLOT_DEVICES: [&str; 2] = ["/dev/mmcblk0p2", "/dev/mmcblk0p3"];

/// How this boot came about, from the kernel command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootArgs {
    pub slot: SlotName,
    /// The boot script booted `slot` as a trial.
    pub trial: bool,
}

impl BootArgs {
    /// None when the command line names no slot: a card with the old single-slot layout (or
    /// a PC), where updates are impossible.
    pub fn parse(cmdline: &str) -> Option<BootArgs> {
        let mut slot = None;
        let mut trial = false;
        for word in cmdline.split_ascii_whitespace() {
            match word {
                "zerocam.slot=a" => slot = Some(SlotName::A),
                "zerocam.slot=b" => slot = Some(SlotName::B),
                "zerocam.trial=1" => trial = true,
                _ => {}
            }
        }
        slot.map(|slot| BootArgs { slot, trial })
    }
}

/// Where the board's pieces are: the real devices, or files in tests.
#[derive(Debug, Clone)]
pub struct BoardPaths {
    pub card: PathBuf,
    pub slots: [PathBuf; 2],
}

impl Default for BoardPaths {
    fn default() -> Self {
        BoardPaths { card: CARD.into(), slots: SLOT_DEVICES.map(PathBuf::from) }
    }
}

pub struct BoardTarget {
    store: BootStateStore,
    slots: [PathBuf; 2],
    boot: BootArgs,
    /// The version this program was built as: used when the boot state names none.
    built_version: String,
    /// The boot state as last read or written. While zerocam runs it is the only writer
    /// (the boot script writes before the kernel starts), so /status reads this instead of
    /// the card. The lock also keeps to one writer at a time (installer, trial monitor,
    /// rollback request).
    cached: Mutex<Option<BootState>>,
    /// Slot sizes, read once: partitions do not change size, and /status then opens no
    /// block device from the HTTP thread.
    capacities: [std::sync::OnceLock<u64>; 2],
}

impl BoardTarget {
    pub fn new(paths: BoardPaths, boot: BootArgs) -> BoardTarget {
        let built_version = env!("CARGO_PKG_VERSION").to_owned();
        BoardTarget {
            store: BootStateStore::new(paths.card, &built_version),
            slots: paths.slots,
            boot,
            built_version,
            cached: Mutex::new(None),
            capacities: [std::sync::OnceLock::new(), std::sync::OnceLock::new()],
        }
    }

    /// The board's target, if this boot came through the slot chooser.
    pub fn from_proc_cmdline() -> Result<BoardTarget, OtaError> {
        let cmdline = std::fs::read_to_string("/proc/cmdline")
            .map_err(|error| OtaError::Io { what: "read /proc/cmdline".into(), error })?;
        let boot = BootArgs::parse(&cmdline).ok_or_else(|| {
            OtaError::Unsupported(
                "the kernel command line names no slot (zerocam.slot=): this card has the single-slot \
                 layout; reflash it with a current image once"
                    .into(),
            )
        })?;
        Ok(BoardTarget::new(BoardPaths::default(), boot))
    }

    pub fn boot_args(&self) -> BootArgs {
        self.boot
    }

    pub fn state(&self) -> Result<BootState, OtaError> {
        let mut cached = self.cached.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(state) = cached.as_ref() {
            return Ok(state.clone());
        }
        let state = self.store.load()?.state;
        *cached = Some(state.clone());
        Ok(state)
    }

    /// This boot is the pending trial of the running slot: it must prove healthy and commit.
    pub fn is_pending_trial(&self) -> Result<bool, OtaError> {
        Ok(self.boot.trial && self.state()?.trial == Some(self.boot.slot))
    }

    /// The trial proved healthy: the running slot becomes the committed one.
    pub fn commit(&self, how: &str) -> Result<BootState, OtaError> {
        let running = self.boot.slot;
        self.write(|state| {
            let version = state.version(running).unwrap_or("?").to_owned();
            state.committed = running;
            state.trial = None;
            state.tries = 0;
            state.set_good(running, true);
            state.set_outcome(
                UpdateResult::Committed,
                &format!("slot {running} ({version}) committed: {how}"),
            );
        })
    }

    /// The trial failed while zerocam ran: the committed slot is booted next. The caller
    /// reboots.
    pub fn fail_trial(&self, why: &str) -> Result<BootState, OtaError> {
        self.write(|state| {
            state.trial = None;
            state.tries = 0;
            state.set_outcome(UpdateResult::RolledBack, why);
        })
    }

    /// POST /api/rollback: a trial boot of the other slot, allowed only if it holds a system
    /// that was committed and not written since. A trial, not a switch, so that even then a
    /// slot that no longer boots brings the board back here. The caller reboots.
    pub fn arm_rollback(&self) -> Result<(SlotName, String), OtaError> {
        let other = self.boot.slot.other();
        let state = self.state()?;
        if !state.is_good(other) {
            let why = match state.result {
                UpdateResult::RolledBack => "it holds the update that was rolled back",
                _ => "it holds no committed system (an update was written there and never committed)",
            };
            return Err(OtaError::BootState(format!("cannot roll back to slot {other}: {why}")));
        }
        if state.trial.is_some_and(|trial| trial != self.boot.slot) {
            return Err(OtaError::BootState(format!(
                "a trial boot of slot {other} is already armed: reboot to try it"
            )));
        }
        let version = state.version(other).unwrap_or("?").to_owned();
        self.write(|state| {
            state.trial = Some(other);
            state.tries = 1;
            state.set_outcome(
                UpdateResult::Trying,
                &format!("rollback to slot {other} ({version}) requested; its trial boot is next"),
            );
        })?;
        Ok((other, version))
    }

    fn write(&self, change: impl FnOnce(&mut BootState)) -> Result<BootState, OtaError> {
        let mut cached = self.cached.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Forget the cache first: if the write fails, the next read goes to the card.
        *cached = None;
        let written = self.store.update(change)?;
        *cached = Some(written.clone());
        log::info!(
            "boot state #{:x}: committed slot {}, trial {}, {}: {}",
            written.seq,
            written.committed,
            written.trial.map_or("none", SlotName::as_str),
            written.result.as_str(),
            written.reason
        );
        Ok(written)
    }

    fn slot_info(&self, name: SlotName) -> Result<SlotInfo, OtaError> {
        let device = self.slots[slot_index(name)].clone();
        let known = &self.capacities[slot_index(name)];
        let capacity = match known.get() {
            Some(&capacity) => capacity,
            None => {
                let capacity = File::open(&device).and_then(|mut file| file.seek(SeekFrom::End(0))).map_err(
                    |error| OtaError::Io {
                        what: format!("size of slot {name} ({})", device.display()),
                        error,
                    },
                )?;
                *known.get_or_init(|| capacity)
            }
        };
        let version = self.state()?.version(name).map(str::to_owned);
        Ok(SlotInfo { name, device, capacity, version })
    }
}

fn slot_index(slot: SlotName) -> usize {
    match slot {
        SlotName::A => 0,
        SlotName::B => 1,
    }
}

impl UpdateTarget for BoardTarget {
    fn board(&self) -> &str {
        BOARD
    }

    fn running_version(&self) -> String {
        self.state()
            .ok()
            .and_then(|state| state.version(self.boot.slot).map(str::to_owned))
            .unwrap_or_else(|| self.built_version.clone())
    }

    fn running_slot(&self) -> Result<SlotInfo, OtaError> {
        self.slot_info(self.boot.slot)
    }

    fn inactive_slot(&self) -> Result<SlotInfo, OtaError> {
        self.slot_info(self.boot.slot.other())
    }

    fn arm_trial(&self, slot: SlotName, version: &str) -> Result<(), OtaError> {
        if slot == self.boot.slot {
            return Err(OtaError::BootState(format!("slot {slot} is running: it cannot be the trial")));
        }
        self.write(|state| {
            state.trial = Some(slot);
            state.tries = 1;
            state.set_version(slot, version);
            // Written, not yet proven: no rollback to it until it commits.
            state.set_good(slot, false);
            state.set_outcome(
                UpdateResult::Trying,
                &format!("update to {version} in slot {slot}; its trial boot is next"),
            );
        })?;
        Ok(())
    }

    fn begin_write(&self, slot: SlotName) -> Result<(), OtaError> {
        if slot == self.boot.slot {
            return Err(OtaError::BootState(format!("slot {slot} is running: it cannot be written")));
        }
        // From the first byte on the slot holds no known system: no rollback to it, and a
        // trial armed for it before (never booted) is void.
        self.write(|state| {
            state.clear_version(slot);
            state.set_good(slot, false);
            if state.trial == Some(slot) {
                state.trial = None;
                state.tries = 0;
            }
        })?;
        Ok(())
    }

    fn trial(&self) -> Option<bool> {
        self.is_pending_trial().ok()
    }

    fn last_rollback(&self) -> Option<String> {
        let state = self.state().ok()?;
        (state.result == UpdateResult::RolledBack).then(|| format!("rolled back: {}", state.reason))
    }

    fn last_result(&self) -> Option<(String, String)> {
        let state = self.state().ok()?;
        Some((state.result.as_str().to_owned(), state.reason))
    }

    fn other_slot_good(&self) -> Option<bool> {
        Some(self.state().ok()?.is_good(self.boot.slot.other()))
    }

    fn rollback(&self) -> Result<(SlotName, String), OtaError> {
        self.arm_rollback()
    }
}

#[cfg(test)]
#[path = "board_tests.rs"]
mod tests;

/// The board's updates as PID 1 starts them: the target (None on a single-slot card, with
/// the reason logged) and the installer with the image's keyring (an image built without
/// keys refuses every bundle, saying so).
pub fn open_board() -> Option<(std::sync::Arc<BoardTarget>, std::sync::Arc<super::Updater>)> {
    let target = match BoardTarget::from_proc_cmdline() {
        Ok(target) => std::sync::Arc::new(target),
        Err(err) => {
            log::warn!("no over-the-air updates: {err}");
            return None;
        }
    };
    let boot = target.boot_args();
    // Read the slot sizes and the boot state now, before HTTP serves /status.
    for slot in [SlotName::A, SlotName::B] {
        if let Err(err) = target.slot_info(slot) {
            log::warn!("{err}");
        }
    }
    log::info!(
        "running slot {} ({}){}",
        boot.slot,
        target.running_version(),
        if boot.trial { ", trial boot" } else { "" }
    );
    let updater = std::sync::Arc::new(super::Updater::for_board(target.clone()));
    Some((target, updater))
}
