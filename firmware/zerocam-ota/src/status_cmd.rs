//! status: what a camera runs and what its last update did.

use crate::camera::Camera;
use crate::failure::Failure;

pub fn status(camera: &str, json: bool) -> Result<(), Failure> {
    let camera = Camera::new(camera);
    let ota = camera.ota()?;
    if json {
        println!("{}", ota.raw);
        return Ok(());
    }
    let state = match ota.trial {
        Some(true) => "trial boot, not committed yet",
        Some(false) => "committed",
        None => "boot state unknown",
    };
    println!("camera       {} (board {})", camera.base, ota.board);
    println!(
        "running      version {} from slot {} ({state})",
        ota.running_version,
        ota.running_slot.as_deref().unwrap_or("?")
    );
    println!(
        "other slot   {}: {}",
        ota.other_slot.as_deref().unwrap_or("?"),
        ota.other_version.as_deref().unwrap_or("no known system")
    );
    println!("last update  {}", ota.last_update.as_deref().unwrap_or("none since this boot"));
    if let Some(reason) = &ota.rollback {
        println!("rolled back  {reason}");
    }
    Ok(())
}
