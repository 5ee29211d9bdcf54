//! Host-side helper for ci/test-ota-qemu: the boot state of an SD card image, read with the
//! same code the board uses (zerocam::ota::boot_state). Keys and bundles are zerocam-ota's.
//!
//!   ota_card state IMAGE                         the boot state in force, one key=value a line
//!   ota_card arm IMAGE RUNNING SLOT VERSION   what the installer does around writing a slot:
//!                                                begin_write, then arm_trial, through the
//!                                                board's UpdateTarget (the slot itself is
//!                                                written by the caller, e.g. with dd)
//!   ota_card tear IMAGE                          damages the copy in force, as a power cut
//!                                                in the middle of writing it would

use std::process::ExitCode;
use zerocam::ota::boot_state::{BootStateStore, COPY_OFFSETS};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match words.as_slice() {
        ["state", image] => state(image),
        ["tear", image] => tear(image),
        ["arm", image, running, slot, version] => arm(image, running, slot, version),
        _ => Err("usage: ota_card state IMAGE | tear IMAGE | arm IMAGE RUNNING SLOT VERSION".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ota_card: {err}");
            ExitCode::FAILURE
        }
    }
}

fn state(image: &str) -> Result<(), String> {
    let loaded = BootStateStore::new(image, "unknown").load().map_err(|err| err.to_string())?;
    let state = loaded.state;
    println!("copy={}", loaded.copy.map_or("none".to_owned(), |copy| copy.to_string()));
    println!("seq={:x}", state.seq);
    println!("committed={}", state.committed);
    println!("trial={}", state.trial.map_or("none", |slot| slot.as_str()));
    println!("result={}", state.result.as_str());
    println!("reason={}", state.reason);
    for slot in [zerocam::ota::SlotName::A, zerocam::ota::SlotName::B] {
        println!("version_{slot}={}", state.version(slot).unwrap_or("none"));
        println!("good_{slot}={}", u8::from(state.is_good(slot)));
    }
    Ok(())
}

fn tear(image: &str) -> Result<(), String> {
    use std::io::{Seek, SeekFrom, Write};
    let loaded = BootStateStore::new(image, "unknown").load().map_err(|err| err.to_string())?;
    let copy = loaded.copy.ok_or("no valid copy to tear")?;
    let mut file = std::fs::OpenOptions::new().write(true).open(image).map_err(|err| err.to_string())?;
    file.seek(SeekFrom::Start(COPY_OFFSETS[copy] + 2048)).map_err(|err| err.to_string())?;
    file.write_all(&[0xa5; 2048]).map_err(|err| err.to_string())?;
    println!("tore copy {copy}");
    Ok(())
}

fn slot_name(text: &str) -> Result<zerocam::ota::SlotName, String> {
    match text {
        "a" => Ok(zerocam::ota::SlotName::A),
        "b" => Ok(zerocam::ota::SlotName::B),
        other => Err(format!("{other}: not a slot (a or b)")),
    }
}

fn arm(image: &str, running: &str, slot: &str, version: &str) -> Result<(), String> {
    use zerocam::ota::board::{BoardPaths, BoardTarget, BootArgs};
    use zerocam::ota::UpdateTarget;
    // Only the boot state is touched: the slots' paths are the image itself.
    let paths = BoardPaths { card: image.into(), slots: [image.into(), image.into()] };
    let target = BoardTarget::new(paths, BootArgs { slot: slot_name(running)?, trial: false });
    let slot = slot_name(slot)?;
    target.begin_write(slot).map_err(|err| err.to_string())?;
    target.arm_trial(slot, version).map_err(|err| err.to_string())?;
    println!("armed a trial of slot {slot} ({version})");
    Ok(())
}
