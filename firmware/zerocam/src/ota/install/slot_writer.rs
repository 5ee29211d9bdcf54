//! Writes a bundle's slot image into the inactive slot, checking first that it may: right
//! board, no downgrade unless forced, fits the slot, and never the running slot.
//!
//! The image's first HEAD_HOLD bytes are held in memory and written last, once everything
//! else arrived and matched its hash: a slot whose upload breaks off never carries a valid
//! filesystem header. If an update fails after the slot was touched, its first bytes are
//! zeroed, so a half-written slot reads as empty rather than as a damaged old system.

use crate::ota::{SlotInfo, UpdateTarget};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::os::unix::fs::FileExt;
use zerocam_bundle::{is_downgrade, FileEntry, Manifest, PayloadSink, Refusal, SLOT_IMAGE};

/// Bytes of the image held back until the rest verified (one I/O buffer).
pub const HEAD_HOLD: usize = 64 * 1024;

/// What a successful update installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    pub slot: SlotInfo,
    pub version: String,
    pub build_id: String,
}

pub struct SlotWriter<'t> {
    target: &'t dyn UpdateTarget,
    force: bool,
    /// The upload's length as the client declared it (Content-Length).
    declared_len: u64,
    slot: Option<SlotInfo>,
    device: Option<File>,
    image: Option<FileEntry>,
    head: Vec<u8>,
    /// Bytes of the image received so far.
    received: u64,
    /// Whether any byte reached the slot (then a failure must invalidate it).
    touched: bool,
}

fn install_error(what: &str, slot: &SlotInfo, error: std::io::Error) -> Refusal {
    Refusal::Install(format!("{what} {} ({}): {error}", slot.name, slot.device.display()))
}

