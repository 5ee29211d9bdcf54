//! Configuration: a TOML file (on the board, /boot/zerocam.toml) with command-line flags on
//! top. Unknown keys and bad values are errors that name the key and its line; the program
//! refuses to start on them.

mod cli;
mod file;
mod values;

pub use cli::{parse_args, Command, HELP};
pub use file::{parse_file_text, read_file, ConfigError};
pub use values::{Resolution, SourceSpec};

use crate::system::RunMode;
use serde::Deserialize;
use std::net::SocketAddr;

/// Everything zerocam needs to start.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub http: HttpConfig,
    pub log: LogConfig,
    #[serde(rename = "camera")]
    pub cameras: Vec<CameraConfig>,
    /// The board's system settings (hostname, watchdog, helpers); used only as PID 1.
    pub system: crate::pid1::SystemConfig,
    /// The board's network (DHCP, static fallback); used only as PID 1.
    pub network: crate::pid1::NetworkConfig,
}

impl Config {
    /// The cameras to run: those configured, or one test-pattern camera when none is, so the
    /// program always shows something.
    pub fn cameras_or_default(&self) -> Vec<CameraConfig> {
        if self.cameras.is_empty() {
            vec![CameraConfig::default()]
        } else {
            self.cameras.clone()
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Where to serve HTTP; by default 127.0.0.1:8080 on a PC and 0.0.0.0:80 on the board
    /// (see [`HttpConfig::listen_addr`]).
    #[serde(deserialize_with = "values::some_from_text")]
    pub listen: Option<SocketAddr>,
    /// Size of the fixed client table; one more connection gets 503.
    #[serde(deserialize_with = "file::within::<1, 4096, _>")]
    pub max_clients: usize,
    /// A client that has not sent its whole request head by then is dropped (slowloris).
    #[serde(deserialize_with = "file::within::<1, 600, _>")]
    pub header_timeout_secs: usize,
    /// A streaming client that takes no bytes for this long is dropped, its lease released.
    #[serde(deserialize_with = "file::within::<1, 600, _>")]
    pub stall_timeout_secs: usize,
    /// Idle keep-alive connections are closed after this long.
    #[serde(deserialize_with = "file::within::<1, 3600, _>")]
    pub idle_timeout_secs: usize,
    /// Kernel send buffer per client, in KiB. Small on purpose: bytes queued in the kernel
    /// are frames a slow client receives late, and memory the Pi Zero does not have.
    #[serde(deserialize_with = "file::within::<8, 8192, _>")]
    pub send_buffer_kib: usize,
    /// Enables POST /api/poweroff and /api/reboot with `Authorization: Bearer <token>`.
    pub admin_token: Option<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: None,
            max_clients: 600,
            header_timeout_secs: 10,
            stall_timeout_secs: 10,
            idle_timeout_secs: 30,
            send_buffer_kib: 128,
            admin_token: None,
        }
    }
}

impl HttpConfig {
    /// The configured address, or the default for how zerocam runs: only this machine on a
    /// PC (nothing is exposed by accident), the whole network on the board.
    pub fn listen_addr(&self, mode: RunMode) -> SocketAddr {
        self.listen.unwrap_or(match mode {
            RunMode::Process => SocketAddr::from(([127, 0, 0, 1], 8080)),
            RunMode::Pid1 => SocketAddr::from(([0, 0, 0, 0], 80)),
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    #[serde(deserialize_with = "file::log_level")]
    pub level: log::LevelFilter,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { level: log::LevelFilter::Info }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CameraConfig {
    /// Used in URLs: /cam/<name>/stream.mjpg. Letters, digits, '-' and '_'.
    #[serde(deserialize_with = "file::camera_name")]
    pub name: String,
    #[serde(deserialize_with = "values::from_text")]
    pub source: SourceSpec,
    #[serde(deserialize_with = "values::from_text")]
    pub size: Resolution,
    #[serde(deserialize_with = "file::within::<1, 120, _>")]
    pub fps: usize,
    /// JPEG quality for sources that encode (test pattern, raw cameras).
    #[serde(deserialize_with = "file::within::<1, 100, _>")]
    pub quality: usize,
    /// Frame slots in this camera's pool.
    #[serde(deserialize_with = "file::within::<2, 64, _>")]
    pub slots: usize,
    /// Bytes per slot, in KiB; by default derived from the frame size (or, for replay, the
    /// largest frame of the file).
    #[serde(deserialize_with = "file::optional_within::<16, 16384, _>")]
    pub slot_kib: Option<usize>,
}

impl Default for CameraConfig {
    fn default() -> Self {
        CameraConfig {
            name: "cam0".into(),
            source: SourceSpec::TestPattern,
            size: Resolution::VGA,
            fps: 25,
            quality: 80,
            slots: 6,
            slot_kib: None,
        }
    }
}

/// Characters allowed in a camera name (it becomes part of a URL path).
pub fn valid_camera_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests;
