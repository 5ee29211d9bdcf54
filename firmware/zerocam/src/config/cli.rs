//! Command-line flags. They override the file: the file is read first, then each flag
//! replaces its key (camera flags apply to the first camera).

use super::file::{read_file, ConfigError};
use super::{CameraConfig, Config, KeySource, Resolution, SourceSpec};
use std::ffi::OsString;
use std::path::PathBuf;

pub const HELP: &str = "\
zerocam: MJPEG network camera

USAGE:
    zerocam [OPTIONS]            stream (open http://127.0.0.1:8080/)
    zerocam cameras              list V4L2 cameras with their formats, sizes and rates
    zerocam hash-password        read a viewer password on stdin, print its hash for
                                 [[http.viewer]] password_hash

OPTIONS:
    --config FILE          TOML config file (flags override it)
    --listen ADDR:PORT     where to serve HTTP [127.0.0.1:8080]
    --source SOURCE        auto | testpattern | replay:PATH | v4l2:/dev/videoN | libcamera[:ID]
    --size WxH             frame size [640x480]
    --fps N                frames per second [25]
    --quality N            JPEG quality 1-100 for encoding sources [80]
    --max-clients N        size of the client table; more get 503 [600]
    --max-clients-per-peer N  places one address may hold; more get 429 [32]
    --log-level LEVEL      off|error|warn|info|debug|trace [info]
    -h, --help             this text
    -V, --version          the version
";

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    Serve(Box<Config>),
    ListCameras,
    HashPassword,
    Help,
    Version,
}

/// Parses the arguments (without the program name). `default_config` is read when no
/// `--config` is given and the file exists (the board's /boot/zerocam.toml).
pub fn parse_args<I>(args: I, default_config: Option<PathBuf>) -> Result<Command, ConfigError>
where
    I: IntoIterator<Item = OsString>,
{
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    let mut config_path = None;
    let mut overrides: Vec<Override> = Vec::new();
    let mut list_cameras = false;
    while let Some(arg) = parser.next().map_err(flag_error)? {
        let flag = match &arg {
            Long(name) => format!("--{name}"),
            Short(c) => format!("-{c}"),
            Value(_) => String::new(),
        };
        let value = |parser: &mut lexopt::Parser| -> Result<String, ConfigError> {
            let raw = parser.value().map_err(flag_error)?;
            raw.into_string().map_err(|raw| ConfigError::new(format!("{flag}: {raw:?} is not UTF-8")))
        };
        let parsed = |text: String, what: &str| -> Result<usize, ConfigError> {
            text.parse().map_err(|_| ConfigError::new(format!("{flag}: {text:?} is not {what}")))
        };
        match arg {
            Short('h') | Long("help") => return Ok(Command::Help),
            Short('V') | Long("version") => return Ok(Command::Version),
            Long("config") => config_path = Some(PathBuf::from(value(&mut parser)?)),
            Long("listen") => {
                let text = value(&mut parser)?;
                let addr = text.parse().map_err(|_| {
                    ConfigError::new(format!("--listen: {text:?} is not ADDR:PORT, e.g. 127.0.0.1:8080"))
                })?;
                overrides.push(Override::Listen(addr));
            }
            Long("source") => {
                let spec =
                    value(&mut parser)?.parse().map_err(|e| ConfigError::new(format!("--source: {e}")))?;
                overrides.push(Override::Source(spec));
            }
            Long("size") => {
                let size =
                    value(&mut parser)?.parse().map_err(|e| ConfigError::new(format!("--size: {e}")))?;
                overrides.push(Override::Size(size));
            }
            Long("fps") => {
                let fps = in_range(parsed(value(&mut parser)?, "a number")?, 1, 120, &flag)?;
                overrides.push(Override::Fps(fps));
            }
            Long("quality") => {
                let quality = in_range(parsed(value(&mut parser)?, "a number")?, 1, 100, &flag)?;
                overrides.push(Override::Quality(quality));
            }
            Long("max-clients") => {
                let max = in_range(parsed(value(&mut parser)?, "a number")?, 1, 4096, &flag)?;
                overrides.push(Override::MaxClients(max));
            }
            Long("max-clients-per-peer") => {
                let max = in_range(parsed(value(&mut parser)?, "a number")?, 1, 4096, &flag)?;
                overrides.push(Override::MaxClientsPerPeer(max));
            }
            Long("log-level") => {
                let text = value(&mut parser)?;
                let level = crate::logging::parse_level(&text)
                    .ok_or_else(|| ConfigError::new(format!("--log-level: {text:?} is not a log level")))?;
                overrides.push(Override::LogLevel(level));
            }
            Value(word) if word == "cameras" => list_cameras = true,
            Value(word) if word == "hash-password" => return Ok(Command::HashPassword),
            other => return Err(flag_error(other.unexpected())),
        }
    }
    if list_cameras {
        return Ok(Command::ListCameras);
    }
    let mut config = match config_path.or(default_config.filter(|path| path.exists())) {
        Some(path) => {
            let mut config = read_file(&path)?;
            if config.http.listen.is_some() {
                config.origin.listen = KeySource::File;
            }
            if !config.cameras.is_empty() {
                config.origin.first_source = KeySource::File;
            }
            config.origin.file = Some(path);
            config
        }
        None => Config::default(),
    };
    for change in overrides {
        change.apply(&mut config);
    }
    Ok(Command::Serve(Box::new(config)))
}

fn in_range(value: usize, min: usize, max: usize, flag: &str) -> Result<usize, ConfigError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(ConfigError::new(format!("{flag}: {value} is out of range: expected {min}..={max}")))
    }
}

fn flag_error(err: lexopt::Error) -> ConfigError {
    ConfigError::new(format!("{err} (see zerocam --help)"))
}

enum Override {
    Listen(std::net::SocketAddr),
    Source(SourceSpec),
    Size(Resolution),
    Fps(usize),
    Quality(usize),
    MaxClients(usize),
    MaxClientsPerPeer(usize),
    LogLevel(log::LevelFilter),
}

impl Override {
    fn apply(self, config: &mut Config) {
        if config.cameras.is_empty() && self.is_camera_flag() {
            config.cameras.push(CameraConfig::default());
        }
        let first = config.cameras.first_mut();
        match (self, first) {
            (Override::Listen(addr), _) => {
                config.http.listen = Some(addr);
                config.origin.listen = KeySource::Flag;
            }
            (Override::MaxClients(max), _) => config.http.max_clients = max,
            (Override::MaxClientsPerPeer(max), _) => config.http.max_clients_per_peer = max,
            (Override::LogLevel(level), _) => config.log.level = level,
            (Override::Source(spec), Some(camera)) => {
                camera.source = spec;
                config.origin.first_source = KeySource::Flag;
            }
            (Override::Size(size), Some(camera)) => camera.size = size,
            (Override::Fps(fps), Some(camera)) => camera.fps = fps,
            (Override::Quality(quality), Some(camera)) => camera.quality = quality,
            (_, None) => {}
        }
    }

    fn is_camera_flag(&self) -> bool {
        matches!(self, Override::Source(_) | Override::Size(_) | Override::Fps(_) | Override::Quality(_))
    }
}
