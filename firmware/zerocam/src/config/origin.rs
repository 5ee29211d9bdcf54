//! Where a setting came from: the config file, a flag or the built-in default. Start-up
//! errors that happen after parsing (an address in use, a clip that cannot be opened) name
//! the file and key, or the flag, the way parse errors do.

use super::{CameraConfig, Config};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Who set one key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum KeySource {
    /// Neither the file nor a flag: the built-in default (or a program that built the
    /// config itself, as tests do).
    #[default]
    Default,
    File,
    Flag,
}

/// Provenance of the settings a start-up error can be about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// The config file that was read, if one was.
    pub file: Option<PathBuf>,
    /// `[http] listen` / `--listen`.
    pub listen: KeySource,
    /// The first camera's `source` / `--source` (the flag only ever sets the first camera).
    pub first_source: KeySource,
}

impl Config {
    /// Names the listen setting: `config F: [http] listen = A`, `--listen A`, or the default.
    pub fn describe_listen(&self, addr: SocketAddr) -> String {
        match (self.origin.listen, &self.origin.file) {
            (KeySource::Flag, _) => format!("--listen {addr}"),
            (KeySource::File, Some(file)) => format!("config {}: [http] listen = {addr}", file.display()),
            _ => format!("[http] listen = {addr} (the default; set it in the config file or with --listen)"),
        }
    }

    /// Names a camera's source setting: `config F: [[camera]] name = "N": source = "S"`,
    /// `--source S`, or just the camera and its source.
    pub fn describe_source(&self, index: usize, camera: &CameraConfig) -> String {
        let source = &camera.source;
        let from_flag = index == 0 && self.origin.first_source == KeySource::Flag;
        match &self.origin.file {
            _ if from_flag => format!("camera {}: --source {source}", camera.name),
            Some(file) if index < self.cameras.len() => {
                format!(
                    "config {}: [[camera]] name = {:?}: source = \"{source}\"",
                    file.display(),
                    camera.name
                )
            }
            _ => format!("camera {}: source = \"{source}\"", camera.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SourceSpec;

    #[test]
    fn settings_are_named_by_where_they_came_from() {
        let addr: SocketAddr = "0.0.0.0:80".parse().expect("addr");
        let camera = CameraConfig {
            name: "clip".into(),
            source: SourceSpec::Replay("/x.mjpeg".into()),
            ..Default::default()
        };
        let mut config = Config { cameras: vec![camera.clone()], ..Config::default() };
        assert!(config.describe_listen(addr).contains("the default"));
        assert_eq!(config.describe_source(0, &camera), "camera clip: source = \"replay:/x.mjpeg\"");

        config.origin =
            Origin { file: Some("/boot/zerocam.toml".into()), listen: KeySource::File, ..Origin::default() };
        assert_eq!(config.describe_listen(addr), "config /boot/zerocam.toml: [http] listen = 0.0.0.0:80");
        assert_eq!(
            config.describe_source(0, &camera),
            "config /boot/zerocam.toml: [[camera]] name = \"clip\": source = \"replay:/x.mjpeg\""
        );

        config.origin.listen = KeySource::Flag;
        config.origin.first_source = KeySource::Flag;
        assert_eq!(config.describe_listen(addr), "--listen 0.0.0.0:80");
        assert_eq!(config.describe_source(0, &camera), "camera clip: --source replay:/x.mjpeg");
    }
}
