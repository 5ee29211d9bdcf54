//! Over-the-air updates: two system slots (A and B) on the SD card, signed bundles written
//! into the slot that is not running, a trial boot of the new slot, and a commit once the
//! new system proves healthy (otherwise the board goes back by itself). See docs/OTA.md.
//!
//! The pieces meet at [`target::UpdateTarget`]: the installer (streams a bundle into a slot)
//! only knows that trait; the board implements it with the real partitions and boot state,
//! tests with files.

pub mod board;
pub mod boot_state;
pub mod file_target;
pub mod install;
pub mod report;
pub mod state;
pub mod target;
pub mod trial;

pub use file_target::FileTarget;
pub use install::Updater;
pub use state::{LastUpdate, UpdateState};
pub use target::{OtaError, SlotInfo, SlotName, UpdateTarget};
