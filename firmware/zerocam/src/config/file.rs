//! Reading the TOML file, with errors that name the key and its line.

use super::Config;
use serde::de::{Deserialize, Deserializer, Error as _};
use std::fmt;
use std::path::{Path, PathBuf};

/// A configuration the program must not start with.
#[derive(Debug)]
pub struct ConfigError {
    /// The file, if the error came from one.
    pub file: Option<PathBuf>,
    pub message: String,
    /// The top-level table the mistake is in ("wifi" for `[wifi]` and `[[wifi.network]]`),
    /// when the file says: the board shows a `[wifi]` mistake on /status as Wi-Fi's state.
    pub table: Option<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(file) => write!(f, "config {}: {}", file.display(), self.message.trim_end()),
            None => write!(f, "{}", self.message.trim_end()),
        }
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    pub fn new(message: impl Into<String>) -> ConfigError {
        ConfigError { file: None, message: message.into(), table: None }
    }
}

/// Reads and checks a config file.
pub fn read_file(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|err| ConfigError {
        file: Some(path.into()),
        message: format!("cannot read: {err}"),
        table: None,
    })?;
    parse_file_text(&text).map_err(|mut err| {
        err.file = Some(path.into());
        err
    })
}

/// Parses config text. toml's messages already carry "at line N, column M", the key and the
/// offending text; checks that span several keys (duplicate camera names) add the line.
pub fn parse_file_text(text: &str) -> Result<Config, ConfigError> {
    let config: Config = toml::from_str(text).map_err(|err| ConfigError {
        table: err.span().and_then(|span| table_at(text, span.start)),
        ..ConfigError::new(crate::net::wifi::config::redact_keys(&err.to_string()))
    })?;
    let mut seen: Vec<&str> = Vec::new();
    for camera in &config.cameras {
        if seen.contains(&camera.name.as_str()) {
            return Err(ConfigError::new(format!(
                "line {}: camera name {:?} is used twice; each camera needs its own name",
                line_of_last(text, &camera.name),
                camera.name
            )));
        }
        seen.push(&camera.name);
    }
    Ok(config)
}

/// The top-level table whose header is the last one at or before byte `offset`
/// (`[wifi]`, `[[wifi.network]]` and `[wifi.x]` are all "wifi").
fn table_at(text: &str, offset: usize) -> Option<String> {
    let mut start = 0;
    let mut table = None;
    for line in text.split_inclusive('\n') {
        if start > offset {
            break;
        }
        let header = line.trim();
        if header.starts_with('[') {
            let name = header.trim_start_matches('[').split([']', '.']).next().unwrap_or("").trim();
            table = Some(name.trim_matches('"').to_owned());
        }
        start += line.len();
    }
    table
}

/// The line (1-based) of the last `name = "<name>"` in the text.
fn line_of_last(text: &str, name: &str) -> usize {
    let quoted = format!("\"{name}\"");
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.trim_start().starts_with("name") && line.contains(&quoted))
        .map(|(index, _)| index + 1)
        .last()
        .unwrap_or(0)
}

/// An integer key that must lie in MIN..=MAX.
pub(super) fn within<'de, const MIN: usize, const MAX: usize, D: Deserializer<'de>>(
    de: D,
) -> Result<usize, D::Error> {
    let value = i64::deserialize(de)?;
    usize::try_from(value)
        .ok()
        .filter(|v| (MIN..=MAX).contains(v))
        .ok_or_else(|| D::Error::custom(format!("{value} is out of range: expected {MIN}..={MAX}")))
}

pub(super) fn optional_within<'de, const MIN: usize, const MAX: usize, D: Deserializer<'de>>(
    de: D,
) -> Result<Option<usize>, D::Error> {
    within::<MIN, MAX, D>(de).map(Some)
}

pub(super) fn camera_name<'de, D: Deserializer<'de>>(de: D) -> Result<String, D::Error> {
    let name = String::deserialize(de)?;
    if super::valid_camera_name(&name) {
        Ok(name)
    } else {
        Err(D::Error::custom(format!(
            "bad camera name {name:?}: use 1-32 letters, digits, '-' or '_' (it becomes part of URLs)"
        )))
    }
}

pub(super) fn log_level<'de, D: Deserializer<'de>>(de: D) -> Result<log::LevelFilter, D::Error> {
    let name = String::deserialize(de)?;
    crate::logging::parse_level(&name).ok_or_else(|| {
        D::Error::custom(format!("bad log level {name:?}: expected off, error, warn, info, debug or trace"))
    })
}
