//! push (upload a bundle, then follow the reboot to its end) and rollback.

use crate::camera::{explain, Answer, Camera, OtaView};
use crate::failure::Failure;
use indicatif::{ProgressBar, ProgressStyle};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::time::{Duration, Instant};
use zerocam_bundle::{is_downgrade, Prefix};

pub fn push(
    camera: &str,
    bundle: &Path,
    token: &str,
    force: bool,
    wait: Option<Duration>,
) -> Result<(), Failure> {
    let open = || File::open(bundle).map_err(|err| format!("opening {}: {err}", bundle.display()));
    let prefix =
        Prefix::read(&mut BufReader::new(open()?)).map_err(|err| format!("{}: {err}", bundle.display()))?;
    let manifest = prefix.manifest_unverified().map_err(|err| format!("{}: {err}", bundle.display()))?;
    let camera = Camera::new(camera);
    let before = camera.ota()?;
    // The camera checks all of this itself; asking first saves uploading a bundle it refuses.
    if manifest.board != before.board {
        return Err(Failure::new(format!(
            "the bundle is for board {:?}, {} is a {:?}",
            manifest.board, camera.base, before.board
        )));
    }
    if !force && is_downgrade(&manifest.version, &before.running_version).unwrap_or(false) {
        return Err(Failure::new(format!(
            "the bundle holds {}, older than the running {}: add --force to downgrade",
            manifest.version, before.running_version
        )));
    }
    let len = std::fs::metadata(bundle).map_err(|err| format!("{}: {err}", bundle.display()))?.len();
    println!(
        "pushing {} (version {}, {} bytes) to {} (running {} from slot {})",
        bundle.display(),
        manifest.version,
        len,
        camera.base,
        before.running_version,
        before.running_slot.as_deref().unwrap_or("?")
    );
    let bar = ProgressBar::new(len).with_style(
        ProgressStyle::with_template("{wide_bar} {bytes}/{total_bytes} {bytes_per_sec} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let path = if force { "/api/update?force=1" } else { "/api/update" };
    let answer = camera.post(path, token, len, bar.wrap_read(open()?));
    bar.finish_and_clear();
    let answer = match answer {
        Ok(answer) => answer,
        // The camera may close the connection on a refusal; its status still says why.
        Err(failure) => return Err(with_last_update(&camera, failure)),
    };
    let slot = match &answer {
        Answer::Json(200, json) => json.get("slot").and_then(|slot| slot.as_str()).unwrap_or("?").to_string(),
        Answer::Json(status, _) | Answer::Text(status, _) => {
            return Err(Failure::new(format!("{}: {}", camera.base, explain(*status, &answer))))
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "uploaded and verified in {seconds:.1} s ({:.1} MiB/s); slot {slot} is armed, the camera reboots",
        len as f64 / 1048576.0 / seconds.max(0.001)
    );
    let Some(wait) = wait else { return Ok(()) };
    let after = wait_for_new_boot(&camera, &before.boot_id, wait, |ota| {
        // On the trial boot wait for the commit (or the rollback's reboot).
        ota.trial == Some(true) && ota.running_slot.as_deref() == Some(slot.as_str())
    })?;
    let running = after.running_slot.as_deref().unwrap_or("?");
    if running == slot && after.running_version == manifest.version {
        let how = if after.trial == Some(false) { "committed" } else { "running" };
        println!(
            "updated: {} now runs version {} from slot {running} ({how})",
            camera.base, after.running_version
        );
        Ok(())
    } else {
        Err(Failure::new(format!(
            "rolled back: {} runs version {} from slot {running}: {}",
            camera.base,
            after.running_version,
            after.rollback.as_deref().unwrap_or("the camera gave no reason")
        )))
    }
}

pub fn rollback(camera: &str, token: &str, wait: Option<Duration>) -> Result<(), Failure> {
    let camera = Camera::new(camera);
    let before = camera.ota()?;
    let answer = camera.post("/api/rollback", token, 0, std::io::empty())?;
    // The camera answers 202 (text) once the other slot's trial boot is armed.
    let (Answer::Json(status, _) | Answer::Text(status, _)) = &answer;
    if !(200..300).contains(status) {
        return Err(Failure::new(format!("{}: {}", camera.base, explain(*status, &answer))));
    }
    println!(
        "{} goes back from slot {} to slot {} ({}); it reboots",
        camera.base,
        before.running_slot.as_deref().unwrap_or("?"),
        before.other_slot.as_deref().unwrap_or("?"),
        before.other_version.as_deref().unwrap_or("version unknown")
    );
    let Some(wait) = wait else { return Ok(()) };
    // The other slot boots on trial too: wait for its commit (or for the board to come back).
    let target = before.other_slot.clone();
    let after = wait_for_new_boot(&camera, &before.boot_id, wait, |ota| {
        ota.trial == Some(true) && ota.running_slot == target
    })?;
    if after.running_slot == before.other_slot {
        println!(
            "rolled back: {} runs version {} from slot {}",
            camera.base,
            after.running_version,
            after.running_slot.as_deref().unwrap_or("?")
        );
        Ok(())
    } else {
        Err(Failure::new(format!(
            "{} came back on slot {} ({}): {}",
            camera.base,
            after.running_slot.as_deref().unwrap_or("?"),
            after.running_version,
            after.rollback.as_deref().unwrap_or("the rollback did not happen")
        )))
    }
}

/// Polls /status until the camera answers from a new boot and `keep_waiting` is false.
fn wait_for_new_boot(
    camera: &Camera,
    old_boot: &str,
    wait: Duration,
    keep_waiting: impl Fn(&OtaView) -> bool,
) -> Result<OtaView, Failure> {
    let spinner = ProgressBar::new_spinner().with_message("waiting for the camera to come back");
    spinner.enable_steady_tick(Duration::from_millis(200));
    let deadline = Instant::now() + wait;
    let mut last_seen: Option<OtaView> = None;
    while Instant::now() < deadline {
        if let Ok(ota) = camera.ota() {
            if ota.boot_id != old_boot {
                if !keep_waiting(&ota) {
                    spinner.finish_and_clear();
                    return Ok(ota);
                }
                spinner.set_message(format!(
                    "version {} is on its trial boot; waiting for it to commit",
                    ota.running_version
                ));
                last_seen = Some(ota);
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    spinner.finish_and_clear();
    Err(Failure::new(match last_seen {
        Some(ota) => format!(
            "{} still runs version {} on trial after {} s (see zerocam-ota status)",
            camera.base,
            ota.running_version,
            wait.as_secs()
        ),
        None => format!("{} did not come back within {} s", camera.base, wait.as_secs()),
    }))
}

fn with_last_update(camera: &Camera, failure: Failure) -> Failure {
    match camera.ota().ok().and_then(|ota| ota.last_update) {
        Some(last) => Failure::new(format!("{} (the camera says: {last})", failure.message)),
        None => failure,
    }
}
