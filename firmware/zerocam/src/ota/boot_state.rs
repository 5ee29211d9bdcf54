//! The boot state: which slot is committed, which one is on trial, and how the last update
//! ended. It lives in raw sectors of the SD card before the first partition, where the boot
//! script (board/boot.cmd) reads and writes it with U-Boot's `mmc read`/`mmc write` and
//! `env import -c`/`env export -c`, so this file writes exactly that format:
//!
//! ```text
//! u32 CRC-32 (little-endian) of the rest | "key=value\0" ... "\0" | zero padding to 4 KiB
//! ```
//!
//! Two copies (at 1 MiB and 2 MiB): the valid one with the higher sequence number counts, and
//! every write goes to the other one, so a write cut short by a power cut leaves the
//! previous state readable. Sequence numbers are hex because U-Boot's `setexpr` counts in hex.

use super::target::{OtaError, SlotName};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Bytes per copy (U-Boot: `env export -c -s 0x1000`, `mmc read ... 8`).
pub const COPY_SIZE: usize = 4096;
/// Byte offsets of the two copies on the card (sectors 0x800 and 0x1000).
pub const COPY_OFFSETS: [u64; 2] = [0x800 * 512, 0x1000 * 512];
/// Longest reason kept: the record must fit one copy with room to spare.
const MAX_REASON: usize = 480;
const MAX_VERSION: usize = 64;

/// How the last update (or rollback request) ended, as shown in /status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UpdateResult {
    /// No update since the card was flashed.
    #[default]
    None,
    /// A new slot is armed for (or in) its trial boot.
    Trying,
    /// The trial slot proved healthy and is now the committed one.
    Committed,
    /// The trial slot failed; the board went back to the committed slot.
    RolledBack,
}

impl UpdateResult {
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateResult::None => "none",
            UpdateResult::Trying => "trying",
            UpdateResult::Committed => "committed",
            UpdateResult::RolledBack => "rolled-back",
        }
    }

    fn parse(text: &str) -> UpdateResult {
        match text {
            "trying" => UpdateResult::Trying,
            "committed" => UpdateResult::Committed,
            "rolled-back" => UpdateResult::RolledBack,
            _ => UpdateResult::None,
        }
    }
}

/// One boot-state record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootState {
    /// Higher is newer; 0 only for the state assumed when no copy is valid.
    pub seq: u64,
    /// The slot booted when no trial is pending.
    pub committed: SlotName,
    /// The slot to try (before its trial boot) or being tried (during it).
    pub trial: Option<SlotName>,
    /// Trial boots left; the boot script counts it down before booting the trial slot.
    pub tries: u32,
    pub result: UpdateResult,
    pub reason: String,
    /// Versions of slot a and b, as the image build or the last update recorded them.
    pub versions: [Option<String>; 2],
    /// Whether slot a and b hold a system that was committed (and not written since).
    pub good: [bool; 2],
}

impl BootState {
    /// What a freshly flashed card holds (also assumed when both copies are damaged): slot A
    /// committed; both slots hold the same system.
    pub fn factory(version: &str) -> BootState {
        BootState {
            seq: 1,
            committed: SlotName::A,
            trial: None,
            tries: 0,
            result: UpdateResult::None,
            reason: String::new(),
            versions: [Some(version.to_owned()), Some(version.to_owned())],
            good: [true, true],
        }
    }

    pub fn version(&self, slot: SlotName) -> Option<&str> {
        self.versions[index(slot)].as_deref()
    }

    pub fn set_version(&mut self, slot: SlotName, version: &str) {
        self.versions[index(slot)] = Some(clip(version, MAX_VERSION));
    }

    pub fn clear_version(&mut self, slot: SlotName) {
        self.versions[index(slot)] = None;
    }

    pub fn is_good(&self, slot: SlotName) -> bool {
        self.good[index(slot)]
    }

    pub fn set_good(&mut self, slot: SlotName, good: bool) {
        self.good[index(slot)] = good;
    }

    pub fn set_outcome(&mut self, result: UpdateResult, reason: &str) {
        self.result = result;
        self.reason = clip(reason, MAX_REASON);
    }

    /// The record as U-Boot's `env export -c -s 0x1000` writes it.
    pub fn encode(&self) -> [u8; COPY_SIZE] {
        let mut pairs: Vec<(&str, String)> = vec![
            ("zc_seq", format!("{:x}", self.seq)),
            ("zc_slot", self.committed.as_str().to_owned()),
            ("zc_result", self.result.as_str().to_owned()),
            ("zc_good_a", u8::from(self.good[0]).to_string()),
            ("zc_good_b", u8::from(self.good[1]).to_string()),
        ];
        if let Some(trial) = self.trial {
            pairs.push(("zc_trial", trial.as_str().to_owned()));
            pairs.push(("zc_tries", format!("{:x}", self.tries)));
        }
        if !self.reason.is_empty() {
            pairs.push(("zc_reason", self.reason.clone()));
        }
        for (slot, key) in [(SlotName::A, "zc_ver_a"), (SlotName::B, "zc_ver_b")] {
            if let Some(version) = self.version(slot) {
                pairs.push((key, version.to_owned()));
            }
        }
        // U-Boot sorts on export; doing the same keeps our records byte-identical to its.
        pairs.sort_by(|a, b| a.0.cmp(b.0));
        let mut block = [0u8; COPY_SIZE];
        let mut at = 4;
        for (key, value) in pairs {
            // Values were clipped on the way in and NULs removed, so this always fits.
            let entry = format!("{key}={}", value.replace('\0', ""));
            let end = (at + entry.len()).min(COPY_SIZE - 2);
            block[at..end].copy_from_slice(&entry.as_bytes()[..end - at]);
            at = end + 1;
        }
        let crc = crc32fast::hash(&block[4..]);
        block[..4].copy_from_slice(&crc.to_le_bytes());
        block
    }

