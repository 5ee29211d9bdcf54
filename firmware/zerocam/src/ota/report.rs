//! The "ota" object of /status and the zerocam_ota_* families of /metrics: what the slots
//! and the boot state say (through UpdateTarget) plus the last update's result.

use super::Updater;
use crate::http::status::quoted;
use std::fmt::Write;
use std::sync::atomic::Ordering;

fn opt_str(value: Option<&str>) -> String {
    value.map_or_else(|| "null".to_string(), quoted)
}

fn opt_bool(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "true",
        Some(false) => "false",
        None => "null",
    }
}

/// The JSON object (no trailing comma).
pub fn status_json(updater: &Updater) -> String {
    let target = updater.target();
    let state = updater.state();
    let mut out = String::with_capacity(512);
    let _ = write!(
        out,
        "{{\"board\":{},\"boot_id\":\"{}\",\"running_version\":{},\"trial\":{},\"rollback\":{},",
        quoted(target.board()),
        updater.boot_id(),
        quoted(&target.running_version()),
        opt_bool(target.trial()),
        opt_str(target.last_rollback().as_deref()),
    );
    // The boot state's record of the last update, kept across reboots (board only).
    if let Some((result, reason)) = target.last_result() {
        let _ = write!(out, "\"last_result\":{},\"last_reason\":{},", quoted(&result), quoted(&reason));
    }
    if let Some(good) = target.other_slot_good() {
        let _ = write!(out, "\"other_slot_committed\":{good},");
    }
    match (target.running_slot(), target.inactive_slot()) {
        (Ok(running), Ok(other)) => {
            let _ = write!(
                out,
                "\"running_slot\":\"{}\",\"other_slot\":\"{}\",\"other_version\":{},\"slot_capacity\":{},",
                running.name,
                other.name,
                opt_str(other.version.as_deref()),
                other.capacity,
            );
        }
        (Err(err), _) | (_, Err(err)) => {
            let _ = write!(
                out,
                "\"running_slot\":null,\"other_slot\":null,\"error\":{},",
                quoted(&err.to_string())
            );
        }
    }
    let (received, expected) = state.progress();
    let _ = write!(
        out,
        "\"update\":{{\"in_progress\":{},\"received\":{received},\"expected\":{expected}}},\"last_update\":",
        state.in_progress()
    );
    match state.last() {
        Some(last) => {
            let _ = write!(
                out,
                "{{\"result\":\"{}\",\"code\":\"{}\",\"reason\":{},\"version\":{},\"summary\":{}}}}}",
                if last.ok { "ok" } else { "refused" },
                last.code,
                quoted(&last.reason),
                opt_str(last.version.as_deref()),
                quoted(&last.summary()),
            );
        }
        None => out.push_str("null}"),
    }
    out
}

/// Prometheus families, in the text format.
pub fn prometheus(updater: &Updater) -> String {
    let target = updater.target();
    let state = updater.state();
    let mut out = String::with_capacity(1024);
    let mut gauge = |name: &str, kind: &str, help: &str, labels: String, value: f64| {
        let _ = writeln!(out, "# HELP zerocam_ota_{name} {help}\n# TYPE zerocam_ota_{name} {kind}");
        let _ = writeln!(out, "zerocam_ota_{name}{labels} {value}");
    };
    let running = target.running_slot().ok();
    let other = target.inactive_slot().ok();
    gauge(
        "running",
        "gauge",
        "1 for the running slot and version.",
        format!(
            "{{slot=\"{}\",version={}}}",
            running.as_ref().map_or("unknown", |slot| slot.name.as_str()),
            quoted(&target.running_version())
        ),
        1.0,
    );
    gauge(
        "other_slot",
        "gauge",
        "1 for the slot not running, with the version it holds.",
        format!(
            "{{slot=\"{}\",version={}}}",
            other.as_ref().map_or("unknown", |slot| slot.name.as_str()),
            quoted(other.as_ref().and_then(|slot| slot.version.as_deref()).unwrap_or("unknown"))
        ),
        1.0,
    );
    if let Some(trial) = target.trial() {
        gauge(
            "trial",
            "gauge",
            "1 while this boot is an uncommitted trial.",
            String::new(),
            f64::from(u8::from(trial)),
        );
    }
    if let Some((result, _)) = target.last_result() {
        gauge(
            "boot_result",
            "gauge",
            "1, labelled with the last update's outcome as the boot state keeps it across reboots.",
            format!("{{result=\"{result}\"}}"),
            1.0,
        );
    }
    gauge(
        "update_in_progress",
        "gauge",
        "1 while a bundle uploads.",
        String::new(),
        f64::from(u8::from(state.in_progress())),
    );
    gauge(
        "updates_installed_total",
        "counter",
        "Bundles written and verified since start.",
        String::new(),
        state.installed.load(Ordering::Relaxed) as f64,
    );
    gauge(
        "updates_refused_total",
        "counter",
        "Bundles refused since start.",
        String::new(),
        state.refused.load(Ordering::Relaxed) as f64,
    );
    if let Some(last) = state.last() {
        gauge(
            "last_update",
            "gauge",
            "1, labelled with the last update's result.",
            format!("{{result=\"{}\"}}", last.code),
            1.0,
        );
    }
    out
}
