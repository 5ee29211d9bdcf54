//! Configuration: a TOML file (on the board, /boot/zerocam.toml) with command-line flags on
//! top. Unknown keys and bad values are errors that name the key and its line; the program
//! refuses to start on them.

mod accounts;
mod cli;
mod file;
mod origin;
mod values;

pub use accounts::ViewerAccount;
pub use cli::{parse_args, Command, HELP};
pub use file::{parse_file_text, read_file, ConfigError};
pub use origin::{KeySource, Origin};
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
    pub network: crate::net::NetworkConfig,
    /// The OTG port: USB Ethernet gadget or USB host; used only as PID 1.
    pub usb: crate::net::UsbConfig,
    /// The Zero W's Wi-Fi (country, networks); used only as PID 1.
    pub wifi: crate::net::WifiConfig,
    /// Where the settings came from (file, flags), so start-up errors name them.
    #[serde(skip)]
    pub origin: Origin,
    /// Over-the-air updates: how a trial boot is judged (docs/OTA.md); used only as PID 1.
    pub update: UpdateConfig,
}

/// `[update]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UpdateConfig {
    /// After an update, the new system must be healthy (frames flowing, HTTP answering,
    /// network up) this long after the kernel started, or the board goes back to the old
    /// slot. Count in the network's wait: DHCP alone may take `dhcp_timeout_secs`.
    #[serde(deserialize_with = "file::within::<20, 900, _>")]
    pub trial_timeout_secs: usize,
}

impl Default for UpdateConfig {
    fn default() -> Self {
        UpdateConfig { trial_timeout_secs: 60 }
    }
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
    /// Places one peer address may hold at once; one more connection from it gets 429, so a
    /// single host (or a misbehaving script) cannot take every place.
    #[serde(deserialize_with = "file::within::<1, 4096, _>")]
    pub max_clients_per_peer: usize,
    /// A client that has not sent its whole request head by then is dropped (slowloris).
    #[serde(deserialize_with = "file::within::<1, 600, _>")]
    pub header_timeout_secs: usize,
    /// A streaming client that takes no bytes for this long is dropped, its lease released.
    #[serde(deserialize_with = "file::within::<1, 600, _>")]
    pub stall_timeout_secs: usize,
    /// Idle keep-alive connections are closed after this long.
    #[serde(deserialize_with = "file::within::<1, 3600, _>")]
    pub idle_timeout_secs: usize,
    /// How many bytes may wait in a client's socket before a new frame is started for it,
    /// in KiB (a frame larger than this is started only once the socket is empty). Small on
    /// purpose: bytes queued in the kernel are frames a slow client receives late.
    #[serde(deserialize_with = "file::within::<8, 8192, _>")]
    pub send_buffer_kib: usize,
    /// Enables POST /api/poweroff and /api/reboot with `Authorization: Bearer <token>`.
    pub admin_token: Option<String>,
    /// Viewer login: when any account is set, every page, stream, snapshot, status, metrics
    /// and log URL needs HTTP Basic credentials of one of them.
    #[serde(rename = "viewer")]
    pub viewers: Vec<ViewerAccount>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: None,
            max_clients: 600,
            max_clients_per_peer: 32,
            header_timeout_secs: 10,
            stall_timeout_secs: 10,
            idle_timeout_secs: 30,
            send_buffer_kib: 128,
            admin_token: None,
            viewers: Vec::new(),
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

/// The largest frame slot, in KiB (`slot_kib`'s upper bound). A replay clip with a larger
/// frame is refused rather than given slots that size.
pub const MAX_SLOT_KIB: usize = 16384;

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
    /// JPEG quality for sources that encode (test pattern, raw cameras), and for cameras
    /// that encode JPEG themselves and let it be set (V4L2_CID_JPEG_COMPRESSION_QUALITY).
    #[serde(deserialize_with = "file::within::<1, 100, _>")]
    pub quality: usize,
    /// Frame slots in this camera's pool.
    #[serde(deserialize_with = "file::within::<2, 64, _>")]
    pub slots: usize,
    /// Bytes per slot, in KiB; by default derived from the frame size (or, for replay, the
    /// largest frame of the file).
    #[serde(deserialize_with = "file::optional_within::<16, MAX_SLOT_KIB, _>")]
    pub slot_kib: Option<usize>,
    /// Sensor settings for `libcamera` sources (`[camera.libcamera]`); other sources ignore them.
    pub libcamera: LibcameraControls,
    /// Picture controls for `v4l2` sources (`[camera.v4l2]`); other sources ignore them.
    pub v4l2: V4l2Controls,
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
            libcamera: LibcameraControls::default(),
            v4l2: V4l2Controls::default(),
        }
    }
}