    /// Reads one copy; None when its CRC does not match (never written, or torn by a power
    /// cut) or it lacks the keys every record has.
    pub fn decode(block: &[u8]) -> Option<BootState> {
        if block.len() != COPY_SIZE {
            return None;
        }
        let stored = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
        if crc32fast::hash(&block[4..]) != stored {
            return None;
        }
        let mut state = BootState {
            seq: 0,
            committed: SlotName::A,
            trial: None,
            tries: 0,
            result: UpdateResult::None,
            reason: String::new(),
            versions: [None, None],
            good: [false, false],
        };
        let mut seen_seq = false;
        let mut seen_slot = false;
        for entry in block[4..].split(|&byte| byte == 0).take_while(|entry| !entry.is_empty()) {
            let entry = String::from_utf8_lossy(entry);
            let Some((key, value)) = entry.split_once('=') else { continue };
            match key {
                "zc_seq" => {
                    state.seq = u64::from_str_radix(value, 16).ok()?;
                    seen_seq = true;
                }
                "zc_slot" => {
                    state.committed = parse_slot(value)?;
                    seen_slot = true;
                }
                "zc_trial" => state.trial = parse_slot(value),
                "zc_tries" => state.tries = u32::from_str_radix(value, 16).unwrap_or(0),
                "zc_result" => state.result = UpdateResult::parse(value),
                "zc_reason" => state.reason = value.to_owned(),
                "zc_ver_a" => state.versions[0] = Some(value.to_owned()),
                "zc_ver_b" => state.versions[1] = Some(value.to_owned()),
                "zc_good_a" => state.good[0] = value == "1",
                "zc_good_b" => state.good[1] = value == "1",
                _ => {}
            }
        }
        (seen_seq && seen_slot).then_some(state)
    }
}

fn index(slot: SlotName) -> usize {
    match slot {
        SlotName::A => 0,
        SlotName::B => 1,
    }
}

fn parse_slot(text: &str) -> Option<SlotName> {
    match text {
        "a" => Some(SlotName::A),
        "b" => Some(SlotName::B),
        _ => None,
    }
}

/// Cuts at a character boundary and drops what U-Boot's text handling cannot carry.
fn clip(text: &str, max: usize) -> String {
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    let mut end = clean.len().min(max);
    while !clean.is_char_boundary(end) {
        end -= 1;
    }
    clean[..end].to_owned()
}

/// What was read from the card: the state in force and which copy held it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub state: BootState,
    /// The copy the state came from; None when neither copy was valid.
    pub copy: Option<usize>,
}

/// The two copies on a card (the whole card's block device, or an image file).
#[derive(Debug, Clone)]
pub struct BootStateStore {
    card: PathBuf,
    /// Version assumed for both slots when no copy is valid.
    fallback_version: String,
}

impl BootStateStore {
    pub fn new(card: impl Into<PathBuf>, fallback_version: &str) -> BootStateStore {
        BootStateStore { card: card.into(), fallback_version: fallback_version.to_owned() }
    }

    pub fn card(&self) -> &Path {
        &self.card
    }

    /// The newer valid copy, or the factory state when neither is valid.
    pub fn load(&self) -> Result<Loaded, OtaError> {
        let mut file = File::open(&self.card).map_err(|error| self.io("open", error))?;
        let mut best: Option<(usize, BootState)> = None;
        for (copy, offset) in COPY_OFFSETS.iter().enumerate() {
            let mut block = [0u8; COPY_SIZE];
            file.seek(SeekFrom::Start(*offset))
                .and_then(|_| file.read_exact(&mut block))
                .map_err(|error| self.io("read", error))?;
            if let Some(state) = BootState::decode(&block) {
                if best.as_ref().is_none_or(|(_, current)| state.seq > current.seq) {
                    best = Some((copy, state));
                }
            }
        }
        Ok(match best {
            Some((copy, state)) => Loaded { state, copy: Some(copy) },
            None => Loaded { state: BootState::factory(&self.fallback_version), copy: None },
        })
    }

    /// Writes `state` as the next record: one sequence number above the one in force, into
    /// the copy that does not hold it, synced and read back. Returns the record written.
    pub fn store(&self, state: &BootState) -> Result<BootState, OtaError> {
        let loaded = self.load()?;
        let mut next = state.clone();
        next.seq = loaded.state.seq.max(state.seq) + 1;
        let copy = match loaded.copy {
            Some(0) => 1,
            _ => 0,
        };
        let block = next.encode();
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&self.card)
            .map_err(|error| self.io("open", error))?;
        file.seek(SeekFrom::Start(COPY_OFFSETS[copy]))
            .and_then(|_| file.write_all(&block))
            .and_then(|()| file.sync_all())
            .map_err(|error| self.io("write", error))?;
        let mut check = [0u8; COPY_SIZE];
        file.seek(SeekFrom::Start(COPY_OFFSETS[copy]))
            .and_then(|_| file.read_exact(&mut check))
            .map_err(|error| self.io("read back", error))?;
        if check != block {
            return Err(OtaError::BootState(format!(
                "copy {copy} on {} reads back different from what was written",
                self.card.display()
            )));
        }
        Ok(next)
    }

    /// Applies `change` to the state in force and stores the result.
    pub fn update(&self, change: impl FnOnce(&mut BootState)) -> Result<BootState, OtaError> {
        let mut state = self.load()?.state;
        change(&mut state);
        self.store(&state)
    }

    fn io(&self, what: &str, error: std::io::Error) -> OtaError {
        OtaError::Io { what: format!("{what} the boot state on {}", self.card.display()), error }
    }
}

#[cfg(test)]
#[path = "boot_state_tests.rs"]
mod tests;
