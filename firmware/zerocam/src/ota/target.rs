//! Where an update goes: the contract between the bundle installer and the board's slots.

use std::fmt;
use std::path::PathBuf;

/// One of the two system slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlotName {
    A,
    B,
}

impl SlotName {
    pub fn other(self) -> SlotName {
        match self {
            SlotName::A => SlotName::B,
            SlotName::B => SlotName::A,
        }
    }

    /// "a" or "b": the form used on the kernel command line (`zerocam.slot=a`) and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            SlotName::A => "a",
            SlotName::B => "b",
        }
    }
}

impl fmt::Display for SlotName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A slot as the installer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotInfo {
    pub name: SlotName,
    /// What the slot image is written to: a partition (/dev/mmcblk0p3) or, in tests, a file.
    pub device: PathBuf,
    /// Bytes the slot holds: a bundle's slot image larger than this is refused up front.
    pub capacity: u64,
    /// The version installed in the slot, when known.
    pub version: Option<String>,
}

/// Why an update step failed: each carries what was being done, for the user and /status.
#[derive(Debug)]
pub enum OtaError {
    /// Updates are not possible on this system (e.g. a PC, or a single-slot card).
    Unsupported(String),
    /// Reading or writing the slot or the boot state failed.
    Io { what: String, error: std::io::Error },
    /// The boot state is not what it should be (unreadable, inconsistent).
    BootState(String),
}

impl fmt::Display for OtaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OtaError::Unsupported(why) => write!(f, "updates are not possible here: {why}"),
            OtaError::Io { what, error } => write!(f, "{what}: {error}"),
            OtaError::BootState(why) => write!(f, "boot state: {why}"),
        }
    }
}

impl std::error::Error for OtaError {}

/// The system an update is installed on. The board implements it with its partitions and
/// boot chain; tests implement it with files.
pub trait UpdateTarget: Send + Sync {
    /// The board name bundles must be built for (e.g. "pizero").
    fn board(&self) -> &str;
    /// The version running now (compared against a bundle's to refuse downgrades).
    fn running_version(&self) -> String;
    /// The slot running now.
    fn running_slot(&self) -> Result<SlotInfo, OtaError>;
    /// The slot an update may be written to: never the running one.
    fn inactive_slot(&self) -> Result<SlotInfo, OtaError>;
    /// Called only after the slot image was written, synced and verified: arranges for the
    /// next boot to try `slot` once (a trial), falling back to the running slot if the trial
    /// does not commit. Does not reboot.
    fn arm_trial(&self, slot: SlotName, version: &str) -> Result<(), OtaError>;
    /// Called once before the first byte of an update is written to `slot` (never the
    /// running one): from then on the slot holds no known system until `arm_trial`, so a
    /// target with a boot state records that (version unknown, not bootable). Targets
    /// without one have nothing to record.
    fn begin_write(&self, _slot: SlotName) -> Result<(), OtaError> {
        Ok(())
    }
    /// Whether this boot is the trial of a slot that has not committed yet, for /status
    /// (`None`: the target cannot tell).
    fn trial(&self) -> Option<bool> {
        None
    }
    /// If the board went back to this slot because a trial failed: why, for /status and
    /// `zerocam-ota push` (`None`: no rollback since the last update, or cannot tell).
    fn last_rollback(&self) -> Option<String> {
        None
    }
    /// The last update's outcome as the boot state keeps it across reboots: ("none" |
    /// "trying" | "committed" | "rolled-back", reason). `None`: the target keeps no record.
    fn last_result(&self) -> Option<(String, String)> {
        None
    }
    /// Whether the slot not running holds a committed system (a rollback target).
    fn other_slot_good(&self) -> Option<bool> {
        None
    }
    /// POST /api/rollback: arms a trial boot of the other slot if it holds a committed
    /// system; returns that slot and its version. Does not reboot.
    fn rollback(&self) -> Result<(SlotName, String), OtaError> {
        Err(OtaError::Unsupported("this system has no second slot to go back to".into()))
    }
}