// --- libcamera sensor controls (used by source/libcamera) ---

/// Sensor settings of a libcamera camera. Absent keys leave the camera's automatic control
/// in charge; a setting the camera lacks is logged and ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LibcameraControls {
    /// Fixed exposure time in microseconds; absent means automatic exposure. The frame
    /// rate caps it: one frame at 25 fps lasts 40000 µs.
    #[serde(deserialize_with = "file::optional_within::<1, 1000000, _>")]
    pub exposure_us: Option<usize>,
    /// Fixed analogue gain (1.0 = no gain); absent means automatic.
    #[serde(deserialize_with = "analogue_gain")]
    pub analogue_gain: Option<f32>,
    /// White balance: auto or a fixed lighting preset.
    #[serde(deserialize_with = "values::from_text")]
    pub awb: AwbSetting,
    /// Autofocus, for cameras with a focus motor (Camera Module 3): continuous or off.
    #[serde(deserialize_with = "values::from_text")]
    pub autofocus: AutofocusSetting,
    /// Mirror left-right / upside down, done by the sensor (for cameras mounted rotated).
    pub hflip: bool,
    pub vflip: bool,
}

/// libcamera's AWB modes that need no custom calibration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AwbSetting {
    #[default]
    Auto,
    Incandescent,
    Tungsten,
    Fluorescent,
    Indoor,
    Daylight,
    Cloudy,
}

impl AwbSetting {
    const NAMES: [(&'static str, AwbSetting); 7] = [
        ("auto", AwbSetting::Auto),
        ("incandescent", AwbSetting::Incandescent),
        ("tungsten", AwbSetting::Tungsten),
        ("fluorescent", AwbSetting::Fluorescent),
        ("indoor", AwbSetting::Indoor),
        ("daylight", AwbSetting::Daylight),
        ("cloudy", AwbSetting::Cloudy),
    ];
}

impl std::str::FromStr for AwbSetting {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        AwbSetting::NAMES.iter().find(|(name, _)| *name == text).map(|(_, mode)| *mode).ok_or_else(|| {
            "unknown white balance: expected auto, incandescent, tungsten, fluorescent, indoor, daylight or cloudy"
                .to_string()
        })
    }
}

/// Autofocus for cameras that have it; others ignore the setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AutofocusSetting {
    /// Refocus whenever the scene changes (libcamera AfModeContinuous).
    #[default]
    Continuous,
    /// Leave the lens where the camera puts it by default.
    Off,
}

impl std::str::FromStr for AutofocusSetting {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "continuous" => Ok(AutofocusSetting::Continuous),
            "off" => Ok(AutofocusSetting::Off),
            _ => Err("unknown autofocus mode: expected continuous or off".to_string()),
        }
    }
}

/// A gain multiplier: sensors offer about 1.0 to 16.0; more is refused as a likely typo.
fn analogue_gain<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<f32>, D::Error> {
    use serde::de::Error as _;
    let gain = f64::deserialize(de)?;
    if (1.0..=64.0).contains(&gain) {
        Ok(Some(gain as f32))
    } else {
        Err(D::Error::custom(format!("analogue gain {gain} is out of range: expected 1.0..=64.0")))
    }
}

// --- end of libcamera sensor controls ---

// --- V4L2 picture controls (used by source/v4l2) ---