impl<'t> SlotWriter<'t> {
    pub fn new(target: &'t dyn UpdateTarget, force: bool, declared_len: u64) -> SlotWriter<'t> {
        SlotWriter {
            target,
            force,
            declared_len,
            slot: None,
            device: None,
            image: None,
            head: Vec::with_capacity(HEAD_HOLD),
            received: 0,
            touched: false,
        }
    }

    /// After the whole bundle arrived and matched: writes the held head, syncs, reads the
    /// image back from the device and checks its hash, and only then arms the trial boot.
    pub fn commit(&mut self, manifest: &Manifest) -> Result<Installed, Refusal> {
        let image_size = self.image.as_ref().map_or(0, |image| image.size);
        if self.received != image_size {
            return Err(Refusal::Truncated { received: self.received, expected: image_size });
        }
        self.mark_touched()?;
        let (Some(slot), Some(device), Some(image)) = (&self.slot, &self.device, &self.image) else {
            return Err(Refusal::Install("the bundle ended before its manifest".into()));
        };
        device.write_all_at(&self.head, 0).map_err(|e| install_error("writing slot", slot, e))?;
        device.sync_all().map_err(|e| install_error("syncing slot", slot, e))?;
        // Drop the cached pages so the check below reads what the device holds.
        let _ = rustix::fs::fadvise(
            device,
            0,
            std::num::NonZeroU64::new(image.size),
            rustix::fs::Advice::DontNeed,
        );
        let mut hasher = Sha256::new();
        let buf = &mut self.head;
        buf.resize(HEAD_HOLD, 0);
        let mut at = 0u64;
        while at < image.size {
            let want = (image.size - at).min(HEAD_HOLD as u64) as usize;
            device
                .read_exact_at(&mut buf[..want], at)
                .map_err(|e| install_error("reading back slot", slot, e))?;
            hasher.update(&buf[..want]);
            at += want as u64;
        }
        let digest: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        if digest != image.sha256 {
            return Err(Refusal::Install(format!(
                "slot {} reads back differently from what was written (a failing card?)",
                slot.name
            )));
        }
        self.target.arm_trial(slot.name, &manifest.version).map_err(|err| {
            Refusal::Install(format!("arming the trial boot of slot {} failed: {err}", slot.name))
        })?;
        Ok(Installed {
            slot: slot.clone(),
            version: manifest.version.clone(),
            build_id: manifest.build_id.clone(),
        })
    }

    /// Before the first byte reaches the slot: the target forgets what the slot held.
    fn mark_touched(&mut self) -> Result<(), Refusal> {
        if self.touched {
            return Ok(());
        }
        let Some(slot) = &self.slot else { return Err(Refusal::Install("no slot".into())) };
        self.target.begin_write(slot.name).map_err(|err| {
            Refusal::Install(format!("recording that slot {} is being written: {err}", slot.name))
        })?;
        self.touched = true;
        Ok(())
    }

    /// After a failure: if the slot was touched, zero its start so it reads as empty.
    pub fn abandon(&mut self) {
        let (Some(slot), Some(device)) = (&self.slot, &self.device) else { return };
        if !self.touched {
            return;
        }
        let zeros = vec![0u8; HEAD_HOLD.min(slot.capacity as usize)];
        let wiped = device.write_all_at(&zeros, 0).and_then(|()| device.sync_all());
        match wiped {
            Ok(()) => log::warn!("update: slot {} was partly written; its start is zeroed", slot.name),
            Err(err) => log::error!("update: cannot zero the start of slot {}: {err}", slot.name),
        }
    }
}

impl PayloadSink for SlotWriter<'_> {
    fn accept(&mut self, manifest: &Manifest, bundle_len: u64) -> Result<(), Refusal> {
        let board = self.target.board();
        if manifest.board != board {
            return Err(Refusal::WrongBoard { bundle: manifest.board.clone(), device: board.to_string() });
        }
        let running_version = self.target.running_version();
        match is_downgrade(&manifest.version, &running_version) {
            Ok(false) => {}
            _ if self.force => log::warn!("update: forced over version {running_version}"),
            Ok(true) => {
                return Err(Refusal::Downgrade { bundle: manifest.version.clone(), running: running_version })
            }
            Err(why) => return Err(Refusal::Install(format!("{why}; force the update to install anyway"))),
        }
        let image = manifest
            .file(SLOT_IMAGE)
            .ok_or_else(|| Refusal::Malformed(format!("the bundle holds no {SLOT_IMAGE}")))?;
        let slot_error = |err: crate::ota::OtaError| Refusal::Install(err.to_string());
        let slot = self.target.inactive_slot().map_err(slot_error)?;
        let running = self.target.running_slot().map_err(slot_error)?;
        if slot.name == running.name || slot.device == running.device {
            return Err(Refusal::Install(format!("slot {} is the running slot: never written", slot.name)));
        }
        if image.size > slot.capacity {
            return Err(Refusal::TooBig { image: image.size, capacity: slot.capacity });
        }
        if self.declared_len != bundle_len {
            return Err(Refusal::SizeMismatch { received: self.declared_len, expected: bundle_len });
        }
        // Not created and not truncated: a slot is a partition (or, in tests, a slot-sized file).
        let device = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&slot.device)
            .map_err(|e| install_error("opening slot", &slot, e))?;
        log::info!(
            "update: writing version {} ({} bytes) into slot {}",
            manifest.version,
            image.size,
            slot.name
        );
        self.image = Some(image.clone());
        self.slot = Some(slot);
        self.device = Some(device);
        Ok(())
    }

    fn write(&mut self, file: &FileEntry, bytes: &[u8]) -> Result<(), Refusal> {
        if file.name != SLOT_IMAGE {
            // Other files are hash-checked by the reader but not installed.
            return Ok(());
        }
        let held = (HEAD_HOLD as u64).saturating_sub(self.received).min(bytes.len() as u64) as usize;
        self.head.extend_from_slice(&bytes[..held]);
        let rest = &bytes[held..];
        if !rest.is_empty() {
            self.mark_touched()?;
            let (Some(slot), Some(device)) = (&self.slot, &self.device) else {
                return Err(Refusal::Install("payload before the manifest".into()));
            };
            let at = self.received + held as u64;
            device.write_all_at(rest, at).map_err(|e| install_error("writing slot", slot, e))?;
        }
        self.received += bytes.len() as u64;
        Ok(())
    }
}
