//! Two files as the two slots: the UpdateTarget of the tests, the benchmark and of trying
//! updates on a PC. Its "boot state" lives in memory, and `boot` stands in for the reboot
//! a board would do.

use super::{OtaError, SlotInfo, SlotName, UpdateTarget};
use std::path::PathBuf;
use std::sync::Mutex;

pub struct FileTarget {
    board: String,
    paths: [PathBuf; 2],
    state: Mutex<FileBootState>,
}

#[derive(Debug, Clone)]
struct FileBootState {
    running: SlotName,
    versions: [Option<String>; 2],
    armed: Option<(SlotName, String)>,
    trial: bool,
    rollback: Option<String>,
}

fn index(slot: SlotName) -> usize {
    match slot {
        SlotName::A => 0,
        SlotName::B => 1,
    }
}

impl FileTarget {
    /// Slots in `slot_a` and `slot_b` (existing files: their length is the capacity),
    /// `running` holding `version`.
    pub fn new(
        board: &str,
        slot_a: PathBuf,
        slot_b: PathBuf,
        running: SlotName,
        version: &str,
    ) -> FileTarget {
        let mut versions = [None, None];
        versions[index(running)] = Some(version.to_string());
        FileTarget {
            board: board.to_string(),
            paths: [slot_a, slot_b],
            state: Mutex::new(FileBootState { running, versions, armed: None, trial: false, rollback: None }),
        }
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut FileBootState) -> T) -> Result<T, OtaError> {
        let mut state = self.state.lock().map_err(|_| OtaError::BootState("lock poisoned".into()))?;
        Ok(f(&mut state))
    }

    fn slot(&self, name: SlotName, state: &FileBootState) -> Result<SlotInfo, OtaError> {
        let device = self.paths[index(name)].clone();
        let capacity = std::fs::metadata(&device)
            .map_err(|error| OtaError::Io { what: format!("slot {name} ({})", device.display()), error })?
            .len();
        Ok(SlotInfo { name, device, capacity, version: state.versions[index(name)].clone() })
    }

    /// The trial armed by the last update, if any.
    pub fn armed(&self) -> Option<(SlotName, String)> {
        self.with_state(|state| state.armed.clone()).ok().flatten()
    }

    /// What a reboot does: with a trial armed, boot it (a trial boot); else the same slot.
    pub fn boot(&self) {
        let _ = self.with_state(|state| {
            if let Some((slot, version)) = state.armed.take() {
                state.running = slot;
                state.versions[index(slot)] = Some(version);
                state.trial = true;
                state.rollback = None;
            }
        });
    }

    /// What the boot chain does when a trial fails: back to the other slot, with a reason.
    pub fn roll_back(&self, reason: &str) {
        let _ = self.with_state(|state| {
            state.running = state.running.other();
            state.trial = false;
            state.rollback = Some(reason.to_string());
        });
    }

    /// What a healthy trial does: it becomes the committed slot.
    pub fn commit(&self) {
        let _ = self.with_state(|state| state.trial = false);
    }
}

impl UpdateTarget for FileTarget {
    fn board(&self) -> &str {
        &self.board
    }

    fn running_version(&self) -> String {
        self.with_state(|state| state.versions[index(state.running)].clone())
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    fn running_slot(&self) -> Result<SlotInfo, OtaError> {
        let state = self.with_state(|state| state.clone())?;
        self.slot(state.running, &state)
    }

    fn inactive_slot(&self) -> Result<SlotInfo, OtaError> {
        let state = self.with_state(|state| state.clone())?;
        self.slot(state.running.other(), &state)
    }

    fn arm_trial(&self, slot: SlotName, version: &str) -> Result<(), OtaError> {
        self.with_state(|state| {
            if slot == state.running {
                return Err(OtaError::BootState(format!("slot {slot} is running: it cannot be tried")));
            }
            state.versions[index(slot)] = Some(version.to_string());
            state.armed = Some((slot, version.to_string()));
            Ok(())
        })?
    }

    fn begin_write(&self, slot: SlotName) -> Result<(), OtaError> {
        self.with_state(|state| state.versions[index(slot)] = None)
    }

    fn trial(&self) -> Option<bool> {
        self.with_state(|state| state.trial).ok()
    }

    fn last_rollback(&self) -> Option<String> {
        self.with_state(|state| state.rollback.clone()).ok().flatten()
    }
}