/// Picture controls of a V4L2 camera. Each applies only where the device has the control
/// (the log says which it lacks); a key left out leaves the device's own setting alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct V4l2Controls {
    /// Clockwise degrees: 0, 90, 180 or 270. Without a rotate control, 180 is done by
    /// flipping both ways; 90 and 270 need a camera that rotates (the Pi camera does).
    #[serde(deserialize_with = "rotation_degrees")]
    pub rotation: u32,
    /// Mirror left-right.
    pub hflip: bool,
    /// Flip upside down.
    pub vflip: bool,
    /// Percent of the device's range, 0..=100 (50 is the middle).
    #[serde(deserialize_with = "file::optional_within::<0, 100, _>")]
    pub brightness: Option<usize>,
    /// Percent of the device's range, 0..=100.
    #[serde(deserialize_with = "file::optional_within::<0, 100, _>")]
    pub contrast: Option<usize>,
    /// `"auto"`, or a fixed exposure time in microseconds (100..=1000000).
    #[serde(deserialize_with = "auto_or_within::<100, 1_000_000, _>")]
    pub exposure: Option<AutoOr>,
    /// `"auto"`, or a fixed colour temperature in kelvin (1000..=12000).
    #[serde(deserialize_with = "auto_or_within::<1000, 12_000, _>")]
    pub white_balance: Option<AutoOr>,
    /// Who turns raw frames (YUYV, NV12...) into JPEG: `"auto"` (a V4L2 memory-to-memory
    /// JPEG encoder if the kernel has one, else software), `"software"` or a device path.
    #[serde(deserialize_with = "values::from_text")]
    pub encoder: EncoderSetting,
}

/// The `encoder` key of `[camera.v4l2]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum EncoderSetting {
    /// Scan /dev/video* for a memory-to-memory JPEG encoder; software if there is none.
    #[default]
    Auto,
    /// Always zerocam's own encoder (e.g. to leave the hardware codec to another program).
    Software,
    /// This memory-to-memory device, such as /dev/video31; software if it cannot be used.
    Device(std::path::PathBuf),
}

impl std::str::FromStr for EncoderSetting {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "auto" => Ok(EncoderSetting::Auto),
            "software" => Ok(EncoderSetting::Software),
            path if path.starts_with("/dev/") && path.len() > "/dev/".len() => {
                Ok(EncoderSetting::Device(path.into()))
            }
            _ => Err("unknown encoder: expected \"auto\", \"software\" or a device such as \"/dev/video31\""
                .to_string()),
        }
    }
}

/// A control that is either automatic or a fixed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoOr {
    Auto,
    Fixed(u32),
}

fn rotation_degrees<'de, D: serde::Deserializer<'de>>(de: D) -> Result<u32, D::Error> {
    use serde::de::Error as _;
    let degrees = i64::deserialize(de)?;
    match degrees {
        0 | 90 | 180 | 270 => Ok(degrees as u32),
        _ => Err(D::Error::custom(format!("{degrees} is not a rotation: expected 0, 90, 180 or 270"))),
    }
}

/// `"auto"` or an integer in MIN..=MAX.
fn auto_or_within<'de, const MIN: u32, const MAX: u32, D: serde::Deserializer<'de>>(
    de: D,
) -> Result<Option<AutoOr>, D::Error> {
    struct AutoOrVisitor<const MIN: u32, const MAX: u32>;
    impl<const MIN: u32, const MAX: u32> serde::de::Visitor<'_> for AutoOrVisitor<MIN, MAX> {
        type Value = AutoOr;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "\"auto\" or a number {MIN}..={MAX}")
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<AutoOr, E> {
            match text {
                "auto" => Ok(AutoOr::Auto),
                _ => Err(E::custom(format!("{text:?} is not \"auto\" or a number {MIN}..={MAX}"))),
            }
        }
        fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<AutoOr, E> {
            u32::try_from(value).ok().filter(|v| (MIN..=MAX).contains(v)).map(AutoOr::Fixed).ok_or_else(
                || E::custom(format!("{value} is out of range: expected \"auto\" or {MIN}..={MAX}")),
            )
        }
    }
    de.deserialize_any(AutoOrVisitor::<MIN, MAX>).map(Some)
}

// --- end of V4L2 picture controls ---

/// Characters allowed in a camera name (it becomes part of a URL path).
pub fn valid_camera_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests;
